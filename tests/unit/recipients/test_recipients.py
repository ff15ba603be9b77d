"""inkorg_kit.recipients: split, write, manifest, the encrypted 7z (opened by the real 7z), verify.

Every personnummer here is one of Skatteverket's published test numbers (the package copy), or a
test number with a wrong check digit (which no person can have).
"""

from __future__ import annotations

import doctest
import hashlib
import json
import math
import os
import re
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import ARCHIVE_PASSWORD as PASSWORD
from support import (
    REPO,
    TWO_UNITS,
    assert_no_personnummer,
    build_run_for_recipient_files,
    messy_list,
    run_7z,
    with_wrong_check_digit,
)
from support import skatteverket_numbers as skv_numbers

from inkorg_kit import campaign as cp
from inkorg_kit import charts, pnr
from inkorg_kit import recipients as rc
from inkorg_kit.guidelines import report as check_report

ENV = "INKORG_TEST_7Z_PASSWORD"
UNCHECKED = "test med Skatteverkets testnummer: inget utskick, ingen kampanj att kontrollera"


# --------------------------------------------------------------------------- test data


def ok_frame(numbers: list[str], **columns: list) -> pl.DataFrame:
    """A target-group frame: everyone ok (extra columns allowed)."""
    return pl.DataFrame({"pnr": numbers, "status": ["ok"] * len(numbers), **columns})


def lines_of(path: Path) -> list[str]:
    data = path.read_bytes()
    assert data.endswith(b"\r\n")
    return data[:-2].decode("ascii").split("\r\n")


