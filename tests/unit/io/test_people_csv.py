"""Every CSV for people in one dialect Swedish Excel opens by double-click (issue 12, point 5):
UTF-8 with a BOM, ``;``, CRLF, decimal comma, ISO dates, data rows only; and the kit's own
reader gets back exactly what the writer wrote."""

from __future__ import annotations

import datetime as dt
import json
import re
import stat
import zoneinfo
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import DemoRun

from inkorg_kit.errors import InkorgError
from inkorg_kit.io.people_csv import (
    people_csv_bytes,
    read_people_csv,
    write_people_csv,
)
from inkorg_kit.run.schemas import FRAME_SCHEMAS, CsvDialect

BOM = b"\xef\xbb\xbf"
STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")
SCHEMA = pl.Schema(
    {
        "enhet": pl.String,
        "antal": pl.Int64,
        "andel": pl.Float64,
        "klar": pl.Boolean,
        "dag": pl.Date,
        "lokal": pl.Datetime("us"),
        "skickat": pl.Datetime("us", "Europe/Stockholm"),
    }
)


def _frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "enhet": ["Vårdcentralen Solbacka; BVC", 'säger "hej"', "", None],
            "antal": [1, 250, -3, None],
            "andel": [0.25, 1234.5, 0.0001, None],
            "klar": [True, False, None, True],
            "dag": [dt.date(2027, 3, 16), None, dt.date(2027, 1, 1), dt.date(2026, 12, 31)],
            "lokal": [dt.datetime(2027, 3, 16, 9, 6), None, None, dt.datetime(2027, 3, 16)],
            "skickat": [
                dt.datetime(2027, 3, 16, 9, tzinfo=STOCKHOLM),
                dt.datetime(2027, 7, 1, 14, 30, tzinfo=STOCKHOLM),
                None,
                None,
            ],
        },
        schema=SCHEMA,
    )


def test_the_writer_speaks_swedish_excel(tmp_path: Path) -> None:
    path = write_people_csv(_frame(), tmp_path / "lista.csv")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = path.read_bytes()
    assert data.startswith(BOM + b"enhet;antal;andel;klar;dag;lokal;skickat\r\n")
    text = data[len(BOM) :].decode("utf-8")
    assert text.endswith("\r\n") and text.count("\n") == text.count("\r\n")
    lines = text.split("\r\n")
    assert lines[1] == (
        '"Vårdcentralen Solbacka; BVC";1;0,25;true;2027-03-16;2027-03-16T09:06:00;'
        "2027-03-16T09:00:00+01:00"
    )
    assert lines[2] == '"säger ""hej""";250;1234,5;false;;;2027-07-01T14:30:00+02:00'
    assert lines[3].startswith('"";-3;0,0001;;2027-01-01;')  # never 1e-4, which Excel reads
    assert lines[4] == ";;;true;2026-12-31;2027-03-16T00:00:00;"


def test_the_reader_gets_back_what_was_written(tmp_path: Path) -> None:
    path = write_people_csv(_frame(), tmp_path / "lista.csv")
    back = read_people_csv(path, SCHEMA)
    assert back.schema == SCHEMA
    assert back.equals(_frame())


def test_a_text_column_that_looks_like_a_number_stays_text(tmp_path: Path) -> None:
    frame = pl.DataFrame({"kod": ["0012", "1,5", "1.5"]})
    path = write_people_csv(frame, tmp_path / "koder.csv")
    assert read_people_csv(path, {"kod": pl.String}).equals(frame)


def test_columns_no_schema_names_are_refused_or_read_as_numbers_or_text(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {"fil": ["a.txt", "b.txt"], "del": [1, 2], "andel": [0.5, 1.0], "enhet": [None, None]}
    )
    path = write_people_csv(frame, tmp_path / "plan.csv")
    with pytest.raises(InkorgError, match=r"plan\.csv: unexpected column 'del'"):
        read_people_csv(path, {"fil": pl.String})
    back = read_people_csv(path, {"fil": pl.String}, others=True)
    assert back.equals(frame.with_columns(pl.col("enhet").cast(pl.String)))


def test_errors_name_the_file_and_column_and_mask_personnummer(tmp_path: Path) -> None:
    path = tmp_path / "target_funnel.csv"
    path.write_bytes(BOM + b"step;removed\r\nrows_in;19900101-2385\r\n")
    with pytest.raises(InkorgError) as raised:
        read_people_csv(path, {"step": pl.String, "removed": pl.Int64})
    message = str(raised.value)
    assert "target_funnel.csv: column 'removed' has 1 value(s) that are not Int64" in message
    assert "19900101-2385" not in message and "19900101-****" in message
    with pytest.raises(InkorgError, match=r"column 'note' is missing"):
        read_people_csv(path, {"step": pl.String, "note": pl.String}, where="här")


