"""The planner's page: the step-03 panel, the send-time advice and a "Spara plan" button, for
planners who do not code (``inkorg-kit planner`` serves it with Voilà, no code shown).

Why a page of its own: notebook 03 answers the planner's questions, but among code cells and
always writing its files. Here the planner moves sliders (the :class:`~inkorg_kit.ui.panel.
ReachPanel`, the same computation as step 03, with its strategy comparison), sees which start
of the week gets the most people reading within a day (:mod:`inkorg_kit.reach.advice`, applied
to the panel with "Använd"), and writes nothing until "Spara plan", which calls the step-03
save function it is given (the ui layer does not import the steps: :mod:`inkorg_kit.steps.
planner` builds the page with it) and lists what was written.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import ipywidgets as w

from inkorg_kit.privacy import mask_in_text
from inkorg_kit.reach.advice import SendTimeAdvice, send_time_advice
from inkorg_kit.ui.charts.advice import send_time_heatmap
from inkorg_kit.ui.panel import ReachPanel
from inkorg_kit.ui.panel_outcome import Outcome
from inkorg_kit.ui.panel_state import PanelState, count_text, percent_text
from inkorg_kit.vocab import WEEKDAYS_SHORT_SV

__all__ = ["INTRO", "SAVE_LABEL", "USE_LABEL", "PlannerPage", "Saver"]

#: Saves the outcome into the run folder and says what it wrote (step 03's save function).
Saver = Callable[[Outcome], Mapping[str, Any]]

SAVE_LABEL = "Spara plan"
USE_LABEL = "Använd"
INTRO = (
    "Här planerar du utskicket utan att skriva kod. Reglagen ändrar antagandena (hur många i "
    "varje åldersgrupp som är inloggade på 1177 och har avisering) och hur utskicket görs "
    "(handläggare, minuter per fil, sändfönster, startdatum). Siffrorna visar hur många som "
    "väntas läsa meddelandet, hur många som behöver ett brev och vad det kostar, med ett "
    "intervall (5–95 %) för osäkerheten. Värmekartan visar vilken starttid under veckan som "
    "får flest att läsa inom ett dygn; knappen «Använd» gör den till starttid. Ingenting sparas "
    "förrän du trycker på «Spara plan»: då skrivs sändplanen till körmappen, som steg 03 gör."
)
_ERROR = '<div style="color:#b00020"><b>{what}:</b> {text}</div>'


def _when(moment: dt.datetime) -> str:
    return f"{WEEKDAYS_SHORT_SV[moment.weekday()]} {moment:%Y-%m-%d %H:%M}"


def _section(title: str, text: str = "") -> w.HTML:
    body = f"<p>{html.escape(text)}</p>" if text else ""
    return w.HTML(f"<h3>{html.escape(title)}</h3>{body}")


class PlannerPage(w.VBox):
    """The whole page as one widget: title and introduction, the panel, the advice, Save.

    ``state``: the panel's state for the campaign's run folder; ``save``: step 03's save
    function bound to the run folder (called only when the planner presses "Spara plan");
    ``run_dir``: shown, and names the written files relative to it. After a save, ``saved``
    holds what the save function returned; ``advice`` is the advice for the current state.
    """

    def __init__(
        self,
        state: PanelState,
        *,
        save: Saver,
        run_dir: str | os.PathLike[str],
        title: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._save = save
        self.run_dir = Path(run_dir)
        self.saved: Mapping[str, Any] | None = None
        self.panel = ReachPanel(state)
        self.advice: SendTimeAdvice | None = None
        self.advice_text = w.HTML()
        self.advice_chart = w.Output()
        self.use_button = w.Button(
            description=USE_LABEL,
            tooltip="Sätt startdatum och starttid till den bästa starttiden",
            layout=w.Layout(width="120px"),
        )
        self.save_button = w.Button(
            description=SAVE_LABEL,
            button_style="primary",
            tooltip=f"Skriv sändplanen till {self.run_dir}",
            layout=w.Layout(width="160px"),
        )
        self.save_status = w.HTML(
            f"Planen är inte sparad ännu; den skrivs till körmappen "
            f"{html.escape(str(self.run_dir))} när du trycker på «Spara plan»."
        )
        self.save_status.add_class("inkorg-save-status")
        self.use_button.on_click(lambda _button: self.use_advice())
        self.save_button.on_click(lambda _button: self.save())
        heading = title or state.campaign_name
        self.children = [
            w.HTML(
                f"<h2>Planera utskicket: {html.escape(heading)}</h2>"
                f"<p>{html.escape(INTRO)}</p>"
                f"<p><small>{html.escape(state.describe())}</small></p>"
            ),
            _section("Räckvidd, brev och sändplan"),
            self.panel,
            _section(
                "Bästa starttid",
                "Andel av målgruppen som väntas ha läst 24 timmar efter starten, för varje "
                "tillåten dag och timme i den planerade veckan (med dygnsrytmen: man läser "
                "mindre på natten och i helgen). Brev: de utan aktiv inloggning och de som inte "
                "läst när tidsgränsen för uppföljningen gått ut.",
            ),
            self.advice_text,
            self.advice_chart,
            self.use_button,
            _section("Spara planen"),
            w.HBox([self.save_button, self.save_status], layout=w.Layout(align_items="center")),
        ]
        self.update_advice()
        for control in self.panel.controls.values():  # after the panel's own refresh
            control.observe(lambda _change: self.update_advice(), names="value")

    # ------------------------------------------------------------------ the advice

    def update_advice(self) -> None:
        """Recompute the advice for the panel's current state and redraw the heat map."""
        from IPython.display import display

        state = self.panel.current_state
        try:
            advice = send_time_advice(
                state.strata,
                state.effective_assumptions(),
                state.effective_windows,
                week_of=state.earliest_start,
                follow_up_working_hours=state.follow_up_working_hours,
            )
        except ValueError as exc:
            self.advice = None
            self.use_button.disabled = True
            self.advice_text.value = _ERROR.format(
                what="Inget råd om starttid", text=html.escape(mask_in_text(str(exc)))
            )
            self.advice_chart.clear_output()
            return
        self.advice = advice
        self.use_button.disabled = False
        self.advice_text.value = self._advice_sentence(advice, state.earliest_start)
        self.advice_chart.clear_output(wait=True)
        with self.advice_chart:
            display(send_time_heatmap(advice, chosen=state.earliest_start))

    @staticmethod
    def _advice_sentence(advice: SendTimeAdvice, chosen: dt.datetime) -> str:
        best, worst = advice.row(advice.best), advice.worst()
        assert best is not None  # the best start is one of the cells
        parts = [
            f"<b>Bäst: {_when(advice.best)}</b>: {percent_text(best['read_24h_share'])} läser "
            f"inom 24 timmar, cirka {count_text(best['letters'])} brev.",
            f"Sämst: {_when(worst['start'])}: {percent_text(worst['read_24h_share'])}, "
            f"cirka {count_text(worst['letters'])} brev.",
        ]
        now = advice.row(chosen)
        if now is not None:
            parts.append(
                f"Vald start {_when(chosen)}: {percent_text(now['read_24h_share'])}, "
                f"cirka {count_text(now['letters'])} brev."
            )
        return f'<p class="inkorg-advice">{" ".join(parts)}</p>'

    def use_advice(self) -> None:
        """Make the best start the panel's start (date and time); the numbers follow."""
        if self.advice is None:
            return
        best = self.advice.best
        panel = self.panel
        set_start = getattr(panel, "set_start", None)
        if callable(set_start):  # the panel's own hook, when it has one
            set_start(best)
            return
        # the panel combines its date picker with the base state's time of day
        panel.base_state = panel.base_state.replace(earliest_start=best)
        picker = panel.controls["start_date"]
        if picker.value != best.date():
            picker.value = best.date()  # the panel and the advice recompute on the change
        else:
            panel.refresh()
            self.update_advice()

    # ------------------------------------------------------------------ saving

    def save(self) -> Mapping[str, Any] | None:
        """Write the current plan with step 03's save function and list what it wrote; an
        error (a plan that cannot be made, a run folder that cannot be written) is shown."""
        outcome = self.panel.outcome
        if outcome is None:
            self.save_status.value = _ERROR.format(
                what="Kunde inte spara", text="det finns ingen beräkning att spara"
            )
            return None
        try:
            written = self._save(outcome)
        except Exception as exc:  # a button must show the problem, not die silently
            self.save_status.value = _ERROR.format(
                what="Kunde inte spara", text=html.escape(mask_in_text(str(exc)))
            )
            return None
        self.saved = written
        paths = [Path(v) for v in written.values() if isinstance(v, os.PathLike | str)]
        names = [
            str(p.relative_to(self.run_dir) if p.is_relative_to(self.run_dir) else p) for p in paths
        ]
        items = "".join(f"<li><code>{html.escape(n)}</code></li>" for n in names)
        self.save_status.value = (
            f"<b>Sparat {dt.datetime.now():%H:%M}</b> i {html.escape(str(self.run_dir))}:"
            f"<ul>{items}</ul>"
        )
        return written
