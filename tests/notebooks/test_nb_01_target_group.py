"""notebooks/01_target_group.ipynb under papermill: the group, the funnel, the charts, no leaks.

The extract is the synthetic region written into ``tmp_path`` (nothing with numbers is
committed); the demo campaign and params file otherwise apply.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import nbformat
import polars as pl
import pytest
import yaml
from papermill.exceptions import PapermillExecutionError
from support import REPO, assert_no_personnummer, committed_defaults, notebook_text, run_notebook

from inkorg_kit import synth, target
from inkorg_kit.campaign import load_campaign
from inkorg_kit.run import load_frame

NOTEBOOK = "01_target_group.ipynb"
PARAMS = REPO / "params" / "demo" / "01_target_group.yaml"
DEMO = REPO / "params" / "demo" / "campaign.yaml"
DEFAULTS = {
    "campaign_file": "",  # the inkorg-kit lab campaign, else the demo
    "run_dir": "",
    "source": "",
    "reference_date": "",
}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def region_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return synth.region(6000, seed=5).write(tmp_path_factory.mktemp("region"), sqlite=False)


def test_notebook_is_committed_thin_and_parameterised() -> None:
    assert committed_defaults(NOTEBOOK, PARAMS) == DEFAULTS
    # thin: library calls, no loops over data, no file writing of its own
    code = nbformat.read(REPO / "notebooks" / NOTEBOOK, as_version=4).cells
    source = "\n".join(c.source for c in code if c.cell_type == "code")
    assert "open(" not in source and "write_parquet" not in source


def test_demo_campaign_selects_and_writes_the_group(region_files, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    out = run_notebook(
        NOTEBOOK,
        tmp_path / "nb",
        params_file=PARAMS,
        parameters={"source": str(region_files["extract"]), "run_dir": str(run_dir)},
    )
    group_path = run_dir / "target_group.parquet"
    for path in (group_path, run_dir / "target_funnel.csv", run_dir / "target_funnel.json"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    group = pl.read_parquet(group_path)
    assert {"personnummer", "age", "age_band", "sex", "unit_hsa_id", "last_contact"} <= set(
        group.columns
    )
    assert group.height > 0 and group["personnummer"].is_unique().all()
    assert group["personnummer"].str.contains(r"^\d{8}-\d{4}$").all()

    # the same as calling the library directly with the campaign's filters
    campaign = load_campaign(DEMO)
    direct = target.select(
        campaign.target,
        source=region_files["extract"],
        reference_date=campaign.planned_send_start.date(),
    )
    assert group.equals(direct.group)
    funnel = load_frame(run_dir, "target_funnel_csv")
    assert funnel.equals(direct.funnel)
    assert funnel["removed"].sum() + funnel["remaining"][-1] == funnel["remaining"][0]
    record = json.loads((run_dir / "target_funnel.json").read_text(encoding="utf-8"))
    assert record["target_group"] == group.height
    assert record["reference_date"] == "2027-03-16"

    text = notebook_text(out)
    assert "Tratt" in text and "image/svg+xml" in text  # both charts drawn offline
    assert "målgruppen är" in text
    assert_no_personnummer(text, str(out))
    for path in (run_dir / "target_funnel.csv", run_dir / "target_funnel.json"):
        assert_no_personnummer(path.read_text(encoding="utf-8"), str(path))


def test_a_missing_extract_stops_with_a_clear_message(tmp_path: Path) -> None:
    with pytest.raises(PapermillExecutionError) as raised:
        run_notebook(
            NOTEBOOK,
            tmp_path / "nb",
            params_file=PARAMS,
            parameters={"source": str(tmp_path / "saknas.csv"), "run_dir": str(tmp_path / "r")},
        )
    assert "does not exist" in str(raised.value)
    assert not (tmp_path / "r" / "target_group.parquet").exists()


def test_the_source_line_never_shows_a_database_password(tmp_path: Path) -> None:
    region = synth.region(1500, seed=6)
    files = region.write(tmp_path / "region")
    data = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    data["target"]["source"] = {"url_env": "INKORG_NB_DB", "query": synth.SQL_QUERY}
    campaign_file = tmp_path / "sql.yaml"
    campaign_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    run_dir = tmp_path / "run"
    out = run_notebook(
        NOTEBOOK,
        tmp_path / "nb",
        params_file=PARAMS,
        parameters={"campaign_file": str(campaign_file), "run_dir": str(run_dir)},
        env={"INKORG_NB_DB": f"sqlite:///{files['sqlite']}?password=hemligt"},
    )
    text = notebook_text(out)
    assert "SQL via $INKORG_NB_DB" in text and "hemligt" not in text
    funnel = (run_dir / "target_funnel.json").read_text(encoding="utf-8")
    assert "hemligt" not in funnel and json.loads(funnel)["target_group"] > 0
