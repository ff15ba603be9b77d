"""The rulebook over whole columns: reading every shape, checking dates and check digits,
deduplicating, masking, and birth date, age and sex from normalised numbers.

The rules themselves are the package docstring (:mod:`inkorg_kit.pnr`).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import numbers
import re
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

KINDS = ("personnummer", "samordningsnummer")
STATUSES = ("ok", "duplicate", "rejected")
REJECT_REASONS = (
    "empty",
    "bad_format",
    "bad_date",
    "bad_checksum",
    "reserve_number",
    "samordningsnummer_not_allowed",
    "truncated",
)
REASONS = ("duplicate", *REJECT_REASONS)

KIND = pl.Enum(KINDS)
STATUS = pl.Enum(STATUSES)
REASON = pl.Enum(REASONS)

#: What each reason means, for analysts (Swedish, as they see it in reports).
REASON_LABELS = {
    "duplicate": "dubblett",
    "empty": "tomt värde",
    "bad_format": "fel format",
    "bad_date": "omöjligt eller framtida datum",
    "bad_checksum": "fel kontrollsiffra",
    "reserve_number": "reservnummer (nås inte via 1177)",
    "samordningsnummer_not_allowed": "samordningsnummer ej tillåtet",
    "truncated": "avkortad sista rad (filen slutar mitt i ett värde)",
}

#: Put after the last value of a file that ends in the middle of it (no final newline, fewer
#: digits than the values before it) by :mod:`inkorg_kit.io`: :func:`clean` rejects a value
#: ending in it as ``truncated``, so that the cut value is never read as another number.
TRUNCATED_MARK = "\u2026"

MASK = "****"
_TZ = ZoneInfo("Europe/Stockholm")

# Unicode dashes and minus signs that Word, Excel and web pages put where a hyphen belongs.
DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
# Noise: all of Unicode's whitespace (White_Space: no-break space, thin space, ideographic
# space …), zero-width characters, a BOM, and Excel's leading apostrophe text marker.
_WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_NOISE = _WHITESPACE + "\u200b\u200c\u200d\u2060\ufeff'"
# Replaced in one pass over the text (polars' replace_many), dashes by "-" and noise by "".
_UNDASH_AND_DENOISE = (list(DASHES + _NOISE), ["-"] * len(DASHES) + [""] * len(_NOISE))
_RESERVE_LETTER = r"(?i)^(?:\d{2})?\d{6}[-+]?[0-9A-Z]{4}$"


def _today() -> dt.date:
    return dt.datetime.now(_TZ).date()


def as_date(value: dt.date | dt.datetime | str | None) -> dt.date:
    """A reference date from a date, a datetime, ``YYYY-MM-DD`` text, or None (today in
    Stockholm); anything else is refused with the form to write."""
    if value is None:
        return _today()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise ValueError(
            f"reference_date {value!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-03-02"
        ) from None


def _integers_as_text(series: pl.Series) -> pl.Series:
    """Integers as digits; 7-9 digits get back the leading zeros Excel dropped, when that gives
    a month and a day (else they stay as they are: 19900101 is a date without its last four,
    ``bad_format`` as the same text is, not the impossible 0019900101)."""
    text = series.cast(pl.Int64, strict=False).cast(pl.String)
    padded = text.str.zfill(10)
    month = padded.str.slice(2, 2).cast(pl.Int32, strict=False)
    day = padded.str.slice(4, 2).cast(pl.Int32, strict=False)
    plausible = month.is_between(1, 12) & (day.is_between(1, 31) | day.is_between(61, 91))
    return pl.select(
        pl.when(text.str.len_bytes().is_between(7, 9) & plausible)
        .then(padded)
        .otherwise(text)
        .alias(series.name)
    ).to_series()


def _zero_padded(digits: str) -> str:
    """One integer's digits as :func:`_integers_as_text` gives them."""
    if not 7 <= len(digits) <= 9:
        return digits
    padded = digits.zfill(10)
    month, day = int(padded[2:4]), int(padded[4:6])
    return padded if 1 <= month <= 12 and (1 <= day <= 31 or 61 <= day <= 91) else digits


def _series_as_text(series: pl.Series) -> pl.Series:
    dtype = series.dtype
    if dtype == pl.String:
        return series
    if dtype.is_integer():
        return _integers_as_text(series)
    if dtype.is_float():
        # Only whole numbers can be a personnummer typed into Excel; anything else stays
        # visibly non-numeric text so that it is rejected as bad_format. NaN is a blank cell.
        series = series.fill_nan(None)
        whole = (series == series.floor()) & (series.abs() < 1e13)
        as_int = _integers_as_text(series.set(~whole.fill_null(False), None))
        return as_int.zip_with(whole.fill_null(True), series.cast(pl.String))
    if dtype == pl.Null:
        return series.cast(pl.String)
    return series.cast(pl.String, strict=False)


