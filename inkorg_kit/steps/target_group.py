"""Step 01, the target group: from an extract of residents to the people the campaign is for.

Why a step of its own: selecting is where personnummer enter the run, so it is done once, in
the open: every row of the extract is accounted for in the funnel (rejected with a reason, a
duplicate, or removed by a named filter), and the rejected values are listed masked for the
analyst to fix at the source. Later steps read the group from ``target_group.parquet`` and
the funnel from ``target_funnel.json``, never the extract again.
"""

from __future__ import annotations

import datetime as dt
import os

from inkorg_kit.config.campaign import Campaign
from inkorg_kit.run.artefacts import STEP_NAMES, StepContract
from inkorg_kit.target import TargetResult, resolve_reference_date, select

__all__ = ["CONTRACT", "run"]

#: Reads no artefact of the run folder: the extract comes from the campaign (or ``source``).
CONTRACT = StepContract(
    step=STEP_NAMES[1],
    reads=(),
    writes=("target_group", "target_funnel_json", "target_funnel_csv", "target_rejected_csv"),
)


def run(
    campaign: Campaign,
    run_dir: str | os.PathLike[str],
    *,
    source: str = "",
    reference_date: str | dt.date = "",
) -> TargetResult:
    """Select the target group of ``campaign`` (from ``source`` if given, else the campaign's
    target source) for ``reference_date`` (empty: the planned send day) and write it with its
    funnel and rejected values into ``run_dir``. Returns the selection."""
    day = resolve_reference_date(reference_date, campaign.planned_send_start)
    result = select(
        campaign.target, source=source or None, reference_date=day, this_run_dir=run_dir
    )
    result.write(run_dir)
    return result
