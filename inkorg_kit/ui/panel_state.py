"""The reach-and-plan panel's inputs: :class:`PanelState`, and the notebook's parameters read
into it.

Why a frozen state: a slider move changes a copy (:meth:`PanelState.replace`) and the
computation (:mod:`inkorg_kit.ui.panel_outcome`) is a function of the state alone, so a live
panel and a scheduled run with the same values give the same numbers. The state holds the
aggregated target strata and the manifest's file table, never people; nothing here displays
or reads a file (step 03 reads the run folder: :mod:`inkorg_kit.steps.reach_plan`).

>>> comparison_times(dt.datetime(2027, 3, 16, 9, 0))
('2027-03-16 09:00', '2027-03-19 15:30')
>>> handler_list(3, ["Lena Holm"]), count_text(12345.4), percent_text(0.426)
(('Lena Holm', 'Handläggare 2', 'Handläggare 3'), '12 345', '43 %')
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from inkorg_kit.config.assumptions import (
    Assumptions,
    Costs,
    default_assumptions_path,
    load_assumptions,
)
from inkorg_kit.config.campaign import Campaign
from inkorg_kit.config.planning import STRATEGY_CODES, category_deadlines, strategy_label
from inkorg_kit.config.windows import SendWindows
from inkorg_kit.errors import ParameterError, ScheduleError
from inkorg_kit.history import pooled_assumptions, register_path, shown_path
from inkorg_kit.hours.parse import parse_datetime
from inkorg_kit.vocab import AGE_BANDS, MAX_PART_SIZE, UNKNOWN_BAND, WEEKDAYS_SHORT_SV

__all__ = [
    "PRIORS",
    "PanelState",
    "comparison_times",
    "count_text",
    "handler_list",
    "percent_text",
    "positive_int",
    "windows_with_hours",
]

#: Where step 03 and the planner take their reach priors from when no assumptions file is given:
#: pooled from the region's campaign register (national defaults while it is empty), or the
#: national defaults.
PRIORS = ("register", "national")

# --------------------------------------------------------------------------- parameters


def positive_int(name: str, value: Any, *, zero_means: str | None = None) -> int:
    """``value`` as a whole number of 1 or more (or 0 with ``zero_means``), else a
    :class:`~inkorg_kit.errors.ParameterError` naming the parameter."""
    ok = isinstance(value, int) and not isinstance(value, bool)
    if ok and (value >= 1 or (zero_means and value == 0)):
        return int(value)
    lowest = "0 or more (0 = " + zero_means + ")" if zero_means else "1 or more"
    raise ParameterError(f"{name}={value!r} must be a whole number, {lowest}")


def handler_list(count: int, names: Sequence[str]) -> tuple[str, ...]:
    """``count`` handler names: the campaign's case handlers first, then numbered ones."""
    chosen = [str(n) for n in names][:count]
    k = len(chosen)
    while len(chosen) < count:
        k += 1
        candidate = f"Handläggare {k}"
        if candidate not in chosen:
            chosen.append(candidate)
    return tuple(chosen)


def comparison_times(start: dt.datetime) -> tuple[str, str]:
    """The default send-time comparison: ``start`` and the same week's Friday 15:30.

    If ``start`` is that Friday 15:30, the week's Tuesday 09:00 instead. Text as the
    ``compare_send_times`` parameter takes it ('YYYY-MM-DD HH:MM', local time).
    """
    monday = start.date() - dt.timedelta(days=start.weekday())
    friday = dt.datetime.combine(monday + dt.timedelta(days=4), dt.time(15, 30))
    other = friday
    if start.replace(tzinfo=None, second=0, microsecond=0) == friday:
        other = dt.datetime.combine(monday + dt.timedelta(days=1), dt.time(9, 0))
    return (start.strftime("%Y-%m-%d %H:%M"), other.strftime("%Y-%m-%d %H:%M"))


def windows_with_hours(windows: SendWindows, start: dt.time, end: dt.time) -> SendWindows:
    """The same windows with other hours; the lunch break is cut to fit (or dropped)."""
    if start >= end:
        raise ParameterError(f"the send window must end after it starts, got {start}-{end}")
    lunch = windows.lunch_break
    if lunch is not None:
        lunch_start, lunch_end = max(lunch[0], start), min(lunch[1], end)
        lunch = (lunch_start, lunch_end) if lunch_start < lunch_end else None
        if lunch == (start, end):
            raise ParameterError(
                f"the send window {start:%H:%M}-{end:%H:%M} lies inside the lunch break "
                f"{windows.lunch_break[0]:%H:%M}-{windows.lunch_break[1]:%H:%M}: no time to send"
            )
    data = windows.model_dump()
    data.update(start=start, end=end, lunch_break=lunch)
    return SendWindows.model_validate(data)


