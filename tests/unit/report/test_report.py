"""inkorg_kit.report: the orderer's HTML report is self-contained, has no personnummer, and
shows no small number, nor one that can be worked out from the others."""

from __future__ import annotations

import dataclasses
import re
import shutil

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import (
    DEMO_CAMPAIGN,
    assert_no_personnummer,
    build_run_for_followup,
    shuffled_adults,
    write_excel_export,
)

from inkorg_kit import followup as fu
from inkorg_kit import report, synth_status
from inkorg_kit.campaign import load_campaign

COUNTS = ("sent", "failed", "delivered", "read", "unread", "unknown")


def _groups(rows: list[tuple[int, int, int, int]], dimension: str = "age_band") -> pl.DataFrame:
    """A group table from (sent, failed, read, unknown) per group; unread is the rest."""
    frame = pl.DataFrame(
        [(f"g{i}", *r) for i, r in enumerate(rows)],
        schema=["group", "sent", "failed", "read", "unknown"],
        orient="row",
    ).with_columns(
        pl.lit(dimension).alias("dimension"),
        pl.lit("Åldersgrupp").alias("dimension_label"),
        (pl.col("sent") - pl.col("failed")).alias("delivered"),
        (pl.col("sent") - pl.col("failed") - pl.col("read") - pl.col("unknown")).alias("unread"),
    )
    total = frame.select(
        pl.col(c).sum() for c in ("sent", "failed", "read", "unknown", "delivered", "unread")
    )
    total = total.with_columns(
        pl.lit("Alla").alias("group"),
        pl.lit("overall").alias("dimension"),
        pl.lit("Totalt").alias("dimension_label"),
    )
    table = pl.concat([total.select(frame.columns), frame]).with_columns(
        pl.col("group").alias("group_label"),
        (pl.col("read") + pl.col("unread")).alias("n"),
    )
    return table.with_columns(
        pl.when(pl.col("n") > 0).then(pl.col("read") / pl.col("n")).alias("read_rate"),
        pl.lit(0.4).alias("low"),
        pl.lit(0.6).alias("high"),
    )


