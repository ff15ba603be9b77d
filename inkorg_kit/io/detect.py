"""Detecting what a text file is: its encoding, its delimiter, and whether a line is data.

Why apart: Swedish extracts come as Windows-1252 from Excel ("ANSI"), UTF-8 with or without a
BOM, or UTF-16 ("Unicode text"), with ``;``, tab or ``,`` and sometimes an Excel ``sep=`` first
line; these rules decide from the bytes alone, before any CSV is parsed, and they are public
(:func:`detect_encoding`, :func:`sniff_delimiter`) for callers with bytes of their own.
"""

from __future__ import annotations

import codecs
import re

__all__ = [
    "DELIMITERS",
    "NEITHER",
    "SEP_LINE",
    "SNIFF_LINES",
    "bomless_utf16",
    "detect_and_decode",
    "detect_encoding",
    "looks_like_number",
    "maybe_utf8",
    "plain_lines",
    "sniff",
    "sniff_delimiter",
]

#: Delimiters we sniff, in order of preference when two fit equally well (Swedish Excel: ``;``).
DELIMITERS = (";", "\t", ",")
#: Lines looked at to sniff a delimiter.
SNIFF_LINES = 200
#: Excel's first line naming the delimiter: ``sep=;``.
SEP_LINE = re.compile(r'^\s*"?sep=(.)"?\s*$', re.IGNORECASE)
#: The reason of a :class:`UnicodeDecodeError` for bytes that fit no encoding we accept.
NEITHER = "neither valid UTF-8 nor Windows-1252"

_UTF8_LATIN = re.compile(rb"[\xc2\xc3][\x80-\xbf]")  # å ä ö é … as UTF-8 byte pairs
_BOMS = (  # (BOM, name we report, codec for the bytes after it); UTF-32 LE before UTF-16 LE
    (codecs.BOM_UTF32_LE, "utf-32", "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32", "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig", "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16", "utf-16-be"),
)
_QUOTED = re.compile(r'"(?:[^"]|"")*(?:"|\Z)', re.DOTALL)
_NUMBER_CHARS = re.compile(r"[\d\s\-+.,'\"\u2010-\u2015\u2212]")


def detect_encoding(data: bytes) -> str:
    """The encoding of ``data``: a BOM decides; else UTF-8 if valid; else Windows-1252.

    Windows-1252 (the "ANSI" of Swedish Excel; a superset of Latin-1's letters) is accepted
    only when plausible: none of its undefined bytes 0x81 0x8D 0x8F 0x90 0x9D, and no UTF-8
    letters mixed in. Otherwise raises :class:`UnicodeDecodeError` at the offending byte.

    >>> detect_encoding("Åsa;Öberg".encode("cp1252")), detect_encoding(b"pnr")
    ('cp1252', 'utf-8')
    """
    return detect_and_decode(data)[0]


def detect_and_decode(data: bytes) -> tuple[str, str]:
    """Detect and decode in one pass over the data (big extracts: no second decode)."""
    for bom, name, body in _BOMS:
        if data.startswith(bom):
            try:
                return name, data[len(bom) :].decode(body)
            except UnicodeDecodeError as exc:  # offsets from the file's start, not the BOM's end
                start, end = exc.start + len(bom), exc.end + len(bom)
                raise UnicodeDecodeError(body, data, start, end, exc.reason) from None
    name = bomless_utf16(data) or "utf-8"
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
        raise UnicodeDecodeError("cp1252", data, exc.start, exc.end, NEITHER) from None


def _has_utf8_letters(data: bytes) -> bool:
    """Å Ä Ö é … encoded as UTF-8 (C2/C3 + continuation byte); ``find`` first, it is fast."""
    for lead in (b"\xc2", b"\xc3"):
        start = data.find(lead)
        if start != -1 and _UTF8_LATIN.search(data, start):
            return True
    return False


def bomless_utf16(data: bytes) -> str | None:
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


def maybe_utf8(head: bytes) -> bool:
    """False when the first bytes show UTF-16/32 (a BOM, or NULs in every other byte)."""
    boms = (codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    return not head.startswith(boms) and bomless_utf16(head) is None


def sniff_delimiter(sample: str) -> str:
    """The delimiter of a CSV sample: ``;``, tab or ``,`` (``,`` if none fits).

    A candidate must occur in the first line (header or first row) and is scored by how many
    lines hold it exactly as often; quoted fields are ignored, and an Excel ``sep=`` line wins.

    >>> sniff_delimiter("pnr;belopp\\n19900101-0017;1,5\\n")
    ';'
    """
    found = sniff(sample)
    return found if found is not None else ","


def sniff(sample: str) -> str | None:
    sep_line = SEP_LINE.match(sample.removeprefix("\ufeff").split("\n", 1)[0])
    if sep_line:
        return sep_line.group(1)
    lines = [line for line in plain_lines(sample) if line.strip()][:SNIFF_LINES]
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


def plain_lines(sample: str) -> list[str]:
    """Lines of a sample with quoted fields blanked out (they may hold delimiters, newlines)."""
    text = _QUOTED.sub('""', sample.removeprefix("\ufeff"))
    return [line.rstrip("\r") for line in text.split("\n")]


def looks_like_number(line: str) -> bool:
    """A first line that is data, not a header: mostly digits, separators ``-+ ``."""
    text = line.strip().strip("\ufeff").strip()
    digits = sum(ch.isdigit() for ch in text)
    if digits < 6:
        return False
    letters = sum(ch.isalpha() for ch in text)
    others = len(_NUMBER_CHARS.sub("", text)) - letters
    return letters <= 1 and others == 0 and digits >= 0.6 * len(text.replace(" ", ""))
