"""Uptake statistics: per status group, the share who did the outcome within the horizon
(Wilson), the time to it (Kaplan-Meier), and the difference read - unread (Newcombe).

Why these: groups are small and shares near 0 or 1, so Wilson intervals (as the read rates,
:func:`~inkorg_kit.followup.rates.wilson`); residents followed for less than the horizon are
censored where the extract was taken, so Kaplan-Meier (the read curves' helpers,
:mod:`~inkorg_kit.followup.timing`); and the difference of two independent shares gets
Newcombe's hybrid score interval (Newcombe 1998, method 10), built from the two Wilson
intervals and so never outside [-1, 1]. The difference is an association, not an effect:
residents who read 1177 may differ from those who do not (:func:`difference_sentence`).
Aggregates only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from inkorg_kit.followup.codes import DIMENSIONS, OVERALL, UNKNOWN
from inkorg_kit.followup.rates import group_order, ordered_groups, wilson
from inkorg_kit.followup.timing import km_curve
from inkorg_kit.followup.uptake import UPTAKE_GROUP_LABELS, UPTAKE_GROUPS, Uptake

__all__ = [
    "UPTAKE_DIMENSIONS",
    "difference_sentence",
    "newcombe",
    "uptake_curves",
    "uptake_difference",
    "uptake_table",
    "uptake_within",
]

#: The groupings of the uptake tables (besides everyone, "overall").
UPTAKE_DIMENSIONS = ("age_band", "sex", "unit")


def newcombe(
    x1: np.ndarray, n1: np.ndarray, x2: np.ndarray, n2: np.ndarray, alpha: float = 0.05
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """p1 - p2 with Newcombe's hybrid score interval (method 10), element-wise; NaN where a
    group is empty."""
    x1, n1, x2, n2 = (np.asarray(v, dtype=float) for v in (x1, n1, x2, n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        p1 = np.where(n1 > 0, x1 / n1, np.nan)
        p2 = np.where(n2 > 0, x2 / n2, np.nan)
    l1, u1 = wilson(x1, n1, alpha)
    l2, u2 = wilson(x2, n2, alpha)
    d = p1 - p2
    low = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return d, low, high


def _published(u: Uptake) -> pl.DataFrame:
    return u.people.filter(pl.col("status_group").is_in(UPTAKE_GROUPS))


def _keys(frame: pl.DataFrame, dimension: str) -> pl.Expr:
    if dimension == "overall":
        return pl.lit(OVERALL).alias("group")
    return pl.col(dimension).cast(pl.String).fill_null(UNKNOWN).alias("group")


def uptake_table(
    u: Uptake, by: Sequence[str] = UPTAKE_DIMENSIONS, *, alpha: float = 0.05
) -> pl.DataFrame:
    """Per status group and group (``dimension`` "overall" and each of ``by``): ``n``, ``did``
    (within the horizon), ``share`` with its Wilson interval ``low``-``high``. Status groups
    without residents are left out; rows in :data:`UPTAKE_GROUPS` order, then as the read
    rates order their groups."""
    people = _published(u)
    parts = []
    for dimension in ("overall", *by):
        if dimension != "overall" and dimension not in people.columns:
            raise ValueError(f"by={dimension!r}: use some of {', '.join(UPTAKE_DIMENSIONS)}")
        parts.append(
            people.group_by("status_group", _keys(people, dimension))
            .agg(pl.len().alias("n"), pl.col("did").sum().alias("did"))
            .with_columns(pl.lit(dimension).alias("dimension"))
        )
    schema = {
        "status_group": pl.String,
        "status_label": pl.String,
        "dimension": pl.String,
        "dimension_label": pl.String,
        "group": pl.String,
        "n": pl.Int64,
        "did": pl.Int64,
        "share": pl.Float64,
        "low": pl.Float64,
        "high": pl.Float64,
    }
    if not people.height:
        return pl.DataFrame(schema=schema)
    table = pl.concat(parts, how="vertical_relaxed")
    order = {g: i for i, g in enumerate(UPTAKE_GROUPS)}
    dims = {d: i for i, d in enumerate(("overall", *by))}
    table = table.with_columns(
        pl.col("status_group").replace_strict(order, return_dtype=pl.Int64).alias("_s"),
        pl.col("dimension").replace_strict(dims, return_dtype=pl.Int64).alias("_d"),
        pl.coalesce(*(pl.when(pl.col("dimension") == d).then(group_order(d)) for d in by), 0).alias(
            "_g"
        )
        if by
        else pl.lit(0).alias("_g"),
    ).sort("_s", "_d", "_g", "group")
    low, high = wilson(table["did"].to_numpy(), table["n"].to_numpy(), alpha)
    labels = {"overall": "Alla", **DIMENSIONS}
    return table.select(
        "status_group",
        pl.col("status_group").replace_strict(UPTAKE_GROUP_LABELS).alias("status_label"),
        "dimension",
        pl.col("dimension")
        .replace_strict(labels, default=pl.col("dimension"))
        .alias("dimension_label"),
        "group",
        pl.col("n").cast(pl.Int64),
        pl.col("did").cast(pl.Int64),
        (pl.col("did") / pl.col("n")).alias("share"),
        pl.Series("low", low),
        pl.Series("high", high),
    )


def uptake_curves(
    u: Uptake,
    by: str | None = None,
    *,
    days: Sequence[float] | np.ndarray | None = None,
    alpha: float = 0.05,
) -> pl.DataFrame:
    """Kaplan-Meier curves of the share who had done it by each day after the message, per
    status group (and per value of ``by``): ``status_group``, ``group``, ``n``, ``events``,
    ``days``, ``share``, ``low``, ``high`` (log-log pointwise), ``at_risk`` and ``did_by`` (a
    count, for small-number control). Residents are censored at the horizon or the extract
    day, whichever first; a curve stops at its group's longest follow-up (null beyond)."""
    people = _published(u)
    points = (
        np.asarray(days, dtype=float)
        if days is not None
        else np.arange(0.0, u.horizon_days + 1.0, 1.0)
    )
    out = []
    for status in UPTAKE_GROUPS:
        part = people.filter(pl.col("status_group") == status)
        if not part.height:
            continue
        groups = [(OVERALL, part)]
        if by is not None:
            keys = part.select(_keys(part, by))["group"].unique().to_list()
            groups += [(k, part.filter(_keys(part, by) == k)) for k in ordered_groups(keys, by)]
        for key, g in groups:
            event = g["event"].to_numpy().astype(bool)
            curve = km_curve(g["observed_days"].to_numpy().astype(float), event, points, alpha)
            out.append(
                pl.DataFrame(
                    {
                        "status_group": [status] * len(points),
                        "group": [key] * len(points),
                        "n": [g.height] * len(points),
                        "events": [int(event.sum())] * len(points),
                        "days": points,
                        "share": curve["share"],
                        "low": curve["low"],
                        "high": curve["high"],
                        "at_risk": curve["at_risk"],
                        "did_by": curve["by"],
                    }
                ).with_columns(pl.col("share", "low", "high").fill_nan(None))
            )
    if not out:
        return pl.DataFrame(
            schema={
                "status_group": pl.String,
                "group": pl.String,
                "n": pl.Int64,
                "events": pl.Int64,
                "days": pl.Float64,
                "share": pl.Float64,
                "low": pl.Float64,
                "high": pl.Float64,
                "at_risk": pl.Int64,
                "did_by": pl.Int64,
            }
        )
    return pl.concat(out).with_columns(pl.col("n", "events").cast(pl.Int64))


