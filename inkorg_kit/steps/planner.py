"""The planner's page for a campaign's run folder: step 03's state and save function behind the
no-code page (:class:`~inkorg_kit.ui.planner.PlannerPage`) that ``inkorg-kit planner`` serves.

Why here and not in the page: the page (ui layer) may not import the steps; it is given the
state that step 03 reads from the run folder (:func:`inkorg_kit.steps.reach_plan.panel_state`:
the target group aggregated, the manifest's files) and step 03's save function bound to that
folder. Reading writes nothing; only the page's "Spara plan" writes, as step 03 does.

The page's notebook (``notebooks/planner.ipynb``) runs in a kernel Voilà starts in the kit's
folder, so the command hands it absolute paths: the campaign in
:data:`~inkorg_kit.steps.parameters.CAMPAIGN_ENV` and the run folder in :data:`RUN_DIR_ENV`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from inkorg_kit.config.campaign import Campaign, load_campaign
from inkorg_kit.steps import reach_plan
from inkorg_kit.ui.panel_outcome import Outcome
from inkorg_kit.ui.planner import PlannerPage

__all__ = ["NOTEBOOK", "RUN_DIR_ENV", "page", "run_folder", "save"]

#: The page's notebook, in the kit's notebook folder.
NOTEBOOK = "planner.ipynb"
#: The run folder ``inkorg-kit planner`` hands the page's kernel (absolute).
RUN_DIR_ENV = "INKORG_RUN_DIR"


def run_folder(campaign: Campaign, run_dir: str | os.PathLike[str] = "") -> Path:
    """The run folder the page reads: ``run_dir``, else :data:`RUN_DIR_ENV`, else the
    campaign's ``out/<name>``."""
    chosen = str(run_dir) or os.environ.get(RUN_DIR_ENV, "")
    return Path(campaign.run_folder(chosen))


def save(outcome: Outcome, run_dir: str | os.PathLike[str]) -> Mapping[str, Any]:
    """Step 03's save (:func:`~inkorg_kit.steps.reach_plan.save_plan`): the plan of the chosen
    scenario, reminder wave included, and the choice, into ``run_dir``."""
    return reach_plan.save_plan(outcome, run_dir)


def page(
    campaign: Campaign | str | os.PathLike[str],
    run_dir: str | os.PathLike[str] = "",
    *,
    assumptions_file: str | os.PathLike[str] = "",
) -> PlannerPage:
    """The planner's page for ``campaign`` (a Campaign or its YAML) and its run folder (see
    :func:`run_folder`); ``assumptions_file``: a region's ``fitted_reach.yaml`` or other
    assumptions (empty: the kit's defaults). Reads the run folder; writes nothing."""
    if not isinstance(campaign, Campaign):
        campaign = load_campaign(campaign)
    folder = run_folder(campaign, run_dir)
    state = reach_plan.panel_state(campaign, folder, assumptions=assumptions_file or None)
    return PlannerPage(
        state,
        save=lambda outcome: save(outcome, folder),
        run_dir=folder,
        title=campaign.title or campaign.name,
    )
