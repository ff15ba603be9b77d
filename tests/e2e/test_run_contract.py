"""The run-folder contract: paths, schemas and typed load/save (fast), and each step run on the
demo, checked to write exactly what it declares and to read nothing it does not (slow).

How "reads nothing undeclared" is shown: each step runs in a fresh run folder that holds only
the artefacts its contract says it reads, copied from the demo's run folder; it must succeed
there and write the same (deterministic) files as in the full demo, where everything else lay
beside it. Executed notebooks go outside the run folder.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import shutil
import stat
from pathlib import Path

import polars as pl
import pytest
from support import REPO, DemoRun, run_notebook

from inkorg_kit.config.campaign import load_campaign
from inkorg_kit.errors import InkorgError, RunFolderError
from inkorg_kit.run import ARTEFACTS, STEP_NAMES, RunFolder, StepContract
from inkorg_kit.run.io import load_frame, load_json, load_yaml, save_frame, save_json
from inkorg_kit.run.schemas import FRAME_SCHEMAS, JSON_MODELS
from inkorg_kit.steps import (
    STEPS,
    campaign_check,
    read_rates_followup,
    recipient_files,
    target_group,
)
from inkorg_kit.vocab import PASSWORD_ENV

DEMO_PASSWORD = "inkorg-demo-endast-syntetiskt"


# --------------------------------------------------------------------------- RunFolder (fast)


def test_run_folder_paths_come_from_the_table(tmp_path: Path) -> None:
    run = RunFolder(tmp_path, "kampanj-1")
    assert run.path("target_group") == tmp_path / "target_group.parquet"
    assert run.path("recipients_dir") == tmp_path / "recipients"
    assert run.path("manifest_json") == tmp_path / "recipients" / "manifest.json"
    assert run.path("archive") == tmp_path / "kampanj-1_recipients.7z"
    assert run.path("report_html") == tmp_path / "kampanj-1_uppfoljning.html"
    assert run.path("send_plan_handler_ics", handler="lena-holm").name == "send_plan_lena-holm.ics"


def test_run_folder_refuses_unknown_keys_and_missing_fields(tmp_path: Path) -> None:
    with pytest.raises(KeyError, match=r"known: .*target_group"):
        RunFolder(tmp_path).path("target_groups")
    with pytest.raises(ValueError, match="campaign"):
        RunFolder(tmp_path).path("archive")
    with pytest.raises(ValueError, match="handler"):
        RunFolder(tmp_path).path("send_plan_handler_ics")


def test_require_names_the_step_to_run(tmp_path: Path) -> None:
    run = RunFolder(tmp_path)
    with pytest.raises(RunFolderError, match=r"target_group\.parquet is missing.*01_target_group"):
        run.require("target_group")
    with pytest.raises(RunFolderError, match="export from Personalverktyget"):
        run.require("status_export_dir")
    (tmp_path / "target_group.parquet").write_bytes(b"")
    assert run.require("target_group") == tmp_path / "target_group.parquet"
    assert run.exists("target_group")


# --------------------------------------------------------------------------- contracts (fast)


def test_steps_are_listed_in_run_order() -> None:
    assert list(STEPS) == [name for name in STEP_NAMES if name in STEPS]
    assert {"00_campaign_check", "01_target_group", "02_recipient_files"} <= set(STEPS)
    assert "04_read_rates_followup" in STEPS


@pytest.mark.parametrize("step", list(STEPS))
def test_a_step_writes_only_what_the_table_says_it_writes(step: str) -> None:
    contract = STEPS[step]
    for key in contract.all_writes:
        assert ARTEFACTS[key].step == step, f"{key} is written by {ARTEFACTS[key].step}"
    for key in contract.all_reads:  # read from an earlier step, itself, or the analyst
        writer = ARTEFACTS[key].step
        assert writer == "" or STEP_NAMES.index(writer) <= STEP_NAMES.index(step), key


def test_every_artefact_a_step_writes_is_declared_by_that_step() -> None:
    declared = {key for contract in STEPS.values() for key in contract.all_writes}
    for key, artefact in ARTEFACTS.items():
        if artefact.step in STEPS:
            assert key in declared, f"{key} ({artefact.step}) is in no contract"


def test_a_contract_refuses_unknown_names() -> None:
    with pytest.raises(KeyError, match="unknown artefacts"):
        StepContract(step="01_target_group", reads=(), writes=("target_grupp",))
    with pytest.raises(KeyError, match="unknown step"):
        StepContract(step="05_more", reads=(), writes=())


# --------------------------------------------------------------------------- load/save (fast)


def _funnel() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "step": ["rows_in", "age"],
            "label": ["rader in", "ålder 40–74"],
            "removed": [0, 2],
            "remaining": [5, 3],
            "note": [None, "ålder på dagen"],
        },
        schema_overrides={"note": pl.String},
    )


def _target() -> pl.DataFrame:
    schema = FRAME_SCHEMAS["target_group"].columns
    return pl.DataFrame(
        {
            "personnummer": ["19520319-1852"],
            "kind": ["personnummer"],
            "age": [74],
            "age_band": ["65-74"],
            "sex": ["M"],
            "unit_hsa_id": ["SE2321000032-VCSOLB"],
            "last_contact": [None],
            "contacts": [2],
            "first_row": [7],
        },
        schema=schema,
    )


def test_frames_round_trip_owner_only(tmp_path: Path) -> None:
    for key, frame in (("target_funnel_csv", _funnel()), ("target_group", _target())):
        path = save_frame(tmp_path, key, frame)
        assert path == RunFolder(tmp_path).path(key)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert load_frame(tmp_path, key).equals(frame)


def test_excel_csv_has_bom_semicolons_and_crlf(tmp_path: Path) -> None:
    letters = pl.DataFrame(
        {c: ["x"] for c in FRAME_SCHEMAS["followup_letters_csv"].columns},
    )
    data = save_frame(tmp_path, "followup_letters_csv", letters).read_bytes()
    assert data.startswith(b"\xef\xbb\xbfpersonnummer;lista;") and data.endswith(b"x\r\n")
    assert load_frame(tmp_path, "followup_letters_csv").equals(letters)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop("remaining"), "column 'remaining' is missing"),
        (lambda f: f.with_columns(pl.lit(1).alias("extra")), "unexpected column 'extra'"),
        (lambda f: f.with_columns(pl.col("removed").cast(pl.String)), "column 'removed' is"),
    ],
)
def test_save_refuses_a_frame_off_schema(tmp_path: Path, change, message: str) -> None:
    with pytest.raises(InkorgError, match=rf"target_funnel\.csv \(target_funnel_csv\): {message}"):
        save_frame(tmp_path, "target_funnel_csv", change(_funnel()))
    assert not (tmp_path / "target_funnel.csv").exists()


def test_load_names_the_file_and_the_column(tmp_path: Path) -> None:
    path = tmp_path / "target_funnel.csv"
    path.write_text("step;label;removed;remaining;note\nrows_in;rader in;många;5;\n")
    with pytest.raises(InkorgError, match=r"target_funnel\.csv.*column 'removed'.*'många'"):
        load_frame(tmp_path, "target_funnel_csv")
    path.write_text("step;label;removed;note\nrows_in;rader in;0;\n")
    with pytest.raises(InkorgError, match=r"target_funnel\.csv.*column 'remaining' is missing"):
        load_frame(tmp_path, "target_funnel_csv")
    _target().drop("sex").write_parquet(tmp_path / "target_group.parquet")
    with pytest.raises(InkorgError, match=r"target_group\.parquet.*column 'sex' is missing"):
        load_frame(tmp_path, "target_group")
    _target().with_columns(pl.col("age").cast(pl.Int64)).write_parquet(
        tmp_path / "target_group.parquet"
    )
    with pytest.raises(InkorgError, match=r"column 'age' is Int64, expected Int32"):
        load_frame(tmp_path, "target_group")


def test_load_of_a_missing_artefact_names_its_step(tmp_path: Path) -> None:
    with pytest.raises(RunFolderError, match="02_recipient_files"):
        load_json(tmp_path, "manifest_json")
    with pytest.raises(KeyError, match="not a table artefact"):
        load_frame(tmp_path, "manifest_json")


def _funnel_record() -> dict:
    return {
        "source": "out/demo/extract.csv",
        "reference_date": "2027-03-16",
        "age_date": "2027-03-16",
        "rows_in": 5,
        "target_group": 3,
        "steps": _funnel().to_dicts(),
        "notes": [],
    }


def test_json_round_trips_as_written(tmp_path: Path) -> None:
    path = save_json(tmp_path, "target_funnel_json", _funnel_record())
    assert path.read_text(encoding="utf-8") == (
        json.dumps(_funnel_record(), ensure_ascii=False, indent=2) + "\n"
    )
    record = load_json(tmp_path, "target_funnel_json")
    assert record.rows_in == 5 and record.steps[1].removed == 2
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_json_off_model_is_refused_with_the_key(tmp_path: Path) -> None:
    bad = {**_funnel_record(), "rows_in": "fem", "extra_key": 1}
    with pytest.raises(InkorgError, match=r"target_funnel\.json.*\n.*rows_in") as caught:
        save_json(tmp_path, "target_funnel_json", bad)
    assert "extra_key" in str(caught.value)
    (tmp_path / "target_funnel.json").write_text("{not json")
    with pytest.raises(InkorgError, match=r"target_funnel\.json .*not valid JSON"):
        load_json(tmp_path, "target_funnel_json")


def test_yaml_needs_its_keys(tmp_path: Path) -> None:
    (tmp_path / "fitted_reach.yaml").write_text("format_version: 1\ndescription: x\n")
    with pytest.raises(InkorgError, match=r"fitted_reach\.yaml.*'fitted_from' is missing"):
        load_yaml(tmp_path, "fitted_reach")


# --------------------------------------------------------------------------- the demo (slow)

#: files whose bytes do not depend on when or where the step ran (what the golden demo
#: comparison checks); target_funnel.json is compared without its ``source``
DETERMINISTIC = (
    "campaign_check.csv",
    "campaign_check.md",
    "target_funnel.csv",
    "target_rejected.csv",
    "recipients/*",
    "send_plan.csv",
    "reach_summary.csv",
    "followup/*",
    "fitted_reach.yaml",
)


def _files(root: Path) -> dict[str, str]:
    """Every file under ``root``, relative path -> SHA-256."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _declared(run: RunFolder, keys: tuple[str, ...]) -> list[str]:
    """Path patterns (relative) of the artefacts ``keys``; a folder covers its contents."""
    out = []
    for key in keys:
        artefact = ARTEFACTS[key]
        fields = {"handler": "*"} if "{handler}" in artefact.path else {}
        rel = run.path(key, **fields).relative_to(run.root).as_posix()
        out.append(f"{rel}/*" if artefact.is_folder else rel)
    return out


