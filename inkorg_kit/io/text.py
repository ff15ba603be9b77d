"""Reading CSV and TXT files (and bare lists of numbers) into polars, fast, and saying which
line broke when they cannot be read.

Why apart from the layout (:mod:`inkorg_kit.io.text_layout`): this is the reading itself. A
UTF-8 file goes straight from its path to polars with ``infer_schema=False``; only its first
256 KiB are read in Python, to find the layout. Other encodings (and CR-only line endings) are
decoded in Python once and handed to polars as UTF-8 bytes. When polars refuses a file, a
second pass (on that error path only) finds the line: too many fields, or an open quote.

A file that does not end in a newline may have been cut short (a copy that stopped, a file
saved while still being written): when the personnummer column is its last column and its last
value has fewer digits than is typical of the values before it, that value is marked
(:data:`inkorg_kit.pnr.TRUNCATED_MARK`) so that :func:`inkorg_kit.pnr.clean` rejects the row as
``truncated`` instead of reading the cut digits as another number, and a
:class:`~inkorg_kit.io.messages.TruncatedInputWarning` names the file and line.
"""

from __future__ import annotations

import csv
import warnings
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import TextIO

import polars as pl

from inkorg_kit import pnr
from inkorg_kit.io.detect import maybe_utf8
from inkorg_kit.io.messages import (
    TODO_EMPTY,
    InputError,
    TruncatedInputWarning,
    first_line,
    input_error,
)
from inkorg_kit.io.plan import BARE_COLUMN, Plan, clean_names
from inkorg_kit.io.text_layout import (
    UNIT_SEPARATOR,
    Layout,
    check_delimiter,
    csv_options,
    decode,
    encoding_name,
    find_layout,
    first_line_of_data,
)

__all__ = ["read_csv", "text_header", "text_plan"]

_HEAD_BYTES = 1 << 18  # read in Python to sniff; polars reads the whole file


def text_plan(
    file: Path,
    encoding: str,
    delimiter: str | None,
    header_row: int | None = None,
    wanted: str | None = None,
) -> Plan:
    check_delimiter(delimiter)
    enc = encoding_name(encoding)
    size = file.stat().st_size
    with open(file, "rb") as handle:
        head = handle.read(_HEAD_BYTES)
    complete = len(head) >= size
    utf8 = enc in (None, "utf-8", "utf-8-sig")
    if utf8 and enc is None:
        utf8 = maybe_utf8(head)
    if b"\r" in head and b"\n" not in head:  # old Excel for Mac: lines end in CR alone
        utf8 = False
    if utf8:
        cut = head if complete else head[: head.rfind(b"\n") + 1]
        try:
            head_text = cut.decode("utf-8-sig")
        except UnicodeDecodeError:
            utf8 = False
    if not utf8:
        return _decoded_plan(file, file.read_bytes(), enc, delimiter, header_row, wanted)

    layout = find_layout(file, head_text, complete, delimiter, header_row, wanted)
    raw = text_header(file, str(file), layout)

    def load(indices: list[int] | None, pnr_names: set[str]) -> pl.DataFrame:
        try:
            frame = read_csv(str(file), layout, indices)
        except pl.exceptions.PolarsError as exc:
            if "utf-8" not in str(exc).lower():
                raise _csv_error(file, exc, layout, len(raw), _utf8_lines(file)) from None
        else:
            if _ends_in_newline(file):
                return frame
            return _mark_truncated_last(frame, file, layout, raw, indices, pnr_names)
        # Valid UTF-8 at the start, not further on: decode in Python (cp1252, or say where).
        slow = _decoded_plan(file, file.read_bytes(), enc, delimiter, header_row, wanted)
        kept = None if indices is None else [slow.raw_columns.index(raw[i]) for i in indices]
        return slow.load(kept, pnr_names)

    return _plan(file, raw, load, layout)


def _utf8_lines(file: Path) -> Callable[[], TextIO]:
    return lambda: open(file, encoding="utf-8-sig", errors="replace", newline="")


def _plan(
    file: Path,
    raw: list[str],
    load: Callable[[list[int] | None, set[str]], pl.DataFrame],
    layout: Layout,
) -> Plan:
    return Plan(
        file,
        "text",
        raw,
        load,
        first_line_of_data(layout),
        header_row=None if layout.bare else layout.skip_lines + 1,
        header_found=layout.header_found,
        top_rows=layout.top_lines,
    )


def _decoded_plan(
    file: Path,
    data: bytes,
    enc: str | None,
    delimiter: str | None,
    header_row: int | None = None,
    wanted: str | None = None,
) -> Plan:
    """Decode in Python (non-UTF-8 input, CR-only line endings), then let polars read the
    UTF-8 bytes."""
    text = decode(file, data, enc)
    if "\r" in text and "\n" not in text:  # CR-only line endings ("CSV (Macintosh)")
        text = text.replace("\r", "\n")
    if not text or text.isspace():
        raise input_error(file, "the file is empty (only a BOM or whitespace)", TODO_EMPTY)
    head_text = text[:_HEAD_BYTES]
    complete = len(head_text) == len(text)
    if not complete:
        head_text = head_text[: head_text.rfind("\n") + 1]
    layout = find_layout(file, head_text, complete, delimiter, header_row, wanted)
    source = text.encode("utf-8")
    del text
    raw = text_header(file, source, layout)

    def lines() -> TextIO:
        return StringIO(source.decode("utf-8"), newline="")

    def load(indices: list[int] | None, pnr_names: set[str]) -> pl.DataFrame:
        try:
            frame = read_csv(source, layout, indices)
        except pl.exceptions.PolarsError as exc:
            raise _csv_error(file, exc, layout, len(raw), lines) from None
        if source.endswith((b"\n", b"\r")):
            return frame
        return _mark_truncated_last(frame, file, layout, raw, indices, pnr_names)

    return _plan(file, raw, load, layout)


