"""The ``inkorg-kit`` command: what it runs, what it says when a step fails, what it refuses.

Most tests replace :func:`inkorg_kit.cli.run_step` with a recorder (the command's own logic is
what is tested); the ones about failing notebooks run real kernels on small notebooks, and one
starts two kernels at the same moment to show they cannot collide.
"""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import stat
from pathlib import Path

import nbformat
import pytest
from support import REPO, assert_no_personnummer

from inkorg_kit import cli
from inkorg_kit.run import RunFolder

DEMO = REPO / "params" / "demo" / "campaign.yaml"
TEST_PNR = "19850101-2382"  # Skatteverket test number
PASSWORD = "ett-långt-testlösenord"


@pytest.fixture
def password(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(cli.PASSWORD_ENV, PASSWORD)
    return PASSWORD


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict, dict]]:
    """Replace run_step: record (step, parameters, the archive password the kernel would get)
    and write what the real step writes that the command lists."""
    calls: list[tuple[str, dict, dict]] = []

    def fake_run_step(
        step, run_dir, parameters, *, output_dir=None, progress=True, timeout=None, password=None
    ):
        calls.append((step, dict(parameters), {"password": password}))
        run = RunFolder(run_dir, "kampanj")
        written = {
            cli.STEPS[2]: [run.path("archive"), run.path("manifest_csv")],
            cli.STEPS[3]: [run.path("send_plan_csv"), run.path("send_plan_ics")],
            cli.STEPS[4]: [Path(parameters.get("report_dir") or run_dir) / "rapport.html"],
        }.get(step, [])
        for path in written:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"{step}\n", encoding="utf-8")
        executed = (output_dir or run_dir / "notebooks") / f"{step}.ipynb"
        executed.parent.mkdir(parents=True, exist_ok=True)
        executed.write_text("{}", encoding="utf-8")
        return executed

    monkeypatch.setattr(cli.runner, "run_step", fake_run_step)
    return calls


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _notebook(folder: Path, step: str, *cells: str) -> None:
    """A small notebook standing in for ``step``: the parameters cell, then ``cells``."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    parameters = nbformat.v4.new_code_cell('campaign_file = ""  # campaign\nrun_dir = ""  # run')
    parameters.metadata["tags"] = ["parameters"]
    nb.cells = [parameters, *(nbformat.v4.new_code_cell(source) for source in cells)]
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{step}.ipynb")


# --------------------------------------------------------------------------- failing steps


@pytest.mark.slow
def test_a_guideline_error_stops_at_00_with_cell_message_and_the_override_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, password
) -> None:
    broken = tmp_path / "marknadsforing.yaml"
    broken.write_text(
        DEMO.read_text(encoding="utf-8").replace("category: kallelse", "category: marketing"),
        encoding="utf-8",
    )
    run = tmp_path / "run"
    monkeypatch.chdir(REPO)  # the campaign's paths are relative to the repo root
    code = cli.main(["run", str(broken), "--run-dir", str(run)])
    err = capsys.readouterr().err
    assert code == 1, err
    assert "steg 00_campaign_check misslyckades i In [" in err
    assert ", rad 1: override = report.require_ok(override_reason)" in err  # the line, quoted
    assert "CampaignError" in err and "forbidden_category" in err
    assert '--override-reason "ett skriftligt skäl"' in err  # a hint a command-line user can follow
    assert [p.name for p in (run / "notebooks").iterdir()] == ["00_campaign_check.ipynb"]
    assert not RunFolder(run).exists("target_group")  # 01 did not run
    assert _mode(run) == _mode(run / "notebooks") == 0o700
    assert _mode(run / "notebooks" / "00_campaign_check.ipynb") == 0o600

    reason = "Godkänt av verksamhetschefen 2027-03-01 (testfall)"
    again = ["run", str(broken), "--run-dir", str(run), "--steps", "00_campaign_check"]
    code = cli.main([*again, "--override-reason", reason])
    assert code == 0, capsys.readouterr().err
    assert reason in (run / "campaign_check.json").read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_failing_cell_is_named_at_the_line_that_raised_its_personnummer_masked_everywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, password
) -> None:
    notebooks = tmp_path / "notebooks"
    _notebook(
        notebooks,
        cli.STEPS[0],
        f'print("läste {TEST_PNR}")',
        "import json\n"
        "\n"
        "rader = 3\n"
        f'raise ValueError("rad 3: {TEST_PNR} har fel kontrollsiffra")  # {TEST_PNR}\n'
        "print('aldrig')",
    )
    monkeypatch.setattr(cli.runner, "NOTEBOOK_DIR", notebooks)
    monkeypatch.chdir(REPO)
    run = tmp_path / "run"
    code = cli.main(["run", str(DEMO), "--run-dir", str(run), "--steps", cli.STEPS[0]])
    err = capsys.readouterr().err
    assert code == 1
    # the line that raised (line 4 of In [4]), not the cell's first line, masked
    assert (
        f"steg {cli.STEPS[0]} misslyckades i In [4], rad 4: raise ValueError("
        '"rad 3: 19850101-**** har fel kontrollsiffra")  # 19850101-****'
    ) in err
    assert "import json" not in err
    assert "ValueError: rad 3: 19850101-**** har fel kontrollsiffra" in err
    assert f"den körda notebooken: {run / 'notebooks' / cli.STEPS[0]}.ipynb" in err
    assert_no_personnummer(err, "the failure message")
    executed = run / "notebooks" / f"{cli.STEPS[0]}.ipynb"
    text = executed.read_text(encoding="utf-8")
    assert "läste 19850101-****" in text  # output masked (the error and traceback too)
    assert_no_personnummer(
        str([c.get("outputs") for c in nbformat.read(executed, 4).cells]), str(executed)
    )
    assert _mode(executed) == 0o600 and _mode(executed.parent) == 0o700


@pytest.mark.slow
def test_a_successful_step_keeps_its_executed_notebook_masked_and_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notebooks = tmp_path / "notebooks"
    _notebook(notebooks, cli.STEPS[0], f'print("{TEST_PNR}")')
    monkeypatch.setattr(cli.runner, "NOTEBOOK_DIR", notebooks)
    monkeypatch.chdir(REPO)
    (tmp_path / "run").mkdir(mode=0o755)
    (tmp_path / "run" / "notebooks").mkdir(mode=0o755)  # left by an older version
    executed = cli.run_step(cli.STEPS[0], tmp_path / "run", {}, progress=False)
    outputs = nbformat.read(executed, 4).cells[1].outputs
    assert outputs[0]["text"].strip() == "19850101-****"
    assert _mode(executed) == 0o600 and _mode(executed.parent) == 0o700


@pytest.mark.slow
@pytest.mark.parametrize(
    ("cell", "options", "says"),
    [
        ("import os\nos._exit(1)", [], "Python-kärna dog"),
        ("import time\ntime.sleep(120)", ["--timeout", "2"], "längre än --timeout 2 s"),
    ],
    ids=["kernel-dies", "cell-times-out"],
)
def test_a_dead_kernel_or_a_timeout_is_a_step_failure_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, cell, options, says
) -> None:
    notebooks = tmp_path / "notebooks"
    _notebook(notebooks, cli.STEPS[0], "x = 1", cell)
    monkeypatch.setattr(cli.runner, "NOTEBOOK_DIR", notebooks)
    monkeypatch.chdir(REPO)
    run = tmp_path / "run"
    code = cli.main(["run", str(DEMO), "--run-dir", str(run), "--steps", cli.STEPS[0], *options])
    err = capsys.readouterr().err
    assert code == 1, err
    first_line = cell.splitlines()[0]  # no traceback says the line: the cell is named by it
    assert f"steg {cli.STEPS[0]} misslyckades i In [4], cellen som börjar: {first_line}" in err
    assert says in err and "Traceback" not in err
    assert _mode(run / "notebooks" / f"{cli.STEPS[0]}.ipynb") == 0o600


@pytest.mark.slow
@pytest.mark.skipif(os.name != "posix", reason="IPC sockets exist on POSIX only")
def test_kernels_started_together_talk_over_private_sockets_and_leave_nothing() -> None:
    """Two kernels started at the same moment (two steps, two test workers) each get IPC
    sockets in a private folder of their own, answer, and leave no file behind."""
    manager = cli.local_kernel_manager()

    async def start_two() -> list:
        kernels = [manager(kernel_name="python3") for _ in range(2)]
        await asyncio.gather(*(km.start_kernel() for km in kernels))
        try:
            for km in kernels:
                client = km.client()
                client.start_channels()
                await client.wait_for_ready(timeout=60)
                client.stop_channels()
            return [
                {
                    **km.get_connection_info(),
                    "file": km.connection_file,
                    "mode": _mode(Path(km.connection_file).parent),
                }
                for km in kernels
            ]
        finally:
            await asyncio.gather(*(km.shutdown_kernel(now=True) for km in kernels))

    infos = asyncio.run(start_two())
    folders = [Path(info["file"]).parent for info in infos]
    assert [info["transport"] for info in infos] == ["ipc", "ipc"]
    assert folders[0] != folders[1]
    for info, folder in zip(infos, folders, strict=True):
        assert Path(info["ip"]).parent == folder  # the sockets: <folder>/kernel-ipc-<n>
        assert info["mode"] & 0o777 == 0o700  # while the kernel ran: this user's only
        assert not folder.exists()  # removed at shutdown, sockets and connection file too


@pytest.mark.slow
def test_an_error_inside_a_function_is_named_at_the_call_in_the_failing_cell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """The traceback's frames in an earlier cell (where the function is defined) and in the
    library are not the failing cell's: the line named is the call in the cell that failed."""
    notebooks = tmp_path / "notebooks"
    _notebook(
        notebooks,
        cli.STEPS[0],
        "def läs():\n    import json\n    return json.loads('{')",
        "x = 1\ndata = läs()\nprint(data)",
    )
    monkeypatch.setattr(cli.runner, "NOTEBOOK_DIR", notebooks)
    monkeypatch.chdir(REPO)
    run = tmp_path / "run"
    code = cli.main(["run", str(DEMO), "--run-dir", str(run), "--steps", cli.STEPS[0]])
    err = capsys.readouterr().err
    assert code == 1, err
    assert f"steg {cli.STEPS[0]} misslyckades i In [4], rad 2: data = läs()" in err
    assert "JSONDecodeError" in err


