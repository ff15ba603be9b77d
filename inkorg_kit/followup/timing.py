"""Time to read: Kaplan-Meier curves of the share read by each hour after sending.

Why Kaplan-Meier (``statsmodels.duration.survfunc.SurvfuncRight``): residents still unread when
the export was taken may read later, so they are censored there instead of counted as never
reading; pointwise intervals use the log-log transform of Greenwood's standard error. Hours
are calendar hours, or the reach model's *active* hours (its daily rhythm) to compare with the
assumptions. A group's curve stops at its own longest observation. Aggregates only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import polars as pl

from inkorg_kit.config.assumptions import load_assumptions
from inkorg_kit.followup.codes import DIMENSIONS, OVERALL, UNKNOWN
from inkorg_kit.followup.rates import ordered_groups
from inkorg_kit.followup.reconcile import Outcomes
from inkorg_kit.hours.clock import ActiveClock, series_epoch_hours

if TYPE_CHECKING:
    from pathlib import Path

    from inkorg_kit.config.assumptions import Assumptions

__all__ = [
    "km_at",
    "km_curve",
    "km_fit",
    "km_quantile",
    "read_curves",
    "read_within",
    "time_frame",
    "time_to_read_summary",
]


def km_fit(time: np.ndarray, event: np.ndarray) -> Any:
    """The Kaplan-Meier fit (statsmodels) of times with events (1) and censorings (0)."""
    from statsmodels.duration.survfunc import SurvfuncRight  # heavy: only when asked

    return SurvfuncRight(np.maximum(time, 0.0), event.astype(int))


def km_quantile(fit: Any, q: float, last_observed: float) -> float | None:
    """Hours by which a share ``q`` had read (Kaplan-Meier), or None if the curve never gets
    there; on an exact plateau the midpoint, as R's ``survival`` and SAS do.

    Why not statsmodels' own ``quantile``: it takes the first time the survival falls below
    ``1 - q``, so where the curve sits exactly at 0.5 from t1 until the next read at t2 the
    median is t2 (94.2 h for 65-74 in the demo); lifelines' ``median_survival_time_`` takes
    t1. Every time in [t1, t2) fits equally well; R and SAS report (t1 + t2) / 2 (76.7 h),
    and so does the kit. A plateau that lasts to the end of the observation ends at
    ``last_observed`` (the longest time observed, censored or not).
    """
    times = np.asarray(fit.surv_times, dtype=float)
    prob = np.asarray(fit.surv_prob, dtype=float)
    target = 1.0 - q
    tolerance = math.sqrt(np.finfo(float).eps)  # R's default tolerance for "exactly"
    at_or_below = np.flatnonzero(prob <= target + tolerance)
    if at_or_below.size == 0:
        return None
    i = int(at_or_below[0])
    if abs(prob[i] - target) < tolerance:
        end = times[i + 1] if i + 1 < len(times) else last_observed
        return float((times[i] + end) / 2)
    return float(times[i])


def km_curve(
    time: np.ndarray, event: np.ndarray, points: np.ndarray, alpha: float
) -> dict[str, np.ndarray]:
    """One group's Kaplan-Meier curve at ``points``: ``share``, ``low`` and ``high`` (NaN beyond
    the group's longest observation, where the estimate would only repeat itself), ``at_risk``
    and ``by`` (how many events by each point: a count, for small-number control)."""
    share, low, high, at_risk = km_at(km_fit(time, event), time, points, alpha)
    inside = points <= max(float(np.max(time)), 0.0)
    by = np.searchsorted(np.sort(np.maximum(time[event], 0.0)), points, side="right")
    return {
        "share": np.where(inside, share, np.nan),
        "low": np.where(inside, low, np.nan),
        "high": np.where(inside, high, np.nan),
        "at_risk": at_risk.astype(np.int64),
        "by": by.astype(np.int64),
    }


def km_at(
    fit: Any, observed: np.ndarray, points: np.ndarray, alpha: float
) -> tuple[np.ndarray, ...]:
    """Read share (1 - S) with a log-log pointwise interval at ``points``, and how many were
    still unread and under observation there (at risk)."""
    from scipy.stats import norm  # heavy: only when asked

    times = np.asarray(fit.surv_times, dtype=float)
    prob = np.asarray(fit.surv_prob, dtype=float)
    se = np.asarray(fit.surv_prob_se, dtype=float)
    s = np.ones(len(points))
    e = np.zeros(len(points))
    if len(times):
        idx = np.searchsorted(times, points, side="right") - 1
        inside = idx >= 0
        j = np.clip(idx, 0, len(times) - 1)
        s = np.where(inside, prob[j], 1.0)
        e = np.where(inside, se[j], 0.0)
    z = norm.ppf(1 - alpha / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = z * e / (s * np.abs(np.log(s)))
        inner = (s > 0) & (s < 1) & np.isfinite(spread)
        s_low = np.where(inner, s ** np.exp(spread), s)
        s_high = np.where(inner, s ** np.exp(-spread), s)
    ordered = np.sort(np.maximum(observed, 0.0))
    at_risk = len(ordered) - np.searchsorted(ordered, points, side="left")
    return 1 - s, 1 - s_high, 1 - s_low, at_risk


def time_frame(
    outcomes: Outcomes,
    scale: str,
    assumptions: Assumptions | Mapping[str, Any] | str | Path | None,
) -> pl.DataFrame:
    """Residents with a time-to-read observation (read with a time, or unread), with its hours
    in ``_t``: calendar hours, or (``scale="active"``) the active hours of the assumptions'
    daily rhythm (default: the kit's defaults)."""
    frame = outcomes.campaign_people().filter(pl.col("event").is_not_null())
    if scale == "calendar":
        return frame.with_columns(pl.col("observed_hours").alias("_t"))
    if scale != "active":
        raise ValueError(f"scale={scale!r}: use 'calendar' or 'active' (the reach model's hours)")
    start = frame["sent_at"]
    end = pl.select(
        pl.when(frame["event"]).then(frame["read_at"]).otherwise(pl.lit(outcomes.exported_at))
    ).to_series()
    if frame.height == 0:
        return frame.with_columns(pl.lit(None, pl.Float64).alias("_t"))
    clock = ActiveClock.around(
        load_assumptions(assumptions).rhythm, start.min(), outcomes.exported_at
    )
    return frame.with_columns(
        pl.Series(
            "_t", clock.active(series_epoch_hours(end)) - clock.active(series_epoch_hours(start))
        )
    )


def _grid(max_hours: float) -> np.ndarray:
    if max_hours <= 0:
        return np.array([0.0])
    step = 1.0 if max_hours <= 24 * 21 else math.ceil(max_hours / 504)
    return np.arange(0.0, math.ceil(max_hours) + step, step)


def read_curves(
    outcomes: Outcomes,
    by: str | None = "age_band",
    *,
    scale: Literal["calendar", "active"] = "calendar",
    assumptions: Assumptions | Mapping[str, Any] | str | Path | None = None,
    hours: Sequence[float] | np.ndarray | None = None,
    alpha: float = 0.05,
    overall: bool = True,
) -> pl.DataFrame:
    """Kaplan-Meier cumulative read curves: share read by each hour after sending.

    Residents unread at the export are censored at the export time; reads without a read
    or sent time are left out (``counts()["read_time_missing"]``). One curve overall
    (``group`` = "Alla") and one per value of ``by`` (e.g. age band). ``scale="active"``
    counts the reach model's active hours (for comparing with assumptions). Columns:
    ``group``, ``n``, ``reads``, ``hours``, ``read_share``, ``low``, ``high``, ``at_risk``
    and ``read_by`` (how many had read by then: a count, for small-number suppression).
    A group's estimate stops at its own longest observation: hours beyond it are null (the
    estimate would only repeat its last value, as if someone had still been watched).
    Aggregates only.
    """
    frame = time_frame(outcomes, scale, assumptions)
    points = (
        np.asarray(hours, dtype=float)
        if hours is not None
        else _grid(float(frame["_t"].max() or 0.0))
    )
    groups: list[tuple[str, pl.DataFrame]] = []
    if overall:
        groups.append((OVERALL, frame))
    if by is not None:
        if by not in frame.columns:
            raise ValueError(f"by={by!r} is not a column; use one of {', '.join(DIMENSIONS)}")
        keys = frame[by].cast(pl.String).fill_null(UNKNOWN).unique().to_list()
        for key in ordered_groups(keys, by):
            groups.append((key, frame.filter(pl.col(by).cast(pl.String).fill_null(UNKNOWN) == key)))
    out = []
    for key, part in groups:
        if part.height == 0:
            continue
        event = part["event"].to_numpy().astype(bool)
        curve = km_curve(part["_t"].to_numpy(), event, points, alpha)
        out.append(
            pl.DataFrame(
                {
                    "group": [key] * len(points),
                    "n": [part.height] * len(points),
                    "reads": [int(event.sum())] * len(points),
                    "hours": points,
                    "read_share": curve["share"],
                    "low": curve["low"],
                    "high": curve["high"],
                    "at_risk": curve["at_risk"],
                    "read_by": curve["by"],
                }
            ).with_columns(pl.col("read_share", "low", "high").fill_nan(None))
        )
    if not out:
        return pl.DataFrame(
            schema={
                "group": pl.String,
                "n": pl.Int64,
                "reads": pl.Int64,
                "hours": pl.Float64,
                "read_share": pl.Float64,
                "low": pl.Float64,
                "high": pl.Float64,
                "at_risk": pl.Int64,
                "read_by": pl.Int64,
            }
        )
    return pl.concat(out).with_columns(pl.col("n").cast(pl.Int64), pl.col("reads").cast(pl.Int64))


def read_within(
    outcomes: Outcomes,
    hours: Sequence[float] = (1, 24, 72, 168),
    by: str | None = "age_band",
    *,
    alpha: float = 0.05,
) -> pl.DataFrame:
    """Share read within each of ``hours`` (Kaplan-Meier, censoring at the export), wide:
    one row per group, a column per horizon (``read_1h``, ``low_1h``, ``high_1h`` and the
    count ``read_by_1h``, ...). A horizon beyond the group's own longest observed time is
    left empty (the export came too soon for that group)."""
    curves = read_curves(outcomes, by, hours=list(hours), alpha=alpha)
    rows = []
    for key in curves["group"].unique(maintain_order=True).to_list():
        part = curves.filter(pl.col("group") == key)
        row: dict[str, Any] = {"group": key, "n": int(part["n"][0])}
        for h, share, low, high, done in part.select(
            "hours", "read_share", "low", "high", "read_by"
        ).iter_rows():
            tag = f"{h:g}h"
            row[f"read_{tag}"], row[f"low_{tag}"], row[f"high_{tag}"] = share, low, high
            row[f"read_by_{tag}"] = done
        rows.append(row)
    return pl.DataFrame(rows)


def time_to_read_summary(
    outcomes: Outcomes, by: str | None = "age_band", alpha: float = 0.05
) -> pl.DataFrame:
    """Median hours from sending to reading (Kaplan-Meier) with its interval, per group; null
    when fewer than half had read by the export. On an exact 0.5 plateau the median is the
    plateau's midpoint (:func:`km_quantile`, as R and SAS); the interval is statsmodels'
    (the times where the log-log interval of the curve crosses 0.5)."""
    frame = time_frame(outcomes, "calendar", None)
    groups = [(OVERALL, frame)]
    if by is not None:
        for key in sorted(frame[by].cast(pl.String).fill_null(UNKNOWN).unique().to_list()):
            groups.append((key, frame.filter(pl.col(by).cast(pl.String).fill_null(UNKNOWN) == key)))
    rows = []
    for key, part in groups:
        if part.height == 0:
            continue
        t = part["_t"].to_numpy()
        fit = km_fit(t, part["event"].to_numpy())
        median = low = high = None
        if len(fit.surv_prob) and fit.surv_prob.min() <= 0.5:
            median = km_quantile(fit, 0.5, float(np.max(np.maximum(t, 0.0))))
            try:
                lo, hi = fit.quantile_ci(0.5, alpha=alpha)
                low = None if lo is None or not np.isfinite(lo) else float(lo)
                high = None if hi is None or not np.isfinite(hi) else float(hi)
            except (ValueError, IndexError):  # too few events for an interval
                pass
        rows.append(
            {
                "group": key,
                "n": part.height,
                "reads": int(part["event"].sum()),
                "median_hours": median,
                "low": low,
                "high": high,
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "group": pl.String,
            "n": pl.Int64,
            "reads": pl.Int64,
            "median_hours": pl.Float64,
            "low": pl.Float64,
            "high": pl.Float64,
        },
    )
