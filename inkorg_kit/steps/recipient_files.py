"""Step 02, the recipient files: the target group cut into import files for Personalverktyget.

Why a step of its own: these files are what actually goes out, so this is the last gate. The
guideline check runs again (an override recorded by step 00 or an earlier run of this step is
honoured, a new one is recorded), every input row is cleaned and accounted for (step 01's
funnel is carried into the counts), the files hold at most 250 personnummer each, and the
manifest, written last, lists each file's rows and hash. The files and the manifest go into an
AES-256 encrypted 7z for the case handler, and the whole delivery is read back and verified.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from inkorg_kit.config.campaign import Campaign
from inkorg_kit.guidelines.gate import sendable
from inkorg_kit.recipients import (
    Delivery,
    Verification,
    effective_part_size,
    input_path,
    package,
    prepare,
    split,
    verify,
    with_target_funnel,
    write,
)
from inkorg_kit.run.artefacts import STEP_NAMES, StepContract
from inkorg_kit.vocab import MAX_PART_SIZE, PASSWORD_ENV

__all__ = ["CONTRACT", "RecipientFiles", "run"]

#: Reads the target group (unless another list is given) and, when present, its funnel and
#: recorded overrides; writes ``recipients_override.json`` only when a new override is given.
CONTRACT = StepContract(
    step=STEP_NAMES[2],
    reads=("target_group",),
    optional_reads=("target_funnel_json", "campaign_check_json", "recipients_override"),
    writes=("recipients_dir", "manifest_json", "manifest_csv", "archive"),
    optional_writes=("recipients_override",),
)


@dataclass(frozen=True)
class RecipientFiles:
    """What step 02 produced: the files with their manifest, the archive, the verification."""

    delivery: Delivery
    archive: Path
    verification: Verification


def run(
    campaign: Campaign,
    run_dir: str | os.PathLike[str],
    *,
    input_file: str = "",
    pnr_column: str = "personnummer",
    part_size: int = MAX_PART_SIZE,
    order: str = "pnr",
    group_by: str = "",
    balance: bool = True,
    seed: int = 2026,
    password_env: str = PASSWORD_ENV,
    override_reason: str = "",
    reference_date: str = "",
    prompt: bool = True,
) -> RecipientFiles:
    """Gate, clean, split, write, package and verify, as notebook 02 does (its parameters,
    same defaults). Raises ``CampaignError`` on guideline errors without an override, and
    ``VerificationError`` when the delivery read back is not what was written."""
    size = effective_part_size(part_size, campaign)
    override = sendable(campaign, run_dir=run_dir, override_reason=override_reason)
    source = input_path(input_file, run_dir)
    cleaned = prepare(source, pnr_column=pnr_column, reference_date=reference_date)
    parts = split(
        cleaned, part_size=size, balance=balance, order=order, group_by=group_by, seed=seed
    )
    summary = with_target_funnel(parts.source_summary, source)
    delivery = write(parts, run_dir, campaign, override=override, source_summary=summary)
    archive = package(run_dir, password_env=password_env, prompt=prompt)
    verification = verify(run_dir, password_env=password_env, archive=True, prompt=prompt)
    verification.require_ok()
    return RecipientFiles(delivery, archive, verification)