def _sizes(ns: list[int]) -> pl.DataFrame:
    return _groups([(n, 0, n // 2, 0) for n in ns])


def _hidden_recoverable(raw: pl.DataFrame, shown: pl.DataFrame, minimum: int) -> list[str]:
    """What an attacker gets by subtraction: for each count whose total is shown and not 0,
    the hidden groups' sum. Below ``minimum`` it is a small number (0 pins every hidden group
    at 0: "none of the 3 residents 75+ read"); a lone hidden group is its sum."""
    found = []
    total = raw.filter(pl.col("dimension") == "overall").row(0, named=True)
    shown_total = shown.filter(pl.col("dimension") == "overall").row(0, named=True)
    groups = raw.filter(pl.col("dimension") != "overall")
    hidden = shown.filter(pl.col("dimension") != "overall")["suppressed"].to_numpy()
    for c in COUNTS:
        if not hidden.any() or shown_total[c] is None or total[c] == 0:
            continue
        rest = int(groups[c].to_numpy()[hidden].sum())
        if rest < minimum:
            found.append(f"{c}: hidden groups hold {rest}")
    return found


def test_small_groups_are_hidden_with_a_complement():
    shown = report.suppress(_sizes([3, 40, 12, 9]), 5)
    hidden = dict(zip(shown["group"], shown["suppressed"], strict=True))
    assert hidden == {"Alla": False, "g0": True, "g1": False, "g2": False, "g3": True}
    assert shown.filter(pl.col("suppressed"))["read_rate"].null_count() == 2
    table = report.group_display(shown, 5)
    cells = dict(zip(table["Grupp"], table["Levererade"], strict=True))
    assert cells["g0"] == cells["g3"] == report.HIDDEN  # never "<5": a bound can pin it down
    assert cells["g1"] == "40"
    assert table.filter(pl.col("Grupp") == "g0")["Läsandel"].item() == report.HIDDEN


def test_two_small_groups_are_not_enough_when_their_counts_are_small():
    """3 residents 75+ of whom none read, and 4 of whom 2 read: together 7, but only 2 read:
    the total minus the shown groups would say so. A third group is hidden."""
    raw = _groups([(3, 0, 0, 0), (4, 0, 2, 0), (40, 0, 20, 0), (60, 0, 30, 0)])
    shown = report.suppress(raw, 5)
    assert shown["suppressed"].to_list() == [False, True, True, True, False]
    assert _hidden_recoverable(raw, shown, 5) == []
    # with the old rule (only a lone hidden group got a complement) the read count was open
    assert int(raw.filter(pl.col("group").is_in(["g0", "g1"]))["read"].sum()) < 5


def test_a_small_failed_count_hides_its_group_and_a_complement():
    raw = _groups([(100, 1, 50, 0), (120, 10, 50, 0), (130, 12, 60, 0)])
    shown = report.suppress(raw, 5)
    assert shown["suppressed"].to_list() == [False, True, True, False]
    assert _hidden_recoverable(raw, shown, 5) == []


def test_the_delivered_column_is_labelled_like_every_other():
    """Closed cases of unknown status: 50 delivered but only 3 with a known status. The row is
    hidden whole ("–"), not shown as "Levererade <5" beside a count of 50."""
    raw = _groups([(50, 0, 2, 47), (60, 0, 30, 0), (70, 0, 30, 0)])
    shown = report.suppress(raw, 5)
    table = report.group_display(shown, 5)
    row = table.filter(pl.col("Grupp") == "g0").row(0, named=True)
    assert {v for k, v in row.items() if k not in ("Indelning", "Grupp")} == {report.HIDDEN}
    assert not any("<" in v for v in table.select(pl.exclude("Indelning", "Grupp")).to_series())


group_rows = st.lists(
    st.tuples(st.integers(1, 40), st.integers(0, 12), st.integers(0, 40), st.integers(0, 6)),
    min_size=1,
    max_size=7,
).map(lambda rows: [(s, min(f, s), min(r, s - min(f, s)), 0) for s, f, r, _ in rows])


@settings(max_examples=300, deadline=None)
@given(group_rows, st.integers(2, 10))
def test_no_hidden_group_can_be_worked_out_from_the_shown_ones_and_the_total(rows, minimum):
    raw = _groups(rows)
    shown = report.suppress(raw, minimum)
    groups = shown.filter(pl.col("dimension") != "overall")
    # nothing small is shown, in a group or in the total
    for c in COUNTS:
        values = shown[c].drop_nulls().to_numpy()
        assert not ((values > 0) & (values < minimum)).any(), c
    # every small group is hidden
    sent = raw.filter(pl.col("dimension") != "overall")["sent"].to_numpy()
    assert groups["suppressed"].to_numpy()[sent < minimum].all()
    # and the total minus the shown groups gives no hidden group away
    assert _hidden_recoverable(raw, shown, minimum) == []


headline = st.builds(
    lambda read, unread, unknown, no_login, locked, other, missing: {
        "read": read,
        "unread": unread,
        "unknown": unknown,
        "delivered": read + unread + unknown,
        "failed_no_login": no_login,
        "failed_locked": locked,
        "failed_other": other,
        "failed": no_login + locked + other,
        "attempted": read + unread + unknown + no_login + locked + other,
        "not_in_export": missing,
        "in_files": read + unread + unknown + no_login + locked + other + missing,
        "target": read + unread + unknown + no_login + locked + other + missing,
        "not_in_campaign": 0,
    },
    *(st.integers(0, 60) for _ in range(3)),
    *(st.integers(0, 8) for _ in range(4)),
)


@settings(max_examples=300, deadline=None)
@given(headline, st.integers(2, 6))
def test_headline_counts_hide_small_ones_and_what_would_give_them_away(counts, minimum):
    hidden = report.protect_totals(counts, None, minimum)
    for key, value in counts.items():
        if 0 < value < minimum and key not in ("target", "in_files"):
            assert key in hidden, key
    if counts["attempted"] < minimum:
        return
    for whole, parts in (
        ("in_files", ("attempted", "not_in_export")),
        ("attempted", ("delivered", "failed")),
        ("delivered", ("read", "unread", "unknown")),
        ("failed", ("failed_no_login", "failed_locked", "failed_other")),
    ):
        gone = [k for k in (whole, *parts) if k in hidden]
        if len(gone) == 1:  # one hidden cell of a sum is the rest of it: it must not be small
            assert counts[gone[0]] >= minimum, (whole, gone)
        if whole not in hidden and gone:  # the whole less the parts shown: the hidden together
            assert sum(counts[k] for k in gone) >= minimum, (whole, gone)


def test_headline_hides_one_locked_account_and_its_complement():
    counts = {
        "target": 1000,
        "in_files": 1000,
        "attempted": 1000,
        "not_in_export": 0,
        "delivered": 940,
        "read": 700,
        "unread": 240,
        "unknown": 0,
        "failed": 60,
        "failed_no_login": 59,
        "failed_locked": 1,
        "failed_other": 0,
        "not_in_campaign": 0,
    }
    hidden = report.protect_totals(counts, None, 5)
    assert hidden == {"failed_locked", "failed_no_login"}
    table = dict(report.counts_display(counts, 5).select("Mått", "Antal").iter_rows())
    assert table["– kontot är spärrat"] == table["– saknar inloggning"] == report.HIDDEN
    assert table["Misslyckades (nås inte via 1177)"] == "60"


@pytest.fixture(scope="module")
def outcome(tmp_path_factory):
    run = tmp_path_factory.mktemp("report") / "run"
    build_run_for_followup(run, 1500)
    campaign = load_campaign(DEMO_CAMPAIGN)
    synth_status.write_status_export(run, campaign, seed=7, outsiders=2, unsent_files=1)
    outcomes = fu.reconcile(fu.load_status(None, campaign, run_dir=run), run)
    return run, campaign, outcomes, fu.followup_lists(outcomes, campaign)


def _text(html_text: str) -> str:
    """The report's visible text (no SVG), cells separated by " | "."""
    text = re.sub(r"<svg.*?</svg>", "", html_text, flags=re.S)
    text = re.sub(r"<style.*?</style>", "", text, flags=re.S)
    text = re.sub(r"<t[dh][^>]*>", " | ", text)
    return re.sub(r"<[^>]+>", "", text).replace("&lt;", "<").replace("\u00a0", " ")


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


def test_residents_missing_from_the_export_are_counted_in_the_followup(outcome, tmp_path):
    _, campaign, outcomes, lists = outcome
    missing = outcomes.counts()["not_in_export"]
    assert missing >= 5
    text = _text(report.orderer_report(tmp_path, campaign, outcomes, lists).read_text("utf-8"))
    section = text[text.index("Nås på annat sätt") :]
    assert f"de som saknas i statusexporten ({missing})" in section
    assert f" | Saknas i statusexporten | {missing}" in section


def test_one_hidden_set_per_grouping_in_its_table_its_curves_and_read_within(outcome):
    _, campaign, outcomes, _ = outcome
    minimum = 10
    published = report.disclose(outcomes, None, minimum)
    text = report.render_report(campaign=campaign, published=published)
    shown = published.groups
    bands = published.hidden_groups("age_band")
    assert bands and bands != set(shown.filter(pl.col("dimension") == "age_band")["group"])
    within = published.within_table()
    curves = published.curves()
    for band in bands:
        assert f"{band} (n=" not in text  # no curve
        row = within.filter(pl.col("Grupp") == band).row(0)
        assert set(row[1:]) == {report.HIDDEN}
        assert band not in curves["group"].to_list()
    for band in set(curves["group"].to_list()) - {"Alla"}:
        assert f"{band} (n=" in text  # a shown band with a shown point has its curve
    assert "&lt;10" not in text and "<10" not in _text(text)
    assert published.audit().ok


def test_curves_are_blank_where_few_had_read_or_not():
    hours = np.arange(0.0, 6.0)
    curves = pl.concat(
        [
            pl.DataFrame(
                {
                    "group": [g] * 6,
                    "n": [n] * 6,
                    "hours": hours,
                    "read_share": [0.0, 0.1, 0.3, 0.5, 0.7, 0.9],
                    "low": [0.0] * 6,
                    "high": [1.0] * 6,
                    "read_by": [round(n * s) for s in (0.0, 0.1, 0.3, 0.5, 0.7, 0.9)],
                }
            )
            for g, n in (("Alla", 100), ("a", 20), ("b", 80))
        ]
    )
    out = report.protect_curves(curves, (), 5)
    a = out.filter(pl.col("group") == "a")["read_share"].to_list()
    # a: 2 read by hour 1 (small), 18 by hour 5 leaves 2 unread (small)
    assert a[1] is None and a[5] is None and a[3] == 0.5
    b = out.filter(pl.col("group") == "b")["read_share"].to_list()
    assert b[1] is None  # 8 read, but with a's 2 hidden Alla's 10 would give a's away
    hidden = report.protect_curves(curves, {"b"}, 5)
    assert set(hidden["group"].to_list()) == {"Alla", "a"}


def test_within_display_hides_small_groups_and_their_complement():
    within = pl.DataFrame(
        {
            "group": ["Alla", "16-29", "85+", "30-44"],
            "n": [60, 30, 2, 28],
            "read_24h": [0.5, 0.5, 1.0, 0.5],
            "low_24h": [0.4, 0.4, 0.3, 0.4],
            "high_24h": [0.6, 0.6, 1.0, 0.6],
            "read_by_24h": [30, 15, 2, 13],
        }
    )
    shown = report.within_display(within, 5, {"85+"})
    row = dict(zip(shown["Grupp"], shown["Läst inom 1 dygn"], strict=True))
    assert row["85+"] == report.HIDDEN and row["30-44"] == report.HIDDEN  # complement
    assert row["Alla"].startswith("50,0") and row["16-29"].startswith("50,0")
    assert "Levererade" not in shown.columns  # the counts are the group table's


def test_report_hides_small_age_bands(outcome):
    _, campaign, outcomes, _ = outcome
    published = report.disclose(outcomes, None, 200)
    text = report.render_report(campaign=campaign, published=published)
    hidden = published.hidden_groups("age_band")
    assert len(hidden) >= 2
    for band in hidden:
        assert f"{band} (n=" not in text


def test_the_appendix_states_the_rule_in_swedish(outcome):
    _, campaign, outcomes, lists = outcome
    text = _text(
        report.render_report(campaign=campaign, published=report.disclose(outcomes, lists))
    )
    appendix = text[text.index("Så har siffrorna tagits fram") :]
    assert "Inget antal mellan 1 och 4 visas" in appendix
    assert "Alla tabeller skyddas tillsammans" in appendix
    assert "en fil skickas inom en timme" in appendix
    assert "både som nivå och som ökning" in appendix
    assert "Kurvorna över läsning ritas bara från de skyddade värdena" in appendix
    assert "Rapporten skrivs inte om något dolt tal" in appendix


def test_the_writer_refuses_a_publication_that_fails_the_audit(outcome, tmp_path):
    """Undo the protection of the groups: the audit finds small counts and nothing is written."""
    _, campaign, outcomes, lists = outcome
    published = report.disclose(outcomes, lists)
    assert published.audit().ok
    raw = fu.group_table(outcomes)
    assert published.groups["suppressed"].any()  # the fixture has small groups to hide
    leaky = dataclasses.replace(
        published, groups=report.disclosure.hide_groups(raw, {}, published.hidden_totals)
    )
    verdict = leaky.audit()
    assert not verdict.ok and verdict.shown_small
    path = tmp_path / "report.html"
    with pytest.raises(report.ReportLeakError, match="small number"):
        report.write_report(path, published=leaky, campaign=campaign)
    assert not path.exists()


def test_analyst_warnings_stay_out_and_the_orderer_gets_swedish_notes(outcome, tmp_path):
    run, campaign, _, _ = outcome
    folder = tmp_path / "only_sent"
    folder.mkdir()
    shutil.copy(run / "status_export" / "skickade_arenden.csv", folder)
    outcomes = fu.reconcile(fu.load_status(folder, campaign), run)
    assert any("failed_file: null" in w for w in outcomes.warnings)  # for the analyst
    text = report.orderer_report(tmp_path, campaign, outcomes).read_text(encoding="utf-8")
    assert "misslyckade_utskick.csv" not in text and "failed_file" not in text
    assert "Listan över misslyckade utskick fanns inte med i statusexporten" in text
    for warning in outcomes.warnings:
        assert warning not in text


def test_a_tiny_campaign_shows_only_its_size(tmp_path):
    run = tmp_path / "run"
    build_run_for_followup(run, 3)
    numbers = fu.campaign_recipients(run)[0]["pnr"].to_list()
    write_excel_export(
        run / "status_export" / "skickade_arenden.csv",
        "Personnummer;Skickat;Status;Läst",
        [f"{n};2027-03-16 09:00;Oläst;" for n in numbers],
    )
    write_excel_export(run / "status_export" / "misslyckade_utskick.csv", "Personnummer;Orsak", [])
    campaign = load_campaign(DEMO_CAMPAIGN)
    outcomes = fu.reconcile(fu.load_status(None, campaign, run_dir=run), run)
    lists = fu.followup_lists(outcomes, campaign)
    text = _text(report.orderer_report(tmp_path, campaign, outcomes, lists).read_text("utf-8"))
    assert "Färre än 5 av kampanjens invånare finns i statusexporten" in text
    assert " | I mottagarfilerna | 3" in text
    for absent in ("Olästa", "Läsandel per grupp", "Läsning över tid", "Åldersgrupp"):
        assert absent not in text, absent
    assert len(re.findall(r"\| [1-4] \|", text)) == 2  # the target and the files, no more


def test_few_missing_from_a_file_are_not_shown(outcome):
    _, _, outcomes, _ = outcome
    missing = pl.DataFrame(
        {
            "file_name": ["a.txt", "b.txt", "c.txt"],
            "in_file": [250, 250, 250],
            "not_in_export": [2, 250, 40],
            "file_sent": [True, False, True],
        }
    )
    hide = report.disclosure.protect_rows(
        missing["not_in_export"].to_numpy().reshape(-1, 1), [292], 5
    )
    assert hide.tolist() == [True, False, True]
    published = dataclasses.replace(
        report.disclose(outcomes), missing=missing, hidden_missing=frozenset({"a.txt", "c.txt"})
    )
    table = published.missing_table()
    assert table.rows() == [("a.txt", "–", "nej"), ("b.txt", "250", "ja"), ("c.txt", "–", "nej")]


def test_report_refuses_a_personnummer_and_writes_nothing(outcome, tmp_path):
    _, campaign, outcomes, _ = outcome
    leak = shuffled_adults(1)[0]
    path = tmp_path / "report.html"
    with pytest.raises(report.ReportLeakError) as raised:
        report.write_report(
            path,
            published=report.disclose(outcomes),
            campaign=campaign,
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
