"""Retention of issue 13 (GDPR storage limitation): personal data kept forever.

Before: nothing ever deleted a run folder's personnummer. The target group, the import files,
the archive, the status export, the follow-up lists and letters, the executed notebooks (whose
parameters could hold a number in full, attack 4) stayed in ``out/`` for as long as the disk
lasted. Now ``inkorg-kit purge out/ --yes`` (nightly from cron) deletes them once the campaign's
retention after the last follow-up has passed, and the attacker who reads the run folder
afterwards finds no personnummer in any file, file name, record or message: every file's text
is scanned with the kit's own finder, as the demo scan does.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from support import RunFolderBuilder, build_run_folder, skatteverket_numbers
from support.people import shuffled_adults

from inkorg_kit.cli import main
from inkorg_kit.privacy import find_in_text
from inkorg_kit.run import RunFolder

NAME = "gallring-attack-2020"
NUMBERS = skatteverket_numbers()
ONE, TWO, THREE = NUMBERS[100], NUMBERS[200], NUMBERS[300]


def _digits(number: str) -> str:
    return number.replace("-", "")


def _leaks(root: Path) -> dict[str, list[str]]:
    """Every file under ``root`` whose name or text holds a full personnummer."""
    found = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        text = path.read_bytes().decode("utf-8", errors="replace") if path.is_file() else ""
        hits = find_in_text(relative) + find_in_text(text)
        if hits:
            found[relative] = hits
    return found


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """``out/`` with one run folder whose follow-up was long ago (2020), holding personnummer
    in every place a run leaves them, and in some it should not."""
    out = tmp_path / "out"
    run = out / NAME
    people = shuffled_adults(300, seed=3).to_frame()
    build_run_folder(run, people, campaign=NAME)  # target group and import files
    folder = RunFolder(run, NAME)
    builder = RunFolderBuilder(run, NAME)
    numbers = "\r\n".join(people["personnummer"].to_list()[:50])
    folder.path("archive").write_text(numbers)  # stand-in: what the archive unpacks to
    (run / "status_export").mkdir()
    (run / "status_export" / "skickade_arenden.csv").write_text(
        f"Personnummer;Skickat;Status;Läst\r\n{_digits(ONE)}.0;2020-01-07 09:00;Läst;\r\n"
    )
    (run / "status_export" / f"export_{_digits(TWO)}.csv").write_text("a file named by a number")
    letters = run / "followup" / "followup_letters.csv"
    letters.parent.mkdir()
    letters.write_text(f"personnummer;lista\r\n{ONE};failed\r\n")
    (run / "followup" / "failed" / "recipients").mkdir(parents=True)
    (run / "followup" / "failed" / "recipients" / "failed_001-of-001.txt").write_text(ONE)
    builder.path("followup_manifest").write_text(
        json.dumps({"campaign": NAME, "exported_at": "2020-01-10T08:00:00+01:00", "lists": {}})
    )
    # a number typed into --override-reason: in the executed notebook's parameters, in full
    (run / "notebooks").mkdir()
    (run / "notebooks" / "02_recipient_files.ipynb").write_text(
        json.dumps(
            {
                "cells": [{"cell_type": "code", "source": f'override_reason = "{THREE}"'}],
                "metadata": {"papermill": {"parameters": {"override_reason": THREE}}},
            }
        )
    )
    # ... and in the recorded override, a file the purge keeps (the decision stays, masked)
    builder.path("recipients_override").write_text(
        json.dumps({"campaign": NAME, "reason": f"see {THREE}", "errors": []})
    )
    (run / f".{folder.path('target_group').name}.x1y2.part").write_text(numbers)
    (run / "egen_lista.csv").write_text(numbers)  # the analyst's own copy
    (run / "reports" / "2020-01-10_063000").mkdir(parents=True)
    (run / "reports" / "2020-01-10_063000" / "04_read_rates_followup.ipynb").write_text(TWO)
    builder.path("send_plan_csv").write_text("file_name,rows\nx.txt,250\n")
    return out


def test_after_purge_no_file_under_the_run_folder_holds_a_personnummer(
    out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = out / NAME
    assert _leaks(run), "the attack needs personnummer to start with"
    assert main(["purge", str(out)]) == 0  # the dry run lists them, masked
    listed = capsys.readouterr()
    assert main(["purge", str(out), "--yes"]) == 0
    done = capsys.readouterr()
    assert _leaks(run) == {}
    for printed in (listed.out, listed.err, done.out, done.err):
        assert find_in_text(printed) == [], printed
    assert "egen_lista.csv" in listed.out and "okänd fil" in listed.out
    # what holds only aggregates is still there
    assert (run / "send_plan.csv").is_file() and (run / "recipients" / "manifest.json").is_file()
    override = json.loads((run / "recipients_override.json").read_text())
    assert override["reason"].startswith("see ") and THREE not in override["reason"]


def test_the_purge_record_names_the_files_without_their_numbers(out: Path) -> None:
    assert main(["purge", str(out), "--yes"]) == 0
    record = (out / NAME / "purge_record.json").read_text(encoding="utf-8")
    assert find_in_text(record) == []
    entry = json.loads(record)["purges"][0]
    assert any(name.startswith("status_export/export_") for name in entry["files"])
    assert entry["masked"] == ["recipients_override.json"]


def test_a_purge_through_a_symbolic_link_is_refused(out: Path, tmp_path: Path) -> None:
    link = tmp_path / "looks-like-out"
    link.symlink_to(out / NAME)
    assert main(["purge", str(link), "--yes"]) == 2
    assert _leaks(out / NAME), "nothing was deleted through the link"


def test_purge_deletes_nothing_outside_the_run_folder(out: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text(ONE)
    (out / NAME / "status_export" / "pointer").symlink_to(elsewhere)
    os.symlink(elsewhere / "keep.txt", out / NAME / "recipients" / "keep-link.txt")
    assert main(["purge", str(out), "--yes"]) == 0
    assert (elsewhere / "keep.txt").read_text() == ONE
    assert _leaks(out / NAME) == {}


def test_a_recent_followup_keeps_the_data(out: Path) -> None:
    manifest = out / NAME / "followup" / "followup_manifest.json"
    recent = (dt.datetime.now().astimezone() - dt.timedelta(days=5)).isoformat()
    manifest.write_text(json.dumps({"campaign": NAME, "exported_at": recent, "lists": {}}))
    assert main(["purge", str(out), "--yes"]) == 0
    assert (out / NAME / "target_group.parquet").is_file()
