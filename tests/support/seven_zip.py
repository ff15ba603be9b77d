"""The real 7z program, which proves the kit's archives open with the password (and only with
it), and the password the tests encrypt with.

Why the real program: the archive is for the 1177 staff, who open it with 7-Zip; an archive
only our own code can read proves nothing.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

__all__ = ["ARCHIVE_PASSWORD", "run_7z", "seven_zip_program"]

#: the tests' archive password (long enough for the kit's rules; never a real one)
ARCHIVE_PASSWORD = "testlösen-Kanelbulle-42"


def seven_zip_program() -> str:
    """The path of ``7z``; fails the test, saying how to install it, when it is missing."""
    found = shutil.which("7z")
    if found is None:
        pytest.fail("the 7z program is missing: run `make install` (installs Debian's p7zip-full)")
    return found


def run_7z(*args: str) -> subprocess.CompletedProcess[str]:
    """``7z *args`` with no terminal (a password prompt fails instead of waiting), its output
    captured; the caller checks the return code."""
    return subprocess.run(
        [seven_zip_program(), *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )
