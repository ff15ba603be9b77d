"""Errors of reading: :class:`InputError`, and the one sentence every one of them reads as.

Why one place: every reader (text, Excel, Parquet, SQL) says where it went wrong (file, line
as an editor shows it, column), what was wrong and what to do, and none of them may show a
personnummer: :func:`scrub` masks every run of ten or more digits in each message.

>>> str(input_error("lista.csv", "no row holds 19900101-2385", "Fix it", row=3))
"Cannot read 'lista.csv', line 3: no row holds 19900101-****. Fix it."
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from inkorg_kit import pnr
from inkorg_kit.errors import InkorgError

__all__ = [
    "PYTHON_KEYS",
    "TODO_COLUMNS",
    "TODO_EMPTY",
    "TODO_ENCODING",
    "InputError",
    "SettingKeys",
    "TruncatedInputWarning",
    "first_line",
    "input_error",
    "quoted_names",
    "scrub",
    "top_rows_text",
]

_LONG_DIGITS = re.compile(r"\d(?:[\d \-+\u00a0\u2010-\u2015\u2212]*\d)?")

#: What to do, said the same way by every reader.
TODO_ENCODING = (
    "Save it from Excel as 'CSV UTF-8 (kommaavgränsad)', or pass encoding='...' if you know "
    "the file's encoding"
)
TODO_EMPTY = "Check that the export finished and that this is the right file"
TODO_COLUMNS = "Pass the column name exactly as the file writes it, or fix the file's header"


@dataclass(frozen=True)
class SettingKeys:
    """How the reader's caller names its settings in messages: a campaign's YAML keys
    (``target.pnr_column``) or a function's arguments (``column=``)."""

    column: str  # the personnummer column
    header_row: str  # the row of the header


#: The settings as :func:`~inkorg_kit.io.read_table`'s keyword arguments.
PYTHON_KEYS = SettingKeys(column="pass column=", header_row="pass header_row=")


class InputError(InkorgError):
    """A file (or query) that cannot be read as asked: where it went wrong and what to do.

    ``path`` is the file (or the database URL with its password hidden), ``row`` the 1-based
    line or row (or None), ``column`` the column concerned (or None). For missing columns,
    ``missing`` names them all and ``found`` lists the file's columns (masked like the text).
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | os.PathLike[str] | None,
        row: int | None = None,
        column: str | None = None,
        missing: Sequence[str] = (),
        found: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.path = path
        self.row = row
        self.column = column
        self.missing = tuple(scrub(name) for name in missing)
        self.found = tuple(scrub(name) for name in found)


class TruncatedInputWarning(UserWarning):
    """A text file that ends in the middle of its last value: that row is rejected as
    ``truncated`` (see :data:`inkorg_kit.pnr.TRUNCATED_MARK`); the message says which file and
    line, in Swedish, with the value masked."""


def input_error(
    path: str | os.PathLike[str],
    problem: str,
    todo: str,
    *,
    row: int | None = None,
    column: str | None = None,
    missing: Sequence[str] = (),
    found: Sequence[str] = (),
) -> InputError:
    """Compose the one sentence every InputError reads as: where, what, what to do."""
    where = f"'{path}'"
    if row is not None:
        where += f", line {row}"
    if column is not None:
        where += f", column '{scrub(column)}'"
    return InputError(
        f"Cannot read {where}: {scrub(problem)}. {scrub(todo)}.",
        path=path,
        row=row,
        column=column,
        missing=missing,
        found=found,
    )


def scrub(text: str) -> str:
    """Mask every run of 10 or more digits, so no personnummer reaches a message."""

    def mask(match: re.Match[str]) -> str:
        run = match.group(0)
        return pnr.mask(run) if sum(ch.isdigit() for ch in run) >= 10 else run

    return _LONG_DIGITS.sub(mask, text)


def quoted_names(columns: Iterable[str]) -> str:
    return ", ".join(f"'{scrub(c)}'" for c in columns) or "(none)"


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return scrub(text[0]) if text else type(exc).__name__


def top_rows_text(rows: Sequence[str], limit: int = 6) -> str:
    """The first rows of a file that are not blank, masked: ``line 1: 'Rapport: …'; …``."""
    shown = [
        f"line {number}: '{scrub(text.strip()[:80])}'"
        for number, text in enumerate(rows, start=1)
        if text.strip()
    ]
    return "; ".join(shown[:limit]) or "(none)"
