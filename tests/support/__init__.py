"""What the tests share: paths and the public test data, the tests' people (Skatteverket's test
numbers), notebooks run as the kit runs them, the demo run once per session, the one run-folder
builder and the run folders several modules need, hand-made status exports, the real 7z, and
the personnummer scan.

Why a package and not ``conftest.py``: helpers imported by test modules are plain code, not
fixtures; ``conftest.py`` keeps only the fixtures and re-exports these names for the test
modules that still import them from there. A test module never imports another test module:
what two of them need lives here.
"""

from .after_sending import demo_campaign_beside, write_after_sending
from .demo import DemoRun, run_as_user, run_demo_once
from .exports import BOM, write_excel_export
from .notebooks import TCP_KERNELS, committed_defaults, notebook_text, run_notebook
from .paths import (
    DEMO_CAMPAIGN,
    DEMO_CAMPAIGN_NAME,
    PACKAGE_DATA,
    REFERENCE,
    REPO,
    SKATTEVERKET_PNR_CSV,
    SKATTEVERKET_SAMORDNING_CSV,
    TEST_DATA,
)
from .people import (
    PANEL_GROUP_SIZE,
    SEND_DAY,
    TWO_UNITS,
    messy_list,
    panel_target_group,
    shuffled_adults,
    skatteverket_numbers,
    with_wrong_check_digit,
)
from .privacy import assert_no_personnummer
from .run_folder import (
    RunFolderBuilder,
    build_run_folder,
    build_run_for_followup,
    build_run_for_reach_plan,
    build_run_for_recipient_files,
)
from .seven_zip import ARCHIVE_PASSWORD, run_7z, seven_zip_program

__all__ = [
    "ARCHIVE_PASSWORD",
    "BOM",
    "DEMO_CAMPAIGN",
    "DEMO_CAMPAIGN_NAME",
    "PACKAGE_DATA",
    "PANEL_GROUP_SIZE",
    "REFERENCE",
    "REPO",
    "SEND_DAY",
    "SKATTEVERKET_PNR_CSV",
    "SKATTEVERKET_SAMORDNING_CSV",
    "TCP_KERNELS",
    "TEST_DATA",
    "TWO_UNITS",
    "DemoRun",
    "RunFolderBuilder",
    "assert_no_personnummer",
    "build_run_folder",
    "build_run_for_followup",
    "build_run_for_reach_plan",
    "build_run_for_recipient_files",
    "committed_defaults",
    "demo_campaign_beside",
    "messy_list",
    "notebook_text",
    "panel_target_group",
    "run_7z",
    "run_as_user",
    "run_demo_once",
    "run_notebook",
    "seven_zip_program",
    "shuffled_adults",
    "skatteverket_numbers",
    "with_wrong_check_digit",
    "write_after_sending",
    "write_excel_export",
]