@pytest.fixture
def password_env(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(ENV, PASSWORD)
    return ENV


@pytest.fixture
def delivered(tmp_path: Path, password_env: str) -> Path:
    """A complete run folder: grouped files, manifest, archive."""
    frame, _ = messy_list(700)
    parts = rc.split(rc.prepare(frame), group_by="enhet", part_size=200)
    run_dir = tmp_path / "run"
    rc.write(parts, run_dir, "demo-kampanj", unchecked_reason=UNCHECKED)
    rc.package(run_dir, password_env=password_env, prompt=False)
    return run_dir


def demo_campaign(**changes: object) -> cp.Campaign:
    data = yaml.safe_load((REPO / "params/demo/campaign.yaml").read_text(encoding="utf-8"))
    data.update(changes)
    return cp.parse_campaign(data)


def test_module_doctests() -> None:
    modules = (
        rc,
        rc.lines,
        rc.funnel,
        rc.reading,
        rc.splitting,
        rc.manifest,
        rc.writing,
        rc.archive,
        rc.verification,
    )
    tried = 0
    for module in modules:
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0, module.__name__
        tried += result.attempted
    assert tried >= 4


# --------------------------------------------------------------------------- prepare


def test_prepare_reads_a_messy_csv_and_accounts_for_every_row(tmp_path: Path) -> None:
    frame, expected = messy_list(300)
    path = tmp_path / "lista.csv"
    frame.write_csv(path, separator=";")
    prepared = rc.prepare(path, pnr_column="personnummer")
    assert prepared.columns == ["row", "pnr", "kind", "status", "reason", "duplicate_of", "enhet"]
    assert prepared.height == expected["input_rows"]
    parts = rc.split(prepared)
    s = parts.source_summary
    assert s["input_rows"] == expected["input_rows"]
    assert s["sent_out"] == expected["sent_out"] == parts.rows
    assert s["duplicates"] == expected["duplicates"]
    assert sum(s["rejected"].values()) == expected["rejected_total"]
    assert {"bad_checksum", "empty", "reserve_number", "bad_format"} <= set(s["rejected"])


def test_prepare_accepts_pandas_lists_and_guesses_the_column() -> None:
    numbers = list(skv_numbers()[:5])
    from_pandas = rc.prepare(pd.DataFrame({"PNR": numbers, "x": range(5)}))
    assert from_pandas["pnr"].to_list() == numbers and from_pandas["x"].to_list() == [0, 1, 2, 3, 4]
    assert rc.prepare(numbers)["status"].to_list() == ["ok"] * 5
    with pytest.raises(ValueError, match=r"pnr_column='nope'.*'PNR'"):
        rc.prepare(pd.DataFrame({"PNR": numbers}), pnr_column="nope")
    with pytest.raises(ValueError, match="cannot tell which column"):
        rc.prepare(pl.DataFrame({"a": numbers, "b": numbers}))


def test_notebook_01s_target_group_and_funnel_are_picked_up(tmp_path: Path) -> None:
    run = build_run_for_recipient_files(tmp_path / "run")
    source = rc.input_path("", run)
    assert source == run / "target_group.parquet"
    assert rc.input_path("lista.csv", run) == Path("lista.csv")
    parts = rc.split(rc.prepare(source), group_by="unit_hsa_id")
    summary = rc.with_target_funnel(parts.source_summary, source)
    assert summary == {
        "input_rows": 1000,
        "rejected": {"bad_checksum": 20},
        "duplicates": 180,
        "excluded": {"ålder 50–74 år": 500},
        "sent_out": 300,
        "in_several_groups": 0,
    }
    rc.write(parts, run, "demo-kampanj", unchecked_reason=UNCHECKED, source_summary=summary)
    assert rc.read_manifest(run)["source_summary"] == summary
    assert rc.verify(run, archive=False).ok
    labels = rc.funnel_frame(summary)["label"].to_list()
    assert "Undantagna: ålder 50–74 år" in labels and labels[-1] == "Skickas ut"

    # 01's funnel is for another file
    stale = build_run_for_recipient_files(tmp_path / "stale", funnel_group=299)
    parts = rc.split(rc.prepare(rc.input_path("", stale)))
    assert rc.with_target_funnel(parts.source_summary, stale / "target_group.parquet") == (
        parts.source_summary
    )
    with pytest.raises(FileNotFoundError, match="run notebook 01"):
        rc.input_path("", tmp_path / "empty")


# --------------------------------------------------------------------------- split


def test_fill_and_balance_give_the_expected_sizes() -> None:
    numbers = list(skv_numbers()[:1001])
    fill = rc.split(ok_frame(numbers), balance=False).table()["rows"].to_list()
    even = rc.split(ok_frame(numbers), balance=True).table()["rows"].to_list()
    assert fill == [250, 250, 250, 250, 1]
    assert even == [201, 200, 200, 200, 200]
    assert rc.split(ok_frame(numbers[:10]), part_size=3).table()["rows"].to_list() == [3, 3, 2, 2]


def test_only_ok_rows_go_out_and_leftover_duplicates_are_dropped_and_counted() -> None:
    numbers = list(skv_numbers()[:10])
    frame = pl.DataFrame(
        {
            "pnr": [*numbers, numbers[0], numbers[1], None],
            "status": ["ok"] * 12 + ["rejected"],
            "reason": [None] * 12 + ["empty"],
            "unit": ["a"] * 10 + ["b", "b", "b"],
        }
    )
    parts = rc.split(frame, group_by="unit")
    assert sorted(parts.frame["pnr"].to_list()) == sorted(numbers)
    assert set(parts.frame["group"].to_list()) == {"a"}  # the group that comes first wins
    assert parts.source_summary == {
        "input_rows": 13,
        "rejected": {"empty": 1},
        "duplicates": 2,
        "excluded": {},
        "sent_out": 10,
        "in_several_groups": 2,  # numbers[0] and numbers[1] were also listed under b
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"part_size": 251}, "outside 1-250"),
        ({"part_size": 0}, "outside 1-250"),
        ({"part_size": True}, "whole number"),
        ({"part_size": "250"}, "whole number"),
        ({"order": "age"}, "order='age' is neither"),
        ({"order": "shuffle"}, "needs a whole-number seed"),
        ({"group_by": "unit"}, "group_by='unit' is not a column"),
        ({"balance": "yes"}, "balance='yes'"),
    ],
)
def test_split_rejects_bad_options_naming_them(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rc.split(ok_frame(list(skv_numbers()[:5])), **kwargs)


def test_split_refuses_unclean_numbers_without_showing_them() -> None:
    number = skv_numbers()[0]
    with pytest.raises(ValueError, match="not written YYYYMMDD-NNNN") as raised:
        rc.split(ok_frame([number.replace("-", "")]))
    assert_no_personnummer(str(raised.value), "the error")
    frame = rc.prepare(["", *skv_numbers()[1:4]]).with_columns(
        pnr=pl.when(pl.col("row") == 2).then(pl.lit(number[:8] + number[9:])).otherwise("pnr")
    )
    with pytest.raises(
        ValueError, match=r"the first is row 2 \(0-based\) with '\d{8}-?\*"
    ) as raised:
        rc.split(frame)
    assert_no_personnummer(str(raised.value), "the error")
    with pytest.raises(ValueError, match="columns 'pnr' and 'status'"):
        rc.split(pl.DataFrame({"pnr": [number]}))


def test_groups_need_values_and_distinct_file_names() -> None:
    numbers = list(skv_numbers()[:4])
    with pytest.raises(
        ValueError, match=r"1 recipient.*the first is row 2 \(0-based, \d{8}-\*{4}\)"
    ):
        rc.split(ok_frame(numbers, unit=["a", "b", None, "a"]), group_by="unit")
    with pytest.raises(ValueError, match="same file"):
        rc.split(ok_frame(numbers, unit=["BVC Öst", "bvc-ost", "a", "a"]), group_by="unit")
    with pytest.raises(ValueError, match="no letters or digits"):
        rc.split(ok_frame(numbers, unit=["---", "a", "a", "a"]), group_by="unit")


def test_order_by_column_breaks_ties_by_pnr() -> None:
    numbers = list(skv_numbers()[:6])
    frame = ok_frame(numbers[::-1], rank=[2, 1, 2, 1, 2, 1])
    out = rc.split(frame, order="rank").frame["pnr"].to_list()
    ranked = sorted(zip([2, 1, 2, 1, 2, 1], numbers[::-1], strict=True))
    assert out == [p for _, p in ranked]


@st.composite
def split_cases(draw: st.DrawFn) -> dict:
    n = draw(st.integers(0, 1300))
    start = draw(st.integers(0, len(skv_numbers()) - n))
    return {
        "numbers": list(skv_numbers()[start : start + n]),
        "part_size": draw(st.integers(1, 250)),
        "balance": draw(st.booleans()),
        "groups": draw(st.integers(0, 4)),
        "order": draw(st.sampled_from(["pnr", "shuffle", "rank"])),
        "seed": draw(st.integers(0, 2**32 - 1)),
        "rejected": draw(st.integers(0, 20)),
    }


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(split_cases())
def test_split_properties(case: dict) -> None:
    numbers, size, groups = case["numbers"], case["part_size"], case["groups"]
    rng = np.random.default_rng(case["seed"])
    n = len(numbers)
    frame = pl.DataFrame(
        {
            "pnr": numbers + [None] * case["rejected"],
            "status": ["ok"] * n + ["rejected"] * case["rejected"],
            "reason": [None] * n + ["bad_format"] * case["rejected"],
            "unit": [f"enhet {int(u)}" for u in rng.integers(0, max(groups, 1), n)]
            + ["x"] * case["rejected"],
            "rank": rng.integers(0, 5, n + case["rejected"]),
        }
    ).sample(fraction=1.0, shuffle=True, seed=case["seed"])
    kwargs = {
        "part_size": size,
        "balance": case["balance"],
        "order": case["order"],
        "group_by": "unit" if groups else None,
        "seed": case["seed"],
    }
    parts = rc.split(frame, **kwargs)
    out = parts.frame

    # every ok pnr in exactly one part; nothing else; the funnel adds up
    assert sorted(out["pnr"].to_list()) == sorted(numbers)
    assert parts.source_summary["sent_out"] == n
    rejected = case["rejected"]
    assert parts.source_summary["rejected"] == ({"bad_format": rejected} if rejected else {})

    table = parts.table()
    assert (table["rows"] <= size).all()
    for group in table.partition_by("group_slug"):
        sizes = group["rows"].to_list()
        group_n = sum(sizes)
        assert group["part"].to_list() == list(range(1, len(sizes) + 1))
        assert set(group["part_count"].to_list()) == {len(sizes)} == {math.ceil(group_n / size)}
        if case["balance"]:
            assert max(sizes) - min(sizes) <= 1
        else:
            assert all(s == size for s in sizes[:-1])
    # rows come in file order (as `ls` lists the names): group, then part
    keys = list(zip(out["group_slug"].to_list(), out["part"].to_list(), strict=True))
    assert keys == sorted(keys, key=lambda k: (k[0] + "_", k[1]))

    for group in out.partition_by("group_slug"):
        pnrs = group["pnr"].to_list()
        if case["order"] == "pnr":
            assert pnrs == sorted(pnrs)
        elif case["order"] == "rank":
            rank = dict(zip(frame["pnr"].to_list(), frame["rank"].to_list(), strict=True))
            assert [(rank[p], p) for p in pnrs] == sorted((rank[p], p) for p in pnrs)

    # deterministic: the same set in another input order gives the same parts
    again = rc.split(frame.reverse(), **kwargs).frame
    assert again.equals(out)
    if case["order"] == "shuffle" and n >= 20 and not groups:
        other = rc.split(frame, **{**kwargs, "seed": case["seed"] + 1}).frame
        assert other["pnr"].to_list() != out["pnr"].to_list()
        assert out["pnr"].to_list() != sorted(numbers)


#: Slugs that share a prefix: '-' sorts before '_' in file names, so vc-ost's files come first.
SHARED_PREFIX_UNITS = ("VC", "VC Öst", "A-enheten", "vc-öst-bvc")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.lists(st.sampled_from(SHARED_PREFIX_UNITS), min_size=1, max_size=4),
        min_size=1,
        max_size=120,
    ),
    st.integers(0, 2**32 - 1),
    st.sampled_from(["pnr", "shuffle"]),
)
def test_a_person_in_several_groups_goes_out_once_with_the_first_group(
    units_per_person: list[list[str]], seed: int, order: str
) -> None:
    rng = np.random.default_rng(seed)
    numbers = list(skv_numbers()[: len(units_per_person)])
    rows = [
        (number, unit, "ok" if k == 0 or rng.random() < 0.5 else "duplicate")
        for number, units in zip(numbers, units_per_person, strict=True)
        for k, unit in enumerate(units)
    ]
    frame = pl.DataFrame(rows, schema=["pnr", "unit", "status"], orient="row")
    frame = frame.sample(fraction=1.0, shuffle=True, seed=seed)
    parts = rc.split(frame, group_by="unit", order=order, seed=seed, part_size=7)

    first = {  # each person's group: the one whose files come first
        number: min(units, key=lambda u: rc.slug(u) + "_")
        for number, units in zip(numbers, units_per_person, strict=True)
    }
    out = dict(zip(parts.frame["pnr"].to_list(), parts.frame["group"].to_list(), strict=True))
    assert out == first
    several = sum(len(set(units)) > 1 for units in units_per_person)
    summary = parts.source_summary
    assert summary["in_several_groups"] == several
    assert summary["duplicates"] == len(rows) - len(numbers)
    assert summary["sent_out"] == len(numbers)
    assert rc.split(
        frame.reverse(), group_by="unit", order=order, seed=seed, part_size=7
    ).frame.equals(parts.frame)
    names = parts.files("demo-kampanj")["file_name"].to_list()
    assert names == sorted(names)  # the manifest lists the files as `ls` does


