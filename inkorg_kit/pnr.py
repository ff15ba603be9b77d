"""Swedish personnummer and samordningsnummer over whole columns: the rulebook in code.

Skatteverket's rules (SKV 704; DOMAIN.md "Personnummer in brief"):

* A personnummer is ``YYMMDD-NNNC`` (10 digits) or ``YYYYMMDD-NNNC`` (12 digits). ``NNN`` is
  the birth number (odd for men, even for women in its last digit; ``000`` is never issued)
  and ``C`` a Luhn check digit over the ten digits ``YYMMDDNNN``.
* In the 10-digit form the separator carries the century: ``-`` under 100 years of age, ``+``
  from the year the person turns 100. Without a separator we take the latest century that does
  not put the birth date after the reference date, as the separator ``-`` would.
* A samordningsnummer (coordination number) has the day of birth plus 60 (61-91).
  Skatteverket writes month ``00`` or day ``60`` (day ``00`` + 60) when the month or day of
  birth is unknown; those are valid.
* Healthcare reserve numbers (*reservnummer*, interim numbers) are not personnummer and cannot
  receive 1177 messages; they are reported as ``reserve_number`` so the analyst reaches those
  patients another way. Socialstyrelsen recommends a real birth date and at least one letter
  in the last four characters, and Inera's list of regional formats ("Lokala Reservidn")
  documents the shapes we recognise:

  - a letter among the last four characters: interim ``T``-numbers (``20000101-T220``),
    Västra Götaland ``yyyymmddGggC`` with G = K/M/X, Värmland ``yyyymmddABNC``, Region
    Skåne and the letter-bearing numbers of Cosmic and other journal systems;
  - Region Stockholm ``99yyyyNNNNNC``: twelve digits starting with ``99``;
  - Inera Carelink ``yyyymmxxNNNC`` with day ``xx`` 32-59, a day no real person has.

What :func:`clean` accepts: 12 digits with or without a hyphen; 10 digits with ``-``, ``+`` or
no separator; spaces anywhere (the Cosmic space inside the year, a space or no-break space as
separator); en/em dashes and minus signs as hyphens; full-width and other Unicode look-alike
digits (NFKC); a leading apostrophe (Excel's text marker); integers (Excel drops leading
zeros, so integers of 7-9 digits are left-padded to 10). What it rejects, never guesses:
scientific notation, letters, wrong lengths, impossible or future dates, a bad check digit,
birth number 000.

Examples use Skatteverket's published test numbers (no real resident has them):

>>> values = ["19900101-2385", "900101 2385", "１９９００１０１２３８５"]
>>> values += ["19900101-2386", "000101-T220"]
>>> result = clean(values, reference_date="2026-11-21")
>>> result["status"].to_list()
['ok', 'duplicate', 'duplicate', 'rejected', 'rejected']
>>> result["reason"].to_list()
[None, 'duplicate', 'duplicate', 'bad_checksum', 'reserve_number']
>>> mask(result["pnr"][0])
'19900101-****'
>>> clean(["090527+9816", "0905279816"], reference_date="2026-11-21")["pnr"].to_list()
['19090527-9816', '20090527-9816']
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from typing import Any
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
}

MASK = "****"
_TZ = ZoneInfo("Europe/Stockholm")

# Unicode dashes and minus signs that Word, Excel and web pages put where a hyphen belongs.
_DASHES = r"[\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uFE58\uFE63\uFF0D]"
# Whitespace (Rust's \s is Unicode-aware: no-break space, thin space, ideographic space …),
# zero-width characters, a BOM, and Excel's leading apostrophe text marker.
_NOISE = r"[\s\u200B\u200C\u200D\u2060\uFEFF']"
_SHAPE = r"^(?<cent>\d{2})?(?<date>\d{6})(?<sep>[-+]?)(?<tail>\d{4})$"
_RESERVE_LETTER = r"(?i)^(?:\d{2})?\d{6}[-+]?[0-9A-Z]{4}$"


def _today() -> dt.date:
    return dt.datetime.now(_TZ).date()


def _as_date(value: dt.date | dt.datetime | str | None) -> dt.date:
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
    """Integers as digits; 7-9 digits get back the leading zeros Excel dropped."""
    text = series.cast(pl.Int64, strict=False).cast(pl.String)
    return pl.select(
        pl.when(text.str.len_bytes().is_between(7, 9))
        .then(text.str.zfill(10))
        .otherwise(text)
        .alias(series.name)
    ).to_series()


def _series_as_text(series: pl.Series) -> pl.Series:
    dtype = series.dtype
    if dtype == pl.String:
        return series
    if dtype.is_integer():
        return _integers_as_text(series)
    if dtype.is_float():
        # Only whole numbers can be a personnummer typed into Excel; anything else stays
        # visibly non-numeric text so that it is rejected as bad_format.
        whole = series.is_not_nan() & (series == series.floor()) & (series.abs() < 1e13)
        as_int = _integers_as_text(series.set(~whole.fill_null(False), None))
        return as_int.zip_with(whole.fill_null(True), series.cast(pl.String))
    if dtype == pl.Null:
        return series.cast(pl.String)
    return series.cast(pl.String, strict=False)


def _list_as_text(values: Sequence[Any]) -> pl.Series:
    """Plain lists may mix ints and strings (Excel via openpyxl); convert each by its type."""
    out: list[str | None] = []
    for value in values:
        if value is None or isinstance(value, str):
            out.append(value)
        elif isinstance(value, bool):
            out.append(str(value))
        elif isinstance(value, int):
            digits = str(value)
            out.append(digits.zfill(10) if 7 <= len(digits) <= 9 else digits)
        elif isinstance(value, float) and value.is_integer() and abs(value) < 1e13:
            digits = str(int(value))
            out.append(digits.zfill(10) if 7 <= len(digits) <= 9 else digits)
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


# Reason codes used inside the validator (0 = accepted); order = precedence of the checks.
_EMPTY, _RESERVE, _FORMAT, _DATE, _CHECKSUM, _NOT_ALLOWED = 1, 2, 3, 4, 5, 6
_CODE_REASON = {
    _EMPTY: "empty",
    _RESERVE: "reserve_number",
    _FORMAT: "bad_format",
    _DATE: "bad_date",
    _CHECKSUM: "bad_checksum",
    _NOT_ALLOWED: "samordningsnummer_not_allowed",
}


def _fast_digits(text: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """Rows already in ``YYYYMMDD-NNNN`` or ``YYYYMMDDNNNN`` shape, and their 12 digits.

    The common case in real extracts, parsed with three whole-column passes instead of the
    general path's regular expressions; every other row goes through :func:`_messy`.
    """
    frame = pl.DataFrame({"raw": text}).select(
        length=pl.col("raw").str.len_bytes(),
        hyphen=pl.col("raw").str.find("-", literal=True),
        digits=pl.col("raw").str.replace("-", "", literal=True, n=1).cast(pl.Int64, strict=False),
    )
    fast = frame.select(
        (
            ((pl.col("length") == 12) & pl.col("hyphen").is_null())
            | ((pl.col("length") == 13) & (pl.col("hyphen") == 8))
        )
        & pl.col("digits").is_between(10**11, 10**12 - 1)
    ).to_series()
    fast_np = fast.fill_null(False).to_numpy()
    return fast_np, frame["digits"].fill_null(0).to_numpy()


def _shape(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    """Read the four accepted shapes without a regex: lengths and separator positions.

    10 or 12 digits, or 11 / 13 characters with one ``-`` or ``+`` after the date. Casting the
    rest to an integer proves every other character is a digit.
    """
    text = pl.col(column)
    parts = frame.select(
        length=text.str.len_bytes(),
        hyphen=text.str.find("-", literal=True),
        plus=text.str.find("+", literal=True),
        value=text.str.replace("-", "", literal=True, n=1)
        .str.replace("+", "", literal=True, n=1)
        .cast(pl.Int64, strict=False),
    )
    sep = pl.coalesce("hyphen", "plus")
    length = pl.col("length")
    ok = (
        (pl.col("hyphen").is_null() | pl.col("plus").is_null())
        & pl.col("value").is_not_null()
        & (
            (((length == 10) | (length == 12)) & sep.is_null())
            | ((length == 11) & (sep == 6))
            | ((length == 13) & (sep == 8))
        )
    ).fill_null(False)
    return parts.with_columns(shape_ok=ok).select(
        cent=pl.when(pl.col("shape_ok") & (length >= 12))
        .then(pl.col("value") // 10**10)
        .otherwise(-1)
        .cast(pl.Int16),
        core=pl.when("shape_ok").then(pl.col("value") % 10**10).otherwise(-1),
        plus=pl.col("shape_ok") & pl.col("plus").is_not_null(),
        shape_ok="shape_ok",
    )


def _messy(text: pl.Series) -> pl.DataFrame:
    """The general path: undo look-alikes and noise, then read the shape.

    Unicode normalisation (full-width digits, odd dashes) runs only on the rows that hold a
    non-ASCII character, which are few even in a messy extract.
    """
    frame = pl.DataFrame({"raw": text}).with_columns(compact=pl.col("raw").str.strip_chars())
    non_ascii = np.flatnonzero(
        frame.select(pl.col("compact").str.len_bytes() != pl.col("compact").str.len_chars())
        .to_series()
        .fill_null(False)
        .to_numpy()
    )
    if non_ascii.size:
        unified = frame["compact"].gather(non_ascii).str.normalize("NFKC")
        unified = unified.str.replace_all(_DASHES, "-")
        frame = frame.with_columns(frame["compact"].scatter(non_ascii, unified))
    frame = frame.with_columns(compact=pl.col("compact").str.replace_all(_NOISE, ""))
    shape = _shape(frame, "compact")
    return pl.concat([frame, shape], how="horizontal").select(
        "cent",
        "core",
        "plus",
        early=pl.when(pl.col("raw").is_null() | (pl.col("compact") == ""))
        .then(_EMPTY)
        .when(
            pl.col("compact").str.contains(_RESERVE_LETTER)
            & pl.col("compact").str.slice(-4).str.contains(r"(?i)[A-Z]")
        )
        .then(_RESERVE)
        .when(~pl.col("shape_ok"))
        .then(_FORMAT)
        .otherwise(0)
        .cast(pl.UInt8),
    )


def _validate(
    cent: np.ndarray,
    core: np.ndarray,
    plus: np.ndarray,
    reference: dt.date,
    allow_samordningsnummer: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Dates, century, birth number and check digit over whole columns.

    ``core`` holds the ten digits YYMMDDNNNC, ``cent`` the century digits (-1 when the input
    had 10 digits) and ``plus`` whether a ``+`` separator was given. Returns the reason code
    (0 = valid), the 12-digit key YYYYMMDDNNNC and whether it is a samordningsnummer.
    """
    ref_month_day = reference.month * 100 + reference.day
    frame = (
        pl.DataFrame({"cent": cent, "core": core, "plus": plus})
        .lazy()
        .with_columns(
            yymmdd=(pl.col("core") // 10_000).cast(pl.Int32),
            nnnc=(pl.col("core") % 10_000).cast(pl.Int16),
        )
        .with_columns(
            yy=(pl.col("yymmdd") // 10_000).cast(pl.Int16),
            mm=(pl.col("yymmdd") // 100 % 100).cast(pl.Int16),
            dd=(pl.col("yymmdd") % 100).cast(pl.Int16),
        )
        .with_columns(samordning=pl.col("dd") >= 60)
        .with_columns(day=pl.when("samordning").then(pl.col("dd") - 60).otherwise("dd"))
        .with_columns(month_day=pl.col("mm") * 100 + pl.col("day"))
    )
    # 10 digits: the latest century that keeps the birth date on or before the reference
    # date, and one century earlier for '+' (100 years or older).
    naive = pl.col("yy").cast(pl.Int32) + (reference.year - reference.year % 100)
    after_ref = (naive > reference.year) | (
        (naive == reference.year) & (pl.col("month_day") > ref_month_day)
    )
    short_year = (
        naive - pl.when(after_ref).then(100).otherwise(0) - pl.when("plus").then(100).otherwise(0)
    )
    frame = frame.with_columns(
        year=pl.when(pl.col("cent") >= 0)
        .then(pl.col("cent").cast(pl.Int32) * 100 + pl.col("yy"))
        .otherwise(short_year)
    )
    year, month, day = pl.col("year"), pl.col("mm"), pl.col("day")
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    month_days = (
        pl.when(month == 2)
        .then(pl.when(leap).then(29).otherwise(28))
        .when(month.is_in([4, 6, 9, 11]))
        .then(30)
        .otherwise(31)
    )
    month_ok = month.is_between(1, 12) | (pl.col("samordning") & (month == 0))
    day_ok = (day >= pl.when("samordning").then(0).otherwise(1)) & (day <= month_days)
    in_range = (year >= 1800) & (
        (year < reference.year)
        | ((year == reference.year) & (pl.col("month_day") <= ref_month_day))
    )

    # Luhn over YY MM DD N N N: a pair x = 10a + b at an even position contributes 2a + b,
    # minus 9 when 2a > 9; the third birth-number digit is doubled alone.
    def pair(x: pl.Expr) -> pl.Expr:
        return x - 8 * (x // 10) - pl.when(x >= 50).then(9).otherwise(0)

    birth_no = pl.col("nnnc") // 10
    third = birth_no % 10
    luhn = (
        pair(pl.col("yy"))
        + pair(month)
        + pair(pl.col("dd"))
        + pair(birth_no // 10)
        + 2 * third
        - pl.when(third >= 5).then(9).otherwise(0)
    )
    checksum_ok = (10 - luhn % 10) % 10 == pl.col("nnnc") % 10
    code = (
        pl.when((pl.col("cent") == 99) | pl.col("dd").is_between(32, 59))
        .then(_RESERVE)  # Region Stockholm 99…, Inera Carelink day 32-59
        .when(birth_no == 0)
        .then(_FORMAT)
        .when(~(month_ok & day_ok & in_range))
        .then(_DATE)
        .when(~checksum_ok)
        .then(_CHECKSUM)
        .when(pl.col("samordning") & (not allow_samordningsnummer))
        .then(_NOT_ALLOWED)
        .otherwise(0)
        .cast(pl.UInt8)
    )
    out = frame.select(
        code=code,
        key=year.cast(pl.Int64) * 10**8 + pl.col("core") % 10**8,
        samordning="samordning",
    ).collect()
    return out["code"].to_numpy(), out["key"].to_numpy(), out["samordning"].to_numpy()


def _first_occurrence(key: np.ndarray, accepted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows that repeat an earlier accepted row's key, and the row each one repeats.

    Sorting (key, row) puts the first occurrence at the head of each run of equal keys;
    comparing neighbours finds the runs. Both fit in one int64 while rows < 2**24 (a key is
    under 2**38), which sorts faster than two columns; larger inputs sort on both columns.
    """
    rows = np.flatnonzero(accepted)
    if rows.size < 2**24:
        combined = pl.Series(key[rows] * 2**24 + rows).sort()
        frame = (
            pl.DataFrame({"c": combined})
            .lazy()
            .select(key=pl.col("c") // 2**24, row=pl.col("c") % 2**24)
        )
    else:
        frame = pl.DataFrame({"key": key[rows], "row": rows}).lazy().sort("key", "row")
    repeats = (
        frame.with_columns(
            first=pl.when((pl.col("key") != pl.col("key").shift(1)).fill_null(True))
            .then(pl.col("row"))
            .forward_fill()
        )
        .filter(pl.col("first") != pl.col("row"))
        .collect()
    )
    return repeats["row"].to_numpy(), repeats["first"].to_numpy()


def _codes_to(codes: np.ndarray, mapping: dict[int, str], dtype: pl.Enum) -> pl.Series:
    return pl.Series(codes).replace_strict(
        list(mapping), list(mapping.values()), default=None, return_dtype=dtype
    )


def _clean(
    text: pl.Series, reference: dt.date, allow_samordningsnummer: bool, *, fast_path: bool = True
) -> pl.DataFrame:
    n = text.len()
    if fast_path:
        fast, digits = _fast_digits(text)
    else:  # every row through the general path (tests prove both paths agree)
        fast, digits = np.zeros(n, dtype=bool), np.zeros(n, dtype=np.int64)
    cent = (digits // 10**10).astype(np.int16)
    core = digits % 10**10
    plus = np.zeros(n, dtype=bool)
    early = np.zeros(n, dtype=np.uint8)
    slow_rows = np.flatnonzero(~fast)
    if slow_rows.size:
        messy = _messy(text.gather(slow_rows))
        cent[slow_rows] = messy["cent"].to_numpy()
        core[slow_rows] = messy["core"].to_numpy()
        plus[slow_rows] = messy["plus"].to_numpy()
        early[slow_rows] = messy["early"].to_numpy()
        core[early > 0] = 1  # any harmless value; these rows are already decided

    code, key, samordning = _validate(cent, core, plus, reference, allow_samordningsnummer)
    code = np.where(early > 0, early, code)
    accepted = code == 0

    repeat_rows, first_rows = _first_occurrence(key, accepted)
    duplicate = np.zeros(n, dtype=bool)
    duplicate[repeat_rows] = True
    first = np.zeros(n, dtype=np.uint32)
    first[repeat_rows] = first_rows
    duplicate_of = pl.Series("duplicate_of", first)

    # The output string: canonical input is its own normal form; build the rest from the key.
    pnr = text.clone()
    rebuild = np.flatnonzero(accepted & ~(fast & (text.str.len_bytes().to_numpy() == 13)))
    if rebuild.size:
        digits12 = pl.Series(key[rebuild]).cast(pl.String)
        pnr.scatter(
            rebuild,
            pl.select(
                pl.concat_str(digits12.str.slice(0, 8), pl.lit("-"), digits12.str.slice(8, 4))
            ).to_series(),
        )
    status = np.where(accepted, np.where(duplicate, 1, 0), 2).astype(np.uint8)
    kind = np.where(accepted, samordning.astype(np.uint8), 2)
    reason = np.where(duplicate, 7, code)
    return pl.DataFrame(
        {
            "row": pl.Series(np.arange(n, dtype=np.uint32)),
            "pnr": pnr,
            "kind": _codes_to(kind, {0: KINDS[0], 1: KINDS[1]}, KIND),
            "status": _codes_to(status, dict(enumerate(STATUSES)), STATUS),
            "reason": _codes_to(reason, {**_CODE_REASON, 7: "duplicate"}, REASON),
            "duplicate_of": duplicate_of,
        }
    ).with_columns(
        pnr=pl.when(pl.Series(accepted)).then(pl.col("pnr")),
        duplicate_of=pl.when(pl.Series(duplicate)).then(pl.col("duplicate_of")),
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
    return _clean(as_text(values), _as_date(reference_date), allow_samordningsnummer)


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
    return series.to_frame().select(out.alias(series.name)).to_series()


def mask(values: str | pl.Expr | pl.Series | None) -> Any:
    """Hide the last four characters for display: ``19990101-0101`` → ``19990101-****``.

    Works on one string, a Series or an expression. Strings of four characters or fewer are
    masked whole, so nothing of a short fragment leaks either.
    """
    if values is None:
        return None
    if isinstance(values, str):
        text = values.strip()
        return MASK if len(text) <= 4 else text[:-4] + MASK

    def build(e: pl.Expr) -> pl.Expr:
        text = e.str.strip_chars()
        length = text.str.len_chars()
        kept = pl.when(length > 4).then(text.str.slice(0, length - 4)).otherwise(pl.lit(""))
        return pl.when(e.is_not_null()).then(pl.concat_str(kept, pl.lit(MASK)))

    return _apply(values, build)


def _parts(e: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    year = e.str.slice(0, 4).cast(pl.Int32, strict=False)
    month = e.str.slice(4, 2).cast(pl.Int32, strict=False)
    day = e.str.slice(6, 2).cast(pl.Int32, strict=False)
    day = pl.when(day >= 60).then(day - 60).otherwise(day)
    return year, month, day


def birth_date(values: pl.Expr | pl.Series | str) -> pl.Expr | pl.Series:
    """Birth date of normalised numbers; null when Skatteverket left month or day unknown."""

    def build(e: pl.Expr) -> pl.Expr:
        year, month, day = _parts(e)
        known = (month > 0) & (day > 0)
        # pl.date must never see month/day 0, even on rows the outer `when` discards.
        safe_month = pl.when(known).then(month).otherwise(1)
        safe_day = pl.when(known).then(day).otherwise(1)
        return pl.when(known).then(pl.date(year, safe_month, safe_day))

    return _apply(values, build)


def age_at(values: pl.Expr | pl.Series | str, at: dt.date | str) -> pl.Expr | pl.Series:
    """Age in whole years at ``at``; null when the birth month or day is unknown."""
    when = _as_date(at)

    def build(e: pl.Expr) -> pl.Expr:
        year, month, day = _parts(e)
        before_birthday = (month * 100 + day) > (when.month * 100 + when.day)
        age = when.year - year - pl.when(before_birthday).then(1).otherwise(0)
        return pl.when((month > 0) & (day > 0)).then(age).cast(pl.Int32)

    return _apply(values, build)


def legal_sex(values: pl.Expr | pl.Series | str) -> pl.Expr | pl.Series:
    """Legal sex from the birth number's last digit: odd ``M``, even ``F``."""
    return _apply(
        values,
        lambda e: (
            pl.when(e.str.slice(11, 1).cast(pl.Int32, strict=False) % 2 == 1)
            .then(pl.lit("M"))
            .when(e.str.slice(11, 1).str.contains(r"^\d$"))
            .then(pl.lit("F"))
        ),
    )


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


_IN_TEXT = re.compile(
    r"(?<![0-9A-Za-z])(?<!\d[.,])(?:\d{2})?\d{6}[-+ \u00a0\u2013]?\d{4}(?![0-9A-Za-z])(?![.,]\d)"
)


def find_in_text(text: str, *, reference_date: dt.date | str | None = None) -> list[str]:
    """Valid personnummer found in free text, masked; for scanning outputs before they leave.

    Used on reports, logs and executed notebooks: anything returned is a leak to fix.
    """
    candidates = _IN_TEXT.findall(text)
    if not candidates:
        return []
    result = clean(candidates, reference_date=reference_date)
    found = result.filter(pl.col("status") != "rejected")["pnr"].unique(maintain_order=True)
    return [mask(p) for p in found.to_list()]


def mask_in_text(text: str, *, reference_date: dt.date | str | None = None) -> str:
    """``text`` with every valid personnummer in it masked: for messages that leave the kit."""
    candidates = _IN_TEXT.findall(text)
    if not candidates:
        return text
    result = clean(candidates, reference_date=reference_date)
    leaks = {
        c
        for c, status in zip(candidates, result["status"].to_list(), strict=True)
        if status != "rejected"
    }
    return _IN_TEXT.sub(lambda m: mask(m.group(0)) if m.group(0) in leaks else m.group(0), text)
