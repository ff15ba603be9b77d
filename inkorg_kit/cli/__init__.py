"""The ``inkorg-kit`` command: run a campaign's notebooks through papermill, or the demo.

    inkorg-kit run params/demo/campaign.yaml [--status-export FILE] [--run-dir DIR]
        [--steps STEP,...] [--override-reason TEXT] [--exported-at "YYYY-MM-DD HH:MM"]
        [--timeout SECONDS]
    inkorg-kit report params/demo/campaign.yaml [--status-export FILE] [--exported-at ...]
    inkorg-kit demo
    inkorg-kit init FOLDER      # a new campaign's folder: campaign.yaml and LÄSMIG.md
    inkorg-kit schema           # every campaign key: meaning, default, example

Each step is one notebook, executed into the campaign's run folder (``out/<campaign>/``); the
executed copies are kept under ``notebooks/`` there, so a failure can be read where it happened
(personnummer masked in their outputs, owner-only like every file in the run folder). A failing
step stops the run with the notebook, the cell and the message (masked), and a non-zero exit
code, which is what a scheduler (cron) needs: 1 when a step failed, 2 when nothing could start
(a wrong argument, a campaign that does not load, no archive password, no status export).
"""

from __future__ import annotations

from inkorg_kit.cli.executed import privatise_executed
from inkorg_kit.cli.kernels import local_kernel_manager
from inkorg_kit.cli.main import main
from inkorg_kit.cli.runner import (
    DEMO_PASSWORD,
    DEMO_PASSWORD_ENV,
    NOTEBOOK_DIR,
    PASSWORD_ENV,
    STEPS,
    RunResult,
    StepFailed,
    chosen_steps,
    ensure_archive_password,
    new_report_folder,
    run_campaign,
    run_demo,
    run_report,
    run_step,
)

__all__ = [
    "DEMO_PASSWORD",
    "DEMO_PASSWORD_ENV",
    "NOTEBOOK_DIR",
    "PASSWORD_ENV",
    "STEPS",
    "RunResult",
    "StepFailed",
    "chosen_steps",
    "ensure_archive_password",
    "local_kernel_manager",
    "main",
    "new_report_folder",
    "privatise_executed",
    "run_campaign",
    "run_demo",
    "run_report",
    "run_step",
]
