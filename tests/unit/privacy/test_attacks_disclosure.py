"""Attacks on the report's disclosure control (issue 13, attacks 1 and 2) and the audit that
proves the report holds: no count from 1 to 4 is shown, or can be worked out from everything
the report and notebook 04 publish together."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inkorg_kit import report
from inkorg_kit.followup import Outcomes
from inkorg_kit.followup.codes import FAILURE, OUTCOME

TZ = ZoneInfo("Europe/Stockholm")
EXPORTED = dt.datetime(2027, 3, 26, 8, 0, tzinfo=TZ)
BANDS = ("16-29", "30-44", "45-64", "65-74", "75-84", "85+")


def outcomes_of(people: pl.DataFrame, exported_at: dt.datetime = EXPORTED) -> Outcomes:
    """Outcomes as :func:`inkorg_kit.followup.reconcile` leaves them, from one row per
    resident: ``file_name``, ``age_band``, ``sex``, ``unit``, ``sent`` (local time, or None),
    ``outcome`` (read, unread, unknown, failed, not_in_export), ``read_hours`` (for the read;
    None: no read time) and optionally ``failure``."""
    if "failure" not in people.columns:
        people = people.with_columns(
            pl.when(pl.col("outcome") == "failed").then(pl.lit("no_login")).alias("failure")
        )
    frame = people.with_columns(
        pl.lit(None, pl.String).alias("pnr"),
        pl.lit(True).alias("in_campaign"),
        (pl.col("outcome") != "not_in_export").alias("in_export"),
        pl.lit(None, pl.String).alias("group"),
        pl.lit(None, pl.Int64).alias("part"),
        pl.col("outcome").cast(OUTCOME),
        pl.lit(False).alias("closed"),
        pl.when(pl.col("outcome") != "not_in_export")
        .then(pl.col("sent").str.to_datetime("%Y-%m-%d %H:%M", time_zone="Europe/Stockholm"))
        .alias("sent_at"),
        pl.col("failure").cast(FAILURE),
        pl.lit(None, pl.String).alias("failure_text"),
        pl.lit(None, pl.String).alias("problem"),
        pl.lit(1, pl.Int64).alias("export_rows"),
    ).with_columns(
        pl.when((pl.col("outcome") == "read") & pl.col("sent_at").is_not_null())
        .then(pl.col("read_hours"))
        .alias("hours_to_read"),
    )
    to_export = (pl.lit(exported_at) - pl.col("sent_at")).dt.total_microseconds() / 3.6e9
    frame = frame.with_columns(
        (pl.col("sent_at") + pl.duration(microseconds=pl.col("hours_to_read") * 3.6e9)).alias(
            "read_at"
        ),
        pl.when(pl.col("hours_to_read").is_not_null())
        .then(pl.col("hours_to_read"))
        .when(pl.col("outcome") == "unread")
        .then(to_export)
        .alias("observed_hours"),
        pl.when(pl.col("hours_to_read").is_not_null())
        .then(True)
        .when((pl.col("outcome") == "unread") & pl.col("sent_at").is_not_null())
        .then(False)
        .alias("event"),
    )
    attempted = frame.filter(pl.col("in_export")).height
    columns = [
        "pnr",
        "in_campaign",
        "in_export",
        "file_name",
        "group",
        "part",
        "age_band",
        "sex",
        "unit",
        "outcome",
        "closed",
        "sent_at",
        "read_at",
        "failure",
        "failure_text",
        "problem",
        "export_rows",
        "hours_to_read",
        "observed_hours",
        "event",
    ]
    summary = {"rows": attempted, "rejected": 0, "duplicate_rows": 0, "with_problems": 0}
    return Outcomes(
        people=frame.select(columns),
        exported_at=exported_at,
        export_summary=summary,
        target_size=frame.height,
        campaign="attack",
    )


def residents(
    n: int, *, file: str, sent: str | None, read: int = 0, read_hours: float = 30.0, **more
) -> pl.DataFrame:
    """``n`` residents of one file sent at ``sent``: the first ``read`` read after
    ``read_hours``, the rest unread; ``more``: age_band, sex, unit (default: spread)."""
    return pl.DataFrame(
        {
            "file_name": [file] * n,
            "age_band": [more.get("age_band") or BANDS[i % 4] for i in range(n)],
            "sex": [more.get("sex") or "FM"[i % 2] for i in range(n)],
            "unit": [more.get("unit") or ("A", "B")[(i // 2) % 2] for i in range(n)],
            "sent": [sent] * n,
            "outcome": ["read" if i < read else "unread" for i in range(n)],
            "read_hours": [read_hours if i < read else None for i in range(n)],
        },
        schema_overrides={"sent": pl.String, "read_hours": pl.Float64},
    )


def _report(tmp_path, outcomes: Outcomes, minimum: int = 5) -> str:
    from support import DEMO_CAMPAIGN

    from inkorg_kit.campaign import load_campaign

    campaign = load_campaign(DEMO_CAMPAIGN)
    path = report.orderer_report(tmp_path, campaign, outcomes, min_group_size=minimum)
    return path.read_text(encoding="utf-8")


def _cells(html_text: str, caption: str) -> dict[str, list[str]]:
    """A table of the report by its caption: first cell -> the other cells (text)."""
    table = re.search(
        rf"<table><caption>{re.escape(caption)}</caption>.*?</table>", html_text, flags=re.S
    )
    assert table, caption
    rows = re.findall(r"<tr>(.*?)</tr>", table.group(0), flags=re.S)
    out = {}
    for row in rows[1:]:
        cells = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        out[cells[0]] = cells[1:]
    return out


def _number(text: str) -> int | None:
    digits = text.replace("\u00a0", "").replace(" ", "")
    return int(digits) if digits.isdigit() else None


def test_attack_1_a_hidden_file_is_not_its_hour_minus_the_other_file(tmp_path):
    """Files 001 and 002 are sent at 09:05 and 09:10, 3 of file 001 read: file 001 is hidden,
    but the hour 09:00 (103 read) less file 002 (100 read) must not give the 3 away."""
    people = pl.concat(
        [
            residents(10, file="001", sent="2027-03-16 09:05", read=3),
            residents(150, file="002", sent="2027-03-16 09:10", read=100),
            residents(150, file="003", sent="2027-03-16 10:05", read=100),
            residents(8, file="004", sent="2027-03-16 10:10", read=6),
        ]
    )
    text = _report(tmp_path, outcomes_of(people))
    files, hours = _cells(text, "Fil"), _cells(text, "Timme för utskick")
    read = 3  # "Lästa" is the fourth number column (Skickade, Misslyckade, Levererade, Lästa)
    assert files["001"][read] == report.HIDDEN
    hour, other = _number(hours["09:00"][read]), _number(files["002"][read])
    assert hour is None or other is None, f"09:00 shows {hour} read and file 002 {other}"


def test_attack_1_a_hidden_file_is_not_its_unit_minus_the_other_files(tmp_path):
    """Files grouped by unit: unit B's files are 003 and 004; 004 (2 read) is hidden."""
    people = pl.concat(
        [
            residents(120, file="001", sent="2027-03-16 09:05", read=60, unit="A"),
            residents(120, file="002", sent="2027-03-16 10:05", read=70, unit="A"),
            residents(100, file="003", sent="2027-03-16 11:05", read=50, unit="B"),
            residents(9, file="004", sent="2027-03-16 11:10", read=2, unit="B"),
            residents(9, file="005", sent="2027-03-16 13:10", read=7, unit="C"),
            residents(90, file="006", sent="2027-03-16 14:10", read=40, unit="C"),
        ]
    )
    published = report.disclose(outcomes_of(people))
    assert published.audit().ok, published.audit().problems()
    table = published.group_table()
    cell = {(r["Indelning"], r["Grupp"]): r["Lästa"] for r in table.iter_rows(named=True)}
    assert cell[("Fil", "004")] == report.HIDDEN
    unit, other = _number(cell[("Enhet", "B")]), _number(cell[("Fil", "003")])
    assert unit is None or other is None


