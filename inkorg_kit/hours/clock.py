"""The active-hours clock: calendar time weighted by when residents actually read.

Why: people read their 1177 inbox in waking hours and less at weekends and on holidays, so
"48 hours after sending" means very different amounts of reading time for a message sent on a
Tuesday morning and one sent on a Friday evening. The reach model measures time to read in
*active hours*; this clock turns calendar instants (epoch hours, UTC) into cumulative active
hours and back, from the daily rhythm of the reach assumptions (``rhythm``: its ``timezone``,
``hourly`` intensities, ``weekend_factor`` and ``holidays_as_weekend``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from inkorg_kit.config.assumptions import Rhythm
from inkorg_kit.errors import ScheduleError
from inkorg_kit.hours.holidays import days_off
from inkorg_kit.hours.parse import parse_datetime
from inkorg_kit.privacy import mask_in_text

__all__ = ["ActiveClock", "as_datetime", "epoch_hours", "series_epoch_hours"]

_US_PER_HOUR = 3_600_000_000


def as_datetime(value: Any, zone: ZoneInfo, what: str = "a send time") -> dt.datetime:
    """A tz-aware send time; naive datetimes and ISO text without offset are local in ``zone``.

    Why: ``datetime.timestamp()`` reads a naive time in the machine's zone, while reading
    happens on the Stockholm clock.
    """
    if not isinstance(value, str | dt.datetime | np.datetime64):  # a bare date is refused
        raise TypeError(
            f"{what} must be a datetime or ISO text like '2027-03-16 09:00' (local time, "
            f"{zone.key}), got {type(value).__name__} {mask_in_text(repr(value))}"
        )
    try:
        return parse_datetime(value, zone)
    except ScheduleError as exc:
        raise ValueError(f"{what}: {exc}") from None


def epoch_hours(values: Sequence[dt.datetime]) -> np.ndarray:
    """Epoch hours of tz-aware datetimes (see :func:`as_datetime` for naive ones)."""
    return np.array([v.timestamp() / 3600 for v in values])


def series_epoch_hours(series: pl.Series) -> np.ndarray:
    """Epoch hours of a polars datetime column, as floats."""
    return series.dt.epoch("us").to_numpy().astype(float) / _US_PER_HOUR


@dataclass(frozen=True)
class ActiveClock:
    """Cumulative active hours at whole UTC hours; linear in between (constant intensity)."""

    grid: np.ndarray  # epoch hours, whole
    cumulative: np.ndarray  # active hours since grid[0]

    @classmethod
    def spanning(cls, rhythm: Rhythm, starts: Sequence[Any], hours: float) -> ActiveClock:
        """A clock from the first of ``starts`` to ``hours`` after the last."""
        zone = ZoneInfo(rhythm.timezone)
        t = epoch_hours([as_datetime(s, zone) for s in starts])
        return cls.between(rhythm, float(t.min()), float(t.max() + hours))

    @classmethod
    def around(cls, rhythm: Rhythm, first: dt.datetime, last: dt.datetime) -> ActiveClock:
        """A clock from a day before ``first`` to two days after ``last`` (for follow-up)."""
        span = max((last - first).total_seconds() / 3600, 0.0) + 48
        return cls.spanning(rhythm, [first - dt.timedelta(hours=24)], span)

    @classmethod
    def between(cls, rhythm: Rhythm, first_hour: float, last_hour: float) -> ActiveClock:
        """A clock from ``first_hour`` to ``last_hour`` (epoch hours, UTC)."""
        first, last = math.floor(first_hour), math.ceil(last_hour) + 1
        grid = np.arange(first, last + 1, dtype=np.int64)
        local = (
            pl.Series(grid[:-1] * 3_600_000)
            .cast(pl.Datetime("ms", "UTC"))
            .dt.convert_time_zone(rhythm.timezone)
        )
        hourly = np.asarray(rhythm.hourly, dtype=float)
        weekend = rhythm.weekend_factor.value
        off = local.dt.weekday().to_numpy() >= 6
        if rhythm.holidays_as_weekend:
            dates = local.dt.date()
            days = days_off(range(dates.min().year - 1, dates.max().year + 2))
            off |= np.isin(dates.to_numpy(), np.array(sorted(days), dtype="datetime64[D]"))
        intensity = hourly[local.dt.hour().to_numpy()] * np.where(off, weekend, 1.0)
        intensity /= hourly.sum() * (5 + 2 * weekend) / 168  # a week of calendar = a week active
        return cls(grid.astype(float), np.concatenate([[0.0], np.cumsum(intensity)]))

    def active(self, epoch_hours: np.ndarray) -> np.ndarray:
        """Cumulative active hours at the given epoch hours."""
        return np.interp(epoch_hours, self.grid, self.cumulative)

    def calendar(self, active_hours: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`active`; NaN beyond the clock's end."""
        out = np.interp(active_hours, self.cumulative, self.grid)
        return np.where(active_hours > self.cumulative[-1], np.nan, out)
