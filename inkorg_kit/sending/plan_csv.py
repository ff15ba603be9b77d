"""The send plan as CSV: written for people and other tools, read back by later steps.

Why a format of its own: the plan is opened in Excel by the case handlers and read back by the
follow-up and the synthetic status export, so its columns (:data:`PLAN_COLUMNS`, then any
columns the file table had: part, unit, ...) and its times (ISO 8601 with the UTC offset,
``2026-03-02T08:00:00+01:00``, unambiguous across daylight saving) are fixed here, once.

>>> import datetime as dt, zoneinfo
>>> t = dt.datetime(2026, 3, 2, 8, tzinfo=zoneinfo.ZoneInfo("Europe/Stockholm"))
>>> frame = pl.DataFrame({"start": [t], "end": [t]})
>>> plan_as_text(frame)["start"].to_list()
['2026-03-02T08:00:00+01:00']
"""

from __future__ import annotations

import io
from pathlib import Path

import polars as pl

from inkorg_kit._files import write_private_text
from inkorg_kit.errors import ScheduleError
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


def read_plan_csv(
    path: str | Path, *, separator: str = ",", timezone: str = TIME_ZONE_NAME
) -> pl.DataFrame:
    """Read a plan written by :func:`write_plan_csv` back, with tz-aware start and end."""
    frame = pl.read_csv(
        path,
        separator=separator,
        schema_overrides={
            "file_name": pl.String,
            "rows": pl.Int64,
            "handler": pl.String,
            "start": pl.String,
            "end": pl.String,
        },
    )
    missing = [c for c in PLAN_COLUMNS if c not in frame.columns]
    if missing:
        raise ScheduleError(f"{path}: not a send plan, missing column(s) {missing}")
    iso = ISO_FORMAT
    return frame.with_columns(
        pl.col(c).str.to_datetime(iso, time_unit="us").dt.convert_time_zone(timezone)
        for c in ("start", "end")
    )


def write_plan_csv(files: pl.DataFrame, path: str | Path, *, separator: str = ",") -> Path:
    """Write a planned file table as UTF-8 CSV (owner-only, atomically); times as ISO 8601."""
    buffer = io.StringIO()
    plan_as_text(files).write_csv(buffer, separator=separator)
    return write_private_text(path, buffer.getvalue())
