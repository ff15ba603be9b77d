"""Attack 4 of issue 13: parameters written unmasked into executed notebooks.

A personnummer typed into ``--override-reason`` (or a notebook's ``source``, or the
``--status-export`` path) stood in full in the executed notebook's injected-parameters cell and
in ``metadata.papermill.parameters``; only outputs were masked. Now such a value is refused
before anything runs (``inkorg-kit run`` and ``report``, and :func:`inkorg_kit.cli.run_step`),
naming the parameter and showing the value masked; and the executed notebook is masked whole
(sources, outputs, notebook and cell metadata) as a second line of defence.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from support import DEMO_CAMPAIGN, REPO, assert_no_personnummer, skatteverket_numbers

from inkorg_kit import cli
from inkorg_kit.errors import UsageError

NUMBER = skatteverket_numbers()[3]  # YYYYMMDD-NNNN, a published test number
DIGITS = NUMBER.replace("-", "")
MASKED = NUMBER[:9] + "****"


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """run_step replaced: the steps that would have run (nothing must)."""
    steps: list[str] = []

    def fake_run_step(step, run_dir, parameters, **kwargs):
        steps.append(step)
        executed = Path(kwargs.get("output_dir") or Path(run_dir) / "notebooks") / f"{step}.ipynb"
        executed.parent.mkdir(parents=True, exist_ok=True)
        executed.write_text("{}", encoding="utf-8")
        return executed

    monkeypatch.setattr(cli.runner, "run_step", fake_run_step)
    monkeypatch.setenv(cli.PASSWORD_ENV, "ett-långt-testlösenord")
    monkeypatch.chdir(REPO)
    return steps


def _refused(capsys, code: int, option: str) -> str:
    err = capsys.readouterr().err
    assert code == 2, err
    assert option in err and "personnummer" in err
    assert_no_personnummer(err, "the refusal")
    return err


def test_a_personnummer_in_the_override_reason_is_refused_before_anything_runs(
    tmp_path: Path, recorded: list[str], capsys
) -> None:
    run = tmp_path / "run"
    args = ["run", str(DEMO_CAMPAIGN), "--run-dir", str(run), "--steps", cli.STEPS[0]]
    code = cli.main([*args, "--override-reason", f"godkänt för {NUMBER} av chefen"])
    err = _refused(capsys, code, "--override-reason")
    assert MASKED in err  # the value is shown, masked, so the analyst sees what was meant
    assert not recorded and not run.exists()


@pytest.mark.parametrize("command", ["run", "report"])
def test_a_personnummer_in_the_status_export_path_is_refused_before_anything_runs(
    tmp_path: Path, recorded: list[str], capsys, command: str
) -> None:
    export = tmp_path / f"export_{DIGITS}.csv"
    export.write_text("x\n", encoding="utf-8")
    run = tmp_path / "run"
    args = [command, str(DEMO_CAMPAIGN), "--run-dir", str(run), "--status-export", str(export)]
    if command == "run":
        args += ["--steps", cli.STEPS[4]]
    _refused(capsys, cli.main(args), "--status-export")
    assert not recorded and not run.exists()


def test_run_step_refuses_a_parameter_holding_a_personnummer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before any kernel starts: a notebook's ``source`` naming a person's file, say."""
    started: list[str] = []
    monkeypatch.setattr(cli.runner.pm, "execute_notebook", lambda *a, **k: started.append("x"))
    for parameters, name in (
        ({"source": f"listor/{DIGITS}.csv"}, "source"),
        ({"run_dir": str(tmp_path), "reference_date": [f"{NUMBER}"]}, "reference_date"),
    ):
        with pytest.raises(UsageError) as refused:
            cli.run_step(cli.STEPS[1], tmp_path / "run", parameters, progress=False)
        message = str(refused.value)
        assert name in message and "personnummer" in message
        assert_no_personnummer(message, "the refusal")
    assert not started and not (tmp_path / "run").exists()


def test_an_executed_notebook_is_masked_whole_parameters_and_metadata_too(
    tmp_path: Path,
) -> None:
    """The second line of defence: whatever reaches an executed notebook is masked, in the
    injected-parameters cell, ``metadata.papermill.parameters``, cell metadata and outputs."""
    import papermill as pm

    source = tmp_path / "nb.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    parameters = nbformat.v4.new_code_cell('override_reason = ""  # why\nsource = []  # lists')
    parameters.metadata["tags"] = ["parameters"]
    shown = nbformat.v4.new_code_cell("print(override_reason)")
    shown.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"{NUMBER}\n")]
    shown.metadata["note"] = f"läst {DIGITS}.0"
    nb.cells = [parameters, shown]
    nbformat.write(nb, source)
    executed = tmp_path / "out" / "nb.ipynb"
    executed.parent.mkdir()
    pm.execute_notebook(  # the injected cell and metadata as papermill writes them, no kernel
        str(source),
        str(executed),
        parameters={"override_reason": f"ok enligt {NUMBER}", "source": [DIGITS]},
        prepare_only=True,
        progress_bar=False,
    )
    assert NUMBER in executed.read_text(encoding="utf-8")  # what papermill writes
    cli.privatise_executed(executed)
    text = executed.read_text(encoding="utf-8")
    assert_no_personnummer(text, str(executed))
    written = nbformat.read(executed, as_version=4)
    assert written.metadata.papermill.parameters["override_reason"] == f"ok enligt {MASKED}"
    injected = [c for c in written.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert f'override_reason = "ok enligt {MASKED}"' in injected[0].source
    assert written.cells[-1].metadata["note"] == f"läst {DIGITS[:8]}****.0"
