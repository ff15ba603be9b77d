"""The suite's fixtures; the helpers themselves live in ``tests/support/``.

Everything the tests read is in the repository: a fresh clone with nothing beside it passes.
The names below are re-exported for the test modules that import them from here.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings
from support import (
    REFERENCE,
    REPO,
    DemoRun,
    assert_no_personnummer,
    committed_defaults,
    notebook_text,
    run_demo_once,
    run_notebook,
)

# Hypothesis draws the same examples on every run (and keeps no database between runs): a test
# that fails, fails every time, on every machine, instead of one run in ten.
settings.register_profile("inkorg-kit", derandomize=True, database=None, deadline=None)
settings.load_profile("inkorg-kit")

__all__ = ["REPO", "assert_no_personnummer", "committed_defaults", "notebook_text", "run_notebook"]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """personnummer/meta's test suite, copied into ``tests/data/reference/``."""
    return REFERENCE


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """``inkorg-kit demo`` in an empty folder, run once for the whole session (all xdist
    workers share it: they share the parent of their temporary folders). Read it; a test that
    changes it works on ``demo.copy_to(tmp_path / ...)``."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    run = run_demo_once(shared)
    assert not run.failure(), run.failure()
    return run


@pytest.hookimpl(tryfirst=True)  # before `-m "not slow"` deselects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that reads the demo is slow (the demo runs every notebook), marked or not."""
    for item in items:
        if "demo" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
