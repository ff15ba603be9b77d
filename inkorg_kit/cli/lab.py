"""``inkorg-kit lab campaign.yaml``: JupyterLab on one's own campaign.

Every notebook opens with that campaign preset, without editing a parameters cell: the
notebooks' ``campaign_file = ""`` means the campaign in the environment variable
:data:`~inkorg_kit.steps.parameters.CAMPAIGN_ENV`, which this command sets for the server and so
for every kernel it starts (papermill and ``inkorg-kit run`` always pass ``campaign_file``).
The file browser opens at the campaign's folder (the campaign, the extract, ``out/``); the
kit's notebooks are copied into its ``notebooks/`` (see :func:`copy_notebooks`); every kernel
starts in the campaign folder (:mod:`inkorg_kit.cli.lab_kernels`), so relative paths count from
there as they do for ``inkorg-kit run`` started in it. As root (a container) JupyterLab is told
to allow it.

Why copies and not the kit's own files: JupyterLab saves a notebook with its outputs (counts,
masked values of the campaign's people); they belong in the campaign's folder, owner-only, not
in the installed kit, shared and possibly under version control.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from inkorg_kit._files import ensure_private_dir, write_private_text
from inkorg_kit.cli import runner
from inkorg_kit.config.campaign import load_campaign
from inkorg_kit.errors import UsageError
from inkorg_kit.steps.parameters import CAMPAIGN_ENV

__all__ = [
    "KERNEL_MANAGER_CLASS",
    "LabLaunch",
    "copy_notebooks",
    "lab_command",
    "prepare_lab",
]

#: The kernel manager that starts every kernel in the served folder (imported by the server).
KERNEL_MANAGER_CLASS = "inkorg_kit.cli.lab_kernels.CampaignKernelManager"
#: The campaign folder's copy of the kit's notebooks.
NOTEBOOKS_FOLDER = "notebooks"
#: Notebook metadata key: the kit's cell sources a copy was made from (a hash), to tell a copy
#: the analyst edited from one an older kit made.
METADATA_KEY = "inkorg_kit"

# Messages, in Swedish as the analyst reads them.
NO_CAMPAIGN_FILE = "kampanjfilen {path} finns inte; ange sökvägen till din campaign.yaml"
NO_FOLDER = "mappen {path} finns inte"
COPIED = "kopierade kitets notebooks till {folder}/"
UPDATED = "uppdaterade {path} till kitets version"
KEPT_EDITED = (
    "{path} är ändrad av dig och skiljer sig från kitets version; den används som den är"
    " (ta bort den för att få kitets)"
)
UNREADABLE = "{path} går inte att läsa som notebook; den lämnas som den är"
STARTING = (
    "JupyterLab startar i {folder}\n"
    "  kampanj: {campaign}\n"
    "  notebooks: {notebooks}/\n"
    "Stäng med Ctrl-C (två gånger)."
)
NO_PRESET = "ingen kampanj förvald: notebooks utan campaign_file kör demokampanjen"


@dataclass(frozen=True)
class LabLaunch:
    """How ``jupyter lab`` is started for a campaign: where, with which options and variables."""

    folder: Path  # served, and where every kernel starts
    campaign: Path | None  # preset for every notebook (None: the notebooks' demo default)
    notebooks: Path  # the notebooks the file browser shows
    arguments: tuple[str, ...]  # options to ``jupyter lab``
    environment: dict[str, str] = field(default_factory=dict)  # set on top of this process's
    notes: tuple[str, ...] = ()  # what was done to the notebook copies, for the console

    def command(self) -> list[str]:
        return [sys.executable, "-m", "jupyterlab", *self.arguments]

    def env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """The server's environment: ``base`` (this process's) with :attr:`environment`, and
        without a preset campaign left over from the shell when none was given."""
        env = dict(os.environ if base is None else base)
        env.pop(CAMPAIGN_ENV, None)
        env.update(self.environment)
        return env


def _sources_hash(notebook: Mapping) -> str:
    """A hash of a notebook's cells (type and source, outputs and ids left out)."""
    cells = [
        [cell.get("cell_type"), "".join(cell.get("source") or "")]
        for cell in notebook.get("cells", [])
    ]
    return hashlib.sha256(json.dumps(cells, ensure_ascii=False).encode("utf-8")).hexdigest()