def test_people_in_several_groups_are_counted_in_the_funnel_and_the_manifest(
    tmp_path: Path,
) -> None:
    numbers = list(skv_numbers()[:6])
    listed = [*numbers, numbers[0], numbers[1]]  # two people also under the other unit
    units = ["VC Öst"] * 3 + ["VC"] * 3 + ["VC", "VC"]
    prepared = rc.prepare(pl.DataFrame({"personnummer": listed, "enhet": units}))
    assert prepared["status"].to_list()[-2:] == ["duplicate", "duplicate"]
    parts = rc.split(prepared, group_by="enhet")
    assert parts.source_summary["in_several_groups"] == 2
    assert parts.frame.filter(pl.col("pnr") == numbers[0])["group"].to_list() == ["VC Öst"]
    labels = rc.funnel_frame(parts.source_summary)["label"].to_list()
    assert labels[1].startswith("Dubbletter (varav 2 personer i flera grupper")
    delivery = rc.write(parts, tmp_path, "demo-kampanj", unchecked_reason=UNCHECKED)
    assert delivery.manifest["totals"]["people_in_several_groups"] == 2
    assert delivery.manifest["source_summary"]["in_several_groups"] == 2
    names = [f["file_name"] for f in delivery.manifest["files"]]
    assert names == sorted(p.name for p in (tmp_path / "recipients").glob("*.txt"))
    assert names[0].startswith("demo-kampanj_vc-ost_")  # '-' before '_', as ls shows them
    assert rc.verify(tmp_path, archive=False).ok
    own = {k: v for k, v in parts.source_summary.items() if k != "in_several_groups"}
    again = rc.write(
        parts, tmp_path, "demo-kampanj", source_summary=own, unchecked_reason=UNCHECKED
    )
    assert again.manifest["totals"]["people_in_several_groups"] == 2  # not lost on the way


# --------------------------------------------------------------------------- write


def test_files_have_the_import_format_names_and_private_modes(tmp_path: Path) -> None:
    numbers = list(skv_numbers()[:520])
    units = [TWO_UNITS[i % 2] for i in range(520)]
    parts = rc.split(ok_frame(numbers, unit=units), group_by="unit")
    delivery = rc.write(parts, tmp_path / "run", "demo-kampanj", unchecked_reason=UNCHECKED)
    folder = tmp_path / "run" / "recipients"
    names = sorted(p.name for p in folder.glob("*.txt"))
    assert names == [
        "demo-kampanj_se2321000032-bvc-ost_001-of-002.txt",
        "demo-kampanj_se2321000032-bvc-ost_002-of-002.txt",
        "demo-kampanj_se2321000032-vcsolb_001-of-002.txt",
        "demo-kampanj_se2321000032-vcsolb_002-of-002.txt",
    ]
    seen: list[str] = []
    for name in names:
        path = folder / name
        data = path.read_bytes()
        assert not data.startswith(b"\xef\xbb\xbf")
        assert data.count(b"\r\n") == data.count(b"\n")  # CRLF only
        lines = lines_of(path)
        assert 0 < len(lines) <= 250
        assert all(len(line) == 13 and line[8] == "-" for line in lines)
        seen += lines
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(seen) == sorted(numbers)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for manifest in ("manifest.json", "manifest.csv"):
        assert stat.S_IMODE((folder / manifest).stat().st_mode) == 0o600
        assert_no_personnummer((folder / manifest).read_text("utf-8"), manifest)
    assert delivery.table().height == 4
    assert_no_personnummer(str(delivery.table().rows()), "the summary table")