def _covered(path: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(path, p) for p in patterns)


def _step_parameters(step: str, run_dir: Path, demo: DemoRun) -> dict[str, object]:
    params: dict[str, object] = {"run_dir": str(run_dir)}
    if step == "01_target_group":  # the extract lies outside the run folder, in the demo's root
        params["source"] = str(demo.root / "out" / "demo" / "extract.csv")
    if step == "04_read_rates_followup":  # the bookings too: the demo's campaign points at them
        params["campaign_file"] = str(demo.root / "out" / "demo" / "campaign.yaml")
    return params


@pytest.mark.slow
@pytest.mark.parametrize("step", list(STEPS))
def test_step_writes_exactly_its_declared_artefacts(
    step: str, demo: DemoRun, tmp_path: Path
) -> None:
    contract = STEPS[step]
    full = demo.folder
    run = RunFolder(tmp_path / "out" / full.root.name, full.campaign)
    run.root.mkdir(parents=True, mode=0o700)
    for key in contract.all_reads:  # only what the step declares it reads
        source = full.path(key)
        if source.is_dir():
            shutil.copytree(source, run.path(key))
        elif source.is_file():
            run.path(key).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, run.path(key))
    before = _files(run.root)

    run_notebook(
        f"{step}.ipynb",
        tmp_path / "executed",
        params_file=REPO / "params" / "demo" / f"{step}.yaml",
        parameters=_step_parameters(step, run.root, demo),
        env={PASSWORD_ENV: DEMO_PASSWORD},
    )

    after = _files(run.root)
    assert set(before) <= set(after), f"{step} removed {sorted(set(before) - set(after))}"
    written = sorted(p for p, digest in after.items() if before.get(p) != digest)
    undeclared = [p for p in written if not _covered(p, _declared(run, contract.all_writes))]
    assert not undeclared, f"{step} wrote undeclared files: {undeclared}"
    for key, pattern in zip(contract.writes, _declared(run, contract.writes), strict=True):
        assert any(fnmatch.fnmatchcase(p, pattern) for p in written), f"{step}: no {key}"
    for path in written:  # the same as beside everything else in the full demo
        if _covered(path, list(DETERMINISTIC)):
            assert (run.root / path).read_bytes() == (full.root / path).read_bytes(), path
    if "target_funnel_json" in contract.writes:
        mine = json.loads(run.path("target_funnel_json").read_text(encoding="utf-8"))
        theirs = json.loads(full.path("target_funnel_json").read_text(encoding="utf-8"))
        assert {**mine, "source": ""} == {**theirs, "source": ""}
    if "target_group" in contract.writes:
        assert load_frame(run, "target_group").equals(load_frame(full, "target_group"))


