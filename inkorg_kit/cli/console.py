"""What the command prints when a run ends, in Swedish: the guideline warnings (how many, the
most important, where the whole checklist is), the target group's funnel, and what was written.

Why: a run that ends with exit 0 can still carry warnings the analyst must read before sending;
the console says how many and the worst of them, and points at ``campaign_check.md``. Every
text is masked (a campaign text or a rejected value could hold a personnummer).
"""

from __future__ import annotations

from pathlib import Path

from inkorg_kit.cli.executed import masked
from inkorg_kit.cli.runner import STEPS, RunResult
from inkorg_kit.pnr import REASON_LABELS
from inkorg_kit.run import RunFolder, load_frame, load_json

__all__ = ["print_checks", "print_funnel", "print_result"]

#: How many guideline findings the console shows; the rest are in campaign_check.md.
SHOWN_FINDINGS = 3
# A finding's status, most important first, as the console names it.
_STATUS = {"error": "FEL (åsidosatt)", "warning": "VARNING"}

CHECKS_HEADING = "Kampanjkontroll: {what} ({checks} kontroller)."
CHECKS_MORE = "  … och {more} till."
CHECKS_FILE = "  Hela checklistan: {path}"
FUNNEL_HEADING = "Målgruppens tratt:"
REJECTED_EXAMPLE = "  t.ex. rad {row}: {value} ({reason})"
BLANK = "(tomt)"
RUN_FOLDER = "körmapp: {run_dir}"
NOTHING_WRITTEN = (
    "  (de här stegen skrev ingen kampanjkontroll, inget mottagararkiv, ingen sändplan och"
    " ingen rapport)"
)


def _number(number: int) -> str:
    """``number`` as Swedish writes it: a space between thousands (``12 345``)."""
    return f"{number:,}".replace(",", " ")


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def print_checks(run_dir: Path, shown: int = SHOWN_FINDINGS) -> None:
    """The guideline check step 00 wrote (``campaign_check.json``): how many warnings (and
    overridden errors), the ``shown`` most important with their check, and the path to
    ``campaign_check.md``, the whole checklist with the guideline behind each check."""
    run = RunFolder(run_dir)
    if not run.exists("campaign_check_json"):
        return
    check = load_json(run, "campaign_check_json")
    order = list(_STATUS)
    findings = sorted(
        (f for f in check.findings if f.status in _STATUS),
        key=lambda f: order.index(f.status),  # stable: the rules' own order within a status
    )
    warnings = sum(f.status == "warning" for f in findings)
    errors = len(findings) - warnings
    what = _count(warnings, "varning", "varningar") if warnings else "inga varningar"
    if errors:
        what += ", " + _count(errors, "åsidosatt fel", "åsidosatta fel")
    print("\n" + CHECKS_HEADING.format(what=what, checks=len(check.findings)))
    for finding in findings[:shown]:
        status = _STATUS[finding.status]
        print(masked(f"  {status}  {finding.check} ({finding.label}): {finding.message}"))
    if len(findings) > shown:
        print(CHECKS_MORE.format(more=len(findings) - shown))
    if run.exists("campaign_check_md"):
        print(CHECKS_FILE.format(path=run.path("campaign_check_md")))


def print_funnel(run_dir: Path, examples: int = 5) -> None:
    """The target group's funnel and a few rejected values (masked) with the row the analyst
    finds them on in the extract, as notebook 01 wrote them."""
    run = RunFolder(run_dir)
    if not run.exists("target_funnel_csv"):
        return
    print("\n" + FUNNEL_HEADING)
    funnel = load_frame(run, "target_funnel_csv").select("step", "label", "removed", "remaining")
    for step, label, removed, remaining in funnel.iter_rows():
        if step in ("rows_in", "target_group"):
            print(f"  {label:62s} {_number(remaining):>10}")
        elif removed:
            print(f"  {label:62s} {_number(-removed):>10}")
    if run.exists("target_rejected_csv"):
        rejected = load_frame(run, "target_rejected_csv").head(examples)
        for row, reason, value in rejected.select(
            "first_row", "reason", "value_masked"
        ).iter_rows():
            shown = repr(value) if value else BLANK
            text = REJECTED_EXAMPLE.format(
                row=_number(row), value=shown, reason=REASON_LABELS.get(reason, reason)
            )
            print(masked(text))


def print_result(result: RunResult) -> None:
    """After ``inkorg-kit run``: the guideline warnings (when step 00 ran), the funnel (when 01
    ran), and the files this run wrote that the analyst reads or hands on."""
    if STEPS[0] in result.executed:
        print_checks(result.run_dir)
    if STEPS[1] in result.executed:
        print_funnel(result.run_dir)
    print("\n" + RUN_FOLDER.format(run_dir=result.run_dir))
    artefacts = result.artefacts()
    for label, path in artefacts.items():
        print(f"  {label:20s} {path}")
    if not artefacts:
        print(NOTHING_WRITTEN)
