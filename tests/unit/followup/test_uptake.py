"""Outcome follow-up ("uptake"): shares, intervals and curves against statsmodels and
lifelines, every extract row accounted for, bad input named, small cells hidden."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inkorg_kit.config.outcome_spec import OutcomeSpec, horizon_days
from inkorg_kit.followup.reconcile import Outcomes
from inkorg_kit.followup.uptake import FATES, UptakeError, uptake
from inkorg_kit.followup.uptake_stats import (
    newcombe,
    uptake_curves,
    uptake_difference,
    uptake_table,
)

ZONE = "Europe/Stockholm"
SENT = dt.datetime(2027, 3, 16, 9, 0, tzinfo=dt.UTC)


def _numbers(n: int) -> list[str]:
    from importlib.resources import files

    text = files("inkorg_kit").joinpath("data/testpersonnummer.csv").read_text(encoding="utf-8")
    raw = text.split()[1 : n + 1]
    return [f"{x[:8]}-{x[8:]}" for x in raw]


def _outcomes(n: int, seed: int = 0) -> Outcomes:
    rng = np.random.default_rng(seed)
    numbers = _numbers(n)
    outcome = rng.choice(["read", "unread", "failed"], size=n, p=[0.6, 0.25, 0.15])
    sent = [SENT + dt.timedelta(hours=int(h)) for h in rng.integers(0, 48, n)]
    people = pl.DataFrame(
        {
            "pnr": numbers,
            "in_campaign": [True] * n,
            "in_export": [True] * n,
            "file_name": rng.choice(["f1", "f2"], n).tolist(),
            "age_band": rng.choice(["40-49", "50-64", "65-74"], n).tolist(),
            "sex": rng.choice(["F", "M"], n).tolist(),
            "unit": ["SE2321000032-A"] * n,
            "outcome": outcome.tolist(),
            "sent_at": [None if o == "failed" else s for o, s in zip(outcome, sent, strict=True)],
        },
        schema_overrides={"sent_at": pl.Datetime("us", "UTC")},
    ).with_columns(pl.col("sent_at").dt.convert_time_zone(ZONE))
    return Outcomes(
        people=people,
        exported_at=SENT + dt.timedelta(days=10),
        export_summary={"rows": n, "rejected": 0, "duplicate_rows": 0},
        target_size=n,
    )


def _extract(outcomes: Outcomes, seed: int = 0, extra: int = 20) -> pl.DataFrame:
    """Bookings: ~45 % of read, ~20 % unread, ~25 % letter; plus noise rows of every kind."""
    rng = np.random.default_rng(seed)
    p = outcomes.people
    share = p["outcome"].replace_strict({"read": 0.45, "unread": 0.2, "failed": 0.25}).to_numpy()
    books = rng.random(p.height) < share * 1.2
    day = dt.date(2027, 3, 16)
    days = rng.integers(-5, 45, p.height)
    rows = {
        "Personnummer": p["pnr"].filter(pl.Series(books)).to_list(),
        "Bokningsdatum": [(day + dt.timedelta(days=int(d))).isoformat() for d in days[books]],
    }
    others = _numbers(p.height + extra)[p.height :]
    rows["Personnummer"] += [*others, "19000101-0000", "", "not a number"]
    rows["Bokningsdatum"] += [day.isoformat()] * (len(others) + 3)
    return pl.DataFrame(rows)


SPEC = OutcomeSpec(source="x.csv", event="bokat blodtryckskontroll", horizon_days=30)


def test_horizon_defaults_from_category():
    spec = OutcomeSpec(source="x.csv", event="bokat")
    assert horizon_days(spec, "kallelse") == 30
    assert horizon_days(spec, "vaccination") == 60
    assert horizon_days(SPEC, "vaccination") == 30


@pytest.mark.parametrize(
    ("block", "words"),
    [
        ({"event": "bokat"}, "source"),
        ({"source": "x.csv", "event": "  "}, "event is empty"),
        ({"source": "postgresql://u:pw@h/db", "event": "x"}, "plain text"),
        ({"source": "x.csv", "event": "x", "horizon_days": 0}, "horizon_days"),
        ({"source": "x.csv", "event": "x", "date_format": "YYYY"}, "strftime"),
        ({"source": "x.csv", "event": "x", "colour": 1}, "colour"),
    ],
)
def test_bad_spec_is_refused_clearly(block, words):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=words):
        OutcomeSpec.model_validate(block)


def test_campaign_takes_the_block():
    from inkorg_kit.campaign import load_campaign

    c = load_campaign("params/demo/campaign.yaml")
    assert c.followup.outcome is not None
    assert c.followup.outcome.event == "bokat blodtryckskontroll"


def test_shares_and_wilson_match_statsmodels():
    from statsmodels.stats.proportion import proportion_confint

    o = _outcomes(600)
    u = uptake(o, SPEC, source=_extract(o))
    table = uptake_table(u)
    assert table.height > 3
    for r in table.iter_rows(named=True):
        lo, hi = proportion_confint(r["did"], r["n"], alpha=0.05, method="wilson")
        assert r["share"] == pytest.approx(r["did"] / r["n"])
        assert (r["low"], r["high"]) == pytest.approx((lo, hi), abs=1e-12)
    top = table.filter(pl.col("dimension") == "overall")
    people = u.people.filter(pl.col("status_group").is_in(["read", "unread", "letter"]))
    assert top["n"].sum() == people.height


def test_newcombe_matches_statsmodels():
    from statsmodels.stats.proportion import confint_proportions_2indep

    rng = np.random.default_rng(3)
    for _ in range(50):
        n1, n2 = rng.integers(5, 400, 2)
        x1, x2 = rng.integers(0, n1 + 1), rng.integers(0, n2 + 1)
        d, lo, hi = newcombe(np.array([x1]), np.array([n1]), np.array([x2]), np.array([n2]))
        want = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff")
        assert d[0] == pytest.approx(x1 / n1 - x2 / n2)
        assert (lo[0], hi[0]) == pytest.approx(want, abs=1e-10)


def test_difference_read_minus_unread():
    o = _outcomes(800, seed=2)
    u = uptake(o, SPEC, source=_extract(o, seed=2))
    diff = uptake_difference(uptake_table(u)).filter(pl.col("dimension") == "overall")
    r = diff.row(0, named=True)
    assert r["difference"] == pytest.approx(
        r["did_first"] / r["n_first"] - r["did_second"] / r["n_second"]
    )
    assert r["low"] < r["difference"] < r["high"]


def test_km_matches_lifelines_with_censoring():
    from lifelines import KaplanMeierFitter

    o = _outcomes(500, seed=5)
    spec = OutcomeSpec(
        source="x.csv", event="bokat", horizon_days=30, extracted_on=dt.date(2027, 4, 5)
    )
    u = uptake(o, spec, source=_extract(o, seed=5))
    assert u.short_followup() > 0  # the extract came before the horizon: censoring happens
    days = np.arange(0.0, 31.0)
    curves = uptake_curves(u, days=days)
    for status in ("read", "unread", "letter"):
        part = u.people.filter(pl.col("status_group") == status)
        fit = KaplanMeierFitter().fit(
            part["observed_days"].to_numpy(), part["event"].to_numpy().astype(int)
        )
        mine = curves.filter(pl.col("status_group") == status)
        inside = days <= part["observed_days"].max()
        want = 1 - fit.survival_function_at_times(days[inside]).to_numpy()
        got = mine["share"].to_numpy()[inside]
        np.testing.assert_allclose(got, want, atol=1e-12)


def test_every_row_accounted_for():
    o = _outcomes(300, seed=1)
    extract = _extract(o, seed=1)
    u = uptake(o, SPEC, source=extract)
    counts = u.accounting()
    assert counts["rows"] == extract.height
    assert sum(counts[f] for f in FATES) == extract.height
    assert counts["bad_pnr"] == 3  # invalid, empty, text
    assert counts["not_recipient"] == 20
    assert counts["before_message"] > 0 and counts["after_horizon"] > 0
    assert counts["counted"] == int(u.people["did"].sum())
    assert set(u.rejected()["reason"].to_list()) <= {"bad_checksum", "empty", "bad_format",
                                                     "bad_date"}  # fmt: skip
    assert "pnr" not in u.rows.columns


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 59), st.integers(-40, 80), st.sampled_from(["A", "B", None])),
        max_size=60,
    )
)
def test_accounting_adds_up_for_any_extract(rows):
    o = _outcomes(40, seed=9)
    numbers = _numbers(60)
    day = dt.date(2027, 3, 16)
    extract = pl.DataFrame(
        {
            "personnummer": [numbers[i] for i, _, _ in rows],
            "datum": [(day + dt.timedelta(days=d)).isoformat() for _, d, _ in rows],
            "typ": [k for _, _, k in rows],
        },
        schema={"personnummer": pl.String, "datum": pl.String, "typ": pl.String},
    )
    spec = OutcomeSpec(source="x.csv", event="x", horizon_days=30, kinds=["A"])
    u = uptake(o, spec, source=extract)
    counts = u.accounting()
    assert sum(counts[f] for f in FATES) == len(rows)
    assert counts["counted"] == int(u.people["did"].sum())
    did_people = u.people.filter(pl.col("did"))
    assert ((did_people["days"] >= 0) & (did_people["days"] <= 30)).all()


def test_missing_column_is_named(tmp_path):
    o = _outcomes(20)
    path = tmp_path / "bokningar.csv"
    path.write_text("Personnummer;Något\n19000101-0000;x\n", encoding="utf-8")
    with pytest.raises(UptakeError, match=r"bokningar.csv.*date_column.*Något"):
        uptake(o, SPEC, source=str(path))


def test_wrong_date_format_names_file_row_column(tmp_path):
    o = _outcomes(20)
    n = _numbers(3)
    path = tmp_path / "bokningar.csv"
    path.write_text(
        f"Personnummer;Bokningsdatum\n{n[0]};2027-03-20\n{n[1]};20/03/2027\n", encoding="utf-8"
    )
    with pytest.raises(UptakeError) as info:
        uptake(o, SPEC, source=str(path))
    text = str(info.value)
    assert "bokningar.csv" in text and "line 3" in text and "Bokningsdatum" in text
    assert "YYYY-MM-DD" in text
    spec = SPEC.model_copy(update={"date_format": "%d/%m/%Y"})
    with pytest.raises(UptakeError, match="line 2"):
        uptake(o, spec, source=str(path))


@pytest.mark.parametrize("cell", ["1.91212121212e+11", "19121212-1212", "191212121212"])
def test_a_personnummer_in_the_date_column_is_masked_in_the_message(tmp_path, cell):
    o = _outcomes(20)
    path = tmp_path / "bokningar.csv"
    path.write_text(f"Personnummer;Bokningsdatum\n{_numbers(1)[0]};{cell}\n", encoding="utf-8")
    with pytest.raises(UptakeError) as info:
        uptake(o, SPEC, source=str(path))
    text = str(info.value)
    assert "Bokningsdatum" in text and "line 2" in text
    assert "1212121" not in text and "12121212" not in text  # no serial digits, no whole number
    assert "YYYY-MM-DD HH:MM" in text  # the accepted forms read as written, not masked


def test_an_excel_day_number_gets_excel_advice(tmp_path):
    path = tmp_path / "bokningar.csv"
    path.write_text(f"Personnummer;Bokningsdatum\n{_numbers(1)[0]};46100\n", encoding="utf-8")
    with pytest.raises(UptakeError, match="Excel's day numbers: format the column as a date"):
        uptake(_outcomes(20), SPEC, source=str(path))


def test_reminder_group_takes_the_reminded():
    o = _outcomes(100)
    unread = o.people.filter(pl.col("outcome") == "unread")["pnr"].head(7).to_list()
    u = uptake(o, SPEC, source=_extract(o), reminded=unread)
    assert u.people.filter(pl.col("status_group") == "reminder").height == 7
