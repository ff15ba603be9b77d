"""The send plan as CSV: written for people and other tools, read back by later steps.

Why a module of its own: the plan is opened in Excel by the case handlers (so it is written in
the one dialect of :mod:`inkorg_kit.io.people_csv`) and read back by the follow-up and the
synthetic status export, so its columns (:data:`PLAN_COLUMNS`, then any columns the file
table had: part, unit, ...) and its times (ISO 8601 with the UTC offset,
``2026-03-02T08:00:00+01:00``, unambiguous across daylight saving) are fixed here, once.

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

__all__ = ["ISO_FORMAT", "PLAN_COLUMNS", "plan_as_text", "read_plan_csv", "write_plan_csv"]

#: The columns every send plan has, in order; the file table's other columns follow.
PLAN_COLUMNS = ("file_name", "rows", "handler", "start", "end")
#: How the plan writes its times: ISO 8601 with the UTC offset.
ISO_FORMAT = "%Y-%m-%dT%H:%M:%S%:z"


def plan_as_text(files: pl.DataFrame) -> pl.DataFrame:
    """The planned table with ``start`` and ``end`` as ISO 8601 text with offset."""
    iso = ISO_FORMAT
    return files.with_columns(pl.col("start").dt.strftime(iso), pl.col("end").dt.strftime(iso))


def read_plan_csv(path: str | Path, *, timezone: str = TIME_ZONE_NAME) -> pl.DataFrame:
    """Read a plan written by :func:`write_plan_csv` back, with tz-aware start and end (in
    ``timezone``); the file table's other columns come back as whole numbers, decimal numbers
    or text."""
    when = pl.Datetime("us", timezone)
    schema = {
        **dict.fromkeys(PLAN_COLUMNS, pl.String),
        "rows": pl.Int64,
        "start": when,
        "end": when,
    }
    try:
        return read_people_csv(path, schema, others=True, where=str(path))
    except InkorgError as exc:
        raise ScheduleError(f"not a send plan: {exc}") from None


def write_plan_csv(files: pl.DataFrame, path: str | Path) -> Path:
    """Write a planned file table as a CSV for people
    (:func:`~inkorg_kit.io.people_csv.write_people_csv`: ``;``, UTF-8 with BOM, CRLF; owner-only,
    atomically); times as ISO 8601 with the offset."""
    return write_people_csv(plan_as_text(files), path)
