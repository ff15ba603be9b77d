"""Reading a table: :func:`read_table`, :func:`read_pnr_column`, :func:`read_extract` and
:func:`first_data_line`, whatever the file's format.

Why apart: this is the one entry for every extract and list the kit reads. It tells the
format, opens the file far enough to know its header row (below any title rows) and columns
(:mod:`inkorg_kit.io.text`, :mod:`~inkorg_kit.io.excel`, :mod:`~inkorg_kit.io.parquet`),
checks the columns asked for (suggesting close names), reads only the columns needed, and
undoes Excel's text forms: ``="199001012385"`` is the text 199001012385, and in a personnummer
column ``199001012385.0`` (a number Excel wrote as a float) the integer it holds.

Row numbers are the ones the analyst sees: the line in a text editor, the row in Excel
(:attr:`Table.first_row` is that of the first data row; title rows and blank rows count).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from inkorg_kit.io.detect import looks_like_number
from inkorg_kit.io.excel import excel_plan
from inkorg_kit.io.messages import (
    PYTHON_KEYS,
    TODO_COLUMNS,
    TODO_EMPTY,
    SettingKeys,
    input_error,
    quoted_names,
    top_rows_text,
)
from inkorg_kit.io.parquet import parquet_plan
from inkorg_kit.io.plan import (
    PNR_COLUMN_NAMES,
    Plan,
    clean_names,
    file_kind,
    is_pnr_name,
    norm_name,
)
from inkorg_kit.io.text import text_plan

__all__ = [
    "Table",
    "excel_text_forms",
    "first_data_line",
    "open_plan",
    "read_extract",
    "read_pnr_column",
    "read_table",
]

_FORMULA_TEXT = r'^\s*="(.*)"\s*$'  # Excel's text form ="0101012385", kept by CSV exports


@dataclass(frozen=True)
class Table:
    """A file read: its rows, the personnummer column, and the row numbers people see."""

    frame: pl.DataFrame
    pnr_column: str | None
    first_row: int  # the line (text) or row (Excel) of the first data row; 1 when unknown
    header_row: int | None  # the line or row of the header; None: no header (a bare list)


def open_plan(
    path: str | os.PathLike[str],
    *,
    sheet: str | int | None,
    encoding: str,
    delimiter: str | None,
    header_row: int | None = None,
    wanted: str | None = None,
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
    if header_row is not None and (isinstance(header_row, bool) or header_row < 1):
        raise ValueError(f"header_row={header_row!r} must be a row number, 1 = the first row")
    kind = file_kind(file)
    if kind == "excel":
        return excel_plan(file, sheet, header_row, wanted)
    if kind == "parquet":
        return parquet_plan(file)
    return text_plan(file, encoding, delimiter, header_row, wanted)


def _header_hint(plan: Plan, keys: SettingKeys) -> str:
    """When no row named a personnummer column: the first rows, and how to name the header."""
    if plan.header_found or plan.kind == "parquet":
        return ""
    return (
        f"; no row of the first ones names a personnummer column, the file begins"
        f" {top_rows_text(plan.top_rows)}. If the header is below title rows,"
        f" {keys.header_row} the line of the header (as Excel or an editor numbers it)"
    )


def _check_columns(
    plan: Plan, wanted: Sequence[str], keys: SettingKeys = PYTHON_KEYS, pnr_column: str = ""
) -> None:
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
    if keys is not PYTHON_KEYS and pnr_column in missing:
        todo = f"Name the personnummer column in {keys.column}, or fix the file's header"
    if hints:
        hint = " ".join(hints)
        todo = f"{hint[0].upper()}{hint[1:]} {todo}"
    word = "column" if len(missing) == 1 else "columns"
    where = _header_hint(plan, keys) if pnr_column in missing else ""
    raise input_error(
        plan.path,
        f"{word} {quoted_names(missing)} not found; the file has columns"
        f" {quoted_names(found)}{where}",
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
    keys: SettingKeys = PYTHON_KEYS,
) -> pl.DataFrame:
    if isinstance(required_columns, str):
        required_columns = [required_columns]
    wanted = [*([pnr_column] if pnr_column is not None else []), *required_columns]
    _check_columns(plan, wanted, keys, pnr_column or "")
    clean = plan.columns
    indices = None if only is None else sorted({clean.index(c) for c in only})
    if indices is not None and len(indices) == len(clean):
        indices = None  # polars reads a whole file faster than a projection of all of it
    pnr_names = {pnr_column} if pnr_column is not None else set()
    if plan.kind == "excel":
        pnr_names |= {c for c in clean if is_pnr_name(c)}
    frame = plan.load(indices, pnr_names)
    renamed = dict(zip(frame.columns, clean_names(frame.columns), strict=True))
    frame = frame.rename({k: v for k, v in renamed.items() if k != v})
    if frame.height == 0:
        raise input_error(plan.path, "the file is empty (a header but no rows)", TODO_EMPTY)
    if plan.kind != "parquet":
        frame = excel_text_forms(frame, pnr_names)
    return frame


def excel_text_forms(frame: pl.DataFrame, pnr_names: set[str]) -> pl.DataFrame:
    """Text columns with Excel's text form ``="…"`` as the text it holds. Personnummer columns
    are left to :func:`inkorg_kit.pnr.clean`, which reads that form and a whole number written
    as a float (``199001012385.0``) on the few rows that are not plain, at no cost to the rest.
    """
    changes = [
        frame[name].str.replace(_FORMULA_TEXT, "${1}")
        for name in frame.columns
        if frame.schema[name] == pl.String
        and name not in pnr_names
        and frame[name].str.contains(_FORMULA_TEXT).any()
    ]
    return frame.with_columns(changes) if changes else frame


def read_table(
    path: str | os.PathLike[str],
    *,
    required_columns: Sequence[str] = (),
    pnr_column: str | None = None,
    sheet: str | int | None = None,
    encoding: str = "auto",
    delimiter: str | None = None,
    header_row: int | None = None,
) -> pl.DataFrame:
    """Read an extract (CSV/TXT, XLSX, Parquet) into a polars frame, ready for ``pnr.clean``.

    CSV/TXT and XLSX come back with every column as text (parse dates and amounts yourself);
    Parquet keeps its types except that the personnummer column (``pnr_column``, or an
    integer column named like one) becomes text. A one-column file whose first line is a
    number has no header: its column is ``personnummer`` and blank lines stay empty values.
    ``pnr_column`` and ``required_columns`` must exist, else :class:`InputError` lists the
    columns found. ``sheet`` picks an Excel sheet (name or 0-based position; default the
    first); ``encoding`` and ``delimiter`` override detection for text files. The header is
    the first row naming a personnummer column (or ``pnr_column``), below any title rows, else
    the first row; ``header_row`` (1-based, as Excel or an editor shows it) says it.
    """
    plan = open_plan(
        path,
        sheet=sheet,
        encoding=encoding,
        delimiter=delimiter,
        header_row=header_row,
        wanted=pnr_column,
    )
    return _read(plan, required_columns=required_columns, pnr_column=pnr_column)


def first_data_line(
    path: str | os.PathLike[str], *, encoding: str = "auto", delimiter: str | None = None
) -> int | None:
    """The file line (1 = the first) of a text file's first data row, as :func:`read_table`
    reads it: after an Excel ``sep=`` line, title lines and the header, if there are any.
    None for Excel and Parquet (:func:`read_extract` gives Excel's row numbers)."""
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
    table = read_extract(path, column, only_pnr=True, **kw)
    assert table.pnr_column is not None
    return table.frame[table.pnr_column]


def read_extract(
    path: str | os.PathLike[str],
    pnr_column: str | None = None,
    *,
    header_row: int | None = None,
    keys: SettingKeys = PYTHON_KEYS,
    only_pnr: bool = False,
    **kw: Any,
) -> Table:
    """A file with its personnummer column found and the row numbers people see.

    ``pnr_column=None`` takes the column named like a personnummer column
    (:data:`PNR_COLUMN_NAMES`: Personnummer, Pnr, Personnr, …; case, spaces and hyphens do not
    count), or the only column. The header row is ``header_row`` (1-based, as Excel or an
    editor shows it), else the first row naming a personnummer column (title rows above it are
    skipped), else the first row. ``keys`` name the settings in messages (a campaign's YAML
    keys, or these arguments). ``only_pnr`` reads that column alone; ``kw`` go to
    :func:`read_table` (``sheet``, ``encoding``, ``delimiter``, ``required_columns``).
    """
    plan = open_plan(
        path,
        sheet=kw.pop("sheet", None),
        encoding=kw.pop("encoding", "auto"),
        delimiter=kw.pop("delimiter", None),
        header_row=header_row,
        wanted=pnr_column,
    )
    required = list(kw.pop("required_columns", ()))
    if kw:
        raise TypeError(f"read_extract() got unexpected keyword arguments {sorted(kw)}")
    column = pnr_column if pnr_column is not None else _guess_pnr_column(plan, keys)
    frame = _read(
        plan,
        required_columns=required,
        pnr_column=column,
        only=[column] if only_pnr else None,
        keys=keys,
    )
    first = plan.first_data_line if plan.first_data_line is not None else 1
    return Table(frame, column, first, plan.header_row)


def _guess_pnr_column(plan: Plan, keys: SettingKeys = PYTHON_KEYS) -> str:
    found = plan.columns
    matches = [name for name in found if is_pnr_name(name)]
    if len(matches) == 1:
        return matches[0]
    if not matches and len(found) == 1:
        return found[0]
    problem = (
        f"several columns could hold personnummer: {quoted_names(matches)}"
        if matches
        else "no column is named like a personnummer column; the file has columns"
        f" {quoted_names(found)}{_header_hint(plan, keys)}"
    )
    raise input_error(
        plan.path,
        problem,
        f"{keys.column[0].upper()}{keys.column[1:]} the one to use (names taken by themselves:"
        f" {', '.join(PNR_COLUMN_NAMES)})",
    )
