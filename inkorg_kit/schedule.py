"""Send windows, Swedish holidays and handler capacity: when messages may go out.

Why: notifications ping residents' phones, so the guidelines (seeds 003, 004) say never at
night, in the evening, at weekends or early in the morning. A send window is local time in
Europe/Stockholm (daylight saving handled), on chosen weekdays, never on Swedish public
holidays or the eves people take off (midsommarafton, julafton, nyårsafton).

The rules, as this module applies them:

- A day is open when its weekday is allowed, it is not a public holiday (``holidays.SE`` with
  ``include_sundays=False``, Swedish names), not one of the three eves, and not a blocked
  date. The ``holidays`` package lists the eves only in its ``de_facto`` category (and only in
  recent versions), so the eves are also computed here: midsommarafton is the Friday between
  19 and 25 June, julafton 24 December, nyårsafton 31 December.
- On an open day, sending is allowed from ``start`` (inclusive) to ``end`` (exclusive), wall
  clock time, minus the lunch break. 08:00 stays 08:00 across daylight saving changes; the
  lengths of intervals and working hours are real elapsed time.
- A file of recipients is never split over a window edge: it starts only if it fits.

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
import hashlib
import io
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import polars as pl
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from inkorg_kit._files import write_private_bytes, write_private_text
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

__all__ = [
    "REASONS",
    "ScheduleError",
    "SendPlan",
    "SendWindows",
    "add_working_hours",
    "blocked_days",
    "clock_time",
    "handler_slug",
    "outside_window_codes",
    "outside_windows",
    "parse_datetime",
    "plan",
    "read_plan_csv",
    "window_intervals",
    "working_hours_between",
]

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_LABELS_SV = ("Måndag", "Tisdag", "Onsdag", "Torsdag", "Fredag", "Lördag", "Söndag")
MAX_ROWS_PER_FILE = 250

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
_NIGHT_UNTIL, _NIGHT_FROM = dt.time(6), dt.time(22)  # the warnings and the "natt" reason
_HOUR_US = 3_600_000_000
_NIGHT_END = _NIGHT_UNTIL.hour * _HOUR_US
_MORNING_END = 9 * _HOUR_US
_EVENING_START = 17 * _HOUR_US
_NIGHT_START = _NIGHT_FROM.hour * _HOUR_US
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_US = dt.timedelta(microseconds=1)


_CLOCK_TEXT = re.compile(r"(\d{1,2})[:.](\d{2})(?::(\d{2}))?")
_CLOCK_FORM = "write it in quotes as 'HH:MM', e.g. '08:00' (24-hour clock, local time)"


def clock_time(value: object, field: str = "time") -> dt.time:
    """A wall-clock time of a send window from what YAML and people write.

    Why: unquoted in YAML 1.1, ``8:00`` is the base-60 integer 480 and pydantic would read it as
    480 *seconds* (00:08); ``08:00`` stays text. So: ``"08:00"``, ``"8:00"``, ``"8.00"`` and
    ``"08:00:00"`` are read as written, and an integer from 60 to 1439 as YAML's base-60
    minutes since midnight (``8:00`` -> 480 -> 08:00). Other numbers are refused: ``8`` or
    ``8.30`` do not say which time they mean.

    >>> clock_time(480), clock_time("8.00"), clock_time("16:30")
    (datetime.time(8, 0), datetime.time(8, 0), datetime.time(16, 30))
    """
    if isinstance(value, dt.datetime):
        raise ValueError(
            f"{field}: {value!r} is a date and time; give the time only, {_CLOCK_FORM}"
        )
    if isinstance(value, dt.time):
        if value.tzinfo is not None:
            raise ValueError(
                f"{field}: {value!r} has a time zone; send windows are local wall-clock time "
                f"in the windows' timezone, {_CLOCK_FORM}"
            )
        return value
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        if 60 <= value < 24 * 60:  # YAML 1.1 base-60: H:MM unquoted, H >= 1
            return dt.time(int(value) // 60, int(value) % 60)
        raise ValueError(
            f"{field}: the number {value!r} is not a time of day; {_CLOCK_FORM}"
            + (" (YAML reads unquoted H:MM:SS as seconds)" if value >= 24 * 60 else "")
        )
    if isinstance(value, str):
        match = _CLOCK_TEXT.fullmatch(value.strip())
        if match:
            hour, minute, second = (int(g or 0) for g in match.groups())
            if hour <= 23 and minute <= 59 and second <= 59:
                return dt.time(hour, minute, second)
        raise ValueError(f"{field}: {value!r} is not a time of day; {_CLOCK_FORM}")
    raise ValueError(
        f"{field}: {value!r} ({type(value).__name__}) is not a time of day; {_CLOCK_FORM}"
        + (" (YAML reads an unquoted 8.00 as the number 8.0)" if isinstance(value, float) else "")
    )


class SendWindows(BaseModel):
    """When sending is allowed; the ``send_windows:`` block of a campaign YAML."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: str = Field("Europe/Stockholm", description="IANA time zone of the send window")
    weekdays: tuple[int, ...] = Field(
        (0, 1, 2, 3, 4), description="allowed weekdays, 0 = Monday; names like 'mon' also work"
    )
    start: dt.time = Field(dt.time(8, 0), description="first minute of the window, local time")
    end: dt.time = Field(dt.time(17, 0), description="end of the window (exclusive), local time")
    lunch_break: Annotated[
        tuple[dt.time, dt.time] | None,
        Field(None, description="a pause inside the window, e.g. ['12:00', '13:00']"),
    ]
    blocked_dates: tuple[dt.date, ...] = Field(
        (), description="extra dates with no sending (e.g. a clinic's closed days)"
    )
    public_holidays: bool = Field(True, description="block Swedish public holidays")
    block_eves: bool = Field(True, description="block midsommarafton, julafton and nyårsafton too")
    blocked_reasons: tuple[tuple[dt.date, str], ...] = Field(
        (),
        description="closed dates with a reason, e.g. {2026-03-05: Personaldag}; "
        "shown as 'Stängt: Personaldag'. These dates are blocked too.",
    )

    @field_validator("start", "end", mode="before")
    @classmethod
    def _clock_times(cls, value: object, info: ValidationInfo) -> object:
        return clock_time(value, str(info.field_name))

    @field_validator("lunch_break", mode="before")
    @classmethod
    def _lunch_times(cls, value: object) -> object:
        if value is None:
            return None
        if not isinstance(value, list | tuple) or len(value) != 2:
            raise ValueError(
                f"lunch_break: {value!r} is not two times; write e.g. ['12:00', '13:00']"
            )
        return tuple(clock_time(v, f"lunch_break[{i}]") for i, v in enumerate(value))

    @field_validator("weekdays", mode="before")
    @classmethod
    def _weekday_names(cls, value: object) -> object:
        if isinstance(value, list | tuple):
            out = []
            for item in value:
                if isinstance(item, str):
                    key = item.strip().lower()[:3]
                    if key not in WEEKDAY_NAMES:
                        raise ValueError(
                            f"weekday {item!r} is not one of: {', '.join(WEEKDAY_NAMES)} (or 0-6)"
                        )
                    out.append(WEEKDAY_NAMES.index(key))
                else:
                    out.append(item)
            return tuple(out)
        return value

    @field_validator("weekdays")
    @classmethod
    def _weekday_range(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value:
            raise ValueError("at least one weekday must be allowed")
        bad = [d for d in value if not 0 <= d <= 6]
        if bad:
            raise ValueError(f"weekdays must be 0 (Monday) to 6 (Sunday), got {bad}")
        return tuple(sorted(set(value)))

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"timezone {value!r} is not a known IANA zone; use e.g. 'Europe/Stockholm'"
            ) from exc
        return value

    @field_validator("blocked_reasons", mode="before")
    @classmethod
    def _reasons_mapping(cls, value: object) -> object:
        # YAML gives a mapping; keep a sorted tuple so the model stays hashable (it is a cache key).
        if isinstance(value, Mapping):
            return tuple(sorted((k, v) for k, v in value.items()))
        return value

    @model_validator(mode="after")
    def _window_order(self) -> SendWindows:
        if self.start >= self.end:
            raise ValueError(f"start {self.start} must be before end {self.end}")
        if self.lunch_break is not None:
            lunch_start, lunch_end = self.lunch_break
            if not self.start <= lunch_start < lunch_end <= self.end:
                raise ValueError(
                    f"lunch_break {lunch_start}-{lunch_end} must lie inside {self.start}-{self.end}"
                )
        return self

    @property
    def zone(self) -> ZoneInfo:
        """The window's time zone."""
        return ZoneInfo(self.timezone)

    def segments(self) -> list[tuple[dt.time, dt.time]]:
        """The day's sending intervals in wall-clock time, lunch removed."""
        if self.lunch_break is None:
            return [(self.start, self.end)]
        lunch_start, lunch_end = self.lunch_break
        parts = [(self.start, lunch_start), (lunch_end, self.end)]
        return [(a, b) for a, b in parts if a < b]

    def warnings(self) -> list[str]:
        """Swedish warnings when the window reaches into the night (before 06:00, after 22:00).

        Why: the guidelines (seed 003) say never at night, and a window that allows it lets
        :func:`plan` put files there and :meth:`SendPlan.check` pass them.
        """
        found = []
        if self.start < _NIGHT_UNTIL:
            found.append(
                f"Sändfönstret börjar {self.start:%H:%M}, före 06:00: det är natt, och "
                "aviseringar plingar i mottagarnas telefoner (riktlinjerna: inte nattetid)."
            )
        if self.end > _NIGHT_FROM:
            found.append(
                f"Sändfönstret slutar {self.end:%H:%M}, efter 22:00: det är natt, och "
                "aviseringar plingar i mottagarnas telefoner (riktlinjerna: inte nattetid)."
            )
        return found

    def describe(self) -> str:
        """One Swedish line for notebooks and reports, e.g. 'mån–fre 08:00–17:00, …'."""
        short = ("mån", "tis", "ons", "tor", "fre", "lör", "sön")
        days = list(self.weekdays)
        if days == list(range(days[0], days[-1] + 1)) and len(days) > 2:
            day_text = f"{short[days[0]]}–{short[days[-1]]}"
        else:
            day_text = ", ".join(short[d] for d in days)
        text = f"{day_text} {self.start:%H:%M}–{self.end:%H:%M}"
        if self.lunch_break is not None:
            text += f", lunch {self.lunch_break[0]:%H:%M}–{self.lunch_break[1]:%H:%M}"
        closed = []
        if self.public_holidays:
            closed.append("helgdagar")
        if self.block_eves:
            closed.append("midsommar-, jul- och nyårsafton")
        n_blocked = len(set(self.blocked_dates) | {d for d, _ in self.blocked_reasons})
        if n_blocked:
            closed.append(f"{n_blocked} spärrade datum")
        if closed:
            text += "; ej " + ", ".join(closed)
        return f"{text} ({self.timezone})"


def _as_windows(windows: SendWindows | Mapping[str, Any] | None) -> SendWindows:
    if windows is None:
        return SendWindows()
    if isinstance(windows, SendWindows):
        return windows
    if isinstance(windows, Mapping):
        return SendWindows.model_validate(dict(windows))
    raise ScheduleError(
        f"windows must be a SendWindows or a mapping like the send_windows: block, "
        f"got {type(windows).__name__}"
    )


# --------------------------------------------------------------------------- holidays & days


def _day_status(windows: SendWindows, day: dt.date) -> tuple[str, str, str] | None:
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
    windows = _as_windows(windows)
    first, last = parse_date(start, "start"), parse_date(end, "end")
    out: dict[dt.date, str] = {}
    day = first
    while day <= last:
        status = _day_status(windows, day)
        if status is not None:
            out[day] = status[1]
        day += dt.timedelta(days=1)
    return out


# --------------------------------------------------------------------------- interval table


@dataclasses.dataclass(frozen=True)
class _Table:
    """All allowed intervals of whole years, as UTC epoch microseconds, with cumulative sums."""

    first_year: int
    last_year: int
    starts: np.ndarray
    ends: np.ndarray
    days: np.ndarray  # local date ordinal of each interval
    cum: np.ndarray  # working microseconds before each interval
    cum_end: np.ndarray  # working microseconds up to each interval's end


