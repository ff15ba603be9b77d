"""inkorg_kit.report: the orderer's HTML report is self-contained, has no personnummer, and
hides small groups."""

from __future__ import annotations

import re

import polars as pl
import pytest
from conftest import assert_no_personnummer
from hypothesis import given, settings
from hypothesis import strategies as st
from test_followup import CAMPAIGN_FILE, build_run, test_numbers

from inkorg_kit import followup as fu
from inkorg_kit import report, synth_status
from inkorg_kit.campaign import load_campaign


def _groups(ns: list[int], dimension: str = "age_band") -> pl.DataFrame:
    rows = [("overall", "Totalt", "Alla", sum(ns))]
    rows += [(dimension, "Åldersgrupp", f"g{i}", n) for i, n in enumerate(ns)]
    frame = pl.DataFrame(
        rows, schema=["dimension", "dimension_label", "group", "n"], orient="row"
    ).with_columns(pl.col("group").alias("group_label"))
    return frame.with_columns(
        pl.col("n").alias("sent"),
        pl.lit(0).alias("failed"),
        pl.col("n").alias("delivered"),
        (pl.col("n") // 2).alias("read"),
        pl.lit(0.5).alias("read_rate"),
        pl.lit(0.4).alias("low"),
        pl.lit(0.6).alias("high"),
    )


def test_small_groups_are_hidden_with_a_complement():
    shown = report.suppress(_groups([3, 40, 12, 9]), 5)
    hidden = dict(zip(shown["group"], shown["suppressed"], strict=True))
    assert hidden == {"Alla": False, "g0": True, "g1": False, "g2": False, "g3": True}
    assert shown.filter(pl.col("suppressed"))["read_rate"].null_count() == 2
    table = report.group_display(shown, 5)
    cells = dict(zip(table["Grupp"], table["Levererade"], strict=True))
    assert cells["g0"] == "<5"  # the small group itself
    assert cells["g3"] == report.HIDDEN  # hidden only so that g0 cannot be worked out
    assert cells["g1"] == "40"
    assert table.filter(pl.col("Grupp") == "g0")["Läsandel"].item() == report.HIDDEN


def test_two_small_groups_need_no_complement_and_overall_is_never_hidden():
    shown = report.suppress(_groups([3, 4, 12]), 5)
    assert shown["suppressed"].to_list() == [False, True, True, False]
    tiny = report.suppress(_groups([2]), 5)
    assert tiny["suppressed"].to_list() == [False, True]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=1, max_size=8), st.integers(1, 10))
def test_suppression_rules_hold_for_any_counts(ns, minimum):
    shown = report.suppress(_groups(ns), minimum)
    groups = shown.filter(pl.col("dimension") != "overall")
    hidden = groups["suppressed"].to_list()
    # every small group is hidden, and a lone hidden group is never left alone
    assert all(h for h, n in zip(hidden, ns, strict=True) if n < minimum)
    if len(ns) > 1:
        assert sum(hidden) != 1
    # what is shown is never small
    assert groups.filter(~pl.col("suppressed"))["n"].min() is None or (
        groups.filter(~pl.col("suppressed"))["n"].min() >= minimum
    )


@pytest.fixture(scope="module")
def outcome(tmp_path_factory):
    run = tmp_path_factory.mktemp("report") / "run"
    build_run(run, 1500)
    campaign = load_campaign(CAMPAIGN_FILE)
    synth_status.write_status_export(run, campaign, seed=7, outsiders=2, unsent_files=1)
    outcomes = fu.reconcile(fu.load_status(None, campaign, run_dir=run), run)
    return run, campaign, outcomes, fu.followup_lists(outcomes, campaign)


def test_report_is_self_contained_and_has_no_personnummer(outcome, tmp_path):
    _, campaign, outcomes, lists = outcome
    path = report.orderer_report(tmp_path, campaign, outcomes, lists)
    assert path == tmp_path / "blodtryck-solbacka-2027_uppfoljning.html"
    text = path.read_text(encoding="utf-8")
    assert_no_personnummer(text, str(path))
    assert report.check_html(text) == []
    assert not re.search(r"<script|<link|src\s*=|href\s*=", text, re.IGNORECASE)
    assert text.count("<svg") >= 2  # the read curves and the read rates, inline
    c = outcomes.counts()
    for label in ("Lästa", "Olästa", "Misslyckades", "I målgruppen", "Saknas i statusexporten"):
        assert label in text
    assert f"{c['failed']}" in text
    assert campaign.title in text and "SE2321000032-VCSOLB" in text  # facts and groups
    assert "I exporten men inte i kampanjen" in text
    assert "Nås på annat sätt" in text and "Oläst efter 24 arbetstimmar" in text
    assert "Att notera" in text  # the unsent file is pointed out
    assert path.stat().st_mode & 0o077 == 0


def test_report_hides_small_age_bands(outcome, tmp_path):
    _, campaign, outcomes, _ = outcome
    groups = fu.group_table(outcomes)
    text = report.render_report(
        campaign=campaign,
        counts=outcomes.counts(),
        groups=groups,
        curves=fu.read_curves(outcomes),
        read_within=fu.read_within(outcomes),
        min_group_size=200,
    )
    shown = report.suppress(groups, 200).filter(pl.col("dimension") == "age_band")
    assert shown["suppressed"].sum() >= 1
    assert "&lt;200" in text
    for band in shown.filter(pl.col("suppressed"))["group"].to_list():
        # a hidden band has no curve in the chart legend
        assert f"{band} (n=" not in text


def test_report_refuses_a_personnummer_and_writes_nothing(outcome, tmp_path):
    _, campaign, outcomes, _ = outcome
    leak = test_numbers(1)[0]
    path = tmp_path / "report.html"
    with pytest.raises(report.ReportLeakError) as raised:
        report.write_report(
            path,
            campaign=campaign,
            counts=outcomes.counts(),
            groups=fu.group_table(outcomes),
            curves=fu.read_curves(outcomes),
            notes=[f"kontakta {leak}"],
        )
    assert not path.exists()
    assert leak not in str(raised.value) and leak[:8] + "-****" in str(raised.value)


def test_report_refuses_scripts_and_network_links(tmp_path):
    for bad in (
        "<script>alert(1)</script>",
        '<img src="https://example.org/x.png">',
        '<link href="http://cdn.example/x.css">',
    ):
        with pytest.raises(report.ReportLeakError):
            report.write_report(tmp_path / "x.html", f"<html><body>{bad}</body></html>")
    assert not (tmp_path / "x.html").exists()


def test_within_display_hides_small_groups():
    within = pl.DataFrame(
        {
            "group": ["Alla", "16-29", "85+", "30-44"],
            "n": [60, 30, 2, 28],
            "read_24h": [0.5, 0.5, 1.0, 0.5],
            "low_24h": [0.4, 0.4, 0.3, 0.4],
            "high_24h": [0.6, 0.6, 1.0, 0.6],
        }
    )
    shown = report.within_display(within, 5)
    row = dict(zip(shown["Grupp"], shown["Läst inom 1 dygn"], strict=True))
    assert row["85+"] == report.HIDDEN and row["30-44"] == report.HIDDEN  # complement
    assert row["Alla"].startswith("50,0") and row["16-29"].startswith("50,0")
    assert dict(zip(shown["Grupp"], shown["Levererade"], strict=True))["85+"] == "<5"