def uptake_within(u: Uptake, days: Sequence[float] | None = None) -> pl.DataFrame:
    """The curves overall per status group at a few days (default 7, 14 and the horizon),
    long: ``status_group``, ``days``, ``n``, ``share``, ``low``, ``high``, ``did_by``."""
    points = sorted({d for d in (days or (7, 14)) if d < u.horizon_days} | {u.horizon_days})
    curves = uptake_curves(u, None, days=[float(d) for d in points])
    return curves.select("status_group", "days", "n", "share", "low", "high", "did_by")


def uptake_difference(
    table: pl.DataFrame, first: str = "read", second: str = "unread", *, alpha: float = 0.05
) -> pl.DataFrame:
    """Share ``first`` minus share ``second`` (default read - unread) per group of an
    :func:`uptake_table`, with Newcombe's interval: ``dimension``, ``group``, ``n_first``,
    ``did_first``, ``n_second``, ``did_second``, ``difference``, ``low``, ``high``. Rows
    whose counts are hidden (null) get a null difference."""
    keys = ["dimension", "dimension_label", "group"]
    a = table.filter(pl.col("status_group") == first).select(
        *keys, pl.col("n").alias("n_first"), pl.col("did").alias("did_first")
    )
    b = table.filter(pl.col("status_group") == second).select(
        *keys, pl.col("n").alias("n_second"), pl.col("did").alias("did_second")
    )
    both = a.join(b, on=keys, how="inner", maintain_order="left")
    ok = both.select(
        pl.all_horizontal(pl.col("n_first", "did_first", "n_second", "did_second").is_not_null())
    ).to_series()
    filled = both.select(pl.col("n_first", "did_first", "n_second", "did_second").fill_null(0))
    d, low, high = newcombe(
        filled["did_first"].to_numpy(),
        filled["n_first"].to_numpy(),
        filled["did_second"].to_numpy(),
        filled["n_second"].to_numpy(),
        alpha,
    )
    mask = ok.to_numpy()
    return both.with_columns(
        pl.Series("difference", np.where(mask, d, np.nan)).fill_nan(None),
        pl.Series("low", np.where(mask, low, np.nan)).fill_nan(None),
        pl.Series("high", np.where(mask, high, np.nan)).fill_nan(None),
    )


def _pct(value: float) -> str:
    return f"{100 * value:.1f}".replace(".", ",").replace("-", "−")


def difference_sentence(
    event: str, difference: float | None, low: float | None, high: float | None, horizon_days: int
) -> str:
    """The read - unread difference in Swedish, as an association, not an effect."""
    caveat = (
        " Det visar ett samband, inte att meddelandet orsakade skillnaden: de som läser 1177"
        " kan skilja sig från dem som inte gör det."
    )
    if difference is None or low is None or high is None:
        return (
            "Skillnaden mellan dem som läste och dem som inte läste kan inte visas (för få i"
            " någon grupp)." + caveat
        )
    points = f"{_pct(abs(difference))} procentenheter (95 % KI {_pct(low)} till {_pct(high)})"
    if low > 0:
        lead = f"De som läste meddelandet hade {event} oftare inom {horizon_days} dagar än de"
        text = f"{lead} som inte läste det: {points}."
    elif high < 0:
        lead = f"De som läste meddelandet hade {event} mer sällan inom {horizon_days} dagar än"
        text = f"{lead} de som inte läste det: {points}."
    else:
        text = (
            f"Andelen som hade {event} inom {horizon_days} dagar skilde sig inte säkert mellan"
            f" dem som läste och dem som inte läste meddelandet: {points}."
        )
    return text + caveat
