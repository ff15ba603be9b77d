"""``inkorg-kit planner``: its help, the run folder it refuses (naming the step to run, in
Swedish) before starting anything, and how it starts Voilà (localhost, a token kept off the
command line, the kit's page, the template without CDN links). The page itself in a browser:
``test_browser_planner``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support import DEMO_CAMPAIGN, build_run_for_reach_plan
from support.demo import BIN, run_as_user

from inkorg_kit.cli import planner
from inkorg_kit.errors import UsageError
from inkorg_kit.steps.parameters import CAMPAIGN_ENV
from inkorg_kit.steps.planner import RUN_DIR_ENV


def test_help_names_the_options(tmp_path: Path) -> None:
    done = run_as_user([str(BIN / "inkorg-kit"), "planner", "--help"], tmp_path)
    assert done.returncode == 0, done.stderr
    for said in ("campaign", "--run-dir", "--port", "körmappen"):
        assert said in done.stdout, said
    listed = run_as_user([str(BIN / "inkorg-kit"), "--help"], tmp_path)
    assert "planner" in listed.stdout


def test_a_missing_run_folder_is_refused_naming_the_step(tmp_path: Path) -> None:
    done = run_as_user(
        [str(BIN / "inkorg-kit"), "planner", str(DEMO_CAMPAIGN), "--run-dir", "saknas"], tmp_path
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "körmappen" in done.stderr and "finns inte" in done.stderr, done.stderr
    assert "01_target_group" in done.stderr and "inkorg-kit run" in done.stderr, done.stderr
    assert not (tmp_path / "saknas").exists()


def test_a_run_folder_without_the_recipient_files_names_step_02(tmp_path: Path) -> None:
    run = build_run_for_reach_plan(tmp_path / "run")
    (run / "recipients" / "manifest.json").unlink()
    with pytest.raises(UsageError, match=r"saknar mottagarfilerna.*steg 02 \(02_recipient_files\)"):
        planner.prepare_planner(DEMO_CAMPAIGN, run_dir=run)


def test_voila_is_started_on_localhost_with_a_token_and_the_kits_page(tmp_path: Path) -> None:
    run = build_run_for_reach_plan(tmp_path / "run")
    launch = planner.prepare_planner(DEMO_CAMPAIGN, run_dir=run, port=18999)
    assert launch.notebook.name == "planner.ipynb" and launch.notebook.is_file()
    assert launch.command()[1:4] == ["-m", "voila", str(launch.notebook)]
    arguments = launch.arguments
    assert "--Voila.ip=127.0.0.1" in arguments and "--port=18999" in arguments
    assert f"--template={planner.TEMPLATE}" in arguments and "--no-browser" in arguments
    assert not any(launch.token in a for a in arguments), "the token is on the command line"
    assert launch.url == f"http://127.0.0.1:18999/?token={launch.token}"
    assert len(launch.token) >= 32
    env = launch.env({"PATH": "/bin", "JUPYTER_PATH": "/x", RUN_DIR_ENV: "/annan"})
    assert env["JUPYTER_TOKEN"] == launch.token
    assert env[CAMPAIGN_ENV] == str(DEMO_CAMPAIGN.resolve())
    assert env[RUN_DIR_ENV] == str(run.resolve())
    assert env["JUPYTER_PATH"].split(os.pathsep) == [str(planner.TEMPLATE_ROOT), "/x"]
    template = planner.TEMPLATE_ROOT / "voila" / "templates" / planner.TEMPLATE
    assert (template / "conf.json").is_file() and (template / "index.html.j2").is_file()
    # a second launch, a new token
    assert planner.prepare_planner(DEMO_CAMPAIGN, run_dir=run).token != launch.token
