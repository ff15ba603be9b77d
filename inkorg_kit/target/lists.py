"""Reading include, exclude and flag lists: the valid personnummer of a file, and what in it
could not be used.

Why apart: each unusable row of an exclusion list is a resident who is *not* excluded, so a
list is never read silently. :class:`ListRead` counts the invalid and the blank rows and keeps a
few masked examples with the line the analyst sees in an editor, for the funnel's notes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from inkorg_kit import pnr
from inkorg_kit.errors import TargetError
from inkorg_kit.io import read_pnr_column
from inkorg_kit.io.plan import EXCEL_SUFFIXES, PARQUET_SUFFIXES

__all__ = ["ListRead", "read_list"]

_LIST_EXAMPLES = 3
_NOT_TEXT = EXCEL_SUFFIXES + PARQUET_SUFFIXES


@dataclass(frozen=True)
class ListRead:
    """A list file read: its valid personnummer (distinct) and what could not be used."""

    numbers: pl.Series
    invalid: int  # rows with a value that is not a usable personnummer
    empty: int  # blank rows
    examples: tuple[str, ...]  # a few invalid rows: "rad 5: 19900101-**** (fel kontrollsiffra)"

    def note(self, name: str | None = None) -> str | None:
        """Swedish words for the funnel: how many rows were unusable, with masked examples."""
        parts = []
        if self.invalid:
            where = f" i {name}" if name else ""
            shown = f" (t.ex. {'; '.join(self.examples)})" if self.examples else ""
            parts.append(f"{self.invalid} ogiltiga rader{where}{shown}")
        if self.empty:
            parts.append(f"{self.empty} tomma rader{f' i {name}' if name else ''}")
        return "; ".join(parts) or None


def _first_data_line(path: Path, rows: int) -> int | None:
    """The 1-based line of a text list's first data row (after a header and a ``sep=`` line).

    The reader keeps every line, blank ones too, so the lines before the data are the file's
    lines less its rows. None for Excel/Parquet, or when that does not add up (quoted newlines).
    """
    if path.suffix.lower() in _NOT_TEXT:
        return None
    data = path.read_bytes()
    lines = data.count(b"\n") + (0 if not data or data.endswith(b"\n") else 1)
    before = lines - rows
    return before + 1 if 0 <= before <= 2 else None


def read_list(path: Path, reference: dt.date, what: str) -> ListRead:
    """Valid personnummer of a list file (distinct), and its unusable rows with examples.

    ``reference`` decides the century of 10-digit numbers; ``what`` names the list in errors.
    """
    if not path.is_file():
        raise TargetError(
            f"{what} '{path}' does not exist (working folder: {Path.cwd()}); check the path in "
            "the campaign, relative paths count from the folder the notebook runs in"
        )
    values = read_pnr_column(path)
    cleaned = pnr.clean(values, reference_date=reference)
    rejected = cleaned["status"] == "rejected"
    empty = rejected & (cleaned["reason"] == "empty")
    invalid = rejected & ~empty
    examples: tuple[str, ...] = ()
    if invalid.any():
        first = _first_data_line(path, values.len())
        rows = invalid.arg_true().head(_LIST_EXAMPLES)
        shown = pl.DataFrame(
            {
                "row": rows,
                "value": pnr.mask(values.gather(rows)),
                "reason": cleaned["reason"].gather(rows).cast(pl.String),
            }
        )
        examples = tuple(
            f"{'rad ' + str(first + row) if first else 'datarad ' + str(row + 1)}:"
            f" {value} ({pnr.REASON_LABELS.get(reason, reason)})"
            for row, value, reason in shown.iter_rows()
        )
    return ListRead(
        numbers=cleaned["pnr"].drop_nulls().unique(),
        invalid=int(invalid.sum()),
        empty=int(empty.sum()),
        examples=examples,
    )
