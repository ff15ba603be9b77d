"""Running a campaign's steps: each notebook through papermill into the run folder, in order,
stopping at the first failure with where it happened (the notebook, the cell, the line that
raised). A parameter a notebook does not declare is refused before anything runs.

Why apart from the argument parsing: the runner is what tests, schedulers and the demo call;
the parser only turns a command line into these calls.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import papermill as pm
from jupyter_client.kernelspec import NoSuchKernel
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from papermill.exceptions import PapermillExecutionError

from inkorg_kit import vocab
from inkorg_kit._files import PRIVATE_DIR_MODE, ensure_private_dir
from inkorg_kit.cli.executed import last_started_cell, masked, privatise_executed, raising_line
from inkorg_kit.cli.kernels import local_kernel_manager
from inkorg_kit.config.campaign import load_campaign
from inkorg_kit.demo import region as build_region
from inkorg_kit.demo.outcomes import write_outcome_extract
from inkorg_kit.demo.status_export import write_status_export
from inkorg_kit.errors import InkorgError, UsageError
from inkorg_kit.privacy import find_in_text
from inkorg_kit.recipients import PasswordError, archive_password
from inkorg_kit.run import ARTEFACTS, STEP_NAMES
from inkorg_kit.steps.parameters import unknown_parameters_message

__all__ = [
    "RunResult",
    "StepFailed",
    "check_parameters",
    "chosen_steps",
    "ensure_archive_password",
    "kernel_environment",
    "new_report_folder",
    "refuse_personnummer",
    "run_campaign",
    "run_demo",
    "run_report",
    "run_step",
    "write_demo_campaign",
]

PACKAGE_DIR = Path(__file__).resolve().parents[1]
REPO_ROOT = PACKAGE_DIR.parent
#: Where a built wheel carries the repository's ``notebooks/`` and ``params/`` (copied there by
#: ``build_hooks.py`` at build time; a checkout or an editable install has no such folder).
BUNDLED_DIR = PACKAGE_DIR / "_bundled"


def kit_folder(name: str) -> Path:
    """The kit's ``notebooks`` or ``params`` folder: the installed wheel's copy, else the
    checkout's. Why both: ``pip install`` of the wheel must run anywhere (issue 12), while an
    editable install reads the files being edited."""
    bundled = BUNDLED_DIR / name
    return bundled if bundled.is_dir() else REPO_ROOT / name


NOTEBOOK_DIR = kit_folder("notebooks")
PARAMS_DIR = kit_folder("params")
DEMO_CAMPAIGN = PARAMS_DIR / "demo" / "campaign.yaml"
#: the demo writes its region, and its campaign beside it, here: under the working folder
DEMO_REGION_DIR = Path("out") / "demo"
DEMO_CAMPAIGN_FILE = "campaign.yaml"
#: the demo campaign's source line, and what it says in the copy beside the region
DEMO_SOURCE_LINE = re.compile(r"^(  source: )\S+.*$", re.M)
DEMO_SOURCE_COPY = r"\g<1>extract.csv  # beside this file (inkorg-kit demo writes both)"
#: the demo campaign's outcome source line (``followup.outcome.source``), and the copy's
DEMO_OUTCOME_LINE = re.compile(r"^(    source: )\S*outcomes\.csv.*$", re.M)
DEMO_OUTCOME_COPY = r"\g<1>outcomes.csv  # beside this file (inkorg-kit demo writes both)"
# Notebook 02's default ``password_env``: the variable the kernel reads the archive password from.
PASSWORD_ENV = vocab.PASSWORD_ENV
DEMO_PASSWORD_ENV = PASSWORD_ENV
# Only for the synthetic demo, so that `make demo` runs unattended. It is documented in the
# README; real campaigns set their own password in the environment or are prompted for it.
DEMO_PASSWORD = "inkorg-demo-endast-syntetiskt"
STATUS_EXPORT_DIR = ARTEFACTS["status_export_dir"].path.rstrip("/")  # notebook 04's default
TIME_FORMAT = "%Y-%m-%d %H:%M"

STEPS = STEP_NAMES
OVERRIDE_STEPS = (STEPS[0], STEPS[2])  # the notebooks with an ``override_reason`` parameter
PASSWORD_STEP = STEPS[2]  # the only step whose kernel gets the archive password

# What the analyst reads or hands on, by the label the console shows (any campaign name).
HANDED_ON = {
    "kampanjkontroll": "campaign_check_md",
    "mottagararkiv": "archive",
    "manifest": "manifest_csv",
    "sändplan": "send_plan_csv",
    "sändplan kalender": "send_plan_ics",
    "rapport": "report_html",
}
REPORTS_DIR = "reports"  # `inkorg-kit report` writes each run into reports/<date>_<time>/


def _patterns(key: str) -> tuple[str, ...]:
    pattern = ARTEFACTS[key].path.replace("{campaign}", "*")
    return (f"{REPORTS_DIR}/*/{pattern}", pattern) if key == "report_html" else (pattern,)


# Messages, kept apart from the logic: Swedish, as the analyst reads them (option names as
# typed).
NOTHING_RUN = "Inget kördes."
NO_STATUS_EXPORT = (
    "steg {step} behöver Personalverktygets statusexport: ange --status-export FIL (en fil, eller"
    " en mapp med filerna över skickade och misslyckade), eller lägg exporten i {default}/"
)
WAITING_FOR_EXPORT = (
    "steg {step} väntar på en statusexport från Personalverktyget; kör efter utskicket:"
    " inkorg-kit report {campaign} --status-export FIL (eller lägg exporten i {default}/)"
)
NO_PASSWORD = (
    "inget lösenord till arkivet för steg {step}: miljövariabeln {env} är inte satt och det finns"
    " ingen terminal att fråga på. Sätt den före körningen, t.ex. `read -rs {env} && export"
    " {env}`; den tas aldrig från en parameter. " + NOTHING_RUN
)
OVERRIDE_HINT = (
    'med inkorg-kit: kör om med --override-reason "ett skriftligt skäl" för att gå vidare trots'
    " felen mot riktlinjerna (skälet sparas i kontrollrapporten och i manifestet)"
)
KERNEL_DIED = (
    "notebookens Python-kärna dog (slut på minne, eller stoppad); inget efter den här cellen kördes"
)
CELL_TIMED_OUT = "cellen körde längre än --timeout {timeout:g} s och avbröts"
NOTEBOOK_MISSING = "notebooken {notebook} finns inte"
NO_KERNEL = (
    "ingen Jupyter-kärna med namnet {name!r}: installera projektets kärna med `make install`"
    " (ipykernel install --sys-prefix --name python3)"
)
NO_HTML_REPORT = "ingen HTML-rapport skrevs"
UNKNOWN_STEPS = "okänt steg {unknown}; välj bland: {steps}"
TOO_MANY_REPORTS = "{reports} har redan 999 rapportmappar för {stamp}"
REGION_WRITTEN = "syntetisk region skriven till {folder}/ ({summary})"
PERSONNUMMER_IN_PARAMETER = (
    "{shown} innehåller personnummer: varje parameter skrivs in i den körda notebooken (dess"
    " parametercell och metadata), så den får inte peka ut en person. Skriv den utan numret"
    " (en ärende- eller filreferens i stället; byt namn på en fil eller mapp vars namn har ett). "
    + NOTHING_RUN
)


class StepFailed(InkorgError, RuntimeError):
    """A notebook failed; carries where: the step, the cell (``In [n]``) and, when the kernel
    said (a traceback), the line in the cell that raised (``line``: its number and text), else
    the cell's first line; so the message can say it plainly. Every text in it is masked."""

    def __init__(
        self,
        step: str,
        executed: Path,
        cell: int | None,
        message: str,
        *,
        source: str = "",
        hint: str = "",
        line: tuple[int, str] | None = None,
    ) -> None:
        self.step, self.executed, self.cell = step, executed, cell
        self.message = masked(message)
        lines = [text.strip() for text in (source or "").splitlines() if text.strip()]
        self.first_line = masked(lines[0][:100]) if lines else ""
        self.line = (line[0], masked(line[1])) if line else None
        self.hint = hint
        if cell is None:
            where = "vid starten"
        elif self.line:
            where = f"i In [{cell}], rad {self.line[0]}" + (
                f": {self.line[1]}" if self.line[1] else ""
            )
        else:
            where = f"i In [{cell}]" + (
                f", cellen som börjar: {self.first_line}" if self.first_line else ""
            )
        text = (
            f"steg {step} misslyckades {where}\n  {self.message}"
            f"\n  den körda notebooken: {executed}"
        )
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
        for label, key in HANDED_ON.items():
            written = [
                path
                for path, mtime in _artefact_files(self.run_dir, _patterns(key)).items()
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
    return _artefact_files(run_dir, [p for key in HANDED_ON.values() for p in _patterns(key)])


def _declared_parameters(notebook: Path) -> dict[str, object]:
    """The parameters ``notebook`` declares, in its order (papermill reads its parameters cell)."""
    return dict(pm.inspect_notebook(str(notebook)))


def _texts(value: object) -> list[str]:
    """Every text in a parameter's value (containers opened, keys too; numbers as written)."""
    if value is None or isinstance(value, bool):
        return []
    if isinstance(value, Mapping):
        return [t for k, v in value.items() for t in (*_texts(k), *_texts(v))]
    if isinstance(value, (list, tuple, set, frozenset)):
        return [t for item in value for t in _texts(item)]
    return [os.fspath(value) if isinstance(value, os.PathLike) else str(value)]


def refuse_personnummer(values: Mapping[str, object]) -> None:
    """Raise :class:`UsageError` when a parameter's value (text, path, number or a container
    of them) holds a personnummer in any shape; the error names each such parameter and shows
    its value masked.

    Why: papermill writes every parameter in full into the executed notebook (the injected
    parameters cell and ``metadata.papermill.parameters``) and its paths into its metadata;
    an override reason or a file name that names a person would make the kept notebook a
    record of that person. Refused before anything runs (the executed notebook is masked too,
    as a second line of defence).
    """
    found: dict[str, str] = {}
    for name, value in values.items():
        for text in _texts(value):
            hits = find_in_text(text)
            if hits:
                found.setdefault(name, masked(text)[:120])
    if found:
        shown = ", ".join(f"{name} ({text!r})" for name, text in found.items())
        raise UsageError(PERSONNUMMER_IN_PARAMETER.format(shown=shown))


def check_parameters(step: str, names: Sequence[str], notebook: Path | None = None) -> None:
    """Raise :class:`UsageError` when ``names`` hold a parameter that ``step``'s notebook does
    not declare: naming it, a close declared name, and every declared one.

    Why: papermill only warns about an undeclared parameter and runs on with the notebook's
    default, so a misspelt name would silently run something else (the demo campaign, say).
    """
    notebook = notebook or NOTEBOOK_DIR / f"{step}.ipynb"
    declared = list(_declared_parameters(notebook))
    unknown = [name for name in names if name not in declared]
    if unknown:
        raise UsageError(
            unknown_parameters_message(f"notebook {step}", unknown, declared, NOTHING_RUN)
        )


def kernel_environment(step: str, password: str | None = None) -> dict[str, str]:
    """The environment ``step``'s kernel starts with: this process's, without the archive
    password (:data:`PASSWORD_ENV`), which only step 02's kernel gets: ``password`` if given,
    else this process's own value.

    Why: a kernel runs the notebook's code and anything it imports; only step 02 packs the
    archive, so only its kernel needs the key (least privilege), and the steps that read a
    status export or draw a report never hold it.
    """
    env = {k: v for k, v in os.environ.items() if k != PASSWORD_ENV}
    if step == PASSWORD_STEP:
        value = password or os.environ.get(PASSWORD_ENV, "")
        if value:
            env[PASSWORD_ENV] = value
    return env


def run_step(
    step: str,
    run_dir: Path,
    parameters: dict[str, object],
    *,
    output_dir: Path | None = None,
    progress: bool = True,
    timeout: float | None = None,
    password: str | None = None,
) -> Path:
    """Execute one notebook with ``parameters``; raise StepFailed on error (naming the cell and
    the line that raised).

    A parameter the notebook does not declare is refused (:class:`UsageError`, naming the
    declared ones) before the kernel starts (:func:`check_parameters`).

    ``timeout``: seconds a cell may run (None: no limit). The executed copy is masked and
    owner-only afterwards, whether the step succeeded or not. A parameter (or the run folder's
    path) that holds a personnummer is refused before the kernel starts
    (:func:`refuse_personnummer`). The kernel's environment is this process's without the
    archive password, except for step 02, which gets ``password`` (else this process's
    :data:`PASSWORD_ENV`): see :func:`kernel_environment`.
    """
    notebook = NOTEBOOK_DIR / f"{step}.ipynb"
    if not notebook.exists():
        raise StepFailed(step, notebook, None, NOTEBOOK_MISSING.format(notebook=notebook))
    check_parameters(step, list(parameters), notebook)  # papermill would only warn
    refuse_personnummer({"run_dir": run_dir, "output_dir": output_dir, **parameters})
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
            kernel_manager_class=local_kernel_manager(env=kernel_environment(step, password)),
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
            line=raising_line(error.traceback or [], error.exec_count, error.source),
        )
    except (DeadKernelError, CellTimeoutError) as error:
        count, source = last_started_cell(executed)
        message = (
            KERNEL_DIED
            if isinstance(error, DeadKernelError)
            else CELL_TIMED_OUT.format(timeout=timeout or 0)
        )
        failure = StepFailed(step, executed, count, message, source=source)
    except NoSuchKernel as error:
        failure = StepFailed(step, executed, None, NO_KERNEL.format(name=error.args[0]))
    finally:
        privatise_executed(executed)
    if failure is not None:
        raise failure
    return executed