def _attack_2_people() -> pl.DataFrame:
    """144 residents: 75 read within 3 days (52,1 %), 2 more by 7 days (53,5 %)."""
    people = residents(144, file="001", sent="2027-03-16 09:05", read=77, read_hours=30.0)
    hours = [30.0 + 0.5 * i for i in range(75)] + [100.0, 101.0] + [None] * 67
    return people.with_columns(pl.Series("read_hours", hours, dtype=pl.Float64))


def test_attack_2_read_within_does_not_give_a_small_increment_away(tmp_path):
    text = _report(tmp_path, outcomes_of(_attack_2_people()))
    within = _cells(text, "Andel som läst inom en viss tid (95 % KI)")
    n = 144
    for group, cells in within.items():
        shares = [
            float(c.split("\u00a0%")[0].replace(",", ".")) / 100
            for c in cells
            if c != report.HIDDEN
        ]
        counts = [round(s * n) for s in shares] if group == "Alla" else []
        steps = [b - a for a, b in itertools.pairwise(counts)]
        assert not [s for s in steps if 0 < s < 5], (group, cells)


def _line_shares(html_text: str) -> set[float]:
    """The shares the read curves' lines are drawn at (y in a 300 px plot, 0 at the bottom)."""
    svg = re.search(r"<svg.*?</svg>", html_text, flags=re.S).group(0)
    out = set()
    for group in re.findall(r'aria-roledescription="line mark".*?</g>', svg, flags=re.S):
        for path in re.findall(r'd="(M[^"]+)"', group):
            for y in re.findall(r"[ML][\d.]+,([\d.]+)", path):
                out.add(round(1 - float(y) / 300, 3))
    return out


