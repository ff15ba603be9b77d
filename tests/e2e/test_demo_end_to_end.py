"""The README's promises, run as a new user runs them: ``inkorg-kit demo`` (what ``make demo``
calls), the ``inkorg-kit run`` and ``report`` commands it shows, the block of papermill commands
that runs each notebook on its own, and every figure it quotes from the demo.

All run as subprocesses in an empty folder, so nothing the test process has set up helps them.
The demo runs once per session (the ``demo`` fixture, shared with every worker); the test that
runs the README's commands in its folder works on a copy. The figures are read from the README
and compared with what the demo wrote, so the README cannot drift from the demo unnoticed.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import stat
from pathlib import Path

import polars as pl
import pytest
from support import REPO, TCP_KERNELS, DemoRun, assert_no_personnummer, run_7z
from support.demo import BIN
from support.demo import run_as_user as _run

from inkorg_kit import pnr
from inkorg_kit.cli import DEMO_PASSWORD
from inkorg_kit.run import load_frame
from inkorg_kit.vocab import PASSWORD_ENV

pytestmark = pytest.mark.slow

RUN = Path("out") / "blodtryck-solbacka-2027"  # the demo's run folder, as the README names it
# Files that are meant to hold personnummer (the deliverables and their inputs), by pattern,
# with how the README's privacy rules name them (the scan and the README must agree).
HOLDS_PNR = {
    "recipients/*.txt": "`recipients/`",
    "followup/*/recipients/*.txt": "`followup/`",
    "followup/followup_letters.csv": "`followup/followup_letters.csv`",
    "status_export/*.csv": "`status_export/`",
    "*.7z": "`*.7z`",
    "*.parquet": "`*.parquet`",
}


def _printed(stdout: str) -> dict[str, Path]:
    """The artefacts ``inkorg-kit`` listed after "körmapp:", by label."""
    listing = stdout.split("\nkörmapp:")[-1]
    return {
        m.group(1).strip(): Path(m.group(2))
        for m in re.finditer(r"^  (\w[\w ]+?)\s{2,}(\S+)$", listing, re.M)
    }


def _readme() -> str:
    return (REPO / "README.md").read_text(encoding="utf-8")


def _block_after(heading: str, language: str = "sh") -> list[str]:
    """The command lines of the first ``language`` code block after ``heading`` in the README."""
    section = _readme().split(heading, 1)[1]
    block = re.search(rf"```{language}\n(.*?)```", section, re.S)
    assert block, f"README: no {language} block after {heading!r}"
    return block.group(1).strip().splitlines()


def _as_typed(command: str) -> str:
    """A README command line for bash here: the project's venv wherever the repo is."""
    return "set -euo pipefail\n" + command.replace(".venv/bin/", f"{BIN}/")


def _holds_pnr(path: Path, run: Path) -> bool:
    relative = path.relative_to(run)
    return any(relative.match(pattern) for pattern in HOLDS_PNR)


def _normalised(text: str) -> str:
    return " ".join(text.split())


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


def test_demo_prints_the_artefacts_and_they_exist(demo: DemoRun) -> None:
    where, done = demo.root, demo
    printed = _printed(done.stdout)
    assert set(printed) == {
        "kampanjkontroll",
        "mottagararkiv",
        "manifest",
        "sändplan",
        "sändplan kalender",
        "rapport",
    }, done.stdout
    for label, path in printed.items():
        assert (where / path).is_file(), f"{label}: {path} printed but missing"
        assert (where / path).is_relative_to(demo.run_dir), path
    # the funnel and masked examples of what was rejected, where to find them in the extract
    assert re.search(r"^  målgrupp\s+\d", done.stdout, re.M), done.stdout
    assert re.search(r"t\.ex\. rad [\d ]+: '\d{8}-\*{4}' \(fel kontrollsiffra\)", done.stdout)
    # the guideline warnings, and where the whole checklist is
    assert re.search(r"^Kampanjkontroll: .*varning", done.stdout, re.M), done.stdout
    assert "Hela checklistan: " in done.stdout
    # progress per notebook, masked console
    for step in ("00_campaign_check", "04_read_rates_followup"):
        assert step in done.stderr
    assert_no_personnummer(done.stdout + done.stderr, "the demo's console output")


