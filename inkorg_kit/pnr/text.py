"""Personnummer in free text: finding and masking them in logs, tracebacks, messages and
notebooks, whatever stands around them.

Why apart from the rules: every message that leaves the kit passes through here (via
:mod:`inkorg_kit.privacy`); a candidate counts when :func:`~inkorg_kit.pnr.rules.clean` reads it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any, NamedTuple

import polars as pl

from inkorg_kit.pnr.rules import DASHES, DIGIT, clean, mask_text

__all__ = ["find_in_text", "mask_in_text", "mask_in_texts"]


#
# A personnummer in free text (logs, tracebacks, messages, notebooks), in any shape clean()
# reads and whatever stands around it. The text is cut into *chains*: groups of digits joined
# by up to three separators (whitespace, zero-width characters, any dash, '+'). Every run of
# consecutive groups that holds 10-12 digits is a candidate, so a number is found however it
# is glued to its neighbours: letters (``pnr199308152389``), a float's ``.0``, a second number
# after a comma, quotes, JSON, a backslash escape (``\n``). Escapes of a separator
# (``\u00a0``, ``\xa0``) count as separators; other escapes (``\u00e4``) are cut off, so that
# their hex digits do not join the number. Scientific notation (``1.99308152389e+11``, also
# with a decimal comma and ``E``) is decoded to its digits, and the whole token is masked.
#
# Deliberately not candidates: a group of 13 or more digits (an amount, an id, a timestamp in
# milliseconds: a personnummer has at most 12 digits, and cutting windows out of long runs
# would mask ordinary numbers), digits after a decimal point (the fraction of ``1.1990010123``
# in a drawing's coordinates; a decimal comma is taken, since numbers are joined by commas),
# and digits inside a base64 blob (64 or more letters, digits, ``+`` and ``/`` in mixed case: an
# image in a notebook). A candidate is reported and masked only when clean() reads it as a
# valid number, or one with a wrong check digit (see ``_LEAKS``): 10-12 digits that are not
# a date-like personnummer stay as they are.

_SEPARATOR_CHARS = "\u200b\u200c\u200d\u2060\ufeff" + DASHES + "+-"
_SEPARATOR = re.compile(r"[\s" + _SEPARATOR_CHARS + "]")
# In the text scanned, "\x01" stands for an escaped separator and "\x00" for any other escape
# (see _escape_blank): both keep the text's length, so positions stay those of the original.
_GROUP = r"\d++(?![.,]\d{1,20}+[eE])"  # digits, not the mantissa of scientific notation
_CHAIN_START = r"(?=[\d\s\x01" + _SEPARATOR_CHARS + "]{10})"  # skips short numbers fast
_JOIN = r"(?:[\s" + _SEPARATOR_CHARS + r"]|\x01+){1,3}"
# Scientific notation (groups 1-3: whole part, fraction, exponent), or a chain.
_TOKEN = re.compile(
    r"(?<!\d)(?:(\d{1,20}+)(?:[.,](\d{1,20}+))?[eE]\+?(\d{1,3}+)(?!\d)"
    rf"|(?<!\d\.){_CHAIN_START}{_GROUP}(?:{_JOIN}{_GROUP})*+)"
)
_DIGITS = re.compile(r"\d+")
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|x([0-9A-Fa-f]{2}))")
_BLOB = re.compile(r"[A-Za-z0-9+/]{64,}")
_MIXED_CASE = re.compile(r"[a-z].*[A-Z]|[A-Z].*[a-z]")
# Besides valid numbers, a wrong check digit: most often a real number mistyped.
_LEAKS = pl.col("status").is_in(["ok", "duplicate"]) | (pl.col("reason") == "bad_checksum")


class _Candidate(NamedTuple):
    """A stretch of text that may be a personnummer."""

    start: int
    end: int
    value: str  # what clean() reads: the text, or the digits of scientific notation
    scientific: bool


def _scientific_value(whole: str, fraction: str | None, exponent: str) -> str | None:
    """The digits of ``whole.fraction e exponent`` when that is a whole number clean() could
    read (7-12 digits, 7-9 padded to 10 as Excel's integers are), else None."""
    fraction = fraction or ""
    shift = int(exponent) - len(fraction)
    if shift > 12:
        return None
    number = int(whole + fraction)  # int() reads Unicode digits too
    if shift < 0:
        number, rest = divmod(number, 10**-shift)
        if rest:
            return None
    else:
        number *= 10**shift
    digits = str(number)
    return digits.zfill(10) if 7 <= len(digits) <= 12 else None


def _escape_blank(match: re.Match[str]) -> str:
    code = match.group(1) or match.group(2)
    return ("\x01" if _SEPARATOR.fullmatch(chr(int(code, 16))) else "\x00") * len(match.group(0))


def _scan_text(piece: str) -> list[_Candidate]:
    """The candidates in ``piece`` (text without terminal colour codes), in no set order."""
    if not DIGIT.search(piece):
        return []
    scan = _ESCAPE.sub(_escape_blank, piece) if "\\" in piece else piece
    found = []
    for token in _TOKEN.finditer(scan):
        start, end = token.span()
        whole = token.group(1)
        if whole is not None:  # scientific notation
            value = _scientific_value(whole, token.group(2), token.group(3))
            if value is not None:
                found.append(_Candidate(start, end, value, True))
            elif token.group(2) is None and 10 <= len(whole) <= 12:  # 199308152389e5: hex
                found.append(_Candidate(start, start + len(whole), whole, False))
            continue
        if end - start < 10:  # fewer than ten digits
            continue
        text = token.group(0)
        if text.isdigit():  # one group: the common case
            if end - start <= 12:
                found.append(_Candidate(start, end, text, False))
            continue
        groups = [g.span() for g in _DIGITS.finditer(scan, start, end)]
        for i, (first, _) in enumerate(groups):
            count = 0  # digits from group i to group j
            for group_start, last in groups[i:]:
                count += last - group_start
                if count > 12:
                    break
                if count >= 10:
                    value = scan[first:last].replace("\x01", "")
                    found.append(_Candidate(first, last, value, False))
    if found and len(piece) >= 64:
        blobs = [b.span() for b in _BLOB.finditer(piece) if _MIXED_CASE.search(b.group(0))]
        if blobs:
            found = [c for c in found if not any(s <= c.start and c.end <= e for s, e in blobs)]
    return found


def _leaks(candidates: list[str], reference_date: dt.date | str | None) -> set[str]:
    """The candidates that are personnummer (see ``_LEAKS``)."""
    leak = clean(candidates, reference_date=reference_date).select(_LEAKS).to_series()
    return set(pl.Series(candidates, dtype=pl.String).filter(leak).to_list())


def _mask_scientific(token: str, value: str) -> str:
    """``1.99308152389e+11`` -> ``1.9930815****e+**``: the digits of the birth date that the
    token writes, every other digit (the exponent's too) a ``*``."""
    keep = (8 if len(value) >= 11 else 6) - (len(value) - len(value.lstrip("0")))
    out = []
    for ch in token:
        if ch.isdigit():
            ch = ch if keep > 0 else "*"
            keep -= 1
        out.append(ch)
    return "".join(out)


def _hidden(
    piece: str, candidates: list[_Candidate], leaks: set[str]
) -> list[tuple[int, int, str]]:
    """Where ``piece`` holds a personnummer: (start, end, masked text) of each stretch to hide,
    overlapping candidates merged into one stretch."""
    leaky = [c for c in candidates if c.value in leaks]
    if not leaky:
        return []
    spans: list[list[Any]] = []
    for c in sorted(leaky, key=lambda c: c.start):
        if spans and c.start < spans[-1][1]:
            spans[-1][1], spans[-1][2] = max(spans[-1][1], c.end), None  # a union of chains
        else:
            spans.append([c.start, c.end, c])
    return [
        (
            start,
            end,
            _mask_scientific(piece[start:end], c.value)
            if c is not None and c.scientific
            else _masked_stretch(piece[start:end]),
        )
        for start, end, c in spans
    ]


def _masked_stretch(text: str) -> str:
    """:func:`mask` of a stretch of text that may hold escapes (``\\u00a0``), whose hex
    digits are neither counted nor masked: the escape stays one."""
    if "\\" not in text:
        return mask_text(text)
    scan = _ESCAPE.sub(_escape_blank, text)
    digits = [i for i, ch in enumerate(scan) if ch.isdigit()]
    keep = 8 if len(digits) >= 11 else 6 if len(digits) >= 10 else max(len(digits) - 4, 0)
    chars = list(text)
    for i in digits[keep:]:
        chars[i] = "*"
    return "".join(chars)


# Terminal colours in tracebacks: "\x1b[32m" holds digits of its own; the number after it is
# read apart from it.
_ANSI = re.compile(r"(\x1b\[[0-9;]*[A-Za-z])")


def _pieces(text: str) -> list[str]:
    """``text`` split around terminal colour codes: the even pieces are text, the odd codes."""
    return _ANSI.split(text)


def _scan(
    texts: Sequence[str | None], reference_date: dt.date | str | None
) -> tuple[list[list[str] | None], list[list[list[_Candidate]] | None], set[str]]:
    """Each text's pieces, the candidates of its text pieces, and which candidate values are
    personnummer: one :func:`clean` over the candidates of all the texts."""
    pieces = [None if t is None else _pieces(t) for t in texts]
    candidates = [None if ps is None else [_scan_text(p) for p in ps[::2]] for ps in pieces]
    values = {c.value for cs in candidates if cs for found in cs for c in found}
    leaks = _leaks(sorted(values), reference_date) if values else set()
    return pieces, candidates, leaks


def find_in_text(text: str, *, reference_date: dt.date | str | None = None) -> list[str]:
    """Personnummer found in free text, masked; for scanning outputs before they leave.

    Used on reports, logs and executed notebooks: anything returned is a leak to fix. Finds
    valid numbers in every shape :func:`clean` accepts, and numbers with a wrong check digit,
    whatever stands around them (letters, a float's ``.0``, a comma and a second number,
    quotes, escapes), and in scientific notation.

    >>> find_in_text('pnr199001012385 {"b": 1.99001012385e+11} 199001012385.0,900101-2385')
    ['19900101****', '1.9900101****e+**', '900101-****']
    """
    (pieces,), (candidates,), leaks = _scan([text], reference_date)
    if not leaks:
        return []
    found = [
        masked
        for piece, cs in zip(pieces[::2], candidates, strict=True)
        for _, _, masked in _hidden(piece, cs, leaks)
    ]
    return list(dict.fromkeys(found))


def mask_in_texts(
    texts: Sequence[str | None], *, reference_date: dt.date | str | None = None
) -> list[str | None]:
    """:func:`mask_in_text` of many texts, with one :func:`clean` over all their candidates."""
    all_pieces, all_candidates, leaks = _scan(texts, reference_date)
    if not leaks:
        return list(texts)
    out: list[str | None] = []
    for text, pieces, candidates in zip(texts, all_pieces, all_candidates, strict=True):
        if text is None or pieces is None or candidates is None or not any(candidates):
            out.append(text)
            continue
        parts = []
        for i, piece in enumerate(pieces):
            if i % 2:
                parts.append(piece)
                continue
            last = 0
            for start, end, masked in _hidden(piece, candidates[i // 2], leaks):
                parts += [piece[last:start], masked]
                last = end
            parts.append(piece[last:])
        out.append("".join(parts))
    return out


def mask_in_text(text: str, *, reference_date: dt.date | str | None = None) -> str:
    """``text`` with every personnummer in it masked (see :func:`find_in_text`): for messages
    that leave the kit.

    >>> mask_in_text("Läst: 199001012385.0, 9.001012385e+09")
    'Läst: 19900101****.0, 9.00101****e+**'
    """
    return mask_in_texts([text], reference_date=reference_date)[0]
