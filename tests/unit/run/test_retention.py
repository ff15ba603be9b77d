"""Retention: `inkorg-kit purge` lists, then deletes, the personal data of a run folder once the
campaign's retention after the last follow-up has passed, keeps the aggregates, records what it
did, and the orderer's report says so.

The run folder is the kit's own: steps 01 and 02 by the builder, a simulated status export and
step 04 (`steps.read_rates_followup.run`), plus what `inkorg-kit run` and `report` leave beside
them (executed notebooks, a dated report folder) and a stand-in for the archive.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest
from support import (
    DEMO_CAMPAIGN,
    REPO,
    RunFolderBuilder,
    assert_no_personnummer,
    write_after_sending,
)
from support.run_folder import build_run_for_followup

from inkorg_kit.cli.main import _parser, main
from inkorg_kit.cli.purge import purge_command
from inkorg_kit.config.campaign import load_campaign, parse_campaign
from inkorg_kit.config.yaml import parse_yaml
from inkorg_kit.errors import CampaignError
from inkorg_kit.run import RunFolder, load_json
from inkorg_kit.run.retention import (
    Retention,
    folder_retention,
    plan_purge,
    purge,
    purge_note,
    retention_start,
)
from inkorg_kit.steps import read_rates_followup
from inkorg_kit.vocab import TIME_ZONE

CAMPAIGN = load_campaign(DEMO_CAMPAIGN)
STAMP = "reports/2027-03-27_063000"
# What a purge must delete from the folder below (every file that holds personnummer, and the
# working copies), and what it must keep: written out here, not derived from the kit's table.
PERSONAL = {
    "target_group.parquet",
    "blodtryck-solbacka-2027_recipients.7z",
    "recipients/blodtryck-solbacka-2027_001-of-003.txt",
    "recipients/blodtryck-solbacka-2027_002-of-003.txt",
    "recipients/blodtryck-solbacka-2027_003-of-003.txt",
    "status_export/skickade_arenden.csv",
    "status_export/misslyckade_utskick.csv",
    "followup/followup_letters.csv",
    "followup/failed/recipients/failed_001-of-001.txt",
    "followup/unread-after-24h/recipients/unread-after-24h_001-of-001.txt",
}
WORKING = {
    "notebooks/01_target_group.ipynb",
    "notebooks/04_read_rates_followup.ipynb",
    f"{STAMP}/04_read_rates_followup.ipynb",
    "target_rejected.csv",
}
KEPT = {
    "blodtryck-solbacka-2027_uppfoljning.html",
    f"{STAMP}/blodtryck-solbacka-2027_uppfoljning.html",
    "recipients/manifest.json",
    "recipients/manifest.csv",
    "followup/followup_manifest.json",
    "followup/failed/recipients/manifest.json",
    "followup/failed/recipients/manifest.csv",
    "followup/unread-after-24h/recipients/manifest.json",
    "followup/unread-after-24h/recipients/manifest.csv",
    "fitted_reach.yaml",
    "send_plan.csv",
}


def _notebook(campaign_file: str, output: str = "") -> str:
    """An executed notebook as papermill leaves it: its parameters in the metadata."""
    cell = {
        "cell_type": "code",
        "execution_count": 1,
        "metadata": {},
        "source": "x = 1",
        "outputs": [{"output_type": "stream", "name": "stdout", "text": output}],
    }
    meta = {"papermill": {"parameters": {"campaign_file": campaign_file, "run_dir": "out/x"}}}
    return json.dumps({"cells": [cell], "metadata": meta, "nbformat": 4, "nbformat_minor": 5})


@pytest.fixture(scope="module")
def followed_up(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run folder after the follow-up: the kit's artefacts of steps 01-04 and the rest."""
    run = tmp_path_factory.mktemp("retention") / "run"
    build_run_for_followup(run, 600)
    read_rates_followup.run(write_after_sending(run), run)
    folder = RunFolder(run, CAMPAIGN.name)
    builder = RunFolderBuilder(run)
    folder.path("archive").write_bytes(b"7z\xbc\xaf\x27\x1c encrypted stand-in")
    builder.path("send_plan_csv").write_text("file_name,rows\nx_001-of-003.txt,200\n")
    builder.path("target_rejected_csv").write_text(
        "first_row,rows,reason,value_masked\n238,1,bad_checksum,19840803-****\n"
    )
    (run / "notebooks").mkdir()
    for step in ("01_target_group", "04_read_rates_followup"):
        (run / "notebooks" / f"{step}.ipynb").write_text(_notebook(str(DEMO_CAMPAIGN)))
    (run / STAMP).mkdir(parents=True)
    report = folder.path("report_html")
    shutil.copy(report, run / STAMP / report.name)
    (run / STAMP / "04_read_rates_followup.ipynb").write_text(_notebook(str(DEMO_CAMPAIGN)))
    return run


