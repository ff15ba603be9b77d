"""Attack 8 of issue 13: run folders that are not the analyst's own, private folder.

With ``--run-dir`` (or notebook parameter ``run_dir``) a symlink to an existing 0755 folder,
the run wrote through the link and the folder holding ``target_group.parquet`` and the ``.7z``
stayed 0755; ``ensure_private_dir`` swallowed chmod errors and never checked the owner. Now a
run folder that is a symbolic link, or belongs to another user, is refused where it is resolved
(``Campaign.run_folder``, which the CLI, the notebooks and the demo all go through) and where a
folder for personnummer is made (``ensure_private_dir(..., tighten=True)``); an existing run
folder is made owner-only, and a chmod that fails is an error.

The tests run as root, so another owner is simulated by making ``os.geteuid`` answer another
user id, and a failing chmod by making ``os.chmod`` fail.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from support import DEMO_CAMPAIGN, DEMO_CAMPAIGN_NAME

from inkorg_kit._files import UnsafeFolderError, ensure_private_dir
from inkorg_kit.campaign import load_campaign
from inkorg_kit.cli import main
from inkorg_kit.errors import InkorgError


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def open_folder(tmp_path: Path) -> Path:
    """An existing folder anyone may read (0755), as made by hand or by ``mkdir`` on a server."""
    folder = tmp_path / "shared"
    folder.mkdir()
    os.chmod(folder, 0o755)
    return folder


@pytest.fixture
def link(tmp_path: Path, open_folder: Path) -> Path:
    path = tmp_path / "link"
    path.symlink_to(open_folder, target_is_directory=True)
    return path


def test_a_symlinked_run_folder_is_refused_and_nothing_is_written_through_it(
    link: Path, open_folder: Path
) -> None:
    campaign = load_campaign(DEMO_CAMPAIGN)
    with pytest.raises(UnsafeFolderError) as raised:
        campaign.run_folder(link)
    message = str(raised.value)
    assert str(link) in message and "symbolic link" in message and str(open_folder) in message
    assert isinstance(raised.value, InkorgError)
    assert list(open_folder.iterdir()) == []
    assert _mode(open_folder) == 0o755  # not tightened through the link either


def test_the_default_run_folder_may_not_be_a_symlink(
    tmp_path: Path, open_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / DEMO_CAMPAIGN_NAME).symlink_to(open_folder, target_is_directory=True)
    with pytest.raises(UnsafeFolderError, match="symbolic link"):
        load_campaign(DEMO_CAMPAIGN).run_folder()
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    with pytest.raises(UnsafeFolderError, match="symbolic link"):
        load_campaign(DEMO_CAMPAIGN).run_folder(dangling)
    assert not (tmp_path / "nowhere").exists()


def test_a_folder_for_personnummer_may_not_be_a_symlink(link: Path, open_folder: Path) -> None:
    """As the recipient files' folder is made (``tighten=True``), inside a run folder."""
    with pytest.raises(UnsafeFolderError, match="symbolic link"):
        ensure_private_dir(link, tighten=True)
    assert list(open_folder.iterdir()) == [] and _mode(open_folder) == 0o755


def test_inkorg_kit_run_refuses_a_symlinked_run_dir_before_anything_runs(
    link: Path, open_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["run", str(DEMO_CAMPAIGN), "--run-dir", str(link), "--steps", "00_campaign_check"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert str(link) in err and "symbolic link" in err
    assert list(open_folder.iterdir()) == []


def test_an_existing_run_folder_is_made_owner_only(open_folder: Path) -> None:
    assert load_campaign(DEMO_CAMPAIGN).run_folder(open_folder) == open_folder
    assert _mode(open_folder) == 0o700


def test_a_run_folder_of_another_user_is_refused(
    open_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = os.stat(open_folder).st_uid
    monkeypatch.setattr(os, "geteuid", lambda: owner + 1)
    with pytest.raises(UnsafeFolderError) as raised:
        load_campaign(DEMO_CAMPAIGN).run_folder(open_folder)
    message = str(raised.value)
    assert str(open_folder) in message and f"user id {owner}" in message
    assert f"you are {owner + 1}" in message
    with pytest.raises(UnsafeFolderError, match=f"user id {owner}"):
        ensure_private_dir(open_folder, tighten=True)
    assert _mode(open_folder) == 0o755  # refused, not changed


def test_a_failed_chmod_is_an_error(
    tmp_path: Path, open_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(path: object, mode: int, **_: object) -> None:
        raise PermissionError(1, "Operation not permitted", str(path))

    monkeypatch.setattr(os, "chmod", refuse)
    with pytest.raises(UnsafeFolderError, match="Operation not permitted") as raised:
        ensure_private_dir(open_folder, tighten=True)
    assert str(open_folder) in str(raised.value) and "0700" in str(raised.value)
    with pytest.raises(UnsafeFolderError, match="Operation not permitted"):
        load_campaign(DEMO_CAMPAIGN).run_folder(open_folder)
    with pytest.raises(UnsafeFolderError, match="Operation not permitted"):
        ensure_private_dir(tmp_path / "new" / "folder")  # a folder it creates, too
