"""Panels for JupyterLab over reach and the send plan: move a slider, the numbers follow.

Why: planners ask "what if only 70 % of the 65-74-year-olds can be reached?" or "what if a
third case handler helps?" in the meeting, and the answer must come from the same functions
the papermill run uses (:func:`inkorg_kit.reach.simulate`, :func:`inkorg_kit.schedule.plan`,
:func:`inkorg_kit.reach.read_curve`, :func:`inkorg_kit.reach.compare_send_times`), never from
a copy. So the module has three layers:

* :class:`PanelState`: the inputs (the aggregated target group, the manifest's file table,
  reach assumptions, send windows, handler capacity and any slider changes); frozen, varied
  with :meth:`PanelState.replace`;
* :func:`compute` and :func:`recompute`: pure, a state in, the summary table and charts out;
* :func:`reach_panel` (live, ipywidgets) and :func:`static_view` (papermill) show them;
  :func:`show` picks one, :func:`write_outputs` writes the plan and reach summary files.

Interactive or static (:func:`resolve_interactive`): ``"auto"`` is live only in a kernel that
a Jupyter server started for a notebook (JupyterLab sets ``JPY_SESSION_NAME`` for its
kernels) and that papermill does not drive (nbclient starts its kernels with the history in
memory, ``:memory:``). Under papermill, the ``inkorg-kit`` command and plain Python the static
view is shown: the same HTML table and SVG charts for the parameter values, and no widget
state in the executed notebook. ``True``/``False`` force one or the other.

The run folder: the target group is read from ``<run_dir>/target_group.parquet`` (notebook 01)
by its ``age`` (or ``age_band``) and ``sex`` columns only, aggregated at once, so personnummer
are never loaded; the files come from ``<run_dir>/recipients/manifest.json`` (notebook 02).

The read horizons of the reach table ("read within 24 hours") count calendar hours from each
person's own message, through the daily rhythm, over the plan's send times (weighted by their
files' rows); the read curve is the campaign-level view in calendar time, from the first file
sent. "Another channel after the follow-up" is unread ``followup.unread_after_working_hours``
working hours of the send windows after each message, as notebook 04 counts it.
Slider changes explore; the files in the run folder always hold the parameter values.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import ipywidgets as w
import polars as pl

from inkorg_kit import charts, reach, schedule
from inkorg_kit._files import write_private_text
from inkorg_kit.errors import ParameterError, RunFolderError
from inkorg_kit.schedule import ScheduleError, SendPlan, SendWindows

__all__ = [
    "PLAN_LABELS",
    "Outcome",
    "PanelState",
    "ParameterError",
    "ReachPanel",
    "RunFolderError",
    "comparison_times",
    "compute",
    "is_live_jupyter",
    "load_files",
    "load_target",
    "reach_panel",
    "recompute",
    "resolve_interactive",
    "show",
    "static_view",
    "summary_html",
    "write_outputs",
]

TARGET_FILE = "target_group.parquet"
PLAN_CSV = "send_plan.csv"
PLAN_ICS = "send_plan.ics"
REACH_CSV = "reach_summary.csv"
READ_WEEK_HOURS = 168.0

#: Rows the summary adds to the reach measures: code -> the label users see.
PLAN_LABELS: dict[str, str] = {
    "plan_files": "Filer i sändplanen",
    "plan_messages": "Meddelanden i sändplanen",
    "plan_send_days": "Utskicksdagar",
    "plan_hours": "Timmar från första utskick till sista fil klar",
    "read_week_after_plan": "Förväntat lästa 7 dagar efter sista utskick",
}
SUMMARY_SCHEMA: dict[str, Any] = {
    "measure": pl.String,
    "label": pl.String,
    "expected": pl.Float64,
    "low": pl.Float64,
    "high": pl.Float64,
    "share": pl.Float64,
}
_WEEKDAYS = ("mån", "tis", "ons", "tor", "fre", "lör", "sön")
_INTERACTIVE_CHOICES = ('"auto"', "True", "False")


# --------------------------------------------------------------------------- the run folder


def load_target(run_dir: str | os.PathLike[str]) -> pl.DataFrame:
    """The target group of a run folder, aggregated: ``age_band``, ``sex``, ``n``.

    Reads only the ``age`` (or ``age_band``) and ``sex`` columns of ``target_group.parquet``
    and groups them in the scan, so no personnummer is loaded.
    """
    path = Path(run_dir) / TARGET_FILE
    if not path.is_file():
        raise RunFolderError(
            f"{path} not found: run notebook 01 (01_target_group.ipynb) with run_dir={run_dir!s} "
            "first; it writes the target group there"
        )
    columns = pl.scan_parquet(path).collect_schema().names()
    band = "age" if "age" in columns else "age_band" if "age_band" in columns else None
    if band is None:
        raise RunFolderError(
            f"{path} has columns {columns}; the reach model needs age (or age_band) and "
            "preferably sex: run notebook 01 again with this kit"
        )
    keys = [band, *(["sex"] if "sex" in columns else [])]
    counts = pl.scan_parquet(path).group_by(keys).agg(pl.len().cast(pl.Int64).alias("n")).collect()
    strata = reach.target_strata(counts)
    if strata.is_empty():
        raise RunFolderError(f"{path} holds no one: the target group is empty")
    return strata


def load_files(run_dir: str | os.PathLike[str], campaign_name: str | None = None) -> pl.DataFrame:
    """The recipient files of a run folder (from the manifest), in file order.

    Columns ``file_name``, ``rows``, ``part``, ``part_count``, ``group``; no personnummer (the
    manifest's masked first/last numbers are left out too).
    """
    from inkorg_kit import recipients

    try:
        manifest = recipients.read_manifest(run_dir)
    except FileNotFoundError:
        path = Path(run_dir) / "recipients" / "manifest.json"
        raise RunFolderError(
            f"{path} not found: run notebook 02 (02_recipient_files.ipynb) with "
            f"run_dir={run_dir!s} first; it writes the recipient files and their manifest"
        ) from None
    if campaign_name is not None and manifest.get("campaign") != campaign_name:
        raise RunFolderError(
            f"{run_dir}: the recipient files are for campaign {manifest.get('campaign')!r}, "
            f"not {campaign_name!r}; use the run folder of this campaign or run notebook 02 again"
        )
    entries = manifest.get("files") or []
    if not entries:
        raise RunFolderError(f"{run_dir}: the manifest lists no files; run notebook 02 again")
    keep = ("file_name", "rows", "part", "part_count", "group")
    schema = {
        "file_name": pl.String,
        "rows": pl.Int64,
        "part": pl.Int64,
        "part_count": pl.Int64,
        "group": pl.String,
    }
    return pl.DataFrame([{k: e.get(k) for k in keep} for e in entries], schema=schema)


# --------------------------------------------------------------------------- parameters


def resolve_interactive(value: Any) -> bool:
    """The ``interactive`` parameter as a decision: ``"auto"``, True or False (see module).

    ``"true"``/``"false"`` as text are accepted too (``papermill -p`` may pass text).
    """
    if isinstance(value, bool):
        return value
    text = value.strip().lower() if isinstance(value, str) else None
    if text == "auto":
        return is_live_jupyter()
    if text in ("true", "false"):
        return text == "true"
    raise ParameterError(
        f"interactive={value!r} is not understood; accepted: {', '.join(_INTERACTIVE_CHOICES)}"
    )


def is_live_jupyter() -> bool:
    """True in a kernel a Jupyter server started for a notebook, and not driven by papermill."""
    if not os.environ.get("JPY_SESSION_NAME"):
        return False
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with the kernel
        return False
    shell = get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return False
    history = getattr(getattr(shell, "history_manager", None), "hist_file", None)
    return str(history) != ":memory:"


def _positive_int(name: str, value: Any, *, zero_means: str | None = None) -> int:
    ok = isinstance(value, int) and not isinstance(value, bool)
    if ok and (value >= 1 or (zero_means and value == 0)):
        return int(value)
    lowest = "0 or more (0 = " + zero_means + ")" if zero_means else "1 or more"
    raise ParameterError(f"{name}={value!r} must be a whole number, {lowest}")


def _handler_names(count: int, names: Sequence[str]) -> tuple[str, ...]:
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


def _windows_with_hours(windows: SendWindows, start: dt.time, end: dt.time) -> SendWindows:
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
    """

    strata: pl.DataFrame
    files: pl.DataFrame
    assumptions: reach.Assumptions
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

    def __post_init__(self) -> None:
        _positive_int("draws", self.draws)
        _positive_int("handlers", self.handlers)
        if not self.minutes_per_file > 0:
            raise ParameterError(f"minutes_per_file={self.minutes_per_file!r} must be above 0")
        if not self.follow_up_working_hours > 0:
            raise ParameterError(
                f"follow_up_working_hours={self.follow_up_working_hours!r} must be above 0"
            )
        if self.strata.is_empty():
            raise ParameterError("the target group is empty: nothing to simulate")
        missing = [c for c in ("file_name", "rows") if c not in self.files.columns]
        if missing:
            raise ParameterError(f"files has no column(s) {missing}; give the manifest's files")

    def replace(self, **changes: Any) -> PanelState:
        """A copy with some fields changed (what a slider does)."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_campaign(
        cls,
        campaign: Any,
        run_dir: str | os.PathLike[str],
        *,
        assumptions: reach.Assumptions | str | os.PathLike[str] | None = None,
        earliest_start: Any = "",
        handlers: int = 0,
        minutes_per_file: float = 0,
        compare_send_times: Sequence[Any] = (),
        draws: int = 2000,
        seed: int | None = 2026,
    ) -> PanelState:
        """The state for a campaign's run folder, with the notebook's parameters.

        ``campaign`` is a Campaign or its YAML path. ``earliest_start`` "" takes the campaign's
        ``planned_send_start``; ``handlers`` and ``minutes_per_file`` 0 take its ``sending``
        block. ``compare_send_times`` empty compares the earliest start with the same week's
        Friday 15:30 (:func:`comparison_times`). ``assumptions`` is a reach assumptions file
        (the defaults or a follow-up fit; missing parts come from the defaults) or an
        Assumptions object. The follow-up deadline is the campaign's
        ``followup.unread_after_working_hours``.
        """
        from inkorg_kit.campaign import Campaign, load_campaign

        if not isinstance(campaign, Campaign):
            campaign = load_campaign(campaign)
        windows = campaign.send_windows
        if earliest_start in ("", None):
            start = campaign.planned_send_start
        else:
            try:
                start = schedule.parse_datetime(earliest_start, windows.zone)
            except ScheduleError as exc:
                raise ParameterError(f"earliest_start={earliest_start!r}: {exc}") from None
        handlers = _positive_int("handlers", handlers, zero_means="from the campaign")
        if isinstance(minutes_per_file, bool) or not isinstance(minutes_per_file, int | float):
            raise ParameterError(f"minutes_per_file={minutes_per_file!r} must be a number")
        if minutes_per_file < 0:
            raise ParameterError(
                f"minutes_per_file={minutes_per_file!r} must be above 0 (0 = from the campaign)"
            )
        _positive_int("draws", draws)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ParameterError(f"seed={seed!r} must be a whole number (or None for a new one)")
        if isinstance(compare_send_times, str):
            compare_send_times = [compare_send_times]
        times = []
        for value in compare_send_times:
            try:
                moment = schedule.parse_datetime(value, windows.zone)
            except ScheduleError as exc:
                raise ParameterError(f"compare_send_times: {exc}") from None
            times.append(moment.strftime("%Y-%m-%d %H:%M"))
        if not times:
            times = list(comparison_times(start))
        if assumptions is None or isinstance(assumptions, reach.Assumptions):
            loaded = reach.load_assumptions(assumptions)
            source = "reach defaults" if assumptions is None else "given assumptions"
        else:  # a follow-up fit may cover some bands only: the rest from the defaults
            defaults = reach.default_assumptions_path()
            loaded = reach.load_assumptions(Path(assumptions), fill_missing_from=defaults)
            source = str(assumptions)
        return cls(
            strata=load_target(run_dir),
            files=load_files(run_dir, campaign.name),
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
            follow_up_working_hours=float(campaign.followup.unread_after_working_hours),
        )

    @property
    def effective_windows(self) -> SendWindows:
        """The send windows with any changed hours."""
        if self.window_hours is None:
            return self.windows
        return _windows_with_hours(self.windows, *self.window_hours)

    def effective_assumptions(self) -> reach.Assumptions:
        """The assumptions with the slider changes applied."""
        if not self.login_share and not self.notification_share:
            return self.assumptions
        return self.assumptions.with_overrides(
            login_share=dict(self.login_share) or None,
            notification_share=dict(self.notification_share) or None,
            note="reglage i panelen",
        )

    def bands(self) -> list[str]:
        """The age bands present in the target group, in order (``okänd`` last)."""
        present = set(self.strata["age_band"].cast(pl.String).to_list())
        return [b for b in (*reach.AGE_BANDS, reach.UNKNOWN_BAND) if b in present]

    def describe(self) -> str:
        """One Swedish paragraph on what is computed (for the notebook)."""
        people = int(self.strata["n"].sum())
        messages = int(self.files["rows"].sum())
        names = ", ".join(_handler_names(self.handlers, self.handler_names))
        start = self.earliest_start
        return (
            f"Målgrupp: {_count(people)} personer ({', '.join(self.bands())}). "
            f"Mottagarfiler: {self.files.height} med {_count(messages)} meddelanden. "
            f"Handläggare: {names}; {self.minutes_per_file:g} minuter per fil"
            + (
                f", högst {_count(self.max_messages_per_day)} meddelanden per dag"
                if self.max_messages_per_day
                else ""
            )
            + f". Tidigast start: {_WEEKDAYS[start.weekday()]} {start:%Y-%m-%d %H:%M}. "
            f"Sändfönster: {_describe_windows(self)}. "
            f"Annan kanal efter uppföljning: oläst {self.follow_up_working_hours:g} arbetstimmar "
            "efter sitt meddelande. "
            f"Antaganden: {self.assumptions_source or 'reach defaults'}; "
            f"{self.draws} simuleringar (seed {self.seed})."
        )


# --------------------------------------------------------------------------- computing


@dataclasses.dataclass(frozen=True)
class Outcome:
    """One computation: the reach result, the plan, the curves, the summary and the charts.

    ``summary`` has ``measure``, ``label`` (Swedish), ``expected``, ``low``, ``high`` and
    ``share``: the reach measures of :func:`inkorg_kit.reach.simulate`, then the plan rows of
    :data:`PLAN_LABELS` (no interval). ``charts`` maps ``funnel``, ``read_curve``,
    ``send_times`` and ``gantt`` to Altair charts (those that apply). ``plan`` and ``curve``
    are None when no plan could be made; ``problems`` says why (and lists failed plan checks).
    ``warnings`` do not stop the plan: a send window reaching into the night, say.
    """

    state: PanelState
    assumptions: reach.Assumptions
    result: reach.ReachResult
    plan: SendPlan | None
    curve: pl.DataFrame | None
    comparison: pl.DataFrame | None
    summary: pl.DataFrame
    charts: dict[str, Any]
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def _plan_rows(plan: SendPlan, curve: pl.DataFrame) -> pl.DataFrame:
    files = plan.files
    first = files["start"].min()
    messages = float(files["rows"].sum())
    span = (plan.end - first).total_seconds() / 3600
    week = curve.filter(pl.col("hours") <= span + READ_WEEK_HOURS).tail(1)
    reads, share = (
        (week["expected_reads"].item(), week["read_share"].item()) if week.height else (0.0, 0.0)
    )
    values = {
        "plan_files": (float(files.height), None),
        "plan_messages": (messages, None),
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


def compute(state: PanelState) -> Outcome:
    """Run reach, plan, read curve and send-time comparison for ``state`` (pure: no display).

    A plan that cannot be made (say minutes per file longer than the window) is reported in
    ``problems``; the reach numbers are still computed, from the earliest start.
    """
    a = state.effective_assumptions()
    problems: list[str] = []
    plan: SendPlan | None = None
    windows = state.windows  # if the changed hours do not validate: the deadline as configured
    try:
        windows = state.effective_windows
        plan = schedule.plan(
            state.files,
            handlers=_handler_names(state.handlers, state.handler_names),
            minutes_per_file=state.minutes_per_file,
            max_messages_per_day=state.max_messages_per_day,
            earliest_start=state.earliest_start,
            windows=windows,
        )
    except ValueError as exc:  # ScheduleError, or windows that do not validate
        problems.append(f"Ingen sändplan: {exc}")
    if plan is not None:
        problems += [f"Sändplanen: {p}" for p in plan.check()]
    warnings = plan.warnings() if plan is not None else windows.warnings()
    # Each person's horizons and follow-up deadline count from their own file's send time; with
    # no plan, from the earliest start.
    timing: dict[str, Any] = (
        {"sends": plan} if plan is not None else {"sent_at": state.earliest_start}
    )
    result = reach.simulate(
        state.strata,
        a,
        draws=state.draws,
        seed=state.seed,
        follow_up_working_hours=state.follow_up_working_hours,
        windows=windows,
        **timing,
    )
    curve = reach.read_curve(plan, a, mix=state.strata) if plan is not None else None
    comparison = (
        reach.compare_send_times(a, state.compare_send_times, mix=state.strata)
        if state.compare_send_times
        else None
    )
    summary = result.summary.select(
        pl.col("measure").cast(pl.String), "label", "expected", "low", "high", "share"
    ).cast(SUMMARY_SCHEMA)
    if plan is not None and curve is not None:
        summary = pl.concat([summary, _plan_rows(plan, curve)])
    shown: dict[str, Any] = {"funnel": charts.reach_funnel(result)}
    if curve is not None:
        shown["read_curve"] = charts.read_over_time(curve)
    if comparison is not None:
        shown["send_times"] = charts.read_over_time(comparison)
    if plan is not None:
        shown["gantt"] = charts.send_plan_gantt(plan)
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
    )


def recompute(state: PanelState) -> tuple[pl.DataFrame, dict[str, Any]]:
    """The summary table and the charts for ``state``: what a slider change re-renders."""
    outcome = compute(state)
    return outcome.summary, outcome.charts


# --------------------------------------------------------------------------- showing


def _count(value: float | None) -> str:
    return "–" if value is None else f"{round(value):,}".replace(",", " ")


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f} %".replace(".", ",")


def _describe_windows(state: PanelState) -> str:
    try:
        return state.effective_windows.describe()
    except ValueError as exc:
        return f"ogiltigt ({exc})"


def _when(moment: dt.datetime) -> str:
    return f"{_WEEKDAYS[moment.weekday()]} {moment:%Y-%m-%d %H:%M}"


_PAD = "padding:2px 10px"


def _cell(text: str, value: float | None = None, align: str = "right") -> str:
    data = "" if value is None else f' data-value="{value:.6g}"'
    style = f"text-align:{align};{_PAD}" + (";white-space:nowrap" if align == "right" else "")
    return f'<td style="{style}"{data}>{html.escape(text)}</td>'


def _row_head(label: str) -> str:
    return f'<th scope="row" style="text-align:left;{_PAD}">{html.escape(label)}</th>'


def summary_html(outcome: Outcome) -> str:
    """The summary as stable HTML: a reach table and a plan table with Swedish labels.

    Rows carry ``data-measure`` (the measure code) and number cells ``data-value`` (the
    unrounded number), so a browser test can find them; the tables have ``data-testid``
    ``reach-summary`` and ``send-plan-summary``.
    """
    low, high = (round(q * 100) for q in outcome.result.interval)
    horizons_from = outcome.result.horizons_from
    reach_rows = []
    for row in outcome.summary.iter_rows(named=True):
        if row["measure"] in PLAN_LABELS:
            continue
        reach_rows.append(
            f'<tr data-measure="{html.escape(row["measure"])}">'
            + _row_head(row["label"])
            + _cell(_count(row["expected"]), row["expected"])
            + _cell(_count(row["low"]), row["low"])
            + _cell(_count(row["high"]), row["high"])
            + _cell(_percent(row["share"]), row["share"])
            + "</tr>"
        )
    parts = [
        '<div class="inkorg-summary">',
        '<table class="inkorg-reach-summary" data-testid="reach-summary">',
        '<caption style="text-align:left"><b>Räckvidd</b> (förväntat antal personer med '
        f"{low}–{high} %-intervall; läst inom en tid räknas {html.escape(horizons_from)}; "
        "läskurvan visar hela kampanjen i kalendertid)</caption>",
        "<thead><tr>"
        + "".join(
            f'<th style="{_PAD}">{head}</th>'
            for head in (
                "Mått",
                "Förväntat",
                f"Lågt ({low} %)",
                f"Högt ({high} %)",
                "Andel av målgruppen",
            )
        )
        + "</tr></thead>",
        "<tbody>",
        *reach_rows,
        "</tbody></table>",
    ]
    state, plan = outcome.state, outcome.plan
    facts: list[tuple[str, str, str, float | None]] = [
        (
            "handlers",
            "Handläggare",
            ", ".join(_handler_names(state.handlers, state.handler_names)),
            state.handlers,
        ),
        (
            "minutes_per_file",
            "Minuter per fil",
            f"{state.minutes_per_file:g}",
            state.minutes_per_file,
        ),
        ("windows", "Sändfönster", _describe_windows(state), None),
        (
            "max_messages_per_day",
            "Högst meddelanden per dag",
            _count(state.max_messages_per_day) if state.max_messages_per_day else "inget tak",
            state.max_messages_per_day,
        ),
    ]
    if plan is not None:
        values = {r["measure"]: r for r in outcome.summary.iter_rows(named=True)}
        week = values["read_week_after_plan"]
        facts += [
            ("first_send", "Första utskick", _when(plan.files["start"].min()), None),
            ("plan_end", "Sista fil klar", _when(plan.end), None),
        ]
        facts += [
            (code, PLAN_LABELS[code], _count(values[code]["expected"]), values[code]["expected"])
            for code in ("plan_files", "plan_messages", "plan_send_days")
        ]
        facts.append(
            (
                "read_week_after_plan",
                PLAN_LABELS["read_week_after_plan"],
                f"{_count(week['expected'])} ({_percent(week['share'])} av meddelandena)",
                week["expected"],
            )
        )
    plan_rows = [
        f'<tr data-measure="{code}">' + _row_head(label) + _cell(text, value, "left") + "</tr>"
        for code, label, text, value in facts
    ]
    parts += [
        '<table class="inkorg-plan-summary" data-testid="send-plan-summary">',
        '<caption style="text-align:left"><b>Sändplan</b></caption>',
        "<tbody>",
        *plan_rows,
        "</tbody></table>",
    ]
    if outcome.problems:
        items = "".join(f"<li>{html.escape(p)}</li>" for p in outcome.problems)
        parts.append(
            f'<div class="inkorg-problems" style="color:#b00020"><b>Obs!</b><ul>{items}</ul></div>'
        )
    if outcome.warnings:
        items = "".join(f"<li>{html.escape(p)}</li>" for p in outcome.warnings)
        parts.append(
            f'<div class="inkorg-warnings" style="color:#8a5a00"><b>Observera:</b><ul>{items}'
            "</ul></div>"
        )
    parts.append("</div>")
    return "\n".join(parts)


def static_view(outcome: Outcome) -> list[Any]:
    """What the static notebook shows, in order: the summary HTML, then every chart."""
    from IPython.display import HTML

    return [HTML(summary_html(outcome)), *outcome.charts.values()]


def show(state: PanelState, *, interactive: Any = "auto") -> Outcome:
    """Display the live panel or the static view (see :func:`resolve_interactive`).

    Returns the outcome for the parameter values either way, so the notebook writes the same
    files however it is run.
    """
    from IPython.display import display

    if resolve_interactive(interactive):
        panel = ReachPanel(state)
        display(panel)
        return panel.initial
    outcome = compute(state)
    for item in static_view(outcome):
        display(item)
    return outcome


def write_outputs(outcome: Outcome, run_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Write ``send_plan.csv``, ``send_plan.ics``, one ``send_plan_<handler>.ics`` per handler
    (each imports only their own files) and ``reach_summary.csv`` into the run folder.

    The plan files hold file names, row counts, handlers and times; the reach summary holds
    aggregate numbers only. Refuses a missing or failed plan rather than write a wrong one.
    A handler's calendar left from an earlier run with other handlers is removed. Keys:
    ``send_plan_csv``, ``send_plan_ics``, ``send_plan_ics:<handler>``, ``reach_summary``.
    """
    if outcome.plan is None or outcome.problems:
        raise ScheduleError(
            "no send plan to write: " + "; ".join(outcome.problems or ("no plan was made",))
        )
    folder = Path(run_dir)
    buffer = io.StringIO()
    outcome.summary.with_columns(
        pl.col("expected").round(1),
        pl.col("low").round(0),
        pl.col("high").round(0),
        pl.col("share").round(4),
    ).write_csv(buffer)
    name = outcome.state.campaign_name
    written = {
        "send_plan_csv": outcome.plan.to_csv(folder / PLAN_CSV),
        "send_plan_ics": outcome.plan.to_ical(folder / PLAN_ICS, name),
    }
    stem = Path(PLAN_ICS).stem
    for handler, path in outcome.plan.to_ical_by_handler(folder, name, stem=stem).items():
        written[f"send_plan_ics:{handler}"] = path
    for old in folder.glob(f"{stem}_*.ics"):  # a handler of an earlier run: not theirs now
        if old not in written.values():
            old.unlink()
    written["reach_summary"] = write_private_text(folder / REACH_CSV, buffer.getvalue())
    return written


# --------------------------------------------------------------------------- the live panel


def _band_text(band: str) -> str:
    return "okänd ålder" if band == reach.UNKNOWN_BAND else band.replace("-", "–")


def _time_options(windows: SendWindows) -> list[tuple[str, dt.time]]:
    times = {dt.time(h, m) for h in range(5, 23) for m in (0, 30)} | {dt.time(23, 0)}
    times |= {windows.start, windows.end}
    return [(f"{t:%H:%M}", t) for t in sorted(times)]


class ReachPanel(w.VBox):
    """Sliders and pickers over :func:`compute`; the table and charts follow each change.

    ``controls`` maps names (``login_share:65-74``, ``notification_share:65-74``,
    ``handlers``, ``minutes_per_file``, ``max_messages_per_day``, ``window_hours``,
    ``start_date``) to widgets. After
    every change ``outcome``, ``summary`` and ``charts`` hold the new results; ``initial``
    keeps those of the parameter values. Sliders update when released (the debounce).
    """

    def __init__(self, state: PanelState, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_state = state
        self.current_state = state
        a = state.assumptions
        slider = {
            "min": 0.0,
            "max": 1.0,
            "step": 0.01,
            "readout_format": ".0%",
            "continuous_update": False,
            "style": {"description_width": "120px"},
            "layout": w.Layout(width="330px"),
        }
        controls: dict[str, Any] = {}
        for band in state.bands():
            text = _band_text(band)
            controls[f"login_share:{band}"] = w.FloatSlider(
                value=round(a.band(band).login_share.mean, 2),
                description=f"Inloggade {text}",
                tooltip=f"Andel med aktiv inloggning på 1177, {text} år",
                **slider,
            )
            controls[f"notification_share:{band}"] = w.FloatSlider(
                value=round(a.band(band).notification_share.mean, 2),
                description=f"Avisering {text}",
                tooltip=f"Andel av de inloggade med sms/e-postavisering, {text} år",
                **slider,
            )
        common = {
            "continuous_update": False,
            "style": {"description_width": "150px"},
            "layout": w.Layout(width="400px"),
        }
        controls["handlers"] = w.IntSlider(
            value=state.handlers,
            min=1,
            max=max(10, 2 * state.handlers),
            description="Handläggare",
            **common,
        )
        controls["minutes_per_file"] = w.IntSlider(
            value=max(1, round(state.minutes_per_file)),
            min=1,
            max=max(60, round(state.minutes_per_file)),
            description="Minuter per fil",
            **common,
        )
        cap = state.max_messages_per_day or 0
        controls["max_messages_per_day"] = w.IntSlider(
            value=cap,
            min=0,
            max=max(5000, 2 * cap),
            step=50,
            description="Tak per dag",
            tooltip="Högst så många meddelanden per dag (0 = inget tak), så att enheten hinner "
            "med svaren",
            **common,
        )
        windows = state.effective_windows
        controls["window_hours"] = w.SelectionRangeSlider(
            options=_time_options(windows),
            value=(windows.start, windows.end),
            description="Sändfönster",
            **common,
        )
        controls["window_hours"].style.description_width = "150px"
        controls["window_hours"].layout.width = "460px"
        controls["start_date"] = w.DatePicker(
            value=state.earliest_start.date(),
            description="Startdatum",
            style={"description_width": "150px"},
        )
        self.controls = controls
        self._initial = {name: ctl.value for name, ctl in controls.items()}
        self.status = w.HTML(value="")
        self.summary_html = w.HTML(value="")
        self.summary_html.add_class("inkorg-summary")
        self.chart_output = w.Output()
        logins = [ctl for n, ctl in controls.items() if n.startswith("login_share:")]
        notifs = [ctl for n, ctl in controls.items() if n.startswith("notification_share:")]
        plan_controls = [
            controls[n]
            for n in (
                "handlers",
                "minutes_per_file",
                "max_messages_per_day",
                "window_hours",
                "start_date",
            )
        ]
        header = w.HTML(
            "<b>Antaganden per åldersgrupp</b> (andel inloggade på 1177 och andel av dem med "
            "avisering) <b>och utskick</b>. Siffror och diagram räknas om när du släpper ett "
            "reglage; filerna i körmappen bygger på parametrarna."
        )
        self.children = [
            header,
            w.HBox(
                [w.VBox(logins), w.VBox(notifs), w.VBox(plan_controls)],
                layout=w.Layout(flex_flow="row wrap", grid_gap="12px"),
            ),
            self.status,
            self.summary_html,
            self.chart_output,
        ]
        self.outcome: Outcome | None = None
        self.summary: pl.DataFrame | None = None
        self.charts: dict[str, Any] = {}
        self.refresh()
        if self.outcome is None:
            raise RuntimeError(f"the panel could not compute its first view: {self.status.value}")
        self.initial: Outcome = self.outcome
        for ctl in controls.values():
            ctl.observe(self._changed, names="value")

    def state_from_controls(self) -> PanelState:
        """The base state with every control that moved from its start applied."""
        base, c, first = self.base_state, self.controls, self._initial

        def moved(name: str) -> bool:
            return c[name].value is not None and c[name].value != first[name]

        login = {
            n.split(":", 1)[1]: float(c[n].value)
            for n in c
            if n.startswith("login_share:") and moved(n)
        }
        notification = {
            n.split(":", 1)[1]: float(c[n].value)
            for n in c
            if n.startswith("notification_share:") and moved(n)
        }
        changes: dict[str, Any] = {
            "login_share": {**base.login_share, **login},
            "notification_share": {**base.notification_share, **notification},
        }
        if moved("handlers"):
            changes["handlers"] = int(c["handlers"].value)
        if moved("minutes_per_file"):
            changes["minutes_per_file"] = float(c["minutes_per_file"].value)
        if moved("max_messages_per_day"):
            changes["max_messages_per_day"] = int(c["max_messages_per_day"].value) or None
        if moved("window_hours"):
            changes["window_hours"] = tuple(c["window_hours"].value)
        if moved("start_date"):
            start = base.earliest_start
            changes["earliest_start"] = dt.datetime.combine(
                c["start_date"].value, start.time(), tzinfo=start.tzinfo
            )
        return base.replace(**changes)

    def _changed(self, change: Mapping[str, Any]) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Recompute from the controls and re-render the table and charts."""
        from IPython.display import display

        from inkorg_kit.pnr import mask_in_text

        try:
            state = self.state_from_controls()
            outcome = compute(state)
        except Exception as exc:  # a callback must show the problem, not die silently
            self.status.value = (
                '<div style="color:#b00020"><b>Kunde inte räkna om:</b> '
                f"{html.escape(mask_in_text(str(exc)))}</div>"
            )
            return
        self.status.value = ""
        self.current_state = state
        self.outcome = outcome
        self.summary = outcome.summary
        self.charts = dict(outcome.charts)
        self.summary_html.value = summary_html(outcome)
        self.chart_output.clear_output(wait=True)
        with self.chart_output:
            for chart in outcome.charts.values():
                display(chart)


def reach_panel(
    target: Any,
    assumptions: reach.Assumptions | str | os.PathLike[str] | None = None,
    *,
    files: Any,
    earliest_start: Any,
    windows: SendWindows | Mapping[str, Any] | None = None,
    handlers: int = 1,
    handler_names: Sequence[str] = (),
    minutes_per_file: float = 5.0,
    max_messages_per_day: int | None = None,
    campaign_name: str = "utskick",
    compare_send_times: Sequence[Any] = (),
    draws: int = 2000,
    seed: int | None = 2026,
    follow_up_working_hours: float = 24.0,
) -> ReachPanel:
    """A live panel for a target group (person-level or aggregated) and a file table.

    The same as ``ReachPanel(PanelState(...))``, from plain arguments; the notebook uses
    :meth:`PanelState.from_campaign` and :func:`show` instead.
    """
    win = windows if isinstance(windows, SendWindows) else SendWindows.model_validate(windows or {})
    frame = files if isinstance(files, pl.DataFrame) else pl.DataFrame(files)
    state = PanelState(
        strata=reach.target_strata(target),
        files=frame,
        assumptions=reach.load_assumptions(assumptions),
        windows=win,
        earliest_start=schedule.parse_datetime(earliest_start, win.zone),
        handlers=handlers,
        handler_names=tuple(handler_names),
        minutes_per_file=float(minutes_per_file),
        max_messages_per_day=max_messages_per_day,
        campaign_name=campaign_name,
        compare_send_times=tuple(
            schedule.parse_datetime(t, win.zone).strftime("%Y-%m-%d %H:%M")
            for t in compare_send_times
        ),
        draws=draws,
        seed=seed,
        follow_up_working_hours=float(follow_up_working_hours),
    )
    return ReachPanel(state)
