"""Generate check-digit-valid synthetic personnummer at run time (never committed).

Whole-column numpy: random birth dates and birth numbers, then the Luhn digit. Shared by the
benchmarks; the numbers are made fresh on every run and written only under out/.
"""

from __future__ import annotations

import numpy as np
import polars as pl


def luhn_digit(nine_digits: np.ndarray) -> np.ndarray:
    """Check digit for integers holding YYMMDDNNN."""
    total = np.zeros(nine_digits.shape, dtype=np.int64)
    for i in range(9):
        digit = (nine_digits // 10 ** (8 - i)) % 10
        if i % 2 == 0:
            digit = digit * 2
            digit = digit - np.where(digit > 9, 9, 0)
        total += digit
    return (10 - total % 10) % 10


def valid_numbers(
    n: int, *, seed: int = 0, first_year: int = 1920, last_year: int = 2024
) -> pl.Series:
    """``n`` valid, distinct-ish ``YYYYMMDD-NNNN`` strings (duplicates possible, as in life)."""
    rng = np.random.default_rng(seed)
    start = np.datetime64(f"{first_year}-01-01")
    span = (np.datetime64(f"{last_year}-12-31") - start).astype(int)
    days = start + rng.integers(0, span, n).astype("timedelta64[D]")
    ymd = days.astype("datetime64[D]").astype(str).astype("U10")
    birth_no = rng.integers(1, 1000, n)
    frame = pl.DataFrame({"ymd": ymd, "birth_no": birth_no})
    frame = frame.with_columns(
        yymmdd=pl.col("ymd").str.replace_all("-", "").str.slice(2).cast(pl.Int64)
    )
    nine = frame["yymmdd"].to_numpy() * 1000 + birth_no
    check = luhn_digit(nine)
    return frame.select(
        pl.concat_str(
            pl.col("ymd").str.replace_all("-", ""),
            pl.lit("-"),
            pl.col("birth_no").cast(pl.String).str.zfill(3),
            pl.Series(check).cast(pl.String),
        ).alias("personnummer")
    ).to_series()
