"""What every file reader returns, and the column-name rules they share.

Why apart: :func:`~inkorg_kit.io.read_table` opens a file only far enough to know its columns
(a :class:`Plan`), checks the columns asked for, and only then reads the rows, and only the
columns it needs. Text, Excel and Parquet each make a :class:`Plan`; this module holds that
shape, how a file's kind is told (first bytes, else the suffix), how column names are cleaned
and compared, and how a typed personnummer column becomes text.

>>> clean_names([" pnr", "\\ufeffNamn"]), norm_name("Person-Nr ")
(['pnr', 'Namn'], 'person_nr')
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from inkorg_kit import pnr

__all__ = [
    "BARE_COLUMN",
    "EXCEL_SUFFIXES",
    "PARQUET_SUFFIXES",
    "PNR_COLUMN_NAMES",
    "Plan",
    "clean_names",
    "file_kind",
    "norm_name",
    "pnr_as_text",
]

#: Column names (case-insensitive; spaces and hyphens count as ``_``) taken for personnummer.
PNR_COLUMN_NAMES = ("personnummer", "pnr", "personnr", "person_nr", "patient_pnr", "ssn")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
PARQUET_SUFFIXES = (".parquet", ".pq")
#: The column of a one-column file without a header (a bare list of numbers).
BARE_COLUMN = "personnummer"


@dataclass
class Plan:
    """A file opened far enough to know its columns; ``load`` reads the rows."""

    path: Path
    kind: str  # "text" | "excel" | "parquet"
    raw_columns: list[str]
    load: Callable[[list[int] | None, set[str]], pl.DataFrame]
    first_data_line: int | None = None  # text files: the file line of the first row

    @property
    def columns(self) -> list[str]:
        return clean_names(self.raw_columns)


def norm_name(name: str) -> str:
    """A column name compared loosely: case-folded, spaces and hyphens as ``_``."""
    return re.sub(r"[\s\-]+", "_", name.strip().casefold())


def clean_names(raw: Sequence[str]) -> list[str]:
    """Strip whitespace and stray BOMs from names; keep a raw name if stripping would clash."""
    out: list[str] = []
    for name in raw:
        stripped = name.replace("\ufeff", "").strip()
        clash = stripped != name and (stripped in raw or stripped in out)
        out.append(name if clash or not stripped else stripped)
    return out


def file_kind(file: Path) -> str:
    """ "excel", "parquet" or "text", by the first bytes or else the name."""
    with open(file, "rb") as handle:
        magic = handle.read(8)
    suffix = file.suffix.lower()
    if magic.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")) or suffix in EXCEL_SUFFIXES:
        return "excel"
    if magic.startswith(b"PAR1") or suffix in PARQUET_SUFFIXES:
        return "parquet"
    return "text"


def pnr_as_text(frame: pl.DataFrame, pnr_names: set[str]) -> pl.DataFrame:
    """Typed personnummer columns (Parquet, SQL) as text, integers without ``.0``."""
    changes = [
        pnr.as_text(frame[name]).alias(name)
        for name in frame.columns
        if frame[name].dtype != pl.String
        and (
            clean_names([name])[0] in pnr_names
            or (norm_name(name) in PNR_COLUMN_NAMES and frame[name].dtype.is_numeric())
        )
    ]
    return frame.with_columns(changes) if changes else frame
