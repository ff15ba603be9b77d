"""The README's "Din egen kampanj", run as written with the editable install: ``inkorg-kit
init`` in an empty folder outside the checkout, the extract copied beside the campaign, the
README's YAML block as the edit, ``inkorg-kit run`` (00 → 03), and ``inkorg-kit lab`` started.

The extract is a care system's ``.xlsx`` with title rows, Swedish headers and personnummer in
mixed shapes (:mod:`support.own_campaign`); the recipients in the run folder are checked
against a count made without the kit. Also here: ``init`` and ``schema`` on their own, and
paths in a campaign file counting from its folder.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from support import REPO, TCP_KERNELS, assert_no_personnummer
from support.demo import BIN, run_as_user, user_env
from support.own_campaign import (
    apply_edits,
    expected_recipients,
    recipients_in,
    write_flu_extract,
)

from inkorg_kit.config.campaign import load_campaign
from inkorg_kit.config.reference import campaign_template, reference_markdown
from inkorg_kit.vocab import PASSWORD_ENV

SECTION = "## Din egen kampanj"
PASSWORD = {PASSWORD_ENV: "ett-eget-losenord-for-testet"}


def _section() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert SECTION in text, f"README: no section {SECTION!r}"
    return text.split(SECTION, 1)[1].split("\n## ", 1)[0]


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", _section(), re.S)


def _walk() -> list[str]:
    """The section's walk: the ``sh`` block that starts with ``inkorg-kit init``."""
    (walk,) = [b for b in _blocks("sh") if b.lstrip().startswith("inkorg-kit init")]
    return [line for line in walk.strip().splitlines() if line.strip()]


def _command(line: str) -> str:
    return line.split("#", 1)[0].strip()


def _edits() -> dict:
    (block,) = _blocks("yaml")
    return yaml.safe_load(block)


# --------------------------------------------------------------------------- the walk


@pytest.mark.slow
def test_readme_own_campaign_walk_runs_as_written(tmp_path: Path) -> None:
    home = tmp_path / "analytiker"
    home.mkdir()
    extract = write_flu_extract(tmp_path / "uttag.xlsx")
    edits = tmp_path / "edits.yaml"
    edits.write_text(yaml.safe_dump(_edits(), allow_unicode=True), encoding="utf-8")

    lines = [_command(line) for line in _walk()]
    assert lines[0] == "inkorg-kit init influensa-2027", lines
    steps = []
    for line in lines:
        if line.startswith("cp ") and line.endswith(" ."):
            line = f"cp {shlex.quote(str(extract.path))} ."  # the extract the test wrote
        elif line.startswith("$EDITOR "):  # the edit: the README's YAML block
            line = (
                f"{shlex.quote(sys.executable)} -c 'import sys, yaml;"
                " from support.own_campaign import apply_edits;"
                " from pathlib import Path;"
                " apply_edits(Path(sys.argv[1]), yaml.safe_load(open(sys.argv[2])))'"
                f" {line.split()[1]} {shlex.quote(str(edits))}"
            )
        elif line.startswith("inkorg-kit lab "):
            continue  # started on its own below: it runs until stopped
        steps.append(line)
    script = "set -euo pipefail\n" + "\n".join(steps)
    env = {"PYTHONPATH": str(REPO / "tests"), **PASSWORD}
    done = run_as_user(["bash", "-c", script], home, env)
    assert done.returncode == 0, f"{script}\n{done.stdout[-3000:]}\n{done.stderr[-4000:]}"
    assert "waits for a status export" in done.stderr or "väntar" in done.stderr, done.stderr

    folder = home / "influensa-2027"
    assert {p.name for p in folder.iterdir()} >= {"campaign.yaml", "LÄSMIG.md", "uttag.xlsx"}
    run = folder / "out" / "influensa-2027"
    assert (run / "campaign_check.md").is_file()
    numbers = recipients_in(run)
    assert len(numbers) == len(set(numbers))
    expected = expected_recipients(extract)
    assert len(expected) > 50
    assert set(numbers) == expected
    assert_no_personnummer(done.stdout + done.stderr, "the console")


def _available(fd: int) -> str:
    """What a non-blocking pipe holds now (text-mode reads fail on an empty pipe)."""
    data = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            break
        if not chunk:
            break
        data += chunk
    return data.decode("utf-8", "replace")