def test_demo_archive_opens_in_7z_with_the_password_and_holds_the_target_group(
    demo: DemoRun, tmp_path: Path
) -> None:
    archive = demo.folder.path("archive")
    assert run_7z("t", f"-p{DEMO_PASSWORD}", str(archive)).returncode == 0
    assert run_7z("t", "-pfel-losenord", str(archive)).returncode != 0
    extracted = run_7z("x", f"-p{DEMO_PASSWORD}", f"-o{tmp_path}", str(archive))
    assert extracted.returncode == 0, extracted.stdout + extracted.stderr

    inside = tmp_path / demo.folder.campaign  # the archive holds one folder
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

    group = pl.read_parquet(demo.folder.path("target_group"))
    assert sorted(numbers) == sorted(group["personnummer"].to_list())
    funnel = load_frame(demo.folder, "target_funnel_csv")
    rows_in = funnel["remaining"][0]
    assert funnel["removed"].sum() + funnel["remaining"][-1] == rows_in  # nothing lost
    assert funnel["remaining"][-1] == len(numbers) == manifest["totals"]["rows"]


def test_demo_run_folder_holds_no_personnummer_outside_the_deliverables(demo: DemoRun) -> None:
    scanned = _scan_run_folder(demo.run_dir)
    assert scanned >= 15  # notebooks, report, check, funnel, plan, manifests, fit
    report = demo.folder.path("report_html").read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=|https?://[^\"' ]+\.js", report), "report needs network"


def test_readme_privacy_rules_name_every_file_the_scan_skips() -> None:
    rules = _normalised(_readme().split("## Privacy rules", 1)[1].split("\n## ", 1)[0])
    assert "except the files that exist to hold them" in rules, "README: the scan's exceptions"
    skipped = rules.split("except the files that exist to hold them", 1)[1].split(";", 1)[0]
    missing = [name for name in HOLDS_PNR.values() if name not in skipped]
    assert not missing, f"README's privacy rules do not say the scan skips {missing}"


# --------------------------------------------------------------------------- README figures

NUMBER_WORDS = dict(
    (word, n)
    for n, word in enumerate(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    )
)
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
# Each sentence of the README that quotes the demo, with its figures as named groups.
README_FIGURES = {
    "region": r"\((?P<people>[\d,]+) people in about (?P<rows>[\d,]+) care-contact rows",
    "start": (
        r"starting (?P<weekday>[A-Z][a-z]+) (?P<day>\d+) (?P<month>[A-Z][a-z]+) (?P<year>\d{4})"
        r" at (?P<time>\d\d:\d\d)"
    ),
    "funnel": (
        r"In the demo, (?P<rows_in>[\d,]+) contact rows come in; (?P<invalid>[\d,]+) have an"
        r" invalid personnummer \([^)]*\), (?P<duplicates>[\d,]+) are further contacts of the"
        r" same people, and the filters leave \*\*(?P<group>[\d,]+) residents\*\*"
    ),
    "files": (
        r"The demo gives (?P<files>\w+) files of (?P<smallest>[\d,]+)–(?P<largest>[\d,]+)"
        r" numbers"
    ),
    "reach": (
        r"For the demo's (?P<group>[\d,]+) residents the default assumptions expect about"
        r" (?P<login>[\d,]+) with an active login \(5–95 %: (?P<low>[\d,]+)–(?P<high>[\d,]+)\),"
        r" about (?P<read_24h>[\d,]+) read within 24 hours, and about (?P<other>[\d,]+) who"
        r" need another channel; (?P<handlers>\w+) handlers send the (?P<plan_files>\w+) files"
        r" in (?P<minutes>\d+) minutes"
    ),
}


def _number(text: str) -> int:
    word = text.lower()
    return NUMBER_WORDS[word] if word in NUMBER_WORDS else int(text.replace(",", ""))


def _about(value: float, shown: int) -> bool:
    """ "about 500" for 502.6, "about 877" for 876.9: ``value`` rounded at the last non-zero
    digit of ``shown``."""
    digits = str(shown)
    unit = 10 ** (len(digits) - len(digits.rstrip("0")))
    return int(value / unit + 0.5) * unit == shown