def ensure_archive_password(step: str = PASSWORD_STEP, env: str = PASSWORD_ENV) -> str:
    """The archive password for notebook 02's kernel: from ``env``, else asked for.

    A kernel under papermill cannot prompt, so the command does: twice, on the terminal. The
    password is handed on through the environment of step 02's kernel only (never as a
    parameter, which papermill would write into the executed notebook; never to the other
    steps' kernels, nor into this process's environment). Without a terminal (cron) it stops
    before anything runs.
    """
    value = os.environ.get(env, "")
    if value.strip():
        return value
    if not (sys.stdin is not None and sys.stdin.isatty()):
        raise UsageError(NO_PASSWORD.format(step=step, env=env))
    try:  # recipients asks twice and checks the length, as notebook 02 in JupyterLab does
        return archive_password(env, prompt=True, new=True)
    except PasswordError as error:
        raise UsageError(f"{error} {NOTHING_RUN}") from None


def chosen_steps(steps: Sequence[str]) -> tuple[str, ...]:
    """``steps`` in the campaign's order (each reads what the one before wrote), checked."""
    unknown = [s for s in steps if s not in STEPS]
    if unknown:
        raise UsageError(UNKNOWN_STEPS.format(unknown=unknown, steps=", ".join(STEPS)))
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
    password: str | None = None,
) -> RunResult:
    """Run the campaign's steps in order into its run folder; stop at the first failure.

    Step 04 reads ``status_export``, else ``<run_dir>/status_export/`` as notebook 04 does.
    Without either, the whole campaign stops after 03 to wait for the export (exit 0), while
    a chosen set of steps with 04 in it stops before anything runs. ``password``: the archive
    password for step 02 (default: :data:`PASSWORD_ENV`, or asked for on a terminal); only
    step 02's kernel gets it. An argument holding a personnummer, or a parameter a step's
    notebook does not declare, is refused before anything runs (:func:`refuse_personnummer`,
    :func:`check_parameters`).
    """
    steps = chosen_steps(steps)

    def parameters(step: str, export: Path | None) -> dict[str, object]:
        params: dict[str, object] = {"campaign_file": str(campaign_file), "run_dir": str(run_dir)}
        if step in OVERRIDE_STEPS and override_reason.strip():
            params["override_reason"] = override_reason
        if step == STEPS[4]:
            params["status_export"] = str(export)
            if exported_at:
                params["exported_at"] = exported_at
        return params

    for step in steps:  # every step's names, before the first one runs
        if (NOTEBOOK_DIR / f"{step}.ipynb").exists():
            check_parameters(step, list(parameters(step, status_export)))
    refuse_personnummer(
        {
            "campaign": campaign_file,
            "--run-dir": run_dir,
            "--status-export": status_export,
            "--override-reason": override_reason,
            "--exported-at": exported_at,
        }
    )
    campaign = load_campaign(campaign_file)
    run_dir = campaign.run_folder(run_dir)
    refuse_personnummer({"körmappen": run_dir})
    default_export = run_dir / STATUS_EXPORT_DIR
    if status_export is None and default_export.exists():
        status_export = default_export
    waiting = STEPS[4] in steps and status_export is None and not simulate_status_export
    if waiting and steps != STEPS:
        raise UsageError(NO_STATUS_EXPORT.format(step=STEPS[4], default=default_export))
    if PASSWORD_STEP in steps and not password:
        password = ensure_archive_password()
    ensure_private_dir(run_dir)
    before = _all_artefacts(run_dir)
    executed: dict[str, Path] = {}
    for step in steps:
        if step == STEPS[4]:
            if simulate_status_export:
                status_export = write_status_export(run_dir, campaign)
                write_outcome_extract(run_dir, campaign)  # the demo's bookings, if it has them
            if status_export is None:
                print(
                    WAITING_FOR_EXPORT.format(
                        step=step, campaign=campaign_file, default=default_export
                    ),
                    file=sys.stderr,
                )
                break
        executed[step] = run_step(
            step,
            run_dir,
            parameters(step, status_export),
            progress=progress,
            timeout=timeout,
            password=password if step == PASSWORD_STEP else None,
        )
    return RunResult(run_dir=run_dir, executed=executed, before=before)