def test_attack_2_the_curves_carry_nothing_the_table_does_not(tmp_path):
    """The curve's SVG path (three decimals over 300 px) gave counts hour by hour."""
    text = _report(tmp_path, outcomes_of(_attack_2_people()))
    within = _cells(text, "Andel som läst inom en viss tid (95 % KI)")
    published = {0.0} | {
        round(float(c.split("\u00a0%")[0].replace(",", ".")) / 100, 3)
        for cells in within.values()
        for c in cells
        if c != report.HIDDEN
    }
    drawn = _line_shares(text)
    assert drawn, "no curve drawn"
    assert drawn <= published, sorted(drawn - published)[:10]


def test_the_audit_finds_attack_1_in_table_by_table_suppression():
    """The audit itself: with the old table-by-table pattern, file 001 is pinned at 3 read."""
    from inkorg_kit.report.audit import audit, linked_tables, pinned

    people = pl.concat(
        [
            residents(10, file="001", sent="2027-03-16 09:05", read=3),
            residents(150, file="002", sent="2027-03-16 09:10", read=100),
            residents(150, file="003", sent="2027-03-16 10:05", read=100),
            residents(8, file="004", sent="2027-03-16 10:10", read=6),
        ]
    )
    outcomes = outcomes_of(people)
    tables = linked_tables(outcomes)
    old = report.suppress(__import__("inkorg_kit").followup.group_table(outcomes), 5)
    shown = [("total", k) for k in ("attempted", "delivered", "read", "unread", "failed")]
    for row in old.filter(~pl.col("suppressed") & (pl.col("dimension") != "overall")).iter_rows(
        named=True
    ):
        for count in ("sent", "failed", "delivered", "read", "n"):
            shown.append(("group", row["dimension"], row["group"], count))
    verdict = audit(tables, shown, 5)
    assert not verdict.ok
    keys = {i.target.key for i in verdict.pinned}
    assert ("group", "file_name", "001", "read") in keys
    interval = next(i for i in verdict.pinned if i.target.key[:2] == ("group", "file_name"))
    assert pinned(interval.low, interval.high, 5) in range(1, 5)


