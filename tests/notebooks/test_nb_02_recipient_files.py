"""notebooks/02_recipient_files.ipynb under papermill (and nbval): files, manifest, archive, leaks.

The input is a messy list built from Skatteverket's test numbers in ``tmp_path`` (nothing with
numbers is committed); the demo params otherwise apply.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from papermill.exceptions import PapermillExecutionError
from support import ARCHIVE_PASSWORD as PASSWORD
from support import (
    REPO,
    TCP_KERNELS,
    assert_no_personnummer,
    build_run_for_recipient_files,
    committed_defaults,
    messy_list,
    notebook_text,
    run_7z,
    run_notebook,
)

from inkorg_kit import recipients as rc

NOTEBOOK = "02_recipient_files.ipynb"
PARAMS = REPO / "params" / "demo" / "02_recipient_files.yaml"
PASSWORD_ENV = "INKORG_7Z_PASSWORD"
DEFAULTS = {
    "campaign_file": "",  # the inkorg-kit lab campaign, else the demo
    "input_file": "",
    "pnr_column": "personnummer",
    "run_dir": "",
    "part_size": 250,
    "order": "pnr",
    "group_by": "",
    "balance": True,
    "seed": 2026,
    "password_env": PASSWORD_ENV,
    "override_reason": "",
    "reference_date": "",
}

pytestmark = pytest.mark.slow


def _input(tmp_path: Path, n_ok: int = 700) -> tuple[Path, dict]:
    frame, expected = messy_list(n_ok, seed=11)
    path = tmp_path / "input" / "utdrag.csv"
    path.parent.mkdir()
    frame.write_csv(path, separator=";")
    return path, expected


def _scan(nb_path: Path, run_dir: Path) -> None:
    """No full personnummer in the notebook or any file in the run folder except the import
    files, the archive and notebook 01's target group (the input); the password nowhere."""
    text = notebook_text(nb_path)
    assert_no_personnummer(text, str(nb_path))
    assert PASSWORD not in text
    archive = rc.archive_path(run_dir, "blodtryck-solbacka-2027")
    for path in (p for p in run_dir.rglob("*") if p.is_file()):
        data = path.read_bytes()
        assert PASSWORD.encode() not in data, path
        is_import_file = path.parent.name == "recipients" and path.suffix == ".txt"
        is_input = path == run_dir / "target_group.parquet"
        if not (is_import_file or is_input) and path != archive:
            assert_no_personnummer(data.decode("utf-8"), str(path))


def _snapshot(run_dir: Path) -> dict[str, bytes]:
    """The import files and the manifest, byte for byte."""
    return {p.name: p.read_bytes() for p in sorted((run_dir / "recipients").iterdir())}


def test_notebook_is_committed_thin_and_parameterised() -> None:
    assert committed_defaults(NOTEBOOK, PARAMS) == DEFAULTS


@TCP_KERNELS  # the nbval run below starts its kernel over TCP
def test_demo_params_make_files_manifest_and_archive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    input_file, expected = _input(tmp_path)
    run_dir = tmp_path / "run"
    parameters = {
        "campaign_file": str(REPO / "params/demo/campaign.yaml"),
        "input_file": str(input_file),
        "run_dir": str(run_dir),
        "group_by": "enhet",
    }
    out = run_notebook(
        NOTEBOOK,
        tmp_path / "nb",
        params_file=PARAMS,
        parameters=parameters,
        env={PASSWORD_ENV: PASSWORD},
    )

    manifest = rc.read_manifest(run_dir)
    assert manifest["campaign"] == "blodtryck-solbacka-2027"
    assert manifest["split"]["group_by"] == "enhet"
    assert manifest["totals"]["rows"] == expected["sent_out"]
    assert manifest["source_summary"]["input_rows"] == expected["input_rows"]
    assert manifest["source_summary"]["duplicates"] == expected["duplicates"]
    assert manifest["totals"]["files"] == 4  # two units of 350: two balanced files each
    archive = rc.archive_path(run_dir, manifest["campaign"])
    tested = run_7z("t", f"-p{PASSWORD}", str(archive))
    assert tested.returncode == 0 and "Everything is Ok" in tested.stdout

    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    assert rc.verify(run_dir, password_env=PASSWORD_ENV, archive=True).ok

    text = notebook_text(out)
    for shown in ("Skickas ut", "Avvisade: fel kontrollsiffra", "Klart:", "image/svg+xml"):
        assert shown in text, shown
    assert "-****" in text  # masked examples are shown …
    _scan(out, run_dir)  # … and nothing else

    # nbval: executing the executed notebook again gives the same outputs (byte-identical
    # files and manifest give the same tables, hashes and charts)
    before = _snapshot(run_dir)
    env = {**os.environ, PASSWORD_ENV: PASSWORD}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval", "-p", "no:cacheprovider", "-q", str(out)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert _snapshot(run_dir) == before
    _scan(out, run_dir)