def readme_figures() -> dict[str, dict[str, str]]:
    text = _normalised(_readme())
    found = {}
    for name, pattern in README_FIGURES.items():
        matches = re.findall(pattern, text)
        assert len(matches) == 1, (
            f"README: expected one sentence matching {pattern!r}, found {len(matches)}"
        )
        found[name] = re.search(pattern, text).groupdict()
    return found


def test_readme_figures_are_what_the_demo_wrote(demo: DemoRun) -> None:
    path = demo.folder.path
    said = readme_figures()
    funnel = load_frame(demo.folder, "target_funnel_csv")
    removed = dict(zip(funnel["step"], funnel["removed"], strict=True))
    remaining = dict(zip(funnel["step"], funnel["remaining"], strict=True))
    invalid = sum(n for step, n in removed.items() if step.startswith("rejected_"))
    reach = {
        row["measure"]: row
        for row in load_frame(demo.folder, "reach_summary_csv").iter_rows(named=True)
    }
    files = json.loads(path("manifest_json").read_text(encoding="utf-8"))["files"]
    sizes = [entry["rows"] for entry in files]
    plan = load_frame(demo.folder, "send_plan_csv")
    starts = [dt.datetime.fromisoformat(t) for t in plan["start"]]
    ends = [dt.datetime.fromisoformat(t) for t in plan["end"]]
    first = min(starts)
    region = re.search(r"\(([\d,]+) people, ([\d,]+) contact rows", demo.stdout)
    assert region, f"the demo did not print the region's size:\n{demo.stdout[:500]}"

    checks = [  # (what, README says, the demo, agrees)
        ("people in the region", said["region"]["people"], region.group(1), None),
        ("contact rows (about)", said["region"]["rows"], remaining["rows_in"], "about"),
        ("send start weekday", said["start"]["weekday"], WEEKDAYS[first.weekday()], None),
        ("send start day", said["start"]["day"], first.day, None),
        ("send start month", said["start"]["month"], MONTHS[first.month - 1], None),
        ("send start year", said["start"]["year"], first.year, None),
        ("send start time", said["start"]["time"], f"{first:%H:%M}", None),
        ("contact rows in", said["funnel"]["rows_in"], remaining["rows_in"], None),
        ("invalid personnummer", said["funnel"]["invalid"], invalid, None),
        ("duplicates", said["funnel"]["duplicates"], removed["duplicate"], None),
        ("target group", said["funnel"]["group"], remaining["target_group"], None),
        ("target group (03)", said["reach"]["group"], remaining["target_group"], None),
        ("import files", said["files"]["files"], len(files), None),
        ("smallest file", said["files"]["smallest"], min(sizes), None),
        ("largest file", said["files"]["largest"], max(sizes), None),
        ("active login", said["reach"]["login"], reach["messageable"]["expected"], "about"),
        ("active login 5 %", said["reach"]["low"], reach["messageable"]["low"], None),
        ("active login 95 %", said["reach"]["high"], reach["messageable"]["high"], None),
        ("read within 24 h", said["reach"]["read_24h"], reach["read_24h"]["expected"], "about"),
        (
            "another channel",
            said["reach"]["other"],
            reach["other_channel_total"]["expected"],
            "about",
        ),
        ("handlers", said["reach"]["handlers"], plan["handler"].n_unique(), None),
        ("files in the plan", said["reach"]["plan_files"], plan.height, None),
        (
            "minutes to send",
            said["reach"]["minutes"],
            (max(ends) - first).total_seconds() / 60,
            None,
        ),
    ]
    wrong = []
    for what, shown, actual, how in checks:
        if isinstance(actual, int | float) or how:
            shown_n, actual_n = _number(shown), float(str(actual).replace(",", ""))
            ok = _about(actual_n, shown_n) if how == "about" else shown_n == actual_n
        else:
            ok = str(shown) == str(actual)
        if not ok:
            wrong.append(f"  {what}: README says {shown}, the demo gives {actual}")
    assert not wrong, "README.md quotes the demo wrongly (refresh it from `make demo`):\n" + (
        "\n".join(wrong)
    )


