"""The synthetic region: only test numbers, a Swedish-looking pyramid, promised mess, seeded."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from support import REPO, SKATTEVERKET_PNR_CSV, SKATTEVERKET_SAMORDNING_CSV

from inkorg_kit import io, pnr, synth
from inkorg_kit.campaign import is_hsa_id, load_campaign

REFERENCE = "2026-11-21"
LATER = "2027-03-16"  # the demo campaign's send date: 10-digit shapes must still resolve


@pytest.fixture(scope="module")
def published() -> set[str]:
    """Skatteverket's published test numbers, read from the package's copy."""
    numbers: set[str] = set()
    for path in (SKATTEVERKET_PNR_CSV, SKATTEVERKET_SAMORDNING_CSV):
        column = pl.read_csv(path, infer_schema=False).to_series()
        numbers |= set((column.str.slice(0, 8) + "-" + column.str.slice(8, 4)).to_list())
    return numbers


@pytest.fixture(scope="module")
def region() -> synth.Region:
    return synth.region(3000, seed=11)


@pytest.fixture(scope="module")
def cleaned(region: synth.Region) -> pl.DataFrame:
    return pnr.clean(region.contacts["personnummer"], reference_date=LATER)


def test_people_carry_only_published_test_numbers(region: synth.Region, published: set[str]):
    people = region.people["personnummer"]
    assert region.numbers == "test"
    assert people.is_unique().all()
    assert set(people.to_list()) <= published
    assert (pnr.clean(people, reference_date=REFERENCE)["status"] == "ok").all()


def test_every_valid_number_in_the_extract_is_a_published_test_number(
    region: synth.Region, cleaned: pl.DataFrame, published: set[str]
):
    valid = cleaned["pnr"].drop_nulls().unique().to_list()
    assert valid, "the extract has no valid numbers at all"
    assert set(valid) <= published


def test_the_written_files_hold_only_published_test_numbers(
    region: synth.Region, published: set[str], tmp_path: Path
):
    paths = region.write(tmp_path)
    for key in ("deceased", "protected_identity", "opted_out"):
        listed = pl.read_csv(paths[key], infer_schema=False)["personnummer"].to_list()
        assert set(listed) <= published, key
    extract = io.read_table(paths["extract"], pnr_column="personnummer")
    found = pnr.clean(extract["personnummer"], reference_date=LATER)["pnr"].drop_nulls()
    assert set(found.to_list()) <= published


def test_ground_truth_matches_what_cleaning_recovers(region: synth.Region, cleaned: pl.DataFrame):
    """``recoverable`` says exactly which rows clean back to their person, and to whom."""
    ok = cleaned["pnr"].is_not_null()
    assert (ok == region.contacts["recoverable"]).all()
    assert (cleaned["pnr"].filter(ok) == region.contacts["person"].filter(ok)).all()


def test_the_extract_has_the_promised_mess(region: synth.Region, cleaned: pl.DataFrame):
    reasons = set(cleaned["reason"].drop_nulls().cast(pl.String).to_list())
    assert {
        "duplicate",
        "empty",
        "bad_format",
        "bad_date",
        "bad_checksum",
        "reserve_number",
    } <= reasons
    raw = region.contacts["personnummer"]
    shapes = {
        "YYYYMMDD-NNNN": r"^\d{8}-\d{4}$",
        "12 digits (Excel integer)": r"^\d{12}$",
        "YYMMDD-NNNN": r"^\d{6}-\d{4}$",
        "10 digits": r"^\d{10}$",
        "Cosmic year space": r"^\d{2} \d{6}-\d{4}$",
        "no-break space": "^\\d{8}\u00a0\\d{4}$",
        "en dash": "^\\d{8}\u2013\\d{4}$",
        "padded": r"^ \d{8}-\d{4}  $",
        "apostrophe": r"^'\d{12}$",
        "Excel scientific": r"^\d,\d{5}E\+11$",
        "reserve T-number": r"^\d{8}-T\d{3}$",
        "lost leading zero": r"^\d{9}$",
    }
    missing = [name for name, pattern in shapes.items() if not raw.str.contains(pattern).any()]
    assert not missing, f"shapes never produced: {missing}"
    assert cleaned["kind"].cast(pl.String).eq("samordningsnummer").any()
    # many rows per person, as in a real extract
    assert region.contacts.height > 2 * region.people.height


def test_determinism_by_seed():
    a, b = synth.region(400, seed=3), synth.region(400, seed=3)
    assert a.people.equals(b.people)
    assert a.contacts.equals(b.contacts)
    c = synth.region(400, seed=4)
    assert not a.contacts.equals(c.contacts)


def test_age_pyramid_is_swedish_where_numbers_allow(region: synth.Region):
    ages = region.people["age"]
    assert ages.min() >= 0 and ages.max() <= synth.MAX_AGE
    women = (region.people["sex"] == "F").mean()
    assert 0.45 < women < 0.55
    band = (ages // 5).clip(upper_bound=20)
    counts = np.bincount(band.to_numpy(), minlength=21)
    # In 15-44 the test numbers suffice, so the shares follow SCB's to within sampling noise.
    scb = np.array([synth.SWEDEN_2024[5 * b] for b in range(21)])
    for low, high in ((3, 5), (5, 7), (3, 9)):
        ours = counts[low:high].sum() / counts[3:9].sum()
        theirs = scb[low:high].sum() / scb[3:9].sum()
        assert abs(ours - theirs) < 0.03, (low, high, ours, theirs)


def test_test_numbers_cap_the_region_size():
    capacity = synth.max_people_from_test_numbers(REFERENCE)
    assert 30_000 <= capacity < 41_493
    with pytest.raises(ValueError, match="numbers='generated'"):
        synth.region(capacity + 1, numbers="test")


def test_generated_numbers_are_valid_distinct_and_seeded():
    numbers = synth.generated_numbers(20_000, seed=5, reference_date=REFERENCE)
    assert numbers.len() == 20_000 and numbers.is_unique().all()
    assert (pnr.clean(numbers, reference_date=REFERENCE)["status"] == "ok").all()
    assert numbers.equals(synth.generated_numbers(20_000, seed=5, reference_date=REFERENCE))
    big = synth.region(50_000, seed=1, contacts_per_person=1.0)
    assert big.numbers == "generated" and big.people.height == 50_000


def test_units_are_synthetic_and_include_the_demo_sender(region: synth.Region):
    assert 3 <= region.units.height <= 6
    assert all(is_hsa_id(h) for h in region.units["hsa_id"])
    assert set(region.contacts["unit_hsa_id"].unique()) <= set(region.units["hsa_id"])
    demo = load_campaign(REPO / "params/demo/campaign.yaml")
    assert demo.unit.hsa_id in region.units["hsa_id"].to_list()
    assert set(demo.target.units) <= set(region.units["hsa_id"].to_list())


def test_custom_units():
    units = [("Vårdcentralen Exempel", "SE2321000032-VCEX1"), ("Klinik", "SE2321000032-KL1")]
    made = synth.region(300, seed=2, units=units)
    assert made.units["hsa_id"].to_list() == ["SE2321000032-VCEX1", "SE2321000032-KL1"]
    assert set(made.contacts["unit_hsa_id"].unique()) <= {u[1] for u in units}
    assert (made.people["unit_hsa_id"] == "SE2321000032-VCEX1").all()
    with pytest.raises(ValueError, match="no valid HSA-id"):
        synth.region(300, units=[("Fel", "VC-1")])


def test_write_produces_private_files_an_extract_reader_understands(
    region: synth.Region, tmp_path: Path
):
    paths = region.write(tmp_path, xlsx=True, parquet=True)
    for path in paths.values():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert not list(tmp_path.glob(".*.part"))
    raw = paths["extract"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    assert raw.split(b"\r\n")[0].decode("utf-8-sig") == ";".join(synth.EXTRACT_COLUMNS)
    extract = io.read_table(paths["extract"], pnr_column="personnummer")
    assert extract.height == region.contacts.height
    assert extract["unit_name"].str.contains("å").any()  # the encoding survived
    assert extract.equals(region.extract())  # every value back as written, blanks included
    with sqlite3.connect(paths["sqlite"]) as db:
        assert db.execute("SELECT COUNT(*) FROM contacts").fetchone()[0] == extract.height
        flags = db.execute("SELECT COUNT(*), SUM(deceased) FROM people_flags").fetchone()
    assert flags == (region.people.height, region.people["deceased"].sum())
    listed = pl.read_csv(paths["opted_out"], infer_schema=False)["personnummer"]
    assert set(listed) == set(region.people.filter("opted_out")["personnummer"])
    xlsx = io.read_table(paths["extract_xlsx"], pnr_column="personnummer")
    assert xlsx.height == extract.height


def test_messy_list_is_messy_and_made_of_test_numbers(published: set[str]):
    values = synth.messy_list(2000, seed=9)
    assert values.len() == 2000
    assert values.equals(synth.messy_list(2000, seed=9))
    result = pnr.clean(values, reference_date=LATER)
    counts = dict(result.group_by(pl.col("status").cast(pl.String)).len().iter_rows())
    assert counts["duplicate"] > 100 and counts["rejected"] > 20
    assert set(result["pnr"].drop_nulls().to_list()) <= published
    assert not (values.str.contains(r"^\d{8}-\d{4}$")).all()


def test_contacts_follow_the_people(region: synth.Region):
    people = region.people.select("personnummer", "deceased", "hypertension", "unit_hsa_id")
    rows = region.contacts.join(people, left_on="person", right_on="personnummer")
    assert rows.height == region.contacts.height
    # deceased people have no contacts after their death, so none in the last 30 days
    late = rows.filter(pl.col("deceased") & (pl.col("contact_date") > pl.date(2026, 10, 22)))
    assert late.height == 0
    # hypertension patients carry I10 on some contacts; others never do
    with_i10 = rows.filter(pl.col("icd10").str.contains("I10").fill_null(False))
    assert with_i10["hypertension"].all() and with_i10.height > 0
    assert rows["contact_date"].is_sorted()


def test_the_command_line_uses_test_numbers_unless_told(
    tmp_path: Path, published: set[str], capsys: pytest.CaptureFixture[str]
):
    capacity = synth.max_people_from_test_numbers(REFERENCE)
    with pytest.raises(SystemExit) as raised:  # used to switch to generated numbers silently
        synth.main([str(tmp_path / "big"), "--people", str(capacity + 1)])
    assert raised.value.code == 2
    err = capsys.readouterr().err
    assert "--generated" in err and f"{capacity:,}" in err
    assert not (tmp_path / "big").exists()

    assert synth.main([str(tmp_path / "small"), "--people", "300", "--seed", "4"]) == 0
    assert "(test numbers)" in capsys.readouterr().out
    listed = pl.read_csv(tmp_path / "small" / "deceased.csv", infer_schema=False)
    assert set(listed["personnummer"]) <= published

    assert synth.main([str(tmp_path / "gen"), "--people", "300", "--generated"]) == 0
    out, err = capsys.readouterr()
    assert "(generated numbers)" in out
    assert "may belong to real residents" in err and "out/" in err


def test_generated_numbers_are_never_written_into_the_checkout_outside_out(
    capsys: pytest.CaptureFixture[str],
):
    inside = Path(synth.__file__).resolve().parent / "generated-region"
    with pytest.raises(SystemExit):
        synth.main([str(inside), "--people", "300", "--generated"])
    assert "not elsewhere in the repository" in capsys.readouterr().err
    assert not inside.exists()