def test_manifest_lists_hashes_totals_and_the_funnel(tmp_path: Path) -> None:
    frame, expected = messy_list(600)
    parts = rc.split(rc.prepare(frame), part_size=250)
    rc.write(
        parts,
        tmp_path,
        "demo-kampanj",
        unchecked_reason=UNCHECKED,
        created="2027-03-01T09:00:00+01:00",
    )
    folder = tmp_path / "recipients"
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    assert manifest["campaign"] == "demo-kampanj"
    assert manifest["created"] == "2027-03-01T09:00:00+01:00"
    assert manifest["totals"] == {
        "files": 3,
        "rows": 600,
        "groups": 1,
        "people_in_several_groups": 0,
    }
    assert [f["rows"] for f in manifest["files"]] == [200, 200, 200]
    for f in manifest["files"]:
        data = (folder / f["file_name"]).read_bytes()
        assert f["sha256"] == hashlib.sha256(data).hexdigest()
        assert f["first_pnr"].endswith("-****") and f["last_pnr"].endswith("-****")
    s = manifest["source_summary"]
    assert s["input_rows"] == expected["input_rows"]
    assert sum(s["rejected"].values()) + s["duplicates"] + s["sent_out"] == s["input_rows"]
    assert manifest["override"] is None
    csv_rows = (folder / "manifest.csv").read_text("utf-8-sig").splitlines()
    assert csv_rows[0].startswith("campaign;file_name;group;part;part_count;rows;sha256")
    assert len(csv_rows) == 1 + 3  # a row per file, no totals row (they are in manifest.json)
    assert all(row.startswith("demo-kampanj;demo-kampanj_00") for row in csv_rows[1:])


def test_reruns_are_byte_identical(tmp_path: Path) -> None:
    frame, _ = messy_list(900, seed=3)
    kwargs = {"order": "shuffle", "seed": 7, "group_by": "enhet", "part_size": 120}
    first = rc.write(
        rc.split(rc.prepare(frame), **kwargs),
        tmp_path / "a",
        "demo-kampanj",
        unchecked_reason=UNCHECKED,
    )
    shuffled = frame.sample(fraction=1.0, shuffle=True, seed=1)
    rc.split(rc.prepare(shuffled), **kwargs)  # another input order …
    rc.write(
        rc.split(rc.prepare(frame), **kwargs),
        tmp_path / "b",
        "demo-kampanj",
        unchecked_reason=UNCHECKED,
    )
    rc.write(
        rc.split(rc.prepare(frame), **kwargs),
        tmp_path / "a",
        "demo-kampanj",
        unchecked_reason=UNCHECKED,
    )  # same folder

    def snapshot(run: Path) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in sorted((run / "recipients").iterdir())}

    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")
    assert len(snapshot(tmp_path / "a")) == first.files.height + 2


def test_a_run_that_dies_halfway_leaves_no_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    numbers = list(skv_numbers()[:1000])
    run = tmp_path / "run"
    rc.write(
        rc.split(ok_frame(numbers), part_size=100), run, "demo-kampanj", unchecked_reason=UNCHECKED
    )  # 10 files
    assert (run / "recipients" / "manifest.json").exists()

    real = rc.writing.write_private_new
    calls = {"n": 0}

    def dying(path, data):  # the third file fails (disk full, power cut …)
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("no space left on device")
        return real(path, data)

    monkeypatch.setattr(rc.writing, "write_private_new", dying)
    with pytest.raises(OSError, match="no space"):
        rc.write(
            rc.split(ok_frame(numbers[:400]), part_size=100),
            run,
            "demo-kampanj",
            unchecked_reason=UNCHECKED,
        )
    folder = run / "recipients"
    assert not (folder / "manifest.json").exists() and not (folder / "manifest.csv").exists()
    assert not list(folder.iterdir())  # the old 10 are gone, none of the new set is in place
    assert not list(run.glob(".recipients*"))  # the staging folder is gone too
    assert rc.verify(run).failed() == ["manifest"]


def test_what_a_killed_run_leaves_is_flagged_and_cleared(tmp_path: Path) -> None:
    numbers = list(skv_numbers()[:300])
    run = tmp_path / "run"
    rc.write(rc.split(ok_frame(numbers)), run, "demo-kampanj", unchecked_reason=UNCHECKED)
    folder = run / "recipients"
    # a kill -9 in the middle of the next run: a staging folder and a temporary file stay
    staging = run / f"{rc.STAGING_PREFIX}abc123"
    staging.mkdir(mode=0o700)
    (staging / "demo-kampanj_001-of-002.txt").write_bytes(f"{numbers[0]}\r\n".encode())
    (folder / ".manifest.json.x1y2.part").write_text("{")
    result = rc.verify(run, archive=False)
    assert result.failed() == ["files_present"]
    detail = result.failures["detail"][0]
    assert ".manifest.json.x1y2.part" in detail and staging.name in detail
    rc.write(rc.split(ok_frame(numbers)), run, "demo-kampanj", unchecked_reason=UNCHECKED)
    assert not staging.exists() and not list(folder.glob(".*"))
    assert rc.verify(run, archive=False).ok


@pytest.mark.parametrize(
    "name",
    [
        "DEMO-KAMPANJ_001-OF-002.TXT",
        "gammal.csv",
        "utan-filändelse",
        "undermapp",
        f"{skv_numbers()[7]}.txt",
    ],
)
def test_verify_flags_every_file_the_manifest_does_not_list(tmp_path: Path, name: str) -> None:
    rc.write(
        rc.split(ok_frame(list(skv_numbers()[:300]))),
        tmp_path,
        "demo-kampanj",
        unchecked_reason=UNCHECKED,
    )
    stray = tmp_path / "recipients" / name
    stray.mkdir() if name == "undermapp" else stray.write_text("x")
    result = rc.verify(tmp_path, archive=False)
    assert result.failed() == ["files_present"]
    detail = result.failures["detail"][0]
    assert pnr.mask_in_text(name) in detail  # a name with a personnummer shows it masked
    assert_no_personnummer(detail, "the finding")


