"""``inkorg-kit lab campaign.yaml``: JupyterLab on one's own campaign.

What it prepares (the options, the preset, the notebook copies) is checked without a server;
one slow test starts the JupyterLab it describes, headless on a free localhost port with a
token, lists the campaign folder through the API, starts a notebook's kernel there and asks it
where it runs and which campaign an empty ``campaign_file`` means.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from support import DEMO_CAMPAIGN, REPO, TCP_KERNELS
from support.browser import running_jupyterlab

from inkorg_kit.cli import lab
from inkorg_kit.errors import UsageError
from inkorg_kit.steps.parameters import CAMPAIGN_ENV

NOTEBOOKS = sorted(p.name for p in (REPO / "notebooks").glob("*.ipynb"))


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _campaign_folder(tmp_path: Path) -> Path:
    """A campaign folder of one's own: the demo's campaign under another name."""
    folder = tmp_path / "influensa"
    folder.mkdir(parents=True)
    campaign = folder / "campaign.yaml"
    campaign.write_text(
        DEMO_CAMPAIGN.read_text(encoding="utf-8").replace(
            "name: blodtryck-solbacka-2027", "name: influensa-2027", 1
        ),
        encoding="utf-8",
    )
    return campaign


def _sources(path: Path) -> list[tuple[str, str]]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [(c["cell_type"], "".join(c["source"])) for c in cells]


# --------------------------------------------------------------------------- what it prepares


def test_lab_serves_the_campaign_folder_with_the_campaign_preset(tmp_path: Path) -> None:
    campaign = _campaign_folder(tmp_path)
    launch = lab.prepare_lab(campaign)
    folder = campaign.parent.resolve()
    assert launch.folder == folder and launch.campaign == campaign.resolve()
    assert f"--ServerApp.root_dir={folder}" in launch.arguments
    assert f"--ServerApp.kernel_manager_class={lab.KERNEL_MANAGER_CLASS}" in launch.arguments
    as_root = os.geteuid() == 0
    assert ("--allow-root" in launch.arguments) == as_root
    assert launch.environment == {CAMPAIGN_ENV: str(campaign.resolve())}
    # the server's environment: the preset, whatever the shell had
    env = launch.env({"PATH": "/bin", CAMPAIGN_ENV: "annan.yaml"})
    assert env == {"PATH": "/bin", CAMPAIGN_ENV: str(campaign.resolve())}
    assert CAMPAIGN_ENV not in lab.prepare_lab(None, folder=folder).env({CAMPAIGN_ENV: "x"})
    # the kit's notebooks, copied owner-only into the campaign folder, the same cells
    copies = folder / "notebooks"
    assert sorted(p.name for p in copies.iterdir()) == NOTEBOOKS
    assert _mode(copies) == 0o700
    for name in NOTEBOOKS:
        assert _mode(copies / name) == 0o600
        assert _sources(copies / name) == _sources(REPO / "notebooks" / name)
    assert launch.notes == (f"kopierade kitets notebooks till {copies}/",)
    assert launch.command()[1:3] == ["-m", "jupyterlab"]


def test_an_older_copy_is_updated_and_an_edited_one_kept(tmp_path: Path) -> None:
    kit = tmp_path / "kit"
    kit.mkdir()
    for name in ("00_a.ipynb", "01_b.ipynb", "02_c.ipynb"):
        (kit / name).write_text(
            json.dumps({"cells": [{"cell_type": "code", "source": "x = 1"}], "metadata": {}}),
            encoding="utf-8",
        )
    target = tmp_path / "kampanj" / "notebooks"
    lab.copy_notebooks(kit, target)
    # the kit changes 00 and 01; the analyst edited the copy of 01, and saved 02 with outputs
    for name in ("00_a.ipynb", "01_b.ipynb"):
        (kit / name).write_text(
            json.dumps({"cells": [{"cell_type": "code", "source": "x = 2"}], "metadata": {}}),
            encoding="utf-8",
        )
    edited = json.loads((target / "01_b.ipynb").read_text(encoding="utf-8"))
    edited["cells"][0]["source"] = ["x = 1\n", "y = 3"]
    (target / "01_b.ipynb").write_text(json.dumps(edited), encoding="utf-8")
    saved = json.loads((target / "02_c.ipynb").read_text(encoding="utf-8"))
    saved["cells"][0]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "1"}]
    (target / "02_c.ipynb").write_text(json.dumps(saved), encoding="utf-8")

    notes = lab.copy_notebooks(kit, target)
    assert _sources(target / "00_a.ipynb") == [("code", "x = 2")]  # updated
    assert _sources(target / "01_b.ipynb") == [("code", "x = 1\ny = 3")]  # kept
    assert "outputs" in json.loads((target / "02_c.ipynb").read_text(encoding="utf-8"))["cells"][0]
    assert notes == [
        f"uppdaterade {target / '00_a.ipynb'} till kitets version",
        f"{target / '01_b.ipynb'} är ändrad av dig och skiljer sig från kitets version; den"
        " används som den är (ta bort den för att få kitets)",
    ]


def test_a_missing_campaign_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"kampanjfilen .*saknas\.yaml finns inte"):
        lab.prepare_lab(tmp_path / "saknas.yaml")
    assert list(tmp_path.iterdir()) == []


def test_the_checkout_serves_its_own_notebooks() -> None:
    """``inkorg-kit lab`` in the repository copies nothing: its notebooks/ are the kit's."""
    launch = lab.prepare_lab(None, folder=REPO)
    assert launch.notes == () and launch.environment == {}
    assert launch.notebooks == REPO.resolve() / "notebooks"


