"""Read curves in calendar time: the expected cumulative reads of a whole send plan, and the
same batch sent at different times side by side.

Why: the simulation answers "how many", per person's own message; planners also ask "when":
how reads pile up over the campaign's days, and whether Friday 15:30 loses reading time to the
weekend against Tuesday 09:00. The curve is the expected value at the priors' means (no
intervals), in calendar time from the first send, through the daily rhythm of
:mod:`inkorg_kit.hours.clock`. Each band's read probability is tabulated once over elapsed
active hours and interpolated, so a plan of thousands of files costs a few array passes.

>>> curve = read_curve(pl.DataFrame({"start": ["2025-03-11 09:00"], "rows": [1000]}), hours=48)
>>> curve.columns
['time', 'hours', 'sent', 'expected_reads', 'read_share', 'sent_share']
>>> 0 < curve["read_share"][-1] < eventual_read_share() < 1
True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from inkorg_kit.config.assumptions import Assumptions, load_assumptions
from inkorg_kit.hours.clock import ActiveClock, as_datetime, epoch_hours
from inkorg_kit.reach.sends import send_label, send_times_frame
from inkorg_kit.reach.strata import target_strata
from inkorg_kit.vocab import AGE_BANDS, UNKNOWN_BAND

__all__ = ["compare_send_times", "eventual_read_share", "read_curve", "send_label"]

_TABLE_POINTS = 4096  # read-curve lookup table (log-spaced active hours): error below 1e-6
_CHUNK = 512  # send times per block in read_curve, to bound memory


def _mix_weights(a: Assumptions, mix: Any) -> dict[str, float]:
    """Age-band weights summing to 1: from ``mix`` (a mapping or a target frame) or the
    assumptions' population mix."""
    if mix is None:
        weights = dict(a.population_mix.shares)
    elif isinstance(mix, Mapping):
        weights = {str(k): float(v) for k, v in mix.items()}
    else:
        strata = target_strata(mix)
        weights = {}
        for row in strata.group_by("age_band").agg(pl.col("n").sum()).iter_rows():
            weights[str(row[0])] = float(row[1])
    accepted = (*AGE_BANDS, UNKNOWN_BAND)
    bad = sorted(set(weights) - set(accepted))
    if bad:
        raise ValueError(f"mix has unknown age bands {bad}; accepted: {', '.join(accepted)}")
    total = sum(weights.values())
    if total <= 0 or min(weights.values()) < 0:
        raise ValueError("mix weights must be 0 or more and not all 0")
    return {b: w / total for b, w in weights.items() if w > 0}


def _band_read_cdf(a: Assumptions, label: str, active: np.ndarray) -> np.ndarray:
    """Expected share of a band's *target* read by ``active`` hours (prior means)."""
    band, timing = a.band(label), a.timing(label)
    login, notif = band.login_share.mean, band.notification_share.mean
    return login * (
        notif * timing.notified.cdf(active) + (1 - notif) * timing.not_notified.cdf(active)
    )


def eventual_read_share(
    assumptions: Assumptions | Mapping[str, Any] | str | Path | None = None, mix: Any = None
) -> float:
    """Share of the target group that ever reads (the limit of :func:`read_curve`)."""
    a = load_assumptions(assumptions)
    weights = _mix_weights(a, mix)
    return float(
        sum(
            w
            * a.band(b).login_share.mean
            * (
                a.band(b).notification_share.mean * a.timing(b).notified.read_share.mean
                + (1 - a.band(b).notification_share.mean) * a.timing(b).not_notified.read_share.mean
            )
            for b, w in weights.items()
        )
    )


