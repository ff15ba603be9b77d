"""Attacks on the outcome follow-up's tables (issue 15): no count 1-4 shown in the uptake
tables, none that can be worked out from them and the group tables together (subtraction from
"Alla", the group table's counts as the uptake table's "n", the did by the published days)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import polars as pl
import pytest
from test_attacks import outcomes_of, residents

from inkorg_kit import report
from inkorg_kit.config.outcome_spec import OutcomeSpec
from inkorg_kit.followup.uptake import uptake
from inkorg_kit.report.disclosure import HIDDEN

SPEC = OutcomeSpec(source="x.csv", event="bokat", horizon_days=30)


def _numbers(n: int) -> list[str]:
    from importlib.resources import files

    text = files("inkorg_kit").joinpath("data/testpersonnummer.csv").read_text(encoding="utf-8")
    return [f"{x[:8]}-{x[8:]}" for x in text.split()[1 : n + 1]]


def _campaign(did: dict[tuple[str, str], int]):
    """Residents in two bands and two files; ``did`` (outcome, age band) -> how many booked."""
    people = pl.concat(
        [
            residents(40, file="f1", sent="2027-03-16 09:00", read=28, age_band="45-64"),
            residents(30, file="f2", sent="2027-03-16 10:00", read=20, age_band="65-74"),
            residents(12, file="f1", sent="2027-03-16 09:00", age_band="45-64").with_columns(
                pl.lit("failed").alias("outcome")
            ),
            residents(9, file="f2", sent="2027-03-16 10:00", age_band="65-74").with_columns(
                pl.lit("failed").alias("outcome")
            ),
        ]
    )
    o = outcomes_of(people)
    o = dataclasses.replace(
        o, people=o.people.with_columns(pl.Series("pnr", _numbers(o.people.height)))
    )
    rows = []
    for (outcome, band), k in did.items():
        who = o.people.filter((pl.col("outcome") == outcome) & (pl.col("age_band") == band))
        rows += [(p, f"2027-03-{18 + i % 10}") for i, p in enumerate(who["pnr"].head(k))]
    extract = pl.DataFrame(rows, schema=["personnummer", "datum"], orient="row")
    return o, uptake(o, SPEC, source=extract)


def _shown_counts(table: pl.DataFrame) -> list[int]:
    out = []
    for column in ("Antal", "Gjort"):
        for text in table[column].to_list():
            if text != HIDDEN:
                out.append(int(text.replace("\u00a0", "")))
    return out


@pytest.mark.parametrize(
    "did",
    [
        {("read", "45-64"): 12, ("read", "65-74"): 9, ("unread", "45-64"): 3,
         ("unread", "65-74"): 6, ("failed", "45-64"): 2, ("failed", "65-74"): 5},
        {("read", "45-64"): 27, ("read", "65-74"): 8, ("unread", "45-64"): 6,
         ("unread", "65-74"): 7, ("failed", "45-64"): 6, ("failed", "65-74"): 6},
    ],
)  # fmt: skip
def test_small_cells_hidden_and_nothing_derivable(did):
    o, u = _campaign(did)
    published = report.disclose(o, None, 5, uptake=u)
    table = published.uptake_table()
    assert table is not None
    assert all(not 0 < v < 5 for v in _shown_counts(table))
    result = published.audit()  # linear programs over every table, uptake included
    assert result.ok, result.problems()
    assert any(k[0] == "uptake" for k in published.tables.figures)
    # subtraction from "Alla": per status and grouping, the hidden rows hold 0 or 5+
    shown = published.uptake
    assert shown is not None
    for status in ("read", "unread", "letter"):
        part = shown.table.filter(pl.col("status_group") == status)
        for dim in ("age_band", "sex", "unit"):
            rows = part.filter(pl.col("dimension") == dim)
            hidden = [
                r for r in rows.iter_rows(named=True)
                if (status, dim, r["group"]) in published.hidden_uptake
            ]  # fmt: skip
            if hidden and (status, "overall", "Alla") not in published.hidden_uptake:
                for count in ("did", "n"):
                    total = sum(r[count] for r in hidden)
                    assert not 0 < total < 5, (status, dim, count, total)


def test_a_band_with_two_bookings_is_hidden_with_its_complement():
    did = {("read", "45-64"): 12, ("read", "65-74"): 9, ("failed", "45-64"): 2,
           ("failed", "65-74"): 6, ("unread", "45-64"): 5, ("unread", "65-74"): 5}  # fmt: skip
    o, u = _campaign(did)
    published = report.disclose(o, None, 5, uptake=u)
    assert ("letter", "age_band", "45-64") in published.hidden_uptake
    assert ("letter", "age_band", "65-74") in published.hidden_uptake  # else Alla - 65-74 = 2
    assert published.audit().ok


def test_group_table_hidden_band_is_hidden_in_uptake_too():
    o, u = _campaign({("read", "45-64"): 10})
    published = report.disclose(o, None, 5, uptake=u)
    for band in published.hidden_groups("age_band"):
        for status in ("read", "unread", "letter"):
            assert (status, "age_band", band) in published.hidden_uptake


def test_report_has_the_section_and_passes_its_audit(tmp_path):
    from support import DEMO_CAMPAIGN

    from inkorg_kit.campaign import load_campaign

    did = {("read", "45-64"): 12, ("read", "65-74"): 9, ("unread", "45-64"): 5,
           ("unread", "65-74"): 6, ("failed", "45-64"): 2, ("failed", "65-74"): 5}  # fmt: skip
    o, u = _campaign(did)
    path = report.orderer_report(
        tmp_path, load_campaign(DEMO_CAMPAIGN), o, min_group_size=5, uptake=u,
        generated_at=dt.datetime(2027, 4, 1, tzinfo=dt.UTC),
    )  # fmt: skip
    text = path.read_text(encoding="utf-8")
    assert "Gjorde mottagarna det meddelandet bad om?" in text
    assert "samband, inte att meddelandet orsakade" in text