def _ends_in_newline(file: Path) -> bool:
    with open(file, "rb") as handle:
        handle.seek(-1, 2)  # the file is not empty: open_plan refuses that first
        return handle.read(1) in (b"\n", b"\r")


def _mark_truncated_last(
    frame: pl.DataFrame,
    file: Path,
    layout: Layout,
    raw: list[str],
    indices: list[int] | None,
    pnr_names: set[str],
) -> pl.DataFrame:
    """``frame`` (read from a text file that does not end in a newline) with its last
    personnummer value marked as cut short, and a warning, when it looks cut short.

    It looks cut short when the file's last column holds personnummer (a one-column file, or
    the column asked for as personnummer) and its last value has fewer digits than the median
    of the values before it that have digits: 19930815238 after a column of 12-digit numbers.
    """
    last = len(raw) - 1
    if frame.height < 2 or not (indices is None or last in indices):
        return frame
    if last > 0 and clean_names(raw)[last] not in pnr_names:
        return frame
    name = frame.columns[-1]  # polars keeps the file's order of the columns read
    values = frame[name].cast(pl.String)
    digits = values.str.count_matches(r"\d").fill_null(0)
    before = digits.head(-1).filter(digits.head(-1) > 0)
    cut = digits[-1]
    if cut == 0 or before.is_empty():
        return frame
    typical = float(before.median())
    if cut >= typical:
        return frame
    value = values[-1]
    line = first_line_of_data(layout) + frame.height - 1
    warnings.warn(
        TruncatedInputWarning(
            f"'{file}', rad {line}: filen slutar mitt i ett värde. Sista raden"
            f" ({pnr.mask(value)!r}) har {cut} siffror, raderna före har {typical:g}; den avvisas"
            " som avkortad (inte läst som ett annat nummer). Kontrollera att filen kom med"
            " hela vägen: exportera eller kopiera den igen."
        ),
        stacklevel=2,
    )
    marked = values.clone()
    marked.scatter(frame.height - 1, value + pnr.TRUNCATED_MARK)
    return frame.with_columns(marked.alias(name))


def text_header(file: Path, source: str | bytes, layout: Layout) -> list[str]:
    if layout.bare:
        return [BARE_COLUMN]
    try:
        return pl.read_csv(source, n_rows=0, **csv_options(layout)).columns
    except pl.exceptions.PolarsError as exc:
        raise input_error(
            file,
            f"the header line cannot be parsed with delimiter {layout.shown_delimiter!r} "
            f"({first_line(exc)})",
            "Check the quotes in the header, or pass delimiter=...",
            row=layout.skip_lines + 1,
        ) from None


def read_csv(source: str | bytes, layout: Layout, indices: list[int] | None) -> pl.DataFrame:
    options = csv_options(layout)
    if indices is not None and not layout.bare:
        options["columns"] = indices
    try:
        return pl.read_csv(source, **options)
    except pl.exceptions.PolarsError:
        if layout.separator != UNIT_SEPARATOR:
            raise
    # One column with a stray quote (19900101-0017"): take lines as they are, then unquote
    # fields that are quoted whole, so that the value is kept (and pnr.clean says why).
    frame = pl.read_csv(source, **{**options, "quote_char": None})
    return frame.select(_unquote(pl.col(name)).alias(_unquote_name(name)) for name in frame.columns)


def _unquote(e: pl.Expr) -> pl.Expr:
    quoted = e.str.starts_with('"') & e.str.ends_with('"') & (e.str.len_chars() >= 2)
    inner = e.str.slice(1, e.str.len_chars() - 2).str.replace_all('""', '"', literal=True)
    return pl.when(quoted).then(inner).otherwise(e)


def _unquote_name(name: str) -> str:
    quoted = len(name) >= 2 and name.startswith('"') and name.endswith('"')
    return name[1:-1].replace('""', '"') if quoted else name


def _csv_error(
    file: Path,
    exc: pl.exceptions.PolarsError,
    layout: Layout,
    n_fields: int,
    lines: Callable[[], TextIO],
) -> InputError:
    """Say which line broke polars' parse; the locating pass runs only on this error path."""
    line, fields = _locate_bad_record(lines, layout, n_fields)
    if line is not None and fields is not None:
        return input_error(
            file,
            f"this line has {fields} fields but the header has {n_fields} "
            f"(delimiter {layout.shown_delimiter!r})",
            "Put double quotes around fields that contain the delimiter, "
            "or pass delimiter=... if the delimiter is wrong",
            row=line,
        )
    if line is not None:
        return input_error(
            file,
            "a double quote opened on this line is never closed",
            "Check the double quotes from that line on",
            row=line,
        )
    return input_error(
        file,
        f"it cannot be parsed as CSV with delimiter {layout.shown_delimiter!r} ({first_line(exc)})",
        "Check the delimiter and the quoting, or pass delimiter=...",
    )


def _locate_bad_record(
    lines: Callable[[], TextIO], layout: Layout, n_fields: int
) -> tuple[int | None, int | None]:
    separator = layout.separator
    with lines() as handle:
        for _ in range(layout.skip_lines):
            handle.readline()
        reader = csv.reader(handle, delimiter=separator, quotechar='"', strict=True)
        header_seen = layout.bare
        while True:
            start = layout.skip_lines + reader.line_num + 1
            try:
                record = next(reader)
            except StopIteration:
                break
            except csv.Error:
                return start, None
            if not record:
                continue
            if not header_seen:
                header_seen = True
            elif len(record) > n_fields:
                return start, len(record)
    return None, None
