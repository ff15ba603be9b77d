"""The strict YAML loader's limits and the run folder, as the kit's own files and folders meet
them: every YAML file the kit ships loads well within the limits, anchors alone still load,
and a run folder is checked and made owner-only only where it exists, its parents left alone."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import yaml
from support import DEMO_CAMPAIGN, DEMO_CAMPAIGN_NAME, PACKAGE_DATA, REPO

from inkorg_kit._files import UnsafeFolderError, ensure_private_dir
from inkorg_kit.campaign import CampaignError, load_campaign
from inkorg_kit.config.yaml import (
    MAX_YAML_BYTES,
    MAX_YAML_DEPTH,
    MAX_YAML_NODES,
    parse_yaml,
    read_yaml,
)

KIT_YAML = sorted([*(REPO / "params").rglob("*.yaml"), *PACKAGE_DATA.rglob("*.yaml")])


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def _depth_and_nodes(node: yaml.Node, depth: int = 1) -> tuple[int, int]:
    """How deep ``node`` nests and how many values it holds, counted as the loader counts."""
    if isinstance(node, yaml.ScalarNode):
        return depth, 1
    children = node.value
    if isinstance(node, yaml.MappingNode):
        children = [child for pair in node.value for child in pair]
    found = [_depth_and_nodes(child, depth + 1) for child in children]
    return max([depth, *(d for d, _ in found)]), 1 + sum(n for _, n in found)


@pytest.mark.parametrize("path", KIT_YAML, ids=lambda p: str(p.relative_to(REPO)))
def test_every_yaml_file_of_the_kit_loads_well_within_the_limits(path: Path) -> None:
    assert path.stat().st_size < MAX_YAML_BYTES / 10
    text = path.read_text(encoding="utf-8")
    depth, nodes = _depth_and_nodes(yaml.compose(text, Loader=yaml.SafeLoader))
    assert depth < MAX_YAML_DEPTH / 4 and nodes < MAX_YAML_NODES / 10
    assert read_yaml(path) == yaml.safe_load(text)


def test_an_anchor_without_an_alias_still_loads() -> None:
    assert parse_yaml("a: &first 1\nb: 2\n", "anchor.yaml") == {"a": 1, "b": 2}


def test_campaign_load_errors_keep_their_wording(tmp_path: Path) -> None:
    with pytest.raises(CampaignError, match=r"missing\.yaml: campaign file not found"):
        load_campaign(tmp_path / "missing.yaml")
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes("title: Vårdcentral\n".encode("latin-1"))
    with pytest.raises(CampaignError, match=r"latin1\.yaml: not UTF-8 text .* save it as UTF-8"):
        load_campaign(latin1)


def test_windows_line_ends_load_as_before(tmp_path: Path) -> None:
    path = tmp_path / "crlf.yaml"
    path.write_bytes(DEMO_CAMPAIGN.read_bytes().replace(b"\n", b"\r\n"))
    (tmp_path / "lf.yaml").write_bytes(DEMO_CAMPAIGN.read_bytes())  # paths count from its folder
    assert load_campaign(path).model_dump() == load_campaign(tmp_path / "lf.yaml").model_dump()


def test_a_run_folder_that_does_not_exist_is_only_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    campaign = load_campaign(DEMO_CAMPAIGN)
    assert campaign.run_folder() == Path("out") / DEMO_CAMPAIGN_NAME
    assert campaign.run_folder("") == Path("out") / DEMO_CAMPAIGN_NAME
    assert campaign.run_folder(tmp_path / "a" / "b") == tmp_path / "a" / "b"
    assert list(tmp_path.iterdir()) == []


def test_a_link_above_the_run_folder_is_fine(tmp_path: Path) -> None:
    """``out`` may be a link to another disk; only the run folder itself is checked."""
    disk = tmp_path / "disk"
    (disk / "run").mkdir(parents=True)
    os.chmod(disk, 0o755)
    os.chmod(disk / "run", 0o755)
    (tmp_path / "out").symlink_to(disk, target_is_directory=True)
    folder = load_campaign(DEMO_CAMPAIGN).run_folder(tmp_path / "out" / "run")
    assert folder == tmp_path / "out" / "run"
    assert _mode(disk / "run") == 0o700 and _mode(disk) == 0o755


def test_a_file_where_the_run_folder_should_be_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "run"
    path.write_text("", encoding="utf-8")
    with pytest.raises(UnsafeFolderError, match="is not a folder"):
        load_campaign(DEMO_CAMPAIGN).run_folder(path)


def test_ensure_private_dir_makes_what_it_creates_owner_only(tmp_path: Path) -> None:
    os.chmod(tmp_path, 0o755)
    folder = ensure_private_dir(tmp_path / "a" / "b")
    assert _mode(tmp_path / "a") == 0o700 and _mode(folder) == 0o700
    assert _mode(tmp_path) == 0o755  # an existing folder is left alone without tighten
    assert ensure_private_dir(tmp_path, tighten=True) == tmp_path
    assert _mode(tmp_path) == 0o700
    os.chmod(tmp_path, 0o755)
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "a", target_is_directory=True)
    assert ensure_private_dir(link) == link  # without tighten an existing link is used as is