@functools.lru_cache(maxsize=32)
def _table(windows: SendWindows, first_year: int, last_year: int) -> _Table:
    tz = windows.zone
    segments = windows.segments()
    starts: list[int] = []
    ends: list[int] = []
    days: list[int] = []
    day = dt.date(first_year, 1, 1)
    stop = dt.date(last_year, 12, 31)
    while day <= stop:  # a loop over days (a few thousand), not over people
        if _day_status(windows, day) is None:
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
    return _Table(
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


def _table_for(windows: SendWindows, lo_us: int, hi_us: int) -> _Table:
    """A table covering [lo, hi] with a year of margin on each side."""
    tz = windows.zone
    first = max(dt.MINYEAR + 1, _local_year(lo_us, tz) - 1)
    last = min(dt.MAXYEAR - 1, _local_year(hi_us, tz) + 1)
    # Round out to multiples of 4 years so nearby calls share one cached table.
    first -= first % 4
    last += 3 - last % 4
    return _table(windows, first, last)


def _worked_before(table: _Table, us: np.ndarray) -> np.ndarray:
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
    windows = _as_windows(windows)
    tz = windows.zone
    lo = epoch_us(parse_datetime(start, tz))
    hi = epoch_us(parse_datetime(end, tz))
    if hi <= lo:
        return []
    table = _table_for(windows, lo, hi)
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
    windows = _as_windows(windows)
    tz = windows.zone
    a = to_times(start, tz, "start")
    b = to_times(end, tz, "end")
    both_valid_us = np.concatenate([a.us[a.valid], b.us[b.valid]])
    if both_valid_us.size == 0:
        like = b if b.kind != "scalar" else a
        return give_back_numbers(np.full(max(a.us.size, b.us.size), np.nan), like, "hours")
    table = _table_for(windows, int(both_valid_us.min()), int(both_valid_us.max()))
    diff = (_worked_before(table, b.us) - _worked_before(table, a.us)) / _HOUR_US
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
    windows = _as_windows(windows)
    tz = windows.zone
    times = to_times(start, tz, "start")
    h = np.asarray(hours.to_numpy() if isinstance(hours, pl.Series) else hours, dtype=float)
    if np.any(h < 0):
        raise ScheduleError("hours must be zero or more; to go back in time, compare instead")
    if np.any(~np.isfinite(h)):
        raise ScheduleError("hours must be a finite number")
    add_us = np.broadcast_to(np.rint(h * _HOUR_US).astype(np.int64), times.us.shape)
    result = times.us.copy()
    valid = times.valid
    if valid.any():
        lo = int(times.us[valid].min())
        hi = int(times.us[valid].max())
        table = _table_for(windows, lo, hi)
        target = _worked_before(table, times.us) + add_us
        # Grow the table until it holds every target (long horizons are rare but legal).
        while target[valid].max(initial=0) > (table.cum_end[-1] if table.cum_end.size else 0):
            if table.last_year >= dt.MAXYEAR - 8:
                raise ScheduleError("add_working_hours: the result is beyond year 9990")
            span = table.last_year - table.first_year + 1
            table = _table(windows, table.first_year, min(dt.MAXYEAR - 1, table.last_year + span))
            target = _worked_before(table, times.us) + add_us
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
    statuses = {d: _day_status(windows, d) for d in frame["day"].unique().to_list()}
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
    return _classify(times, _as_windows(windows))[1]


def outside_window_codes(
    times: Any, windows: SendWindows | Mapping[str, Any] | None = None
) -> list[str | None]:
    """Like :func:`outside_windows` but the English codes of :data:`REASONS`.

    One code per time: ``night`` whenever it is night (even on a closed day), else the day's
    code, else the time's.
    """
    return _classify(times, _as_windows(windows))[0]


# --------------------------------------------------------------------------- the plan

_PLAN_COLUMNS = ("file_name", "rows", "handler", "start", "end")


@dataclasses.dataclass(frozen=True, eq=False)
class SendPlan:
    """Who sends which file when. ``files`` keeps the input order and any extra columns."""

    files: pl.DataFrame
    end: dt.datetime
    days: pl.DataFrame
    windows: SendWindows
    handlers: tuple[str, ...]
    minutes_per_file: float
    max_messages_per_day: int | None
    earliest_start: dt.datetime

    def check(self) -> list[str]:
        """Problems with the plan (empty when fine): files outside windows, overlaps, caps."""
        return _check_plan(self.files, self.windows, self.max_messages_per_day)

    def warnings(self) -> list[str]:
        """Swedish warnings that do not make the plan wrong but go against the guidelines.

        A send window reaching into the night (before 06:00, after 22:00, seed 003), and how
        many files the plan puts there. :meth:`check` passes such a plan: it is inside the
        windows as configured.
        """
        found = self.windows.warnings()
        if self.files.height:
            local = self.files.select(
                pl.col("start", "end").dt.convert_time_zone(self.windows.timezone)
            )
            at_night = local.filter(
                (pl.col("start").dt.time() < _NIGHT_UNTIL)
                | (pl.col("start").dt.time() >= _NIGHT_FROM)
                | (pl.col("end").dt.time() > _NIGHT_FROM)
                | (pl.col("end").dt.date() > pl.col("start").dt.date())
            ).height
            if at_night:
                found.append(
                    f"{at_night} av {self.files.height} filer skickas nattetid (före 06:00 eller "
                    "efter 22:00)."
                )
        return found

    def to_csv(self, path: str | Path, *, separator: str = ",") -> Path:
        """Write the plan as UTF-8 CSV; times as ISO 8601 with offset, 2026-03-02T08:00:00+01:00."""
        buffer = io.StringIO()
        _plan_as_text(self.files).write_csv(buffer, separator=separator)
        return write_private_text(path, buffer.getvalue())

    def to_ical(
        self,
        path: str | Path,
        campaign_name: str,
        *,
        handler: str | None = None,
        stamp: dt.datetime | None = None,
    ) -> Path:
        """Write an iCalendar file (one event per file) for Outlook; optionally one handler's.

        UIDs come from the campaign name and file name only, so importing a re-run plan moves
        the events instead of adding copies. No personnummer: name, row count, part, unit.
        """
        return write_private_bytes(path, _ical_bytes(self, campaign_name, handler, stamp))

    def to_ical_by_handler(
        self,
        folder: str | Path,
        campaign_name: str,
        *,
        stem: str = "send_plan",
        stamp: dt.datetime | None = None,
    ) -> dict[str, Path]:
        """One iCalendar file per handler, ``<stem>_<handler>.ics``, so each imports only theirs.

        The handler part of the name is ASCII (``Lena Holm`` -> ``lena-holm``); returns
        handler -> path. Handlers without files get no file.
        """
        folder = Path(folder)
        out: dict[str, Path] = {}
        used: set[str] = set()
        planned = set(self.files["handler"].to_list())
        for handler in self.handlers:
            if handler not in planned:
                continue
            slug = handler_slug(handler)
            name, k = slug, 1
            while name in used:
                k += 1
                name = f"{slug}-{k}"
            used.add(name)
            out[handler] = self.to_ical(
                folder / f"{stem}_{name}.ics", campaign_name, handler=handler, stamp=stamp
            )
        return out


def handler_slug(name: str) -> str:
    """An ASCII file-name part for a handler's name: 'Åsa Öberg' -> 'asa-oberg'."""
    from inkorg_kit.recipients import slug

    return slug(name) or "handlaggare"


def _as_frame(files: Any) -> pl.DataFrame:
    if isinstance(files, pl.DataFrame):
        return files
    if isinstance(files, pl.LazyFrame):
        return files.collect()
    if type(files).__module__.startswith("pandas"):
        return pl.from_pandas(files)
    if isinstance(files, Sequence | Mapping):
        return pl.DataFrame(files)
    raise ScheduleError(
        "files must be a polars or pandas DataFrame (the manifest's file table) with columns "
        f"file_name and rows; got {type(files).__name__}"
    )


def _validate_files(files: pl.DataFrame) -> pl.DataFrame:
    missing = [c for c in ("file_name", "rows") if c not in files.columns]
    if missing:
        raise ScheduleError(
            f"files is missing column(s) {missing}; expected at least file_name (text) and rows "
            f"(1-{MAX_ROWS_PER_FILE}), as in the manifest's file table; got {files.columns}"
        )
    files = files.drop([c for c in ("handler", "start", "end") if c in files.columns])
    try:
        rows = files["rows"].cast(pl.Int64, strict=True)
    except pl.exceptions.PolarsError as exc:
        raise ScheduleError(f"files column 'rows' must hold whole numbers: {exc}") from exc
    files = files.with_columns(rows.alias("rows"), pl.col("file_name").cast(pl.String))
    checked = files.with_row_index("_row").filter(
        pl.col("rows").is_null()
        | (pl.col("rows") < 1)
        | (pl.col("rows") > MAX_ROWS_PER_FILE)
        | pl.col("file_name").is_null()
        | (pl.col("file_name").str.strip_chars() == "")
    )
    if checked.height:
        bad = [
            f"row {r['_row']} ({r['file_name']!r}: rows={r['rows']})"
            for r in checked.head(5).to_dicts()
        ]
        raise ScheduleError(
            f"files: {checked.height} file(s) have no name or rows outside 1-{MAX_ROWS_PER_FILE}: "
            + ", ".join(bad)
        )
    dupes = files.filter(pl.col("file_name").is_duplicated())["file_name"].unique().to_list()
    if dupes:
        raise ScheduleError(
            f"files: file_name must be unique (it names the calendar events); duplicated: "
            f"{sorted(dupes)[:5]}"
        )
    return files


def _handler_names(handlers: int | Sequence[str]) -> tuple[str, ...]:
    if isinstance(handlers, bool):
        raise ScheduleError("handlers must be a count (1 or more) or a list of names")
    if isinstance(handlers, int | np.integer):
        if handlers < 1:
            raise ScheduleError(f"handlers must be 1 or more, got {handlers}")
        return tuple(f"Handläggare {i}" for i in range(1, int(handlers) + 1))
    if isinstance(handlers, str):
        handlers = [handlers]
    names = tuple(str(h).strip() for h in handlers)
    if not names or any(not n for n in names):
        raise ScheduleError(f"handlers: give at least one non-empty name, got {list(handlers)}")
    if len(set(names)) != len(names):
        raise ScheduleError(f"handlers: names must be unique, got {list(names)}")
    return names


def plan(
    files: Any,
    *,
    handlers: int | Sequence[str] = 1,
    minutes_per_file: float = 10,
    max_messages_per_day: int | None = None,
    earliest_start: dt.datetime | dt.date | str,
    windows: SendWindows | Mapping[str, Any] | None = None,
) -> SendPlan:
    """Plan when each recipient file is imported, checked and sent, and by whom.

    Files go in the given order (no file starts before an earlier one); each goes to the
    handler who can start it first. A file starts only if it fits before its window (or lunch)
    ends, and only if the day's messages, counted over all handlers, stay within
    ``max_messages_per_day``; otherwise it moves to the next interval or day.
    """
    windows = _as_windows(windows)
    tz = windows.zone
    frame = _validate_files(_as_frame(files))
    if frame.height == 0:
        raise ScheduleError("files is empty: there is nothing to plan")
    names = _handler_names(handlers)
    try:
        minutes = float(minutes_per_file)
    except (TypeError, ValueError) as exc:
        raise ScheduleError(f"minutes_per_file must be a number, got {minutes_per_file!r}") from exc
    if not (np.isfinite(minutes) and minutes > 0):
        raise ScheduleError(f"minutes_per_file must be above 0, got {minutes_per_file!r}")
    duration = round(minutes * 60_000_000)
    longest = max(
        (dt.datetime.combine(dt.date(2001, 1, 1), b) - dt.datetime.combine(dt.date(2001, 1, 1), a))
        for a, b in windows.segments()
    )
    if dt.timedelta(microseconds=duration) > longest:
        raise ScheduleError(
            f"minutes_per_file={minutes:g} does not fit in the longest send interval of a day "
            f"({longest.total_seconds() / 60:g} minutes: {windows.describe()}); "
            "a file is never split over a window edge"
        )
    cap = None
    if max_messages_per_day is not None:
        if isinstance(max_messages_per_day, bool) or int(max_messages_per_day) < 1:
            raise ScheduleError(
                f"max_messages_per_day must be 1 or more (or empty for no cap), "
                f"got {max_messages_per_day!r}"
            )
        cap = int(max_messages_per_day)
        too_big = frame.filter(pl.col("rows") > cap)
        if too_big.height:
            example = too_big.row(0, named=True)
            raise ScheduleError(
                f"max_messages_per_day={cap} is smaller than {too_big.height} file(s), e.g. "
                f"{example['file_name']!r} with {example['rows']} rows; a file is sent whole, so "
                f"raise the cap to at least {int(too_big['rows'].max())} or cut smaller files"
            )
    earliest = parse_datetime(earliest_start, tz)
    earliest_us = epoch_us(earliest)

    table = _table_for(windows, earliest_us, earliest_us)
    used: dict[int, int] = {}

    def fit(t0: int, rows: int) -> tuple[int, int]:
        nonlocal table
        i = int(np.searchsorted(table.ends, t0, side="right"))
        limit = t0 + 20 * 366 * 24 * _HOUR_US
        while True:
            while i >= table.starts.size:
                span = table.last_year - table.first_year + 1
                table = _table(windows, table.first_year, table.last_year + span)
            s = max(t0, int(table.starts[i]))
            if s > limit:
                raise ScheduleError(
                    f"no send window within 20 years after {from_epoch_us(t0, tz):%Y-%m-%d}: "
                    f"check send_windows ({windows.describe()})"
                )
            if s + duration > int(table.ends[i]):
                i += 1
                continue
            day = int(table.days[i])
            if cap is not None and used.get(day, 0) + rows > cap:
                i = int(np.searchsorted(table.days, day, side="right"))
                continue
            return s, day

    free = [earliest_us] * len(names)
    last_start = earliest_us
    rows_list = frame["rows"].to_list()
    starts = np.zeros(frame.height, np.int64)
    chosen: list[str] = []
    for k, rows in enumerate(rows_list):  # a loop over files (hundreds), not people
        best: tuple[int, int, int] | None = None
        for h in range(len(names)):
            s, day = fit(max(free[h], last_start), rows)
            if best is None or s < best[0]:
                best = (s, day, h)
        assert best is not None
        s, day, h = best
        starts[k] = s
        free[h] = s + duration
        last_start = s
        used[day] = used.get(day, 0) + rows
        chosen.append(names[h])

    zone = str(tz.key)
    start_col = pl.Series("start", starts, dtype=pl.Int64).cast(pl.Datetime("us", "UTC"))
    end_col = pl.Series("end", starts + duration, dtype=pl.Int64).cast(pl.Datetime("us", "UTC"))
    passthrough = [c for c in frame.columns if c not in _PLAN_COLUMNS]
    planned = frame.select("file_name", "rows").with_columns(
        pl.Series("handler", chosen, dtype=pl.String),
        start_col.dt.convert_time_zone(zone),
        end_col.dt.convert_time_zone(zone),
    )
    planned = pl.concat([planned, frame.select(passthrough)], how="horizontal")
    return SendPlan(
        files=planned,
        end=from_epoch_us(int((starts + duration).max()), tz),
        days=_day_summary(planned),
        windows=windows,
        handlers=names,
        minutes_per_file=minutes,
        max_messages_per_day=cap,
        earliest_start=earliest,
    )


def _day_summary(planned: pl.DataFrame) -> pl.DataFrame:
    return (
        planned.group_by(pl.col("start").dt.date().alias("date"))
        .agg(files=pl.len().cast(pl.Int64), messages=pl.col("rows").sum().cast(pl.Int64))
        .sort("date")
    )


def _check_plan(files: pl.DataFrame, windows: SendWindows, cap: int | None) -> list[str]:
    problems: list[str] = []
    if files.height == 0:
        return problems
    tz = windows.zone
    zone = str(tz.key)
    s = files["start"].dt.convert_time_zone(zone)
    e = files["end"].dt.convert_time_zone(zone)
    s_us = s.dt.epoch("us").to_numpy().astype(np.int64)
    e_us = e.dt.epoch("us").to_numpy().astype(np.int64)
    table = _table_for(windows, int(s_us.min()), int(e_us.max()))
    i = np.searchsorted(table.starts, s_us, side="right") - 1
    safe = np.clip(i, 0, None)
    inside = (i >= 0) & (s_us >= table.starts[safe]) & (e_us <= table.ends[safe]) & (e_us >= s_us)
    if not inside.all():
        bad = np.flatnonzero(~inside)
        reasons = outside_windows(s.gather(bad), windows)
        for k, reason in zip(bad[:20], reasons[:20], strict=False):
            problems.append(
                f"{files['file_name'][int(k)]}: {s[int(k)]:%Y-%m-%d %H:%M}–{e[int(k)]:%H:%M} is "
                f"not inside one send window ({reason or 'slutar efter fönstret'})"
            )
        if bad.size > 20:
            problems.append(f"… and {bad.size - 20} more files outside the send windows")
    ordered = (
        files.with_columns(start=s, end=e)
        .sort("handler", "start")
        .with_columns(prev_end=pl.col("end").shift(1).over("handler"))
        .filter(pl.col("start") < pl.col("prev_end"))
    )
    for row in ordered.head(20).iter_rows(named=True):
        problems.append(
            f"{row['file_name']}: {row['handler']} starts it at {row['start']:%Y-%m-%d %H:%M} "
            f"before the previous file ends ({row['prev_end']:%H:%M})"
        )
    if cap is not None:
        over = _day_summary(files.with_columns(start=s)).filter(pl.col("messages") > cap)
        for row in over.iter_rows(named=True):
            problems.append(
                f"{row['date']}: {row['messages']} messages planned, above the cap of {cap} a day"
            )
    return problems


# --------------------------------------------------------------------------- export


def _plan_as_text(files: pl.DataFrame) -> pl.DataFrame:
    iso = "%Y-%m-%dT%H:%M:%S%:z"
    return files.with_columns(pl.col("start").dt.strftime(iso), pl.col("end").dt.strftime(iso))


def read_plan_csv(
    path: str | Path, *, separator: str = ",", timezone: str = "Europe/Stockholm"
) -> pl.DataFrame:
    """Read a plan written by :meth:`SendPlan.to_csv` back, with tz-aware start and end."""
    frame = pl.read_csv(
        path,
        separator=separator,
        schema_overrides={
            "file_name": pl.String,
            "rows": pl.Int64,
            "handler": pl.String,
            "start": pl.String,
            "end": pl.String,
        },
    )
    missing = [c for c in _PLAN_COLUMNS if c not in frame.columns]
    if missing:
        raise ScheduleError(f"{path}: not a send plan, missing column(s) {missing}")
    iso = "%Y-%m-%dT%H:%M:%S%:z"
    return frame.with_columns(
        pl.col(c).str.to_datetime(iso, time_unit="us").dt.convert_time_zone(timezone)
        for c in ("start", "end")
    )


def _uid(campaign_name: str, file_name: str) -> str:
    digest = hashlib.sha256(f"{campaign_name}\x1f{file_name}".encode()).hexdigest()[:32]
    return f"{digest}@inkorg-kit"


def _last_sunday(year: int, month: int) -> dt.date:
    last = dt.date(year, month + 1, 1) - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() + 1) % 7)