def new_report_folder(reports: Path, now: dt.datetime | None = None) -> Path:
    """A folder of its own for this report run: ``<date>_<HHMMSS>``, with ``-2``, ``-3`` …
    when a run in the same second already made it (two runs never share one)."""
    now = now or dt.datetime.now(vocab.TIME_ZONE)
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
    raise UsageError(TOO_MANY_REPORTS.format(reports=reports, stamp=stamp))


def run_report(
    campaign_file: Path,
    *,
    status_export: Path | None,
    run_dir: Path | None = None,
    exported_at: str = "",
    timeout: float | None = None,
) -> Path:
    """Notebook 04 into a dated folder (for nightly runs during a campaign); the HTML path.

    An argument holding a personnummer is refused before anything runs."""
    refuse_personnummer(
        {
            "campaign": campaign_file,
            "--run-dir": run_dir,
            "--status-export": status_export,
            "--exported-at": exported_at,
        }
    )
    campaign = load_campaign(campaign_file)
    run_dir = campaign.run_folder(run_dir)
    refuse_personnummer({"körmappen": run_dir})
    folder = new_report_folder(run_dir / REPORTS_DIR)
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
        raise StepFailed(STEPS[4], folder / f"{STEPS[4]}.ipynb", None, NO_HTML_REPORT)
    return reports[-1]