@pytest.mark.slow
def test_the_demo_run_folder_matches_every_schema(demo: DemoRun, tmp_path: Path) -> None:
    full, copy = demo.folder, RunFolder(tmp_path, demo.folder.campaign)
    for key in FRAME_SCHEMAS:
        frame = load_frame(full, key)
        assert load_frame(copy, key).equals(frame) if save_frame(copy, key, frame) else False
        assert copy.path(key).read_bytes() == full.path(key).read_bytes(), key
    for key in JSON_MODELS:
        if full.exists(key):  # recipients_override.json only when an override was given
            load_json(full, key)
    for manifest in full.root.glob("followup/*/recipients/manifest.json"):
        JSON_MODELS["manifest_json"].model_validate_json(manifest.read_text(encoding="utf-8"))
    assert load_yaml(full, "fitted_reach")["fitted_from"]["campaign"] == full.campaign


@pytest.mark.slow
def test_the_step_functions_do_what_the_notebooks_do(
    demo: DemoRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, DEMO_PASSWORD)
    campaign = load_campaign(demo.root / "out" / "demo" / "campaign.yaml")  # with its bookings
    full = demo.folder
    run = RunFolder(tmp_path / "run", full.campaign)
    shutil.copytree(full.path("status_export_dir"), run.path("status_export_dir"))
    campaign_check.run(campaign, run.root)
    target_group.run(campaign, run.root, source=str(demo.root / "out" / "demo" / "extract.csv"))
    recipient_files.run(campaign, run.root, prompt=False)
    done = read_rates_followup.run(campaign, run.root)
    assert done.report == run.path("report_html") and done.fitted_path == run.path("fitted_reach")
    for path in _files(run.root):
        if _covered(path, list(DETERMINISTIC)):
            assert (run.root / path).read_bytes() == (full.root / path).read_bytes(), path