def _eu_offsets(tz: ZoneInfo, years: range) -> tuple[dt.timedelta, dt.timedelta] | None:
    """(standard, summer) offsets if ``tz`` follows the EU rule in every one of ``years``.

    The EU rule: summer time from 01:00 UTC on the last Sunday of March to 01:00 UTC on the
    last Sunday of October. None when the zone does not follow it (then write UTC instead).
    """
    second = dt.timedelta(seconds=1)
    found: set[tuple[dt.timedelta, dt.timedelta]] = set()
    for year in years:
        offsets = []
        for month in (3, 10):
            switch = dt.datetime.combine(_last_sunday(year, month), dt.time(1), tzinfo=dt.UTC)
            offsets += [
                (switch - second).astimezone(tz).utcoffset(),
                switch.astimezone(tz).utcoffset(),
            ]
        standard, summer, summer_again, standard_again = offsets
        if not (standard == standard_again and summer == summer_again and summer > standard):
            return None
        found.add((standard, summer))  # type: ignore[arg-type]
    return found.pop() if len(found) == 1 else None


def _vtimezone(tz: ZoneInfo, years: range) -> Any | None:
    """A VTIMEZONE with yearly rules (RRULE), as Outlook expects; None if the zone has none.

    Why not ``add_missing_timezones``: it lists every change date (RDATE), and Outlook is
    reported to shift summer events by an hour with that form.
    """
    import icalendar

    offsets = _eu_offsets(tz, years)
    if offsets is None:
        return None
    standard, summer = offsets
    first = years.start
    component = icalendar.Timezone()
    component.add("tzid", str(tz.key))
    for kind, month, offset_from, offset_to in (
        (icalendar.TimezoneDaylight, 3, standard, summer),
        (icalendar.TimezoneStandard, 10, summer, standard),
    ):
        part = kind()
        onset = dt.datetime.combine(_last_sunday(first, month), dt.time(1)) + offset_from
        part.add("dtstart", onset)  # local time before the change, as RFC 5545 wants
        part.add("tzoffsetfrom", offset_from)
        part.add("tzoffsetto", offset_to)
        part.add("rrule", {"freq": "yearly", "bymonth": month, "byday": "-1su"})
        mid_season = dt.datetime(first, 7 if month == 3 else 1, 15, 12, tzinfo=tz)
        part.add("tzname", mid_season.tzname() or str(tz.key))  # CEST, CET
        component.add_component(part)
    return component


