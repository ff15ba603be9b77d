"""What every file reader returns, and the column-name rules they share.

Why apart: :func:`~inkorg_kit.io.read_table` opens a file only far enough to know its columns
(a :class:`Plan`), checks the columns asked for, and only then reads the rows, and only the
columns it needs. Text, Excel and Parquet each make a :class:`Plan`; this module holds that
shape, how a file's kind is told (first bytes, else the suffix), how column names are cleaned
and compared, and how a typed personnummer column becomes text.

>>> clean_names([" pnr", "\\ufeffNamn"]), norm_name("Person-Nr "), loose_name("Pers.-nr")
(['pnr', 'Namn'], 'person_nr', 'persnr')

Care systems (Cosmic, TakeCare) put title rows above the header ("Rapport: Besökslista",
"Utskriven 2027-03-01", a blank line): :func:`find_header` takes the first of a file's first
rows that names a personnummer column (:func:`is_pnr_name`, or the column asked for).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from inkorg_kit import pnr

__all__ = [
    "BARE_COLUMN",
    "EXCEL_SUFFIXES",
    "HEADER_SCAN_ROWS",
    "PARQUET_SUFFIXES",
    "PNR_COLUMN_NAMES",
    "Plan",
    "clean_names",
    "file_kind",
    "find_header",
    "is_pnr_name",
    "loose_name",
    "norm_name",
    "pnr_as_text",
]

#: Column names taken for personnummer, compared by :func:`loose_name` (case, spaces, hyphens,
#: dots and underscores do not count): Swedish spellings as care systems write them, and English.
PNR_COLUMN_NAMES = (
    "personnummer",
    "pnr",
    "personnr",
    "person_nr",
    "pers_nr",
    "patient_pnr",
    "patientens_personnummer",
    "patient_personnummer",
    "personnummer_samordningsnummer",
    "ssn",
)
#: How many rows from the top are searched for the header row.
HEADER_SCAN_ROWS = 30
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
    first_data_line: int | None = None  # the line (row in Excel) of the first data row
    header_row: int | None = None  # the line (row) of the header; None: no header
    header_found: bool = True  # False: no row named a personnummer column (row 1 taken)
    top_rows: list[str] = field(default_factory=list)  # the first rows, for error messages

    @property
    def columns(self) -> list[str]:
        return clean_names(self.raw_columns)


def norm_name(name: str) -> str:
    """A column name compared loosely: case-folded, spaces and hyphens as ``_``."""
    return re.sub(r"[\s\-]+", "_", name.strip().casefold())


def loose_name(name: str) -> str:
    """A column name compared loosest: case-folded, without spaces, hyphens, dots, underscores
    or brackets (``Vårdenhetens HSA-id`` → ``vårdenhetenshsaid``)."""
    return re.sub(r"[\W_]+", "", name.replace("\ufeff", "").casefold())


_PNR_KEYS = frozenset(loose_name(name) for name in PNR_COLUMN_NAMES)


def is_pnr_name(name: str | None) -> bool:
    """True for a column named like a personnummer column (:data:`PNR_COLUMN_NAMES`)."""
    return name is not None and loose_name(name) in _PNR_KEYS


def find_header(rows: Sequence[Sequence[str | None]], wanted: str | None) -> int | None:
    """The index of the first row with a cell naming a personnummer column (or ``wanted``,
    compared loosely); None when no row does."""
    key = loose_name(wanted) if wanted else None
    for index, cells in enumerate(rows[:HEADER_SCAN_ROWS]):
        for cell in cells:
            if cell is not None and (is_pnr_name(cell) or (key and loose_name(cell) == key)):
                return index
    return None


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
            or (is_pnr_name(name) and frame[name].dtype.is_numeric())
        )
    ]
    return frame.with_columns(changes) if changes else frame
