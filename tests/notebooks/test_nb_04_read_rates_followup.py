"""notebooks/04_read_rates_followup.ipynb under papermill, and `inkorg-kit report` (cron)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from support import (
    REPO,
    assert_no_personnummer,
    build_run_for_followup,
    committed_defaults,
    demo_campaign_beside,
    notebook_text,
    run_notebook,
    write_after_sending,
)

from inkorg_kit import cli, reach, recipients

NOTEBOOK = "04_read_rates_followup.ipynb"
PARAMS = REPO / "params" / "demo" / "04_read_rates_followup.yaml"
DEMO = REPO / "params" / "demo" / "campaign.yaml"
REPORT = "blodtryck-solbacka-2027_uppfoljning.html"

pytestmark = pytest.mark.slow


def _run_folder(tmp_path: Path) -> tuple[Path, Path]:
    """A run folder after sending, its status export and bookings; and the campaign file (the
    demo's, its bookings beside the run folder: :mod:`support.after_sending`)."""
    run = tmp_path / "run"
    build_run_for_followup(run, 1200)
    write_after_sending(run, seed=4, outsiders=1)
    return run, demo_campaign_beside(run)


def test_notebook_is_committed_thin_and_parameterised() -> None:
    assert committed_defaults(NOTEBOOK, PARAMS) == {
        "campaign_file": "",  # the inkorg-kit lab campaign, else the demo
        "run_dir": "",
        "status_export": "",
        "report_dir": "",
        "unread_after_working_hours": 0,  # the campaign's followup.unread_after_working_hours
        "min_group_size": 5,
        "assumptions_file": "",
        "exported_at": "",
    }


def test_notebook_writes_lists_fit_and_report_without_personnummer(tmp_path: Path) -> None:
    run, campaign = _run_folder(tmp_path)
    reports = tmp_path / "reports"
    out = run_notebook(
        NOTEBOOK,
        tmp_path / "nb",
        params_file=PARAMS,
        parameters={
            "campaign_file": str(campaign),
            "run_dir": str(run),
            "report_dir": str(reports),
        },
    )
    html = reports / REPORT
    assert html.is_file()
    text = notebook_text(out)
    assert_no_personnummer(text, str(out))
    assert_no_personnummer(html.read_text(encoding="utf-8"), str(html))
    assert "image/svg+xml" in text  # the charts are shown, offline
    assert "Läsandel" in text and "Rapport:" in text
    assert "bokat blodtryckskontroll" in text  # the outcome follow-up, from the bookings
    assert "samband" in html.read_text(encoding="utf-8")  # an association, not an effect
    # the follow-up lists, written like recipient files
    for name in ("unread-after-24h", "failed"):
        assert recipients.verify(run / "followup" / name, archive=False).ok
    letters = run / "followup" / "followup_letters.csv"
    assert stat.S_IMODE(letters.stat().st_mode) == 0o600
    fitted = reach.load_assumptions(run / "fitted_reach.yaml")
    assert fitted.fitted_from is not None and fitted.fitted_from.n == 1200
    assert_no_personnummer(
        (run / "followup" / "followup_manifest.json").read_text(encoding="utf-8"), "manifest"
    )


def test_cli_report_runs_into_a_dated_folder(tmp_path: Path, monkeypatch, capsys) -> None:
    run, campaign = _run_folder(tmp_path)
    monkeypatch.chdir(REPO)
    code = cli.main(["report", str(campaign), "--run-dir", str(run)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    reports = sorted((run / "reports").glob("*/" + REPORT))
    assert len(reports) == 1 and f"rapport: {reports[0]}" in captured.out
    assert (reports[0].parent / NOTEBOOK).is_file()  # the executed notebook beside it


def test_cli_report_fails_clearly_without_an_export(tmp_path: Path, monkeypatch, capsys) -> None:
    run = tmp_path / "run"
    build_run_for_followup(run, 20)
    monkeypatch.chdir(REPO)
    code = cli.main(["report", str(DEMO), "--run-dir", str(run)])
    err = capsys.readouterr().err
    assert code == 1
    assert "StatusExportError" in err and "status_export" in err and "does not exist" in err
