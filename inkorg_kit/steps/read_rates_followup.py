"""Step 04, read rates and follow-up: what became of each message, and who to reach another way.

Why a step of its own: only Personalverktyget's status export says who read the message, and it
arrives days after sending. This step joins it to the recipient files (every resident sent to
is accounted for: read, unread, failed, or missing from the export), writes follow-up lists as
import files (and one list for letters or calls), fits the reach parameters to what happened
so the next campaign plans with them, and writes the orderer's report, which holds no
personnummer and no small counts.
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
    followup_lists,
    load_status,
    reconcile,
    write_followup_lists,
)
from inkorg_kit.reach.fit import fit_reach, write_fitted
from inkorg_kit.report import MIN_GROUP_SIZE, orderer_report
from inkorg_kit.run.artefacts import STEP_NAMES, StepContract

__all__ = ["CONTRACT", "Followup", "run"]

#: Reads the status export and the recipient files (manifest and files); the target group,
#: when present, gives age band, sex and unit (else they come from the personnummer).
CONTRACT = StepContract(
    step=STEP_NAMES[4],
    reads=("status_export_dir", "recipients_dir", "manifest_json"),
    optional_reads=("target_group",),
    writes=(
        "followup_dir",
        "followup_manifest",
        "followup_letters_csv",
        "fitted_reach",
        "report_html",
    ),
)


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
    """Reconcile, write the follow-up lists, refit reach and write the orderer's report, as
    notebook 04 does (its parameters, same defaults: empty or 0 means the campaign's or the
    run folder's)."""
    export = load_status(
        status_export or None, campaign, run_dir=run_dir, exported_at=exported_at or None
    )
    outcomes = reconcile(export, run_dir, campaign=campaign.name)
    lists = followup_lists(
        outcomes, campaign, unread_after_working_hours=unread_after_working_hours or None
    )
    manifest = write_followup_lists(lists, run_dir, campaign=campaign.name)
    assumed = load_assumptions(assumptions_file or None)
    fitted = fit_reach(outcomes, assumed, campaign=campaign.name)
    fitted_path = write_fitted(fitted, run_dir)
    report = orderer_report(
        report_dir or run_dir, campaign, outcomes, lists, min_group_size=min_group_size
    )
    return Followup(export, outcomes, lists, manifest, fitted, fitted_path, report)
