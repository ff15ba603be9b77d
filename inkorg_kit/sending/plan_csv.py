"""The send plan as CSV: written for people and other tools, read back by later steps.

Why a module of its own: the plan is opened in Excel by the case handlers (so it is written in
the one dialect of :mod:`inkorg_kit.io.people_csv`) and read back by the follow-up and the
synthetic status export, so its columns (:data:`PLAN_COLUMNS`, then any columns the file
table had: part, unit, ..., then :data:`WAVE_COLUMNS`: which wave a file belongs to, when a
reminder file is due and which first-wave files it reminds) and its times (ISO 8601 with the
UTC offset, ``2026-03-02T08:00:00+01:00``, unambiguous across daylight saving) are fixed here,
once.

>>> import datetime as dt, zoneinfo
>>> t = dt.datetime(2026, 3, 2, 8, tzinfo=zoneinfo.ZoneInfo("Europe/Stockholm"))
>>> frame = pl.DataFrame({"start": [t], "end": [t]})
>>> plan_as_text(frame)["start"].to_list()
['2026-03-02T08:00:00+01:00']
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from inkorg_kit.errors import InkorgError, ScheduleError
from inkorg_kit.io.people_csv import read_people_csv, write_people_csv
from inkorg_kit.vocab import TIME_ZONE_NAME

__all__ = [
    "FIRST_WAVE",
    "ISO_FORMAT",
    "PLAN_COLUMNS",
    "REMINDER_WAVE",
    "WAVES",
    "WAVE_COLUMNS",
    "plan_as_text",
    "read_plan_csv",
    "write_plan_csv",
]

#: The columns every send plan has, in order; the file table's other columns follow.
PLAN_COLUMNS = ("file_name", "rows", "handler", "start", "end")
#: The columns every plan ends with: ``wave`` (:data:`WAVES`), ``due`` (a reminder file's
#: earliest start: its first-wave files' deadline; empty for the first wave) and ``covers``
#: (the first-wave files a reminder file is made from; empty for the first wave).
WAVE_COLUMNS = ("wave", "due", "covers")
#: The waves of a send plan, as the CSV and the calendars say them (Swedish: people read them).
FIRST_WAVE = "första"
REMINDER_WAVE = "påminnelse"
WAVES = (FIRST_WAVE, REMINDER_WAVE)
#: How the plan writes its times: ISO 8601 with the UTC offset.
ISO_FORMAT = "%Y-%m-%dT%H:%M:%S%:z"


def plan_as_text(files: pl.DataFrame) -> pl.DataFrame:
    """The planned table with ``start``, ``end`` (and ``due``) as ISO 8601 text with offset."""
    times = [c for c in ("start", "end", "due") if c in files.columns]
    return files.with_columns(
        pl.col(c).dt.strftime(ISO_FORMAT) for c in times if files.schema[c] != pl.String
    )


def read_plan_csv(path: str | Path, *, timezone: str = TIME_ZONE_NAME) -> pl.DataFrame:
    """Read a plan written by :func:`write_plan_csv` back, with tz-aware start and end (in
    ``timezone``), and ``due`` too when the plan has it; the file table's other columns come
    back as whole numbers, decimal numbers or text."""
    when = pl.Datetime("us", timezone)
    schema = {
        **dict.fromkeys(PLAN_COLUMNS, pl.String),
        "rows": pl.Int64,
        "start": when,
        "end": when,
    }
    try:
        frame = read_people_csv(path, schema, others=True, where=str(path))
    except InkorgError as exc:
        raise ScheduleError(f"not a send plan: {exc}") from None
    if "due" in frame.columns and frame.schema["due"] == pl.String:
        frame = frame.with_columns(
            pl.col("due").str.to_datetime(ISO_FORMAT, time_unit="us").dt.convert_time_zone(timezone)
        )
    elif "due" in frame.columns and frame["due"].null_count() == frame.height:
        frame = frame.with_columns(pl.col("due").cast(when))
    return frame


def write_plan_csv(files: pl.DataFrame, path: str | Path) -> Path:
    """Write a planned file table as a CSV for people
    (:func:`~inkorg_kit.io.people_csv.write_people_csv`: ``;``, UTF-8 with BOM, CRLF; owner-only,
    atomically); times as ISO 8601 with the offset."""
    return write_people_csv(plan_as_text(files), path)
