"""Old import path of the send windows, working hours and the send plan (a facade).

The code lives in :mod:`inkorg_kit.config.windows` (:class:`SendWindows`, :func:`clock_time`),
:mod:`inkorg_kit.hours.working` (closed days, working hours, :func:`outside_windows`) and
:mod:`inkorg_kit.sending` (:func:`plan`, :class:`SendPlan`, :func:`read_plan_csv`); this
module re-exports their public names so that ``from inkorg_kit.schedule import plan`` keeps
working. New code imports from those modules.

>>> import datetime as dt
>>> w = SendWindows()
>>> outside_windows(["2026-03-02 10:00", "2026-03-02 19:00", "2026-12-25 10:00"], w)
[None, 'kväll', 'helgdag: Juldagen']
>>> blocked_days(w, dt.date(2026, 6, 19), dt.date(2026, 6, 21))[dt.date(2026, 6, 19)]
'Midsommarafton'
>>> working_hours_between("2026-03-06 16:00", "2026-03-09 09:00", w)
2.0
"""

from __future__ import annotations

from inkorg_kit.config.windows import SendWindows, clock_time
from inkorg_kit.errors import ScheduleError
from inkorg_kit.hours.parse import parse_datetime
from inkorg_kit.hours.working import (
    REASONS,
    add_working_hours,
    blocked_days,
    outside_window_codes,
    outside_windows,
    window_intervals,
    working_hours_between,
)
from inkorg_kit.sending import SendPlan, handler_slug, plan, read_plan_csv

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
