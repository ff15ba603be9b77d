"""The ``inkorg-kit`` command: run a campaign's notebooks through papermill, or the demo.

    inkorg-kit run params/demo/campaign.yaml [--status-export FILE] [--run-dir DIR]
        [--steps STEP,...] [--override-reason TEXT] [--exported-at "YYYY-MM-DD HH:MM"]
        [--timeout SECONDS]
    inkorg-kit report params/demo/campaign.yaml [--status-export FILE] [--exported-at ...]
    inkorg-kit demo

Each step is one notebook, executed into the campaign's run folder (``out/<campaign>/``); the
executed copies are kept under ``notebooks/`` there, so a failure can be read where it happened
(personnummer masked in their outputs, owner-only like every file in the run folder). A failing
step stops the run with the notebook, the cell and the message (masked), and a non-zero exit
code, which is what a scheduler (cron) needs: 1 when a step failed, 2 when nothing could start
(a wrong argument, a campaign that does not load, no archive password, no status export).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from inkorg_kit._files import (
    PRIVATE_DIR_MODE,
    PRIVATE_FILE_MODE,
    ensure_private_dir,
    write_private_text,
)
from inkorg_kit.errors import InkorgError, UsageError

REPO_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = REPO_ROOT / "notebooks"
DEMO_CAMPAIGN = REPO_ROOT / "params" / "demo" / "campaign.yaml"
DEMO_REGION_DIR = Path("out") / "demo"
# Notebook 02's default ``password_env``: the variable the kernel reads the archive password from.
PASSWORD_ENV = "INKORG_7Z_PASSWORD"
DEMO_PASSWORD_ENV = PASSWORD_ENV
# Only for the synthetic demo, so that `make demo` runs unattended. It is documented in the
# README; real campaigns set their own password in the environment or are prompted for it.
DEMO_PASSWORD = "inkorg-demo-endast-syntetiskt"
STATUS_EXPORT_DIR = "status_export"  # notebook 04's default, under the run folder
TIME_FORMAT = "%Y-%m-%d %H:%M"

STEPS = (
    "00_campaign_check",
    "01_target_group",
    "02_recipient_files",
    "03_reach_and_send_plan",
    "04_read_rates_followup",
)
OVERRIDE_STEPS = (STEPS[0], STEPS[2])  # the notebooks with an ``override_reason`` parameter

# What the analyst hands on, by label: file patterns under the run folder.
ARTEFACTS = {
    "recipient archive": ("*.7z",),
    "recipient manifest": ("recipients/manifest.csv",),
    "send plan": ("send_plan.csv",),
    "send plan calendar": ("send_plan.ics",),
    "report": ("reports/*/*.html", "*.html"),
}
# Output types whose text is base64 (masking could only corrupt them).
_BINARY_MIME = ("image/png", "image/jpeg", "image/gif", "application/pdf")

# Messages, kept apart from the logic.
NO_STATUS_EXPORT = (
    "step {step} needs Personalverktyget's status export: give --status-export FILE (a file, or"
    " a folder with the sent and failed files), or put the export in {default}/"
)
WAITING_FOR_EXPORT = (
    "step {step} waits for a status export from Personalverktyget; after sending, run:"
    " inkorg-kit report {campaign} --status-export FILE (or put the export in {default}/)"
)
NO_PASSWORD = (
    "no archive password for step {step}: the environment variable {env} is not set and there"
    " is no terminal to ask on. Set it before the run, e.g. `read -rs {env} && export {env}`;"
    " it is never taken from a parameter. Nothing was run."
)
OVERRIDE_HINT = (
    'with inkorg-kit: rerun with --override-reason "a written reason" to go ahead despite the'
    " guideline errors (the reason is recorded in the check report and the manifest)"
)
KERNEL_DIED = (
    "the notebook's Python kernel died (out of memory, or killed); nothing after this cell ran"
)
CELL_TIMED_OUT = "the cell ran longer than --timeout {timeout:g} s and was interrupted"


class StepFailed(InkorgError, RuntimeError):
    """A notebook failed; carries where (step, ``In [n]`` and the cell's first line), so the
    message can say it plainly. Every text in it is masked."""

    def __init__(
        self,
        step: str,
        executed: Path,
        cell: int | None,
        message: str,
        *,
        source: str = "",
        hint: str = "",
    ) -> None:
        self.step, self.executed, self.cell = step, executed, cell
        self.message = _masked(message)
        lines = [line.strip() for line in (source or "").splitlines() if line.strip()]
        self.first_line = _masked(lines[0][:100]) if lines else ""
        self.hint = hint
        where = f"In [{cell}]" if cell is not None else "start-up"
        if self.first_line:
            where += f" ({self.first_line})"
        text = f"step {step} failed at {where}: {self.message}\n  executed notebook: {executed}"
        super().__init__(text + (f"\n  {hint}" if hint else ""))


@dataclass(frozen=True)
class RunResult:
    run_dir: Path
    executed: dict[str, Path]
    # the artefacts' modification times before the run, so an earlier run's are not listed
    before: Mapping[Path, int] = field(default_factory=dict)

    def artefacts(self) -> dict[str, Path]:
        """The files the analyst hands on that this run wrote (the newest of each kind)."""
        found = {}
        for label, patterns in ARTEFACTS.items():
            written = [
                path
                for path, mtime in _artefact_files(self.run_dir, patterns).items()
                if self.before.get(path) != mtime
            ]
            if written:
                found[label] = max(written, key=lambda p: (p.stat().st_mtime_ns, p.name))
        return found


def _artefact_files(run_dir: Path, patterns: Sequence[str]) -> dict[Path, int]:
    return {
        path: path.stat().st_mtime_ns
        for pattern in patterns
        for path in sorted(run_dir.glob(pattern))
        if path.is_file()
    }


def _all_artefacts(run_dir: Path) -> dict[Path, int]:
    return _artefact_files(run_dir, [p for patterns in ARTEFACTS.values() for p in patterns])


def local_kernel_manager() -> type:
    """A kernel manager that talks to its kernel over local sockets in a folder of its own.

    Executed notebooks hold campaign data; IPC sockets are files only this user can open (and
    the kernel's "running over TCP without encryption" warning no longer alarms the analyst).
    Each kernel gets a private folder (``mkdtemp``, mode 0700) for its connection file and its
    sockets, removed when the kernel shuts down. Why: kernels started at the same moment (two
    runs, two test workers) must not collide. Over TCP two managers can pick the same free port
    before either kernel binds it; jupyter_client's own IPC default, ``kernel-ipc-<n>`` in the
    working directory, collides the same way (both managers see no ``-1`` file and take it).
    The tests start their kernels with this class too.
    """
    import shutil
    import tempfile

    from jupyter_client.manager import AsyncKernelManager
    from traitlets import CaselessStrEnum, default

    class LocalKernelManager(AsyncKernelManager):
        # IPC sockets exist on POSIX only; Windows keeps TCP on localhost
        transport = CaselessStrEnum(
            ["tcp", "ipc"], default_value="ipc" if os.name == "posix" else "tcp"
        )
        _private_dir = ""

        @default("connection_file")
        def _connection_file_in_a_private_dir(self) -> str:
            if self.transport != "ipc":
                return ""  # jupyter_client's default: a temporary file, free TCP ports
            self._private_dir = tempfile.mkdtemp(prefix="inkorg-kernel-")
            # the sockets are named after it: <dir>/kernel-ipc-<n>
            return os.path.join(self._private_dir, "kernel.json")

        def cleanup_ipc_files(self) -> None:
            super().cleanup_ipc_files()
            if self._private_dir and not os.path.exists(self.connection_file):  # not a restart
                shutil.rmtree(self._private_dir, ignore_errors=True)

    return LocalKernelManager


def _declared_parameters(notebook: Path) -> set[str]:
    import papermill as pm

    return set(pm.inspect_notebook(str(notebook)))


def _masked(text: str) -> str:
    from inkorg_kit.pnr import mask_in_text

    return mask_in_text(text)


def _masked_outputs(value: object) -> object:
    """Every text in a cell's outputs, masked (base64 images are left as they are)."""
    if isinstance(value, str):
        return _masked(value)
    if isinstance(value, list):
        return [_masked_outputs(item) for item in value]
    if isinstance(value, dict):
        return {k: v if k in _BINARY_MIME else _masked_outputs(v) for k, v in value.items()}
    return value


def privatise_executed(executed: Path) -> None:
    """Mask personnummer in an executed notebook's outputs and make it owner-only.

    Why: a failing cell's error value and traceback quote the data it choked on, and the
    executed copy is kept for reading the failure; it must not be a second list of numbers.
    """
    import nbformat

    if not executed.is_file():
        return
    try:
        notebook = nbformat.read(executed, as_version=nbformat.NO_CONVERT)
    except (OSError, ValueError):  # half-written by a kernel that died: keep it, owner-only
        executed.chmod(PRIVATE_FILE_MODE)
        return
    for cell in notebook.cells:
        if "outputs" in cell:
            cell["outputs"] = nbformat.from_dict(_masked_outputs(cell["outputs"]))
    write_private_text(executed, nbformat.writes(notebook))


def _last_started_cell(executed: Path) -> tuple[int | None, str]:
    """The ``In [n]`` and source of the last cell papermill started (for a kernel that died or
    a cell that timed out, where papermill does not say which). A cell whose kernel died at
    once has no count of its own: cells run in order, so it is the one after the last count."""
    import nbformat

    try:
        notebook = nbformat.read(executed, as_version=4)
    except (OSError, ValueError):
        return None, ""
    count, found = 0, (None, "")
    for cell in (c for c in notebook.cells if c.cell_type == "code"):
        if not cell.metadata.get("papermill", {}).get("start_time"):
            break
        count = cell.get("execution_count") or count + 1
        found = (count, cell.source)
    return found


def run_step(
    step: str,
    run_dir: Path,
    parameters: dict[str, object],
    *,
    output_dir: Path | None = None,
    progress: bool = True,
    timeout: float | None = None,
) -> Path:
    """Execute one notebook with the parameters it declares; raise StepFailed on error.

    ``timeout``: seconds a cell may run (None: no limit). The executed copy is masked and
    owner-only afterwards, whether the step succeeded or not.
    """
    import papermill as pm
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    notebook = NOTEBOOK_DIR / f"{step}.ipynb"
    if not notebook.exists():
        raise StepFailed(step, notebook, None, f"notebook {notebook} not found")
    declared = _declared_parameters(notebook)
    # papermill would only warn on an undeclared parameter; pass only what the notebook reads
    parameters = {k: v for k, v in parameters.items() if k in declared}
    executed = (
        ensure_private_dir(output_dir or run_dir / "notebooks", tighten=True) / f"{step}.ipynb"
    )
    failure: StepFailed | None = None
    try:
        pm.execute_notebook(
            str(notebook),
            str(executed),
            parameters=parameters,
            cwd=str(Path.cwd()),
            kernel_name="python3",
            progress_bar={"desc": step, "leave": True} if progress else False,
            kernel_manager_class=local_kernel_manager(),
            execution_timeout=timeout,
        )
    except PapermillExecutionError as error:
        hint = OVERRIDE_HINT if "override_reason" in str(error.evalue) else ""
        failure = StepFailed(
            step,
            executed,
            error.exec_count,
            f"{error.ename}: {error.evalue}",
            source=error.source,
            hint=hint,
        )
    except (DeadKernelError, CellTimeoutError) as error:
        count, source = _last_started_cell(executed)
        message = (
            KERNEL_DIED
            if isinstance(error, DeadKernelError)
            else CELL_TIMED_OUT.format(timeout=timeout or 0)
        )
        failure = StepFailed(step, executed, count, message, source=source)
    except NoSuchKernel as error:
        failure = StepFailed(
            step,
            executed,
            None,
            f"no Jupyter kernel named {error.args[0]!r}: install the project's kernel with"
            " `make install` (ipykernel install --sys-prefix --name python3)",
        )
    finally:
        privatise_executed(executed)
    if failure is not None:
        raise failure
    return executed


def ensure_archive_password(step: str = STEPS[2], env: str = PASSWORD_ENV) -> None:
    """Make sure the kernel of notebook 02 finds the archive password in ``env``.

    A kernel under papermill cannot prompt, so the command does: twice, on the terminal, and
    hands the password on through the environment the kernel inherits (never as a parameter,
    which papermill would write into the executed notebook). Without a terminal (cron) it
    stops before anything runs.
    """
    if os.environ.get(env, "").strip():
        return
    if not (sys.stdin is not None and sys.stdin.isatty()):
        raise UsageError(NO_PASSWORD.format(step=step, env=env))
    from inkorg_kit.recipients import PasswordError, archive_password

    try:  # recipients asks twice and checks the length, as notebook 02 in JupyterLab does
        os.environ[env] = archive_password(env, prompt=True, new=True)
    except PasswordError as error:
        raise UsageError(f"{error} Nothing was run.") from None


def chosen_steps(steps: Sequence[str]) -> tuple[str, ...]:
    """``steps`` in the campaign's order (each reads what the one before wrote), checked."""
    unknown = [s for s in steps if s not in STEPS]
    if unknown:
        raise UsageError(f"unknown step(s) {unknown}; choose from: {', '.join(STEPS)}")
    return tuple(s for s in STEPS if s in steps)


def run_campaign(
    campaign_file: Path,
    *,
    run_dir: Path | None = None,
    status_export: Path | None = None,
    simulate_status_export: bool = False,
    steps: Sequence[str] = STEPS,
    progress: bool = True,
    override_reason: str = "",
    exported_at: str = "",
    timeout: float | None = None,
) -> RunResult:
    """Run the campaign's steps in order into its run folder; stop at the first failure.

    Step 04 reads ``status_export``, else ``<run_dir>/status_export/`` as notebook 04 does.
    Without either, the whole campaign stops after 03 to wait for the export (exit 0), while
    a chosen set of steps with 04 in it stops before anything runs.
    """
    from inkorg_kit.campaign import load_campaign

    steps = chosen_steps(steps)
    campaign = load_campaign(campaign_file)
    run_dir = campaign.run_folder(run_dir)
    default_export = run_dir / STATUS_EXPORT_DIR
    if status_export is None and default_export.exists():
        status_export = default_export
    waiting = STEPS[4] in steps and status_export is None and not simulate_status_export
    if waiting and steps != STEPS:
        raise UsageError(NO_STATUS_EXPORT.format(step=STEPS[4], default=default_export))
    if STEPS[2] in steps:
        ensure_archive_password()
    ensure_private_dir(run_dir)
    before = _all_artefacts(run_dir)
    executed: dict[str, Path] = {}
    for step in steps:
        params: dict[str, object] = {"campaign_file": str(campaign_file), "run_dir": str(run_dir)}
        if step in OVERRIDE_STEPS and override_reason.strip():
            params["override_reason"] = override_reason
        if step == STEPS[4]:
            if simulate_status_export:
                from inkorg_kit import synth_status

                status_export = synth_status.write_status_export(run_dir, campaign)
            if status_export is None:
                print(
                    WAITING_FOR_EXPORT.format(
                        step=step, campaign=campaign_file, default=default_export
                    ),
                    file=sys.stderr,
                )
                break
            params["status_export"] = str(status_export)
            if exported_at:
                params["exported_at"] = exported_at
        executed[step] = run_step(step, run_dir, params, progress=progress, timeout=timeout)
    return RunResult(run_dir=run_dir, executed=executed, before=before)


def new_report_folder(reports: Path, now: dt.datetime | None = None) -> Path:
    """A folder of its own for this report run: ``<date>_<HHMMSS>``, with ``-2``, ``-3`` …
    when a run in the same second already made it (two runs never share one)."""
    now = now or dt.datetime.now(ZoneInfo("Europe/Stockholm"))
    stamp = now.strftime("%Y-%m-%d_%H%M%S")
    ensure_private_dir(reports)
    for number in range(1, 1000):
        folder = reports / (stamp if number == 1 else f"{stamp}-{number}")
        try:
            folder.mkdir(mode=PRIVATE_DIR_MODE)
        except FileExistsError:
            continue
        os.chmod(folder, PRIVATE_DIR_MODE)
        return folder
    raise UsageError(f"{reports} already has 999 report folders for {stamp}")


def run_report(
    campaign_file: Path,
    *,
    status_export: Path | None,
    run_dir: Path | None = None,
    exported_at: str = "",
    timeout: float | None = None,
) -> Path:
    """Notebook 04 into a dated folder (for nightly runs during a campaign); the HTML path."""
    from inkorg_kit.campaign import load_campaign

    campaign = load_campaign(campaign_file)
    run_dir = campaign.run_folder(run_dir)
    folder = new_report_folder(run_dir / "reports")
    params: dict[str, object] = {
        "campaign_file": str(campaign_file),
        "run_dir": str(run_dir),
        "report_dir": str(folder),
    }
    if status_export is not None:
        params["status_export"] = str(status_export)
    if exported_at:
        params["exported_at"] = exported_at
    run_step(STEPS[4], run_dir, params, output_dir=folder, progress=False, timeout=timeout)
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
            shown = repr(value) if value else "(blank)"
            print(f"  e.g. data row {int(first_row) + 1:,}: {shown} ({reason})")


def _print_result(result: RunResult) -> None:
    if STEPS[1] in result.executed:
        _print_funnel(result.run_dir)
    print(f"\nrun folder: {result.run_dir}")
    artefacts = result.artefacts()
    for label, path in artefacts.items():
        print(f"  {label:20s} {path}")
    if not artefacts:
        print("  (these steps wrote no recipient archive, send plan or report)")


def _minute(text: str) -> str:
    """argparse type for ``--exported-at``: a local time to the minute, checked here."""
    try:
        dt.datetime.strptime(text.strip(), TIME_FORMAT)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time as YYYY-MM-DD HH:MM (Swedish local time), e.g. "
            "'2027-03-23 06:30'"
        ) from None
    return text.strip()


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds above 0")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="inkorg-kit", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a campaign's notebooks 00-04 into out/<campaign>/")
    run.add_argument("campaign", type=Path, help="the campaign YAML")
    run.add_argument(
        "--status-export",
        type=Path,
        help=f"Personalverktyget's status export; default: <run dir>/{STATUS_EXPORT_DIR}/",
    )
    run.add_argument("--run-dir", type=Path, help="default: out/<campaign name>")
    run.add_argument("--steps", help=f"comma-separated subset of: {', '.join(STEPS)}")
    run.add_argument(
        "--override-reason",
        default="",
        metavar="TEXT",
        help="a written reason to go ahead despite guideline errors (steps 00 and 02; recorded)",
    )
    report = sub.add_parser("report", help="run notebook 04 into a dated folder (for cron)")
    report.add_argument("campaign", type=Path)
    report.add_argument("--status-export", type=Path)
    report.add_argument("--run-dir", type=Path)
    for command in (run, report):
        command.add_argument(
            "--exported-at",
            type=_minute,
            metavar='"YYYY-MM-DD HH:MM"',
            help="when the status export was taken (local time); default: its latest time",
        )
        command.add_argument(
            "--timeout",
            type=_seconds,
            metavar="SECONDS",
            help="stop a cell that runs longer than this (for unattended runs); default: none",
        )
    sub.add_parser("demo", help="the whole campaign on the bundled synthetic region")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            steps = STEPS
            if args.steps:
                steps = tuple(s.strip() for s in args.steps.split(",") if s.strip())
                try:
                    steps = chosen_steps(steps)
                except UsageError as error:
                    parser.error(str(error))
            _print_result(
                run_campaign(
                    args.campaign,
                    run_dir=args.run_dir,
                    status_export=args.status_export,
                    steps=steps,
                    override_reason=args.override_reason,
                    exported_at=args.exported_at or "",
                    timeout=args.timeout,
                )
            )
        elif args.command == "report":
            path = run_report(
                args.campaign,
                status_export=args.status_export,
                run_dir=args.run_dir,
                exported_at=args.exported_at or "",
                timeout=args.timeout,
            )
            print(f"report: {path}")
        else:
            _print_result(run_demo())
    except StepFailed as failure:
        print(f"inkorg-kit: {failure}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as error:
        print(f"inkorg-kit: {_masked(str(error))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("inkorg-kit: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