def test_a_smaller_rerun_removes_the_old_files_and_archive(tmp_path: Path, password_env) -> None:
    numbers = list(skv_numbers()[:1000])
    rc.write(
        rc.split(ok_frame(numbers), part_size=100),
        tmp_path,
        "demo-kampanj",
        unchecked_reason=UNCHECKED,
    )
    archive = rc.package(tmp_path, password_env=password_env, prompt=False)
    rc.write(
        rc.split(ok_frame(numbers[:300]), part_size=100),
        tmp_path,
        "demo-kampanj",
        unchecked_reason=UNCHECKED,
    )
    assert len(list((tmp_path / "recipients").glob("*.txt"))) == 3
    assert not archive.exists()
    assert rc.verify(tmp_path, archive=False).ok


def test_write_refuses_what_must_not_be_sent(tmp_path: Path) -> None:
    numbers = list(skv_numbers()[:10])
    parts = rc.split(ok_frame(numbers))
    with pytest.raises(ValueError, match="cannot go into file names"):
        rc.write(parts, tmp_path, "Demo Kampanj")
    with pytest.raises(ValueError, match="no recipients to write"):
        rc.write(rc.split(ok_frame([])), tmp_path, "demo-kampanj", unchecked_reason=UNCHECKED)
    with pytest.raises(ValueError, match="does not add up"):
        rc.write(
            parts,
            tmp_path,
            "demo-kampanj",
            unchecked_reason=UNCHECKED,
            source_summary={"input_rows": 11, "sent_out": 10},
        )
    with pytest.raises(ValueError, match="sends out 9"):
        rc.write(
            parts,
            tmp_path,
            "demo-kampanj",
            unchecked_reason=UNCHECKED,
            source_summary={"input_rows": 9, "sent_out": 9},
        )
    assert not (tmp_path / "recipients").exists()


def test_campaign_errors_need_a_recorded_override(tmp_path: Path) -> None:
    parts = rc.split(ok_frame(list(skv_numbers()[:10])))
    bad = demo_campaign(category="marketing")
    with pytest.raises(cp.CampaignError, match="forbidden_category"):
        rc.write(parts, tmp_path, bad)
    with pytest.raises(cp.CampaignError, match="forbidden_category"):
        rc.write(parts, tmp_path, bad.name, check_report=cp.check(bad))
    with pytest.raises(cp.CampaignError):
        rc.sendable(bad)
    assert not (tmp_path / "recipients").exists()

    reason = "Beslut av regiondirektören, dnr 2027/12"
    override = rc.sendable(bad, override_reason=reason)
    rc.write(parts, tmp_path, bad, override=override)
    manifest = rc.read_manifest(tmp_path)
    assert manifest["override"]["reason"] == reason
    assert manifest["override"]["errors"] == ["forbidden_category"]
    assert "forbidden_category" in manifest["campaign_check"]["errors"]

    # an override recorded by notebook 00 in the run folder is honoured
    report = cp.check(bad)
    report.write(tmp_path / "run00", override_reason=reason)
    assert rc.sendable(bad, run_dir=tmp_path / "run00").reason == reason
    # a good campaign needs none
    assert rc.sendable(demo_campaign()) is None
    rc.write(parts, tmp_path, demo_campaign())
    assert rc.read_manifest(tmp_path)["override"] is None


def hand_made(numbers: list, part: list[int], part_size: int = 250) -> rc.Parts:
    """Parts built without recipients.split (what write must not take on trust)."""
    n = len(numbers)
    frame = pl.DataFrame(
        {
            "pnr": numbers,
            "group": [None] * n,
            "group_slug": [""] * n,
            "part": part,
            "part_count": [max(part)] * n,
        },
        schema={
            "pnr": pl.String,
            "group": pl.String,
            "group_slug": pl.String,
            "part": pl.Int32,
            "part_count": pl.Int32,
        },
    )
    summary = {"input_rows": n, "sent_out": n}
    return rc.Parts(frame, part_size, False, "pnr", None, None, summary)


def _bad_parts() -> list[tuple[rc.Parts, str]]:
    numbers = list(skv_numbers()[:300])
    twice = [*numbers[:5], numbers[2], *numbers[6:10]]
    unhyphenated = [*numbers[:3], numbers[3].replace("-", ""), *numbers[4:10]]
    return [
        (hand_made(numbers[:251], [1] * 251), "holds 251 personnummer, more than part_size=250"),
        (hand_made(numbers[:20], [1] * 20, part_size=10), "more than part_size=10"),
        (hand_made(numbers[:10], [1] * 10, part_size=300), "outside 1-250"),
        (hand_made(twice, [1] * 10), r"in rows 2 and 5\): a resident would get the message twice"),
        (hand_made(unhyphenated, [1] * 10), "not written YYYYMMDD-NNNN; the first is row 3"),
        (hand_made([*numbers[:9], None], [1] * 10), "the first is row 9 \\(null\\)"),
        (hand_made(numbers[:4], [1, 2, 1, 2]), "not in file order"),
    ]


@pytest.mark.parametrize(
    "case",
    range(len(_bad_parts())),
    ids=["251", "over-size", "300", "twice", "format", "null", "order"],
)
def test_write_checks_parts_it_did_not_cut(tmp_path: Path, case: int) -> None:
    parts, message = _bad_parts()[case]
    with pytest.raises(ValueError, match=message) as raised:
        rc.write(parts, tmp_path, "demo-kampanj", unchecked_reason=UNCHECKED)
    assert_no_personnummer(str(raised.value), "the error")
    assert not (tmp_path / "recipients").exists()


def test_write_needs_the_guideline_check_or_a_stated_reason(tmp_path: Path) -> None:
    parts = rc.split(ok_frame(list(skv_numbers()[:10])))
    good = demo_campaign()
    with pytest.raises(ValueError, match=r"no guideline check\. Pass the Campaign"):
        rc.write(parts, tmp_path, "demo-kampanj")
    with pytest.raises(ValueError, match="no guideline check"):
        rc.write(parts, tmp_path, "demo-kampanj", unchecked_reason="   ")
    with pytest.raises(ValueError, match="leave unchecked_reason out"):
        rc.write(parts, tmp_path, good, unchecked_reason="ingen kontroll")
    with pytest.raises(ValueError, match="check_report is for campaign 'blodtryck-solbacka-2027'"):
        rc.write(parts, tmp_path, "demo-kampanj", check_report=cp.check(good))
    assert not (tmp_path / "recipients").exists()

    reason = f"  uppföljningslista för en redan\nkontrollerad kampanj, t.ex. {skv_numbers()[3]} "
    rc.write(parts, tmp_path, "demo-kampanj", unchecked_reason=reason)
    manifest = rc.read_manifest(tmp_path)
    assert manifest["unchecked_reason"] == (
        f"uppföljningslista för en redan kontrollerad kampanj, t.ex. {skv_numbers()[3][:9]}****"
    )
    assert manifest["campaign_check"] is None
    rc.write(parts, tmp_path, good.name, check_report=cp.check(good))
    manifest = rc.read_manifest(tmp_path)
    assert manifest["unchecked_reason"] is None
    assert manifest["campaign_check"]["errors"] == []


