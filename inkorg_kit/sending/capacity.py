"""Handler capacity: how many handler hours and working days a sending takes (the reminder wave
included), when it can be done, and whether it can be done by the campaign's
``sending.finish_by``.

Why: every recipient file is imported, checked and sent by a case handler inside the send
windows (seed 004), so a campaign's size is handler time as much as postage. The send plan
(:mod:`inkorg_kit.sending.plan`) places the files one by one; this module answers the planner's
questions before and beside it, in whole-array arithmetic, so that it scales to a whole region
(millions of residents, thousands of files) and to a slider move: hours = files x minutes per
file, spread over the handlers in parallel, inside the send windows.

>>> c = capacity(160, 0, minutes_per_file=5, handlers=1, start="2027-03-15 08:00")
>>> round(c.hours, 2), round(c.working_days, 2), f"{c.done_at:%a %H:%M}"
(13.33, 1.48, 'Tue 12:20')
>>> capacity(160, 0, minutes_per_file=5, handlers=1, start="2027-03-15 08:00",
...          finish_by="2027-03-15").warnings()[0][:44]
'Utskicket hinner inte bli klart till mån 202'
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

from inkorg_kit.config.windows import SendWindows, as_windows
from inkorg_kit.hours.parse import parse_date, parse_datetime
from inkorg_kit.hours.working import add_working_hours, window_intervals, working_hours_between
from inkorg_kit.vocab import WEEKDAYS_SHORT_SV, whole_number

__all__ = ["REGION_SCALE_FILES", "Capacity", "capacity", "day_text"]

#: From this many files (first wave and reminders) a sending is "a whole region": the page
#: says so in a plain sentence (a handler sends about 100 files a day at 5 minutes a file).
REGION_SCALE_FILES = 1000


def day_text(when: dt.date | dt.datetime) -> str:
    """A day as the planner reads it: ``fre 2027-03-19``."""
    return f"{WEEKDAYS_SHORT_SV[when.weekday()]} {when:%Y-%m-%d}"


def _hours_text(hours: float) -> str:
    return whole_number(round(hours)) if hours >= 10 else f"{hours:.1f}".replace(".", ",")


@dataclasses.dataclass(frozen=True)
class Capacity:
    """What a sending takes of the handlers, and whether it makes ``finish_by``.

    ``hours``: handler hours (files x minutes per file); ``working_days``: days of open send
    window it takes the handlers in parallel (at least the days the daily cap of messages
    needs); ``done_at``: when the last file can be sent (not before the plan's own end nor
    before the last reminder is due); ``handlers_needed``: the handlers it would take to finish
    by ``finish_by`` (None without one, or when no number of handlers can: reminders due after
    it, or the daily cap).
    """

    first_files: int
    reminder_files: int
    minutes_per_file: float
    handlers: int
    hours: float
    working_days: float
    done_at: dt.datetime
    finish_by: dt.date | None
    handlers_needed: int | None
    last_reminder_due: dt.datetime | None = None
    messages: int = 0
    max_messages_per_day: int | None = None

    @property
    def files(self) -> int:
        """Every file the handlers send: the first wave and the reminder wave."""
        return self.first_files + self.reminder_files

    @property
    def on_time(self) -> bool:
        """True without ``finish_by``, or when the last file is sent on or before that day."""
        return self.finish_by is None or self.done_at.date() <= self.finish_by

    @property
    def region_scale(self) -> bool:
        """A sending the size of a whole region (:data:`REGION_SCALE_FILES` files or more)."""
        return self.files >= REGION_SCALE_FILES

    def summary(self) -> str:
        """One Swedish sentence on the work: files, hours, days, when done."""
        waves = f"{whole_number(self.first_files)} filer"
        if self.reminder_files:
            waves += f" och {whole_number(self.reminder_files)} påminnelsefiler"
        return (
            f"{waves} à {self.minutes_per_file:g} min: {_hours_text(self.hours)} "
            f"handläggartimmar, {self.working_days:.1f} arbetsdagar med {self.handlers} "
            f"handläggare; klart {day_text(self.done_at)} {self.done_at:%H:%M}."
        ).replace(".0 arbetsdagar", " arbetsdagar")

    def warnings(self) -> list[str]:
        """Swedish warnings, as the send plan's: not on time for ``finish_by`` (and how many
        handlers it would take), and a sending the size of a whole region."""
        found: list[str] = []
        if not self.on_time:
            assert self.finish_by is not None
            text = (
                f"Utskicket hinner inte bli klart till {day_text(self.finish_by)} "
                f"(sending.finish_by): {_hours_text(self.hours)} handläggartimmar "
                f"({whole_number(self.files)} filer à {self.minutes_per_file:g} min) med "
                f"{self.handlers} handläggare blir klart {day_text(self.done_at)}."
            )
            if self.handlers_needed is not None:
                text += f" Det skulle krävas {self.handlers_needed} handläggare."
            elif (
                self.last_reminder_due is not None
                and self.last_reminder_due.date() > self.finish_by
            ):
                text += (
                    f" Påminnelserna kan skickas först {day_text(self.last_reminder_due)}: fler "
                    "handläggare hjälper inte; börja tidigare eller flytta sending.finish_by."
                )
            else:
                text += (
                    " Fler handläggare räcker inte (taket för meddelanden per dag eller "
                    "sändfönstren): börja tidigare eller flytta sending.finish_by."
                )
            found.append(text)
        if self.region_scale:
            found.append(
                f"Hela regionen: {whole_number(self.files)} filer, "
                f"{_hours_text(self.hours)} handläggartimmar: planera utskicket över flera "
                "veckor eller dela upp det."
            )
        return found


def _open_hours_per_day(windows: SendWindows) -> float:
    day = dt.date(2001, 1, 1)
    return sum(
        (dt.datetime.combine(day, b) - dt.datetime.combine(day, a)).total_seconds() / 3600
        for a, b in windows.segments()
    )


def capacity(
    first_files: int,
    reminder_files: int,
    *,
    minutes_per_file: float,
    handlers: int,
    start: dt.datetime | str,
    windows: SendWindows | Mapping[str, Any] | None = None,
    finish_by: dt.date | str | None = None,
    first_wave_done: dt.datetime | None = None,
    last_reminder_due: dt.datetime | None = None,
    messages: int = 0,
    max_messages_per_day: int | None = None,
) -> Capacity:
    """Handler hours and working days for ``first_files`` and ``reminder_files``.

    ``start`` is the first file's start; ``first_wave_done`` the send plan's end when there is
    one (it knows the daily cap and the window edges); ``last_reminder_due`` when the last
    reminder file may go (R working hours after the last first-wave file). The last file is
    done when the work is done (hours over the handlers, counted in the send windows from
    ``start``), not before ``first_wave_done``, and not before one file's time after
    ``last_reminder_due``. ``finish_by`` is a date: the last file must be sent on it or before.
    """
    if isinstance(handlers, bool) or int(handlers) < 1:
        raise ValueError(f"handlers must be 1 or more, got {handlers!r}")
    if not minutes_per_file > 0:
        raise ValueError(f"minutes_per_file must be above 0, got {minutes_per_file!r}")
    if min(first_files, reminder_files) < 0:
        raise ValueError("file counts must be 0 or more")
    w = as_windows(windows)
    begin = parse_datetime(start, w.zone)
    deadline = parse_date(finish_by, "finish_by") if finish_by is not None else None
    per_file = minutes_per_file / 60
    hours = (first_files + reminder_files) * per_file
    per_day = _open_hours_per_day(w)
    days = hours / handlers / per_day if per_day > 0 else math.inf
    cap_days = 0.0
    if max_messages_per_day:
        cap_days = math.ceil(messages / max_messages_per_day)
        days = max(days, float(cap_days))
    done = add_working_hours(begin, hours / handlers, w)
    if first_wave_done is not None:
        done = max(done, first_wave_done.astimezone(w.zone))
    if last_reminder_due is not None and reminder_files:
        done = max(done, add_working_hours(last_reminder_due.astimezone(w.zone), per_file, w))
    needed: int | None = None
    if deadline is not None:
        end_of_day = dt.datetime.combine(deadline + dt.timedelta(days=1), dt.time(0), w.zone)
        available = float(working_hours_between(begin, end_of_day, w))
        due_ok = (
            last_reminder_due is None
            or not reminder_files
            or (add_working_hours(last_reminder_due.astimezone(w.zone), per_file, w) <= end_of_day)
        )
        open_days = len({a.date() for a, _ in window_intervals(w, begin, end_of_day)})
        cap_ok = not max_messages_per_day or cap_days <= open_days
        if available > 0 and due_ok and cap_ok:
            needed = max(1, math.ceil(hours / available - 1e-9))
    return Capacity(
        first_files=int(first_files),
        reminder_files=int(reminder_files),
        minutes_per_file=float(minutes_per_file),
        handlers=int(handlers),
        hours=hours,
        working_days=days,
        done_at=done,
        finish_by=deadline,
        handlers_needed=needed,
        last_reminder_due=last_reminder_due,
        messages=int(messages),
        max_messages_per_day=max_messages_per_day,
    )
