"""Every attack of issue 13 ("Privacy that holds under attack"), each as a test that failed on
the code before the fix: disclosure by subtraction across linked tables and read-over-time
increments, masking that missed shapes, personnummer in notebook parameters, group_by on
personnummer, YAML alias bombs and oversized files, truncated lists, unsafe run folders,
verify after a kill, the password in every kernel, and retention.

Only Skatteverket's published test numbers are used.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import re
import stat
import warnings
from pathlib import Path
from zoneinfo import ZoneInfo

import nbformat
import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import (
    DEMO_CAMPAIGN,
    DEMO_CAMPAIGN_NAME,
    REPO,
    TWO_UNITS,
    RunFolderBuilder,
    assert_no_personnummer,
    build_run_folder,
    shuffled_adults,
    skatteverket_numbers,
    write_excel_export,
)

from inkorg_kit import cli, pnr, recipients, report, target
from inkorg_kit import followup as fu
from inkorg_kit import recipients as rc
from inkorg_kit._files import UnsafeFolderError, ensure_private_dir
from inkorg_kit.campaign import CampaignError, load_campaign
from inkorg_kit.cli import main
from inkorg_kit.config.assumptions import load_assumptions
from inkorg_kit.config.yaml import MAX_YAML_BYTES, MAX_YAML_NODES, parse_yaml, read_yaml
from inkorg_kit.errors import AssumptionsError, InkorgError, UsageError
from inkorg_kit.followup import Outcomes
from inkorg_kit.followup.codes import FAILURE, OUTCOME
from inkorg_kit.followup.reconcile import OUTCOME_COLUMNS, observation_columns
from inkorg_kit.io import TruncatedInputWarning, read_pnr_column
from inkorg_kit.privacy import find_in_text
from inkorg_kit.recipients import splitting
from inkorg_kit.run import RunFolder
from inkorg_kit.target import TargetSpec
from inkorg_kit.target.lists import read_list

# ==========================================================================================
# 1-2. A hidden count derivable by subtraction; read-over-time increments and curves
# Attacks on the report's disclosure control (issue 13, attacks 1 and 2) and the audit that
# proves the report holds: no count from 1 to 4 is shown, or can be worked out from everything
# the report and notebook 04 publish together.


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
    frame = frame.with_columns(
        (pl.col("sent_at") + pl.duration(microseconds=pl.col("hours_to_read") * 3.6e9)).alias(
            "read_at"
        ),
        *observation_columns(exported_at),
    )
    attempted = frame.filter(pl.col("in_export")).height
    columns = list(OUTCOME_COLUMNS)
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


# ==========================================================================================
# 3. Masking misses shapes that logs and tracebacks really hold
# Attack 3 of issue 13: personnummer in shapes the text scanner missed.
#
# ``pnr.find_in_text`` / ``mask_in_text`` refused a number with letters straight before it, a
# ``.`` or ``,`` and a digit after it, and never decoded scientific notation: a float from Excel or
# pandas (``199308152389.0``, ``1.99308152389e+11``), two numbers joined by a comma, ``pnr`` glued
# to the number, or an escape (``\n``) before it went out in full. A status export whose ``Läst``
# cells hold such floats put every one of them into the error of ``load_status`` (and so into the
# stderr of ``inkorg-kit report`` and the executed notebook).


REF_MASKING = "2026-11-21"
A, B = "199308152389", "199001012385"  # Skatteverket test numbers
TEN = "9001012385"  # B in its ten-digit form

# (text, the digits that must not survive masking)
ATTACKS = {
    "float from Excel or pandas": (f"Läst: {A}.0", [A]),
    "float, Swedish decimal comma": (f"Läst: {A},0", [A]),
    "scientific notation": ("value 1.99308152389e+11 in cell", [A]),
    "scientific notation, comma and E": ("1,99308152389E+11", [A]),
    "scientific notation, ten digits": ("9.001012385e+09", [TEN]),
    "two numbers joined by a comma": (f"{A},{B}", [A, B]),
    "letters straight before": (f"pnr{A}", [A]),
    "letters straight before and after": (f"pnr{A}x", [A]),
    "escape before (repr of a string)": (f"'\\n{A}\\t'", [A]),
    "JSON with numbers": (f'{{"pnr":{A}.0,"b":[{A},{B}]}}', [A, B]),
    "ten digits after letters": (f"id:x{TEN}", [TEN]),
}


def _digit_runs(masked: str) -> list[str]:
    """Runs of digits once every character but digits and the mask's ``*`` is dropped."""
    return re.findall(r"\d+", re.sub(r"[^\d*]", "", masked))


@pytest.mark.parametrize("case", list(ATTACKS))
def test_each_shape_is_found_and_masked(case: str) -> None:
    text, numbers = ATTACKS[case]
    found = pnr.find_in_text(text, reference_date=REF_MASKING)
    assert found, f"{case}: nothing found in {text!r}"
    masked = pnr.mask_in_text(text, reference_date=REF_MASKING)
    for number in numbers:
        assert number not in masked, masked
    assert all(len(run) < 10 for run in _digit_runs(masked)), masked
    assert pnr.find_in_text(masked, reference_date=REF_MASKING) == []


