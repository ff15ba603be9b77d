"""What one reach-and-plan computation gives (:class:`Outcome`): reach, the send plan, the
read curves, the summary table and the charts, for one panel state.

Why one function: a slider move and the scheduled run must give the same numbers, so both go
through :func:`compute`: :func:`inkorg_kit.reach.simulate` over the target strata,
:func:`inkorg_kit.sending.plan` over the manifest's files, :func:`inkorg_kit.reach.read_curve`
and :func:`inkorg_kit.reach.compare_send_times`, and the charts of :mod:`inkorg_kit.ui.charts`.
It is pure: nothing is displayed or written (step 03 writes the files:
:func:`inkorg_kit.steps.reach_plan.write_outputs`).

The read horizons of the reach table ("read within 24 hours") count calendar hours from each
person's own message, through the daily rhythm, over the plan's send times (weighted by their
files' rows); the read curve is the campaign-level view in calendar time, from the first file
sent. "Another channel after the follow-up" is unread ``followup.unread_after_working_hours``
working hours of the send windows after each message, as notebook 04 counts it.

The follow-up strategies are compared on the first wave as planned
(:func:`inkorg_kit.reach.strategies.compare_strategies`); with strategy ``reminder`` the plan
then gets its reminder wave, sized at the comparison's *upper* bound of reminders (each file's
rows times high / messages): the plan must hold handler time and the daily cap for a wave that
may come out larger than expected, and a reminder file that turns out smaller costs the same
handler time. The reach numbers count from each person's first-wave message in that final plan.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import polars as pl

from inkorg_kit import sending
from inkorg_kit.config.assumptions import Assumptions
from inkorg_kit.reach import ReachResult, compare_send_times, read_curve, simulate
from inkorg_kit.reach.strategies import StrategyComparison, compare_strategies
from inkorg_kit.sending import ReminderWave, SendPlan
from inkorg_kit.ui.charts import reach_funnel, read_over_time, send_plan_gantt
from inkorg_kit.ui.charts.strategies import strategy_chart
from inkorg_kit.ui.panel_state import PanelState

__all__ = [
    "PLAN_LABELS",
    "READ_WEEK_HOURS",
    "SUMMARY_SCHEMA",
    "Outcome",
    "compute",
    "recompute",
    "reminder_share",
]

#: The plan's "read within a week" counts from the last file sent.
READ_WEEK_HOURS = 168.0

#: Rows the summary adds to the reach measures: code -> the label users see.
PLAN_LABELS: dict[str, str] = {
    "plan_files": "Filer i sändplanen",
    "plan_messages": "Meddelanden i sändplanen",
    "plan_reminder_files": "varav påminnelsefiler (uppskattat, övre gräns)",
    "plan_reminder_messages": "varav påminnelser (uppskattat, övre gräns)",
    "plan_send_days": "Utskicksdagar",
    "plan_hours": "Timmar från första utskick till sista fil klar",
    "read_week_after_plan": "Förväntat lästa 7 dagar efter sista utskick",
}
#: The summary table's columns (``reach_summary.csv``).
SUMMARY_SCHEMA: dict[str, Any] = {
    "measure": pl.String,
    "label": pl.String,
    "expected": pl.Float64,
    "low": pl.Float64,
    "high": pl.Float64,
    "share": pl.Float64,
}


@dataclasses.dataclass(frozen=True)
class Outcome:
    """One computation: the reach result, the plan, the curves, the summary and the charts.

    ``summary`` has ``measure``, ``label`` (Swedish), ``expected``, ``low``, ``high`` and
    ``share``: the reach measures of :func:`inkorg_kit.reach.simulate`, then the plan rows of
    :data:`PLAN_LABELS` (no interval). ``charts`` maps ``funnel``, ``read_curve``,
    ``send_times`` and ``gantt`` to Altair charts (those that apply). ``plan`` and ``curve``
    are None when no plan could be made; ``problems`` says why (and lists failed plan checks).
    ``warnings`` do not stop the plan: a send window reaching into the night, say, or handlers
    who cannot finish by ``finish_by``. ``strategies`` is the follow-up strategies compared
    (None without a plan), its chart under ``charts["strategies"]``; ``reminder_share`` the
    share of each first-wave file planned for the reminder wave (None without one).
    """

    state: PanelState
    assumptions: Assumptions
    result: ReachResult
    plan: SendPlan | None
    curve: pl.DataFrame | None
    comparison: pl.DataFrame | None
    summary: pl.DataFrame
    charts: dict[str, Any]
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    strategies: StrategyComparison | None = None
    reminder_share: float | None = None


def reminder_share(comparison: StrategyComparison, messages: int) -> float:
    """The share of each first-wave file to plan for the reminder wave: the comparison's upper
    bound of reminders over the messages sent (see the module: planned on the safe side)."""
    high = comparison.measure("reminder", "reminders")["high"]
    return min(1.0, max(0.0, float(high) / messages)) if messages > 0 else 0.0


def _plan_rows(plan: SendPlan, curve: pl.DataFrame) -> pl.DataFrame:
    files = plan.files
    first = files["start"].min()
    messages = float(files["rows"].sum())
    reminders = plan.reminder_wave
    span = (plan.end - first).total_seconds() / 3600
    week = curve.filter(pl.col("hours") <= span + READ_WEEK_HOURS).tail(1)
    reads, share = (
        (week["expected_reads"].item(), week["read_share"].item()) if week.height else (0.0, 0.0)
    )
    values = {
        "plan_files": (float(files.height), None),
        "plan_messages": (messages, None),
        **(
            {
                "plan_reminder_files": (float(reminders.height), None),
                "plan_reminder_messages": (float(reminders["rows"].sum()), None),
            }
            if plan.reminders is not None
            else {}
        ),
        "plan_send_days": (float(plan.days.height), None),
        "plan_hours": (span, None),
        "read_week_after_plan": (reads, share),
    }
    return pl.DataFrame(
        {
            "measure": list(values),
            "label": [PLAN_LABELS[k] for k in values],
            "expected": [v[0] for v in values.values()],
            "low": [None] * len(values),
            "high": [None] * len(values),
            "share": [v[1] for v in values.values()],
        },
        schema=SUMMARY_SCHEMA,
    )


def _plan(state: PanelState, windows: Any, reminders: ReminderWave | None = None) -> SendPlan:
    return sending.plan(
        state.files,
        handlers=state.handler_list(),
        minutes_per_file=state.minutes_per_file,
        max_messages_per_day=state.max_messages_per_day,
        earliest_start=state.earliest_start,
        windows=windows,
        reminders=reminders,
    )


def _compare(state: PanelState, a: Assumptions, plan: SendPlan, windows: Any) -> StrategyComparison:
    return compare_strategies(
        state.strata,
        a,
        sends=plan,
        unread_after_working_hours=state.follow_up_working_hours,
        reminder_after_working_hours=state.reminder_hours(),
        windows=windows,
        costs=state.costs,
        part_size=state.part_size,
        minutes_per_file=state.minutes_per_file,
        handlers=state.handlers,
        finish_by=state.finish_by,
        max_messages_per_day=state.max_messages_per_day,
        draws=state.draws,
        seed=state.seed,
    )


def compute(state: PanelState) -> Outcome:
    """Run reach, plan, strategy comparison, read curve and send-time comparison for ``state``
    (pure: no display).

    A plan that cannot be made (say minutes per file longer than the window) is reported in
    ``problems``; the reach numbers are still computed, from the earliest start.
    """
    a = state.effective_assumptions()
    problems: list[str] = []
    plan: SendPlan | None = None
    strategies: StrategyComparison | None = None
    share: float | None = None
    windows = state.windows  # if the changed hours do not validate: the deadline as configured
    try:
        windows = state.effective_windows
        plan = _plan(state, windows)
    except ValueError as exc:  # ScheduleError, or windows that do not validate
        problems.append(f"Ingen sändplan: {exc}")
    if plan is not None:
        strategies = _compare(state, a, plan, windows)
        if state.strategy == "reminder":
            share = reminder_share(strategies, int(plan.files["rows"].sum()))
            wave = ReminderWave(state.reminder_hours(), share, state.part_size)
            try:
                plan = _plan(state, windows, wave)
            except ValueError as exc:
                problems.append(f"Ingen påminnelsevåg: {exc}")
                plan = None
    if plan is not None:
        problems += [f"Sändplanen: {p}" for p in plan.check()]
    warnings = plan.warnings() if plan is not None else windows.warnings()
    if strategies is not None:
        warnings += strategies.warnings()
    # Each person's horizons and follow-up deadline count from their own first-wave file's
    # send time; with no plan, from the earliest start.
    first_wave = plan.first_wave if plan is not None else None
    timing: dict[str, Any] = (
        {"sends": first_wave} if first_wave is not None else {"sent_at": state.earliest_start}
    )
    result = simulate(
        state.strata,
        a,
        draws=state.draws,
        seed=state.seed,
        follow_up_working_hours=state.follow_up_working_hours,
        windows=windows,
        **timing,
    )
    curve = read_curve(first_wave, a, mix=state.strata) if first_wave is not None else None
    comparison = (
        compare_send_times(a, state.compare_send_times, mix=state.strata)
        if state.compare_send_times
        else None
    )
    summary = result.summary.select(
        pl.col("measure").cast(pl.String), "label", "expected", "low", "high", "share"
    ).cast(SUMMARY_SCHEMA)
    if plan is not None and curve is not None:
        summary = pl.concat([summary, _plan_rows(plan, curve)])
    shown: dict[str, Any] = {"funnel": reach_funnel(result)}
    if curve is not None:
        shown["read_curve"] = read_over_time(curve)
    if comparison is not None:
        shown["send_times"] = read_over_time(comparison)
    if plan is not None:
        shown["gantt"] = send_plan_gantt(plan)
    if strategies is not None:
        shown["strategies"] = strategy_chart(strategies)
    return Outcome(
        state=state,
        assumptions=a,
        result=result,
        plan=plan,
        curve=curve,
        comparison=comparison,
        summary=summary,
        charts=shown,
        problems=tuple(problems),
        warnings=tuple(warnings),
        strategies=strategies,
        reminder_share=share,
    )


def recompute(state: PanelState) -> tuple[pl.DataFrame, dict[str, Any]]:
    """The summary table and the charts for ``state``: what a slider change re-renders."""
    outcome = compute(state)
    return outcome.summary, outcome.charts
