"""Reading a table: :func:`read_table`, :func:`read_pnr_column` and :func:`first_data_line`,
whatever the file's format.

Why apart: this is the one entry for every extract and list the kit reads. It tells the
format, opens the file far enough to know its columns (:mod:`inkorg_kit.io.text`,
:mod:`~inkorg_kit.io.excel`, :mod:`~inkorg_kit.io.parquet`), checks the columns asked for
(suggesting close names), and reads only the columns needed.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl

from inkorg_kit.io.detect import looks_like_number
from inkorg_kit.io.excel import excel_plan
from inkorg_kit.io.messages import TODO_COLUMNS, TODO_EMPTY, input_error, quoted_names
from inkorg_kit.io.parquet import parquet_plan
from inkorg_kit.io.plan import PNR_COLUMN_NAMES, Plan, clean_names, file_kind, norm_name
from inkorg_kit.io.text import text_plan

__all__ = ["first_data_line", "open_plan", "read_pnr_column", "read_table"]


def open_plan(
    path: str | os.PathLike[str],
    *,
    sheet: str | int | None,
    encoding: str,
    delimiter: str | None,
) -> Plan:
    file = Path(path)
    if not file.exists():
        raise FileNotFoundError(
            f"'{file}' does not exist (working folder: {Path.cwd()}); check the path"
        )
    if file.is_dir():
        raise input_error(file, "this is a folder, not a file", "Pass the path of the file itself")
    if file.stat().st_size == 0:
        raise input_error(file, "the file is empty (0 bytes)", TODO_EMPTY)
    kind = file_kind(file)
    if kind == "excel":
        return excel_plan(file, sheet)
    if kind == "parquet":
        return parquet_plan(file)
    return text_plan(file, encoding, delimiter)


def _check_columns(plan: Plan, wanted: Sequence[str]) -> None:
    found = plan.columns
    if any(looks_like_number(name) for name in found):
        # A headerless file of several columns: its first row would become column names.
        raise input_error(
            plan.path,
            f"the first line looks like data, not column names: {quoted_names(found)}",
            "Add a header row naming the columns (e.g. personnummer;namn), "
            "or save a one-column list of numbers only",
            row=1,
            found=found,
        )
    missing = [name for name in dict.fromkeys(wanted) if name not in found]
    if not missing:
        return
    hints = []
    for name in missing:
        close = difflib.get_close_matches(name, found, n=1, cutoff=0.6) or [
            f for f in found if norm_name(f) == norm_name(name)
        ]
        if close:
            hints.append(f"did you mean '{close[0]}' for '{name}'?")
    todo = TODO_COLUMNS
    if hints:
        hint = " ".join(hints)
        todo = f"{hint[0].upper()}{hint[1:]} {todo}"
    word = "column" if len(missing) == 1 else "columns"
    raise input_error(
        plan.path,
        f"{word} {quoted_names(missing)} not found; the file has columns {quoted_names(found)}",
        todo,
        column=missing[0],
        missing=missing,
        found=found,
    )


def _read(
    plan: Plan,
    *,
    required_columns: Sequence[str],
    pnr_column: str | None,
    only: Sequence[str] | None = None,
) -> pl.DataFrame:
    if isinstance(required_columns, str):
        required_columns = [required_columns]
    wanted = [*([pnr_column] if pnr_column is not None else []), *required_columns]
    _check_columns(plan, wanted)
    clean = plan.columns
    indices = None if only is None else sorted({clean.index(c) for c in only})
    if indices is not None and len(indices) == len(clean):
        indices = None  # polars reads a whole file faster than a projection of all of it
    pnr_names = {pnr_column} if pnr_column is not None else set()
    if plan.kind == "excel":
        pnr_names |= {c for c in clean if norm_name(c) in PNR_COLUMN_NAMES}
    frame = plan.load(indices, pnr_names)
    renamed = dict(zip(frame.columns, clean_names(frame.columns), strict=True))
    frame = frame.rename({k: v for k, v in renamed.items() if k != v})
    if frame.height == 0:
        raise input_error(plan.path, "the file is empty (a header but no rows)", TODO_EMPTY)
    return frame


def read_table(
    path: str | os.PathLike[str],
    *,
    required_columns: Sequence[str] = (),
    pnr_column: str | None = None,
    sheet: str | int | None = None,
    encoding: str = "auto",
    delimiter: str | None = None,
) -> pl.DataFrame:
    """Read an extract (CSV/TXT, XLSX, Parquet) into a polars frame, ready for ``pnr.clean``.

    CSV/TXT and XLSX come back with every column as text (parse dates and amounts yourself);
    Parquet keeps its types except that the personnummer column (``pnr_column``, or an
    integer column named like one) becomes text. A one-column file whose first line is a
    number has no header: its column is ``personnummer`` and blank lines stay empty values.
    ``pnr_column`` and ``required_columns`` must exist, else :class:`InputError` lists the
    columns found. ``sheet`` picks an Excel sheet (name or 0-based position; default the
    first); ``encoding`` and ``delimiter`` override detection for text files.
    """
    plan = open_plan(path, sheet=sheet, encoding=encoding, delimiter=delimiter)
    return _read(plan, required_columns=required_columns, pnr_column=pnr_column)


def first_data_line(
    path: str | os.PathLike[str], *, encoding: str = "auto", delimiter: str | None = None
) -> int | None:
    """The file line (1 = the first) of a text file's first data row, as :func:`read_table`
    reads it: after an Excel ``sep=`` line and the header, if there are any. None for Excel
    and Parquet, whose rows have no lines; row numbers there count from the header."""
    if file_kind(Path(path)) != "text":  # without opening a workbook for nothing
        return None
    return open_plan(path, sheet=None, encoding=encoding, delimiter=delimiter).first_data_line


def read_pnr_column(
    path: str | os.PathLike[str], column: str | None = None, **kw: Any
) -> pl.Series:
    """The personnummer column of a file, as text; only that column is read from disk.

    ``column=None`` takes the column named (case-insensitive) one of
    :data:`PNR_COLUMN_NAMES`, or the only column. ``kw`` go to :func:`read_table`
    (``sheet``, ``encoding``, ``delimiter``, ``required_columns``).
    """
    plan = open_plan(
        path,
        sheet=kw.pop("sheet", None),
        encoding=kw.pop("encoding", "auto"),
        delimiter=kw.pop("delimiter", None),
    )
    required = list(kw.pop("required_columns", ()))
    if kw:
        raise TypeError(f"read_pnr_column() got unexpected keyword arguments {sorted(kw)}")
    if column is None:
        column = _guess_pnr_column(plan)
    frame = _read(plan, required_columns=required, pnr_column=column, only=[column])
    return frame[column]


def _guess_pnr_column(plan: Plan) -> str:
    found = plan.columns
    matches = [name for name in found if norm_name(name) in PNR_COLUMN_NAMES]
    if len(matches) == 1:
        return matches[0]
    if not matches and len(found) == 1:
        return found[0]
    problem = (
        f"several columns could hold personnummer: {quoted_names(matches)}"
        if matches
        else "no column is named like a personnummer column; the file has columns"
        f" {quoted_names(found)}"
    )
    raise input_error(
        plan.path,
        problem,
        f"Pass column= the one to use (names taken by themselves: {', '.join(PNR_COLUMN_NAMES)})",
    )
