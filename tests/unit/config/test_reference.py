"""The campaign reference and template, generated from the typed models: ``docs/campaign.md`` is
current, the template lists every key the reference lists, loads as a campaign as written (and
with the order form's open questions left empty), every commented-out default loads as that
default, and every example the models give loads."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import pytest
import yaml
from pydantic import BaseModel, Field
from support import REPO

from inkorg_kit.campaign import Campaign, load_campaign, parse_campaign
from inkorg_kit.config import reference
from inkorg_kit.config.reference import (
    TEMPLATE_FILLED,
    campaign_keys,
    campaign_template,
    reference_markdown,
)
from inkorg_kit.errors import InkorgError
from inkorg_kit.guidelines import check

DOCS = REPO / "docs" / "campaign.md"

#: A key line of the template, commented out or not: indentation, the comment mark (at the
#: indentation where the commented-out part starts), more indentation, the key.
KEY_LINE = re.compile(r"^(?P<lead> *)(?P<mark># )?(?P<inner> *)(?P<key>[a-z_][a-z0-9_]*):(?: |$)")


def _template_keys(text: str) -> list[tuple[str, bool, str]]:
    """(key path, commented out, rest of the line) for every key line of a template."""
    found: list[tuple[str, bool, str]] = []
    stack: list[tuple[int, str]] = []
    for line in text.splitlines():
        match = KEY_LINE.match(line)
        if not match:
            continue
        depth = len(match["lead"]) + len(match["inner"])
        stack = [(d, k) for d, k in stack if d < depth]
        path = ".".join([k for _, k in stack] + [match["key"]])
        stack.append((depth, match["key"]))
        found.append((path, match["mark"] is not None, line[match.end() :]))
    return found


def test_docs_campaign_md_is_current() -> None:
    committed = DOCS.read_text(encoding="utf-8") if DOCS.exists() else ""
    assert committed == reference_markdown(), (
        "docs/campaign.md differs from what the campaign models give: run `make docs`"
    )


def test_reference_lists_every_key_once_with_meaning_and_example() -> None:
    keys = campaign_keys()
    paths = [key.path for key in keys]
    assert len(paths) == len(set(paths))
    text = reference_markdown()
    for key in keys:
        assert key.description
        assert f"| `{key.path}` |" in text
        if not key.block:
            assert key.example is not None
    # the keys the issue found missing from every document
    for path in (
        "target.pnr_column",
        "target.unit_column",
        "target.diagnosis_column",
        "target.contact_date_column",
        "target.deceased_column",
        "target.protected_identity_column",
        "target.opted_out_column",
        "target.include_lists",
        "target.exclude_lists",
        "target.deceased_lists",
        "target.sex",
        "target.frequency_cap_days",
    ):
        assert path in paths


def test_template_lists_every_key_path_the_reference_lists() -> None:
    listed = [path for path, _, _ in _template_keys(campaign_template())]
    # each extract's source appears twice: as a file path, and commented out as an SQL block
    assert sorted(set(listed)) == sorted(key.path for key in campaign_keys())
    twice = sorted({path for path in listed if listed.count(path) > 1})
    assert twice == ["followup.outcome.source", "target.source"]
    assert len(listed) == len(set(listed)) + len(twice)


def test_template_loads_as_a_campaign(tmp_path: Path) -> None:
    path = tmp_path / "campaign.yaml"
    path.write_text(campaign_template(), encoding="utf-8")
    campaign = load_campaign(path)
    assert isinstance(campaign, Campaign)
    assert Path(campaign.target.source) == tmp_path.resolve() / "extract.xlsx"  # beside it
    assert campaign.message.template == "questions" and campaign.message.close_after_days == 14


def test_template_with_open_questions_loads_with_them_empty(tmp_path: Path) -> None:
    path = tmp_path / "campaign.yaml"
    path.write_text(campaign_template(undecided=True), encoding="utf-8")
    campaign = load_campaign(path)
    assert campaign.unit.hsa_id is None and campaign.message.purpose is None
    assert campaign.relation.basis is None
    assert campaign.name == "blodtryck-solbacka-2027"


def test_template_passes_the_guideline_check_and_open_questions_are_reported() -> None:
    def problems(undecided: bool) -> set[str]:
        campaign = parse_campaign(yaml.safe_load(campaign_template(undecided=undecided)))
        return {f.check for f in check(campaign).findings if not f.passed}

    assert problems(undecided=False) == set()
    assert problems(undecided=True) == {
        "unit_named",
        "unit_hsa_id",
        "purpose_stated",
        "answer_use_stated",
        "contact_stated",
        "relation_basis",
    }


def test_required_and_filled_keys_are_written_out_the_rest_commented() -> None:
    keys = {key.path: key for key in campaign_keys()}
    assert all(path in keys for path in TEMPLATE_FILLED)
    for path, commented, _ in _template_keys(campaign_template()):
        key = keys[path]
        if key.alternative or (path == "target.source" and commented):
            assert commented  # the SQL form is shown, commented out
        elif path.startswith("followup.outcome."):
            assert commented, path  # an optional block: shown whole, commented out
        elif key.block:
            continue
        else:
            assert commented == (not key.required and path not in TEMPLATE_FILLED), path


def test_every_commented_out_default_loads_as_that_default() -> None:
    keys = {key.path: key for key in campaign_keys()}
    checked = 0
    for path, commented, rest in _template_keys(campaign_template()):
        key = keys[path]
        if not commented or key.block or key.alternative or not rest.strip():
            continue
        value = yaml.safe_load(f"value: {rest.strip()}")["value"]
        if key.required:  # inside a commented-out optional block: its example
            assert path.startswith("followup.outcome.") and value == key.example, path
            continue
        assert value == key.default, path
        checked += 1
    assert checked > 40


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, name = path.split(".")
    for part in parents:
        data = data.setdefault(part, {})
    data[name] = value


def test_every_example_the_models_give_loads_together() -> None:
    data: dict[str, Any] = {}
    for key in campaign_keys():
        if not key.block and not key.alternative:
            _set(data, key.path, key.example)
    campaign = parse_campaign(data)
    assert campaign.target.frequency_cap_days == 90 and campaign.target.sex == "F"
    sql = {k.name: k.example for k in campaign_keys() if k.alternative}
    sql.pop("url")
    _set(data, "target.source", sql)
    assert parse_campaign(data).target.source.url_env == "INKORG_DB_URL"


def test_every_default_loads_as_that_default() -> None:
    data: dict[str, Any] = {}
    keys = campaign_keys()
    for key in keys:
        if not key.block and not key.alternative:
            _set(data, key.path, key.example if key.required else key.default)
    _set(data, "orderer.email", "a@b.se")
    _set(data, "message.template", "information")
    parse_campaign(data)


def test_a_field_without_description_or_example_is_named() -> None:
    class NoDescription(BaseModel):
        colour: str = "blue"

    class NoExample(BaseModel):
        colour: str | None = Field(None, description="the colour")

    with pytest.raises(InkorgError, match=r"x\.colour: .*description="):
        list(reference._keys_of(NoDescription, "x.", None))
    with pytest.raises(InkorgError, match=r"x\.colour: .*examples="):
        list(reference._keys_of(NoExample, "x.", None))


def test_a_number_choice_or_flag_without_example_gets_one_from_its_type() -> None:
    class Derived(BaseModel):
        rows: int | None = Field(None, le=99, ge=3, description="rows")
        mode: Literal["a", "b"] | None = Field(None, description="mode")
        on: bool | None = Field(None, description="on")

    examples = {key.name: key.example for key in reference._keys_of(Derived, "", None)}
    assert examples == {"rows": 3, "mode": "a", "on": True}


def test_types_in_plain_words() -> None:
    kinds = {key.path: key.kind for key in campaign_keys()}
    assert kinds["sending.handlers"] == "whole number, 1–100"
    assert kinds["planned_send_start"] == "date and time ('YYYY-MM-DD HH:MM')"
    assert kinds["send_windows.lunch_break"] == "list of 2 times of day ('HH:MM'), or null"
    assert kinds["send_windows.blocked_reasons"] == "mapping of date (YYYY-MM-DD) to text"
    assert kinds["message.template"] == "one of: information, questions"
    assert kinds["target.source"] == "text or SQL block (keys below), or null"


def test_main_prints_the_reference_or_the_template(capsys: pytest.CaptureFixture[str]) -> None:
    assert reference.main([]) == 0
    assert capsys.readouterr().out == reference_markdown()
    assert reference.main(["--template"]) == 0
    assert capsys.readouterr().out == campaign_template()
