"""The layout of a text file: its decoding, its ``sep=`` line, delimiter and header, and the
options polars reads it with.

Why apart from the CSV reading (:mod:`inkorg_kit.io.text`): these decisions are made once, on
the first 256 KiB, and say where the data starts (the line numbers in every message count from
them); the reading then hands the whole file to polars. Text that is not UTF-8 is decoded here,
in Python, and an undecodable byte is reported with its line and offset.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inkorg_kit.io.detect import (
    DELIMITERS,
    NEITHER,
    SEP_LINE,
    SNIFF_LINES,
    detect_and_decode,
    looks_like_number,
    plain_lines,
    sniff,
)
from inkorg_kit.io.messages import TODO_EMPTY, TODO_ENCODING, InputError, input_error
from inkorg_kit.io.plan import BARE_COLUMN, HEADER_SCAN_ROWS, find_header

__all__ = [
    "UNIT_SEPARATOR",
    "Layout",
    "check_delimiter",
    "csv_options",
    "decode",
    "encoding_name",
    "find_layout",
    "first_line_of_data",
    "undecodable",
]

#: One-column files: a separator that never occurs keeps lines whole.
UNIT_SEPARATOR = "\x1f"


@dataclass
class Layout:
    separator: str
    skip_lines: int  # lines above the header: a ``sep=`` line, title lines
    bare: bool
    shown_delimiter: str
    header_found: bool = True  # False: no line named a personnummer column
    top_lines: list[str] = field(default_factory=list)  # the first lines, for messages


def encoding_name(encoding: str) -> str | None:
    if encoding == "auto":
        return None
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise ValueError(
            f"encoding={encoding!r} is not an encoding Python knows; use 'auto' (the default), "
            "'utf-8', 'utf-8-sig', 'cp1252', 'latin-1' or 'utf-16'"
        ) from None


def check_delimiter(delimiter: str | None) -> None:
    if delimiter is not None and (len(delimiter) != 1 or ord(delimiter) > 127):
        raise ValueError(
            f"delimiter={delimiter!r} must be one ASCII character such as ';', ',' or '\\t' "
            "(or None to sniff it)"
        )


def decode(file: Path, data: bytes, enc: str | None) -> str:
    if enc is None:
        try:
            return detect_and_decode(data)[1].removeprefix("\ufeff")
        except UnicodeDecodeError as exc:
            raise undecodable(file, data, exc) from None
    try:
        text = data.decode(enc)
    except UnicodeDecodeError as exc:
        raise undecodable(file, data, exc) from None
    return text.removeprefix("\ufeff")


def undecodable(file: Path, data: bytes, exc: UnicodeDecodeError) -> InputError:
    prefix = data[: exc.start]
    if exc.encoding.replace("_", "-").startswith(("utf-16", "utf-32")):
        line = prefix.decode(exc.encoding, errors="replace").count("\n") + 1
    else:
        line = prefix.count(b"\n") + 1
    if exc.reason == NEITHER:
        label = "UTF-8 or Windows-1252"
    else:
        label = {"utf-8": "UTF-8", "cp1252": "Windows-1252"}.get(
            codecs.lookup(exc.encoding).name, exc.encoding
        )
    if exc.reason.startswith("the file mixes"):
        problem = f"{exc.reason}: byte 0x{data[exc.start]:02X} at byte offset {exc.start}"
    else:
        problem = (
            f"byte 0x{data[exc.start]:02X} at byte offset {exc.start} is not valid {label} text"
        )
    return input_error(file, problem, TODO_ENCODING, row=line)


def find_layout(
    file: Path,
    head_text: str,
    complete: bool,
    delimiter: str | None,
    header_row: int | None = None,
    wanted: str | None = None,
) -> Layout:
    """Find the ``sep=`` line, the header line (below any title lines), the delimiter, and
    whether the file is a bare list.

    The header is line ``header_row`` (1-based, as an editor shows it) when given; else the
    first line that names a personnummer column (or ``wanted``); else the first line.
    """
    parts = head_text.split("\n", SNIFF_LINES)
    if len(parts) > SNIFF_LINES:  # enough to sniff; the rest is polars' to read
        rest = parts.pop()
        complete = complete and (not rest or rest.isspace())
    raw_lines = [line.rstrip("\r") for line in parts]
    skip = 0
    separator = None
    sep_line = SEP_LINE.match(raw_lines[0])
    if sep_line:
        separator, skip = sep_line.group(1), 1
        if ord(separator) > 127:
            raise input_error(
                file,
                f"the first line names the delimiter {separator!r}, which is not ASCII",
                "Save the file with ';', ',' or tab as the delimiter",
                row=1,
            )
    top = raw_lines[skip : skip + HEADER_SCAN_ROWS]
    found = True
    if header_row is not None:
        outside = not skip < header_row <= len(raw_lines)
        if outside or not raw_lines[header_row - 1].strip():
            problem = "not among the file's first lines" if outside else "blank"
            raise input_error(
                file,
                f"the header row is set to {header_row}, but line {header_row} is {problem}",
                "Set the header row to the line that names the columns (1 = the first line)",
                row=header_row,
            )
        skip = header_row - 1
    else:
        candidates = [delimiter] if delimiter else [separator] if separator else DELIMITERS
        index = find_header([_cells(line, candidates) for line in top], wanted)
        if index is not None:
            skip += index
        else:
            found = False
            if separator is None and delimiter is None:
                skip += _below_title_lines(top)
    body = "\n".join(raw_lines[skip:])
    records = [line for line in plain_lines(body) if line.strip()]  # quoted newlines joined
    if not records:
        raise input_error(file, "the file is empty (only a BOM or whitespace)", TODO_EMPTY)
    if delimiter is not None:
        separator = delimiter
    elif separator is None:
        separator = sniff(body)
    first_raw = next(line for line in raw_lines[skip:] if line.strip())
    one_column = separator is None or records[0].count(separator) == 0
    bare = not found and one_column and looks_like_number(first_raw)
    if complete and not bare and len(records) <= 1:
        raise input_error(file, "the file is empty (a header but no rows)", TODO_EMPTY)
    shown = separator or ","
    if one_column and delimiter is None and UNIT_SEPARATOR not in head_text:
        separator = UNIT_SEPARATOR
    if not found and not bare:  # polars takes the first line that is not blank as the header
        skip += next(i for i, line in enumerate(raw_lines[skip:]) if line.strip())
    return Layout(separator or ",", skip, bare, shown, found, raw_lines[:HEADER_SCAN_ROWS])


def _below_title_lines(top: list[str]) -> int:
    """Lines of title above a table whose header names no personnummer column: when the first
    line that is not blank holds no delimiter but a later line starts a table (``;`` or tab
    at least once, ``,`` at least twice, as often in the lines after it), that line is the
    header. 0 when there is no such table (a one-column list keeps its first line)."""
    lines = plain_lines("\n".join(top))
    filled = [i for i, line in enumerate(lines) if line.strip()]
    if not filled or any(d in lines[filled[0]] for d in DELIMITERS):
        return 0
    for i in filled[1:]:
        for candidate in DELIMITERS:
            count = lines[i].count(candidate)
            if count < (2 if candidate == "," else 1):
                continue
            after = [line for line in lines[i + 1 :] if line.strip()][:20]
            same_shape = all(line.count(candidate) == count for line in after)
            if len(after) >= 2 and same_shape and _names_columns(lines[i], candidate):
                return i
    return 0


def _names_columns(line: str, delimiter: str) -> bool:
    """A line that can be a header: every cell a name (text, not blank, not a number)."""
    cells = [cell.strip() for cell in _cells(line, [delimiter])]
    return all(cell and not cell.replace(",", "").replace(".", "").isdigit() for cell in cells)


def _cells(line: str, delimiters: Sequence[str]) -> list[str]:
    """The cells of one line, split by each delimiter in turn (quotes respected)."""
    cells: list[str] = []
    for candidate in delimiters:
        try:
            cells.extend(next(csv.reader([line], delimiter=candidate), []))
        except csv.Error:
            cells.append(line)
    return cells


def first_line_of_data(layout: Layout) -> int:
    """After a ``sep=`` line and title lines, if any, and the header, unless the file is a
    bare list."""
    return layout.skip_lines + (1 if layout.bare else 2)


def csv_options(layout: Layout) -> dict[str, Any]:
    options: dict[str, Any] = {
        "separator": layout.separator,
        "has_header": not layout.bare,
        "skip_lines": layout.skip_lines,
        "infer_schema": False,
        "quote_char": '"',
    }
    if layout.bare:
        options["new_columns"] = [BARE_COLUMN]
    return options