def _ical_bytes(
    send_plan: SendPlan, campaign_name: str, handler: str | None, stamp: dt.datetime | None
) -> bytes:
    import icalendar

    campaign_name = str(campaign_name).strip()
    if not campaign_name:
        raise ScheduleError("to_ical: campaign_name must not be empty (it makes the event ids)")
    files = send_plan.files
    if handler is not None:
        if handler not in send_plan.handlers:
            raise ScheduleError(
                f"to_ical: handler {handler!r} is not in this plan; choose one of "
                f"{list(send_plan.handlers)}"
            )
        files = files.filter(pl.col("handler") == handler)
    stamp = (stamp or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    # Outlook updates an imported event when the UID matches and SEQUENCE has grown.
    sequence = int((stamp - dt.datetime(2020, 1, 1, tzinfo=dt.UTC)).total_seconds() // 60)
    cal = icalendar.Calendar()
    cal.add("prodid", "-//inkorg-kit//send plan//SV")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    calendar_name = f"Utskick: {campaign_name}" + (f" ({handler})" if handler else "")
    cal.add("x-wr-calname", icalendar.vText(calendar_name))
    tz = send_plan.windows.zone
    timezone = None
    if files.height:
        years = range(files["start"].min().year - 1, files["end"].max().year + 1)
        timezone = _vtimezone(tz, years)
    if timezone is not None:
        cal.add_component(timezone)
    for row in files.iter_rows(named=True):  # one event per file
        event = icalendar.Event()
        event.add("uid", _uid(campaign_name, row["file_name"]))
        event.add("dtstamp", stamp)
        event.add("sequence", sequence)
        event.add("summary", f"{row['handler']}: skicka {row['file_name']} – {campaign_name}")
        start, end = row["start"].astimezone(tz), row["end"].astimezone(tz)
        if timezone is None:  # no yearly rule to describe the zone: plain UTC
            start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
        event.add("dtstart", start)
        event.add("dtend", end)
        lines = [
            f"Kampanj: {campaign_name}",
            f"Fil: {row['file_name']}",
            f"Antal mottagare (rader): {row['rows']}",
        ]
        if row.get("part") is not None:
            lines.append(f"Del: {row['part']}")
        if row.get("unit") is not None:
            lines.append(f"Enhet: {row['unit']}")
        lines += [
            f"Handläggare: {row['handler']}",
            "Importera filen i Personalverktyget, kontrollera mottagarna, lägg till texten "
            "och skicka.",
        ]
        event.add("description", "\n".join(lines))
        event.add("categories", ["1177-utskick"])
        event.add("transp", "OPAQUE")
        cal.add_component(event)
    return cal.to_ical()