def test_many_texts_at_once_mask_every_shape() -> None:
    texts = [text for text, _ in ATTACKS.values()]
    masked = pnr.mask_in_texts(texts, reference_date=REF_MASKING)
    assert all(m != t for m, t in zip(masked, texts, strict=True))
    assert masked == [pnr.mask_in_text(t, reference_date=REF_MASKING) for t in texts]
    assert not any(pnr.find_in_text(m, reference_date=REF_MASKING) for m in masked)


def test_scientific_notation_is_masked_as_a_whole_token() -> None:
    masked = pnr.mask_in_text("x 1.99308152389e+11 y", reference_date=REF_MASKING)
    assert masked == "x 1.9930815****e+** y"  # the birth date, nothing of the rest
    assert pnr.mask_in_text("9.001012385e+09", reference_date=REF_MASKING) == "9.00101****e+**"


def test_a_status_export_with_float_read_times_stops_without_a_full_number(
    tmp_path: Path,
) -> None:
    """The ``Läst`` cells hold the personnummer as floats (``<12 digits>.0``): a wrongly
    mapped column. The run stops, quoting some cells; none may be a full number."""
    numbers = shuffled_adults(3).to_list()
    floats = [n.replace("-", "") + ".0" for n in numbers]
    rows = [f"{n};2027-03-16 09:00;Läst;{x}" for n, x in zip(numbers, floats, strict=True)]
    path = write_excel_export(tmp_path / "e.csv", "Personnummer;Skickat;Status;Läst", rows)
    with pytest.raises(fu.StatusExportError) as raised:
        fu.load_status(path)
    message = str(raised.value)
    assert "a time that cannot be read" in message  # the cells are quoted ...
    for x in floats:
        assert x[:-2] not in message  # ... masked
    assert pnr.find_in_text(message) == []


# ==========================================================================================
# 4. Parameters written unmasked into executed notebooks
# Attack 4 of issue 13: parameters written unmasked into executed notebooks.
#
# A personnummer typed into ``--override-reason`` (or a notebook's ``source``, or the
# ``--status-export`` path) stood in full in the executed notebook's injected-parameters cell and
# in ``metadata.papermill.parameters``; only outputs were masked. Now such a value is refused
# before anything runs (``inkorg-kit run`` and ``report``, and :func:`inkorg_kit.cli.run_step`),
# naming the parameter and showing the value masked; and the executed notebook is masked whole
# (sources, outputs, notebook and cell metadata) as a second line of defence.


NUMBER = skatteverket_numbers()[3]  # YYYYMMDD-NNNN, a published test number
DIGITS = NUMBER.replace("-", "")
MASKED = NUMBER[:9] + "****"


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """run_step replaced: the steps that would have run (nothing must)."""
    steps: list[str] = []

    def fake_run_step(step, run_dir, parameters, **kwargs):
        steps.append(step)
        executed = Path(kwargs.get("output_dir") or Path(run_dir) / "notebooks") / f"{step}.ipynb"
        executed.parent.mkdir(parents=True, exist_ok=True)
        executed.write_text("{}", encoding="utf-8")
        return executed

    monkeypatch.setattr(cli.runner, "run_step", fake_run_step)
    monkeypatch.setenv(cli.PASSWORD_ENV, "ett-långt-testlösenord")
    monkeypatch.chdir(REPO)
    return steps


def _refused_notebooks(capsys, code: int, option: str) -> str:
    err = capsys.readouterr().err
    assert code == 2, err
    assert option in err and "personnummer" in err
    assert_no_personnummer(err, "the refusal")
    return err


def test_a_personnummer_in_the_override_reason_is_refused_before_anything_runs(
    tmp_path: Path, recorded: list[str], capsys
) -> None:
    run = tmp_path / "run"
    args = ["run", str(DEMO_CAMPAIGN), "--run-dir", str(run), "--steps", cli.STEPS[0]]
    code = cli.main([*args, "--override-reason", f"godkänt för {NUMBER} av chefen"])
    err = _refused_notebooks(capsys, code, "--override-reason")
    assert MASKED in err  # the value is shown, masked, so the analyst sees what was meant
    assert not recorded and not run.exists()


@pytest.mark.parametrize("command", ["run", "report"])
def test_a_personnummer_in_the_status_export_path_is_refused_before_anything_runs(
    tmp_path: Path, recorded: list[str], capsys, command: str
) -> None:
    export = tmp_path / f"export_{DIGITS}.csv"
    export.write_text("x\n", encoding="utf-8")
    run = tmp_path / "run"
    args = [command, str(DEMO_CAMPAIGN), "--run-dir", str(run), "--status-export", str(export)]
    if command == "run":
        args += ["--steps", cli.STEPS[4]]
    _refused_notebooks(capsys, cli.main(args), "--status-export")
    assert not recorded and not run.exists()


