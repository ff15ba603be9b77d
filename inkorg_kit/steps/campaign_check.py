"""Step 00, the campaign check: every guideline rule applied to the campaign, before any data.

Why a step of its own: a campaign that breaks Inera's or the region's guidelines must be
stopped before anyone extracts residents' personnummer for it. The check writes a checklist
for people (Markdown, CSV for Excel) and one for machines (JSON), which step 02 reads again
for a recorded override. Errors stop the run unless someone writes down who decided to go
ahead and why; that decision is recorded, so re-running the check keeps it.
"""

from __future__ import annotations

import os

from inkorg_kit.config.campaign import Campaign
from inkorg_kit.guidelines.gate import check
from inkorg_kit.guidelines.report import CheckReport
from inkorg_kit.run.artefacts import STEP_NAMES, StepContract

__all__ = ["CONTRACT", "run"]

#: Reads an earlier check of this run (only to keep an override recorded there).
CONTRACT = StepContract(
    step=STEP_NAMES[0],
    reads=(),
    optional_reads=("campaign_check_json",),
    writes=("campaign_check_json", "campaign_check_md", "campaign_check_csv"),
)


def run(
    campaign: Campaign, run_dir: str | os.PathLike[str], *, override_reason: str = ""
) -> CheckReport:
    """Check ``campaign``, write the checklists into ``run_dir``, then stop on errors that no
    written ``override_reason`` (or one recorded earlier) covers: raises ``CampaignError``
    after writing, so the analyst has the checklist either way. Returns the report."""
    report = check(campaign)
    report.write(run_dir, override_reason=override_reason)
    report.require_ok(override_reason)
    return report
