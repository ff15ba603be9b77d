"""The demo, run once per test session and shared: ``inkorg-kit demo`` as a new user runs it.

Why once: the demo runs every notebook on the synthetic region (about half a minute); the tests
that read its run folder share one run. Under xdist each worker is its own session, so the
first worker to ask runs the demo under a file lock in the run's shared temporary folder and
the others read what it left. The demo's folder is shared: a test that changes it works on a
copy (:meth:`DemoRun.copy_to`).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from inkorg_kit.campaign import load_campaign
from inkorg_kit.run import RunFolder
from inkorg_kit.vocab import PASSWORD_ENV

from .paths import DEMO_CAMPAIGN

__all__ = ["BIN", "DemoRun", "run_as_user", "run_demo_once"]

#: the project's venv: its ``inkorg-kit``, ``papermill`` and ``python``
BIN = Path(sys.executable).parent


def user_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A new user's environment: the venv first on PATH, no archive password (unless
    ``extra`` sets one)."""
    env = {k: v for k, v in os.environ.items() if k != PASSWORD_ENV}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return {**env, **(extra or {})}


def run_as_user(
    command: list[str], cwd: Path, extra_env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``command`` as a new user's shell runs it: the venv first on PATH, no password set
    (unless ``extra_env`` sets one), no terminal."""
    return subprocess.run(
        command,
        cwd=cwd,
        env=user_env(extra_env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


@dataclass(frozen=True)
class DemoRun:
    """What ``inkorg-kit demo`` did in ``root`` (an empty folder when it started)."""

    root: Path
    returncode: int
    stdout: str
    stderr: str

    @property
    def run_dir(self) -> Path:
        """The demo campaign's run folder, ``<root>/out/<campaign>``."""
        return self.root / load_campaign(DEMO_CAMPAIGN).run_folder()

    @property
    def folder(self) -> RunFolder:
        return RunFolder(self.run_dir, load_campaign(DEMO_CAMPAIGN).name)

    def failure(self) -> str:
        """Why the demo failed ("" when it did not)."""
        if self.returncode == 0:
            return ""
        return f"inkorg-kit demo failed:\n{self.stdout[-3000:]}\n{self.stderr[-3000:]}"

    def copy_to(self, where: Path) -> DemoRun:
        """The demo's folder copied to ``where``, for a test that changes it."""
        shutil.copytree(self.root, where, symlinks=True)
        return DemoRun(where, self.returncode, self.stdout, self.stderr)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_demo_once(shared_tmp: Path) -> DemoRun:
    """The demo run in ``shared_tmp/demo``: run now by the first caller, read by the others."""
    root, record = shared_tmp / "demo", shared_tmp / "demo.json"
    with _locked(shared_tmp / "demo.lock"):
        if not record.exists():
            root.mkdir()
            done = run_as_user([str(BIN / "inkorg-kit"), "demo"], root)
            result = {"returncode": done.returncode, "stdout": done.stdout, "stderr": done.stderr}
            record.write_text(json.dumps(result), encoding="utf-8")
    return DemoRun(root, **json.loads(record.read_text(encoding="utf-8")))