# --------------------------------------------------------------------------- generated exports


@st.composite
def exports(draw) -> pl.DataFrame:
    """A status export's outcomes: 1-8 files of skewed sizes (60 to 4800 residents in all) in
    send hours (some files share an hour; half the time each unit holds whole files), age
    bands and sexes skewed, cells of 1-3 residents; some failed, some missing from the export."""
    files = draw(st.integers(1, 8))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    by_unit = draw(st.booleans())
    frames = []
    for f in range(files):
        small, large = st.integers(1, 9), st.integers(60, 600)
        size = draw(large if f == 0 else st.one_of(small, st.integers(10, 60), large))
        hour = 9 + draw(st.integers(0, max(0, files // 2)))
        day = 16 + draw(st.integers(0, 1))
        p_read = draw(st.floats(0.0, 1.0))
        p_fail = draw(st.sampled_from([0.0, 0.01, 0.05, 0.2]))
        p_missing = draw(st.sampled_from([0.0, 0.0, 0.02, 0.3]))
        band_weights = rng.dirichlet(np.full(len(BANDS), draw(st.sampled_from([0.3, 1.0, 5.0]))))
        roll = rng.random(size)
        outcome = np.where(
            roll < p_missing,
            "not_in_export",
            np.where(
                roll < p_missing + p_fail,
                "failed",
                np.where(rng.random(size) < p_read, "read", "unread"),
            ),
        )
        hours = rng.lognormal(2.5, 1.5, size)
        frames.append(
            pl.DataFrame(
                {
                    "file_name": [f"{f + 1:03d}"] * size,
                    "age_band": rng.choice(BANDS, size, p=band_weights),
                    "sex": rng.choice(["F", "M"], size, p=[0.7, 0.3]),
                    "unit": [f"U{f % 3}"] * size if by_unit else rng.choice(["U0", "U1"], size),
                    "sent": [f"2027-03-{day} {hour:02d}:{5 * (f % 12):02d}"] * size,
                    "outcome": outcome,
                    "read_hours": np.where(outcome == "read", hours, np.nan),
                    "failure": pl.Series(
                        np.where(
                            outcome == "failed",
                            rng.choice(["no_login", "locked", "other"], size, p=[0.8, 0.15, 0.05]),
                            None,
                        ).tolist(),
                        dtype=pl.String,
                    ),
                }
            ).with_columns(pl.col("read_hours").fill_nan(None))
        )
    return pl.concat(frames)


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(exports(), st.sampled_from([5, 5, 5, 10]))
def test_no_published_figure_is_small_and_no_hidden_one_is_pinned(people, minimum):
    outcomes = outcomes_of(people)
    lists = {
        "unread": int((people["outcome"] == "unread").sum()),
        "failed_no_login": int((people["failure"] == "no_login").sum()),
        "failed_locked": int((people["failure"] == "locked").sum()),
        "failed_other": int((people["failure"] == "other").sum()),
        "not_in_export": int((people["outcome"] == "not_in_export").sum()),
        "after_working_hours": 24,
    }
    published = report.disclose(outcomes, lists, minimum)
    verdict = published.audit()
    assert verdict.ok, verdict.problems()
    # and the displays themselves: no count 1 to minimum - 1 in any table (the first two
    # headline rows, the target group and the recipient files, are the orderer's own order)
    counts = ("Skickade", "Misslyckade", "Levererade", "Lästa")
    tables = [published.counts_table().slice(2).select("Antal")]
    tables.append(published.group_table().select(counts))
    missing = published.missing_table()
    if missing is not None:
        tables.append(missing.select("Saknas i exporten"))
    for table in tables:
        for column in table.columns:
            for cell in table[column].to_list():
                value = _number(cell or "")
                assert value is None or not 0 < value < minimum, (column, cell)
