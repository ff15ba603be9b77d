"""Step 04, read rates and follow-up: what became of each message, and who to reach another way.

Why a step of its own: only Personalverktyget's status export says who read the message, and it
arrives days after sending. This step joins it to the recipient files (every resident sent to
is accounted for: read, unread, failed, or missing from the export), writes follow-up lists as
import files (and one list for letters or calls), fits the reach parameters to what happened
so the next campaign plans with them, writes the orderer's report, which holds no
personnummer and no small counts, and records the campaign's aggregates in the region's
campaign register (:mod:`inkorg_kit.history`), from which step 03 takes its priors.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inkorg_kit.config.assumptions import Assumptions, load_assumptions
from inkorg_kit.config.campaign import Campaign
from inkorg_kit.followup import (
    FollowupLists,
    Outcomes,
    StatusExport,
    Uptake,
    followup_lists,
    load_status,
    load_uptake,
    reconcile,
    write_followup_lists,
)
from inkorg_kit.history import record_campaign, register_path
from inkorg_kit.reach.fit import fit_reach, write_fitted
from inkorg_kit.report import MIN_GROUP_SIZE, orderer_report
from inkorg_kit.run.artefacts import STEP_NAMES, StepContract
from inkorg_kit.run.folder import RunFolder
from inkorg_kit.run.io import load_json

__all__ = ["CONTRACT", "Followup", "FollowupChoice", "followup_choice", "run"]

#: Reads the status export and the recipient files (manifest and files); the target group,
#: when present, gives age band, sex and unit (else they come from the personnummer).
CONTRACT = StepContract(
    step=STEP_NAMES[4],
    reads=("status_export_dir", "recipients_dir", "manifest_json"),
    optional_reads=("target_group", "plan_choice_json"),
    writes=(
        "followup_dir",
        "followup_manifest",
        "followup_letters_csv",
        "fitted_reach",
        "report_html",
    ),
)


@dataclass(frozen=True)
class FollowupChoice:
    """The follow-up strategy step 04 follows, its N and R, and where they come from."""

    strategy: str
    unread_after_working_hours: float
    reminder_after_working_hours: float | None
    source: str

    @property
    def reminder_hours(self) -> float | None:
        """R when the strategy has a reminder (then the export is read as two waves)."""
        return self.reminder_after_working_hours if self.strategy == "reminder" else None


def followup_choice(
    campaign: Campaign, run_dir: str | os.PathLike[str], unread_after_working_hours: float = 0
) -> FollowupChoice:
    """The strategy chosen in step 03 (``plan_choice.json``) when the run folder holds it, else
    the campaign's ``followup.strategy`` with its deadlines; ``unread_after_working_hours``
    above 0 (the notebook's parameter) replaces N."""
    folder = RunFolder(run_dir)
    if folder.exists("plan_choice_json"):
        record: Any = load_json(folder, "plan_choice_json")
        choice = FollowupChoice(
            record.strategy,
            record.unread_after_working_hours,
            record.reminder_after_working_hours,
            folder.path("plan_choice_json").name,
        )
    else:
        d = campaign.deadlines()
        choice = FollowupChoice(
            campaign.followup.strategy,
            float(campaign.followup.unread_after_working_hours or d.unread_after_working_hours),
            d.reminder_after_working_hours,
            "kampanjens followup.strategy",
        )
    if unread_after_working_hours:
        choice = FollowupChoice(
            choice.strategy,
            float(unread_after_working_hours),
            choice.reminder_after_working_hours,
            choice.source,
        )
    return choice


@dataclass(frozen=True)
class Followup:
    """What step 04 produced: the export, the outcomes, the lists and their manifest, the
    fitted assumptions and where the fit and the report were written."""

    export: StatusExport
    outcomes: Outcomes
    lists: FollowupLists
    manifest: dict[str, Any]
    fitted: Assumptions
    fitted_path: Path
    report: Path
    recorded: Path | None = None
    uptake: Uptake | None = None  # the outcome follow-up; None without followup.outcome
    choice: FollowupChoice | None = None  # the strategy followed


def run(
    campaign: Campaign,
    run_dir: str | os.PathLike[str],
    *,
    status_export: str = "",
    report_dir: str = "",
    unread_after_working_hours: float = 0,
    min_group_size: int = MIN_GROUP_SIZE,
    assumptions_file: str = "",
    exported_at: str | dt.datetime = "",
) -> Followup:
    """Reconcile, write the follow-up lists, refit reach, write the orderer's report and record
    the campaign in the register (replacing an earlier record of it), as notebook 04 does (its
    parameters, same defaults: empty or 0 means the campaign's or the run folder's)."""
    export = load_status(
        status_export or None, campaign, run_dir=run_dir, exported_at=exported_at or None
    )
    choice = followup_choice(campaign, run_dir, unread_after_working_hours)
    outcomes = reconcile(
        export,
        run_dir,
        campaign=campaign.name,
        reminder_after_working_hours=choice.reminder_hours,
        windows=campaign.send_windows,
    )
    lists = followup_lists(
        outcomes,
        campaign,
        unread_after_working_hours=choice.unread_after_working_hours,
        strategy=choice.strategy,
        reminder_after_working_hours=choice.reminder_hours,
    )
    manifest = write_followup_lists(lists, run_dir, campaign=campaign.name)
    assumed = load_assumptions(assumptions_file or None)
    fitted = fit_reach(outcomes, assumed, campaign=campaign.name)
    fitted_path = write_fitted(fitted, run_dir)
    uptake = load_uptake(campaign, outcomes, reminded=outcomes.reminded())
    report = orderer_report(
        report_dir or run_dir,
        campaign,
        outcomes,
        lists,
        min_group_size=min_group_size,
        uptake=uptake,
    )
    recorded = record_campaign(
        register_path(campaign, run_dir), campaign, outcomes, fitted, uptake=uptake
    )
    return Followup(
        export,
        outcomes,
        lists,
        manifest,
        fitted,
        fitted_path,
        report,
        recorded=recorded,
        uptake=uptake,
        choice=choice,
    )
