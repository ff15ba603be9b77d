"""Read rates: read / (read + unread) among delivered messages, with Wilson intervals, overall
and by file, age band, sex, unit and send weekday and hour.

Why Wilson (``statsmodels.stats.proportion.proportion_confint``): groups are often small and
rates near 0 or 1, where the plain normal interval leaves [0, 1] or collapses. The tables are
not suppressed: the report applies its small-number rules before anyone but the analyst sees
them.

>>> rate, low, high = read_rate(45, 50)
>>> rate, round(low, 3), round(high, 3)
(0.9, 0.786, 0.957)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import polars as pl

from inkorg_kit.followup.codes import DIMENSIONS, OVERALL, UNKNOWN
from inkorg_kit.followup.reconcile import Outcomes
from inkorg_kit.vocab import AGE_BANDS, SEX_LABELS, UNKNOWN_BAND, WEEKDAY_LABELS_SV

__all__ = ["group_order", "group_table", "ordered_groups", "read_rate", "wilson"]


def wilson(read: np.ndarray, n: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson intervals (low, high) of ``read`` out of ``n``, element-wise; NaN where n is 0."""
    from statsmodels.stats.proportion import proportion_confint  # heavy: only when asked

    read = np.asarray(read, dtype=float)
    n = np.asarray(n, dtype=float)
    low = np.full(n.shape, np.nan)
    high = np.full(n.shape, np.nan)
    ok = n > 0
    if ok.any():
        lo, hi = proportion_confint(read[ok], n[ok], alpha=alpha, method="wilson")
        low[ok], high[ok] = lo, hi
    return low, high


def read_rate(read: int, n: int, alpha: float = 0.05) -> tuple[float | None, float, float]:
    """(rate, low, high) with a Wilson interval; rate None when n is 0."""
    if n <= 0:
        return None, math.nan, math.nan
    low, high = wilson(np.array([read]), np.array([n]), alpha)
    return read / n, float(low[0]), float(high[0])


def _with_send_time(people: pl.DataFrame, timezone: str) -> pl.DataFrame:
    local = pl.col("sent_at").dt.convert_time_zone(timezone)
    return people.with_columns(
        (local.dt.weekday() - 1).alias("_weekday"),
        local.dt.hour().alias("_hour"),
    ).with_columns(
        pl.col("_weekday")
        .replace_strict(dict(enumerate(WEEKDAY_LABELS_SV)), default=None, return_dtype=pl.String)
        .alias("send_weekday"),
        pl.format("{}:00", pl.col("_hour").cast(pl.String).str.zfill(2)).alias("send_hour"),
    )


def group_order(dimension: str) -> pl.Expr:
    """The order of the values of ``group`` in a table by ``dimension``: age bands, sex and
    weekdays in their natural order, anything else alike (then sorted by name)."""
    g = pl.col("group")
    if dimension == "age_band":
        bands = {b: i for i, b in enumerate((*AGE_BANDS, UNKNOWN_BAND))}
        return g.replace_strict(bands, default=99, return_dtype=pl.Int64)
    if dimension == "sex":
        return g.replace_strict({"F": 0, "M": 1}, default=9, return_dtype=pl.Int64)
    if dimension == "send_weekday":
        return g.replace_strict(
            {d: i for i, d in enumerate(WEEKDAY_LABELS_SV)}, default=9, return_dtype=pl.Int64
        )
    return pl.lit(0, dtype=pl.Int64)


def ordered_groups(keys: Sequence[str], dimension: str) -> list[str]:
    """``keys`` (the values of one grouping) in :func:`group_order`, then by name."""
    return (
        pl.DataFrame({"group": list(keys)}, schema={"group": pl.String})
        .with_columns(group_order(dimension).alias("o"))
        .sort("o", "group")["group"]
        .to_list()
    )


def group_table(
    outcomes: Outcomes,
    dimensions: Iterable[str] = tuple(DIMENSIONS),
    *,
    alpha: float = 0.05,
    overall: bool = True,
) -> pl.DataFrame:
    """Read rates by group with Wilson intervals: one row per (dimension, group).

    Columns: ``dimension`` (code), ``dimension_label`` (Swedish), ``group``, ``group_label``,
    ``sent`` (in the export), ``failed``, ``delivered``, ``n`` (read + unread: the rate's
    denominator), ``read``, ``unread``, ``unknown``, ``read_rate``, ``low``, ``high``. Send
    weekday and hour count only residents with a sent time. Not suppressed: apply
    :func:`inkorg_kit.report.suppress` before showing it to anyone but the analyst.
    """
    dims = list(dimensions)
    bad = [d for d in dims if d not in DIMENSIONS]
    if bad:
        raise ValueError(f"unknown dimension(s) {bad}; choose from {', '.join(DIMENSIONS)}")
    base = _with_send_time(outcomes.campaign_people(), outcomes.timezone)
    aggs = [
        pl.len().alias("sent"),
        (pl.col("outcome") == "failed").sum().alias("failed"),
        pl.col("outcome").is_in(["read", "unread", "unknown"]).sum().alias("delivered"),
        pl.col("outcome").is_in(["read", "unread"]).sum().alias("n"),
        (pl.col("outcome") == "read").sum().alias("read"),
        (pl.col("outcome") == "unread").sum().alias("unread"),
        (pl.col("outcome") == "unknown").sum().alias("unknown"),
    ]
    frames = []
    if overall:
        frames.append(
            base.select(aggs).with_columns(
                pl.lit("overall").alias("dimension"),
                pl.lit("Totalt").alias("dimension_label"),
                pl.lit(OVERALL).alias("group"),
                pl.lit(0, dtype=pl.Int64).alias("_order"),
            )
        )
    for d in dims:
        part = base.filter(pl.col("sent_at").is_not_null()) if d.startswith("send_") else base
        agg = (
            part.group_by(pl.col(d).cast(pl.String).fill_null(UNKNOWN).alias("group"))
            .agg(aggs)
            .with_columns(
                pl.lit(d).alias("dimension"), pl.lit(DIMENSIONS[d]).alias("dimension_label")
            )
        )
        frames.append(agg.with_columns(group_order(d).alias("_order")))
    schema_cols = ["dimension", "dimension_label", "group", "_order", "sent", "failed"]
    schema_cols += ["delivered", "n", "read", "unread", "unknown"]
    table = pl.concat(
        [f.select(schema_cols).cast({c: pl.Int64 for c in schema_cols[4:]}) for f in frames]
    )
    rank = {d: i for i, d in enumerate(["overall", *dims])}
    table = table.with_columns(
        pl.col("dimension").replace_strict(rank, return_dtype=pl.Int64).alias("_dim")
    ).sort("_dim", "_order", "group")
    low, high = wilson(table["read"].to_numpy(), table["n"].to_numpy(), alpha)
    return table.with_columns(
        pl.when(pl.col("dimension") == "sex")
        .then(pl.col("group").replace(SEX_LABELS))
        .otherwise(pl.col("group"))
        .alias("group_label"),
        pl.when(pl.col("n") > 0).then(pl.col("read") / pl.col("n")).alias("read_rate"),
        pl.Series("low", low).fill_nan(None),
        pl.Series("high", high).fill_nan(None),
    ).select(
        "dimension",
        "dimension_label",
        "group",
        "group_label",
        "sent",
        "failed",
        "delivered",
        "n",
        "read",
        "unread",
        "unknown",
        "read_rate",
        "low",
        "high",
    )