# --------------------------------------------------------------------------- what is run


def test_an_unknown_step_is_refused_with_the_choices(capsys) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.main(["run", str(DEMO), "--steps", "01_target_group,05_send"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "okänt steg ['05_send']" in err
    assert all(step in err for step in cli.STEPS)


def test_an_unknown_notebook_parameter_is_refused_before_a_kernel_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[str] = []
    monkeypatch.setattr(cli.runner.pm, "execute_notebook", lambda *a, **k: started.append("x"))
    with pytest.raises(cli.runner.UsageError) as refused:
        cli.run_step(cli.STEPS[1], tmp_path / "run", {"campaign": str(DEMO)}, progress=False)
    message = str(refused.value)
    assert "notebook 01_target_group har ingen parameter 'campaign'" in message
    assert "(menade du campaign_file?)" in message
    assert "Tillåtna parametrar: campaign_file, run_dir, source, reference_date." in message
    assert "Inget kördes." in message
    assert not started and not (tmp_path / "run").exists()


def test_run_refuses_a_parameter_a_later_notebook_lacks_before_the_first_step_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, recorded, capsys, password
) -> None:
    """Step 02's notebook (here a stand-in) declares no override_reason: nothing runs, not
    even step 00, which declares it."""
    notebooks = tmp_path / "notebooks"
    _notebook(notebooks, cli.STEPS[2], "x = 1")
    shutil.copy(REPO / "notebooks" / f"{cli.STEPS[0]}.ipynb", notebooks)
    monkeypatch.setattr(cli.runner, "NOTEBOOK_DIR", notebooks)
    monkeypatch.chdir(REPO)
    steps = f"{cli.STEPS[0]},{cli.STEPS[2]}"
    args = ["run", str(DEMO), "--run-dir", str(tmp_path / "run"), "--steps", steps]
    code = cli.main([*args, "--override-reason", "beslut av chefen"])
    err = capsys.readouterr().err
    assert code == 2 and not recorded, err
    assert f"notebook {cli.STEPS[2]} har ingen parameter 'override_reason'" in err
    assert "Tillåtna parametrar: campaign_file, run_dir." in err
    assert not (tmp_path / "run").exists()


def test_steps_run_in_the_campaigns_order_with_the_override_for_00_and_02_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, recorded, password
) -> None:
    monkeypatch.chdir(REPO)
    steps = "02_recipient_files,00_campaign_check,01_target_group"  # out of order
    args = ["run", str(DEMO), "--run-dir", str(tmp_path), "--steps", steps]
    code = cli.main([*args, "--override-reason", "skäl"])
    assert code == 0
    assert [step for step, _, _ in recorded] == list(cli.STEPS[:3])
    assert [params.get("override_reason") for _, params, _ in recorded] == ["skäl", None, "skäl"]