def test_about_means_rounded_at_the_last_digit_shown() -> None:
    assert _about(502.6, 500) and _about(876.9, 877) and _about(119_716, 120_000)
    assert not _about(551.0, 500) and not _about(877.6, 877) and not _about(964, 967)
    assert _number("four") == 4 and _number("1,776") == 1776 and _number("0") == 0


# --------------------------------------------------------------------------- README commands


def test_readme_run_and_report_commands_work_as_written(demo: DemoRun, tmp_path: Path) -> None:
    """The two ``inkorg-kit run`` lines and the crontab line, in a copy of the demo's folder:
    the first waits for an export and lists only what it wrote, the second runs 04 on it."""
    copy = demo.copy_to(tmp_path / "demo")
    where, run = copy.root, copy.run_dir
    shutil.copytree(REPO / "params", where / "params", dirs_exist_ok=True)
    export = where / "export_from_1177"
    # as before sending: the first command must wait for an export
    copy.folder.path("status_export_dir").rename(export)
    password = {PASSWORD_ENV: DEMO_PASSWORD}
    try:
        first, second = _block_after("## A campaign, step by step")
        done = _run(["bash", "-c", _as_typed(first)], where, password)
        assert done.returncode == 0, f"{first}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        assert "väntar på en statusexport" in done.stderr
        assert "04_read_rates_followup:" not in done.stderr  # no progress bar: 04 did not run
        # the demo's report is still there, but this run did not write it
        assert set(_printed(done.stdout)) == {
            "kampanjkontroll",
            "mottagararkiv",
            "manifest",
            "sändplan",
            "sändplan kalender",
        }, done.stdout

        assert " FILE" in second
        done = _run(["bash", "-c", _as_typed(second.replace(" FILE", f" {export}/"))], where)
        assert done.returncode == 0, f"{second}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        assert set(_printed(done.stdout)) == {"rapport"}, done.stdout

        (cron,) = _block_after("During a campaign, a nightly report", "cron")
        command = cron.split(None, 5)[5]  # after the five time fields
        for placeholder, here in {
            "/srv/inkorg-kit": str(where),
            "params/min-kampanj.yaml": "params/demo/campaign.yaml",
            "/srv/exports/min-kampanj/": f"{export}/",
            "out/min-kampanj/": f"{RUN}/",
        }.items():
            assert placeholder in command, f"README's crontab line changed: {cron}"
            command = command.replace(placeholder, here)
        done = _run(["bash", "-c", _as_typed(command)], where)
        log = (run / "report.log").read_text(encoding="utf-8")
        assert done.returncode == 0, log[-3000:]
        (folder,) = (run / "reports").iterdir()
        assert f"rapport: {RUN}/reports/{folder.name}/" in log
        assert list(folder.glob("*.html")) and (folder / "04_read_rates_followup.ipynb").is_file()
    finally:
        export.rename(copy.folder.path("status_export_dir"))
    _scan_run_folder(run)


def test_readme_help_notebook_command_lists_the_parameters() -> None:
    (command,) = re.findall(r"`(\.venv/bin/papermill --help-notebook [^`]+)`", _readme())
    done = _run(["bash", "-c", _as_typed(command)], REPO)
    assert done.returncode == 0, done.stderr
    notebook = REPO / command.split()[-1]
    for name in ("campaign_file", "part_size", "password_env", "override_reason"):
        assert f"  {name}: " in done.stdout, done.stdout
    assert "max personnummer per file" in done.stdout  # the parameter's comment
    assert notebook.is_file()


@TCP_KERNELS  # the papermill command, as the README writes it, starts kernels over TCP
def test_readme_papermill_block_runs_each_notebook_on_its_own(tmp_path: Path) -> None:
    commands = _block_after("## Running one notebook on its own")
    assert sum("papermill notebooks/" in c for c in commands) == 5, commands

    shutil.copytree(REPO / "notebooks", tmp_path / "notebooks")
    shutil.copytree(REPO / "params", tmp_path / "params")
    done = _run(["bash", "-c", _as_typed("\n".join(commands))], tmp_path)
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
