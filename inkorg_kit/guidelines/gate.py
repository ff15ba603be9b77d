"""The gate: check a campaign against every rule, and let files go out only when it passes or
a person has written down why they go ahead anyway.

Why here, not in the recipient files: "may this campaign be sent?" is a guideline question.
:func:`check` applies :data:`~inkorg_kit.guidelines.rules.RULES`; :func:`ensure_sendable`
refuses a campaign with errors unless a reason is given; :func:`sendable` does that for
notebook 02, reusing an override recorded in the run folder (by notebook 00, or by 02 before)
so a re-run writes a byte-identical manifest; :func:`guideline_check` is what
:func:`inkorg_kit.recipients.write` asks before it writes a single file.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from inkorg_kit._files import write_private_text
from inkorg_kit.config.campaign import Campaign, load_campaign
from inkorg_kit.errors import CampaignError, InkorgError
from inkorg_kit.guidelines.override import Override, error_keys, reason_text
from inkorg_kit.guidelines.report import CheckReport, stored_override
from inkorg_kit.guidelines.rules import RULES
from inkorg_kit.privacy import mask_in_text
from inkorg_kit.run import RunFolder
from inkorg_kit.run.io import load_json

__all__ = [
    "check",
    "ensure_sendable",
    "guideline_check",
    "override_dict",
    "recorded_overrides",
    "sendable",
]


def check(campaign: Campaign) -> CheckReport:
    """Apply every rule in :data:`RULES` to the campaign; never raises on a broken rule."""
    findings = tuple(rule.apply(campaign) for rule in RULES)
    return CheckReport(
        campaign=campaign.name, title=mask_in_text(campaign.title), findings=findings
    )


def ensure_sendable(
    source: Campaign | CheckReport | str | os.PathLike[str],
    override_reason: str | None = None,
) -> Override | None:
    """Refuse to go on with a campaign that has errors, unless a written reason is given.

    ``source`` is a campaign, a report, a campaign YAML or a ``campaign_check.json``. Returns
    None when there are no errors, else the :class:`Override` to record in the manifest.
    """
    if isinstance(source, Campaign):
        report = check(source)
    elif isinstance(source, CheckReport):
        report = source
    else:
        path = Path(source)
        report = (
            CheckReport.from_json(path)
            if path.suffix.lower() == ".json"
            else check(load_campaign(path))
        )
    return report.require_ok(override_reason)


def sendable(
    campaign: Campaign | str | os.PathLike[str],
    *,
    run_dir: str | os.PathLike[str] | None = None,
    override_reason: str | None = None,
) -> Override | None:
    """Check the campaign now and stop on guideline errors unless a written reason is given.

    ``campaign`` is a :class:`~inkorg_kit.config.campaign.Campaign` or a campaign YAML path.
    Returns None (no errors) or the :class:`Override` to pass to
    :func:`inkorg_kit.recipients.write`; raises ``CampaignError``. An override already
    recorded in ``run_dir`` for this campaign and these errors is reused as it is, time
    included, so a re-run writes a byte-identical manifest: one given to notebook 00
    (``campaign_check.json``), or one given here before (``recipients_override.json``).
    Without ``override_reason`` a recorded one that covers the errors is honoured; with it, the
    recorded one with the same reason and the same errors is reused, else a new one is
    recorded and kept in ``<run_dir>/recipients_override.json``.
    """
    if not isinstance(campaign, Campaign):
        campaign = load_campaign(campaign)
    report = check(campaign)
    if not report.errors:
        return None
    recorded = recorded_overrides(run_dir, report)
    if not (override_reason or "").strip():
        for stored in recorded:
            if stored.covers(report.errors):
                return stored
        return report.require_ok(None)  # raises, listing the errors
    override = report.require_ok(override_reason)  # checks and normalises the reason
    errors = error_keys(report.errors)
    for stored in recorded:
        given = set(zip(stored.errors, stored.messages, strict=False))
        if stored.reason == override.reason and given == errors:
            return stored  # the same decision: its time too, so the manifest is the same
    if run_dir is not None:
        text = json.dumps(override.to_dict(), ensure_ascii=False, indent=2) + "\n"
        write_private_text(RunFolder(run_dir).path("recipients_override"), text)
    return override


def recorded_overrides(
    run_dir: str | os.PathLike[str] | None, report: CheckReport
) -> list[Override]:
    """This campaign's overrides recorded in a run folder: notebook 00's report, then
    notebook 02's own file."""
    if run_dir is None:
        return []
    run = RunFolder(run_dir)
    found = [stored_override(run.path("campaign_check_json"), report)]
    if run.exists("recipients_override"):
        with contextlib.suppress(InkorgError):  # not what step 02 writes: then recorded anew
            record = load_json(run, "recipients_override")
            found.append(Override.from_dict(record.model_dump()))
    return [o for o in found if o is not None and o.campaign == report.campaign]