def test_04_alone_without_an_export_stops_before_running_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, recorded, capsys
) -> None:
    monkeypatch.chdir(REPO)
    code = cli.main(["run", str(DEMO), "--run-dir", str(tmp_path / "run"), "--steps", cli.STEPS[4]])
    err = capsys.readouterr().err
    assert code == 2 and not recorded
    assert "--status-export FIL" in err and str(tmp_path / "run" / "status_export") in err


def test_04_reads_the_run_folders_status_export_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, recorded, capsys
) -> None:
    monkeypatch.chdir(REPO)
    (tmp_path / "status_export").mkdir()
    args = ["run", str(DEMO), "--run-dir", str(tmp_path), "--steps", cli.STEPS[4]]
    code = cli.main([*args, "--exported-at", "2027-03-23 06:30"])
    assert code == 0, capsys.readouterr().err
    ((step, params, _),) = recorded
    assert step == cli.STEPS[4]
    assert params["status_export"] == str(tmp_path / "status_export")
    assert params["exported_at"] == "2027-03-23 06:30"


def test_the_whole_campaign_without_an_export_waits_after_03(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, recorded, capsys, password
) -> None:
    monkeypatch.chdir(REPO)
    code = cli.main(["run", str(DEMO), "--run-dir", str(tmp_path)])
    assert code == 0
    assert [step for step, _, _ in recorded] == list(cli.STEPS[:4])
    assert "inkorg-kit report" in capsys.readouterr().err


