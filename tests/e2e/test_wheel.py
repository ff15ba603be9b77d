"""The kit as an analyst installs it: the README's install block (build the wheel, a fresh
virtual environment, ``pip install`` of the wheel), then an own campaign in a folder outside
the checkout: ``inkorg-kit init``, an ``.xlsx`` extract with title rows, Swedish headers and
mixed personnummer shapes, ``inkorg-kit run`` 00 → 03, and the recipients checked against a
count made without the kit; and ``inkorg-kit demo`` and ``report`` from an empty folder.

Why a fresh environment: the project's own ``.venv`` has an editable install, which reads the
checkout's notebooks and params; only a plain environment with the wheel alone shows that the
wheel carries what the commands need. The wheel is built from a copy of the sources (a build
writes ``build/`` beside them) with the same package index the project uses; HOME is a
temporary folder, so no user-level kernel or setting of this machine's helps.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from support import REPO, assert_no_personnummer
from support.demo import BIN
from support.own_campaign import (
    LAST_CONTACT_DAYS,
    SEND_DAY,
    UNIT,
    apply_edits,
    expected_recipients,
    recipients_in,
    write_flu_extract,
)

from inkorg_kit.vocab import PASSWORD_ENV

pytestmark = pytest.mark.slow

#: what a build needs from the checkout (MANIFEST.in names the same for an sdist)
SOURCES = ("pyproject.toml", "README.md", "MANIFEST.in", "build_hooks.py")
SOURCE_DIRS = ("inkorg_kit", "notebooks", "params")
STEPS_00_TO_03 = "00_campaign_check,01_target_group,02_recipient_files,03_reach_and_send_plan"
PASSWORD = "ett-eget-losenord-i-wheel-testet"
#: the flu campaign's answers to the order (the keys the template leaves open or that change)
EDITS = {
    "title": "Erbjudande om influensavaccination, Vårdcentralen Norrby",
    "unit": {"name": "Vårdcentralen Norrby", "hsa_id": UNIT},
    "case_handlers": ["Lena Holm", "Amir Haddad"],
    "message": {
        "title": "Dags för influensavaccination",
        "purpose": "Du är 65 år eller äldre. Vi erbjuder dig vaccination mot säsongsinfluensa.",
        "answer_use": "Svara med vilka dagar som passar dig; svaret används bara för att boka.",
        "contact": "Vårdcentralen Norrby, telefon 08-465 004 30, vardagar 08.00–16.00.",
    },
    "category": "vaccination",
    "relation": {"basis": "vaccination"},
    "planned_send_start": f"{SEND_DAY} 09:00",
    "target": {
        "source": "uttag.xlsx",
        "units": [UNIT],
        "age": {"min": 65, "max": None},
        "diagnosis_prefixes": [],
        "last_contact_within_days": LAST_CONTACT_DAYS,
    },
}


@dataclass(frozen=True)
class Installed:
    home: Path  #: HOME for every command (the README's ``~``)
    bin: Path  #: the fresh environment's ``bin/``
    env: Mapping[str, str]

    def run(
        self, args: list[str], cwd: Path, extra: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args,
            cwd=cwd,
            env={**self.env, **(extra or {})},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )


def _install_block() -> list[str]:
    section = (REPO / "README.md").read_text(encoding="utf-8").split("## Din egen kampanj", 1)[1]
    (block,) = [b for b in re.findall(r"```sh\n(.*?)```", section, re.S) if "pip wheel" in b]
    return [line.split("  #", 1)[0].strip() for line in block.strip().splitlines()]


def _clean_env(home: Path) -> dict[str, str]:
    """This process's environment as a new user's shell has it: HOME elsewhere, no archive
    password, no Python or Jupyter settings of this machine, no virtual environment active."""
    drop = ("PYTHON", "JUPYTER", "VIRTUAL_ENV", "PIP_CONFIG_FILE", PASSWORD_ENV)
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    path = [p for p in env.get("PATH", "").split(os.pathsep) if Path(p) != BIN]
    return {**env, "HOME": str(home), "PATH": os.pathsep.join(path)}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The README's install block, run in a copy of the sources with HOME in a temporary
    folder: the wheel built, a fresh environment made and the wheel installed into it."""
    root = tmp_path_factory.mktemp("wheel")
    home, source = root / "home", root / "inkorg-kit"
    home.mkdir()
    # the package index the project uses (a user's pip.conf lives under HOME)
    for config in (Path.home() / ".config" / "pip", Path.home() / ".pip"):
        if config.is_dir():
            shutil.copytree(config, home / config.relative_to(Path.home()))
    source.mkdir()
    for name in SOURCES:
        shutil.copy2(REPO / name, source / name)
    for name in SOURCE_DIRS:
        shutil.copytree(
            REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )

    lines = _install_block()
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert any(f"inkorg_kit-{version}-py3-none-any.whl" in line for line in lines), lines
    base_python = getattr(sys, "_base_executable", sys.executable)
    script = "\n".join(
        line.replace(".venv/bin/", f"{BIN}/").replace("python3 -m venv", f"{base_python} -m venv")
        for line in lines
    )
    env = _clean_env(home)
    done = subprocess.run(
        ["bash", "-c", "set -euo pipefail\n" + script],
        cwd=source,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, f"{script}\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    venv = home / "inkorg-kit"
    assert not list(venv.glob("lib/python*/site-packages/__editable__*")), "not the wheel"
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"  # the README's export line
    return Installed(home, venv / "bin", env)


def test_the_wheel_carries_the_notebooks_and_params_and_runs_from_them(
    installed: Installed, tmp_path: Path
) -> None:
    done = installed.run(
        [
            "python",
            "-c",
            "import inkorg_kit.cli.runner as r; print(r.__file__); print(r.NOTEBOOK_DIR);"
            " print(r.DEMO_CAMPAIGN)",
        ],
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    module, notebooks, demo = (Path(line) for line in done.stdout.split())
    assert module.is_relative_to(installed.bin.parent), module  # the wheel, not the checkout
    assert notebooks.is_relative_to(installed.bin.parent) and demo.is_file()
    assert len(list(notebooks.glob("0*.ipynb"))) == 5
    assert (notebooks / "planner.ipynb").is_file()  # inkorg-kit planner's page
    template = module.parent / "jupyter" / "voila" / "templates" / "inkorg" / "index.html.j2"
    assert template.is_file(), "the wheel lacks the planner's Voilà template"


def test_an_own_campaign_runs_00_to_03_with_the_installed_kit(
    installed: Installed, tmp_path: Path
) -> None:
    work = tmp_path / "kampanjer"
    work.mkdir()
    done = installed.run(["inkorg-kit", "init", "influensa-2027"], work)
    assert done.returncode == 0, done.stderr
    folder = work / "influensa-2027"
    extract = write_flu_extract(folder / "uttag.xlsx")
    apply_edits(folder / "campaign.yaml", EDITS)

    done = installed.run(
        ["inkorg-kit", "run", "campaign.yaml", "--steps", STEPS_00_TO_03],
        folder,
        {PASSWORD_ENV: PASSWORD},
    )
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    assert_no_personnummer(done.stdout + done.stderr, "the console")

    run = folder / "out" / "influensa-2027"  # under the folder the command ran in
    numbers = recipients_in(run)
    expected = expected_recipients(extract)
    assert len(expected) > 50
    assert len(numbers) == len(set(numbers))
    assert set(numbers) == expected
    # each step ran the wheel's notebook
    for executed in sorted((run / "notebooks").glob("*.ipynb")):
        meta = json.loads(executed.read_text(encoding="utf-8"))["metadata"]["papermill"]
        assert Path(meta["input_path"]).is_relative_to(installed.bin.parent), meta["input_path"]


def test_demo_and_report_run_from_an_empty_folder_with_the_installed_kit(
    installed: Installed, tmp_path: Path
) -> None:
    done = installed.run(["inkorg-kit", "demo"], tmp_path)
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    campaign = tmp_path / "out" / "demo" / "campaign.yaml"  # the demo's copy, beside its region
    assert campaign.is_file()
    run = tmp_path / "out" / "blodtryck-solbacka-2027"
    assert list((run / "recipients").glob("*.txt")) and list(run.glob("*.html"))

    done = installed.run(
        [
            "inkorg-kit",
            "report",
            str(campaign.relative_to(tmp_path)),
            "--status-export",
            str((run / "status_export").relative_to(tmp_path)),
        ],
        tmp_path,
    )
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    (folder,) = (run / "reports").iterdir()
    assert list(folder.glob("*.html"))