@pytest.mark.slow
@TCP_KERNELS  # JupyterLab serves on a free TCP port, as the other TCP users do: one at a time
def test_readme_lab_line_starts_jupyterlab_on_the_campaign(tmp_path: Path) -> None:
    lab = [_command(line) for line in _walk() if line.startswith("inkorg-kit lab ")]
    assert lab == ["inkorg-kit lab campaign.yaml"]
    helped = run_as_user([str(BIN / "inkorg-kit"), "--help"], tmp_path)
    if not re.search(r"\{[^}]*\blab\b[^}]*\}", helped.stdout):  # the commands
        pytest.skip("inkorg-kit has no `lab` command yet")
    made = run_as_user([str(BIN / "inkorg-kit"), "init", "influensa-2027"], tmp_path)
    assert made.returncode == 0, made.stderr
    folder = tmp_path / "influensa-2027"
    env = user_env({"BROWSER": "true", "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter")})
    started = subprocess.Popen(
        ["bash", "-c", lab[0].replace("inkorg-kit ", f"{BIN / 'inkorg-kit'} ", 1)],
        cwd=folder,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    seen = ""
    try:
        deadline = time.monotonic() + 120
        assert started.stdout is not None
        fd = started.stdout.fileno()
        os.set_blocking(fd, False)
        while time.monotonic() < deadline and started.poll() is None:
            seen += _available(fd)
            if re.search(r"http://(localhost|127\.0\.0\.1):\d+/lab", seen):
                break
            time.sleep(0.5)
        seen += _available(fd)
        assert re.search(r"http://(localhost|127\.0\.0\.1):\d+/lab", seen), seen[-3000:]
    finally:
        if started.poll() is None:
            os.killpg(started.pid, signal.SIGTERM)
            try:
                started.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(started.pid, signal.SIGKILL)
                started.wait()


# --------------------------------------------------------------------------- init and schema


def test_init_writes_the_template_and_a_swedish_readme_and_never_overwrites(
    tmp_path: Path,
) -> None:
    done = run_as_user([str(BIN / "inkorg-kit"), "init", "influensa-2027"], tmp_path)
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "influensa-2027"
    campaign = folder / "campaign.yaml"
    template = campaign_template(undecided=True)
    written = campaign.read_text(encoding="utf-8")
    assert written == template.replace(
        "\nname: blodtryck-solbacka-2027\n", "\nname: influensa-2027\n", 1
    )
    assert load_campaign(campaign).name == "influensa-2027"  # it loads as written
    readme = (folder / "LÄSMIG.md").read_text(encoding="utf-8")
    for said in (
        "campaign.yaml",
        "inkorg-kit run campaign.yaml",
        "inkorg-kit lab campaign.yaml",
        "out/influensa-2027/",
        PASSWORD_ENV,
        "Lägg uttaget bredvid",
    ):
        assert said in readme, said
    assert oct(folder.stat().st_mode & 0o777) == "0o700"  # the extract goes here

    campaign.write_text("name: min-egen\n", encoding="utf-8")
    again = run_as_user([str(BIN / "inkorg-kit"), "init", "influensa-2027"], tmp_path)
    assert again.returncode == 2
    assert "finns redan" in again.stderr and "inget skrevs" in again.stderr, again.stderr
    assert campaign.read_text(encoding="utf-8") == "name: min-egen\n"


def test_init_keeps_the_example_name_when_the_folder_cannot_name_the_campaign(
    tmp_path: Path,
) -> None:
    done = run_as_user([str(BIN / "inkorg-kit"), "init", "Min Kampanj"], tmp_path)
    assert done.returncode == 0, done.stderr
    campaign = load_campaign(tmp_path / "Min Kampanj" / "campaign.yaml")
    assert campaign.name == "blodtryck-solbacka-2027"
    assert "out/<name>/" in (tmp_path / "Min Kampanj" / "LÄSMIG.md").read_text(encoding="utf-8")


def test_schema_prints_the_reference_of_every_key(tmp_path: Path) -> None:
    done = run_as_user([str(BIN / "inkorg-kit"), "schema"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == reference_markdown()
    assert "target.pnr_column" in done.stdout and "target.header_row" in done.stdout


def test_readme_section_links_the_reference_and_names_the_column_keys() -> None:
    section = _section()
    assert "inkorg-kit schema" in section and "docs/campaign.md" in section
    for key in ("pnr_column", "contact_date_column", "header_row", "opted_out_column"):
        assert key in section, key
    edits = _edits()
    assert edits["target"]["source"] == "uttag.xlsx"  # beside campaign.yaml


# --------------------------------------------------------------------------- relative paths


def test_paths_in_a_campaign_count_from_its_folder(tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "kampanjer" / "influensa"
    folder.mkdir(parents=True)
    campaign = folder / "campaign.yaml"
    campaign.write_text(campaign_template(undecided=True), encoding="utf-8")
    apply_edits(
        campaign,
        {
            "target": {
                "source": "uttag.xlsx",
                "exclude_lists": ["listor/avböjt.csv", {"path": "../gemensamt/x.xlsx"}],
                "deceased_lists": ["/srv/listor/avlidna.csv"],
                "frequency_cap_days": 90,
                "earlier_runs": "out",
            }
        },
    )
    elsewhere = tmp_path / "annan"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the command runs in another folder
    target = load_campaign(Path("..") / "kampanjer" / "influensa" / "campaign.yaml").target
    real = folder.resolve()
    assert target.source == str(real / "uttag.xlsx")
    first, second = target.exclude_lists
    assert first == str(real / "listor" / "avböjt.csv")
    assert second.path == str(real.parent / "gemensamt" / "x.xlsx")
    assert target.deceased_lists == ["/srv/listor/avlidna.csv"]  # absolute: as written
    assert target.earlier_runs == str(real / "out")

    monkeypatch.chdir(tmp_path)  # inside: shown relative to the working folder
    loaded = load_campaign(folder / "campaign.yaml")
    assert loaded.target.source == "kampanjer/influensa/uttag.xlsx"
    assert loaded.folder == real
