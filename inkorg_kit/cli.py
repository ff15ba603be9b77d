"""The ``inkorg-kit`` command: run a campaign's notebooks through papermill, or the demo.

    inkorg-kit run params/demo/campaign.yaml [--status-export FILE] [--run-dir DIR]
    inkorg-kit report params/demo/campaign.yaml [--status-export FILE]
    inkorg-kit demo

Each step is one notebook, executed into the campaign's run folder (``out/<campaign>/``); the
executed copies are kept under ``notebooks/`` there, so a failure can be read where it happened.
A failing step stops the run with the notebook, the cell and the message (masked), and a
non-zero exit code, which is what a scheduler (cron) needs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

REPO_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = REPO_ROOT / "notebooks"
DEMO_CAMPAIGN = REPO_ROOT / "params" / "demo" / "campaign.yaml"
DEMO_REGION_DIR = Path("out") / "demo"
DEMO_PASSWORD_ENV = "INKORG_7Z_PASSWORD"
# Only for the synthetic demo, so that `make demo` runs unattended. It is documented in the
# README; real campaigns set their own password in the environment or are prompted for it.
DEMO_PASSWORD = "inkorg-demo-endast-syntetiskt"

STEPS = (
    "00_campaign_check",
    "01_target_group",
    "02_recipient_files",
    "03_reach_and_send_plan",
    "04_read_rates_followup",
)


class StepFailed(RuntimeError):
    """A notebook failed; carries where, so the message can say it plainly."""

    def __init__(self, step: str, executed: Path, cell: int | None, message: str) -> None:
        self.step, self.executed, self.cell, self.message = step, executed, cell, message
        where = f"cell {cell}" if cell is not None else "start-up"
        super().__init__(
            f"step {step} failed at {where}: {message}\n  executed notebook: {executed}"
        )


@dataclass(frozen=True)
class RunResult:
    run_dir: Path
    executed: dict[str, Path]

    def artefacts(self) -> dict[str, Path]:
        """The files the analyst hands on, where they exist."""
        candidates = {
            "recipient archive": sorted(self.run_dir.glob("*.7z")),
            "recipient manifest": [self.run_dir / "recipients" / "manifest.csv"],
            "send plan": [self.run_dir / "send_plan.csv"],
            "send plan calendar": [self.run_dir / "send_plan.ics"],
            "report": sorted(self.run_dir.glob("report*/*.html"))
            + sorted(self.run_dir.glob("*.html")),
        }
        found = {}
        for label, paths in candidates.items():
            existing = [p for p in paths if p.exists()]
            if existing:
                found[label] = existing[-1]
        return found


def _local_kernel_manager() -> type:
    """A kernel manager that talks to its kernel over local sockets, not TCP.

    Executed notebooks hold campaign data; IPC sockets are files only this user can open (and
    the kernel's "running over TCP without encryption" warning no longer alarms the analyst).
    """
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import CaselessStrEnum

    class LocalKernelManager(AsyncKernelManager):
        # IPC sockets exist on POSIX only; Windows keeps TCP on localhost
        transport = CaselessStrEnum(
            ["tcp", "ipc"], default_value="ipc" if os.name == "posix" else "tcp"
        )

    return LocalKernelManager


def _declared_parameters(notebook: Path) -> set[str]:
    import papermill as pm

    return set(pm.inspect_notebook(str(notebook)))


def _masked(text: str) -> str:
    from inkorg_kit.pnr import mask_in_text

    return mask_in_text(text)


def run_step(
    step: str,
    run_dir: Path,
    parameters: dict[str, object],
    *,
    output_dir: Path | None = None,
    progress: bool = True,
) -> Path:
    """Execute one notebook with the parameters it declares; raise StepFailed on error."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    notebook = NOTEBOOK_DIR / f"{step}.ipynb"
    if not notebook.exists():
        raise StepFailed(step, notebook, None, f"notebook {notebook} not found")
    declared = _declared_parameters(notebook)
    unknown = sorted(set(parameters) - declared)
    if unknown:
        # papermill would only warn; a misspelt parameter silently does nothing.
        parameters = {k: v for k, v in parameters.items() if k in declared}
    executed = (output_dir or run_dir / "notebooks") / f"{step}.ipynb"
    executed.parent.mkdir(parents=True, exist_ok=True)
    try:
        pm.execute_notebook(
            str(notebook),
            str(executed),
            parameters=parameters,
            cwd=str(Path.cwd()),
            kernel_name="python3",
            progress_bar={"desc": step, "leave": True} if progress else False,
            kernel_manager_class=_local_kernel_manager(),
        )
    except PapermillExecutionError as error:
        raise StepFailed(
            step, executed, error.exec_count, _masked(f"{error.ename}: {error.evalue}")
        ) from None
    return executed


def run_campaign(
    campaign_file: Path,
    *,
    run_dir: Path | None = None,
    status_export: Path | None = None,
    simulate_status_export: bool = False,
    steps: Sequence[str] = STEPS,
    progress: bool = True,
) -> RunResult:
    """Run the campaign's steps in order into its run folder; stop at the first failure."""
    from inkorg_kit.campaign import load_campaign

    campaign = load_campaign(campaign_file)
    run_dir = run_dir or Path("out") / campaign.name
    run_dir.mkdir(parents=True, exist_ok=True)
    executed: dict[str, Path] = {}
    for step in steps:
        params: dict[str, object] = {"campaign_file": str(campaign_file), "run_dir": str(run_dir)}
        if step == STEPS[4]:
            if simulate_status_export:
                from inkorg_kit import synth_status

                status_export = synth_status.write_status_export(run_dir, campaign)
            if status_export is None:
                print(
                    f"step {step} waits for a status export from Personalverktyget; after "
                    f"sending run: inkorg-kit report {campaign_file} --status-export FILE",
                    file=sys.stderr,
                )
                break
            params["status_export"] = str(status_export)
        executed[step] = run_step(step, run_dir, params, progress=progress)
    return RunResult(run_dir=run_dir, executed=executed)


def run_report(
    campaign_file: Path, *, status_export: Path | None, run_dir: Path | None = None
) -> Path:
    """Notebook 04 into a dated folder (for nightly runs during a campaign); the HTML path."""
    from inkorg_kit.campaign import load_campaign

    campaign = load_campaign(campaign_file)
    run_dir = run_dir or Path("out") / campaign.name
    stamp = dt.datetime.now(ZoneInfo("Europe/Stockholm")).strftime("%Y-%m-%d_%H%M")
    folder = run_dir / "reports" / stamp
    params: dict[str, object] = {
        "campaign_file": str(campaign_file),
        "run_dir": str(run_dir),
        "report_dir": str(folder),
    }
    if status_export is not None:
        params["status_export"] = str(status_export)
    run_step(STEPS[4], run_dir, params, output_dir=folder, progress=False)
    reports = sorted(folder.glob("*.html"))
    if not reports:
        raise StepFailed(STEPS[4], folder / f"{STEPS[4]}.ipynb", None, "no HTML report written")
    return reports[-1]


def run_demo(*, progress: bool = True) -> RunResult:
    """The whole campaign on the synthetic region: region → 00 … 04 with a simulated export."""
    from inkorg_kit import synth

    os.environ.setdefault(DEMO_PASSWORD_ENV, DEMO_PASSWORD)
    region = synth.region()
    region.write(DEMO_REGION_DIR)
    print(f"synthetic region written to {DEMO_REGION_DIR}/ ({region.summary_line()})")
    return run_campaign(DEMO_CAMPAIGN, simulate_status_export=True, progress=progress)


def _print_funnel(run_dir: Path, examples: int = 5) -> None:
    """The target group's funnel and a few rejected values (masked), as notebook 01 wrote them."""
    import polars as pl

    funnel_csv, rejected_csv = run_dir / "target_funnel.csv", run_dir / "target_rejected.csv"
    if not funnel_csv.exists():
        return
    print("\ntarget group funnel:")
    for step, label, removed, remaining in (
        pl.read_csv(funnel_csv).select("step", "label", "removed", "remaining").iter_rows()
    ):
        if step in ("rows_in", "target_group"):
            print(f"  {label:62s} {remaining:>10,}")
        elif removed:
            print(f"  {label:62s} {-removed:>10,}")
    if rejected_csv.exists():
        rejected = pl.read_csv(rejected_csv, infer_schema=False).head(examples)
        for first_row, reason, value in rejected.select(
            "first_row", "reason", "value_masked"
        ).iter_rows():
            print(f"  e.g. data row {int(first_row) + 1:,}: {value!r} ({reason})")


def _print_result(result: RunResult) -> None:
    _print_funnel(result.run_dir)
    print(f"\nrun folder: {result.run_dir}")
    for label, path in result.artefacts().items():
        print(f"  {label:20s} {path}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="inkorg-kit", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a campaign's notebooks 00-04 into out/<campaign>/")
    run.add_argument("campaign", type=Path, help="the campaign YAML")
    run.add_argument("--status-export", type=Path, help="Personalverktyget's status export")
    run.add_argument("--run-dir", type=Path, help="default: out/<campaign name>")
    run.add_argument("--steps", help=f"comma-separated subset of: {', '.join(STEPS)}")
    report = sub.add_parser("report", help="run notebook 04 into a dated folder (for cron)")
    report.add_argument("campaign", type=Path)
    report.add_argument("--status-export", type=Path)
    report.add_argument("--run-dir", type=Path)
    sub.add_parser("demo", help="the whole campaign on the bundled synthetic region")
    args = parser.parse_args(argv)

    try:
        if args.command == "run":
            steps = STEPS
            if args.steps:
                steps = tuple(s.strip() for s in args.steps.split(","))
                bad = [s for s in steps if s not in STEPS]
                if bad:
                    parser.error(f"unknown step(s) {bad}; choose from: {', '.join(STEPS)}")
            _print_result(
                run_campaign(
                    args.campaign,
                    run_dir=args.run_dir,
                    status_export=args.status_export,
                    steps=steps,
                )
            )
        elif args.command == "report":
            path = run_report(args.campaign, status_export=args.status_export, run_dir=args.run_dir)
            print(f"report: {path}")
        else:
            _print_result(run_demo())
    except StepFailed as failure:
        print(f"inkorg-kit: {failure}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as error:
        print(f"inkorg-kit: {_masked(str(error))}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
