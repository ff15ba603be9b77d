"""Working time inside send windows: which days are closed and why, the open intervals, hours
of open window between two times, a deadline N working hours on, and why a time is outside.

Why one module: every answer here comes from the same table of open intervals (a whole year
of a :class:`~inkorg_kit.config.windows.SendWindows` as UTC microseconds with cumulative
sums), built once per window and cached, so thousands of send times are answered with a few
whole-array look-ups. The rules:

- A day is open when its weekday is allowed, it is not a Swedish public holiday or one of the
  three eves (one table: :mod:`inkorg_kit.hours.holidays`), and not a blocked date.
- On an open day, sending is allowed from ``start`` (inclusive) to ``end`` (exclusive), wall
  clock time, minus the lunch break. 08:00 stays 08:00 across daylight saving changes; the
  lengths of intervals and working hours are real elapsed time.

>>> w = SendWindows()
>>> outside_windows(["2026-03-02 10:00", "2026-03-02 19:00", "2026-12-25 10:00"], w)
[None, 'kväll', 'helgdag: Juldagen']
>>> blocked_days(w, dt.date(2026, 6, 19), dt.date(2026, 6, 21))[dt.date(2026, 6, 19)]
'Midsommarafton'
>>> working_hours_between("2026-03-06 16:00", "2026-03-09 09:00", w)
2.0
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from inkorg_kit.config.windows import NIGHT_FROM, NIGHT_UNTIL, SendWindows, as_windows
from inkorg_kit.errors import ScheduleError
from inkorg_kit.hours.holidays import eves, public_holidays
from inkorg_kit.hours.parse import (
    epoch_us,
    from_epoch_us,
    give_back_numbers,
    give_back_times,
    parse_date,
    parse_datetime,
    to_times,
)
from inkorg_kit.vocab import WEEKDAY_LABELS_SV

__all__ = [
    "HOUR_US",
    "REASONS",
    "IntervalTable",
    "add_working_hours",
    "blocked_days",
    "day_status",
    "interval_table",
    "outside_window_codes",
    "outside_windows",
    "table_for",
    "window_intervals",
    "worked_before",
    "working_hours_between",
]

#: The closed vocabulary of :func:`outside_windows`: English code -> what users see.
#: ``holiday`` is shown as ``"helgdag: <name>"``.
REASONS: dict[str, str] = {
    "night": "natt",
    "early_morning": "tidig morgon",
    "evening": "kväll",
    "before_window": "före sändfönstret",
    "after_window": "efter sändfönstret",
    "lunch": "lunch",
    "weekend": "helg",
    "closed_weekday": "ej sändningsdag",
    "holiday": "helgdag",
    "blocked_date": "blockerat datum",
}

# Where the time-of-day words start: before 06:00 and from 22:00 is night, 06:00-09:00 early
# morning, 17:00-22:00 evening. A time outside a narrower window but in the working day is
# "before/after the window" rather than a misleading "evening".
#: Microseconds in an hour (times here are UTC epoch microseconds).
HOUR_US = 3_600_000_000
_NIGHT_END = NIGHT_UNTIL.hour * HOUR_US
_MORNING_END = 9 * HOUR_US
_EVENING_START = 17 * HOUR_US
_NIGHT_START = NIGHT_FROM.hour * HOUR_US


# --------------------------------------------------------------------------- closed days


def day_status(windows: SendWindows, day: dt.date) -> tuple[str, str, str] | None:
    """``None`` if sending is allowed on ``day``; else (code, blocked_days label, outside label).

    Order: a holiday or eve names the day best; then a closed date; then the weekday.
    """
    if windows.public_holidays:
        name = public_holidays(day.year).get(day)
        if name:
            return "holiday", name, f"helgdag: {name}"
    if windows.block_eves:
        name = eves(day.year).get(day)
        if name:
            return "holiday", name, f"helgdag: {name}"
    reasons = dict(windows.blocked_reasons)
    if day in reasons:
        return (
            "blocked_date",
            f"Stängt: {reasons[day]}",
            f"{REASONS['blocked_date']}: {reasons[day]}",
        )
    if day in windows.blocked_dates:
        return "blocked_date", "Stängt: blockerat datum", REASONS["blocked_date"]
    if day.weekday() not in windows.weekdays:
        code = "weekend" if day.weekday() >= 5 else "closed_weekday"
        return code, WEEKDAY_LABELS_SV[day.weekday()], REASONS[code]
    return None


def blocked_days(
    windows: SendWindows | Mapping[str, Any] | None, start: dt.date | str, end: dt.date | str
) -> dict[dt.date, str]:
    """Every day from ``start`` to ``end`` (both included) with no sending, and why (Swedish).

    Labels: the holiday's name ("Midsommarafton", "Juldagen"), "Stängt: <reason>" for blocked
    dates, or the weekday ("Lördag").
    """
    windows = as_windows(windows)
    first, last = parse_date(start, "start"), parse_date(end, "end")
    out: dict[dt.date, str] = {}
    day = first
    while day <= last:
        status = day_status(windows, day)
        if status is not None:
            out[day] = status[1]
        day += dt.timedelta(days=1)
    return out


# --------------------------------------------------------------------------- interval table


@dataclasses.dataclass(frozen=True)
class IntervalTable:
    """All allowed intervals of whole years, as UTC epoch microseconds, with cumulative sums."""

    first_year: int
    last_year: int
    starts: np.ndarray
    ends: np.ndarray
    days: np.ndarray  # local date ordinal of each interval
    cum: np.ndarray  # working microseconds before each interval
    cum_end: np.ndarray  # working microseconds up to each interval's end


@functools.lru_cache(maxsize=32)
def interval_table(windows: SendWindows, first_year: int, last_year: int) -> IntervalTable:
    """Every open interval of ``windows`` from 1 January ``first_year`` to 31 December
    ``last_year`` (cached: the windows model is frozen and hashable)."""
    tz = windows.zone
    segments = windows.segments()
    starts: list[int] = []
    ends: list[int] = []
    days: list[int] = []
    day = dt.date(first_year, 1, 1)
    stop = dt.date(last_year, 12, 31)
    while day <= stop:  # a loop over days (a few thousand), not over people
        if day_status(windows, day) is None:
            for a, b in segments:
                s = epoch_us(dt.datetime.combine(day, a, tzinfo=tz))
                e = epoch_us(dt.datetime.combine(day, b, tzinfo=tz))
                if e > s:
                    starts.append(s)
                    ends.append(e)
                    days.append(day.toordinal())
        day += dt.timedelta(days=1)
    s_arr = np.array(starts, np.int64)
    e_arr = np.array(ends, np.int64)
    cum_end = np.cumsum(e_arr - s_arr)
    return IntervalTable(
        first_year,
        last_year,
        s_arr,
        e_arr,
        np.array(days, np.int64),
        cum_end - (e_arr - s_arr),
        cum_end,
    )


def _local_year(us: int, tz: ZoneInfo) -> int:
    return from_epoch_us(us, tz).year


def table_for(windows: SendWindows, lo_us: int, hi_us: int) -> IntervalTable:
    """A table covering [lo, hi] with a year of margin on each side."""
    tz = windows.zone
    first = max(dt.MINYEAR + 1, _local_year(lo_us, tz) - 1)
    last = min(dt.MAXYEAR - 1, _local_year(hi_us, tz) + 1)
    # Round out to multiples of 4 years so nearby calls share one cached table.
    first -= first % 4
    last += 3 - last % 4
    return interval_table(windows, first, last)


def worked_before(table: IntervalTable, us: np.ndarray) -> np.ndarray:
    """Working microseconds in the table before each instant (vectorised)."""
    i = np.searchsorted(table.starts, us, side="right") - 1
    safe = np.clip(i, 0, None)
    lengths = table.ends[safe] - table.starts[safe]
    inside = np.clip(us - table.starts[safe], 0, lengths)
    return np.where(i >= 0, table.cum[safe] + inside, 0)


def window_intervals(
    windows: SendWindows | Mapping[str, Any] | None,
    start: dt.datetime | dt.date | str,
    end: dt.datetime | dt.date | str,
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The allowed sending intervals between ``start`` and ``end``, clipped, in order.

    tz-aware in the window's zone; lunch removed; naive inputs are local time and a date
    means its midnight.
    """
    windows = as_windows(windows)
    tz = windows.zone
    lo = epoch_us(parse_datetime(start, tz))
    hi = epoch_us(parse_datetime(end, tz))
    if hi <= lo:
        return []
    table = table_for(windows, lo, hi)
    first = int(np.searchsorted(table.ends, lo, side="right"))
    last = int(np.searchsorted(table.starts, hi, side="left"))
    return [
        (
            from_epoch_us(max(lo, int(table.starts[i])), tz),
            from_epoch_us(min(hi, int(table.ends[i])), tz),
        )
        for i in range(first, last)
    ]