# --------------------------------------------------------------------------- the server


def _kernel_says(connection_file: Path, code: str) -> str:
    from jupyter_client import BlockingKernelClient

    client = BlockingKernelClient(connection_file=str(connection_file))
    client.load_connection_file()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        said: list[str] = []

        def output(message: dict) -> None:
            if message["msg_type"] == "stream":
                said.append(message["content"]["text"])
            elif message["msg_type"] == "error":
                said.append("\n".join(message["content"]["traceback"]))

        client.execute_interactive(code, timeout=60, output_hook=output)
        return "".join(said)
    finally:
        client.stop_channels()


@pytest.mark.slow
@TCP_KERNELS
def test_jupyterlab_serves_the_campaign_folder_and_its_kernels_see_the_preset(
    tmp_path: Path,
) -> None:
    campaign = _campaign_folder(tmp_path / "home")
    launch = lab.prepare_lab(campaign)
    state = tmp_path / "jupyter"
    with running_jupyterlab(
        launch.folder,
        state,
        arguments=list(launch.arguments),
        extra_env=launch.environment,
    ) as server:
        listed = {item["name"]: item["type"] for item in server.api("contents")["content"]}
        assert listed == {"campaign.yaml": "file", "notebooks": "directory"}
        inside = server.api("contents/notebooks")["content"]
        assert sorted(item["name"] for item in inside) == NOTEBOOKS

        # a kernel for a notebook in notebooks/, as opening it in JupyterLab starts one
        import urllib.request

        body = {
            "path": "notebooks/00_campaign_check.ipynb",
            "type": "notebook",
            "name": "00_campaign_check.ipynb",
            "kernel": {"name": "python3"},
        }
        request = urllib.request.Request(
            f"{server.origin}/api/sessions",
            data=json.dumps(body).encode("utf-8"),
            method="POST",
            headers={
                "Authorization": f"token {server.token}",
                "Content-Type": "application/json",
            },
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            kernel = json.loads(response.read())["kernel"]["id"]
        said = _kernel_says(
            state / "runtime" / f"kernel-{kernel}.json",
            "import os\n"
            "from inkorg_kit.steps import parameters\n"
            "print(os.getcwd())\n"
            "print(parameters.campaign_file(''))\n",
        )
    assert said.split() == [str(launch.folder), str(campaign.resolve())], said