def write_demo_campaign(folder: Path) -> Path:
    """The demo campaign (:data:`DEMO_CAMPAIGN`) copied into ``folder``, beside the region's
    extract, with its ``target.source`` made ``extract.csv`` and its outcome extract
    ``outcomes.csv`` (both written there by the demo); the copy's path.

    Why a copy: a campaign's paths count from its file's folder, and the kit's own copy may be
    in an installed package, far from the working folder's ``out/demo/``; beside the extract,
    the copy runs from anywhere (``inkorg-kit run out/demo/campaign.yaml``, ``inkorg-kit lab``).
    """
    text, replaced = DEMO_SOURCE_LINE.subn(
        DEMO_SOURCE_COPY, DEMO_CAMPAIGN.read_text(encoding="utf-8"), count=1
    )
    if not replaced:  # pragma: no cover - the demo campaign is the kit's own
        raise UsageError(f"{DEMO_CAMPAIGN}: no target.source line to point at the extract")
    text, replaced = DEMO_OUTCOME_LINE.subn(DEMO_OUTCOME_COPY, text, count=1)
    if not replaced:  # pragma: no cover - the demo campaign is the kit's own
        raise UsageError(f"{DEMO_CAMPAIGN}: no followup.outcome.source line for the bookings")
    copy = folder / DEMO_CAMPAIGN_FILE
    copy.write_text(text, encoding="utf-8")
    return copy


def run_demo(*, progress: bool = True) -> RunResult:
    """The whole campaign on the synthetic region: region → 00 … 04 with a simulated export.

    The archive password is :data:`PASSWORD_ENV` if set, else the demo's own (given to step
    02's kernel only)."""
    password = os.environ.get(DEMO_PASSWORD_ENV, "")
    region = build_region()
    region.write(DEMO_REGION_DIR)
    campaign = write_demo_campaign(DEMO_REGION_DIR)
    print(REGION_WRITTEN.format(folder=DEMO_REGION_DIR, summary=region.summary_line()))
    return run_campaign(
        campaign,
        simulate_status_export=True,
        progress=progress,
        password=password if password.strip() else DEMO_PASSWORD,
    )
