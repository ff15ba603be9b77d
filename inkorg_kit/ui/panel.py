"""The reach-and-plan panel in JupyterLab: move a slider, the numbers and charts follow.

Why: planners ask "what if only 70 % of the 65-74-year-olds can be reached?" or "what if a
third case handler helps?" in the meeting, and the answer must come from the same computation
the papermill run uses (:func:`inkorg_kit.ui.panel_outcome.compute`), never from a copy. This
module only shows it: :class:`ReachPanel` (live, ipywidgets) and :func:`static_view`
(papermill), each the summary tables (:mod:`inkorg_kit.ui.panel_summary`: reach, send plan and
the follow-up strategies side by side) and the outcome's charts; :func:`show` picks one. The
live panel also picks the follow-up strategy and its working hours (N for the letter, R for
the reminder); the chosen one shapes the send plan (its reminder wave).

Interactive or static (:func:`resolve_interactive`): ``"auto"`` is live only in a kernel that
a Jupyter server started for a notebook (JupyterLab sets ``JPY_SESSION_NAME`` for its
kernels) and that papermill does not drive (nbclient starts its kernels with the history in
memory, ``:memory:``). Under papermill, the ``inkorg-kit`` command and plain Python the static
view is shown: the same HTML table and SVG charts for the parameter values, and no widget
state in the executed notebook. ``True``/``False`` force one or the other. Slider changes
explore; the files in the run folder always hold the parameter values.

>>> resolve_interactive("false"), resolve_interactive(True)
(False, True)
"""

from __future__ import annotations

import datetime as dt
import html
import os
from collections.abc import Mapping, Sequence
from typing import Any

import ipywidgets as w
import polars as pl

from inkorg_kit.config.assumptions import Assumptions, load_assumptions
from inkorg_kit.config.windows import SendWindows
from inkorg_kit.errors import ParameterError
from inkorg_kit.hours.parse import parse_datetime
from inkorg_kit.privacy import mask_in_text
from inkorg_kit.reach import target_strata
from inkorg_kit.ui.panel_outcome import Outcome, compute
from inkorg_kit.ui.panel_state import PanelState
from inkorg_kit.ui.panel_summary import summary_html
from inkorg_kit.vocab import UNKNOWN_BAND

__all__ = [
    "STRATEGY_CHOICES",
    "ReachPanel",
    "is_live_jupyter",
    "reach_panel",
    "resolve_interactive",
    "show",
    "static_view",
    "summary_html",
]

_INTERACTIVE_CHOICES = ('"auto"', "True", "False")

#: The strategy picker's labels (Swedish), by strategy code.
STRATEGY_CHOICES = {
    "letter": "a) Brev till olästa",
    "reminder": "b) Påminnelse, sedan brev",
    "letter_first": "c) Brev direkt utan inloggning",
}


# --------------------------------------------------------------------------- live or static


