"""``inkorg-kit purge``: list (by default) or delete (``--yes``) the personal data of run folders
whose retention has passed, in Swedish, for people and for cron.

Why apart from :mod:`inkorg_kit.run.retention`: that module decides what goes and records it;
this one finds the run folders a command line names and says what happened.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from inkorg_kit.config.campaign import load_campaign
from inkorg_kit.errors import UsageError
from inkorg_kit.privacy import mask_in_text
from inkorg_kit.run.retention import (
    REASON_LABELS,
    PurgeError,
    PurgePlan,
    Retention,
    find_run_folders,
    plan_purge,
    purge,
)
from inkorg_kit.vocab import RUNS_DIR, TIME_ZONE

__all__ = ["purge_command"]

DRY_RUN = "Provkörning: inget tas bort. Lägg till --yes för att ta bort filerna nedan."
NOT_FOUND = (
    "{target} finns inte: ange en kampanjfil (YAML) eller mappen med körmapparna, t.ex. {runs}/"
)
RUN_DIR_ONLY_WITH_CAMPAIGN = "--run-dir gäller bara tillsammans med en kampanjfil"
#: How many files of each kind were deleted, in Swedish.
COUNT_LABELS = {
    "personnummer": "med personnummer",
    "working_copy": "arbetskopior",
    "unknown": "okända filer",
    "found_personnummer": "som innehöll personnummer",
    "masked": "behållna med personnummer maskerade",
}


def _when(moment: dt.datetime) -> str:
    return moment.astimezone(TIME_ZONE).strftime("%Y-%m-%d %H:%M")


def _plans(
    target: Path | None, run_dir: Path | None, now: dt.datetime
) -> tuple[list[PurgePlan], list[str]]:
    """The plans for the run folders ``target`` names, and notes about folders skipped."""
    target = target if target is not None else Path(RUNS_DIR)
    if not target.exists() and not target.is_symlink():
        raise UsageError(NOT_FOUND.format(target=target, runs=RUNS_DIR))
    if target.is_file():
        campaign = load_campaign(target)
        folder = campaign.run_folder(run_dir)
        if not folder.is_dir():
            return [], [f"{folder}: körmappen finns inte; inget att gallra"]
        retention = Retention(campaign.followup.retention_days, f"kampanjfilen {target}")
        return [plan_purge(folder, retention=retention, now=now)], []
    if run_dir is not None:
        raise UsageError(RUN_DIR_ONLY_WITH_CAMPAIGN)
    if target.is_symlink():
        raise UsageError(f"{target} är en symbolisk länk; ange den riktiga mappen")
    folders, links = find_run_folders(target)
    notes = [f"{link}: hoppar över en symbolisk länk" for link in links]
    if not folders:
        notes.append(f"{target}: inga körmappar här")
    return [plan_purge(folder, now=now) for folder in folders], notes


def _describe(plan: PurgePlan) -> str:
    retention = plan.retention
    source = "standard" if retention.source == "standard" else f"enligt {retention.source}"
    head = f"{plan.run_dir}: lagringstid {retention.days} dagar ({source})"
    if plan.start is None or plan.due_at is None:
        return f"{head}; körmappen är tom, inget att gallra."
    since = f"räknat från {plan.start.label} {_when(plan.start.at)}"
    if not plan.due:
        return f"{head}, {since}: sparas till {_when(plan.due_at)}."
    if not plan.files:
        return f"{head}, {since}: gick ut {_when(plan.due_at)}; redan gallrad."
    return f"{head}, {since}: gick ut {_when(plan.due_at)}; {len(plan.files)} fil(er) att gallra."


def _summary(plan: PurgePlan) -> str:
    counts = plan.counts()
    parts = [f"{counts[r]} {label}" for r, label in COUNT_LABELS.items() if counts[r]]
    return f"{counts['total']} fil(er): " + ", ".join(parts)


def purge_command(
    target: Path | None,
    *,
    yes: bool = False,
    run_dir: Path | None = None,
    now: dt.datetime | None = None,
) -> int:
    """List (``yes`` false) or delete the personal data of the run folders ``target`` names
    (a campaign file, a run folder or a folder of run folders; default ``out/``) whose
    retention has passed; the exit code (0 done, 1 a file could not be deleted). A wrong
    target raises :class:`~inkorg_kit.errors.UsageError` (exit 2)."""
    plans, notes = _plans(target, run_dir, now or dt.datetime.now(TIME_ZONE))
    if not yes:
        print(DRY_RUN)
    for note in notes:
        print(mask_in_text(note))
    failed = 0
    for plan in plans:
        print(mask_in_text(_describe(plan)))
        if not (plan.due and plan.files):
            continue
        if not yes:
            for file in plan.files:
                print(f"  {file.shown}  ({REASON_LABELS[file.reason]})")
            print(f"  behålls: {len(plan.kept)} fil(er) utan personnummer (rapport, manifest …)")
            continue
        try:
            record = purge(plan)
        except PurgeError as error:
            print(f"inkorg-kit: {mask_in_text(str(error))}", file=sys.stderr)
            failed += 1
            continue
        print(f"  borttaget: {_summary(plan)}; noterat i {mask_in_text(str(record))}")
    due = [p for p in plans if p.due and p.files]
    if not yes and due:
        total = sum(len(p.files) for p in due)
        print(f"Att gallra: {total} fil(er) i {len(due)} körmapp(ar). Kör igen med --yes.")
    return 1 if failed else 0
