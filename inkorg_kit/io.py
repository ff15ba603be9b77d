"""Reading the lists analysts really get, and writing files that hold personnummer.

Extracts arrive as CSV from Swedish Excel (Windows-1252, ``;``, sometimes a ``sep=;`` first
line), UTF-8 with or without a BOM, Excel's "Unicode text" (UTF-16, tab-separated), XLSX with
personnummer typed as numbers, Parquet, a bare list of numbers without a header, or an SQL
query. Each comes back as a polars frame whose personnummer column is text (no lost leading
zero, no ``1.99E+11``), or fails with an :class:`InputError` that names the file, the line and
the column and says what to do, and never shows a personnummer in full.

Speed: a UTF-8 CSV goes straight from its path to polars with ``infer_schema=False``; only the
first 256 KiB are read in Python (to sniff the delimiter and header). Input that is not UTF-8
is decoded in Python and handed to polars as UTF-8 bytes.

Writing: every file that can hold personnummer is written atomically with owner-only
permissions; the writers of :mod:`inkorg_kit._files` are re-exported here, and
:func:`write_frame` adds polars frames as CSV or Parquet.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import polars as pl

from inkorg_kit import pnr
from inkorg_kit._files import (
    atomic_private_file,
    atomic_private_path,
    ensure_private_dir,
    write_private_bytes,
    write_private_text,
)
from inkorg_kit.errors import InkorgError
from inkorg_kit.privacy import redact_secrets, secrets_in_url

__all__ = [
    "PNR_COLUMN_NAMES",
    "InputError",
    "atomic_private_file",
    "atomic_private_path",
    "detect_encoding",
    "ensure_private_dir",
    "read_pnr_column",
    "read_sql",
    "read_table",
    "redact_secrets",
    "sniff_delimiter",
    "write_frame",
    "write_private_bytes",
    "write_private_text",
]

#: Column names (case-insensitive; spaces and hyphens count as ``_``) taken for personnummer.
PNR_COLUMN_NAMES = ("personnummer", "pnr", "personnr", "person_nr", "patient_pnr", "ssn")
#: Delimiters we sniff, in order of preference when two fit equally well (Swedish Excel: ``;``).
DELIMITERS = (";", "\t", ",")
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
PARQUET_SUFFIXES = (".parquet", ".pq")
BARE_COLUMN = "personnummer"

_HEAD_BYTES = 1 << 18  # read in Python to sniff; polars reads the whole file
_SNIFF_LINES = 200
_UNIT_SEPARATOR = "\x1f"  # one-column files: a separator that never occurs keeps lines whole
_UTF8_LATIN = re.compile(rb"[\xc2\xc3][\x80-\xbf]")  # å ä ö é … as UTF-8 byte pairs
_BOMS = (  # (BOM, name we report, codec for the bytes after it); UTF-32 LE before UTF-16 LE
    (codecs.BOM_UTF32_LE, "utf-32", "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32", "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig", "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16", "utf-16-be"),
)
_QUOTED = re.compile(r'"(?:[^"]|"")*(?:"|\Z)', re.DOTALL)
_SEP_LINE = re.compile(r'^\s*"?sep=(.)"?\s*$', re.IGNORECASE)
_NUMBER_CHARS = re.compile(r"[\d\s\-+.,'\"\u2010-\u2015\u2212]")
_LONG_DIGITS = re.compile(r"\d(?:[\d \-+\u00a0\u2010-\u2015\u2212]*\d)?")

_NEITHER = "neither valid UTF-8 nor Windows-1252"
_TODO_ENCODING = (
    "Save it from Excel as 'CSV UTF-8 (kommaavgränsad)', or pass encoding='...' if you know "
    "the file's encoding"
)
_TODO_EMPTY = "Check that the export finished and that this is the right file"
_TODO_COLUMNS = "Pass the column name exactly as the file writes it, or fix the file's header"


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
        self.missing = tuple(_scrub(name) for name in missing)
        self.found = tuple(_scrub(name) for name in found)


def _error(
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
        where += f", column '{_scrub(column)}'"
    return InputError(
        f"Cannot read {where}: {_scrub(problem)}. {_scrub(todo)}.",
        path=path,
        row=row,
        column=column,
        missing=missing,
        found=found,
    )


def _scrub(text: str) -> str:
    """Mask every run of 10 or more digits, so no personnummer reaches a message."""

    def mask(match: re.Match[str]) -> str:
        run = match.group(0)
        return pnr.mask(run) if sum(ch.isdigit() for ch in run) >= 10 else run

    return _LONG_DIGITS.sub(mask, text)


def _names(columns: Iterable[str]) -> str:
    return ", ".join(f"'{_scrub(c)}'" for c in columns) or "(none)"


# --------------------------------------------------------------------------- public helpers


def detect_encoding(data: bytes) -> str:
    """The encoding of ``data``: a BOM decides; else UTF-8 if valid; else Windows-1252.

    Windows-1252 (the "ANSI" of Swedish Excel; a superset of Latin-1's letters) is accepted
    only when plausible: none of its undefined bytes 0x81 0x8D 0x8F 0x90 0x9D, and no UTF-8
    letters mixed in. Otherwise raises :class:`UnicodeDecodeError` at the offending byte.

    >>> detect_encoding("Åsa;Öberg".encode("cp1252")), detect_encoding(b"pnr")
    ('cp1252', 'utf-8')
    """
    return _detect_and_decode(data)[0]


def _detect_and_decode(data: bytes) -> tuple[str, str]:
    """Detect and decode in one pass over the data (big extracts: no second decode)."""
    for bom, name, body in _BOMS:
        if data.startswith(bom):
            try:
                return name, data[len(bom) :].decode(body)
            except UnicodeDecodeError as exc:  # offsets from the file's start, not the BOM's end
                start, end = exc.start + len(bom), exc.end + len(bom)
                raise UnicodeDecodeError(body, data, start, end, exc.reason) from None
    name = _bomless_utf16(data) or "utf-8"
    try:
        return name, data.decode(name)
    except UnicodeDecodeError as exc:
        if name != "utf-8":
            raise
        utf8_error = exc
    if _has_utf8_letters(data):
        raise UnicodeDecodeError(
            "utf-8",
            data,
            utf8_error.start,
            utf8_error.end,
            "the file mixes UTF-8 with another encoding (Windows-1252?)",
        )
    try:  # Python's cp1252 rejects exactly the five undefined bytes
        return "cp1252", data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise UnicodeDecodeError("cp1252", data, exc.start, exc.end, _NEITHER) from None


def _has_utf8_letters(data: bytes) -> bool:
    """Å Ä Ö é … encoded as UTF-8 (C2/C3 + continuation byte); ``find`` first, it is fast."""
    for lead in (b"\xc2", b"\xc3"):
        start = data.find(lead)
        if start != -1 and _UTF8_LATIN.search(data, start):
            return True
    return False


def _bomless_utf16(data: bytes) -> str | None:
    """UTF-16 without a BOM shows as a NUL in every other byte of ASCII-heavy text."""
    sample = data[:4096]
    half = len(sample) // 2
    if half < 2:
        return None
    even, odd = sample[0::2].count(0) / half, sample[1::2].count(0) / half
    if odd > 0.4 and even < 0.05:
        return "utf-16-le"
    if even > 0.4 and odd < 0.05:
        return "utf-16-be"
    return None


def sniff_delimiter(sample: str) -> str:
    """The delimiter of a CSV sample: ``;``, tab or ``,`` (``,`` if none fits).

    A candidate must occur in the first line (header or first row) and is scored by how many
    lines hold it exactly as often; quoted fields are ignored, and an Excel ``sep=`` line wins.

    >>> sniff_delimiter("pnr;belopp\\n19900101-0017;1,5\\n")
    ';'
    """
    found = _sniff(sample)
    return found if found is not None else ","


def _sniff(sample: str) -> str | None:
    sep_line = _SEP_LINE.match(sample.removeprefix("\ufeff").split("\n", 1)[0])
    if sep_line:
        return sep_line.group(1)
    lines = [line for line in _plain_lines(sample) if line.strip()][:_SNIFF_LINES]
    if not lines:
        return None
    best: tuple[float, int, int] | None = None
    chosen = None
    for rank, candidate in enumerate(DELIMITERS):
        first = lines[0].count(candidate)
        if first == 0:
            continue
        agree = sum(line.count(candidate) == first for line in lines) / len(lines)
        score = (agree, first, -rank)
        if best is None or score > best:
            best, chosen = score, candidate
    return chosen


def _plain_lines(sample: str) -> list[str]:
    """Lines of a sample with quoted fields blanked out (they may hold delimiters, newlines)."""
    text = _QUOTED.sub('""', sample.removeprefix("\ufeff"))
    return [line.rstrip("\r") for line in text.split("\n")]


def _looks_like_number(line: str) -> bool:
    """A first line that is data, not a header: mostly digits, separators ``-+ ``."""
    text = line.strip().strip("\ufeff").strip()
    digits = sum(ch.isdigit() for ch in text)
    if digits < 6:
        return False
    letters = sum(ch.isalpha() for ch in text)
    others = len(_NUMBER_CHARS.sub("", text)) - letters
    return letters <= 1 and others == 0 and digits >= 0.6 * len(text.replace(" ", ""))


def _norm_name(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().casefold())


def _clean_names(raw: Sequence[str]) -> list[str]:
    """Strip whitespace and stray BOMs from names; keep a raw name if stripping would clash."""
    out: list[str] = []
    for name in raw:
        stripped = name.replace("\ufeff", "").strip()
        clash = stripped != name and (stripped in raw or stripped in out)
        out.append(name if clash or not stripped else stripped)
    return out


# --------------------------------------------------------------------------- plans per format


@dataclass
class _Plan:
    """A file opened far enough to know its columns; ``load`` reads the rows."""

    path: Path
    kind: str  # "text" | "excel" | "parquet"
    raw_columns: list[str]
    load: Callable[[list[int] | None, set[str]], pl.DataFrame]
    first_data_line: int | None = None  # text files: the file line of the first row

    @property
    def columns(self) -> list[str]:
        return _clean_names(self.raw_columns)


def _plan(
    path: str | os.PathLike[str],
    *,
    sheet: str | int | None,
    encoding: str,
    delimiter: str | None,
) -> _Plan:
    file = Path(path)
    if not file.exists():
        raise FileNotFoundError(
            f"'{file}' does not exist (working folder: {Path.cwd()}); check the path"
        )
    if file.is_dir():
        raise _error(file, "this is a folder, not a file", "Pass the path of the file itself")
    if file.stat().st_size == 0:
        raise _error(file, "the file is empty (0 bytes)", _TODO_EMPTY)
    kind = _kind(file)
    if kind == "excel":
        return _excel_plan(file, sheet)
    if kind == "parquet":
        return _parquet_plan(file)
    return _text_plan(file, encoding, delimiter)


def _kind(file: Path) -> str:
    """ "excel", "parquet" or "text", by the first bytes or else the name."""
    with open(file, "rb") as handle:
        magic = handle.read(8)
    suffix = file.suffix.lower()
    if magic.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")) or suffix in EXCEL_SUFFIXES:
        return "excel"
    if magic.startswith(b"PAR1") or suffix in PARQUET_SUFFIXES:
        return "parquet"
    return "text"


# ---- text (CSV, TXT, bare lists)


@dataclass
class _Layout:
    separator: str
    skip_lines: int
    bare: bool
    shown_delimiter: str


def _encoding_name(encoding: str) -> str | None:
    if encoding == "auto":
        return None
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise ValueError(
            f"encoding={encoding!r} is not an encoding Python knows; use 'auto' (the default), "
            "'utf-8', 'utf-8-sig', 'cp1252', 'latin-1' or 'utf-16'"
        ) from None


def _check_delimiter(delimiter: str | None) -> None:
    if delimiter is not None and (len(delimiter) != 1 or ord(delimiter) > 127):
        raise ValueError(
            f"delimiter={delimiter!r} must be one ASCII character such as ';', ',' or '\\t' "
            "(or None to sniff it)"
        )


def _text_plan(file: Path, encoding: str, delimiter: str | None) -> _Plan:
    _check_delimiter(delimiter)
    enc = _encoding_name(encoding)
    size = file.stat().st_size
    with open(file, "rb") as handle:
        head = handle.read(_HEAD_BYTES)
    complete = len(head) >= size
    utf8 = enc in (None, "utf-8", "utf-8-sig")
    if utf8 and enc is None:
        utf8 = _maybe_utf8(head)
    if b"\r" in head and b"\n" not in head:  # old Excel for Mac: lines end in CR alone
        utf8 = False
    if utf8:
        cut = head if complete else head[: head.rfind(b"\n") + 1]
        try:
            head_text = cut.decode("utf-8-sig")
        except UnicodeDecodeError:
            utf8 = False
    if not utf8:
        return _decoded_plan(file, file.read_bytes(), enc, delimiter)

    layout = _layout(file, head_text, complete, delimiter)
    raw = _text_header(file, str(file), layout)

    def load(indices: list[int] | None, _pnr: set[str]) -> pl.DataFrame:
        try:
            return _read_csv(str(file), layout, indices)
        except pl.exceptions.PolarsError as exc:
            if "utf-8" not in str(exc).lower():
                raise _csv_error(file, exc, layout, len(raw), _utf8_lines(file)) from None
        # Valid UTF-8 at the start, not further on: decode in Python (cp1252, or say where).
        slow = _decoded_plan(file, file.read_bytes(), enc, delimiter)
        wanted = None if indices is None else [slow.raw_columns.index(raw[i]) for i in indices]
        return slow.load(wanted, _pnr)

    return _Plan(file, "text", raw, load, _first_line_of_data(layout))


def _maybe_utf8(head: bytes) -> bool:
    """False when the first bytes show UTF-16/32 (a BOM, or NULs in every other byte)."""
    boms = (codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    return not head.startswith(boms) and _bomless_utf16(head) is None


def _utf8_lines(file: Path) -> Callable[[], TextIO]:
    return lambda: open(file, encoding="utf-8-sig", errors="replace", newline="")


def _decoded_plan(file: Path, data: bytes, enc: str | None, delimiter: str | None) -> _Plan:
    """Decode in Python (non-UTF-8 input, CR-only line endings), then let polars read the
    UTF-8 bytes."""
    text = _decode(file, data, enc)
    if "\r" in text and "\n" not in text:  # CR-only line endings ("CSV (Macintosh)")
        text = text.replace("\r", "\n")
    if not text or text.isspace():
        raise _error(file, "the file is empty (only a BOM or whitespace)", _TODO_EMPTY)
    head_text = text[:_HEAD_BYTES]
    complete = len(head_text) == len(text)
    if not complete:
        head_text = head_text[: head_text.rfind("\n") + 1]
    layout = _layout(file, head_text, complete, delimiter)
    source = text.encode("utf-8")
    del text
    raw = _text_header(file, source, layout)

    def lines() -> TextIO:
        import io as stdio

        return stdio.StringIO(source.decode("utf-8"), newline="")

    def load(indices: list[int] | None, _pnr: set[str]) -> pl.DataFrame:
        try:
            return _read_csv(source, layout, indices)
        except pl.exceptions.PolarsError as exc:
            raise _csv_error(file, exc, layout, len(raw), lines) from None

    return _Plan(file, "text", raw, load, _first_line_of_data(layout))


def _decode(file: Path, data: bytes, enc: str | None) -> str:
    if enc is None:
        try:
            return _detect_and_decode(data)[1].removeprefix("\ufeff")
        except UnicodeDecodeError as exc:
            raise _undecodable(file, data, exc) from None
    try:
        text = data.decode(enc)
    except UnicodeDecodeError as exc:
        raise _undecodable(file, data, exc) from None
    return text.removeprefix("\ufeff")


def _undecodable(file: Path, data: bytes, exc: UnicodeDecodeError) -> InputError:
    prefix = data[: exc.start]
    if exc.encoding.replace("_", "-").startswith(("utf-16", "utf-32")):
        line = prefix.decode(exc.encoding, errors="replace").count("\n") + 1
    else:
        line = prefix.count(b"\n") + 1
    if exc.reason == _NEITHER:
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
    return _error(file, problem, _TODO_ENCODING, row=line)


def _layout(file: Path, head_text: str, complete: bool, delimiter: str | None) -> _Layout:
    """Find the ``sep=`` line, the delimiter, and whether the file is a bare list."""
    parts = head_text.split("\n", _SNIFF_LINES)
    if len(parts) > _SNIFF_LINES:  # enough to sniff; the rest is polars' to read
        rest = parts.pop()
        complete = complete and (not rest or rest.isspace())
    raw_lines = [line.rstrip("\r") for line in parts]
    skip = 0
    separator = None
    sep_line = _SEP_LINE.match(raw_lines[0])
    if sep_line:
        separator, skip = sep_line.group(1), 1
        if ord(separator) > 127:
            raise _error(
                file,
                f"the first line names the delimiter {separator!r}, which is not ASCII",
                "Save the file with ';', ',' or tab as the delimiter",
                row=1,
            )
    body = "\n".join(raw_lines[skip:])
    records = [line for line in _plain_lines(body) if line.strip()]  # quoted newlines joined
    if not records:
        raise _error(file, "the file is empty (only a BOM or whitespace)", _TODO_EMPTY)
    if delimiter is not None:
        separator = delimiter
    elif separator is None:
        separator = _sniff(body)
    first_raw = next(line for line in raw_lines[skip:] if line.strip())
    one_column = separator is None or records[0].count(separator) == 0
    bare = one_column and _looks_like_number(first_raw)
    if complete and not bare and len(records) <= 1:
        raise _error(file, "the file is empty (a header but no rows)", _TODO_EMPTY)
    shown = separator or ","
    if one_column and delimiter is None and _UNIT_SEPARATOR not in head_text:
        separator = _UNIT_SEPARATOR
    return _Layout(separator or ",", skip, bare, shown)


def _first_line_of_data(layout: _Layout) -> int:
    """After a ``sep=`` line, if any, and the header, unless the file is a bare list."""
    return layout.skip_lines + (1 if layout.bare else 2)


def _csv_options(layout: _Layout) -> dict[str, Any]:
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


def _text_header(file: Path, source: str | bytes, layout: _Layout) -> list[str]:
    if layout.bare:
        return [BARE_COLUMN]
    try:
        return pl.read_csv(source, n_rows=0, **_csv_options(layout)).columns
    except pl.exceptions.PolarsError as exc:
        raise _error(
            file,
            f"the header line cannot be parsed with delimiter {layout.shown_delimiter!r} "
            f"({_first_line(exc)})",
            "Check the quotes in the header, or pass delimiter=...",
            row=layout.skip_lines + 1,
        ) from None


def _read_csv(source: str | bytes, layout: _Layout, indices: list[int] | None) -> pl.DataFrame:
    options = _csv_options(layout)
    if indices is not None and not layout.bare:
        options["columns"] = indices
    try:
        return pl.read_csv(source, **options)
    except pl.exceptions.PolarsError:
        if layout.separator != _UNIT_SEPARATOR:
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


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return _scrub(text[0]) if text else type(exc).__name__


def _csv_error(
    file: Path,
    exc: pl.exceptions.PolarsError,
    layout: _Layout,
    n_fields: int,
    lines: Callable[[], TextIO],
) -> InputError:
    """Say which line broke polars' parse; the locating pass runs only on this error path."""
    line, fields = _locate_bad_record(lines, layout, n_fields)
    if line is not None and fields is not None:
        return _error(
            file,
            f"this line has {fields} fields but the header has {n_fields} "
            f"(delimiter {layout.shown_delimiter!r})",
            "Put double quotes around fields that contain the delimiter, "
            "or pass delimiter=... if the delimiter is wrong",
            row=line,
        )
    if line is not None:
        return _error(
            file,
            "a double quote opened on this line is never closed",
            "Check the double quotes from that line on",
            row=line,
        )
    return _error(
        file,
        f"it cannot be parsed as CSV with delimiter {layout.shown_delimiter!r} "
        f"({_first_line(exc)})",
        "Check the delimiter and the quoting, or pass delimiter=...",
    )


def _locate_bad_record(
    lines: Callable[[], TextIO], layout: _Layout, n_fields: int
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


# ---- Excel


def _excel_plan(file: Path, sheet: str | int | None) -> _Plan:
    import fastexcel

    try:
        reader = fastexcel.read_excel(str(file))
    except Exception as exc:  # fastexcel raises its own, varied errors
        raise _error(
            file,
            f"it is not a readable Excel workbook ({_first_line(exc)})",
            "Open it in Excel and save it as .xlsx, or export it as CSV",
        ) from None
    names = reader.sheet_names
    index = _sheet_index(file, names, sheet)
    first = reader.load_sheet(index, header_row=None, n_rows=1, dtypes="string").to_polars()
    if first.height == 0 or first.width == 0:
        raise _error(file, f"sheet '{names[index]}' is empty", _TODO_EMPTY)
    bare = first.width == 1 and _looks_like_number(first.item(0, 0) or "")
    header_options: dict[str, Any] = (
        {"header_row": None, "column_names": [BARE_COLUMN]} if bare else {}
    )
    raw = (
        [BARE_COLUMN]
        if bare
        else reader.load_sheet(index, n_rows=1, dtypes="string").to_polars().columns
    )

    def load(indices: list[int] | None, pnr_names: set[str]) -> pl.DataFrame:
        options = dict(header_options)
        if indices is not None:
            options["use_columns"] = indices
        frame = reader.load_sheet(index, dtypes="string", **options).to_polars()
        for position, name in enumerate(raw):
            if name not in frame.columns or _clean_names([name])[0] not in pnr_names:
                continue
            # Numbers typed into Excel: integer digits, lost leading zeros restored as
            # pnr.clean does for integers. Text cells are kept exactly as typed.
            numbers = reader.load_sheet(
                index, use_columns=[position], dtypes={position: "float"}, **header_options
            ).to_polars()
            digits = pnr.as_text(numbers.to_series())
            frame = frame.with_columns(pl.coalesce(digits, frame[name]).alias(name))
        return frame

    return _Plan(file, "excel", raw, load)


def _sheet_index(file: Path, names: list[str], sheet: str | int | None) -> int:
    if not names:
        raise _error(file, "the workbook has no sheets", _TODO_EMPTY)
    if sheet is None:
        return 0
    if isinstance(sheet, int) and 0 <= sheet < len(names):
        return sheet
    if isinstance(sheet, str):
        if sheet in names:
            return names.index(sheet)
        folded = [n.casefold().strip() for n in names]
        if sheet.casefold().strip() in folded:
            return folded.index(sheet.casefold().strip())
    raise _error(
        file,
        f"there is no sheet {sheet!r}; the workbook has sheets {_names(names)}",
        "Pass sheet= one of those names, or its position counting from 0",
    )


# ---- Parquet


def _parquet_plan(file: Path) -> _Plan:
    try:
        raw = list(pl.read_parquet_schema(file))
    except Exception as exc:  # pyarrow/polars raise varied errors
        raise _error(
            file,
            f"it is not a readable Parquet file ({_first_line(exc)})",
            "Check that the export finished, or export the data again",
        ) from None

    def load(indices: list[int] | None, pnr_names: set[str]) -> pl.DataFrame:
        columns = None if indices is None else [raw[i] for i in indices]
        frame = pl.read_parquet(file, columns=columns)
        return _pnr_as_text(frame, pnr_names)

    return _Plan(file, "parquet", raw, load)


def _pnr_as_text(frame: pl.DataFrame, pnr_names: set[str]) -> pl.DataFrame:
    """Typed personnummer columns (Parquet, SQL) as text, integers without ``.0``."""
    changes = [
        pnr.as_text(frame[name]).alias(name)
        for name in frame.columns
        if frame[name].dtype != pl.String
        and (
            _clean_names([name])[0] in pnr_names
            or (_norm_name(name) in PNR_COLUMN_NAMES and frame[name].dtype.is_numeric())
        )
    ]
    return frame.with_columns(changes) if changes else frame


# --------------------------------------------------------------------------- reading


def _check_columns(plan: _Plan, wanted: Sequence[str]) -> None:
    found = plan.columns
    if any(_looks_like_number(name) for name in found):
        # A headerless file of several columns: its first row would become column names.
        raise _error(
            plan.path,
            f"the first line looks like data, not column names: {_names(found)}",
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
            f for f in found if _norm_name(f) == _norm_name(name)
        ]
        if close:
            hints.append(f"did you mean '{close[0]}' for '{name}'?")
    todo = _TODO_COLUMNS
    if hints:
        hint = " ".join(hints)
        todo = f"{hint[0].upper()}{hint[1:]} {todo}"
    word = "column" if len(missing) == 1 else "columns"
    raise _error(
        plan.path,
        f"{word} {_names(missing)} not found; the file has columns {_names(found)}",
        todo,
        column=missing[0],
        missing=missing,
        found=found,
    )


def _read(
    plan: _Plan,
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
        pnr_names |= {c for c in clean if _norm_name(c) in PNR_COLUMN_NAMES}
    frame = plan.load(indices, pnr_names)
    renamed = dict(zip(frame.columns, _clean_names(frame.columns), strict=True))
    frame = frame.rename({k: v for k, v in renamed.items() if k != v})
    if frame.height == 0:
        raise _error(plan.path, "the file is empty (a header but no rows)", _TODO_EMPTY)
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
    plan = _plan(path, sheet=sheet, encoding=encoding, delimiter=delimiter)
    return _read(plan, required_columns=required_columns, pnr_column=pnr_column)


def first_data_line(
    path: str | os.PathLike[str], *, encoding: str = "auto", delimiter: str | None = None
) -> int | None:
    """The file line (1 = the first) of a text file's first data row, as :func:`read_table`
    reads it: after an Excel ``sep=`` line and the header, if there are any. None for Excel
    and Parquet, whose rows have no lines; row numbers there count from the header."""
    if _kind(Path(path)) != "text":  # without opening a workbook for nothing
        return None
    return _plan(path, sheet=None, encoding=encoding, delimiter=delimiter).first_data_line


def read_pnr_column(
    path: str | os.PathLike[str], column: str | None = None, **kw: Any
) -> pl.Series:
    """The personnummer column of a file, as text; only that column is read from disk.

    ``column=None`` takes the column named (case-insensitive) one of
    :data:`PNR_COLUMN_NAMES`, or the only column. ``kw`` go to :func:`read_table`
    (``sheet``, ``encoding``, ``delimiter``, ``required_columns``).
    """
    plan = _plan(
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


def _guess_pnr_column(plan: _Plan) -> str:
    found = plan.columns
    matches = [name for name in found if _norm_name(name) in PNR_COLUMN_NAMES]
    if len(matches) == 1:
        return matches[0]
    if not matches and len(found) == 1:
        return found[0]
    problem = (
        f"several columns could hold personnummer: {_names(matches)}"
        if matches
        else f"no column is named like a personnummer column; the file has columns {_names(found)}"
    )
    raise _error(
        plan.path,
        problem,
        f"Pass column= the one to use (names taken by themselves: {', '.join(PNR_COLUMN_NAMES)})",
    )


# --------------------------------------------------------------------------- SQL


def read_sql(
    url: str | None = None,
    query: str | None = None,
    *,
    url_env: str | None = None,
    pnr_column: str | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> pl.DataFrame:
    """Run ``query`` against the database at ``url`` (SQLAlchemy) and return a polars frame.

    Works the same for ``sqlite:///file.db``, ``postgresql://…`` and ``mssql+pyodbc://…``.
    Give ``url_env="NAME"`` to take the URL from an environment variable, so that a password
    never sits in notebook parameters. Errors show the URL with its password hidden. The
    personnummer column (``pnr_column``, or an integer column named like one) comes back as
    text; bind values with ``parameters`` (``:name`` in the query) rather than pasting them in.
    """
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    if url is not None and url_env is not None:
        raise ValueError("pass either url=... or url_env='NAME', not both")
    source = f"${url_env}" if url_env is not None else "the database URL"
    if url_env is not None:
        url = os.environ.get(url_env)
        if not url:
            raise InputError(
                f"Cannot read from the database: the environment variable {url_env} is not set "
                f"or empty. Set it to the database URL (e.g. export {url_env}="
                "'postgresql://user:password@host/db') before starting Jupyter or papermill.",
                path=source,
            )
    if not url:
        raise ValueError("pass url='sqlite:///file.db' (or another URL) or url_env='NAME'")
    if not query or not str(query).strip():
        raise ValueError("pass query='SELECT …' : the SQL that returns the target group")
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InputError(
            f"Cannot read from the database: {source} is not a database URL. Write it as "
            "dialect+driver://user:password@host/database, e.g. sqlite:///target.db.",
            path=source,
        ) from None
    shown = redact_secrets(parsed.render_as_string(hide_password=True))
    secrets = [str(parsed.password or ""), *secrets_in_url(url)]

    def hide(text: str) -> str:
        return _scrub(redact_secrets(text, *secrets))

    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        in_memory = database in ("", ":memory:") or database.startswith("file:")
        if not in_memory and not Path(database).is_file():
            raise InputError(
                f"Cannot read from '{shown}': the SQLite file '{database}' does not exist "
                f"(working folder: {Path.cwd()}). Check the path after sqlite:///.",
                path=shown,
            )
    try:
        engine = create_engine(parsed, hide_parameters=True)
    except ImportError as exc:
        raise InputError(
            f"Cannot read from '{shown}': the database driver '{exc.name}' is not installed. "
            f"Install it in this environment (pip install {exc.name}) or ask IT to.",
            path=shown,
        ) from None
    except Exception as exc:  # any engine error must pass through hide()
        raise InputError(
            f"Cannot read from '{shown}': {hide(_first_line(exc))}. Check the URL.", path=shown
        ) from None
    try:
        with engine.connect() as connection:
            options = {"parameters": dict(parameters)} if parameters else None
            frame = pl.read_database(query, connection, execute_options=options)
    except Exception as exc:  # driver errors vary; never let the URL leak
        raise InputError(
            f"Cannot read from '{shown}': the query failed ({hide(_first_line(exc))}). "
            "Check the query and that the database is reachable.",
            path=shown,
        ) from None
    finally:
        engine.dispose()
    frame = frame.rename(dict(zip(frame.columns, _clean_names(frame.columns), strict=True)))
    if pnr_column is not None and pnr_column not in frame.columns:
        raise InputError(
            f"Cannot read from '{shown}': the query returned no column '{pnr_column}'; it "
            f"returned columns {_names(frame.columns)}. Name the column in the query "
            f"(… AS {pnr_column}) or pass pnr_column= one of those.",
            path=shown,
            column=pnr_column,
        )
    return _pnr_as_text(frame, {pnr_column} if pnr_column else set())


# --------------------------------------------------------------------------- writing

_WRITERS: dict[str, Callable[[pl.DataFrame, Path], None]] = {
    ".csv": lambda frame, tmp: frame.write_csv(tmp),
    ".txt": lambda frame, tmp: frame.write_csv(tmp),
    ".tsv": lambda frame, tmp: frame.write_csv(tmp, separator="\t"),
    ".parquet": lambda frame, tmp: frame.write_parquet(tmp),
    ".pq": lambda frame, tmp: frame.write_parquet(tmp),
}


def write_frame(df: pl.DataFrame | Any, path: str | os.PathLike[str]) -> Path:
    """Write a frame as CSV (UTF-8, header) or Parquet, chosen by suffix: atomic, mode 0600.

    Why: any frame may hold personnummer, and a half-written file must never be picked up.
    """
    target = Path(path)
    writer = _WRITERS.get(target.suffix.lower())
    if writer is None:
        raise ValueError(
            f"cannot write '{target.name}': the suffix must be one of {', '.join(_WRITERS)}"
        )
    frame = df if isinstance(df, pl.DataFrame) else pl.DataFrame(df)
    with atomic_private_path(target) as tmp:
        writer(frame, tmp)
    return target