def test_an_override_is_recorded_once_so_a_rerun_gives_the_same_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = iter(f"2027-03-01T09:{minute:02d}:00+01:00" for minute in range(60))
    monkeypatch.setattr(check_report, "now", lambda: next(clock))  # every call a new time
    bad = demo_campaign(category="marketing")
    parts = rc.split(ok_frame(list(skv_numbers()[:10])))
    reason = "Beslut av regiondirektören, dnr 2027/12"
    snapshots = []
    for _ in range(2):  # notebook 02 run twice with the same parameters
        override = rc.sendable(bad, run_dir=tmp_path, override_reason=reason)
        rc.write(parts, tmp_path, bad, override=override)
        snapshots.append({p.name: p.read_bytes() for p in (tmp_path / "recipients").iterdir()})
    assert snapshots[0] == snapshots[1]
    first = rc.read_manifest(tmp_path)["override"]["overridden_at"]
    recorded = tmp_path / rc.OVERRIDE_FILE
    assert json.loads(recorded.read_text("utf-8"))["reason"] == reason
    assert stat.S_IMODE(recorded.stat().st_mode) == 0o600
    assert rc.verify(tmp_path, archive=False).ok  # the record is beside recipients/, not in it

    # a run without the reason is let through by the recorded decision, unchanged
    assert rc.sendable(bad, run_dir=tmp_path).overridden_at == first
    # another reason is another decision, with its own time, and it is the one kept
    other = rc.sendable(bad, run_dir=tmp_path, override_reason="Nytt beslut, dnr 2027/13")
    assert other.overridden_at != first
    assert rc.sendable(bad, run_dir=tmp_path, override_reason="Nytt beslut, dnr 2027/13") == other
    # a decision on other errors does not cover these
    stale = {**other.to_dict(), "errors": ["missing_hsa_id"]}
    recorded.write_text(json.dumps(stale), encoding="utf-8")
    with pytest.raises(cp.CampaignError, match="forbidden_category"):
        rc.sendable(bad, run_dir=tmp_path)
    # notebook 00's record for the same reason and errors is reused as it is
    cp.check(bad).write(tmp_path, override_reason=reason)
    from_00 = cp.CheckReport.from_json(tmp_path / "campaign_check.json").override
    assert rc.sendable(bad, run_dir=tmp_path, override_reason=reason) == from_00


def test_the_recipient_folder_is_private_whoever_made_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "recipients"
    folder.mkdir()
    os.chmod(folder, 0o755)  # made by hand, or by an older version
    staging_modes: list[int] = []
    real = rc.writing.write_private_new

    def spy(path, data):
        staging_modes.append(stat.S_IMODE(Path(path).parent.stat().st_mode))
        return real(path, data)

    monkeypatch.setattr(rc.writing, "write_private_new", spy)
    parts = rc.split(ok_frame(list(skv_numbers()[:300])))
    rc.write(parts, tmp_path, "demo-kampanj", unchecked_reason=UNCHECKED)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert staging_modes and set(staging_modes) == {0o700}
    os.chmod(folder, 0o750)
    result = rc.verify(tmp_path, archive=False)
    assert result.failed() == ["permissions"]
    assert "recipients/ (folder)" in result.failures["detail"][0]


# --------------------------------------------------------------------------- package and 7z


def test_password_comes_only_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rc.write(
        rc.split(ok_frame(list(skv_numbers()[:10]))),
        tmp_path,
        "demo-kampanj",
        unchecked_reason=UNCHECKED,
    )
    monkeypatch.delenv(ENV, raising=False)
    with pytest.raises(rc.PasswordError, match=ENV):
        rc.package(tmp_path, password_env=ENV)  # no terminal under pytest: no prompt, no hang
    monkeypatch.setenv(ENV, "kort-lösen")
    with pytest.raises(rc.PasswordError, match="shorter than 12") as raised:
        rc.package(tmp_path, password_env=ENV, prompt=False)
    assert "kort-lösen" not in str(raised.value)
    with pytest.raises(ValueError, match="NAME of an environment variable"):
        rc.package(tmp_path, password_env=PASSWORD)
    assert not rc.archive_path(tmp_path, "demo-kampanj").exists()


def test_on_a_terminal_the_password_is_asked_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rc.write(
        rc.split(ok_frame(list(skv_numbers()[:10]))),
        tmp_path,
        "demo-kampanj",
        unchecked_reason=UNCHECKED,
    )
    monkeypatch.delenv(ENV, raising=False)

    class Terminal:
        def isatty(self) -> bool:
            return True

    typed = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr(rc.archive.sys, "stdin", Terminal())
    monkeypatch.setattr(rc.archive.getpass, "getpass", lambda prompt: next(typed))
    with pytest.raises(rc.PasswordError, match="differ"):
        rc.package(tmp_path, password_env=ENV)
    typed = iter([PASSWORD, PASSWORD])
    archive = rc.package(tmp_path, password_env=ENV)
    typed = iter([PASSWORD])  # opening an archive: asked once
    assert rc.verify(tmp_path, password_env=ENV, archive=True, prompt=True).ok
    assert not rc.verify(tmp_path, password_env=ENV, archive=True).ok  # no prompt: no password
    with pytest.raises(rc.PasswordError, match="INKORG_NOT_SET_ANYWHERE is not set"):
        rc.package(tmp_path, password_env="INKORG_NOT_SET_ANYWHERE", prompt=False)
    assert archive.exists()


