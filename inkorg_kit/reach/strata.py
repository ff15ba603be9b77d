"""The reach model's target: a target group aggregated to strata (age band x legal sex).

Why: the simulation works on counts per stratum, never on people, so a two-million-row target
group costs one aggregation. The raw values are grouped first, so labels are checked and mapped
on a handful of rows; a wrong label is refused with the accepted ones. The band and sex
columns are shared with the send plans the read curves take (:mod:`inkorg_kit.reach.sends`).

>>> target_strata(pl.DataFrame({"age": [70, 71, 90, None], "sex": ["K", "F", "M", None]}))
shape: (3, 3)
┌──────────┬──────┬─────┐
│ age_band ┆ sex  ┆ n   │
│ ---      ┆ ---  ┆ --- │
│ enum     ┆ enum ┆ i64 │
╞══════════╪══════╪═════╡
│ 65-74    ┆ F    ┆ 2   │
│ 85+      ┆ M    ┆ 1   │
│ okänd    ┆ null ┆ 1   │
└──────────┴──────┴─────┘
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from inkorg_kit.errors import TargetError
from inkorg_kit.vocab import AGE_BANDS, BAND_OR_UNKNOWN, SEX, SEX_WORDS, UNKNOWN_BAND, age_band

__all__ = ["as_frame", "band_column", "sex_column", "target_strata"]


def as_frame(frame: Any, what: str) -> pl.DataFrame:
    """A polars DataFrame from a polars (lazy) or pandas frame or a mapping of columns."""
    if isinstance(frame, pl.LazyFrame):
        return frame.collect()
    if isinstance(frame, pl.DataFrame):
        return frame
    if isinstance(frame, Mapping):
        return pl.DataFrame(dict(frame))
    try:
        import pandas as pd

        if isinstance(frame, pd.DataFrame):
            return pl.from_pandas(frame)
    except ImportError:  # pragma: no cover - pandas is a dependency
        pass
    raise TypeError(f"{what} must be a polars or pandas DataFrame, got {type(frame).__name__}")


def band_column(frame: pl.DataFrame, what: str) -> pl.Expr:
    """The ``age_band`` column (from ``age_band`` or ``age``), checked; unknown age -> okänd."""
    if "age_band" in frame.columns:
        text = pl.col("age_band").cast(pl.String).str.strip_chars()
        accepted = (*AGE_BANDS, UNKNOWN_BAND)
        bad = frame.select(text.filter(text.is_not_null() & ~text.is_in(accepted)).unique())
        if bad.height:
            raise TargetError(
                f"{what}: column age_band has values {bad.to_series().head(5).to_list()}; "
                f"accepted: {', '.join(accepted)} (or null for unknown)"
            )
        return text.fill_null(UNKNOWN_BAND).cast(BAND_OR_UNKNOWN)
    if "age" in frame.columns:
        if not frame.schema["age"].is_numeric():
            raise TargetError(f"{what}: column age must be numeric, got {frame.schema['age']}")
        return age_band("age").cast(pl.String).fill_null(UNKNOWN_BAND).cast(BAND_OR_UNKNOWN)
    raise TargetError(
        f"{what} has columns {frame.columns}; it needs age_band (one of {', '.join(AGE_BANDS)}) "
        "or age, optionally sex ('F'/'M'), and n when it is already aggregated"
    )


def sex_column(frame: pl.DataFrame, what: str) -> pl.Expr:
    """The ``sex`` column as F/M (Swedish and English words accepted), null if unknown."""
    if "sex" not in frame.columns:
        return pl.lit(None, dtype=SEX).alias("sex")
    text = pl.col("sex").cast(pl.String).str.strip_chars().str.to_uppercase()
    mapped = text.replace_strict(SEX_WORDS, default=None)
    bad = frame.select(pl.col("sex").filter(text.is_not_null() & mapped.is_null()).unique())
    if bad.height:
        raise TargetError(
            f"{what}: column sex has values {bad.to_series().head(5).to_list()}; "
            "accepted: F or M (also K, kvinna, man), or null"
        )
    return mapped.cast(SEX).alias("sex")


def target_strata(target: Any) -> pl.DataFrame:
    """Aggregate a target group to strata: ``age_band``, ``sex`` (null if unknown), ``n``.

    ``target`` is a person-level frame (``age_band`` or ``age``, optionally ``sex``; each row
    one person) or an aggregated one with ``n``. Strata with n = 0 are dropped. The raw values
    are grouped first, so labels are checked and mapped on a handful of rows, not millions.
    """
    frame = as_frame(target, "target")
    keys = [c for c in ("age_band", "age", "sex") if c in frame.columns]
    if "age_band" in keys and "age" in keys:
        keys.remove("age")
    if "n" in frame.columns:
        if not frame.schema["n"].is_integer():
            raise TargetError(f"target: column n must hold whole numbers, got {frame.schema['n']}")
        problems = frame.select(
            nulls=pl.col("n").is_null().sum(), negative=(pl.col("n") < 0).sum()
        ).row(0, named=True)
        if problems["nulls"] or problems["negative"]:
            raise TargetError(
                f"target: column n has {problems['nulls']} empty and {problems['negative']} "
                "negative values; counts must be 0 or more"
            )
        count = pl.col("n").cast(pl.Int64).sum()
    else:
        count = pl.len().cast(pl.Int64)
    raw = frame.group_by(keys).agg(count.alias("n")) if keys else frame.select(count.alias("n"))
    band, sex = band_column(raw, "target"), sex_column(raw, "target")
    return (
        raw.select(band, sex, "n")
        .group_by("age_band", "sex")
        .agg(pl.col("n").sum())
        .filter(pl.col("n") > 0)
        .sort("age_band", "sex", nulls_last=True)
    )
