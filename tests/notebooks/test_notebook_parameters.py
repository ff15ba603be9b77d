"""Every notebook's parameters under papermill: a misspelt one stops the notebook at its first
cell with the allowed names (papermill itself only warns, and the demo campaign ran), and an
empty ``campaign_file`` is the campaign ``inkorg-kit lab`` presets through the environment.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from papermill.exceptions import PapermillExecutionError
from support import DEMO_CAMPAIGN, REPO, run_notebook

from inkorg_kit.errors import ParameterError
from inkorg_kit.steps import parameters
from inkorg_kit.steps.parameters import CAMPAIGN_ENV

NOTEBOOKS = sorted(p.name for p in (REPO / "notebooks").glob("*.ipynb"))
DECLARED = 'campaign_file = ""  # the campaign\nrun_dir = ""  # the run folder'


def _history(*cells: str) -> dict[str, list[str]]:
    """A kernel's input history as IPython keeps it (``_ih``): "" first, the current cell last."""
    return {"_ih": ["", *cells, "parameters.check(globals(), 'x')"]}


def test_the_check_compares_the_injected_names_with_the_declared_ones() -> None:
    injected = '# Parameters\ncampaign_file = "a.yaml"\nrun_dir = "out/x"\n'
    parameters.check(_history(DECLARED, injected), "00_x")  # declared: fine
    parameters.check(_history(DECLARED), "00_x")  # nothing injected (JupyterLab): fine
    parameters.check({}, "00_x")  # not in a kernel: nothing to compare
    with pytest.raises(ParameterError) as stopped:
        parameters.check(_history(DECLARED, '# Parameters\nrundir = "x"\nseed = 1\n'), "00_x")
    assert str(stopped.value).startswith(
        "notebook 00_x har ingen parameter 'rundir', 'seed' (menade du run_dir?)."
        " Tillåtna parametrar: campaign_file, run_dir."
    )


def test_an_empty_campaign_file_is_the_preset_else_the_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(CAMPAIGN_ENV, raising=False)
    assert parameters.campaign_file("min.yaml") == Path("min.yaml")  # given: as given
    assert parameters.campaign_file("") == Path("params/demo/campaign.yaml")  # none exists
    (tmp_path / "out" / "demo").mkdir(parents=True)
    (tmp_path / "out" / "demo" / "campaign.yaml").write_text("name: x\n", encoding="utf-8")
    assert parameters.campaign_file("") == Path("out/demo/campaign.yaml")  # inkorg-kit demo's
    monkeypatch.setenv(CAMPAIGN_ENV, str(tmp_path / "egen.yaml"))
    assert parameters.campaign_file("") == tmp_path / "egen.yaml"  # inkorg-kit lab's
    assert parameters.campaign_file("min.yaml") == Path("min.yaml")  # given still wins


@pytest.mark.slow
@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_a_misspelt_parameter_stops_the_notebook_naming_the_allowed_ones(
    notebook: str, tmp_path: Path
) -> None:
    import papermill as pm

    declared = list(pm.inspect_notebook(str(REPO / "notebooks" / notebook)))
    run_dir = tmp_path / "run"
    with pytest.raises(PapermillExecutionError) as stopped:
        run_notebook(
            notebook,
            tmp_path / "nb",
            parameters={"campaign": str(DEMO_CAMPAIGN), "run_dir": str(run_dir)},
        )
    error = stopped.value
    assert error.ename == "ParameterError", error.evalue
    assert f"notebook {Path(notebook).stem} har ingen parameter 'campaign'" in error.evalue
    assert "(menade du campaign_file?)" in error.evalue
    assert f"Tillåtna parametrar: {', '.join(declared)}." in error.evalue
    # stopped in the first cell after the parameters, before anything was read or written
    executed = nbformat.read(tmp_path / "nb" / notebook, as_version=4)
    code = [c for c in executed.cells if c.cell_type == "code"]
    tags = [c.metadata.get("tags", []) for c in code]
    assert "parameters" in tags[0] and "injected-parameters" in tags[1]
    assert "parameters.check(globals()" in code[2].source
    assert any(o.get("ename") == "ParameterError" for o in code[2].outputs)
    assert not run_dir.exists()


@pytest.mark.slow
def test_declared_parameters_pass_the_check(tmp_path: Path) -> None:
    """The check passes every declared name (here the campaign and the run folder)."""
    run_dir = tmp_path / "run"
    run_notebook(
        "00_campaign_check.ipynb",
        tmp_path / "nb",
        parameters={"campaign_file": str(DEMO_CAMPAIGN), "run_dir": str(run_dir)},
    )
    assert (run_dir / "campaign_check.json").is_file()


@pytest.mark.slow
def test_an_empty_campaign_file_is_the_campaign_inkorg_kit_lab_presets(tmp_path: Path) -> None:
    own = tmp_path / "egen.yaml"
    own.write_text(
        DEMO_CAMPAIGN.read_text(encoding="utf-8").replace(
            "name: blodtryck-solbacka-2027", "name: egen-kampanj-2027", 1
        ),
        encoding="utf-8",
    )
    run_dir = tmp_path / "run"
    run_notebook(
        "00_campaign_check.ipynb",
        tmp_path / "nb",
        parameters={"run_dir": str(run_dir)},  # campaign_file left at its default, ""
        env={CAMPAIGN_ENV: str(own)},
    )
    check = json.loads((run_dir / "campaign_check.json").read_text(encoding="utf-8"))
    assert check["campaign"] == "egen-kampanj-2027"