def override_dict(override: Override | Mapping[str, Any] | None) -> dict[str, Any] | None:
    """An override as the manifest records it (None stays None)."""
    if override is None:
        return None
    if hasattr(override, "to_dict"):
        return dict(override.to_dict())
    if isinstance(override, Mapping):
        return dict(override)
    raise TypeError(
        f"override must be an inkorg_kit.campaign.Override (from ensure_sendable/require_ok),"
        f" got {type(override).__name__}"
    )


def guideline_check(
    campaign: Campaign | str,
    name: str,
    check_report: CheckReport | None,
    override: Override | Mapping[str, Any] | None,
    unchecked_reason: str | None,
) -> tuple[CheckReport | None, Override | None, str | None]:
    """(report, override, unchecked reason) for the manifest of recipient files; raises when
    the check is missing or has errors that no override covers."""
    if unchecked_reason is not None and not isinstance(unchecked_reason, str):
        raise TypeError(f"unchecked_reason must be text, got {type(unchecked_reason).__name__}")
    unchecked = reason_text(unchecked_reason) or None
    if check_report is None and isinstance(campaign, Campaign):
        check_report = check(campaign)
    if check_report is None:
        if unchecked is None:
            raise ValueError(
                f"recipients.write({name!r}): no guideline check. Pass the Campaign"
                " (campaign.load_campaign(...)) or check_report=campaign.check(...), so the"
                " files go out only if the campaign follows the guidelines; or, for files that"
                " need no check of their own (e.g. a follow-up list of a checked campaign), say"
                " why in unchecked_reason='...' (recorded in the manifest)"
            )
        if override is not None:
            raise ValueError("an override needs the check it overrides: pass check_report")
        return None, None, unchecked
    if unchecked is not None:
        raise ValueError(
            "unchecked_reason is for files written without a guideline check, but a check was"
            " given (a Campaign or check_report): leave unchecked_reason out"
        )
    if not isinstance(check_report, CheckReport):
        raise TypeError(
            f"check_report must be an inkorg_kit.campaign.CheckReport (campaign.check(...)),"
            f" got {type(check_report).__name__}"
        )
    if check_report.campaign != name:
        raise ValueError(
            f"check_report is for campaign {check_report.campaign!r}, not {name!r}; check this"
            " campaign"
        )
    if override is None:
        return check_report, check_report.require_ok(None), None
    if isinstance(override, Mapping):  # as recorded in a run folder's JSON
        override = Override.from_dict(override)
    errors = {f.check for f in check_report.errors}
    covered = set(override.errors)
    if not override.covers(check_report.errors):  # the same checks with the same messages
        raise CampaignError(
            f"the override was given for the errors {sorted(covered)}, but the campaign check"
            f" now finds {sorted(errors)} (or the same checks with other messages); check the"
            " campaign again and give a reason for these errors"
        )
    return check_report, override, None