def read_curve(
    sends: Any,
    assumptions: Assumptions | Mapping[str, Any] | str | Path | None = None,
    *,
    hours: float | None = None,
    rhythm: bool = True,
    mix: Any = None,
    step_hours: float = 1.0,
) -> pl.DataFrame:
    """Expected cumulative reads over calendar time for a send plan.

    ``sends`` has ``start`` (send time; naive times are read as local time) and ``rows``
    (messages), optionally ``age_band`` (then ``rows`` is per band); a ``schedule.SendPlan``
    works too (its files' ``start``, minutes before the send). ``hours`` defaults to the plan's
    span plus 14 days. Without ``age_band``, ``mix`` gives
    the age mix (a mapping band -> weight or a target frame); by default the population mix of
    the assumptions. Reading happens in active time (the rhythm); ``rhythm=False`` uses plain
    hours. Returns one row per ``step_hours`` from the first send up to ``hours`` after it:
    ``time`` (local), ``hours`` (since the first send), ``sent``, ``expected_reads``, and
    ``read_share`` and ``sent_share`` (of all rows in the plan). Band shares are used (not per
    sex), at their prior means: this is the expected curve, without intervals.
    """
    a = load_assumptions(assumptions)
    zone = ZoneInfo(a.rhythm.timezone)
    plan = send_times_frame(sends, zone)
    if plan.is_empty():
        raise ValueError("sends is empty: nothing to draw a read curve for")
    starts = plan["start"].dt.epoch("ms").to_numpy() / 3_600_000
    first = plan["start"].min()
    if hours is None:
        hours = float(starts.max() - starts.min()) + 14 * 24
    if hours <= 0 or step_hours <= 0:
        raise ValueError(f"hours and step_hours must be above 0, got {hours} and {step_hours}")
    offsets = np.arange(0, hours + step_hours / 2, step_hours, dtype=float)
    times = epoch_hours([first])[0] + offsets
    if rhythm:
        clock = ActiveClock.spanning(a.rhythm, [first], hours)
        active_times, active_starts = clock.active(times), clock.active(starts)
    else:
        active_times, active_starts = times, starts

    # one read-probability table per band (or the mix) over elapsed active hours, then
    # interpolation: the curve costs a few array passes, however many files the plan has
    longest = max(float(active_times[-1] - active_times[0]), 1.0) * 1.01
    grid = np.concatenate([[0.0], np.geomspace(1e-4, longest, _TABLE_POINTS)])
    rows = plan["rows"].to_numpy().astype(float)
    keys = plan["age_band"].cast(pl.String).fill_null("").to_numpy()
    tables = {}
    for key in dict.fromkeys(keys.tolist()):
        if key:
            tables[key] = _band_read_cdf(a, key, grid)
        else:
            weights = _mix_weights(a, mix)
            tables[key] = sum(w * _band_read_cdf(a, b, grid) for b, w in weights.items())
    reads = np.zeros_like(times)
    for lo in range(0, len(starts), _CHUNK):
        part = slice(lo, lo + _CHUNK)
        elapsed = active_times[None, :] - active_starts[part, None]  # < 0 before the send: 0
        for key, table in tables.items():
            sel = keys[part] == key
            if sel.any():
                reads += rows[part][sel] @ np.interp(elapsed[sel], grid, table)
    order = np.argsort(starts, kind="stable")
    sent_by = np.concatenate([[0.0], np.cumsum(rows[order])])
    sent = sent_by[np.searchsorted(starts[order], times + 1e-9, side="right")]
    total = rows.sum()
    stamps = (
        pl.Series("time", np.round(times * 3_600_000).astype(np.int64))
        .cast(pl.Datetime("ms", "UTC"))
        .dt.convert_time_zone(a.rhythm.timezone)
    )
    return pl.DataFrame(
        {
            "time": stamps,
            "hours": offsets,
            "sent": sent,
            "expected_reads": reads,
            "read_share": reads / total if total > 0 else np.zeros_like(reads),
            "sent_share": sent / total if total > 0 else np.zeros_like(sent),
        }
    )


def compare_send_times(
    assumptions: Assumptions | Mapping[str, Any] | str | Path | None,
    send_times: Sequence[dt.datetime | str],
    *,
    rows: int = 1000,
    hours: float = 7 * 24,
    rhythm: bool = True,
    mix: Any = None,
) -> pl.DataFrame:
    """Read curves for the same batch sent at different times (e.g. Friday 15:30 vs Tuesday
    09:00), stacked with a ``send`` label; ``hours`` counts from each send."""
    a = load_assumptions(assumptions)
    zone = ZoneInfo(a.rhythm.timezone)
    times = [as_datetime(t, zone) for t in send_times]
    if not times:
        raise ValueError("send_times is empty: give at least one send time")
    labels = list(dict.fromkeys(send_label(t) for t in times))
    curves = [
        read_curve(
            pl.DataFrame({"start": [t], "rows": [rows]}),
            a,
            hours=hours,
            rhythm=rhythm,
            mix=mix,
        ).select(pl.lit(send_label(t)).cast(pl.Enum(labels)).alias("send"), pl.all())
        for t in times
    ]
    return pl.concat(curves)
