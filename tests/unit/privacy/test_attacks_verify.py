"""Attack 9 of issue 13: ``verify`` after a kill during packaging, and the password's reach.

``recipients.verify(run_dir)`` with its default ``archive=None`` said OK when a kill during
``recipients.package`` had left a ``.part`` file and no ``.7z``; and ``inkorg-kit run`` put the
archive password into its own environment, so every step's kernel inherited it. Now
``verify`` checks the archive unless told ``archive=False`` (a folder never packaged, such as a
follow-up list), a leftover ``.part`` is a failure, and only step 02's kernel gets the password.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import polars as pl
import pytest
from support import DEMO_CAMPAIGN, REPO, skatteverket_numbers

from inkorg_kit import cli
from inkorg_kit import recipients as rc

UNCHECKED = "test: no campaign to check"
PASSWORD = "ett-långt-testlösenord"


def _written(run: Path) -> None:
    numbers = list(skatteverket_numbers()[:300])
    frame = pl.DataFrame({"pnr": numbers, "status": ["ok"] * len(numbers)})
    rc.write(rc.split(frame), run, "demo-kampanj", unchecked_reason=UNCHECKED)


def test_verify_fails_after_a_kill_during_packaging(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = tmp_path / "run"
    _written(run)
    archive = rc.archive_path(run, "demo-kampanj")
    # what kill -9 inside package() leaves: the temporary archive, never renamed into place
    part = archive.parent / f".{archive.name}.k1ll3d.part"
    part.write_bytes(b"7z\xbc\xaf\x27\x1c half an archive")
    part.chmod(0o600)
    assert not archive.exists()
    result = rc.verify(run)  # the default: what a caller who forgets the argument gets
    assert not result.ok
    assert "archive" in result.failed()
    details = " ".join(result.failures["detail"].to_list())
    assert part.name in details and "recipients.package" in details
    with pytest.raises(rc.VerificationError):
        result.require_ok()
    # what the finding says to do works: packaging again removes the half archive
    monkeypatch.setenv("INKORG_TEST_ATTACK9", PASSWORD)
    rc.package(run, password_env="INKORG_TEST_ATTACK9", prompt=False)
    assert not part.exists()
    assert rc.verify(run, password_env="INKORG_TEST_ATTACK9").ok


def test_verify_checks_the_archive_by_default_and_only_archive_false_skips_it(
    tmp_path: Path,
) -> None:
    run = tmp_path / "run"
    _written(run)
    assert rc.verify(run).failed() == ["archive"]  # written, never packaged: not deliverable
    assert "missing" in rc.verify(run).failures["detail"][0]
    assert rc.verify(run, archive=False).ok  # a folder that is never packaged (follow-up list)
    part = run / f".{rc.archive_path(run, 'demo-kampanj').name}.x.part"
    part.write_bytes(b"x")
    assert not rc.verify(run, archive=False).ok  # a stopped packaging is flagged even then


# --------------------------------------------------------------------------- the password


def _probe(folder: Path, step: str) -> None:
    """A small notebook standing in for ``step`` that says whether its kernel has the password."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    parameters = nbformat.v4.new_code_cell('campaign_file = ""  # campaign\nrun_dir = ""  # run')
    parameters.metadata["tags"] = ["parameters"]
    probe = nbformat.v4.new_code_cell(
        "import os\n"
        f"print('password', 'present' if os.environ.get({cli.PASSWORD_ENV!r}) else 'absent')"
    )
    nb.cells = [parameters, probe]
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{step}.ipynb")


def _said(executed: Path) -> str:
    return nbformat.read(executed, as_version=4).cells[-1].outputs[0]["text"].strip()


@pytest.mark.slow
def test_the_password_reaches_step_02s_kernel_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notebooks = tmp_path / "notebooks"
    for step in (cli.STEPS[0], cli.STEPS[2]):
        _probe(notebooks, step)
    monkeypatch.setattr(cli.runner, "NOTEBOOK_DIR", notebooks)
    monkeypatch.setenv(cli.PASSWORD_ENV, PASSWORD)  # exported in the shell, as the README says
    monkeypatch.chdir(REPO)
    run = tmp_path / "run"
    result = cli.run_campaign(
        DEMO_CAMPAIGN, run_dir=run, steps=[cli.STEPS[0], cli.STEPS[2]], progress=False
    )
    assert _said(result.executed[cli.STEPS[0]]) == "password absent"
    assert _said(result.executed[cli.STEPS[2]]) == "password present"


def test_the_password_asked_for_on_a_terminal_stays_out_of_the_process_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Typed on a terminal, it goes to step 02's kernel, not into ``os.environ`` (which every
    kernel and child process would inherit)."""

    class Terminal:
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv(cli.PASSWORD_ENV, raising=False)
    monkeypatch.setattr(cli.runner.sys, "stdin", Terminal())
    monkeypatch.setattr("getpass.getpass", lambda prompt: PASSWORD)
    assert cli.ensure_archive_password() == PASSWORD
    assert cli.PASSWORD_ENV not in cli.runner.os.environ
    assert cli.PASSWORD_ENV not in cli.runner.kernel_environment(cli.STEPS[0], PASSWORD)
    assert cli.runner.kernel_environment(cli.STEPS[2], PASSWORD)[cli.PASSWORD_ENV] == PASSWORD