def _is_missing(value: Any) -> bool:
    """None, NaN (Python, numpy) and pandas' NA and NaT: a blank cell, not a value."""
    if value is None:
        return True
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        return math.isnan(value)
    return type(value).__name__ in ("NAType", "NaTType")


def _list_as_text(values: Sequence[Any]) -> pl.Series:
    """Plain lists may mix ints and strings (Excel via openpyxl or pandas); convert each by
    its type. numpy scalars count as the numbers they are."""
    out: list[str | None] = []
    for value in values:
        if isinstance(value, str):
            out.append(value)
        elif type(value) is int:  # the common case first: the checks below cost per row
            out.append(_zero_padded(str(value)))
        elif _is_missing(value):
            out.append(None)
        elif isinstance(value, bool | np.bool_):
            out.append(str(value))
        elif isinstance(value, numbers.Real) and float(value).is_integer() and abs(value) < 1e13:
            out.append(_zero_padded(str(int(value))))
        else:
            out.append(str(value))
    return pl.Series("value", out, dtype=pl.String)


def as_text(values: Any) -> pl.Series:
    """Turn any accepted input (polars/pandas Series, list, Arrow array) into a String series."""
    if isinstance(values, pl.Series):
        return _series_as_text(values)
    if isinstance(values, pl.DataFrame):
        raise TypeError("pass one column, e.g. df['personnummer'], not a whole DataFrame")
    module = type(values).__module__
    if module.startswith("pandas"):
        try:
            series = pl.from_pandas(values)
        except (TypeError, ValueError, pl.exceptions.PolarsError):
            return _list_as_text(values.tolist())
        if isinstance(series, pl.DataFrame):
            raise TypeError("pass one column, e.g. df['personnummer'], not a whole DataFrame")
        return _series_as_text(series)
    if module.startswith("pyarrow"):
        return _series_as_text(pl.Series(values))
    if isinstance(values, str):
        raise TypeError("pass a list or a column of values, not one string: clean([value])")
    if isinstance(values, Iterable):
        return _list_as_text(list(values))
    raise TypeError(
        f"cannot read personnummer from {type(values).__name__}; "
        "pass a polars or pandas Series, a list, or an Arrow array"
    )


# Reason codes used inside the validator (0 = accepted), numbered in the order the checks take
# precedence: when several checks fail, the smallest code is the reason given.
_EMPTY, _RESERVE, _FORMAT, _DATE, _CHECKSUM, _NOT_ALLOWED = 1, 2, 3, 4, 5, 6
_PASSED = 7  # "this check found nothing": above every code, so np.minimum keeps the others
_TRUNCATED = 8  # the value ends in TRUNCATED_MARK: decided after every other check
_CODE_REASON = {
    _EMPTY: "empty",
    _RESERVE: "reserve_number",
    _FORMAT: "bad_format",
    _DATE: "bad_date",
    _CHECKSUM: "bad_checksum",
    _NOT_ALLOWED: "samordningsnummer_not_allowed",
    _TRUNCATED: "truncated",
}
_FIRST_YEAR = 1800  # no birth date before this year is accepted

