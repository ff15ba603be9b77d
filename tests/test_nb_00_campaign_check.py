"""notebooks/00_campaign_check.ipynb under papermill: the checklist, the report, the stop."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import REPO, assert_no_personnummer, committed_defaults, notebook_text, run_notebook
from papermill.exceptions import PapermillExecutionError

NOTEBOOK = "00_campaign_check.ipynb"
PARAMS = REPO / "params" / "demo" / "00_campaign_check.yaml"
DEMO = REPO / "params" / "demo" / "campaign.yaml"

pytestmark = pytest.mark.slow


def _scan_run(nb_path: Path, run_dir: Path) -> None:
    assert_no_personnummer(notebook_text(nb_path), str(nb_path))
    for path in run_dir.iterdir():
        assert_no_personnummer(path.read_text(encoding="utf-8"), str(path))


def _forbidden_campaign(tmp_path: Path) -> Path:
    data = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    data["category"] = "marketing"
    path = tmp_path / "marketing.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_notebook_is_committed_thin_and_parameterised() -> None:
    assert committed_defaults(NOTEBOOK, PARAMS) == {
        "campaign_file": "params/demo/campaign.yaml",
        "run_dir": "",
        "override_reason": "",
    }


def test_demo_campaign_runs_and_writes_the_report(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    out = run_notebook(
        NOTEBOOK, tmp_path / "nb", params_file=PARAMS, parameters={"run_dir": str(run_dir)}
    )
    report = json.loads((run_dir / "campaign_check.json").read_text(encoding="utf-8"))
    assert report["campaign"] == "blodtryck-solbacka-2027"
    assert report["ok"] is True and report["override"] is None
    assert report["counts"]["errors"] == 0
    assert (run_dir / "campaign_check.md").is_file()
    assert (run_dir / "campaign_check.csv").is_file()
    text = notebook_text(out)
    assert "Tillåten typ av utskick" in text  # the checklist is shown
    assert "Inga fel" in text
    _scan_run(out, run_dir)


def test_forbidden_category_fails_the_run_unless_overridden(tmp_path: Path) -> None:
    campaign_file = _forbidden_campaign(tmp_path)
    run_dir = tmp_path / "run"
    params = {"campaign_file": str(campaign_file), "run_dir": str(run_dir)}
    with pytest.raises(PapermillExecutionError) as raised:
        run_notebook(NOTEBOOK, tmp_path / "nb-fail", params_file=PARAMS, parameters=params)
    assert raised.value.ename == "CampaignError"
    assert "forbidden_category" in raised.value.evalue
    # the checklist was still written for the analyst, without an override
    report = json.loads((run_dir / "campaign_check.json").read_text(encoding="utf-8"))
    assert report["ok"] is False and report["override"] is None

    reason = "Beslut av hälso- och sjukvårdsdirektören 2027-02-01, dnr 123"
    out = run_notebook(
        NOTEBOOK,
        tmp_path / "nb-override",
        params_file=PARAMS,
        parameters={**params, "override_reason": reason},
    )
    report = json.loads((run_dir / "campaign_check.json").read_text(encoding="utf-8"))
    assert report["ok"] is False
    assert report["override"]["reason"] == reason
    assert report["override"]["errors"] == ["forbidden_category"]
    assert "Fel åsidosatta" in notebook_text(out)
    _scan_run(out, run_dir)
