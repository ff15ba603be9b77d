"""notebooks/03_reach_and_send_plan.ipynb under papermill: static view, plan files, no leaks."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
import yaml
from papermill.exceptions import PapermillExecutionError
from support import DEMO_CAMPAIGN_NAME as CAMPAIGN
from support import PANEL_GROUP_SIZE as PEOPLE
from support import (
    REPO,
    assert_no_personnummer,
    build_run_for_reach_plan,
    committed_defaults,
    notebook_text,
    run_notebook,
)

from inkorg_kit import schedule
from inkorg_kit.run import load_frame
from inkorg_kit.run.io import load_json

NOTEBOOK = "03_reach_and_send_plan.ipynb"
PARAMS = REPO / "params" / "demo" / "03_reach_and_send_plan.yaml"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

pytestmark = pytest.mark.slow


def _outputs(path: Path) -> list[dict]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]


def _scan_run(nb_path: Path, run_dir: Path) -> None:
    assert_no_personnummer(notebook_text(nb_path), str(nb_path))
    names = ["send_plan.csv", "send_plan.ics", "reach_summary.csv", "plan_choice.json"]
    names += [p.name for p in run_dir.glob("send_plan_*.ics")]  # one per handler
    for name in names:
        assert_no_personnummer((run_dir / name).read_text(encoding="utf-8"), name)


def test_notebook_is_committed_thin_and_parameterised() -> None:
    assert committed_defaults(NOTEBOOK, PARAMS) == {
        "campaign_file": "",  # the inkorg-kit lab campaign, else the demo
        "run_dir": "",
        "assumptions_file": "",
        "priors": "register",  # pooled from the campaign register; national while it is empty
        "draws": 2000,
        "seed": 2026,
        "interactive": "auto",
        "earliest_start": "",
        "handlers": 0,
        "minutes_per_file": 0,
        "compare_send_times": [],  # the planned start vs that week's Friday 15:30
        "strategy": "",  # the campaign's followup.strategy
    }
    demo = yaml.safe_load(PARAMS.read_text(encoding="utf-8"))
    assert demo["interactive"] is False  # scheduled runs are static whatever the detection says


def test_demo_params_run_static_and_write_the_plan(tmp_path: Path) -> None:
    run_dir = build_run_for_reach_plan(tmp_path / "run")
    out = run_notebook(
        NOTEBOOK,
        tmp_path / "nb",
        params_file=PARAMS,
        parameters={"run_dir": str(run_dir), "draws": 500},
    )
    outputs = _outputs(out)
    kinds = [k for o in outputs for k in o.get("data", {})]
    assert WIDGET_VIEW not in kinds  # the static view: no widgets under papermill
    assert kinds.count("image/svg+xml") == 5  # funnel, read curve, send times, Gantt, strategies
    tables = "".join(
        "".join(o["data"]["text/html"]) for o in outputs if "text/html" in o.get("data", {})
    )
    assert 'data-testid="reach-summary"' in tables and "Kan nås i 1177-inkorgen" in tables
    assert 'data-measure="messageable"' in tables and "Sista fil klar" in tables
    assert "eget meddelande enligt sändplanen" in tables and "24 arbetstimmar" in tables
    assert "från första utskicket" not in tables
    plan = schedule.read_plan_csv(run_dir / "send_plan.csv")
    assert plan.height == 20 and plan["rows"].sum() == PEOPLE
    assert plan["handler"].unique().sort().to_list() == ["Amir Haddad", "Lena Holm"]
    assert plan["start"].min().strftime("%Y-%m-%d %H:%M") == "2027-03-16 09:00"
    ics = (run_dir / "send_plan.ics").read_text(encoding="utf-8")
    assert ics.count("BEGIN:VEVENT") == 20 and CAMPAIGN in ics
    assert "RRULE:FREQ=YEARLY" in ics and "RDATE" not in ics
    own = {p.name: p.read_text(encoding="utf-8") for p in run_dir.glob("send_plan_*.ics")}
    assert sorted(own) == ["send_plan_amir-haddad.ics", "send_plan_lena-holm.ics"]
    assert sum(text.count("BEGIN:VEVENT") for text in own.values()) == 20
    assert 'data-testid="strategies"' in tables  # the follow-up strategies side by side
    choice = load_json(run_dir, "plan_choice_json")
    assert choice.strategy == "letter" and choice.plan["reminder_files"] == 0  # the demo's
    assert plan["wave"].unique().to_list() == ["första"]
    summary = load_frame(run_dir, "reach_summary_csv")
    assert summary.filter(pl.col("measure") == "target")["expected"].item() == PEOPLE
    _scan_run(out, run_dir)


def test_auto_is_static_under_papermill_as_the_cli_runs_it(tmp_path: Path) -> None:
    """The inkorg-kit command passes only campaign_file and run_dir: "auto" must go static."""
    run_dir = build_run_for_reach_plan(tmp_path / "run")
    out = run_notebook(
        NOTEBOOK,
        tmp_path / "nb",
        parameters={"run_dir": str(run_dir), "draws": 200},
        env={"JPY_SESSION_NAME": "notebooks/03_reach_and_send_plan.ipynb"},  # as if in Lab
    )
    kinds = [k for o in _outputs(out) for k in o.get("data", {})]
    assert WIDGET_VIEW not in kinds and kinds.count("image/svg+xml") == 5  # with strategies
    assert (run_dir / "send_plan.ics").is_file()
    _scan_run(out, run_dir)


def test_missing_recipient_files_say_to_run_notebook_02(tmp_path: Path) -> None:
    run_dir = build_run_for_reach_plan(tmp_path / "run")
    (run_dir / "recipients" / "manifest.json").unlink()
    with pytest.raises(PapermillExecutionError) as raised:
        run_notebook(
            NOTEBOOK, tmp_path / "nb", params_file=PARAMS, parameters={"run_dir": str(run_dir)}
        )
    assert raised.value.ename == "RunFolderError"
    assert "notebook 02" in raised.value.evalue
    assert not (run_dir / "send_plan.csv").exists()