def working_hours_between(start: Any, end: Any, windows: SendWindows | None = None) -> Any:
    """Hours of open send window between ``start`` and ``end`` (negative if end is earlier).

    Either side may be one time or a Series/array/list of times (broadcast). Why: the
    follow-up asks "unread after N working hours", and a weekend must not count.
    """
    windows = as_windows(windows)
    tz = windows.zone
    a = to_times(start, tz, "start")
    b = to_times(end, tz, "end")
    both_valid_us = np.concatenate([a.us[a.valid], b.us[b.valid]])
    if both_valid_us.size == 0:
        like = b if b.kind != "scalar" else a
        return give_back_numbers(np.full(max(a.us.size, b.us.size), np.nan), like, "hours")
    table = table_for(windows, int(both_valid_us.min()), int(both_valid_us.max()))
    diff = (worked_before(table, b.us) - worked_before(table, a.us)) / HOUR_US
    valid = a.valid & b.valid
    hours = np.where(valid, diff, np.nan).astype(float)
    like = b if b.kind != "scalar" else a
    return give_back_numbers(hours, like, "working_hours")


def add_working_hours(start: Any, hours: Any, windows: SendWindows | None = None) -> Any:
    """The moment when ``hours`` of open send window have passed after ``start``.

    Vectorised: ``start`` may be a Series/array/list (thousands of send times) and ``hours`` a
    number or an array of the same length. Zero hours gives ``start`` itself; a result that
    lands on a window's end is that end (e.g. 17:00), not the next morning.
    """
    windows = as_windows(windows)
    tz = windows.zone
    times = to_times(start, tz, "start")
    h = np.asarray(hours.to_numpy() if isinstance(hours, pl.Series) else hours, dtype=float)
    if np.any(h < 0):
        raise ScheduleError("hours must be zero or more; to go back in time, compare instead")
    if np.any(~np.isfinite(h)):
        raise ScheduleError("hours must be a finite number")
    add_us = np.broadcast_to(np.rint(h * HOUR_US).astype(np.int64), times.us.shape)
    result = times.us.copy()
    valid = times.valid
    if valid.any():
        lo = int(times.us[valid].min())
        hi = int(times.us[valid].max())
        table = table_for(windows, lo, hi)
        target = worked_before(table, times.us) + add_us
        # Grow the table until it holds every target (long horizons are rare but legal).
        while target[valid].max(initial=0) > (table.cum_end[-1] if table.cum_end.size else 0):
            if table.last_year >= dt.MAXYEAR - 8:
                raise ScheduleError("add_working_hours: the result is beyond year 9990")
            span = table.last_year - table.first_year + 1
            table = interval_table(
                windows, table.first_year, min(dt.MAXYEAR - 1, table.last_year + span)
            )
            target = worked_before(table, times.us) + add_us
        j = np.clip(np.searchsorted(table.cum_end, target, side="left"), 0, table.starts.size - 1)
        moved = table.starts[j] + (target - table.cum[j])
        result = np.where(add_us > 0, moved, times.us)
    return give_back_times(result, valid, times, tz)


