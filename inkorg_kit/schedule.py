"""Send windows, Swedish holidays and handler capacity: when messages may go out.

Why: notifications ping residents' phones, so the guidelines (seeds 003, 004) say never at
night, in the evening, at weekends or early in the morning. A send window is local time in
Europe/Stockholm (daylight saving handled), on chosen weekdays, never on Swedish public
holidays or the eves people take off (midsommarafton, julafton, nyårsafton).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class SendWindows(BaseModel):
    """When sending is allowed; the ``send_windows:`` block of a campaign YAML."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: str = Field("Europe/Stockholm", description="IANA time zone of the send window")
    weekdays: tuple[int, ...] = Field(
        (0, 1, 2, 3, 4), description="allowed weekdays, 0 = Monday; names like 'mon' also work"
    )
    start: dt.time = Field(dt.time(8, 0), description="first minute of the window, local time")
    end: dt.time = Field(dt.time(17, 0), description="end of the window (exclusive), local time")
    lunch_break: Annotated[tuple[dt.time, dt.time] | None, Field(
        None, description="a pause inside the window, e.g. ['12:00', '13:00']"
    )]
    blocked_dates: tuple[dt.date, ...] = Field(
        (), description="extra dates with no sending (e.g. a clinic's closed days)"
    )
    public_holidays: bool = Field(True, description="block Swedish public holidays")
    block_eves: bool = Field(
        True, description="block midsommarafton, julafton and nyårsafton too"
    )

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
