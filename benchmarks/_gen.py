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


def _distinct_draws(rng: np.random.Generator, n: int, space: int) -> np.ndarray:
    """``n`` distinct integers from ``range(space)`` in random order, without a full permutation.

    Draws with replacement and keeps the first occurrence of each value, drawing again until
    there are enough (one or two rounds while ``n`` is well below ``space``).
    """
    if n > space // 2:
        raise ValueError(f"cannot draw {n:,} distinct numbers from a space of {space:,}")
    picks = pl.Series("pick", [], dtype=pl.Int64)
    while picks.len() < n:
        missing = n - picks.len()
        more = pl.Series("pick", rng.integers(0, space, int(missing * 1.25) + 1000))
        picks = pl.concat([picks, more]).unique(maintain_order=True)
    return picks.head(n).to_numpy()


def valid_numbers(
    n: int, *, seed: int = 0, first_year: int = 1920, last_year: int = 2024
) -> pl.Series:
    """``n`` valid, distinct ``YYYYMMDD-NNNN`` strings: ``n`` different synthetic people.

    Distinct on purpose: benchmarks add their duplicates explicitly, so that the share of
    duplicates is the one they state (10 million draws with replacement from ~38 million
    date/birth-number pairs would repeat about 1.2 million of them by chance).
    """
    rng = np.random.default_rng(seed)
    start = np.datetime64(f"{first_year}-01-01")
    span = int((np.datetime64(f"{last_year}-12-31") - start).astype(int))
    pick = _distinct_draws(rng, n, span * 999)  # one integer per (day, birth number 1-999)
    days = pl.Series("day", start + (pick // 999).astype("timedelta64[D]"))
    birth_no = pick % 999 + 1
    day = pl.col("day")
    frame = pl.DataFrame({"day": days, "birth_no": birth_no}).with_columns(
        yymmdd=day.dt.strftime("%y%m%d").cast(pl.Int64)
    )
    check = luhn_digit(frame["yymmdd"].to_numpy() * 1000 + birth_no)
    return frame.select(
        pl.concat_str(
            day.dt.strftime("%Y%m%d"),
            pl.lit("-"),
            pl.col("birth_no").cast(pl.String).str.zfill(3),
            pl.Series(check).cast(pl.String),
        ).alias("personnummer")
    ).to_series()