# --------------------------------------------------------------------------- checking times


def _classify(times: Any, windows: SendWindows) -> tuple[list[str | None], list[str | None]]:
    tz = windows.zone
    parsed = to_times(times, tz)
    n = parsed.us.size
    if n == 0:
        return [], []
    local = (
        pl.Series("t", parsed.us, dtype=pl.Int64)
        .cast(pl.Datetime("us", "UTC"))
        .dt.convert_time_zone(str(tz.key))
    )
    frame = pl.DataFrame({"t": local}).select(
        day=pl.col("t").dt.date(),
        tod=(
            (pl.col("t").dt.hour().cast(pl.Int64) * 3600)
            + (pl.col("t").dt.minute().cast(pl.Int64) * 60)
            + pl.col("t").dt.second().cast(pl.Int64)
        )
        * 1_000_000
        + pl.col("t").dt.microsecond().cast(pl.Int64),
    )
    # One look-up per distinct day, then whole-column work.
    statuses = {d: day_status(windows, d) for d in frame["day"].unique().to_list()}
    day_code = frame["day"].replace_strict(
        {d: (s[0] if s else None) for d, s in statuses.items()}, return_dtype=pl.String
    )
    day_label = frame["day"].replace_strict(
        {d: (s[2] if s else None) for d, s in statuses.items()}, return_dtype=pl.String
    )
    tod = frame["tod"].to_numpy()

    def us_of(t: dt.time) -> int:
        return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond

    start, end = us_of(windows.start), us_of(windows.end)
    if windows.lunch_break is not None:
        in_lunch = (tod >= us_of(windows.lunch_break[0])) & (tod < us_of(windows.lunch_break[1]))
    else:
        in_lunch = np.zeros(n, bool)
    night = (tod < _NIGHT_END) | (tod >= _NIGHT_START)
    before = tod < start
    after = tod >= end
    time_codes = ("night", "early_morning", "before_window", "evening", "after_window", "lunch")
    time_index = np.select(
        [
            (before | after) & night,
            before & (tod < _MORNING_END),
            before,
            after & (tod >= _EVENING_START),
            after,
            in_lunch,
        ],
        list(range(len(time_codes))),
        default=-1,
    )
    time_col = pl.Series("tc", time_index, dtype=pl.Int8).replace_strict(
        dict(enumerate(time_codes)), default=None, return_dtype=pl.String
    )
    # A closed day names the reason, and a time of day the guidelines name is added to it
    # ("helg, natt"); night is the code whatever the day (seed 003: never at night).
    time_label = pl.col("tc").replace_strict(REASONS, default=None)
    both = pl.col("dl").is_not_null() & pl.col("tc").is_in(("night", "early_morning", "evening"))
    answer = pl.DataFrame(
        {"dc": day_code, "dl": day_label, "tc": time_col, "ok": parsed.valid}
    ).select(
        code=pl.when("ok").then(
            pl.when(pl.col("tc") == "night").then("tc").otherwise(pl.coalesce("dc", "tc"))
        ),
        label=pl.when("ok").then(
            pl.when(both)
            .then(pl.concat_str("dl", pl.lit(", "), time_label))
            .otherwise(pl.coalesce("dl", time_label))
        ),
    )
    return answer["code"].to_list(), answer["label"].to_list()


def outside_windows(
    times: Any, windows: SendWindows | Mapping[str, Any] | None = None
) -> list[str | None]:
    """For each time: ``None`` if sending is allowed then, else a short Swedish reason.

    Reasons: "natt", "tidig morgon", "kväll", "före sändfönstret", "efter sändfönstret",
    "lunch", "helg", "ej sändningsdag", "helgdag: <namn>", "blockerat datum" (with its reason
    if one is given: "blockerat datum: Personaldag"). A day reason comes first, and night,
    early morning or evening is added to it: "helg, natt". Naive times are local; ``None``
    entries give ``None``; a value that is not a time raises :class:`ScheduleError`.
    """
    return _classify(times, as_windows(windows))[1]


def outside_window_codes(
    times: Any, windows: SendWindows | Mapping[str, Any] | None = None
) -> list[str | None]:
    """Like :func:`outside_windows` but the English codes of :data:`REASONS`.

    One code per time: ``night`` whenever it is night (even on a closed day), else the day's
    code, else the time's.
    """
    return _classify(times, as_windows(windows))[0]
