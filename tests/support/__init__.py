"""What the tests share: paths and the public test data, notebooks run as the kit runs them, the
demo run once per session, the one run-folder builder, and the personnummer scan.

Why a package and not ``conftest.py``: helpers imported by test modules are plain code, not
fixtures; ``conftest.py`` keeps only the fixtures and re-exports these names for the test
modules that still import them from there.
"""

from .demo import DemoRun, run_as_user, run_demo_once
from .notebooks import committed_defaults, notebook_text, run_notebook
from .paths import (
    DEMO_CAMPAIGN,
    PACKAGE_DATA,
    REFERENCE,
    REPO,
    SKATTEVERKET_PNR_CSV,
    SKATTEVERKET_SAMORDNING_CSV,
    TEST_DATA,
)
from .privacy import assert_no_personnummer
from .run_folder import RunFolderBuilder, build_run_folder

__all__ = [
    "DEMO_CAMPAIGN",
    "PACKAGE_DATA",
    "REFERENCE",
    "REPO",
    "SKATTEVERKET_PNR_CSV",
    "SKATTEVERKET_SAMORDNING_CSV",
    "TEST_DATA",
    "DemoRun",
    "RunFolderBuilder",
    "assert_no_personnummer",
    "build_run_folder",
    "committed_defaults",
    "notebook_text",
    "run_as_user",
    "run_demo_once",
    "run_notebook",
]