# --------------------------------------------------------------------------- state


@dataclasses.dataclass(frozen=True)
class PanelState:
    """Everything one computation needs; the panel's sliders change copies of it.

    ``strata`` is the aggregated target (:func:`inkorg_kit.reach.target_strata`), ``files`` the
    manifest's file table (``file_name``, ``rows``, ...). ``login_share`` and
    ``notification_share`` map age bands to changed means (empty: the assumptions as loaded);
    ``window_hours`` replaces the send window's hours.

    The follow-up: ``strategy`` (``letter``, ``reminder`` or ``letter_first``, see
    :mod:`inkorg_kit.reach.strategies`), N = ``follow_up_working_hours`` and R =
    ``reminder_after_working_hours`` (None: the kallelse default's share of N); ``costs``
    (None: the assumptions' costs), ``part_size`` and ``finish_by`` for the comparison and the
    reminder wave.
    """

    strata: pl.DataFrame
    files: pl.DataFrame
    assumptions: Assumptions
    windows: SendWindows
    earliest_start: dt.datetime
    handlers: int = 1
    handler_names: tuple[str, ...] = ()
    minutes_per_file: float = 5.0
    max_messages_per_day: int | None = None
    campaign_name: str = "utskick"
    login_share: Mapping[str, float] = dataclasses.field(default_factory=dict)
    notification_share: Mapping[str, float] = dataclasses.field(default_factory=dict)
    window_hours: tuple[dt.time, dt.time] | None = None
    compare_send_times: tuple[str, ...] = ()
    draws: int = 2000
    seed: int | None = 2026
    assumptions_source: str = ""
    follow_up_working_hours: float = 24.0
    strategy: str = "letter"
    reminder_after_working_hours: float | None = None
    costs: Costs | None = None
    part_size: int = MAX_PART_SIZE
    finish_by: dt.date | None = None

    def __post_init__(self) -> None:
        positive_int("draws", self.draws)
        positive_int("handlers", self.handlers)
        if not self.minutes_per_file > 0:
            raise ParameterError(f"minutes_per_file={self.minutes_per_file!r} must be above 0")
        if not self.follow_up_working_hours > 0:
            raise ParameterError(
                f"follow_up_working_hours={self.follow_up_working_hours!r} must be above 0"
            )
        if self.strategy not in STRATEGY_CODES:
            raise ParameterError(
                f"strategy={self.strategy!r} is not a follow-up strategy; choose one of "
                f"{', '.join(STRATEGY_CODES)}"
            )
        r = self.reminder_after_working_hours
        if r is not None and not 0 < r < self.follow_up_working_hours:
            raise ParameterError(
                f"reminder_after_working_hours={r!r} must be above 0 and below the letter's "
                f"{self.follow_up_working_hours:g} working hours: the reminder comes first"
            )
        if isinstance(self.part_size, bool) or not 1 <= self.part_size <= MAX_PART_SIZE:
            raise ParameterError(f"part_size={self.part_size!r} must be 1 to {MAX_PART_SIZE}")
        if self.strata.is_empty():
            raise ParameterError("the target group is empty: nothing to simulate")
        missing = [c for c in ("file_name", "rows") if c not in self.files.columns]
        if missing:
            raise ParameterError(f"files has no column(s) {missing}; give the manifest's files")

    def replace(self, **changes: Any) -> PanelState:
        """A copy with some fields changed (what a slider does)."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def for_campaign(
        cls,
        campaign: Campaign,
        strata: pl.DataFrame,
        files: pl.DataFrame,
        *,
        assumptions: Assumptions | str | os.PathLike[str] | None = None,
        earliest_start: Any = "",
        handlers: int = 0,
        minutes_per_file: float = 0,
        compare_send_times: Sequence[Any] = (),
        draws: int = 2000,
        seed: int | None = 2026,
        priors: str = "register",
        register: str | os.PathLike[str] | None = None,
        strategy: str = "",
    ) -> PanelState:
        """The state for a campaign, its target strata and its files, with the notebook's
        parameters (step 03 reads the strata and files from the run folder:
        :func:`inkorg_kit.steps.reach_plan.panel_state`).

        ``earliest_start`` "" takes the campaign's ``planned_send_start``; ``handlers`` and
        ``minutes_per_file`` 0 take its ``sending`` block. ``compare_send_times`` empty compares
        the earliest start with the same week's Friday 15:30 (:func:`comparison_times`).
        ``assumptions`` is a reach assumptions file (the defaults or a follow-up fit; missing
        parts come from the defaults) or an Assumptions object; it wins over ``priors``. Without
        it, ``priors="register"`` pools the login shares of the campaigns in the region's
        register (``register``, default :func:`inkorg_kit.history.register_path`; this campaign
        itself left out) and falls back to the national defaults while it holds none;
        ``priors="national"`` takes the national defaults. :attr:`assumptions_source` says
        which, naming the campaigns. The follow-up deadline is the campaign's
        ``followup.unread_after_working_hours``.

        ``strategy`` "" takes the campaign's ``followup.strategy``; N and R are the campaign's
        (its own keys, else its category's defaults: ``Campaign.deadlines``), the costs its
        ``costs:`` over the assumptions', with its ``sending.part_size`` and ``finish_by``.
        """
        windows = campaign.send_windows
        if earliest_start in ("", None):
            start = campaign.planned_send_start
        else:
            try:
                start = parse_datetime(earliest_start, windows.zone)
            except ScheduleError as exc:
                raise ParameterError(f"earliest_start={earliest_start!r}: {exc}") from None
        handlers = positive_int("handlers", handlers, zero_means="from the campaign")
        if isinstance(minutes_per_file, bool) or not isinstance(minutes_per_file, int | float):
            raise ParameterError(f"minutes_per_file={minutes_per_file!r} must be a number")
        if minutes_per_file < 0:
            raise ParameterError(
                f"minutes_per_file={minutes_per_file!r} must be above 0 (0 = from the campaign)"
            )
        positive_int("draws", draws)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ParameterError(f"seed={seed!r} must be a whole number (or None for a new one)")
        if isinstance(compare_send_times, str):
            compare_send_times = [compare_send_times]
        times = []
        for value in compare_send_times:
            try:
                moment = parse_datetime(value, windows.zone)
            except ScheduleError as exc:
                raise ParameterError(f"compare_send_times: {exc}") from None
            times.append(moment.strftime("%Y-%m-%d %H:%M"))
        if not times:
            times = list(comparison_times(start))
        if priors not in PRIORS:
            raise ParameterError(f"priors={priors!r} must be one of {', '.join(PRIORS)}")
        if assumptions is None:
            loaded, source = _prior_assumptions(campaign, priors, register)
        elif isinstance(assumptions, Assumptions):
            loaded, source = assumptions, "given assumptions"
        else:  # a follow-up fit may cover some bands only: the rest from the defaults
            defaults = default_assumptions_path()
            loaded = load_assumptions(Path(assumptions), fill_missing_from=defaults)
            source = str(assumptions)
        chosen = strategy.strip() if isinstance(strategy, str) else strategy
        chosen = chosen or campaign.followup.strategy
        if chosen not in STRATEGY_CODES:
            raise ParameterError(
                f"strategy={strategy!r} is not a follow-up strategy; choose one of "
                f"{', '.join(STRATEGY_CODES)} (or empty for the campaign's followup.strategy)"
            )
        deadlines = campaign.deadlines(loaded)
        return cls(
            strata=strata,
            files=files,
            assumptions=loaded,
            windows=windows,
            earliest_start=start,
            handlers=handlers or campaign.sending.handlers,
            handler_names=tuple(campaign.case_handlers),
            minutes_per_file=float(minutes_per_file or campaign.sending.minutes_per_file),
            max_messages_per_day=campaign.sending.max_messages_per_day,
            campaign_name=campaign.name,
            compare_send_times=tuple(times),
            draws=draws,
            seed=seed,
            assumptions_source=source,
            follow_up_working_hours=deadlines.unread_after_working_hours,
            strategy=chosen,
            reminder_after_working_hours=deadlines.reminder_after_working_hours,
            costs=campaign.strategy_costs(loaded),
            part_size=campaign.sending.part_size,
            finish_by=campaign.sending.finish_by,
        )

    def reminder_hours(self) -> float:
        """R: the reminder's working hours; when not given, the kallelse default's share of N
        (:func:`inkorg_kit.config.planning.category_deadlines`), so it stays below N."""
        if self.reminder_after_working_hours is not None:
            return float(self.reminder_after_working_hours)
        d = category_deadlines("kallelse")
        ratio = d.reminder_after_working_hours / d.unread_after_working_hours
        return self.follow_up_working_hours * ratio

    def strategy_text(self) -> str:
        """The chosen strategy in Swedish, with its working hours."""
        return strategy_label(self.strategy, self.follow_up_working_hours, self.reminder_hours())

    @property
    def effective_windows(self) -> SendWindows:
        """The send windows with any changed hours."""
        if self.window_hours is None:
            return self.windows
        return windows_with_hours(self.windows, *self.window_hours)

    def effective_assumptions(self) -> Assumptions:
        """The assumptions with the slider changes applied."""
        if not self.login_share and not self.notification_share:
            return self.assumptions
        return self.assumptions.with_overrides(
            login_share=dict(self.login_share) or None,
            notification_share=dict(self.notification_share) or None,
            note="reglage i panelen",
        )

    def handler_list(self) -> tuple[str, ...]:
        """The ``handlers`` names sending: the campaign's case handlers first, then numbered."""
        return handler_list(self.handlers, self.handler_names)

    def windows_text(self) -> str:
        """The effective send windows in one Swedish line, or why they are not valid."""
        try:
            return self.effective_windows.describe()
        except ValueError as exc:
            return f"ogiltigt ({exc})"

    def bands(self) -> list[str]:
        """The age bands present in the target group, in order (``okänd`` last)."""
        present = set(self.strata["age_band"].cast(pl.String).to_list())
        return [b for b in (*AGE_BANDS, UNKNOWN_BAND) if b in present]

    def describe(self) -> str:
        """One Swedish paragraph on what is computed (for the notebook)."""
        people = int(self.strata["n"].sum())
        messages = int(self.files["rows"].sum())
        names = ", ".join(self.handler_list())
        start = self.earliest_start
        return (
            f"Målgrupp: {count_text(people)} personer ({', '.join(self.bands())}). "
            f"Mottagarfiler: {self.files.height} med {count_text(messages)} meddelanden. "
            f"Handläggare: {names}; {self.minutes_per_file:g} minuter per fil"
            + (
                f", högst {count_text(self.max_messages_per_day)} meddelanden per dag"
                if self.max_messages_per_day
                else ""
            )
            + f". Tidigast start: {WEEKDAYS_SHORT_SV[start.weekday()]} {start:%Y-%m-%d %H:%M}. "
            f"Sändfönster: {self.windows_text()}. "
            f"Annan kanal efter uppföljning: oläst {self.follow_up_working_hours:g} arbetstimmar "
            "efter sitt meddelande. "
            f"Uppföljning: {self.strategy_text()}. "
            f"Antaganden: {self.assumptions_source or 'reach defaults'}; "
            f"{self.draws} simuleringar (seed {self.seed})."
        )


def _prior_assumptions(
    campaign: Campaign, priors: str, register: str | os.PathLike[str] | None
) -> tuple[Assumptions, str]:
    """The assumptions ``priors`` chooses, and a line saying where they come from."""
    if priors == "national":
        return load_assumptions(), "nationella standardantaganden (priors=national)"
    folder = register_path(campaign, given=register)
    pooled = pooled_assumptions(folder, exclude=[campaign.name])
    if pooled is None:
        return load_assumptions(), (
            f"nationella standardantaganden (kampanjregistret {shown_path(folder)} har ännu"
            " ingen annan kampanj med skattad inloggningsandel)"
        )
    return pooled.assumptions, pooled.describe()


# --------------------------------------------------------------------------- words


def count_text(value: float | None) -> str:
    """A count as shown in the panel: rounded, spaces between thousands, "–" for none."""
    return "–" if value is None else f"{round(value):,}".replace(",", " ")


def percent_text(value: float | None) -> str:
    """A share as a whole Swedish percentage ("42 %"), "–" for none."""
    return "–" if value is None else f"{value * 100:.0f} %".replace(".", ",")