def test_package_refuses_files_changed_after_writing(tmp_path: Path, password_env: str) -> None:
    rc.write(
        rc.split(ok_frame(list(skv_numbers()[:10]))),
        tmp_path,
        "demo-kampanj",
        unchecked_reason=UNCHECKED,
    )
    path = next((tmp_path / "recipients").glob("*.txt"))
    path.write_bytes(path.read_bytes()[:-15])
    with pytest.raises(ValueError, match="differs from the manifest"):
        rc.package(tmp_path, password_env=password_env)
    with pytest.raises(FileNotFoundError, match="write the recipient files first"):
        rc.package(tmp_path / "elsewhere", password_env=password_env)


def test_the_real_7z_opens_the_archive_with_the_password(delivered: Path, tmp_path: Path) -> None:
    archive = rc.archive_path(delivered, "demo-kampanj")
    manifest = rc.read_manifest(delivered)
    names = [f["file_name"] for f in manifest["files"]]
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600

    listed = run_7z("l", f"-p{PASSWORD}", str(archive))
    assert listed.returncode == 0, listed.stderr
    assert all(name in listed.stdout for name in [*names, "manifest.json", "manifest.csv"])
    assert "7zAES" in run_7z("l", "-slt", f"-p{PASSWORD}", str(archive)).stdout

    tested = run_7z("t", f"-p{PASSWORD}", str(archive))
    assert tested.returncode == 0 and "Everything is Ok" in tested.stdout, tested.stdout

    out = tmp_path / "extracted"
    extracted = run_7z("x", f"-p{PASSWORD}", f"-o{out}", str(archive))
    assert extracted.returncode == 0, extracted.stderr
    for name in [*names, "manifest.json", "manifest.csv"]:
        assert (out / "demo-kampanj" / name).read_bytes() == (
            delivered / "recipients" / name
        ).read_bytes()


@pytest.mark.parametrize("args", [[], ["-pfel-lösenord-helt-och-hållet"]], ids=["none", "wrong"])
def test_the_real_7z_refuses_without_the_password_and_hides_names(
    delivered: Path, args: list[str]
) -> None:
    archive = rc.archive_path(delivered, "demo-kampanj")
    members = [f["file_name"] for f in rc.read_manifest(delivered)["files"]]
    members += ["manifest.json", "manifest.csv", "recipients/"]
    for command in ("l", "t"):
        result = run_7z(command, *args, str(archive))
        assert result.returncode != 0
        output = result.stdout + result.stderr
        assert not [m for m in members if m in output], output
        assert "se2321000032" not in output  # not even a group's name


def test_the_password_is_written_nowhere(delivered: Path) -> None:
    needles = [PASSWORD.encode("utf-8"), PASSWORD.encode("utf-16-le")]
    for path in [p for p in delivered.rglob("*") if p.is_file()]:
        data = path.read_bytes()
        assert not any(n in data for n in needles), path


# --------------------------------------------------------------------------- verify


def _forge(run_dir: Path, file_index: int, data: bytes) -> None:
    """Replace one file and update the manifest to match (what verify must still catch)."""
    folder = run_dir / "recipients"
    manifest = rc.read_manifest(run_dir)
    entry = manifest["files"][file_index]
    (folder / entry["file_name"]).write_bytes(data)
    entry["sha256"] = hashlib.sha256(data).hexdigest()
    rows = data.count(b"\n")
    manifest["totals"]["rows"] += rows - entry["rows"]
    manifest["source_summary"]["sent_out"] += rows - entry["rows"]
    manifest["source_summary"]["input_rows"] += rows - entry["rows"]
    entry["rows"] = rows
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (folder / "manifest.csv").write_bytes(rc.manifest.manifest_csv(manifest).encode("utf-8"))


def test_verify_passes_a_complete_run(delivered: Path, password_env: str) -> None:
    result = rc.verify(delivered, password_env=password_env, archive=True)
    assert result.ok, result.failures
    assert set(result.checks["check"]) == set(rc.verification.CHECK_LABELS)
    assert result.require_ok() is result
    assert_no_personnummer(str(result.table().rows()), "the verification table")


def test_verify_catches_a_changed_file(delivered: Path, password_env: str) -> None:
    path = sorted((delivered / "recipients").glob("*.txt"))[0]
    data = bytearray(path.read_bytes())
    data[20] = ord("x")
    path.write_bytes(bytes(data))
    result = rc.verify(delivered, password_env=password_env)
    assert set(result.failed()) == {"hashes", "line_format"}  # the archive holds the original
    assert "line 2" in result.checks.filter(pl.col("check") == "line_format")["detail"][0]
    with pytest.raises(rc.VerificationError, match="do not deliver"):
        result.require_ok()


def test_verify_catches_a_person_in_two_files(delivered: Path) -> None:
    folder = delivered / "recipients"
    manifest = rc.read_manifest(delivered)
    first = lines_of(folder / manifest["files"][0]["file_name"])[0]
    second = folder / manifest["files"][1]["file_name"]
    _forge(delivered, 1, second.read_bytes() + f"{first}\r\n".encode())
    result = rc.verify(delivered, archive=False)
    assert result.failed() == ["no_duplicates"]
    detail = result.checks.filter(pl.col("check") == "no_duplicates")["detail"][0]
    assert manifest["files"][0]["file_name"] in detail
    assert_no_personnummer(detail, "the finding")


@pytest.mark.parametrize(
    ("data", "check"),
    [
        (b"\xef\xbb\xbf" + "".join(f"{p}\r\n" for p in skv_numbers()[:3]).encode(), "BOM"),
        ("".join(f"{p}\n" for p in skv_numbers()[:3]).encode(), "CRLF"),
        ("".join(f"{p}\r\n" for p in skv_numbers()[:3]).encode()[:-2], "end with CRLF"),
        (f"{skv_numbers()[0].replace('-', '')}\r\n".encode(), "line 1"),
    ],
    ids=["bom", "lf", "no-final-crlf", "no-hyphen"],
)
def test_verify_checks_the_format_of_every_line(delivered: Path, data: bytes, check: str) -> None:
    _forge(delivered, 0, data)
    result = rc.verify(delivered, archive=False)
    assert "line_format" in result.failed()
    assert check in result.checks.filter(pl.col("check") == "line_format")["detail"][0]


