"""Readers of the run folder: they take what the contract says, and refuse what breaks it.

Every artefact here is written by the kit itself (step 01's target group, step 02's manifest,
step 00's report), then one column or key is broken the way a hand edit or an old kit would:
the reader must stop with a message naming the file and the column or field, never guess.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

from inkorg_kit import followup, recipients, synth, target
from inkorg_kit.campaign import load_campaign
from inkorg_kit.errors import InkorgError
from inkorg_kit.guidelines import CheckReport, check
from inkorg_kit.run import RunFolder, load_frame, load_json
from inkorg_kit.steps import reach_plan

REFERENCE = dt.date(2027, 3, 16)
NAME = "las-test-2027"
DEMO_CAMPAIGN = Path(__file__).resolve().parents[3] / "params" / "demo" / "campaign.yaml"


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run folder as steps 01 and 02 leave it, written by the kit."""
    run = tmp_path_factory.mktemp("readers") / NAME
    region = synth.region(300, seed=5)
    spec = target.TargetSpec(exclude_deceased=False)
    result = target.select(spec, source=region.extract(), reference_date=REFERENCE)
    result.write(run)
    people = result.group["personnummer"].to_list()
    parts = recipients.split(recipients.prepare(people, reference_date=REFERENCE), part_size=50)
    recipients.write(parts, run, NAME, unchecked_reason="a test of the readers")
    return run


@pytest.fixture
def run(written: Path, tmp_path: Path) -> Path:
    """A fresh copy of ``written`` for a test to break."""
    copy = tmp_path / NAME
    for file in written.rglob("*"):
        if file.is_file():
            out = copy / file.relative_to(written)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(file.read_bytes())
    return copy


def _rewrite_group(run: Path, change) -> None:
    path = RunFolder(run).path("target_group")
    change(pl.read_parquet(path)).write_parquet(path)


def _rewrite_manifest(run: Path, change) -> Path:
    path = RunFolder(run).path("manifest_json")
    data = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(change(data), ensure_ascii=False), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- what the kit writes


def test_what_the_kit_writes_is_read_as_it_was_written(written: Path) -> None:
    group = load_frame(written, "target_group")
    assert group.equals(pl.read_parquet(RunFolder(written).path("target_group")))
    people = followup.load_target(written)
    assert people is not None and people.columns == ["pnr", "age_band", "sex", "unit"]
    assert people.height == group.height
    assert reach_plan.load_target(written)["n"].sum() == group.height
    raw = json.loads(RunFolder(written).path("manifest_json").read_text(encoding="utf-8"))
    assert recipients.read_manifest(written) == raw
    assert load_json(written, "manifest_json").campaign == NAME


# --------------------------------------------------------------------------- the target group


@pytest.mark.parametrize(
    ("change", "column"),
    [
        (lambda f: f.rename({"personnummer": "pnr"}), "personnummer"),  # an old spelling
        (lambda f: f.rename({"unit_hsa_id": "enhet"}), "unit_hsa_id"),
        (lambda f: f.drop("age_band"), "age_band"),
        (lambda f: f.with_columns(pl.col("sex").cast(pl.String)), "sex"),
    ],
)
def test_the_follow_up_refuses_a_target_group_that_breaks_its_schema(
    run: Path, change, column: str
) -> None:
    _rewrite_group(run, change)
    with pytest.raises(InkorgError, match=rf"(?s)target_group\.parquet.*'{column}'"):
        followup.load_target(run)


def test_the_reach_plan_refuses_a_target_group_without_an_age_band(run: Path) -> None:
    _rewrite_group(run, lambda f: f.rename({"age_band": "ålder"}))
    with pytest.raises(InkorgError, match=r"target_group\.parquet.*'age_band' is missing"):
        reach_plan.load_target(run)


def test_an_extra_column_in_the_target_group_is_named(run: Path) -> None:
    _rewrite_group(run, lambda f: f.with_columns(pl.lit("x").alias("enhet")))
    with pytest.raises(InkorgError, match=r"target_group\.parquet.*unexpected column 'enhet'"):
        followup.load_target(run)


# --------------------------------------------------------------------------- the manifest


def test_a_manifest_with_a_missing_field_is_refused_naming_file_and_field(run: Path) -> None:
    def drop_sha(data: dict) -> dict:
        first = {k: v for k, v in data["files"][0].items() if k != "sha256"}
        return {**data, "files": [first, *data["files"][1:]]}

    _rewrite_manifest(run, drop_sha)
    with pytest.raises(InkorgError, match=r"(?s)manifest\.json.*files\[0\].*sha256"):
        recipients.read_manifest(run)
    with pytest.raises(InkorgError, match=r"(?s)manifest\.json.*files\[0\].*sha256"):
        followup.campaign_recipients(run)


def test_a_manifest_with_an_old_key_is_refused_not_guessed(run: Path) -> None:
    _rewrite_manifest(run, lambda d: {**{k: v for k, v in d.items() if k != "files"}, "parts": []})
    with pytest.raises(InkorgError, match=r"(?s)manifest\.json.*no files"):
        recipients.read_manifest(run)
    _rewrite_manifest(run, lambda d: {**d, "files": d.pop("parts"), "sent_at": "2027-03-01"})
    with pytest.raises(InkorgError, match=r"(?s)manifest\.json.*sent_at: unknown key"):
        recipients.read_manifest(run)


def test_the_frequency_cap_names_a_manifest_it_cannot_use(run: Path) -> None:
    """An earlier run's broken manifest is a note naming the file, not a crash, and caps nobody."""
    path = _rewrite_manifest(run, lambda d: {**d, "created": 20270301})
    found, notes = target.messaged_in_earlier_runs(
        run.parent, since=dt.date(2027, 1, 1), reference_date=REFERENCE
    )
    assert found.len() == 0
    assert any(n.startswith(f"{path}: kunde inte läsas") and "created" in n for n in notes)


# --------------------------------------------------------------------------- step 00's report


def test_a_campaign_check_report_that_breaks_its_schema_is_refused(tmp_path: Path) -> None:
    report = check(load_campaign(DEMO_CAMPAIGN))
    path = report.to_json(tmp_path / "campaign_check.json")
    assert CheckReport.from_json(path).campaign == report.campaign
    data = json.loads(path.read_text(encoding="utf-8"))
    data["checks"] = data.pop("findings")
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(InkorgError, match=r"(?s)campaign_check\.json.*findings: field required"):
        CheckReport.from_json(path)
