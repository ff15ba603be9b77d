"""Checks of a send plan: of what it is made from, and of a plan once made.

Why apart from the planner: the same rules guard both ends. Before planning, the file table
(the manifest's: unique names, 1-250 rows each, as Personalverktyget imports them) and the
handlers (a count or unique names) are checked; after, :func:`check_plan` confirms that every
file lies inside one send window, that no handler starts a file before their previous one
ends, and that no day goes over the cap of messages. A plan read back from its CSV and edited
by hand is checked the same way.

>>> handler_names(2), handler_names(["Lena Holm"])
(('Handläggare 1', 'Handläggare 2'), ('Lena Holm',))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl

from inkorg_kit.config.windows import SendWindows
from inkorg_kit.errors import ScheduleError
from inkorg_kit.hours.working import outside_windows, table_for
from inkorg_kit.vocab import MAX_PART_SIZE

__all__ = ["as_file_table", "check_plan", "day_summary", "handler_names", "validate_files"]


# --------------------------------------------------------------------------- before planning


def as_file_table(files: Any) -> pl.DataFrame:
    """The file table as a polars frame, from polars, pandas, rows or columns."""
    if isinstance(files, pl.DataFrame):
        return files
    if isinstance(files, pl.LazyFrame):
        return files.collect()
    if type(files).__module__.startswith("pandas"):
        return pl.from_pandas(files)
    if isinstance(files, Sequence | Mapping):
        return pl.DataFrame(files)
    raise ScheduleError(
        "files must be a polars or pandas DataFrame (the manifest's file table) with columns "
        f"file_name and rows; got {type(files).__name__}"
    )


def validate_files(files: pl.DataFrame) -> pl.DataFrame:
    """The file table a plan is made from, checked: unique names, 1-250 rows each.

    Any earlier plan's ``handler``, ``start`` and ``end`` are dropped; other columns are kept.
    """
    missing = [c for c in ("file_name", "rows") if c not in files.columns]
    if missing:
        raise ScheduleError(
            f"files is missing column(s) {missing}; expected at least file_name (text) and rows "
            f"(1-{MAX_PART_SIZE}), as in the manifest's file table; got {files.columns}"
        )
    files = files.drop([c for c in ("handler", "start", "end") if c in files.columns])
    try:
        rows = files["rows"].cast(pl.Int64, strict=True)
    except pl.exceptions.PolarsError as exc:
        raise ScheduleError(f"files column 'rows' must hold whole numbers: {exc}") from exc
    files = files.with_columns(rows.alias("rows"), pl.col("file_name").cast(pl.String))
    checked = files.with_row_index("_row").filter(
        pl.col("rows").is_null()
        | (pl.col("rows") < 1)
        | (pl.col("rows") > MAX_PART_SIZE)
        | pl.col("file_name").is_null()
        | (pl.col("file_name").str.strip_chars() == "")
    )
    if checked.height:
        bad = [
            f"row {r['_row']} ({r['file_name']!r}: rows={r['rows']})"
            for r in checked.head(5).to_dicts()
        ]
        raise ScheduleError(
            f"files: {checked.height} file(s) have no name or rows outside 1-{MAX_PART_SIZE}: "
            + ", ".join(bad)
        )
    dupes = files.filter(pl.col("file_name").is_duplicated())["file_name"].unique().to_list()
    if dupes:
        raise ScheduleError(
            f"files: file_name must be unique (it names the calendar events); duplicated: "
            f"{sorted(dupes)[:5]}"
        )
    return files


def handler_names(handlers: int | Sequence[str]) -> tuple[str, ...]:
    """The handlers' names: a count gives "Handläggare 1", "Handläggare 2", ...; names are
    checked (non-empty, unique)."""
    if isinstance(handlers, bool):
        raise ScheduleError("handlers must be a count (1 or more) or a list of names")
    if isinstance(handlers, int | np.integer):
        if handlers < 1:
            raise ScheduleError(f"handlers must be 1 or more, got {handlers}")
        return tuple(f"Handläggare {i}" for i in range(1, int(handlers) + 1))
    if isinstance(handlers, str):
        handlers = [handlers]
    names = tuple(str(h).strip() for h in handlers)
    if not names or any(not n for n in names):
        raise ScheduleError(f"handlers: give at least one non-empty name, got {list(handlers)}")
    if len(set(names)) != len(names):
        raise ScheduleError(f"handlers: names must be unique, got {list(names)}")
    return names


# --------------------------------------------------------------------------- a plan made


def day_summary(planned: pl.DataFrame) -> pl.DataFrame:
    """Files and messages per send day (``date``, ``files``, ``messages``) of a planned table."""
    return (
        planned.group_by(pl.col("start").dt.date().alias("date"))
        .agg(files=pl.len().cast(pl.Int64), messages=pl.col("rows").sum().cast(pl.Int64))
        .sort("date")
    )


def check_plan(files: pl.DataFrame, windows: SendWindows, cap: int | None) -> list[str]:
    """Problems with a planned file table (empty when fine): a file not inside one send
    window, a handler starting a file before their previous one ends, a day over ``cap``, and
    a reminder file (one with a ``due`` time) starting before it is due."""
    problems: list[str] = []
    if files.height == 0:
        return problems
    tz = windows.zone
    zone = str(tz.key)
    s = files["start"].dt.convert_time_zone(zone)
    e = files["end"].dt.convert_time_zone(zone)
    s_us = s.dt.epoch("us").to_numpy().astype(np.int64)
    e_us = e.dt.epoch("us").to_numpy().astype(np.int64)
    table = table_for(windows, int(s_us.min()), int(e_us.max()))
    i = np.searchsorted(table.starts, s_us, side="right") - 1
    safe = np.clip(i, 0, None)
    inside = (i >= 0) & (s_us >= table.starts[safe]) & (e_us <= table.ends[safe]) & (e_us >= s_us)
    if not inside.all():
        bad = np.flatnonzero(~inside)
        reasons = outside_windows(s.gather(bad), windows)
        for k, reason in zip(bad[:20], reasons[:20], strict=False):
            problems.append(
                f"{files['file_name'][int(k)]}: {s[int(k)]:%Y-%m-%d %H:%M}–{e[int(k)]:%H:%M} is "
                f"not inside one send window ({reason or 'slutar efter fönstret'})"
            )
        if bad.size > 20:
            problems.append(f"… and {bad.size - 20} more files outside the send windows")
    ordered = (
        files.with_columns(start=s, end=e)
        .sort("handler", "start")
        .with_columns(prev_end=pl.col("end").shift(1).over("handler"))
        .filter(pl.col("start") < pl.col("prev_end"))
    )
    for row in ordered.head(20).iter_rows(named=True):
        problems.append(
            f"{row['file_name']}: {row['handler']} starts it at {row['start']:%Y-%m-%d %H:%M} "
            f"before the previous file ends ({row['prev_end']:%H:%M})"
        )
    if "due" in files.columns:
        early = files.with_columns(start=s).filter(
            pl.col("due").is_not_null() & (pl.col("start") < pl.col("due"))
        )
        for row in early.head(20).iter_rows(named=True):
            problems.append(
                f"{row['file_name']}: starts {row['start']:%Y-%m-%d %H:%M}, before it is due "
                f"({row['due'].astimezone(tz):%Y-%m-%d %H:%M})"
            )
    if cap is not None:
        over = day_summary(files.with_columns(start=s)).filter(pl.col("messages") > cap)
        for row in over.iter_rows(named=True):
            problems.append(
                f"{row['date']}: {row['messages']} messages planned, above the cap of {cap} a day"
            )
    return problems