# Luhn over the ten digits YYMMDDNNNC is a sum over five two-digit groups (YY, MM, DD, NN, NC)
# in which the first digit is doubled (minus 9 when that passes 9) and the second added as is;
# the number is valid when the sum ends in 0.
_LUHN_PAIR = np.array([2 * (x // 10) - 9 * (x >= 50) + x % 10 for x in range(100)], np.uint8)

# The validator looks rows up in two tables of one byte per entry: bits 0-2 hold a reason code
# (or _PASSED), bits 3-6 a Luhn sum modulo 10, bit 7 whether the date is a samordningsnummer's.
_CODE_BITS, _LUHN_SHIFT, _LUHN_BITS, _SAMORDNING_BIT = 0b111, 3, 0b0111_1000, 0b1000_0000


def _birth_number_table() -> np.ndarray:
    """For every NNNC: birth number 000 (never issued), and the Luhn sum mod 10 that YYMMDD
    must have for the check digit to hold."""
    nnnc = np.arange(10_000)
    needed = (10 - (_LUHN_PAIR[nnnc // 100] + _LUHN_PAIR[nnnc % 100]) % 10) % 10
    code = np.where(nnnc < 10, _FORMAT, _PASSED)
    return (code | needed << _LUHN_SHIFT).astype(np.uint8)


_BIRTH_NUMBER = _birth_number_table()


def _digit_words(words: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Which words hold ``width`` ASCII digits (first digit in the lowest byte), and their value.

    Each byte of a little-endian unsigned word is one character, checked and combined for all
    bytes at once with integer arithmetic (SWAR, "SIMD within a register"), which numpy does
    for a whole column in a few passes.
    """
    w = words.dtype.type
    ones = w(sum(1 << 8 * i for i in range(width)))  # 0x0101...01: one per byte
    high = ones * w(0xF0)
    # '0'-'9' are 0x30-0x39: high half-byte 3, and still 3 after adding 6 (0x3A-0x3F carry).
    ok = ((words & high) == ones * w(0x30)) & (((words + ones * w(6)) & high) == ones * w(0x30))
    value = words & ones * w(0x0F)  # each byte its digit's value
    # Neighbouring groups of `step` digits become 10**step * first + second, in place of the
    # first; from bytes of at most 15, no group ever carries into the next one.
    step = 1
    while step < width:
        keep = sum(((1 << 8 * step) - 1) << 16 * step * i for i in range(width // (2 * step)))
        value = (value * w(10**step) + (value >> w(8 * step))) & w(keep)
        step *= 2
    return ok, value


def _plain(text: pl.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rows in a plain shape, ``YYYYMMDD-NNNC`` or ``YYYYMMDDNNNC``, and their parts.

    The common case in real extracts, read without the general path's normalisation; every
    other row goes through :func:`_messy`. Rows of 13 bytes are viewed as a table of bytes
    (13 per row, no copy) and read with :func:`_digit_words`, faster than slicing and casting
    strings; the few rows of 12 bytes are cast to an integer (12 digits, no sign if at least
    10**11). Returns which rows are plain, which of them are in the canonical form (their own
    output), their YYYYMMDD and their NNNC.
    """
    n = text.len()
    if n == 0:
        nothing = np.zeros(0, dtype=bool)
        return nothing, nothing, np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int16)
    rows = (
        text.cast(pl.Binary)
        .to_frame()
        .select(pl.first().bin.reinterpret(dtype=pl.Array(pl.UInt8, 13)))
        .to_series()
        .rechunk()
    )
    # The bytes behind the rows, 13 per row; rows of other lengths are null (bytes unused).
    table = rows.to_arrow()
    data = np.frombuffer(table.values.buffers()[1], dtype=np.uint8)
    start = table.values.offset + table.offset * 13
    raw = data[start : start + n * 13]
    date_ok, date = _digit_words(np.ndarray(n, "<u8", raw, 0, strides=(13,)), 8)
    nnnc_ok, nnnc = _digit_words(np.ndarray(n, "<u4", raw, 9, strides=(13,)), 4)
    canonical = rows.is_not_null().to_numpy() & date_ok & (raw[8::13] == ord("-")) & nnnc_ok
    date, nnnc = date.astype(np.int32), nnnc.astype(np.int16)

    twelve = np.flatnonzero(text.str.len_bytes().fill_null(0).to_numpy() == 12)
    value = text.gather(twelve).cast(pl.Int64, strict=False).fill_null(0).to_numpy()
    bare = value >= 10**11
    date[twelve[bare]], nnnc[twelve[bare]] = value[bare] // 10_000, value[bare] % 10_000
    plain = canonical.copy()
    plain[twelve[bare]] = True
    return plain, canonical, date, nnnc


def _with_century(ten: np.ndarray, plus: np.ndarray, reference: dt.date) -> np.ndarray:
    """YYMMDDNNNC to YYYYMMDDNNNC.

    ``-`` or no separator: the latest century that keeps the birth date on or before the
    reference date. ``+``: the latest century in which the person turns 100 in the reference
    year or earlier, since Skatteverket writes ``+`` from 1 January of that year (so
    ``261204+…`` on 2026-11-21 is born in 1926, not 1826).
    """
    mm, dd = ten // 10**6 % 100, ten // 10**4 % 100
    day = np.where(dd >= 60, dd - 60, dd)  # samordningsnummer: day + 60
    year = ten // 10**8 + (reference.year - reference.year % 100)
    after_ref = (year > reference.year) | (
        (year == reference.year) & (mm * 100 + day > reference.month * 100 + reference.day)
    )
    hundred = year - 100 - 100 * (year - 100 > reference.year - 100)
    year = np.where(plus, hundred, year - 100 * after_ref)
    return year * 10**8 + ten % 10**8


def _read_shape(compact: pl.Series, reference: dt.date) -> tuple[pl.Series, np.ndarray, np.ndarray]:
    """``compact``, the 12-digit key YYYYMMDDNNNC each row holds (-1 if none), and whether it
    is a Region Stockholm reserve number (twelve digits starting with 99).

    The four accepted shapes: 10 or 12 digits, or 11 / 13 characters with one ``-`` or ``+``
    after the date. Read without a regex: lengths and separator positions, then an integer
    cast that proves every other character is a digit.
    """
    text = pl.col("compact")
    length, hyphen, plus, value = (pl.col(c) for c in ("length", "hyphen", "plus", "value"))
    sep = pl.coalesce(hyphen, plus)
    parts = (
        compact.rename("compact")
        .to_frame()
        .lazy()
        .select(
            "compact",
            length=text.str.len_bytes(),
            hyphen=text.str.find("-", literal=True),
            plus=text.str.find("+", literal=True),
            value=text.str.replace("-", "", literal=True, n=1)
            .str.replace("+", "", literal=True, n=1)
            .cast(pl.Int64, strict=False),
        )
        .select(
            "compact",
            ok=(
                (hyphen.is_null() | plus.is_null())
                & value.is_not_null()
                & (
                    (((length == 10) | (length == 12)) & sep.is_null())
                    | ((length == 11) & (sep == 6))
                    | ((length == 13) & (sep == 8))
                )
            ).fill_null(False),
            short=(length <= 11).fill_null(False),
            plus=plus.is_not_null(),
            value=value.fill_null(-1),
        )
        .collect()
    )
    ok, value = parts["ok"].to_numpy(), parts["value"].to_numpy()
    key = np.where(ok, value, -1)
    short = ok & parts["short"].to_numpy()
    stockholm = ok & ~short & (value >= 99 * 10**10)
    short = np.flatnonzero(short)
    if short.size:
        key[short] = _with_century(value[short], parts["plus"].to_numpy()[short], reference)
    return parts["compact"], key, stockholm


def _normalise(stripped: pl.Series) -> pl.Series:
    """Undo look-alikes and noise: NFKC, odd dashes as ``-``, then whitespace, zero-width
    characters and ``'`` removed.

    NFKC (full-width digits and other look-alikes) is slow and only needed where a character
    other than a dash or noise is not ASCII. NFKC maps every dash to a dash or ``-`` and every
    noise character to noise, and composes none of them, so a row that is ASCII once its
    dashes and noise are handled comes out the same without it.
    """
    compact = stripped.str.replace_many(*_UNDASH_AND_DENOISE)
    look_alikes = np.flatnonzero((compact.str.len_bytes() != compact.str.len_chars()).to_numpy())
    if look_alikes.size:
        unified = stripped.gather(look_alikes).str.normalize("NFKC")
        compact = compact.scatter(look_alikes, unified.str.replace_many(*_UNDASH_AND_DENOISE))
    return compact


def _excel_forms(text: pl.Series) -> pl.Series:
    """Excel's text form ``="199001012385"`` and a whole number written as a float
    (``199001012385.0``, ``…,0`` from Swedish Excel) as the digits they hold, the float's
    leading zeros restored as for an Excel number cell (:func:`_integers_as_text`).

    Only rows that failed the plain reading come here, so a clean extract pays nothing.
    """
    unwrapped = text.str.replace(r'^="(.*)"$', "${1}")
    whole = unwrapped.str.extract(r"^(\d{1,15})[.,]0+$", 1).cast(pl.Int64, strict=False)
    return pl.select(pl.coalesce(_integers_as_text(whole), unwrapped)).to_series().alias(text.name)


def _messy(text: pl.Series, reference: dt.date) -> tuple[np.ndarray, np.ndarray]:
    """The general path: read the shape, undoing look-alikes and noise where it needs that.

    Returns the 12-digit key and the reason code decided before validation (empty, reserve
    number with letters, bad format; 0 for rows to validate). Text that reads once stripped
    holds nothing but digits and one separator, which :func:`_normalise` would not change:
    only the rest is normalised and read again.
    """
    compact, key, stockholm = _read_shape(text.str.strip_chars(), reference)
    retry = np.flatnonzero((key < 0) & compact.is_not_null().to_numpy())
    if retry.size:
        normalised = _normalise(_excel_forms(compact.gather(retry)))
        compact = compact.scatter(retry, normalised)
        _, key[retry], stockholm[retry] = _read_shape(normalised, reference)
    early = np.zeros(key.size, dtype=np.uint8)
    early[stockholm] = _RESERVE  # Region Stockholm 99yyyyNNNNNC, before any other check
    early[key < 0] = _FORMAT
    early[(compact.is_null() | (compact == "")).to_numpy()] = _EMPTY
    # Reserve numbers with letters are among the rows that failed the shape; check only those.
    unread = np.flatnonzero(early == _FORMAT)
    if unread.size:
        reserve = (
            compact.gather(unread)
            .to_frame()
            .select(
                pl.col("compact").str.contains(_RESERVE_LETTER)
                & pl.col("compact").str.slice(-4).str.contains(r"(?i)[A-Z]")
            )
        )
        early[unread[reserve.to_series().to_numpy()]] = _RESERVE
    return key, early


@functools.lru_cache(maxsize=8)
def _calendar(reference: dt.date, allow_samordningsnummer: bool) -> np.ndarray:
    """The date checks for every YYYYMMDD from 1800 to the reference date's year, done once.

    Index ``YYYYMMDD - 18000000``: every MMDD 0000-9999 of every year, so that impossible
    dates have their cell too. Each entry (see ``_CODE_BITS``) holds the reason code the date
    gives (reserve number for day 32-59, bad date, samordningsnummer not allowed), the Luhn
    sum of its YYMMDD digits and whether it is a samordningsnummer's date. Rows then look
    their date up instead of recomputing calendar rules.
    """
    mm, dd = np.divmod(np.arange(10_000), 100)  # every MMDD
    samordning = dd >= 60  # a samordningsnummer has the day of birth plus 60
    day = np.where(samordning, dd - 60, dd)
    # Month 00 or day 60 (day 00 + 60): Skatteverket did not know the month or day of birth.
    month_ok = ((mm >= 1) & (mm <= 12)) | (samordning & (mm == 0))
    month_days = np.array([31, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[np.minimum(mm, 12)]
    day_ok = day >= np.where(samordning, 0, 1)

    def codes(days: np.ndarray) -> np.ndarray:
        return np.select(
            [
                (dd >= 32) & (dd <= 59),  # Inera Carelink: day 32-59, a day no real person has
                ~(month_ok & day_ok & (day <= days)),
                samordning & (not allow_samordningsnummer),
            ],
            [_RESERVE, _DATE, _NOT_ALLOWED],
            _PASSED,
        ).astype(np.uint8)

    years = np.arange(_FIRST_YEAR, max(reference.year, _FIRST_YEAR) + 1)
    leap = ((years % 4 == 0) & (years % 100 != 0)) | (years % 400 == 0)
    code = np.where(leap[:, np.newaxis], codes(month_days + (mm == 2)), codes(month_days))
    # Birth dates after the reference date lie in the future.
    future = (years[:, np.newaxis] > reference.year) | (
        (years[:, np.newaxis] == reference.year)
        & (mm * 100 + day > reference.month * 100 + reference.day)
    )
    code = np.where(future, np.minimum(code, _DATE), code)
    luhn = (_LUHN_PAIR[years % 100][:, np.newaxis] + _LUHN_PAIR[mm] + _LUHN_PAIR[dd]) % 10
    table = (code | luhn << _LUHN_SHIFT | samordning * _SAMORDNING_BIT).astype(np.uint8).ravel()
    table.flags.writeable = False  # shared between calls by the cache
    return table


def _validate(
    date: np.ndarray, nnnc: np.ndarray, reference: dt.date, allow_samordningsnummer: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Dates, birth number and check digit over whole columns, by table look-up.

    ``date`` holds YYYYMMDD (the century already decided) and ``nnnc`` the last four digits.
    Returns the reason code (0 = valid), whether the number is a samordningsnummer, and the
    row's cell in :func:`_calendar` (which, with the birth number, identifies a valid number).
    """
    calendar = _calendar(reference, allow_samordningsnummer)
    cell = date - _FIRST_YEAR * 10_000
    inside = np.clip(cell, 0, calendar.size - 1)
    outside = np.flatnonzero(inside != cell)  # years before 1800 or after the reference year
    entry, birth = calendar[inside], _BIRTH_NUMBER[nnnc]
    checksum_ok = ((entry ^ birth) & _LUHN_BITS) == 0  # YYMMDD has the sum NNNC needs
    code = np.minimum(entry & _CODE_BITS, birth & _CODE_BITS)
    code = np.minimum(code, np.where(checksum_ok, np.uint8(_PASSED), np.uint8(_CHECKSUM)))
    if outside.size:
        dd = date[outside] % 100
        reserve = (dd >= 32) & (dd <= 59)  # Inera Carelink, first as in the calendar
        code[outside] = np.where(reserve, _RESERVE, np.where(nnnc[outside] < 10, _FORMAT, _DATE))
    code[code == _PASSED] = 0
    return code, entry >= _SAMORDNING_BIT, inside


def _first_occurrence(keys: np.ndarray, shift: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows that repeat an earlier row's identity, and the row each one repeats.

    ``keys`` holds ``identity << shift | row`` for every valid row. Sorting them puts the
    first occurrence at the head of each run of equal identities; a row equal to its sorted
    neighbour repeats the head of its run. Packed into one int64 the pairs (identity, row)
    sort several times faster than as two columns.
    """
    keys = np.sort(keys)
    identity = keys >> shift
    repeat = np.flatnonzero(identity[1:] == identity[:-1]) + 1
    head = np.searchsorted(identity, identity[repeat])
    row = (1 << shift) - 1
    return keys[repeat] & row, keys[head] & row


def _labels(labels: Sequence[str], dtype: pl.Enum) -> pl.Expr:
    """The labels as an Enum literal, for ``gather`` by small integer codes."""
    return pl.lit(pl.Series(labels, dtype=dtype))


# The last four digits as text, for every NNNC: looked up faster than formatted.
_NNNC_TEXT = pl.Series([f"{nnnc:04d}" for nnnc in range(10_000)])


def _normal_form(
    text: pl.Series, rebuild: np.ndarray, date: np.ndarray, nnnc: np.ndarray
) -> pl.Series:
    """``text`` with the rows ``rebuild`` replaced by their ``YYYYMMDD-NNNC``."""
    text = text.rechunk()  # one chunk: scatter would first copy many into one anyway
    if rebuild.size:
        rebuilt = pl.concat_str(
            pl.Series(date[rebuild]).cast(pl.String),
            _NNNC_TEXT.gather(nnnc[rebuild]),
            separator="-",
        )
        text.scatter(rebuild, pl.select(rebuilt).to_series())
    return text


class _Block(NamedTuple):
    """A block of rows read and validated: what deduplication needs, and the rest done."""

    columns: pl.DataFrame  # the result columns that do not depend on duplicates
    code: np.ndarray  # reason code, 0 = valid (uint8)
    keys: np.ndarray  # identity << shift | row, for the valid rows only (see _first_occurrence)


def _read_block(
    text: pl.Series,
    first_row: int,
    shift: int,
    reference: dt.date,
    allow_samordningsnummer: bool,
    fast_path: bool,
) -> _Block:
    """Read and validate rows: plain ones by :func:`_plain`, the rest by :func:`_messy`.

    ``text`` starts at row ``first_row`` of the input. The columns are ``row``, ``pnr``
    (``YYYYMMDD-NNNC``: canonical input as it is, the rest rebuilt; null if not accepted) and
    ``kind``.
    """
    n = text.len()
    if fast_path:
        plain, canonical, date, nnnc = _plain(text)
    else:  # every row through the general path (tests prove both paths agree)
        plain = canonical = np.zeros(n, dtype=bool)
        date, nnnc = np.zeros(n, dtype=np.int32), np.zeros(n, dtype=np.int16)
    slow_rows = np.flatnonzero(~plain)
    early = np.zeros(0, dtype=np.uint8)
    key = np.zeros(n, dtype=np.int64)
    if slow_rows.size:
        key[slow_rows], early = _messy(text.gather(slow_rows), reference)
        key[slow_rows[early > 0]] = 0  # rows decided before validation: any harmless key
        date[slow_rows], nnnc[slow_rows] = key[slow_rows] // 10_000, key[slow_rows] % 10_000
    code, samordning, cell = _validate(date, nnnc, reference, allow_samordningsnummer)
    code[plain & (date >= 99_000_000)] = _RESERVE  # Region Stockholm 99yyyyNNNNNC
    decided = early > 0
    code[slow_rows[decided]] = early[decided]
    if slow_rows.size:  # a marked value has a character no plain row has
        cut = text.gather(slow_rows).str.ends_with(TRUNCATED_MARK).fill_null(False).to_numpy()
        code[slow_rows[cut]] = _TRUNCATED
    accepted = code == 0
    valid = np.flatnonzero(accepted)
    # The check digit of a valid number follows from the rest: date cell and birth number.
    identity = cell[valid].astype(np.int64) * 1000 + nnnc[valid] // 10
    keys = identity << shift | (valid + first_row)

    pnr = _normal_form(text, np.flatnonzero(accepted & ~canonical), date, nnnc)
    ok = pl.col("accepted")
    columns = pl.DataFrame({"pnr": pnr, "accepted": accepted, "samordning": samordning}).select(
        row=pl.int_range(first_row, first_row + n, dtype=pl.UInt32),
        pnr=pl.when(ok).then("pnr"),
        kind=_labels(KINDS, KIND).gather(pl.when(ok).then(pl.col("samordning").cast(pl.UInt8))),
    )
    return _Block(columns, code, keys)


# Reason labels by the code the validator gives them, with "duplicate" at code 0 (and none at
# _PASSED, which never leaves the validator).
_REASON_BY_CODE = ["duplicate", *(_CODE_REASON.get(code) for code in range(1, _TRUNCATED + 1))]

# Rows are independent until deduplication: blocks of this many are read and validated on
# parallel threads (polars and numpy release the GIL while they work).
_BLOCK_ROWS = 1_000_000


def _clean(
    text: pl.Series, reference: dt.date, allow_samordningsnummer: bool, *, fast_path: bool = True
) -> pl.DataFrame:
    """:func:`clean` on text: blocks of rows read and validated on parallel threads, then the
    duplicates found over all of them."""
    n = text.len()
    shift = max(n.bit_length(), 1)  # bits for a row number in _Block.keys
    identity_bits = (_calendar(reference, allow_samordningsnummer).size * 1000).bit_length()
    if shift + identity_bits > 63:  # identity and row share one int64
        raise ValueError(f"{n:,} values are more than clean() can take at once; split them")

    def read(start: int) -> _Block:
        block = text.slice(start, _BLOCK_ROWS)
        return _read_block(block, start, shift, reference, allow_samordningsnummer, fast_path)

    starts = range(0, max(n, 1), _BLOCK_ROWS)
    if len(starts) == 1:
        blocks = [read(0)]
    else:
        with ThreadPoolExecutor(max_workers=pl.thread_pool_size()) as pool:
            blocks = list(pool.map(read, starts))
    code = np.concatenate([block.code for block in blocks])
    repeat_rows, first_rows = _first_occurrence(
        np.concatenate([block.keys for block in blocks]), shift
    )
    duplicate = np.zeros(n, dtype=bool)
    duplicate[repeat_rows] = True
    duplicate_of = np.zeros(n, dtype=np.uint32)
    duplicate_of[repeat_rows] = first_rows
    rejected, dup = pl.col("code") > 0, pl.col("duplicate")
    by_duplicates = pl.DataFrame({"code": code, "duplicate": duplicate, "of": duplicate_of})
    return pl.concat([block.columns for block in blocks], rechunk=False).hstack(
        by_duplicates.select(
            status=_labels(STATUSES, STATUS).gather(
                pl.when(rejected).then(2).when(dup).then(1).otherwise(0)
            ),
            # duplicates get code 0, "duplicate" in _REASON_BY_CODE; accepted rows no reason
            reason=_labels(_REASON_BY_CODE, REASON).gather(
                pl.when(dup).then(0).when(rejected).then("code")
            ),
            duplicate_of=pl.when(dup).then("of"),
        ).get_columns()
    )


def clean(
    values: Any,
    *,
    reference_date: dt.date | dt.datetime | str | None = None,
    allow_samordningsnummer: bool = True,
) -> pl.DataFrame:
    """Normalise, validate and deduplicate personnummer: one result row per input value.

    Columns: ``row`` (0-based input position), ``pnr`` (``YYYYMMDD-NNNN`` or null), ``kind``,
    ``status`` (ok / duplicate / rejected), ``reason`` (null when ok) and ``duplicate_of``
    (the ``row`` of the first occurrence). ``reference_date`` (default: today in Sweden)
    decides the century of 10-digit numbers and which birth dates lie in the future.
    """
    return _clean(as_text(values), as_date(reference_date), allow_samordningsnummer)


def summary(result: pl.DataFrame) -> pl.DataFrame:
    """Counts per status and reason, with a Swedish label; always sums to the input rows."""
    counts = (
        result.group_by("status", "reason")
        .agg(count=pl.len())
        .sort("status", "reason", nulls_last=False)
        .with_columns(
            label=pl.col("reason")
            .cast(pl.String)
            .replace_strict(REASON_LABELS, default="godkänt", return_dtype=pl.String)
        )
    )
    total = counts["count"].sum()
    if total != result.height:  # pragma: no cover - guards the invariant itself
        raise AssertionError(f"summary counts {total} rows but the result has {result.height}")
    return counts.select("status", "reason", "label", "count")


def _expr(values: pl.Expr | pl.Series | str) -> tuple[pl.Expr, pl.Series | None]:
    if isinstance(values, pl.Expr):
        return values, None
    if isinstance(values, pl.Series):
        return pl.col(values.name), values
    if isinstance(values, str):
        return pl.col(values), None
    raise TypeError("pass a polars expression, a Series, or a column name")


def _apply(values: pl.Expr | pl.Series | str, build: Any) -> pl.Expr | pl.Series:
    expr, series = _expr(values)
    out = build(expr)
    if isinstance(values, str):
        return out.alias(values)
    if series is None:
        return out
    # lazily, so that polars computes a sub-expression used in several places only once
    return series.to_frame().lazy().select(out.alias(series.name)).collect().to_series()


def mask(values: str | pl.Expr | pl.Series | None) -> Any:
    """Hide all but the birth date for display: ``19990101-0101`` → ``19990101-****``.

    Every digit after the first eight (a value of 11 or more digits) or six (10 digits)
    becomes ``*``, wherever it stands, so a rejected value with text or a second number after
    it shows no more than one date: ``19900101-2385 (mobil)`` → ``19900101-**** (mobil)``.
    Shorter values keep all but four of their digits, values of one to four characters are
    masked whole, and a blank value stays blank. Works on one string, a Series or an expression.

    >>> mask("19900101-2385, 20000229-2399")
    '19900101-****, ********-****'
    >>> mask("900101-2385"), mask("19900101-T220"), mask("12")
    ('900101-****', '19900101-T***', '****')
    """
    if values is None:
        return None
    if isinstance(values, str):
        return mask_text(values)
    return _apply(values, _masked)


DIGIT = re.compile(r"\d")


def mask_text(value: str) -> str:
    """:func:`mask` of one string, in plain Python: callers mask one match at a time, and a
    polars query per string costs milliseconds. The tests hold it equal to :func:`_masked`."""
    text = value.strip()
    if len(text) <= 4:
        return MASK if text else ""
    ends = [m.end() for m in DIGIT.finditer(text)]
    keep = 8 if len(ends) >= 11 else 6 if len(ends) >= 10 else len(ends) - 4
    cut = ends[keep - 1] if keep >= 1 else 0
    return text[:cut] + DIGIT.sub("*", text[cut:])


def _masked(e: pl.Expr) -> pl.Expr:
    text = e.str.strip_chars()
    digits = text.str.count_matches(r"\d")
    keep = pl.when(digits >= 11).then(8).when(digits >= 10).then(6).otherwise(digits - 4)
    shown = pl.lit("")  # the text up to and including the last digit kept
    for k in range(1, 9):
        shown = (
            pl.when(keep == k).then(text.str.extract(rf"^((?:\D*\d){{{k}}})", 1)).otherwise(shown)
        )
    rest = text.str.slice(shown.str.len_chars()).str.replace_all(r"\d", "*")
    return (  # the first branch names the result: the input column's name
        pl.when(text.str.len_chars() > 4)
        .then(pl.concat_str(shown, rest))
        .when(text.str.len_chars() > 0)
        .then(pl.lit(MASK))
        .when(e.is_not_null())
        .then(pl.lit(""))  # nothing to hide in a blank value
    )


def _parts(e: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """Year, month and day of birth, read from the positions of ``YYYYMMDD-NNNN``.

    Cheap slices that callers may repeat (eager polars computes each use anew): whether the
    value really has that form is checked once, by :func:`_real_date`.
    """

    def digits(start: int, length: int) -> pl.Expr:
        return e.str.slice(start, length).cast(pl.Int32, strict=False)

    day = digits(6, 2)
    return digits(0, 4), digits(4, 2), pl.when(day >= 60).then(day - 60).otherwise(day)


_CANONICAL = r"^[0-9]{8}-[0-9]{4}$"


def _real_date(e: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr, pl.Expr]:
    """Year, month, day of birth and whether the value is a normalised number with a real,
    known birth date (calendar rules), so a raw value never yields a made-up date or age."""
    year, month, day = _parts(e)
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    days = (
        pl.when(month == 2)
        .then(pl.when(leap).then(29).otherwise(28))
        .when(month.is_in([4, 6, 9, 11]))
        .then(30)
        .otherwise(31)
    )
    real = e.str.contains(_CANONICAL) & month.is_between(1, 12) & day.is_between(1, days)
    return year, month, day, real


def _birth(e: pl.Expr) -> pl.Expr:
    year, month, day, real = _real_date(e)
    # pl.date must never see an impossible date, even on rows the outer `when` discards.
    return pl.when(real).then(
        pl.date(year, pl.when(real).then(month).otherwise(1), pl.when(real).then(day).otherwise(1))
    )


def birth_date(values: pl.Expr | pl.Series | str) -> pl.Expr | pl.Series:
    """Birth date of normalised numbers; null when Skatteverket left month or day unknown,
    and for values that are not a normalised number or not a real date."""
    return _apply(values, _birth)


def age_at(values: pl.Expr | pl.Series | str, at: dt.date | str) -> pl.Expr | pl.Series:
    """Age in whole years at ``at``; null where :func:`birth_date` is, or the birth date lies
    after ``at``."""
    when = as_date(at)

    def build(e: pl.Expr) -> pl.Expr:
        year, month, day, real = _real_date(e)
        before_birthday = (month * 100 + day) > (when.month * 100 + when.day)
        age = when.year - year - pl.when(before_birthday).then(1).otherwise(0)
        return pl.when(real & (age >= 0)).then(age).cast(pl.Int32)

    return _apply(values, build)


def legal_sex(values: pl.Expr | pl.Series | str) -> pl.Expr | pl.Series:
    """Legal sex from the birth number's last digit (``YYYYMMDD-NNNC``: the third N): odd
    ``M``, even ``F``; null for values that are not a normalised number."""

    def build(e: pl.Expr) -> pl.Expr:
        digit = pl.when(e.str.contains(_CANONICAL)).then(e.str.slice(11, 1).cast(pl.Int32))
        return pl.when(digit % 2 == 1).then(pl.lit("M")).when(digit.is_not_null()).then(pl.lit("F"))

    return _apply(values, build)


def is_valid(value: str | int, *, reference_date: dt.date | str | None = None) -> bool:
    """One value: is it a valid personnummer or samordningsnummer?"""
    result = clean([value], reference_date=reference_date)
    return result["status"][0] == "ok"


def normalise(value: str | int, *, reference_date: dt.date | str | None = None) -> str:
    """One value in ``YYYYMMDD-NNNN`` form; raises ValueError (masked) with the reason."""
    result = clean([value], reference_date=reference_date)
    if result["status"][0] != "ok":
        raise ValueError(f"{mask(str(value))!r} is not a valid personnummer: {result['reason'][0]}")
    return result["pnr"][0]
