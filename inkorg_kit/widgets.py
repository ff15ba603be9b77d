"""Old import path of step 03's reach-and-plan panel (a facade: re-exports only).

The panel lives in :mod:`inkorg_kit.ui` (:mod:`~inkorg_kit.ui.panel_state` the inputs,
:mod:`~inkorg_kit.ui.panel_outcome` the computation, :mod:`~inkorg_kit.ui.panel` the widgets
and the static view) and step 03's reading and writing of the run folder in
:mod:`inkorg_kit.steps.reach_plan`. ``PanelState.from_campaign(campaign, run_dir, ...)`` is now
:func:`inkorg_kit.steps.reach_plan.panel_state`.
"""

from inkorg_kit.errors import ParameterError, RunFolderError
from inkorg_kit.steps.reach_plan import load_files, load_target, write_outputs
from inkorg_kit.ui.panel import (
    ReachPanel,
    is_live_jupyter,
    reach_panel,
    resolve_interactive,
    show,
    static_view,
)
from inkorg_kit.ui.panel_outcome import PLAN_LABELS, Outcome, compute, recompute
from inkorg_kit.ui.panel_state import PanelState, comparison_times
from inkorg_kit.ui.panel_summary import summary_html

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