def test_a_comma_separated_file_of_an_older_kit_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "send_plan.csv"
    path.write_text("file_name,rows\na.txt,3\n", encoding="utf-8")
    with pytest.raises(InkorgError, match=r"','-separated.*write it again"):
        read_people_csv(path, {"file_name": pl.String, "rows": pl.Int64})


def test_every_csv_artefact_has_the_one_dialect() -> None:
    dialects = {key: s.csv for key, s in FRAME_SCHEMAS.items() if s.csv is not None}
    assert len(dialects) == 7
    assert set(dialects.values()) == {CsvDialect(separator=";", bom=True, line_terminator="\r\n")}


_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
_FLOATS = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15)
_ROWS = st.lists(
    st.tuples(st.none() | _TEXT, st.none() | st.integers(-(2**62), 2**62), st.none() | _FLOATS),
    max_size=8,
)


@settings(
    derandomize=True,
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(rows=_ROWS)
def test_round_trip_for_any_text_and_numbers(tmp_path: Path, rows: list[tuple]) -> None:
    schema = {"text": pl.String, "n": pl.Int64, "x": pl.Float64}
    frame = pl.DataFrame(rows, schema=schema, orient="row")
    path = write_people_csv(frame, tmp_path / "any.csv")
    assert read_people_csv(path, schema).equals(frame)


# --------------------------------------------------------------------------- the demo's files

_SUMMARY_WORD = re.compile(r"(?i)^\s*(totalt|total|summa|sum)\b")
_POINT_NUMBER = re.compile(r"^-?\d+\.\d+$")


def _csv_key(path: Path, demo: DemoRun) -> str | None:
    for key, schema in FRAME_SCHEMAS.items():
        if schema.csv is not None and demo.folder.path(key) == path:
            return key
    if path.name == "manifest.csv" and path.parent.name == "recipients":  # follow-up lists
        return "manifest_csv"
    return None


@pytest.mark.slow
def test_every_csv_of_the_demo_opens_in_swedish_excel(demo: DemoRun, tmp_path: Path) -> None:
    """Each CSV in the demo's run folder: BOM, ``;``, CRLF, decimal commas, only data rows of
    the schema's types, and read → write gives the same bytes. (``status_export/`` imitates
    1177's export, an input, in its own layout.)"""
    assert not demo.failure(), demo.failure()
    run_dir = demo.run_dir
    imitation = demo.folder.path("status_export_dir")
    found = sorted(p for p in run_dir.rglob("*.csv") if imitation not in p.parents)
    keys = {path: _csv_key(path, demo) for path in found}
    assert not [p for p, k in keys.items() if k is None], "CSV files with no schema"
    assert set(keys.values()) == {k for k, s in FRAME_SCHEMAS.items() if s.csv}
    fractional = 0
    for path, key in keys.items():
        where = str(path.relative_to(run_dir))
        columns = FRAME_SCHEMAS[key].columns
        data = path.read_bytes()
        assert data.startswith(BOM), f"{where}: no BOM"
        text = data[len(BOM) :].decode("utf-8")
        assert text.endswith("\r\n") and text.count("\n") == text.count("\r\n"), where
        assert text.split("\r\n", 1)[0] == ";".join(columns), f"{where}: not ';'-separated"
        raw = pl.read_csv(path, separator=";", infer_schema=False)
        for name, dtype in columns.items():
            cells = raw[name].drop_nulls()
            assert not cells.str.contains(_SUMMARY_WORD.pattern).any(), f"{where}: a total row"
            assert not cells.str.contains(_POINT_NUMBER.pattern).any(), f"{where}: {name} 1.5"
            if dtype.is_float():
                fractional += int(cells.str.contains(r"^-?\d+,\d+$").sum())
        frame = read_people_csv(path, columns)  # every row holds the schema's types
        assert frame.schema == columns, where
        again = write_people_csv(frame, tmp_path / path.name)
        assert again.read_bytes() == data, f"{where}: read and written again differs"
    assert fractional > 0  # the decimal comma was seen, not only whole numbers
    manifest = json.loads(demo.folder.path("manifest_json").read_text(encoding="utf-8"))
    rows = read_people_csv(demo.folder.path("manifest_csv"), FRAME_SCHEMAS["manifest_csv"].columns)
    assert rows["file_name"].to_list() == [f["file_name"] for f in manifest["files"]]
    assert rows["rows"].sum() == manifest["totals"]["rows"]  # the total is in the JSON only


def test_people_csv_bytes_is_what_the_writer_writes(tmp_path: Path) -> None:
    path = write_people_csv(_frame(), tmp_path / "a.csv")
    assert path.read_bytes() == people_csv_bytes(_frame())
