"""Reading a recipient list: a file, a frame or a column of values, cleaned to one row per input
row with the personnummer in one form.

Why: lists come from many places (notebook 01's target group, an Excel sheet from the clinic,
a column pasted into a notebook) with the personnummer in many spellings. :func:`prepare`
reads any of them (files through :mod:`inkorg_kit.io`) and cleans the numbers with
:func:`inkorg_kit.pnr.clean`, keeping the other columns (e.g. the unit to group by).
:func:`input_path` finds notebook 01's target group in the run folder.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl

from inkorg_kit import pnr
from inkorg_kit.io import PNR_COLUMN_NAMES, read_table
from inkorg_kit.io.plan import norm_name
from inkorg_kit.run import RunFolder

__all__ = ["CLEAN_COLUMNS", "as_polars", "guess_pnr_column", "input_path", "prepare"]

#: The columns :func:`inkorg_kit.pnr.clean` gives, first in a prepared list.
CLEAN_COLUMNS = ("row", "pnr", "kind", "status", "reason", "duplicate_of")


def as_polars(frame: Any, what: str = "frame") -> pl.DataFrame:
    """A polars or pandas frame (or a polars LazyFrame) as a polars DataFrame."""
    if isinstance(frame, pl.DataFrame):
        return frame
    if isinstance(frame, pl.LazyFrame):
        return frame.collect()
    if type(frame).__module__.startswith("pandas") and hasattr(frame, "columns"):
        return pl.from_pandas(frame)
    raise TypeError(f"{what} must be a polars or pandas DataFrame, got {type(frame).__name__}")


def guess_pnr_column(columns: Sequence[str]) -> str:
    """The one column named like a personnummer column, or the only column; else an error."""
    hits = [c for c in columns if norm_name(c) in PNR_COLUMN_NAMES]
    if len(hits) == 1:
        return hits[0]
    if len(columns) == 1:
        return columns[0]
    raise ValueError(
        f"cannot tell which column holds the personnummer among {', '.join(map(repr, columns))};"
        f" pass pnr_column= (one of the columns)"
    )


def input_path(input_file: str | os.PathLike[str], run_dir: str | os.PathLike[str]) -> Path:
    """The list to read: ``input_file``, or if empty ``<run_dir>/target_group.parquet`` (01).

    Why: each notebook picks up the previous one's artefacts from the run folder, so a run in
    another folder never reads a stale target group by accident.
    """
    if str(input_file).strip():
        return Path(input_file)
    path = RunFolder(run_dir).path("target_group")
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} not found: run notebook 01 (01_target_group.ipynb) with"
            f" run_dir={str(run_dir)!r} first, or set input_file to a list or extract"
        )
    return path


def prepare(
    source: Any,
    *,
    pnr_column: str | None = None,
    reference_date: dt.date | str | None = None,
    allow_samordningsnummer: bool = True,
    **read_options: Any,
) -> pl.DataFrame:
    """Read and clean a recipient list: one row per input row, ready for
    :func:`~inkorg_kit.recipients.split`.

    ``source`` is a file path (CSV/TXT, Excel, Parquet, read by :func:`inkorg_kit.io.read_table`),
    a polars/pandas frame, or a column of values (Series or list). The result has the columns of
    :func:`inkorg_kit.pnr.clean` (``row``, ``pnr``, ``kind``, ``status``, ``reason``,
    ``duplicate_of``) followed by the input's other columns (e.g. a unit to group by); the raw
    personnummer column is dropped, the cleaned ``pnr`` replaces it. ``reference_date``
    (``""`` = today) decides the century of 10-digit numbers.
    """
    if isinstance(source, (str, os.PathLike)):
        frame = read_table(source, pnr_column=pnr_column or None, **read_options)
    elif isinstance(source, (pl.DataFrame, pl.LazyFrame)) or (
        type(source).__module__.startswith("pandas") and hasattr(source, "columns")
    ):
        frame = as_polars(source, "source")
    else:
        values = pnr.as_text(source)
        frame = pl.DataFrame({"personnummer": values})
        pnr_column = "personnummer"
    if not pnr_column:
        pnr_column = guess_pnr_column(frame.columns)
    if pnr_column not in frame.columns:
        raise ValueError(
            f"pnr_column={pnr_column!r} is not a column of the input; columns found:"
            f" {', '.join(map(repr, frame.columns)) or '(none)'}"
        )
    cleaned = pnr.clean(
        frame[pnr_column],
        reference_date=reference_date or None,
        allow_samordningsnummer=allow_samordningsnummer,
    )
    extra = frame.drop([pnr_column, *(c for c in CLEAN_COLUMNS if c in frame.columns)])
    return pl.concat([cleaned, extra], how="horizontal")
