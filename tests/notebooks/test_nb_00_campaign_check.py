"""notebooks/00_campaign_check.ipynb under papermill: the checklist, the report, the stop."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from papermill.exceptions import PapermillExecutionError
from support import REPO, assert_no_personnummer, committed_defaults, notebook_text, run_notebook

NOTEBOOK = "00_campaign_check.ipynb"
PARAMS = REPO / "params" / "demo" / "00_campaign_check.yaml"
DEMO = REPO / "params" / "demo" / "campaign.yaml"

pytestmark = pytest.mark.slow


def _scan_run(nb_path: Path, run_dir: Path) -> None:
    assert_no_personnummer(notebook_text(nb_path), str(nb_path))
    for path in run_dir.iterdir():
        assert_no_personnummer(path.read_text(encoding="utf-8"), str(path))


def _forbidden_campaign(tmp_path: Path, **changes: object) -> Path:
    data = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    data["category"] = "marketing"
    for key, value in changes.items():
        block, _, field = key.partition("__")
        (data[block] if field else data)[field or block] = value
    path = tmp_path / "marketing.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_notebook_is_committed_thin_and_parameterised() -> None:
    assert committed_defaults(NOTEBOOK, PARAMS) == {
        "campaign_file": "",  # the inkorg-kit lab campaign, else the demo
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

    # run again without a reason: the override recorded for these errors is kept
    out = run_notebook(NOTEBOOK, tmp_path / "nb-again", params_file=PARAMS, parameters=params)
    report = json.loads((run_dir / "campaign_check.json").read_text(encoding="utf-8"))
    assert report["override"]["reason"] == reason
    assert "Fel åsidosatta" in notebook_text(out)

    # a new error needs a new reason, and a thin reason is refused
    _forbidden_campaign(tmp_path, unit__hsa_id=None)
    with pytest.raises(PapermillExecutionError) as raised:
        run_notebook(NOTEBOOK, tmp_path / "nb-new-error", params_file=PARAMS, parameters=params)
    assert "given for other errors" in raised.value.evalue
    with pytest.raises(PapermillExecutionError) as raised:
        run_notebook(
            NOTEBOOK,
            tmp_path / "nb-thin",
            params_file=PARAMS,
            parameters={**params, "override_reason": "ok"},
        )
    assert "too short" in raised.value.evalue


def test_a_personnummer_in_the_message_stops_the_run_masked(tmp_path: Path) -> None:
    data = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    number = "19900101-2385"  # a Skatteverket test number
    data["message"]["purpose"] = f"Gäller {number} och andra med högt blodtryck."
    data["followup"]["other_channel"] = f"Brev till alla utom {number}"
    campaign_file = tmp_path / "pnr.yaml"
    campaign_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    run_dir = tmp_path / "run"
    params = {"campaign_file": str(campaign_file), "run_dir": str(run_dir)}
    with pytest.raises(PapermillExecutionError) as raised:
        run_notebook(NOTEBOOK, tmp_path / "nb", params_file=PARAMS, parameters=params)
    assert "no_personnummer_in_text" in raised.value.evalue
    assert_no_personnummer(raised.value.evalue, "the error")
    _scan_run(tmp_path / "nb" / NOTEBOOK, run_dir)
    assert "19900101-****" in notebook_text(tmp_path / "nb" / NOTEBOOK)