def _listed(out: str) -> dict[str, str]:
    """The artefacts the command printed after "körmapp:", by label."""
    lines = out.split("\nkörmapp:", 1)[1].splitlines()[1:]
    return {line[:22].strip(): line[22:].strip() for line in lines if not line.startswith("  (")}


def test_only_artefacts_this_run_wrote_are_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, recorded, capsys, password
) -> None:
    monkeypatch.chdir(REPO)
    run = RunFolder(tmp_path, "kampanj")
    for stale in (run.path("send_plan_csv"), run.path("send_plan_ics"), tmp_path / "gammal.html"):
        stale.write_text("from an earlier run\n", encoding="utf-8")
    code = cli.main(["run", str(DEMO), "--run-dir", str(tmp_path), "--steps", cli.STEPS[2]])
    assert code == 0
    assert _listed(capsys.readouterr().out) == {
        "mottagararkiv": str(run.path("archive")),
        "manifest": str(run.path("manifest_csv")),
    }

    code = cli.main(["run", str(DEMO), "--run-dir", str(tmp_path), "--steps", cli.STEPS[0]])
    out = capsys.readouterr().out
    assert code == 0 and _listed(out) == {}
    assert "de här stegen skrev ingen kampanjkontroll, inget mottagararkiv" in out


# --------------------------------------------------------------------------- the password


