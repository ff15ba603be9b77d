"""Reading include, exclude and flag lists: the valid personnummer of a file, and what in it
could not be used.

Why apart: each unusable row of an exclusion list is a resident who is *not* excluded, so a
list is never read silently. :class:`ListRead` counts the invalid and the blank rows and keeps a
few masked examples with the row the analyst sees in Excel or an editor (title rows above the
header count), for the funnel's notes. A list's column is named in the campaign as
``{path: …, column: …}`` when its name does not tell it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from inkorg_kit import pnr
from inkorg_kit.errors import TargetError
from inkorg_kit.io import SettingKeys, read_extract

__all__ = ["ListRead", "read_list"]

_LIST_EXAMPLES = 3


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


def read_list(
    path: Path,
    reference: dt.date,
    what: str,
    *,
    column: str | None = None,
    header_row: int | None = None,
) -> ListRead:
    """Valid personnummer of a list file (distinct), and its unusable rows with examples.

    ``reference`` decides the century of 10-digit numbers; ``what`` names the list in errors;
    ``column`` is the personnummer column (None: the one named like it, or the only one) and
    ``header_row`` the row of the header (None: found below any title rows). Examples name
    the row as Excel or an editor shows it.
    """
    if not path.is_file():
        raise TargetError(
            f"{what} '{path}' does not exist (working folder: {Path.cwd()}); check the path in "
            "the campaign, relative paths count from the folder the notebook runs in"
        )
    keys = SettingKeys(
        column=f"name it in the campaign's entry of the {what}: {{path: {path.name}, column: …}};"
        " set column to",
        header_row=f"write the {what} as {{path: {path.name}, header_row: …}} with header_row",
    )
    table = read_extract(path, column, header_row=header_row, keys=keys, only_pnr=True)
    assert table.pnr_column is not None
    values = table.frame[table.pnr_column]
    cleaned = pnr.clean(values, reference_date=reference)
    rejected = cleaned["status"] == "rejected"
    empty = rejected & (cleaned["reason"] == "empty")
    invalid = rejected & ~empty
    examples: tuple[str, ...] = ()
    if invalid.any():
        rows = invalid.arg_true().head(_LIST_EXAMPLES)
        shown = pl.DataFrame(
            {
                "row": rows,
                "value": pnr.mask(values.gather(rows)),
                "reason": cleaned["reason"].gather(rows).cast(pl.String),
            }
        )
        examples = tuple(
            f"rad {table.first_row + row}: {value} ({pnr.REASON_LABELS.get(reason, reason)})"
            for row, value, reason in shown.iter_rows()
        )
    return ListRead(
        numbers=cleaned["pnr"].drop_nulls().unique(),
        invalid=int(invalid.sum()),
        empty=int(empty.sum()),
        examples=examples,
    )