def test_verify_checks_the_limit_and_check_digits(delivered: Path) -> None:
    numbers = skv_numbers()[20000:20251]
    _forge(delivered, 0, "".join(f"{p}\r\n" for p in numbers).encode())
    assert "limit" in rc.verify(delivered, archive=False).failed()
    _forge(delivered, 0, f"{with_wrong_check_digit(skv_numbers()[30000])}\r\n".encode())
    result = rc.verify(delivered, archive=False)
    assert result.failed() == ["valid_numbers"]
    assert_no_personnummer(str(result.checks.rows()), "the findings")


def test_verify_catches_missing_stray_and_open_files(delivered: Path) -> None:
    folder = delivered / "recipients"
    (folder / "gammal_fil.txt").write_text("x")
    assert "files_present" in rc.verify(delivered, archive=False).failed()
    (folder / "gammal_fil.txt").unlink()
    victim = sorted(folder.glob("*.txt"))[0]
    os.chmod(victim, 0o644)
    assert rc.verify(delivered, archive=False).failed() == ["permissions"]
    victim.unlink()
    result = rc.verify(delivered, archive=False)
    assert set(result.failed()) == {"files_present", "hashes"}
    hashes = result.checks.filter(pl.col("check") == "hashes")["detail"][0]
    assert f"missing (nothing to compare): ['{victim.name}']" in hashes
    assert "3 of 4 match" in hashes


def test_verify_checks_the_archive(delivered: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, "fel-lösenord-helt-och-hållet")
    result = rc.verify(delivered, password_env=ENV)
    assert result.failed() == ["archive"]
    detail = result.checks.filter(pl.col("check") == "archive")["detail"][0]
    assert "wrong password or damaged archive" in detail and "Error" not in detail
    monkeypatch.delenv(ENV)
    assert "not set" in rc.verify(delivered, password_env=ENV).failures["detail"][0]
    rc.archive_path(delivered, "demo-kampanj").unlink()
    assert rc.verify(delivered, archive=False).ok
    assert rc.verify(delivered, archive=True).failed() == ["archive"]


def test_verify_without_a_manifest_says_what_to_do(tmp_path: Path) -> None:
    result = rc.verify(tmp_path)
    assert result.failed() == ["manifest"]
    assert "write the recipient files first" in result.failures["detail"][0]


def _break(manifest: dict, how: str) -> object:
    entry = manifest["files"][0]
    if how == "not-an-object":
        return [manifest]
    if how == "no-files":
        return {k: v for k, v in manifest.items() if k != "files"}
    if how == "files-not-a-list":
        return {**manifest, "files": {"a": entry}}
    if how == "entry-not-an-object":
        return {**manifest, "files": ["demo-kampanj_001-of-004.txt"]}
    if how == "no-rows":
        return {**manifest, "files": [{k: v for k, v in entry.items() if k != "rows"}]}
    if how == "rows-text":
        return {**manifest, "files": [{**entry, "rows": "två hundra"}]}
    if how == "rows-bool":
        return {**manifest, "files": [{**entry, "rows": True}]}
    if how == "bad-sha":
        return {**manifest, "files": [{**entry, "sha256": "abc"}]}
    if how == "path-in-name":
        return {**manifest, "files": [{**entry, "file_name": "../target_group.parquet"}]}
    if how == "listed-twice":
        return {**manifest, "files": [entry, entry]}
    if how == "part-size-text":
        return {**manifest, "split": {**manifest["split"], "part_size": "250"}}
    if how == "totals-null":
        return {**manifest, "totals": None}
    raise AssertionError(how)


BROKEN = {
    "not-an-object": "holds list, not an object",
    "no-files": "no files",
    "files-not-a-list": "files is dict, expected a list",
    "entry-not-an-object": r"files\[0\] is str, expected an object",
    "no-rows": r"files\[0\] \(.*\): rows is None, expected a whole number",
    "rows-text": "rows is 'två hundra', expected a whole number",
    "rows-bool": "rows is True, expected a whole number",
    "bad-sha": "sha256 is 'abc', expected 64 hexadecimal digits",
    "path-in-name": "file_name is '../target_group.parquet', expected the name of a file",
    "listed-twice": r"files\[1\]: .* is listed twice",
    "part-size-text": "split.part_size is '250', expected a whole number",
    "totals-null": "totals is None, expected an object",
}


@pytest.mark.parametrize("how", list(BROKEN))
def test_verify_reports_a_broken_manifest_instead_of_raising(
    delivered: Path, password_env: str, how: str
) -> None:
    path = delivered / "recipients" / "manifest.json"
    broken = _break(json.loads(path.read_text("utf-8")), how)
    path.write_text(json.dumps(broken, ensure_ascii=False), encoding="utf-8")
    result = rc.verify(delivered, password_env=password_env, archive=True)
    assert result.failed() == ["manifest"]
    assert re.search(BROKEN[how], result.failures["detail"][0]), result.failures["detail"][0]
    with pytest.raises(ValueError, match="cannot be used"):
        rc.package(delivered, password_env=password_env)


# --------------------------------------------------------------------------- funnel, charts


def test_funnel_frame_adds_up_and_refuses_what_does_not() -> None:
    frame, expected = messy_list(300)
    funnel = rc.funnel_frame(rc.split(rc.prepare(frame)).source_summary)
    counts = dict(zip(funnel["step"], funnel["count"], strict=False))
    assert counts["input_rows"] == expected["input_rows"]
    out = funnel.filter(pl.col("step") != "input_rows")["count"].sum()
    assert out == expected["input_rows"]
    assert funnel["label"][1].startswith("Avvisade: ")
    with pytest.raises(ValueError, match="does not add up"):
        rc.funnel_frame({"input_rows": 5, "duplicates": 1, "sent_out": 3})


def test_charts_get_aggregates_only(tmp_path: Path) -> None:
    frame, _ = messy_list(600)
    parts = rc.split(rc.prepare(frame), group_by="enhet")
    delivery = rc.write(parts, tmp_path, "demo-kampanj", unchecked_reason=UNCHECKED)
    for chart in (
        charts.recipient_parts(delivery.files, 250),
        charts.recipient_parts(parts.table()),
        charts.recipient_funnel(rc.funnel_frame(parts.source_summary)),
    ):
        spec = json.dumps(chart.to_dict())
        assert_no_personnummer(spec, "chart data")
        assert "-****" not in spec
    many = rc.split(ok_frame(list(skv_numbers()[:20000])), part_size=100)
    histogram = charts.recipient_parts(many.table(), 100).to_dict()
    assert "200 filer" in json.dumps(histogram, ensure_ascii=False)
