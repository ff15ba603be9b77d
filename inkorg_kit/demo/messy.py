r"""The mess of real extracts: personnummer in the shapes Excel and journal systems leave, and
values that cannot be used at all.

Why: cleaning is the kit's first promise, so the demo and the tests must carry what extracts
really carry: about 12 % of rows in other shapes than ``YYYYMMDD-NNNN`` (twelve digits, ten
digits with or without a hyphen, the Cosmic space, en dashes, no-break spaces, padding,
Excel's apostrophe, full-width digits) and a few values broken beyond repair (blanks, bad
check digits, impossible dates, reserve numbers, Excel's scientific notation, a lost leading
zero). Each rewritten value is computed on the rows that get it, a column at a time.

>>> values = messy_list(200, seed=3)
>>> values.len(), bool(values.str.contains(r"^\d{8}-\d{4}$").mean() < 0.9)
(200, True)
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl

from inkorg_kit import pnr
from inkorg_kit.demo.numbers import REFERENCE_DATE, impossible_samordningsnummer, test_number_pool

__all__ = ["messy_list", "messy_numbers"]

# Personnummer shapes in the extract (valid, just messy), with the share of rows each gets:
# about 12 % of rows are not ``YYYYMMDD-NNNN`` (an extract merged from several systems).
_SHAPES = (
    ("canonical", 0.0),  # the rest
    ("twelve_digits", 0.05),  # YYYYMMDDNNNN: Excel and many exports
    ("ten_hyphen", 0.03),  # YYMMDD-NNNN
    ("ten_digits", 0.01),  # YYMMDDNNNN
    ("cosmic_space", 0.01),  # YY YYMMDD-NNNN: copied from Cosmic
    ("en_dash", 0.004),
    ("nbsp", 0.003),
    ("padded", 0.005),
    ("apostrophe", 0.003),  # '199001012385: Excel's text marker
    ("full_width", 0.001),
)
# Values that cannot be used, with the share of rows each replaces.
_BROKEN = (
    ("blank", 0.003),
    ("bad_checksum", 0.004),
    ("bad_date", 0.001),
    ("reserve", 0.004),
    ("scientific", 0.001),  # 1,99001E+11: Excel's number format, digits lost
    ("lost_zero", 0.001),  # born 2000-2009, saved as a number: the leading 0 is gone
    ("impossible_samordning", 0.0005),  # a test samordningsnummer with a date that cannot exist
)


def messy_numbers(
    canonical: pl.Series,
    age: np.ndarray,
    rng: np.random.Generator,
    *,
    shape_scale: float = 1.0,
    broken_scale: float = 1.0,
) -> tuple[pl.Series, pl.Series]:
    """Rewrite numbers into the shapes extracts carry; break a few beyond repair.

    Ten-digit shapes carry no century, so they are used only for ages 5-89: a reader with a
    reference date up to ten years later still puts them in the right century. Each shape is
    computed only on the rows that get it (loops over the shapes, not the rows).
    """
    m = canonical.len()
    names = [name for name, _ in _SHAPES]
    probs = np.array([share for _, share in _SHAPES]) * shape_scale
    probs[0] = 1 - probs[1:].sum()
    code = rng.choice(len(names), size=m, p=probs)
    ten = np.isin(code, [names.index("ten_hyphen"), names.index("ten_digits")])
    ten_ok = (age >= 5) & (age <= 89)
    code = np.where(ten & ~ten_ok, names.index("twelve_digits"), code)

    broken_names = [name for name, _ in _BROKEN]
    edges = np.cumsum(np.array([share for _, share in _BROKEN]) * broken_scale)
    broken = np.searchsorted(edges, rng.random(m), side="right")  # len(_BROKEN): intact
    born_2000s = canonical.str.slice(0, 3).eq("200").fill_null(False).to_numpy()
    lost_zero = broken == broken_names.index("lost_zero")
    broken = np.where(lost_zero & ~born_2000s, broken_names.index("bad_checksum"), broken)
    intact = broken == len(_BROKEN)
    code = np.where(intact, code, len(names) + broken)  # one code per row: shape or breakage

    impossible = impossible_samordningsnummer()
    s = pl.col("p")
    date8, tail, yymmdd = s.str.slice(0, 8), s.str.slice(9, 4), s.str.slice(2, 6)
    digits12 = pl.concat_str(date8, tail)
    check = s.str.slice(12, 1).cast(pl.Int32)
    rewrite = {
        "twelve_digits": digits12,
        "ten_hyphen": pl.concat_str(yymmdd, pl.lit("-"), tail),
        "ten_digits": pl.concat_str(yymmdd, tail),
        "cosmic_space": pl.concat_str(s.str.slice(0, 2), pl.lit(" "), s.str.slice(2)),
        "en_dash": pl.concat_str(date8, pl.lit("\u2013"), tail),
        "nbsp": pl.concat_str(date8, pl.lit("\u00a0"), tail),
        "padded": pl.concat_str(pl.lit(" "), s, pl.lit("  ")),
        "apostrophe": pl.concat_str(pl.lit("'"), digits12),
        "full_width": s.str.replace_all("0", "\uff10").str.replace_all("1", "\uff11"),
        "blank": pl.lit(""),
        "bad_checksum": pl.concat_str(
            s.str.slice(0, 12), ((check + pl.col("k")) % 10).cast(pl.String)
        ),
        "bad_date": pl.concat_str(s.str.slice(0, 4), pl.lit("13"), s.str.slice(6)),
        "reserve": pl.when(pl.col("k") % 2 == 0)
        .then(pl.concat_str(date8, pl.lit("-T"), s.str.slice(10, 3)))
        .otherwise(pl.concat_str(pl.lit("99"), s.str.slice(2, 6), s.str.slice(9, 4))),
        "scientific": pl.concat_str(
            s.str.slice(0, 1), pl.lit(","), s.str.slice(1, 5), pl.lit("E+11")
        ),
        "lost_zero": pl.concat_str(s.str.slice(3, 5), tail),
        "impossible_samordning": pl.col("imp"),
    }
    pieces: list[pl.DataFrame] = []
    for index, name in enumerate([*names, *broken_names]):
        rows = np.flatnonzero(code == index)
        if name == "canonical" or rows.size == 0:
            continue
        part = pl.DataFrame(
            {
                "row": rows,
                "p": canonical.gather(rows),
                "k": rng.integers(1, 10, rows.size),
                "imp": impossible.gather(rng.integers(0, impossible.len(), rows.size)),
            }
        )
        pieces.append(part.select("row", rewrite[name].cast(pl.String).alias("value")))
    messy = canonical.clone().alias("personnummer")
    if pieces:
        changed = pl.concat(pieces)
        messy = messy.scatter(changed["row"], changed["value"])
    return messy, pl.Series("recoverable", intact)


def messy_list(
    n: int, seed: int = 0, *, reference_date: dt.date | str = REFERENCE_DATE
) -> pl.Series:
    """A bare list of ``n`` messy values (test numbers only), as pasted from several sources.

    About 10 % repeat an earlier number, 30 % are in other shapes than ``YYYYMMDD-NNNN``, and
    about 3 % are blank, invalid or reserve numbers; for demos of cleaning and recipient files.
    """
    if n < 0:
        raise ValueError(f"n must be 0 or more, got {n}")
    rng = np.random.default_rng(seed)
    reference = pnr.as_date(reference_date)
    pool = test_number_pool(reference).filter(pl.col("kind") == "personnummer")
    distinct = max(1, min(pool.height, math.ceil(n * 0.9)))
    chosen = pool.sample(distinct, seed=int(rng.integers(2**31)))
    index = np.concatenate([np.arange(distinct), rng.integers(0, distinct, max(n - distinct, 0))])[
        :n
    ]
    rng.shuffle(index)
    people = chosen.gather(index)
    values, _ = messy_numbers(
        people["personnummer"],
        people["age"].to_numpy(),
        rng,
        shape_scale=2.5,
        broken_scale=2.0,
    )
    return values.alias("personnummer")