def test_run_step_refuses_a_parameter_holding_a_personnummer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before any kernel starts: a notebook's ``source`` naming a person's file, say."""
    started: list[str] = []
    monkeypatch.setattr(cli.runner.pm, "execute_notebook", lambda *a, **k: started.append("x"))
    for parameters, name in (
        ({"source": f"listor/{DIGITS}.csv"}, "source"),
        ({"run_dir": str(tmp_path), "reference_date": [f"{NUMBER}"]}, "reference_date"),
    ):
        with pytest.raises(UsageError) as refused:
            cli.run_step(cli.STEPS[1], tmp_path / "run", parameters, progress=False)
        message = str(refused.value)
        assert name in message and "personnummer" in message
        assert_no_personnummer(message, "the refusal")
    assert not started and not (tmp_path / "run").exists()


def test_an_executed_notebook_is_masked_whole_parameters_and_metadata_too(
    tmp_path: Path,
) -> None:
    """The second line of defence: whatever reaches an executed notebook is masked, in the
    injected-parameters cell, ``metadata.papermill.parameters``, cell metadata and outputs."""
    import papermill as pm

    source = tmp_path / "nb.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    parameters = nbformat.v4.new_code_cell('override_reason = ""  # why\nsource = []  # lists')
    parameters.metadata["tags"] = ["parameters"]
    shown = nbformat.v4.new_code_cell("print(override_reason)")
    shown.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"{NUMBER}\n")]
    shown.metadata["note"] = f"läst {DIGITS}.0"
    nb.cells = [parameters, shown]
    nbformat.write(nb, source)
    executed = tmp_path / "out" / "nb.ipynb"
    executed.parent.mkdir()
    pm.execute_notebook(  # the injected cell and metadata as papermill writes them, no kernel
        str(source),
        str(executed),
        parameters={"override_reason": f"ok enligt {NUMBER}", "source": [DIGITS]},
        prepare_only=True,
        progress_bar=False,
    )
    assert NUMBER in executed.read_text(encoding="utf-8")  # what papermill writes
    cli.privatise_executed(executed)
    text = executed.read_text(encoding="utf-8")
    assert_no_personnummer(text, str(executed))
    written = nbformat.read(executed, as_version=4)
    assert written.metadata.papermill.parameters["override_reason"] == f"ok enligt {MASKED}"
    injected = [c for c in written.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert f'override_reason = "ok enligt {MASKED}"' in injected[0].source
    assert written.cells[-1].metadata["note"] == f"läst {DIGITS[:8]}****.0"


# ==========================================================================================
# 5. group_by on a column holding personnummer
# Attack 5 of issue 13: ``group_by`` on a column that holds personnummer (notebook 02).
#
# The group's value goes into every file name, and so into ``send_plan.csv``, the ``.ics``
# files for Outlook and the manifest: grouping by a column of personnummer published them in
# full. ``group_by='pnr'`` failed with a polars ``DuplicateError``, and the error for two values
# with the same file-name form quoted both raw. Now :func:`recipients.split` refuses a grouping
# column that is the personnummer column, whose values hold personnummer (in any shape), or that
# has so many distinct values that it cannot be a grouping; and its errors mask the values.


NUMBERS_GROUP_BY = list(skatteverket_numbers()[:40])


def _frame(**columns: list) -> pl.DataFrame:
    return pl.DataFrame(
        {"pnr": NUMBERS_GROUP_BY, "status": ["ok"] * len(NUMBERS_GROUP_BY), **columns}
    )


def _refused_group_by(frame: pl.DataFrame, group_by: str) -> str:
    with pytest.raises(InkorgError) as refused:
        rc.split(frame, group_by=group_by, part_size=10)
    message = str(refused.value)
    assert_no_personnummer(message, "the refusal")
    assert f"group_by={group_by!r}" in message
    assert "unit" in message  # says what to group by instead
    return message


def test_grouping_by_the_personnummer_column_is_refused_with_a_message() -> None:
    message = _refused_group_by(_frame(), "pnr")
    assert "personnummer" in message


@pytest.mark.parametrize(
    "values",
    [
        NUMBERS_GROUP_BY[::-1],  # another column of personnummer (a contact, a guardian)
        [n.replace("-", "") for n in NUMBERS_GROUP_BY],  # twelve digits
        [int(n.replace("-", "")) for n in NUMBERS_GROUP_BY],  # read as numbers from Excel
        [TWO_UNITS[0]] * 39 + [f"BVC, kontakt {NUMBERS_GROUP_BY[5]}"],  # one unit's name holds one
    ],
    ids=["pnr-text", "digits", "integers", "one-value"],
)
def test_grouping_by_a_column_holding_personnummer_is_refused(values: list) -> None:
    message = _refused_group_by(_frame(kontakt=values), "kontakt")
    assert "personnummer" in message and "file names" in message


def test_a_column_with_a_value_per_person_is_no_grouping() -> None:
    numbers = list(skatteverket_numbers()[:3000])
    frame = pl.DataFrame(
        {"pnr": numbers, "status": ["ok"] * len(numbers), "rad": [f"r{i}" for i in range(3000)]}
    )
    with pytest.raises(InkorgError, match="distinct values") as refused:
        rc.split(frame, group_by="rad")
    assert "unit" in str(refused.value)


def test_the_file_name_collision_error_masks_the_values() -> None:
    values = pl.Series([f"Kontakt {NUMBERS_GROUP_BY[1]}", f"kontakt-{NUMBERS_GROUP_BY[1]}"])
    with pytest.raises(InkorgError, match="same file") as refused:
        splitting.group_slugs(values, "kontakt")
    assert_no_personnummer(str(refused.value), "the collision error")
    empty = pl.Series(["---", "a"])
    with pytest.raises(InkorgError, match="no letters or digits"):
        splitting.group_slugs(empty, "enhet")


def test_units_still_group(tmp_path) -> None:
    units = [TWO_UNITS[i % 2] for i in range(len(NUMBERS_GROUP_BY))]
    parts = rc.split(_frame(enhet=units), group_by="enhet", part_size=10)
    assert sorted(set(parts.frame["group"].to_list())) == sorted(TWO_UNITS)


# ==========================================================================================
# 6. A YAML alias bomb and oversized campaign files
# Attack 6 of issue 13: YAML that costs time or memory instead of holding a campaign.
#
# A "billion laughs" alias bomb (nine anchors of ten lists, the last used as ``title: *i``) took
# gigabytes before it was refused, a 60 MB campaign file was read for half a minute, and deep
# nesting ended in a ``RecursionError``. The strict loader now refuses every alias (naming its
# line and saying to write the value out), every YAML file over the size limit before reading it,
# and nesting deeper than any kit file needs, each as the usual error naming the file and line.


DEMO = REPO / "params" / "demo" / "campaign.yaml"


def _demo_text() -> str:
    return DEMO.read_text(encoding="utf-8")


def _bomb_lines() -> list[str]:
    """Nine anchors, each a list of ten aliases of the one before: 10**9 leaves if expanded."""
    lines = ["  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for before, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"  {name}: &{name} [" + ", ".join([f"*{before}"] * 10) + "]")
    return lines


def _line_of(text: str, pattern: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if re.search(pattern, line))


def test_the_alias_bomb_in_a_campaign_is_refused_naming_the_line(tmp_path: Path) -> None:
    text = "laughs:\n" + "\n".join(_bomb_lines()) + "\n"
    text += re.sub(r"(?m)^title:.*$", "title: *i", _demo_text())
    path = tmp_path / "bomb.yaml"
    path.write_text(text, encoding="utf-8")
    first_alias = _line_of(text, r"\*a\b")
    with pytest.raises(CampaignError) as raised:
        load_campaign(path)
    message = str(raised.value)
    assert "bomb.yaml" in message
    assert f"line {first_alias}," in message
    assert "*a" in message and "write the value out" in message


def test_one_alias_in_a_campaign_is_refused(tmp_path: Path) -> None:
    text = _demo_text().replace("  name: Karin Lindqvist", "  name: &who Karin Lindqvist")
    text = text.replace("  name: Johan Ekström", "  name: *who")
    path = tmp_path / "alias.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CampaignError, match=r"line \d+, column \d+: an alias \(\*who\)") as raised:
        load_campaign(path)
    anchored = _line_of(text, r"&who")
    assert f"anchored at line {anchored}" in str(raised.value)


def test_a_merge_key_is_an_alias_too() -> None:
    text = "base: &base {share: 0.5}\nband:\n  <<: *base\n  extra: 1\n"
    with pytest.raises(InkorgError, match=r"merge\.yaml: .*line 3, column 7: an alias \(\*base\)"):
        parse_yaml(text, "merge.yaml")


def test_a_file_of_very_many_small_values_is_refused_where_the_limit_is_passed() -> None:
    """Within the size limit but slow to parse: a list of 20 000 numbers (80 kB)."""
    text = "bands:\n" + "  - 1\n" * (2 * MAX_YAML_NODES)
    line = MAX_YAML_NODES - 1  # the mapping, its key and the list count too; line 1 is the key
    with pytest.raises(InkorgError, match=rf"many\.yaml: not valid YAML at line {line}, "):
        parse_yaml(text, "many.yaml")


def test_the_alias_bomb_in_reach_assumptions_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "fitted_reach.yaml"
    path.write_text("laughs:\n" + "\n".join(_bomb_lines()) + "\nbands: *i\n", encoding="utf-8")
    with pytest.raises(AssumptionsError, match=r"fitted_reach\.yaml: .*write the value out"):
        load_assumptions(path)


def test_a_campaign_file_over_the_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    """Just over the limit (a valid campaign padded with a comment), and 60 MB (sparse)."""
    text = _demo_text()
    padding = MAX_YAML_BYTES + 1 - len(text.encode("utf-8")) - 2
    path = tmp_path / "lang.yaml"
    path.write_text(text + "#" + "x" * padding + "\n", encoding="utf-8")
    size = path.stat().st_size
    assert size == MAX_YAML_BYTES + 1
    with pytest.raises(CampaignError) as raised:
        load_campaign(path)
    message = str(raised.value)
    assert "lang.yaml" in message
    assert f"{size:,} bytes" in message and f"{MAX_YAML_BYTES:,} bytes" in message
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as handle:
        handle.truncate(60_000_000)
    with pytest.raises(CampaignError, match=r"huge\.yaml: .*60,000,000 bytes"):
        load_campaign(huge)
    with pytest.raises(InkorgError, match=r"huge\.yaml: .*60,000,000 bytes"):
        read_yaml(huge)


def test_text_over_the_limit_is_refused_too() -> None:
    with pytest.raises(InkorgError, match=r"big\.yaml: .*bytes"):
        parse_yaml("a: " + "x" * MAX_YAML_BYTES + "\n", "big.yaml")


@pytest.mark.parametrize(
    "text",
    [
        "a: " + "[" * 20_000 + "]" * 20_000 + "\n",
        "a: " + "{b: " * 5_000 + "}" * 5_000 + "\n",
        "".join(" " * depth + f"k{depth}:\n" for depth in range(500)),
    ],
    ids=["flow-lists", "flow-maps", "blocks"],
)
def test_deep_nesting_is_an_error_naming_the_line_not_a_recursion_error(text: str) -> None:
    with pytest.raises(InkorgError, match=r"deep\.yaml: not valid YAML at line \d+, column \d+"):
        parse_yaml(text, "deep.yaml")


# ==========================================================================================
# 7. A truncated one-column list can message the wrong person
# Attack 7 of issue 13: a truncated one-column list.
#
# A list of 12-digit numbers whose last line was cut to 10 digits (a copy that stopped short, a
# file saved while still being written) read the cut value as another valid number: a 2010 birth
# became a 2020 one, and the wrong person could be messaged or left unexcluded, silently. The last
# value of a file that does not end in a newline, with fewer digits than the values before it, is
# now rejected as ``truncated``, with a warning; it is still counted.


REF_TRUNCATED = dt.date(2027, 3, 16)
NO_FLAGS = {
    "exclude_deceased": False,
    "exclude_protected_identity": False,
    "exclude_opted_out": False,
}


def _cut_list(tmp_path: Path, name: str = "lista.txt") -> tuple[Path, list[str], str]:
    """Five 12-digit test numbers; the last (born 2010) cut to 10 digits, no final newline.
    Returns the file, the numbers, and the number the cut value reads as (born 2020)."""
    born_2010 = [n.replace("-", "") for n in skatteverket_numbers() if n.startswith("2010")]
    last = next(n for n in born_2010 if pnr.is_valid(n[:10], reference_date=REF_TRUNCATED))
    others = [n.replace("-", "") for n in skatteverket_numbers()[:4]]
    path = tmp_path / name
    path.write_text("\n".join([*others, last[:10]]), encoding="utf-8")
    misread = pnr.normalise(last[:10], reference_date=REF_TRUNCATED)
    assert misread.startswith("2020")  # the danger: another valid number
    return path, [*others, last], misread


def test_a_list_cut_in_its_last_value_rejects_that_row_as_truncated(tmp_path: Path) -> None:
    path, numbers, misread = _cut_list(tmp_path)
    with pytest.warns(TruncatedInputWarning, match="avkortad") as caught:
        values = read_pnr_column(path)
    cleaned = pnr.clean(values, reference_date=REF_TRUNCATED)
    assert cleaned.height == 5  # rejected, not dropped
    assert cleaned["status"].to_list() == ["ok"] * 4 + ["rejected"]
    assert cleaned["reason"][-1] == "truncated"
    assert misread not in cleaned["pnr"].to_list()
    message = str(caught[0].message)
    assert "rad 5" in message and str(path) in message
    assert numbers[-1][:10] not in message  # the cut value is masked
    assert pnr.find_in_text(message) == []


def test_an_exclusion_list_cut_short_does_not_exclude_the_wrong_person(tmp_path: Path) -> None:
    path, _, misread = _cut_list(tmp_path)
    with pytest.warns(TruncatedInputWarning):
        read = read_list(path, REF_TRUNCATED, "exclude_lists")
    assert read.invalid == 1 and misread not in read.numbers.to_list()
    assert "avkortad sista rad" in (read.note() or "")


def test_a_recipient_list_cut_short_counts_the_row_as_rejected(tmp_path: Path) -> None:
    path, _, misread = _cut_list(tmp_path)
    with pytest.warns(TruncatedInputWarning):
        frame = recipients.prepare(path, reference_date=REF_TRUNCATED)
    assert frame.height == 5
    assert frame.filter(pl.col("status") == "rejected")["reason"].to_list() == ["truncated"]
    assert misread not in frame["pnr"].to_list()


def test_a_target_extract_cut_short_has_a_funnel_step_for_it(tmp_path: Path) -> None:
    path, _, misread = _cut_list(tmp_path, "utdrag.csv")
    with pytest.warns(TruncatedInputWarning):
        result = target.select(TargetSpec(**NO_FLAGS), source=path, reference_date=REF_TRUNCATED)
    removed = dict(result.funnel.select("step", "removed").iter_rows())
    assert removed["rejected_truncated"] == 1
    labels = dict(result.funnel.select("step", "label").iter_rows())
    assert "avkortad sista rad" in labels["rejected_truncated"]
    assert misread not in result.group["personnummer"].to_list()


def test_a_whole_list_without_a_final_newline_is_read_as_it_is(tmp_path: Path) -> None:
    numbers = [n.replace("-", "") for n in skatteverket_numbers()[:5]]
    path = tmp_path / "hel.txt"
    path.write_text("\n".join(numbers), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = read_pnr_column(path)
    assert values.to_list() == numbers
    assert pnr.clean(values, reference_date=REF_TRUNCATED)["status"].to_list() == ["ok"] * 5


# ==========================================================================================
# 8. Run folders through symlinks, foreign owners, failed chmod
# Attack 8 of issue 13: run folders that are not the analyst's own, private folder.
#
# With ``--run-dir`` (or notebook parameter ``run_dir``) a symlink to an existing 0755 folder,
# the run wrote through the link and the folder holding ``target_group.parquet`` and the ``.7z``
# stayed 0755; ``ensure_private_dir`` swallowed chmod errors and never checked the owner. Now a
# run folder that is a symbolic link, or belongs to another user, is refused where it is resolved
# (``Campaign.run_folder``, which the CLI, the notebooks and the demo all go through) and where a
# folder for personnummer is made (``ensure_private_dir(..., tighten=True)``); an existing run
# folder is made owner-only, and a chmod that fails is an error.
#
# The tests run as root, so another owner is simulated by making ``os.geteuid`` answer another
# user id, and a failing chmod by making ``os.chmod`` fail.


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def open_folder(tmp_path: Path) -> Path:
    """An existing folder anyone may read (0755), as made by hand or by ``mkdir`` on a server."""
    folder = tmp_path / "shared"
    folder.mkdir()
    os.chmod(folder, 0o755)
    return folder


@pytest.fixture
def link(tmp_path: Path, open_folder: Path) -> Path:
    path = tmp_path / "link"
    path.symlink_to(open_folder, target_is_directory=True)
    return path


def test_a_symlinked_run_folder_is_refused_and_nothing_is_written_through_it(
    link: Path, open_folder: Path
) -> None:
    campaign = load_campaign(DEMO_CAMPAIGN)
    with pytest.raises(UnsafeFolderError) as raised:
        campaign.run_folder(link)
    message = str(raised.value)
    assert str(link) in message and "symbolic link" in message and str(open_folder) in message
    assert isinstance(raised.value, InkorgError)
    assert list(open_folder.iterdir()) == []
    assert _mode(open_folder) == 0o755  # not tightened through the link either


def test_the_default_run_folder_may_not_be_a_symlink(
    tmp_path: Path, open_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / DEMO_CAMPAIGN_NAME).symlink_to(open_folder, target_is_directory=True)
    with pytest.raises(UnsafeFolderError, match="symbolic link"):
        load_campaign(DEMO_CAMPAIGN).run_folder()
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    with pytest.raises(UnsafeFolderError, match="symbolic link"):
        load_campaign(DEMO_CAMPAIGN).run_folder(dangling)
    assert not (tmp_path / "nowhere").exists()


def test_a_folder_for_personnummer_may_not_be_a_symlink(link: Path, open_folder: Path) -> None:
    """As the recipient files' folder is made (``tighten=True``), inside a run folder."""
    with pytest.raises(UnsafeFolderError, match="symbolic link"):
        ensure_private_dir(link, tighten=True)
    assert list(open_folder.iterdir()) == [] and _mode(open_folder) == 0o755


