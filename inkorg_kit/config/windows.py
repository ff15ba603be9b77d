"""Send windows: when a campaign may send, as the ``send_windows:`` block of its YAML says.

Why here, with the other typed settings: the campaign model holds a :class:`SendWindows`, and
the working-hours arithmetic (:mod:`inkorg_kit.hours.working`) and the send plan
(:mod:`inkorg_kit.sending`) compute with it. The model only states the rules: local wall-clock
times in an IANA zone (Europe/Stockholm unless told), the weekdays allowed, a lunch break,
closed dates (with reasons), and whether Swedish public holidays and the three eves are
blocked. :func:`clock_time` reads the times as people and YAML write them.

>>> w = SendWindows(lunch_break=("12:00", "13:00"))
>>> w.describe()[:38]
'mån–fre 08:00–17:00, lunch 12:00–13:00'
>>> as_windows({"start": "9:00"}).start
datetime.time(9, 0)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from inkorg_kit.errors import ScheduleError
from inkorg_kit.vocab import TIME_ZONE_NAME, WEEKDAY_NAMES, WEEKDAYS_SHORT_SV, WEEKDAYS_SV

#: Every weekday name accepted in YAML, English and Swedish, to its number (Monday 0).
_WEEKDAY_NUMBERS = {
    name: number
    for names in (WEEKDAY_NAMES, WEEKDAYS_SHORT_SV, WEEKDAYS_SV)
    for number, name in enumerate(names)
}

__all__ = ["NIGHT_FROM", "NIGHT_UNTIL", "SendWindows", "as_windows", "clock_time"]

#: The night of the guidelines (seed 003: never at night): before 06:00 and from 22:00.
NIGHT_UNTIL, NIGHT_FROM = dt.time(6), dt.time(22)

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

    timezone: str = Field(TIME_ZONE_NAME, description="IANA time zone of the send window")
    weekdays: tuple[int, ...] = Field(
        (0, 1, 2, 3, 4),
        description="allowed weekdays, 0 = Monday; names like 'mon' also work",
        examples=[["mon", "tue", "wed", "thu", "fri"]],
    )
    start: dt.time = Field(dt.time(8, 0), description="first minute of the window, local time")
    end: dt.time = Field(dt.time(17, 0), description="end of the window (exclusive), local time")
    lunch_break: Annotated[
        tuple[dt.time, dt.time] | None,
        Field(
            None,
            description="a pause inside the window, e.g. ['12:00', '13:00']",
            examples=[["12:00", "13:00"]],
        ),
    ]
    blocked_dates: tuple[dt.date, ...] = Field(
        (),
        description="extra dates with no sending (e.g. a clinic's closed days)",
        examples=[["2027-04-06"]],
    )
    public_holidays: bool = Field(True, description="block Swedish public holidays")
    block_eves: bool = Field(True, description="block midsommarafton, julafton and nyårsafton too")
    blocked_reasons: tuple[tuple[dt.date, str], ...] = Field(
        (),
        description="closed dates with a reason, e.g. {2026-03-05: Personaldag}; "
        "shown as 'Stängt: Personaldag'. These dates are blocked too.",
        examples=[{"2027-03-05": "Personaldag"}],
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
        """Weekdays as English (``mon``, ``monday``) or Swedish (``mån``, ``måndag``) names, or
        0-6 (Monday 0): the report writes ``mån–tor``, so the campaign may too."""
        if isinstance(value, list | tuple):
            out = []
            for item in value:
                if isinstance(item, str):
                    text = item.strip().lower().rstrip(".")
                    key = text if text in _WEEKDAY_NUMBERS else text[:3]
                    if key not in _WEEKDAY_NUMBERS:
                        raise ValueError(
                            f"weekday {item!r} is not one of: {', '.join(WEEKDAY_NAMES)}, "
                            f"{', '.join(WEEKDAYS_SHORT_SV)} (or 0-6, Monday 0)"
                        )
                    out.append(_WEEKDAY_NUMBERS[key])
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
        :func:`inkorg_kit.sending.plan` put files there and
        :meth:`inkorg_kit.sending.SendPlan.check` pass them.
        """
        found = []
        if self.start < NIGHT_UNTIL:
            found.append(
                f"Sändfönstret börjar {self.start:%H:%M}, före 06:00: det är natt, och "
                "aviseringar plingar i mottagarnas telefoner (riktlinjerna: inte nattetid)."
            )
        if self.end > NIGHT_FROM:
            found.append(
                f"Sändfönstret slutar {self.end:%H:%M}, efter 22:00: det är natt, och "
                "aviseringar plingar i mottagarnas telefoner (riktlinjerna: inte nattetid)."
            )
        return found

    def describe(self) -> str:
        """One Swedish line for notebooks and reports, e.g. 'mån–fre 08:00–17:00, …'."""
        short = WEEKDAYS_SHORT_SV
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


def as_windows(windows: SendWindows | Mapping[str, Any] | None) -> SendWindows:
    """The windows as a model: None gives the defaults, a mapping is validated as YAML is."""
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