def resolve_interactive(value: Any) -> bool:
    """The ``interactive`` parameter as a decision: ``"auto"``, True or False (see the module).

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


# --------------------------------------------------------------------------- the static view


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


# --------------------------------------------------------------------------- the live panel


def _band_text(band: str) -> str:
    return "okänd ålder" if band == UNKNOWN_BAND else band.replace("-", "–")


def _time_options(windows: SendWindows) -> list[tuple[str, dt.time]]:
    times = {dt.time(h, m) for h in range(5, 23) for m in (0, 30)} | {dt.time(23, 0)}
    times |= {windows.start, windows.end}
    return [(f"{t:%H:%M}", t) for t in sorted(times)]


class ReachPanel(w.VBox):
    """Sliders and pickers over :func:`compute`; the table and charts follow each change.

    ``controls`` maps names (``login_share:65-74``, ``notification_share:65-74``,
    ``handlers``, ``minutes_per_file``, ``max_messages_per_day``, ``window_hours``,
    ``start_date``, ``strategy``, ``unread_after_working_hours``,
    ``reminder_after_working_hours``) to widgets. After
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
        controls["strategy"] = w.ToggleButtons(
            options=[(label, code) for code, label in STRATEGY_CHOICES.items()],
            value=state.strategy,
            description="Uppföljning",
            tooltip="Hur de som inte läser nås: a) brev efter N arbetstimmar, b) påminnelse i "
            "1177 efter R och sedan brev, c) brev direkt till dem utan inloggning, annars a)",
            style={"description_width": "150px", "button_width": "220px"},
        )
        hours = {"min": 1, "step": 1, **common}
        n_hours = round(state.follow_up_working_hours)
        controls["unread_after_working_hours"] = w.IntSlider(
            value=n_hours,
            max=max(72, 2 * n_hours),
            description="Brev efter (arbetstimmar)",
            **hours,
        )
        r_hours = max(1, round(state.reminder_hours()))
        controls["reminder_after_working_hours"] = w.IntSlider(
            value=r_hours,
            max=max(72, 2 * n_hours),
            description="Påminnelse efter (arbetstimmar)",
            tooltip="Måste vara färre arbetstimmar än brevet",
            **hours,
        )
        for name in ("unread_after_working_hours", "reminder_after_working_hours"):
            controls[name].style.description_width = "200px"
        self.controls = controls
        self._initial = {name: ctl.value for name, ctl in controls.items()}
        self.status = w.HTML(value="")
        self.summary_html = w.HTML(value="")
        self.summary_html.add_class("inkorg-summary")
        self.chart_output = w.Output()
        strategy_controls = [
            controls[n]
            for n in ("strategy", "unread_after_working_hours", "reminder_after_working_hours")
        ]
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
            "avisering), <b>utskick och uppföljning</b>. Siffror och diagram räknas om när du "
            "släpper ett "
            "reglage; filerna i körmappen bygger på parametrarna."
        )
        self.children = [
            header,
            w.HBox(
                [w.VBox(logins), w.VBox(notifs), w.VBox(plan_controls)],
                layout=w.Layout(flex_flow="row wrap", grid_gap="12px"),
            ),
            w.VBox(strategy_controls),
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
        if moved("strategy"):
            changes["strategy"] = str(c["strategy"].value)
        if moved("unread_after_working_hours"):
            changes["follow_up_working_hours"] = float(c["unread_after_working_hours"].value)
        if moved("reminder_after_working_hours") or moved("unread_after_working_hours"):
            changes["reminder_after_working_hours"] = float(c["reminder_after_working_hours"].value)
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
    assumptions: Assumptions | str | os.PathLike[str] | None = None,
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
    strategy: str = "letter",
    reminder_after_working_hours: float | None = None,
) -> ReachPanel:
    """A live panel for a target group (person-level or aggregated) and a file table.

    The same as ``ReachPanel(PanelState(...))``, from plain arguments; the notebook uses
    :meth:`PanelState.from_campaign` and :func:`show` instead.
    """
    win = windows if isinstance(windows, SendWindows) else SendWindows.model_validate(windows or {})
    frame = files if isinstance(files, pl.DataFrame) else pl.DataFrame(files)
    state = PanelState(
        strata=target_strata(target),
        files=frame,
        assumptions=load_assumptions(assumptions),
        windows=win,
        earliest_start=parse_datetime(earliest_start, win.zone),
        handlers=handlers,
        handler_names=tuple(handler_names),
        minutes_per_file=float(minutes_per_file),
        max_messages_per_day=max_messages_per_day,
        campaign_name=campaign_name,
        compare_send_times=tuple(
            parse_datetime(t, win.zone).strftime("%Y-%m-%d %H:%M") for t in compare_send_times
        ),
        draws=draws,
        seed=seed,
        follow_up_working_hours=float(follow_up_working_hours),
        strategy=strategy,
        reminder_after_working_hours=reminder_after_working_hours,
    )
    return ReachPanel(state)