def test_inkorg_kit_run_refuses_a_symlinked_run_dir_before_anything_runs(
    link: Path, open_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["run", str(DEMO_CAMPAIGN), "--run-dir", str(link), "--steps", "00_campaign_check"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert str(link) in err and "symbolic link" in err
    assert list(open_folder.iterdir()) == []


def test_an_existing_run_folder_is_made_owner_only(open_folder: Path) -> None:
    assert load_campaign(DEMO_CAMPAIGN).run_folder(open_folder) == open_folder
    assert _mode(open_folder) == 0o700


def test_a_run_folder_of_another_user_is_refused(
    open_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = os.stat(open_folder).st_uid
    monkeypatch.setattr(os, "geteuid", lambda: owner + 1)
    with pytest.raises(UnsafeFolderError) as raised:
        load_campaign(DEMO_CAMPAIGN).run_folder(open_folder)
    message = str(raised.value)
    assert str(open_folder) in message and f"user id {owner}" in message
    assert f"you are {owner + 1}" in message
    with pytest.raises(UnsafeFolderError, match=f"user id {owner}"):
        ensure_private_dir(open_folder, tighten=True)
    assert _mode(open_folder) == 0o755  # refused, not changed


def test_a_failed_chmod_is_an_error(
    tmp_path: Path, open_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(path: object, mode: int, **_: object) -> None:
        raise PermissionError(1, "Operation not permitted", str(path))

    monkeypatch.setattr(os, "chmod", refuse)
    with pytest.raises(UnsafeFolderError, match="Operation not permitted") as raised:
        ensure_private_dir(open_folder, tighten=True)
    assert str(open_folder) in str(raised.value) and "0700" in str(raised.value)
    with pytest.raises(UnsafeFolderError, match="Operation not permitted"):
        load_campaign(DEMO_CAMPAIGN).run_folder(open_folder)
    with pytest.raises(UnsafeFolderError, match="Operation not permitted"):
        ensure_private_dir(tmp_path / "new" / "folder")  # a folder it creates, too


# ==========================================================================================
# 9. verify() after a kill during packaging; the password in every kernel
# Attack 9 of issue 13: ``verify`` after a kill during packaging, and the password's reach.
#
# ``recipients.verify(run_dir)`` with its default ``archive=None`` said OK when a kill during
# ``recipients.package`` had left a ``.part`` file and no ``.7z``; and ``inkorg-kit run`` put the
# archive password into its own environment, so every step's kernel inherited it. Now
# ``verify`` checks the archive unless told ``archive=False`` (a folder never packaged, such as a
# follow-up list), a leftover ``.part`` is a failure, and only step 02's kernel gets the password.


UNCHECKED = "test: no campaign to check"
PASSWORD = "ett-långt-testlösenord"


def _written(run: Path) -> None:
    numbers = list(skatteverket_numbers()[:300])
    frame = pl.DataFrame({"pnr": numbers, "status": ["ok"] * len(numbers)})
    rc.write(rc.split(frame), run, "demo-kampanj", unchecked_reason=UNCHECKED)


def test_verify_fails_after_a_kill_during_packaging(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = tmp_path / "run"
    _written(run)
    archive = rc.archive_path(run, "demo-kampanj")
    # what kill -9 inside package() leaves: the temporary archive, never renamed into place
    part = archive.parent / f".{archive.name}.k1ll3d.part"
    part.write_bytes(b"7z\xbc\xaf\x27\x1c half an archive")
    part.chmod(0o600)
    assert not archive.exists()
    result = rc.verify(run)  # the default: what a caller who forgets the argument gets
    assert not result.ok
    assert "archive" in result.failed()
    details = " ".join(result.failures["detail"].to_list())
    assert part.name in details and "recipients.package" in details
    with pytest.raises(rc.VerificationError):
        result.require_ok()
    # what the finding says to do works: packaging again removes the half archive
    monkeypatch.setenv("INKORG_TEST_ATTACK9", PASSWORD)
    rc.package(run, password_env="INKORG_TEST_ATTACK9", prompt=False)
    assert not part.exists()
    assert rc.verify(run, password_env="INKORG_TEST_ATTACK9").ok


def test_verify_checks_the_archive_by_default_and_only_archive_false_skips_it(
    tmp_path: Path,
) -> None:
    run = tmp_path / "run"
    _written(run)
    assert rc.verify(run).failed() == ["archive"]  # written, never packaged: not deliverable
    assert "missing" in rc.verify(run).failures["detail"][0]
    assert rc.verify(run, archive=False).ok  # a folder that is never packaged (follow-up list)
    part = run / f".{rc.archive_path(run, 'demo-kampanj').name}.x.part"
    part.write_bytes(b"x")
    assert not rc.verify(run, archive=False).ok  # a stopped packaging is flagged even then


# --------------------------------------------------------------------------- the password


def _probe(folder: Path, step: str) -> None:
    """A small notebook standing in for ``step`` that says whether its kernel has the password."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    parameters = nbformat.v4.new_code_cell('campaign_file = ""  # campaign\nrun_dir = ""  # run')
    parameters.metadata["tags"] = ["parameters"]
    probe = nbformat.v4.new_code_cell(
        "import os\n"
        f"print('password', 'present' if os.environ.get({cli.PASSWORD_ENV!r}) else 'absent')"
    )
    nb.cells = [parameters, probe]
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{step}.ipynb")


def _said(executed: Path) -> str:
    return nbformat.read(executed, as_version=4).cells[-1].outputs[0]["text"].strip()


@pytest.mark.slow
def test_the_password_reaches_step_02s_kernel_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notebooks = tmp_path / "notebooks"
    for step in (cli.STEPS[0], cli.STEPS[2]):
        _probe(notebooks, step)
    monkeypatch.setattr(cli.runner, "NOTEBOOK_DIR", notebooks)
    monkeypatch.setenv(cli.PASSWORD_ENV, PASSWORD)  # exported in the shell, as the README says
    monkeypatch.chdir(REPO)
    run = tmp_path / "run"
    result = cli.run_campaign(
        DEMO_CAMPAIGN, run_dir=run, steps=[cli.STEPS[0], cli.STEPS[2]], progress=False
    )
    assert _said(result.executed[cli.STEPS[0]]) == "password absent"
    assert _said(result.executed[cli.STEPS[2]]) == "password present"


def test_the_password_asked_for_on_a_terminal_stays_out_of_the_process_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Typed on a terminal, it goes to step 02's kernel, not into ``os.environ`` (which every
    kernel and child process would inherit)."""

    class Terminal:
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv(cli.PASSWORD_ENV, raising=False)
    monkeypatch.setattr(cli.runner.sys, "stdin", Terminal())
    monkeypatch.setattr("getpass.getpass", lambda prompt: PASSWORD)
    assert cli.ensure_archive_password() == PASSWORD
    assert cli.PASSWORD_ENV not in cli.runner.os.environ
    assert cli.PASSWORD_ENV not in cli.runner.kernel_environment(cli.STEPS[0], PASSWORD)
    assert cli.runner.kernel_environment(cli.STEPS[2], PASSWORD)[cli.PASSWORD_ENV] == PASSWORD


# ==========================================================================================
# Retention: files with personnummer kept past their time
# Retention of issue 13 (GDPR storage limitation): personal data kept forever.
#
# Before: nothing ever deleted a run folder's personnummer. The target group, the import files,
# the archive, the status export, the follow-up lists and letters, the executed notebooks (whose
# parameters could hold a number in full, attack 4) stayed in ``out/`` for as long as the disk
# lasted. Now ``inkorg-kit purge out/ --yes`` (nightly from cron) deletes them once the campaign's
# retention after the last follow-up has passed, and the attacker who reads the run folder
# afterwards finds no personnummer in any file, file name, record or message: every file's text
# is scanned with the kit's own finder, as the demo scan does.


NAME = "gallring-attack-2020"
NUMBERS_RETENTION = skatteverket_numbers()
ONE, TWO, THREE = NUMBERS_RETENTION[100], NUMBERS_RETENTION[200], NUMBERS_RETENTION[300]


def _digits(number: str) -> str:
    return number.replace("-", "")


def _leaks(root: Path) -> dict[str, list[str]]:
    """Every file under ``root`` whose name or text holds a full personnummer."""
    found = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        text = path.read_bytes().decode("utf-8", errors="replace") if path.is_file() else ""
        hits = find_in_text(relative) + find_in_text(text)
        if hits:
            found[relative] = hits
    return found


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """``out/`` with one run folder whose follow-up was long ago (2020), holding personnummer
    in every place a run leaves them, and in some it should not."""
    out = tmp_path / "out"
    run = out / NAME
    people = shuffled_adults(300, seed=3).to_frame()
    build_run_folder(run, people, campaign=NAME)  # target group and import files
    folder = RunFolder(run, NAME)
    builder = RunFolderBuilder(run, NAME)
    numbers = "\r\n".join(people["personnummer"].to_list()[:50])
    folder.path("archive").write_text(numbers)  # stand-in: what the archive unpacks to
    (run / "status_export").mkdir()
    (run / "status_export" / "skickade_arenden.csv").write_text(
        f"Personnummer;Skickat;Status;Läst\r\n{_digits(ONE)}.0;2020-01-07 09:00;Läst;\r\n"
    )
    (run / "status_export" / f"export_{_digits(TWO)}.csv").write_text("a file named by a number")
    letters = run / "followup" / "followup_letters.csv"
    letters.parent.mkdir()
    letters.write_text(f"personnummer;lista\r\n{ONE};failed\r\n")
    (run / "followup" / "failed" / "recipients").mkdir(parents=True)
    (run / "followup" / "failed" / "recipients" / "failed_001-of-001.txt").write_text(ONE)
    builder.path("followup_manifest").write_text(
        json.dumps({"campaign": NAME, "exported_at": "2020-01-10T08:00:00+01:00", "lists": {}})
    )
    # a number typed into --override-reason: in the executed notebook's parameters, in full
    (run / "notebooks").mkdir()
    (run / "notebooks" / "02_recipient_files.ipynb").write_text(
        json.dumps(
            {
                "cells": [{"cell_type": "code", "source": f'override_reason = "{THREE}"'}],
                "metadata": {"papermill": {"parameters": {"override_reason": THREE}}},
            }
        )
    )
    # ... and in the recorded override, a file the purge keeps (the decision stays, masked)
    builder.path("recipients_override").write_text(
        json.dumps({"campaign": NAME, "reason": f"see {THREE}", "errors": []})
    )
    (run / f".{folder.path('target_group').name}.x1y2.part").write_text(numbers)
    (run / "egen_lista.csv").write_text(numbers)  # the analyst's own copy
    (run / "reports" / "2020-01-10_063000").mkdir(parents=True)
    (run / "reports" / "2020-01-10_063000" / "04_read_rates_followup.ipynb").write_text(TWO)
    builder.path("send_plan_csv").write_text("file_name,rows\nx.txt,250\n")
    return out


def test_after_purge_no_file_under_the_run_folder_holds_a_personnummer(
    out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = out / NAME
    assert _leaks(run), "the attack needs personnummer to start with"
    assert main(["purge", str(out)]) == 0  # the dry run lists them, masked
    listed = capsys.readouterr()
    assert main(["purge", str(out), "--yes"]) == 0
    done = capsys.readouterr()
    assert _leaks(run) == {}
    for printed in (listed.out, listed.err, done.out, done.err):
        assert find_in_text(printed) == [], printed
    assert "egen_lista.csv" in listed.out and "okänd fil" in listed.out
    # what holds only aggregates is still there
    assert (run / "send_plan.csv").is_file() and (run / "recipients" / "manifest.json").is_file()
    override = json.loads((run / "recipients_override.json").read_text())
    assert override["reason"].startswith("see ") and THREE not in override["reason"]


def test_the_purge_record_names_the_files_without_their_numbers(out: Path) -> None:
    assert main(["purge", str(out), "--yes"]) == 0
    record = (out / NAME / "purge_record.json").read_text(encoding="utf-8")
    assert find_in_text(record) == []
    entry = json.loads(record)["purges"][0]
    assert any(name.startswith("status_export/export_") for name in entry["files"])
    assert entry["masked"] == ["recipients_override.json"]


def test_a_purge_through_a_symbolic_link_is_refused(out: Path, tmp_path: Path) -> None:
    link = tmp_path / "looks-like-out"
    link.symlink_to(out / NAME)
    assert main(["purge", str(link), "--yes"]) == 2
    assert _leaks(out / NAME), "nothing was deleted through the link"


def test_purge_deletes_nothing_outside_the_run_folder(out: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text(ONE)
    (out / NAME / "status_export" / "pointer").symlink_to(elsewhere)
    os.symlink(elsewhere / "keep.txt", out / NAME / "recipients" / "keep-link.txt")
    assert main(["purge", str(out), "--yes"]) == 0
    assert (elsewhere / "keep.txt").read_text() == ONE
    assert _leaks(out / NAME) == {}


def test_a_recent_followup_keeps_the_data(out: Path) -> None:
    manifest = out / NAME / "followup" / "followup_manifest.json"
    recent = (dt.datetime.now().astimezone() - dt.timedelta(days=5)).isoformat()
    manifest.write_text(json.dumps({"campaign": NAME, "exported_at": recent, "lists": {}}))
    assert main(["purge", str(out), "--yes"]) == 0
    assert (out / NAME / "target_group.parquet").is_file()