@pytest.fixture
def run(followed_up: Path, tmp_path: Path) -> Path:
    """A fresh copy of the followed-up run folder, under ``<tmp>/out/``."""
    copy = tmp_path / "out" / CAMPAIGN.name
    shutil.copytree(followed_up, copy)
    return copy


def _files(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _exported_at(run: Path) -> dt.datetime:
    manifest = json.loads((run / "followup" / "followup_manifest.json").read_text())
    return dt.datetime.fromisoformat(manifest["exported_at"]).astimezone(TIME_ZONE)


def _past_retention(run: Path, days: int = 90) -> dt.datetime:
    return _exported_at(run) + dt.timedelta(days=days, minutes=1)


def _campaign_file(tmp_path: Path, retention_days: int) -> Path:
    text = DEMO_CAMPAIGN.read_text(encoding="utf-8")
    text = text.replace(
        "  status_export: {}", f"  status_export: {{}}\n  retention_days: {retention_days}"
    )
    path = tmp_path / "campaign.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_fixture_holds_what_the_test_expects(followed_up: Path) -> None:
    assert set(_files(followed_up)) == PERSONAL | WORKING | KEPT


# --------------------------------------------------------------------------- the campaign


def test_retention_days_defaults_to_90_and_is_a_whole_number_of_days() -> None:
    assert CAMPAIGN.followup.retention_days == 90
    data = parse_yaml(DEMO_CAMPAIGN.read_text(encoding="utf-8"), "campaign.yaml")
    for wrong in (0, -5, True, "90", 90.5, 4000):
        data["followup"]["retention_days"] = wrong
        with pytest.raises(CampaignError, match="retention_days"):
            parse_campaign(data)
    data["followup"]["retention_days"] = 30
    assert parse_campaign(data).followup.retention_days == 30


def test_the_field_says_what_retention_counts_from() -> None:
    from inkorg_kit.config.campaign_parts import Followup

    described = Followup.model_fields["retention_days"].description or ""
    assert "exported_at" in described and "last follow-up" in described


# --------------------------------------------------------------------------- dry run and --yes


def test_dry_run_lists_the_files_and_deletes_nothing(
    run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _files(run)
    assert purge_command(run.parent, now=_past_retention(run)) == 0
    out = capsys.readouterr().out
    assert "Provkörning" in out and "--yes" in out
    listed = set(re.findall(r"^  (\S+)  \(", out, re.M))
    assert listed == PERSONAL | WORKING
    assert _files(run) == before
    assert not (run / "purge_record.json").exists()


def test_yes_deletes_exactly_the_files_with_personnummer_and_keeps_the_rest(
    run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _files(run)
    assert purge_command(run.parent, yes=True, now=_past_retention(run)) == 0
    after = _files(run)
    assert set(after) == KEPT | {"purge_record.json"}
    reports = {p for p in KEPT if p.endswith(".html")}
    for path in KEPT - reports:
        assert after[path] == before[path], f"{path} changed"
    assert not (run / "status_export").exists() and not (run / "notebooks").exists()
    assert "borttaget: 14 fil(er)" in capsys.readouterr().out


def test_the_record_says_when_who_and_what_and_holds_no_personnummer(run: Path) -> None:
    now = _past_retention(run)
    assert purge_command(run.parent, yes=True, now=now) == 0
    record = load_json(run, "purge_record").model_dump()
    assert record["campaign"] == CAMPAIGN.name
    assert record["retention_days"] == 90
    assert record["counted_from_what"] == "followup_exported_at"
    assert dt.datetime.fromisoformat(record["counted_from"]) == _exported_at(run)
    (entry,) = record["purges"]
    assert dt.datetime.fromisoformat(entry["purged_at"]) == now.replace(microsecond=0)
    assert entry["purged_by"] == getpass.getuser()
    assert set(entry["files"]) == PERSONAL | WORKING
    assert entry["counts"]["total"] == len(PERSONAL | WORKING)
    assert entry["counts"]["personnummer"] == len(PERSONAL)
    assert_no_personnummer((run / "purge_record.json").read_text(), "purge_record.json")


def test_a_second_purge_finds_nothing_and_adds_no_entry(
    run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = _past_retention(run)
    purge_command(run.parent, yes=True, now=now)
    record = (run / "purge_record.json").read_text()
    assert purge_command(run.parent, yes=True, now=now + dt.timedelta(days=1)) == 0
    assert "redan gallrad" in capsys.readouterr().out
    assert (run / "purge_record.json").read_text() == record


def test_a_folder_within_its_retention_is_untouched(
    run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _files(run)
    within = _exported_at(run) + dt.timedelta(days=89, hours=23)
    assert purge_command(run.parent, yes=True, now=within) == 0
    assert _files(run) == before
    due = (_exported_at(run) + dt.timedelta(days=90)).strftime("%Y-%m-%d %H:%M")
    assert f"sparas till {due}" in capsys.readouterr().out


# --------------------------------------------------------------------------- when it counts from


def test_retention_counts_from_the_last_followup(run: Path) -> None:
    start = retention_start(run)
    assert start is not None and start.basis == "followup_exported_at"
    assert start.at == _exported_at(run)
    planned = CAMPAIGN.planned_send_start
    assert start.at > planned  # not from the send start while there is a follow-up
    plan = plan_purge(run, now=_exported_at(run) + dt.timedelta(days=89))
    assert not plan.due and plan.due_at == _exported_at(run) + dt.timedelta(days=90)
    assert plan_purge(run, now=_past_retention(run)).due


def test_a_later_followup_restarts_the_count(run: Path) -> None:
    path = run / "followup" / "followup_manifest.json"
    manifest = json.loads(path.read_text())
    first = _exported_at(run)
    later = first + dt.timedelta(days=60)
    manifest["exported_at"] = later.isoformat()
    path.write_text(json.dumps(manifest))
    assert not plan_purge(run, now=first + dt.timedelta(days=91)).due
    assert plan_purge(run, now=later + dt.timedelta(days=90, minutes=1)).due


def test_without_a_followup_it_counts_from_the_planned_send_start(tmp_path: Path) -> None:
    run = tmp_path / "run"
    build_run_for_followup(run, 300)
    manifest = json.loads((run / "recipients" / "manifest.json").read_text())
    manifest["planned_send_start"] = "2027-03-16T09:00:00+01:00"
    (run / "recipients" / "manifest.json").write_text(json.dumps(manifest))
    start = retention_start(run)
    assert start is not None and start.basis == "planned_send_start"
    assert start.at == dt.datetime(2027, 3, 16, 9, tzinfo=TIME_ZONE)


def test_with_nothing_else_it_counts_from_the_newest_file(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "target_group.parquet").write_bytes(b"PAR1")
    start = retention_start(run)
    assert start is not None and start.basis == "newest_file"
    assert abs((dt.datetime.now(TIME_ZONE) - start.at).total_seconds()) < 60
    (tmp_path / "empty").mkdir()
    assert retention_start(tmp_path / "empty") is None


# --------------------------------------------------------------------------- how long


def test_the_campaign_files_retention_is_used(
    run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    short = _campaign_file(tmp_path, 30)
    now = _past_retention(run, days=30)
    assert purge_command(short, run_dir=run, now=now) == 0
    assert "lagringstid 30 dagar" in capsys.readouterr().out
    assert purge_command(short, run_dir=run, yes=True, now=now) == 0
    assert set(_files(run)) == KEPT | {"purge_record.json"}
    assert load_json(run, "purge_record").model_dump()["retention_days"] == 30


def test_out_takes_each_folders_retention_from_the_campaign_its_notebooks_ran(
    run: Path, tmp_path: Path
) -> None:
    assert folder_retention(run) == Retention(90, f"kampanjfilen {DEMO_CAMPAIGN}")
    short = _campaign_file(tmp_path, 30)
    for notebook in run.rglob("*.ipynb"):
        notebook.write_text(_notebook(str(short)))
    assert folder_retention(run).days == 30
    plan = plan_purge(run, now=_past_retention(run, days=30))
    assert plan.due and plan.retention.days == 30


def test_without_a_campaign_file_the_default_or_the_last_purges_retention(run: Path) -> None:
    for notebook in run.rglob("*.ipynb"):
        notebook.write_text(_notebook("gone/campaign.yaml"))
    assert folder_retention(run) == Retention(90, "standard")
    plan = plan_purge(run, retention=Retention(45, "test"), now=_past_retention(run, 45))
    purge(plan)
    assert folder_retention(run) == Retention(45, "förra gallringen")


# --------------------------------------------------------------------------- the report


def test_the_report_says_when_the_personal_data_was_purged(run: Path) -> None:
    assert purge_note(run) is None
    now = _past_retention(run)
    purge(plan_purge(run, now=now))
    note = purge_note(run)
    assert note is not None and now.strftime("%Y-%m-%d kl. %H:%M") in note
    assert "90 dagar" in note
    for report in KEPT:
        if report.endswith(".html"):
            text = (run / report).read_text(encoding="utf-8")
            assert text.count("gallrades") == 1, report
            assert text.index("gallrades") < text.index("Sammanfattning")
    # a later purge (a file dropped in afterwards) replaces the note, never adds a second
    (run / "status_export").mkdir()
    (run / "status_export" / "ny.csv").write_text("Personnummer\n")
    purge(plan_purge(run, now=now + dt.timedelta(days=3)))
    text = (run / "blodtryck-solbacka-2027_uppfoljning.html").read_text(encoding="utf-8")
    assert text.count("gallrades") == 1
    assert (now + dt.timedelta(days=3)).strftime("%Y-%m-%d") in text


# --------------------------------------------------------------------------- what counts as a run


def test_unknown_files_and_interrupted_writes_go_and_links_are_not_followed(
    run: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.csv"
    outside.write_text("kept\n")
    (run / ".target_group.parquet.k3j2.part").write_bytes(b"half")
    (run / "egen_lista.xlsx").write_bytes(b"PK\x03\x04")
    (run / "recipients" / "link.csv").symlink_to(outside)
    purge(plan_purge(run, now=_past_retention(run)))
    assert set(_files(run)) == KEPT | {"purge_record.json"}
    assert outside.read_text() == "kept\n"  # the link went, not what it points to
    entry = load_json(run, "purge_record").model_dump()["purges"][0]
    assert entry["counts"]["unknown"] == 2  # the link lay in recipients/: personnummer


def test_out_finds_the_run_folders_and_skips_others_and_links(
    run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = run.parent
    (out / "demo").mkdir()
    (out / "demo" / "extract.csv").write_text("personnummer\n")  # the region's, not a run
    (out / "link").symlink_to(run)
    assert purge_command(out, yes=True, now=_past_retention(run)) == 0
    printed = capsys.readouterr().out
    assert "hoppar över en symbolisk länk" in printed
    assert (out / "demo" / "extract.csv").exists()
    assert set(_files(run)) == KEPT | {"purge_record.json"}


def test_the_command_line(run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["purge", str(run.parent)]) == 0  # today: within the retention
    assert "sparas till" in capsys.readouterr().out
    assert main(["purge", str(tmp_path / "nowhere")]) == 2
    assert "finns inte" in capsys.readouterr().err
    assert main(["purge", str(run.parent), "--run-dir", str(run)]) == 2
    assert "--run-dir" in capsys.readouterr().err


def test_the_readme_has_a_cron_line_for_purge() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Lagring och gallring", 1)[1].split("\n## ", 1)[0]
    line = re.search(r"^(\S+ \S+ \S+ \S+ \S+) cd \S+ && (\S+) (purge .*)$", section, re.M)
    assert line, "README: no cron line running inkorg-kit purge"
    assert line.group(2).endswith("inkorg-kit")
    args = _parser().parse_args(line.group(3).split(">>")[0].split())
    assert args.command == "purge" and args.yes


def test_a_folder_without_the_kits_records_is_not_taken_for_a_run_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    (home / "project" / "recipients").mkdir(parents=True)
    (home / "project" / "recipients" / "notes.txt").write_text("mine")
    (home / "project" / "send_plan.csv").write_text("mine")
    (home / "project" / "manifest.json").write_text("[]")
    now = dt.datetime(2100, 1, 1, tzinfo=TIME_ZONE)
    assert purge_command(home, yes=True, now=now) == 0
    assert purge_command(home / "project", yes=True, now=now) == 0
    assert "inga körmappar" in capsys.readouterr().out
    assert len(_files(home)) == 3