def test_without_a_password_or_a_terminal_nothing_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, recorded, capsys
) -> None:
    monkeypatch.delenv(cli.PASSWORD_ENV, raising=False)
    monkeypatch.setattr(cli.runner.sys, "stdin", io.StringIO(""))  # cron: not a terminal
    monkeypatch.chdir(REPO)
    code = cli.main(["run", str(DEMO), "--run-dir", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == 2 and not recorded
    assert cli.PASSWORD_ENV in err and "Inget kördes" in err
    assert not (tmp_path / "run").exists()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ([PASSWORD, PASSWORD], None),
        ([PASSWORD, PASSWORD + "x"], "the two passwords typed differ"),
        (["kort", "kort"], "shorter than 12 characters"),
    ],
    ids=["same-twice", "differ", "too-short"],
)
def test_on_a_terminal_the_password_is_asked_twice_and_given_to_step_02s_kernel_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, recorded, capsys, typed, says
) -> None:
    monkeypatch.delenv(cli.PASSWORD_ENV, raising=False)
    monkeypatch.setattr(cli.runner.sys, "stdin", _Terminal())
    answers = iter(typed)
    prompts: list[str] = []
    monkeypatch.setattr("getpass.getpass", lambda prompt: prompts.append(prompt) or next(answers))
    monkeypatch.chdir(REPO)
    code = cli.main(["run", str(DEMO), "--run-dir", str(tmp_path)])
    out, err = capsys.readouterr()
    assert len(prompts) == 2 and cli.PASSWORD_ENV in prompts[0]
    assert all(answer not in out + err for answer in typed)
    if says:
        assert code == 2 and says in err and not recorded
        return
    assert code == 0, err
    assert [step for step, _, _ in recorded] == list(cli.STEPS[:4])
    for step, params, seen in recorded:
        assert PASSWORD not in map(str, params.values())  # never a parameter
        # step 02's kernel gets it, no other step's, and this process's environment keeps none
        assert seen["password"] == (PASSWORD if step == cli.STEPS[2] else None)
    assert cli.PASSWORD_ENV not in os.environ


def test_the_password_variable_is_notebook_02s_default() -> None:
    import papermill as pm

    from inkorg_kit import recipients

    declared = pm.inspect_notebook(str(REPO / "notebooks" / "02_recipient_files.ipynb"))
    assert declared["password_env"]["default"].strip("\"'") == cli.PASSWORD_ENV
    assert recipients.DEFAULT_PASSWORD_ENV == cli.PASSWORD_ENV


# --------------------------------------------------------------------------- report (cron)


def test_report_passes_exported_at_and_never_shares_a_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, recorded, capsys
) -> None:
    monkeypatch.chdir(REPO)
    args = ["report", str(DEMO), "--run-dir", str(tmp_path), "--status-export", "export.csv"]
    for _ in range(2):  # two runs in the same minute (and likely the same second)
        assert cli.main([*args, "--exported-at", "2027-03-23 06:30"]) == 0
    out = capsys.readouterr().out
    reports = [Path(line.removeprefix("rapport: ")) for line in out.splitlines()]
    assert len(reports) == 2 and reports[0].parent != reports[1].parent
    assert all(r.is_file() and r.parent.parent == tmp_path / "reports" for r in reports)
    assert _mode(reports[0].parent) == 0o700
    assert [params["exported_at"] for _, params, _ in recorded] == ["2027-03-23 06:30"] * 2
    assert recorded[0][1]["report_dir"] == str(reports[0].parent)


def test_report_folders_are_unique_within_one_second(tmp_path: Path) -> None:
    import datetime as dt

    now = dt.datetime(2027, 3, 23, 6, 30, 5)
    folders = [cli.new_report_folder(tmp_path, now) for _ in range(3)]
    assert [f.name for f in folders] == [
        "2027-03-23_063005",
        "2027-03-23_063005-2",
        "2027-03-23_063005-3",
    ]


def test_report_refuses_a_malformed_export_time(capsys) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.main(["report", str(DEMO), "--exported-at", "23/3 06:30"])
    assert stopped.value.code == 2
    assert "är ingen tid som ÅÅÅÅ-MM-DD TT:MM" in capsys.readouterr().err


def test_report_that_writes_no_html_fails_with_exit_code_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    def no_report(step, run_dir, parameters, **kwargs):
        return Path(parameters["report_dir"]) / f"{step}.ipynb"

    monkeypatch.setattr(cli.runner, "run_step", no_report)
    monkeypatch.chdir(REPO)
    code = cli.main(["report", str(DEMO), "--run-dir", str(tmp_path)])
    assert code == 1 and "ingen HTML-rapport skrevs" in capsys.readouterr().err


def test_a_campaign_that_does_not_load_exits_2_before_anything_runs(
    tmp_path: Path, recorded, capsys
) -> None:
    code = cli.main(["run", str(tmp_path / "saknas.yaml"), "--run-dir", str(tmp_path / "run")])
    assert code == 2 and not recorded
    assert "saknas.yaml" in capsys.readouterr().err
