"""Send-time advice: which allowed start day and hour of the planned week gets the most people
reading within a day, and the fewest paper letters.

Why: a batch sent on Friday afternoon loses its first day to the weekend; the same batch sent on
Tuesday morning is read by many more within 24 hours, and fewer are still unread when the
follow-up deadline (the campaign's ``followup.unread_after_working_hours`` working hours of the
send windows) sends them a letter. Planners ask which start is best before they fix the date.

For every candidate start (each allowed weekday of the planned week that is not a holiday or a
closed date, each hour of the send windows from the window's start) this computes, at the
assumptions' prior means (expected values, no intervals, as :mod:`inkorg_kit.reach.curves`):

* ``read_24h_share``: the share of the target group read 24 calendar hours after the start,
  through the daily rhythm (:class:`~inkorg_kit.hours.clock.ActiveClock`): the same number
  :func:`~inkorg_kit.reach.compare_send_times` gives at 24 hours;
* ``letters``: the expected letters if the whole group were sent then: no active login, or still
  unread when the follow-up deadline passes (:func:`~inkorg_kit.hours.working.add_working_hours`),
  the same expected value :func:`~inkorg_kit.reach.simulate` gives for ``sent_at`` that moment.

The assumptions may be the kit's defaults or a region's ``fitted_reach.yaml`` from an earlier
campaign (its rhythm and read times then drive the advice). One array pass per stratum: the
candidates (at most 7 days x 24 hours) are a vector, never a Python loop over people.

>>> import polars as pl
>>> advice = send_time_advice(
...     pl.DataFrame({"age_band": ["65-74"], "n": [1000]}), week_of=dt.datetime(2027, 3, 16, 9)
... )
>>> advice.cells.columns[:4]
['start', 'day', 'day_label', 'time']
>>> advice.best.strftime("%a") not in ("Fri", "Sat", "Sun")
True
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from inkorg_kit.config.assumptions import Assumptions, load_assumptions
from inkorg_kit.config.windows import SendWindows, as_windows
from inkorg_kit.hours.clock import ActiveClock, as_datetime, epoch_hours
from inkorg_kit.hours.working import add_working_hours, day_status
from inkorg_kit.reach.strata import target_strata
from inkorg_kit.vocab import WEEKDAYS_SHORT_SV

__all__ = ["READ_WITHIN_HOURS", "SendTimeAdvice", "candidate_starts", "send_time_advice"]

#: "Read within a day": the advice's horizon in calendar hours from the start.
READ_WITHIN_HOURS = 24.0


@dataclasses.dataclass(frozen=True)
class SendTimeAdvice:
    """The advice: one row per candidate start (``cells``), and the best of them.

    ``cells`` has ``start`` (tz-aware, local), ``day``, ``day_label`` ("tis 16/3"), ``time``
    ("09:00"), ``read_24h_share`` and ``read_24h`` (people), ``letters`` and ``letters_share``
    (expected letters after the follow-up deadline, no login included), ordered by start.
    ``best`` is the start with the highest share read within 24 hours (fewest letters on a tie).
    """

    cells: pl.DataFrame
    best: dt.datetime
    target: int
    follow_up_working_hours: float

    def row(self, moment: dt.datetime) -> dict[str, Any] | None:
        """The cell of ``moment`` (same local day and time), or None if it is no candidate."""
        local = moment.astimezone(self.best.tzinfo) if moment.tzinfo else moment
        found = self.cells.filter(
            (pl.col("day") == local.date()) & (pl.col("time") == f"{local:%H:%M}")
        )
        return found.row(0, named=True) if found.height else None

    def worst(self) -> dict[str, Any]:
        """The candidate with the lowest share read within 24 hours (most letters on a tie)."""
        order = self.cells.sort(["read_24h_share", "letters"], descending=[False, True])
        return order.row(0, named=True)


def _week_days(windows: SendWindows, week_of: dt.date) -> list[dt.date]:
    """The allowed days of ``week_of``'s week (Monday to Sunday): not a holiday, an eve (when
    blocked), a closed date or a weekday outside the windows."""
    monday = week_of - dt.timedelta(days=week_of.weekday())
    days = [monday + dt.timedelta(days=k) for k in range(7)]
    return [d for d in days if day_status(windows, d) is None]


def candidate_starts(
    windows: SendWindows | Mapping[str, Any] | None,
    week_of: Any,
    *,
    step_minutes: int = 60,
) -> list[dt.datetime]:
    """Every candidate start of the week of ``week_of`` (a date or datetime): on each allowed
    day, from each send-window segment's start (lunch removed) every ``step_minutes`` while
    inside the segment. Tz-aware, in the windows' zone; empty when the week allows no day."""
    win = as_windows(windows)
    if step_minutes < 1:
        raise ValueError(f"step_minutes must be 1 or more, got {step_minutes}")
    day = week_of.date() if isinstance(week_of, dt.datetime) else week_of
    if not isinstance(day, dt.date):
        day = as_datetime(week_of, win.zone, "week_of").date()
    step = dt.timedelta(minutes=step_minutes)
    starts = []
    for d in _week_days(win, day):
        for seg_start, seg_end in win.segments():
            moment = dt.datetime.combine(d, seg_start)
            end = dt.datetime.combine(d, seg_end)
            while moment < end:
                starts.append(moment.replace(tzinfo=win.zone))
                moment += step
    return starts


def _read_by(a: Assumptions, band: str, sex: str | None, active: np.ndarray) -> np.ndarray:
    """The share of a stratum (not of its logged-in) read by ``active`` hours, at the prior
    means, per sex where the assumptions say so (as :func:`~inkorg_kit.reach.simulate`)."""
    b = a.band(band)
    login = b.share("login_share", sex)[0].mean
    notif = b.share("notification_share", sex)[0].mean
    timing = a.timing(band)
    read = notif * timing.notified.cdf(active) + (1 - notif) * timing.not_notified.cdf(active)
    return login * read


def send_time_advice(
    target: Any,
    assumptions: Assumptions | Mapping[str, Any] | str | Path | None = None,
    windows: SendWindows | Mapping[str, Any] | None = None,
    *,
    week_of: Any,
    follow_up_working_hours: float = 24.0,
    step_minutes: int = 60,
) -> SendTimeAdvice:
    """The expected read-within-24-hours share and letters for every candidate start of the
    week of ``week_of`` (see the module and :func:`candidate_starts`).

    ``target``: the target group (person-level or aggregated: ``age_band``, ``sex``, ``n``);
    ``assumptions``: the reach assumptions (defaults, a fit, or the panel's effective ones);
    ``windows``: the campaign's send windows; ``follow_up_working_hours``: the campaign's
    ``followup.unread_after_working_hours``. Raises ValueError when the week has no allowed
    start.
    """
    a = load_assumptions(assumptions)
    win = as_windows(windows)
    if not follow_up_working_hours > 0:
        raise ValueError(f"follow_up_working_hours must be above 0, got {follow_up_working_hours}")
    starts = candidate_starts(win, week_of, step_minutes=step_minutes)
    if not starts:
        raise ValueError(
            f"no allowed start in the week of {week_of}: every day is closed ({win.describe()})"
        )
    strata = target_strata(target)
    t = epoch_hours(starts)
    deadlines = add_working_hours(
        pl.Series("start", starts, dtype=pl.Datetime("us", win.timezone)),
        float(follow_up_working_hours),
        win,
    )
    d = deadlines.dt.epoch("ms").to_numpy() / 3_600_000
    clock = ActiveClock.between(a.rhythm, float(t.min()), float(max(d.max(), t.max() + 24)))
    at_start = clock.active(t)
    within_day = clock.active(t + READ_WITHIN_HOURS) - at_start
    to_deadline = clock.active(d) - at_start

    n = strata["n"].to_numpy().astype(float)
    total = float(n.sum())
    read_24h = np.zeros_like(t)
    letters = np.zeros_like(t)
    bands = strata["age_band"].cast(pl.String).to_list()
    sexes = strata["sex"].cast(pl.String).to_list()
    for count, band, sex in zip(n, bands, sexes, strict=True):
        # a letter: no active login, or logged in and unread at the deadline
        read_24h += count * _read_by(a, band, sex, within_day)
        letters += count * (1 - _read_by(a, band, sex, to_deadline))
    local = [s.astimezone(win.zone) for s in starts]
    cells = pl.DataFrame(
        {
            "start": pl.Series(local, dtype=pl.Datetime("us", win.timezone)),
            "day": [s.date() for s in local],
            "day_label": [f"{WEEKDAYS_SHORT_SV[s.weekday()]} {s.day}/{s.month}" for s in local],
            "time": [f"{s:%H:%M}" for s in local],
            "read_24h_share": read_24h / total,
            "read_24h": read_24h,
            "letters": letters,
            "letters_share": letters / total,
        }
    )
    best = cells.sort(["read_24h_share", "letters", "start"], descending=[True, False, False])
    return SendTimeAdvice(
        cells=cells,
        best=best["start"][0],
        target=round(total),
        follow_up_working_hours=float(follow_up_working_hours),
    )
