"""The README's promises, run as a new user runs them: ``inkorg-kit demo`` (what ``make demo``
calls) and the block of papermill commands that runs each notebook on its own.

Both run as subprocesses in an empty folder, so nothing the test process has set up helps them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from conftest import REPO, assert_no_personnummer
from test_recipients import run_7z

from inkorg_kit import pnr

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
RUN = Path("out") / "blodtryck-solbacka-2027"
DEMO_PASSWORD = "inkorg-demo-endast-syntetiskt"
PASSWORD_ENV = "INKORG_7Z_PASSWORD"
# Files that are meant to hold personnummer (the deliverables and their inputs), by pattern.
HOLDS_PNR = (
    "recipients/*.txt",
    "followup/*/recipients/*.txt",
    "followup/followup_letters.csv",
    "status_export/*.csv",
    "*.7z",
    "*.parquet",
)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != PASSWORD_ENV}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """As a new user's shell runs it: the project's venv first on PATH, no password set."""
    return subprocess.run(
        command, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=900, check=False
    )


def _holds_pnr(path: Path, run: Path) -> bool:
    relative = path.relative_to(run)
    return any(relative.match(pattern) for pattern in HOLDS_PNR)


def _scan_run_folder(run: Path) -> int:
    """Every file that is not a deliverable holds no personnummer; those that are, are private."""
    scanned = 0
    for path in sorted(p for p in run.rglob("*") if p.is_file()):
        if _holds_pnr(path, run):
            mode = stat.S_IMODE(path.stat().st_mode)
            assert mode == 0o600, f"{path} holds personnummer but has mode {oct(mode)}"
        else:
            assert_no_personnummer(path.read_text(encoding="utf-8", errors="replace"), str(path))
            scanned += 1
    return scanned


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    where = tmp_path_factory.mktemp("demo")
    done = _run([str(BIN / "inkorg-kit"), "demo"], where)
    assert done.returncode == 0, (
        f"inkorg-kit demo failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    return where, done


def test_demo_prints_the_artefacts_and_they_exist(demo) -> None:
    where, done = demo
    printed = dict(
        (m.group(1).strip(), Path(m.group(2)))
        for m in re.finditer(
            r"^  (\w[\w ]+?)\s{2,}(\S+)$", done.stdout.split("\nrun folder:")[-1], re.M
        )
    )
    assert set(printed) == {
        "recipient archive",
        "recipient manifest",
        "send plan",
        "send plan calendar",
        "report",
    }, done.stdout
    for label, path in printed.items():
        assert (where / path).is_file(), f"{label}: {path} printed but missing"
        assert (where / path).is_relative_to(where / RUN), path
    # the funnel and masked examples of what was rejected, where to find them in the extract
    assert re.search(r"^  målgrupp\s+\d", done.stdout, re.M), done.stdout
    assert re.search(r"e\.g\. data row [\d,]+: '\d{8}-\*{4}' \(bad_checksum\)", done.stdout)
    # progress per notebook, masked console
    for step in ("00_campaign_check", "04_read_rates_followup"):
        assert step in done.stderr
    assert_no_personnummer(done.stdout + done.stderr, "the demo's console output")


def test_demo_archive_opens_in_7z_with_the_password_and_holds_the_target_group(
    demo, tmp_path: Path
) -> None:
    where, _ = demo
    run = where / RUN
    (archive,) = run.glob("*.7z")
    assert run_7z("t", f"-p{DEMO_PASSWORD}", str(archive)).returncode == 0
    assert run_7z("t", "-pfel-losenord", str(archive)).returncode != 0
    extracted = run_7z("x", f"-p{DEMO_PASSWORD}", f"-o{tmp_path}", str(archive))
    assert extracted.returncode == 0, extracted.stdout + extracted.stderr

    inside = tmp_path / "blodtryck-solbacka-2027"  # the archive holds one folder
    manifest = json.loads((inside / "manifest.json").read_text(encoding="utf-8"))
    assert {p.name for p in inside.iterdir()} == {
        "manifest.json",
        "manifest.csv",
        *(entry["file_name"] for entry in manifest["files"]),
    }
    numbers: list[str] = []
    for entry in manifest["files"]:
        data = (inside / entry["file_name"]).read_bytes()
        lines = data.decode("utf-8").split("\r\n")
        assert lines[-1] == "" and 0 < len(lines) - 1 <= 250
        numbers += lines[:-1]
    cleaned = pnr.clean(numbers, reference_date="2027-03-16")
    assert cleaned["status"].to_list() == ["ok"] * len(numbers)  # valid, no duplicates
    assert cleaned["pnr"].to_list() == numbers  # already in the import format

    group = pl.read_parquet(run / "target_group.parquet")
    assert sorted(numbers) == sorted(group["personnummer"].to_list())
    funnel = pl.read_csv(run / "target_funnel.csv")
    rows_in = funnel["remaining"][0]
    assert funnel["removed"].sum() + funnel["remaining"][-1] == rows_in  # nothing lost
    assert funnel["remaining"][-1] == len(numbers) == manifest["totals"]["rows"]


def test_demo_run_folder_holds_no_personnummer_outside_the_deliverables(demo) -> None:
    where, _ = demo
    run = where / RUN
    scanned = _scan_run_folder(run)
    assert scanned >= 15  # notebooks, report, check, funnel, plan, manifests, fit
    report = next(run.glob("*.html")).read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=|https?://[^\"' ]+\.js", report), "report needs network"


def test_readme_papermill_block_runs_each_notebook_on_its_own(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Running one notebook on its own", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "README: no sh block under 'Running one notebook on its own'"
    commands = block.group(1).strip().splitlines()
    assert sum("papermill notebooks/" in c for c in commands) == 5, commands

    shutil.copytree(REPO / "notebooks", tmp_path / "notebooks")
    shutil.copytree(REPO / "params", tmp_path / "params")
    script = "set -euo pipefail\n" + "\n".join(c.replace(".venv/bin/", f"{BIN}/") for c in commands)
    done = _run(["bash", "-c", script], tmp_path)
    assert done.returncode == 0, (
        f"README block failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    )
    run = tmp_path / RUN
    assert len(list((run / "recipients").glob("*.txt"))) >= 1
    assert (run / "send_plan.ics").is_file() and list(run.glob("*.html"))
    for executed in sorted((tmp_path / "out" / "nb").glob("*.ipynb")):
        assert_no_personnummer(executed.read_text(encoding="utf-8"), str(executed))
    assert len(list((tmp_path / "out" / "nb").glob("*.ipynb"))) == 5
    _scan_run_folder(run)