def test_an_override_given_here_is_kept_so_a_rerun_is_byte_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign = yaml.safe_load((REPO / "params/demo/campaign.yaml").read_text(encoding="utf-8"))
    campaign["category"] = "marketing"  # a guideline error that needs a written reason
    campaign_file = tmp_path / "kampanj.yaml"
    campaign_file.write_text(yaml.safe_dump(campaign, allow_unicode=True), encoding="utf-8")
    run_dir = build_run_for_recipient_files(tmp_path / "run")
    reason = "Beslut av verksamhetschef Johan Ekström 2027-02-01, dnr 123"
    parameters = {
        "campaign_file": str(campaign_file),
        "run_dir": str(run_dir),
        "override_reason": reason,
    }
    snapshots, archives = [], []
    for attempt in range(2):
        out = run_notebook(
            NOTEBOOK,
            tmp_path / f"nb{attempt}",
            params_file=PARAMS,
            parameters=parameters,
            env={PASSWORD_ENV: PASSWORD},
        )
        snapshots.append(_snapshot(run_dir))
        archives.append(rc.archive_path(run_dir, campaign["name"]).read_bytes())
        _scan(out, run_dir)
    override = rc.read_manifest(run_dir)["override"]
    assert override["reason"] == reason and override["errors"] == ["forbidden_category"]
    assert snapshots[0] == snapshots[1]  # files and manifest, override time included
    assert archives[0] != archives[1]  # the archive is new each time (salt, IV) …
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    assert rc.verify(run_dir, password_env=PASSWORD_ENV, archive=True).ok  # … its members agree


def test_without_a_password_the_run_stops_and_says_which_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # notebook 01's output; input_file stays empty
    run_dir = build_run_for_recipient_files(tmp_path / "run")
    unset = "INKORG_TEST_NOT_SET"
    monkeypatch.delenv(unset, raising=False)
    with pytest.raises(PapermillExecutionError) as raised:
        run_notebook(
            NOTEBOOK,
            tmp_path / "nb",
            params_file=PARAMS,
            parameters={
                "campaign_file": str(REPO / "params/demo/campaign.yaml"),
                "run_dir": str(run_dir),
                "password_env": unset,
                "order": "shuffle",
                "group_by": "unit_hsa_id",
            },
        )
    assert raised.value.ename == "PasswordError"
    assert unset in raised.value.evalue
    # the files and manifest are whole, with notebook 01's funnel; only the archive is missing
    assert not rc.archive_path(run_dir, "blodtryck-solbacka-2027").exists()
    manifest = rc.read_manifest(run_dir)
    assert manifest["source_summary"]["input_rows"] == 1000
    assert manifest["split"] == {
        "part_size": 250,
        "balance": True,
        "order": "shuffle",
        "group_by": "unit_hsa_id",
        "seed": 2026,
    }
    result = rc.verify(run_dir, archive=False)
    assert result.ok, result.failures
    text = notebook_text(tmp_path / "nb" / NOTEBOOK)
    assert "Undantagna: ålder 50–74 år" in text
    _scan(tmp_path / "nb" / NOTEBOOK, run_dir)
