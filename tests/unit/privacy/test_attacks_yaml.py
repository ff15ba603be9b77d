"""Attack 6 of issue 13: YAML that costs time or memory instead of holding a campaign.

A "billion laughs" alias bomb (nine anchors of ten lists, the last used as ``title: *i``) took
gigabytes before it was refused, a 60 MB campaign file was read for half a minute, and deep
nesting ended in a ``RecursionError``. The strict loader now refuses every alias (naming its
line and saying to write the value out), every YAML file over the size limit before reading it,
and nesting deeper than any kit file needs, each as the usual error naming the file and line.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support import REPO

from inkorg_kit.campaign import CampaignError, load_campaign
from inkorg_kit.config.assumptions import load_assumptions
from inkorg_kit.config.yaml import MAX_YAML_BYTES, MAX_YAML_NODES, parse_yaml, read_yaml
from inkorg_kit.errors import AssumptionsError, InkorgError

DEMO = REPO / "params" / "demo" / "campaign.yaml"


def _demo_text() -> str:
    return DEMO.read_text(encoding="utf-8")


def _bomb_lines() -> list[str]:
    """Nine anchors, each a list of ten aliases of the one before: 10**9 leaves if expanded."""
    lines = ["  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for before, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"  {name}: &{name} [" + ", ".join([f"*{before}"] * 10) + "]")
    return lines


def _line_of(text: str, pattern: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if re.search(pattern, line))


def test_the_alias_bomb_in_a_campaign_is_refused_naming_the_line(tmp_path: Path) -> None:
    text = "laughs:\n" + "\n".join(_bomb_lines()) + "\n"
    text += re.sub(r"(?m)^title:.*$", "title: *i", _demo_text())
    path = tmp_path / "bomb.yaml"
    path.write_text(text, encoding="utf-8")
    first_alias = _line_of(text, r"\*a\b")
    with pytest.raises(CampaignError) as raised:
        load_campaign(path)
    message = str(raised.value)
    assert "bomb.yaml" in message
    assert f"line {first_alias}," in message
    assert "*a" in message and "write the value out" in message


def test_one_alias_in_a_campaign_is_refused(tmp_path: Path) -> None:
    text = _demo_text().replace("  name: Karin Lindqvist", "  name: &who Karin Lindqvist")
    text = text.replace("  name: Johan Ekström", "  name: *who")
    path = tmp_path / "alias.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CampaignError, match=r"line \d+, column \d+: an alias \(\*who\)") as raised:
        load_campaign(path)
    anchored = _line_of(text, r"&who")
    assert f"anchored at line {anchored}" in str(raised.value)


def test_a_merge_key_is_an_alias_too() -> None:
    text = "base: &base {share: 0.5}\nband:\n  <<: *base\n  extra: 1\n"
    with pytest.raises(InkorgError, match=r"merge\.yaml: .*line 3, column 7: an alias \(\*base\)"):
        parse_yaml(text, "merge.yaml")


def test_a_file_of_very_many_small_values_is_refused_where_the_limit_is_passed() -> None:
    """Within the size limit but slow to parse: a list of 20 000 numbers (80 kB)."""
    text = "bands:\n" + "  - 1\n" * (2 * MAX_YAML_NODES)
    line = MAX_YAML_NODES - 1  # the mapping, its key and the list count too; line 1 is the key
    with pytest.raises(InkorgError, match=rf"many\.yaml: not valid YAML at line {line}, "):
        parse_yaml(text, "many.yaml")


def test_the_alias_bomb_in_reach_assumptions_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "fitted_reach.yaml"
    path.write_text("laughs:\n" + "\n".join(_bomb_lines()) + "\nbands: *i\n", encoding="utf-8")
    with pytest.raises(AssumptionsError, match=r"fitted_reach\.yaml: .*write the value out"):
        load_assumptions(path)


def test_a_campaign_file_over_the_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    """Just over the limit (a valid campaign padded with a comment), and 60 MB (sparse)."""
    text = _demo_text()
    padding = MAX_YAML_BYTES + 1 - len(text.encode("utf-8")) - 2
    path = tmp_path / "lang.yaml"
    path.write_text(text + "#" + "x" * padding + "\n", encoding="utf-8")
    size = path.stat().st_size
    assert size == MAX_YAML_BYTES + 1
    with pytest.raises(CampaignError) as raised:
        load_campaign(path)
    message = str(raised.value)
    assert "lang.yaml" in message
    assert f"{size:,} bytes" in message and f"{MAX_YAML_BYTES:,} bytes" in message
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as handle:
        handle.truncate(60_000_000)
    with pytest.raises(CampaignError, match=r"huge\.yaml: .*60,000,000 bytes"):
        load_campaign(huge)
    with pytest.raises(InkorgError, match=r"huge\.yaml: .*60,000,000 bytes"):
        read_yaml(huge)


def test_text_over_the_limit_is_refused_too() -> None:
    with pytest.raises(InkorgError, match=r"big\.yaml: .*bytes"):
        parse_yaml("a: " + "x" * MAX_YAML_BYTES + "\n", "big.yaml")


@pytest.mark.parametrize(
    "text",
    [
        "a: " + "[" * 20_000 + "]" * 20_000 + "\n",
        "a: " + "{b: " * 5_000 + "}" * 5_000 + "\n",
        "".join(" " * depth + f"k{depth}:\n" for depth in range(500)),
    ],
    ids=["flow-lists", "flow-maps", "blocks"],
)
def test_deep_nesting_is_an_error_naming_the_line_not_a_recursion_error(text: str) -> None:
    with pytest.raises(InkorgError, match=r"deep\.yaml: not valid YAML at line \d+, column \d+"):
        parse_yaml(text, "deep.yaml")
