"""What the command prints when a run ends: the target group's funnel and what was written."""

from __future__ import annotations

from pathlib import Path

from inkorg_kit.cli.runner import STEPS, RunResult
from inkorg_kit.run import RunFolder, load_frame

__all__ = ["print_funnel", "print_result"]


def print_funnel(run_dir: Path, examples: int = 5) -> None:
    """The target group's funnel and a few rejected values (masked), as notebook 01 wrote them."""
    run = RunFolder(run_dir)
    if not run.exists("target_funnel_csv"):
        return
    print("\ntarget group funnel:")
    funnel = load_frame(run, "target_funnel_csv").select("step", "label", "removed", "remaining")
    for step, label, removed, remaining in funnel.iter_rows():
        if step in ("rows_in", "target_group"):
            print(f"  {label:62s} {remaining:>10,}")
        elif removed:
            print(f"  {label:62s} {-removed:>10,}")
    if run.exists("target_rejected_csv"):
        rejected = load_frame(run, "target_rejected_csv").head(examples)
        for first_row, reason, value in rejected.select(
            "first_row", "reason", "value_masked"
        ).iter_rows():
            shown = repr(value) if value else "(blank)"
            print(f"  e.g. data row {first_row + 1:,}: {shown} ({reason})")


def print_result(result: RunResult) -> None:
    if STEPS[1] in result.executed:
        print_funnel(result.run_dir)
    print(f"\nrun folder: {result.run_dir}")
    artefacts = result.artefacts()
    for label, path in artefacts.items():
        print(f"  {label:20s} {path}")
    if not artefacts:
        print("  (these steps wrote no recipient archive, send plan or report)")