def _write_copy(kit: dict, path: Path, sources: str) -> None:
    copy = dict(kit)
    copy["metadata"] = {**kit.get("metadata", {}), METADATA_KEY: {"kit_sources": sources}}
    write_private_text(path, json.dumps(copy, ensure_ascii=False, indent=1) + "\n")


def copy_notebooks(kit_dir: Path, target: Path) -> list[str]:
    """The kit's notebooks (``kit_dir``) in ``target`` (made owner-only): each one that is
    missing is copied; a copy nobody edited that an older kit made is replaced by the kit's
    version; a copy the analyst edited is kept (and said so). Returns what was done, as
    Swedish lines for the console.
    """
    ensure_private_dir(target)
    notes: list[str] = []
    copied = False
    for source in sorted(kit_dir.glob("*.ipynb")):
        kit = json.loads(source.read_text(encoding="utf-8"))
        kit_sources = _sources_hash(kit)
        path = target / source.name
        if not path.exists():
            _write_copy(kit, path, kit_sources)
            copied = True
            continue
        try:
            copy = json.loads(path.read_text(encoding="utf-8"))
            own = _sources_hash(copy)
            made_from = copy.get("metadata", {}).get(METADATA_KEY, {}).get("kit_sources")
        except (OSError, ValueError, AttributeError):
            notes.append(UNREADABLE.format(path=path))
            continue
        if own == kit_sources:
            continue
        if own == made_from:
            _write_copy(kit, path, kit_sources)
            notes.append(UPDATED.format(path=path))
        else:
            notes.append(KEPT_EDITED.format(path=path))
    if copied:
        notes.insert(0, COPIED.format(folder=target))
    return notes


def prepare_lab(campaign: Path | None, *, folder: Path | None = None) -> LabLaunch:
    """Check the campaign (it must load), copy the notebooks into the folder, and say how
    JupyterLab is started; nothing is started here.

    ``folder``: what JupyterLab serves and where kernels start; default the campaign file's
    folder (without a campaign: the current folder). Raises :class:`UsageError` (or the
    campaign's own error) before anything is written.
    """
    preset: Path | None = None
    if campaign is not None:
        runner.refuse_personnummer({"kampanjfilen": campaign})
        preset = Path(campaign).expanduser().resolve()
        if not preset.is_file():
            raise UsageError(NO_CAMPAIGN_FILE.format(path=campaign))
        load_campaign(preset)  # a campaign that does not load stops here, not in each notebook
    served = Path(folder or (preset.parent if preset else Path.cwd())).expanduser().resolve()
    if not served.is_dir():
        raise UsageError(NO_FOLDER.format(path=served))
    runner.refuse_personnummer({"mappen": served})
    kit_dir = Path(runner.NOTEBOOK_DIR).resolve()
    notebooks = served / NOTEBOOKS_FOLDER
    notes: list[str] = []
    if notebooks.resolve() != kit_dir:  # the checkout itself serves its own notebooks
        notes = copy_notebooks(kit_dir, notebooks)
    arguments = [
        f"--ServerApp.root_dir={served}",
        f"--ServerApp.kernel_manager_class={KERNEL_MANAGER_CLASS}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        arguments.append("--allow-root")  # JupyterLab refuses root without it
    environment = {CAMPAIGN_ENV: str(preset)} if preset else {}
    return LabLaunch(served, preset, notebooks, tuple(arguments), environment, tuple(notes))


def lab_command(campaign: Path | None, *, folder: Path | None = None) -> int:
    """``inkorg-kit lab [campaign.yaml]``: JupyterLab on the campaign (see the module), until it
    is stopped; its exit code. Ctrl-C reaches JupyterLab, which asks and then stops its kernels
    itself; this process waits for it."""
    launch = prepare_lab(campaign, folder=folder)
    for note in launch.notes:
        print(note)
    print(
        STARTING.format(
            folder=launch.folder,
            campaign=launch.campaign or NO_PRESET,
            notebooks=launch.notebooks,
        )
    )
    process = subprocess.Popen(launch.command(), cwd=launch.folder, env=launch.env())
    while True:
        try:
            return process.wait()
        except KeyboardInterrupt:
            continue  # JupyterLab got it too, and decides
