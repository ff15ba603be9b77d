"""Target groups: the funnel always sums, every filter removes exactly the right people.

The oracle below recomputes a target group the slow, obvious way (a Python loop over the
synthetic region's ground truth: which rows are readable, whose they are, the people's flags)
and never calls :mod:`inkorg_kit.pnr` or :mod:`inkorg_kit.target`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import stat
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from support import REPO, assert_no_personnummer

from inkorg_kit import pnr, synth, target
from inkorg_kit.run import load_frame
from inkorg_kit.target import SqlSource, TargetError, TargetSpec
from inkorg_kit.vocab import TIME_ZONE

REFERENCE = dt.date(2027, 3, 16)
UNITS = [u.hsa_id for u in synth.DEFAULT_UNITS]
SOLBACKA = UNITS[0]
# For frames without flag columns: the exclusions are switched off on purpose.
NO_FLAGS = {
    "exclude_deceased": False,
    "exclude_protected_identity": False,
    "exclude_opted_out": False,
}


@pytest.fixture(scope="module")
def region() -> synth.Region:
    return synth.region(800, seed=21)


@pytest.fixture(scope="module")
def extract(region: synth.Region) -> pl.DataFrame:
    return region.extract()


@pytest.fixture(scope="module")
def written(region: synth.Region, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return region.write(tmp_path_factory.mktemp("region"))


# --------------------------------------------------------------------------- the oracle


def _age(birth: dt.date, at: dt.date) -> int:
    return at.year - birth.year - ((at.month, at.day) < (birth.month, birth.day))


def oracle(
    region: synth.Region,
    spec: TargetSpec,
    reference: dt.date,
    *,
    include: set[str] | None = None,
    exclude: list[set[str]] = (),
    messaged: set[str] = frozenset(),
) -> dict:
    """Rows in, unreadable rows, people, then (step, removed) in the spec's order, and the group."""
    people = {p["personnummer"]: p for p in region.people.iter_rows(named=True)}
    prefixes = [p.replace(".", "").upper() for p in spec.diagnosis_prefixes]
    per: dict[str, dict] = {}
    rows = unreadable = 0
    for r in region.contacts.iter_rows(named=True):
        rows += 1
        if not r["recoverable"]:
            unreadable += 1
            continue
        p = per.setdefault(r["person"], {"unit": False, "diag": False, "last": None, "in": False})
        if spec.units and r["unit_hsa_id"] not in spec.units:
            continue
        p["unit"] = True
        code = (r["icd10"] or "").replace(".", "").upper()
        if any(re.search(rf"(^|[^0-9A-Z]){x}", code) for x in prefixes):
            p["diag"] = True
        if p["last"] is None or r["contact_date"] > p["last"]:
            p["last"] = r["contact_date"]
        if spec.last_contact_between and (
            spec.last_contact_between[0] <= r["contact_date"] <= spec.last_contact_between[1]
        ):
            p["in"] = True
    alive = set(per)
    steps: list[tuple[str, int]] = []

    def step(name: str, keep) -> None:
        gone = {x for x in alive if not keep(x)}
        steps.append((name, len(gone)))
        alive.difference_update(gone)

    at = spec.age.at if spec.age and spec.age.at else reference
    if spec.age and (spec.age.min is not None or spec.age.max is not None):
        low = spec.age.min if spec.age.min is not None else 0
        high = spec.age.max if spec.age.max is not None else 999
        step("age", lambda x: low <= _age(people[x]["birth_date"], at) <= high)
    if spec.sex:
        step("sex", lambda x: people[x]["sex"] == spec.sex)
    if spec.units:
        step("units", lambda x: per[x]["unit"])
    if spec.diagnosis_prefixes:
        step("diagnosis", lambda x: per[x]["diag"])
    if spec.last_contact_within_days:
        cutoff = reference - dt.timedelta(days=spec.last_contact_within_days)
        step("last_contact_within_days", lambda x: (per[x]["last"] or dt.date.min) >= cutoff)
    if spec.last_contact_between:
        step("last_contact_between", lambda x: per[x]["in"])
    if include is not None:
        step("include_lists", lambda x: x in include)
    for index, drop in enumerate(exclude, start=1):
        step(f"exclude_list_{index}", lambda x, drop=drop: x not in drop)
    for flag in ("deceased", "protected_identity", "opted_out"):
        if getattr(spec, f"exclude_{flag}"):
            step(flag, lambda x, flag=flag: not people[x][flag])
    if spec.frequency_cap_days:
        step("frequency_cap", lambda x: x not in messaged)
    return {
        "rows": rows,
        "unreadable": unreadable,
        "people": len(per),
        "steps": steps,
        "group": alive,
    }


def check_against_oracle(result: target.TargetResult, expected: dict) -> None:
    funnel = result.funnel
    steps = funnel["step"].to_list()
    removed = dict(zip(steps, funnel["removed"].to_list(), strict=True))
    assert funnel["remaining"][0] == expected["rows"]
    rejected = sum(v for k, v in removed.items() if k.startswith("rejected_"))
    assert rejected == expected["unreadable"]
    assert removed["duplicate"] == expected["rows"] - expected["unreadable"] - expected["people"]
    after = steps[steps.index("duplicate") + 1 : -1]
    assert [(s, removed[s]) for s in after] == expected["steps"]
    assert set(result.group["personnummer"].to_list()) == expected["group"]


def check_funnel_sums(result: target.TargetResult) -> None:
    f = result.funnel
    assert f.columns == list(target.FUNNEL_COLUMNS)
    assert f["step"][0] == "rows_in" and f["step"][-1] == "target_group"
    assert f["removed"].min() >= 0
    assert int(f["removed"].sum()) + int(f["remaining"][-1]) == int(f["remaining"][0])
    running = f["remaining"][0] - f["removed"].cum_sum()
    assert (running.slice(1) == f["remaining"].slice(1)).all()
    assert f["remaining"][-1] == result.group.height
    assert result.group["personnummer"].is_unique().all()


# --------------------------------------------------------------------------- properties

dates = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2027, 3, 1))
spec_data = st.fixed_dictionaries(
    {},
    optional={
        "age": st.one_of(
            st.tuples(st.integers(0, 95), st.integers(0, 35)).map(
                lambda t: {"min": t[0], "max": t[0] + t[1]}
            ),
            st.integers(0, 90).map(lambda m: {"min": m}),
            st.integers(0, 90).map(lambda m: {"max": m}),
            st.tuples(st.integers(10, 80), dates).map(lambda t: {"min": t[0], "at": t[1]}),
        ),
        "sex": st.sampled_from(["F", "M", "k", "man"]),
        "units": st.lists(st.sampled_from(UNITS), min_size=1, max_size=3, unique=True),
        "diagnosis_prefixes": st.lists(
            st.sampled_from(["I10", "E11", "e11.9", "J45", "J06.9", "I", "Z00"]),
            min_size=1,
            max_size=3,
            unique=True,
        ),
        "last_contact_within_days": st.integers(1, 1500),
        "last_contact_between": st.tuples(dates, dates).map(lambda t: tuple(sorted(t))),
        "exclude_deceased": st.booleans(),
        "exclude_protected_identity": st.booleans(),
        "exclude_opted_out": st.booleans(),
    },
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=spec_data, day=st.integers(0, 400))
def test_random_specs_sum_and_match_the_oracle(region, extract, data, day):
    spec = TargetSpec(**data)
    reference = REFERENCE + dt.timedelta(days=day)
    result = target.select(spec, source=extract, reference_date=reference)
    check_funnel_sums(result)
    check_against_oracle(result, oracle(region, spec, reference))


def test_demo_filters_on_the_written_csv_match_the_oracle(region, written):
    spec = TargetSpec(
        units=[SOLBACKA],
        age={"min": 30, "max": 74},
        diagnosis_prefixes=["I10"],
        last_contact_within_days=540,
    )
    result = target.select(spec, source=written["extract"], reference_date=REFERENCE)
    check_funnel_sums(result)
    check_against_oracle(result, oracle(region, spec, REFERENCE))
    assert result.group.height > 0
    group = result.group
    assert group.columns == list(target.GROUP_COLUMNS)
    assert (group["unit_hsa_id"] == SOLBACKA).all()
    assert (group["last_contact"] >= REFERENCE - dt.timedelta(days=540)).all()
    assert group["age"].is_between(30, 74).all()
    assert group["age_band"].cast(pl.String).is_in(["30-44", "45-64", "65-74"]).all()
    assert (group["sex"].cast(pl.String) == pnr.legal_sex(group["personnummer"])).all()


def test_group_describes_each_persons_latest_counted_contact(region, extract):
    result = target.select(TargetSpec(units=[SOLBACKA, UNITS[3]]), source=extract)
    truth = region.contacts.filter(
        pl.col("recoverable") & pl.col("unit_hsa_id").is_in([SOLBACKA, UNITS[3]])
    )
    latest = truth.group_by("person").agg(pl.col("contact_date").max(), pl.len())
    joined = result.group.join(latest, left_on="personnummer", right_on="person")
    assert joined.height == result.group.height
    assert (joined["last_contact"] == joined["contact_date"]).all()
    # the unit named is one the person visited on that date
    visits = truth.select("person", "contact_date", "unit_hsa_id").unique()
    named = result.group.join(
        visits,
        left_on=["personnummer", "last_contact", "unit_hsa_id"],
        right_on=["person", "contact_date", "unit_hsa_id"],
    )
    assert named.height == result.group.height
    readable = region.contacts.filter("recoverable").group_by("person").len()
    counts = result.group.join(readable, left_on="personnummer", right_on="person")
    assert (counts["contacts"] == counts["len"]).all()


# --------------------------------------------------------------------------- sources


def test_sql_source_equals_file_source(written, monkeypatch):
    spec = TargetSpec(
        units=[SOLBACKA], age={"min": 20}, diagnosis_prefixes=["I10", "E11"],
        last_contact_within_days=700,
    )  # fmt: skip
    from_file = target.select(spec, source=written["extract"], reference_date=REFERENCE)
    url = f"sqlite:///{written['sqlite']}"
    from_sql = target.select(
        spec, source=SqlSource(url=url, query=synth.SQL_QUERY), reference_date=REFERENCE
    )
    monkeypatch.setenv("INKORG_TEST_DB", url)
    from_env = target.select(
        spec.model_copy(update={"source": {"url_env": "INKORG_TEST_DB", "query": synth.SQL_QUERY}}),
        reference_date=REFERENCE,
    )
    assert from_file.group.height > 0
    for other in (from_sql, from_env):
        # row numbers: the file's lines (header on line 1), the query's rows from 1
        assert other.group.drop("first_row").equals(from_file.group.drop("first_row"))
        assert (other.group["first_row"] + 1).equals(from_file.group["first_row"])
        assert other.funnel.drop("note").equals(from_file.funnel.drop("note"))
    assert from_env.source == "SQL via $INKORG_TEST_DB"


def test_pandas_and_integer_personnummer_are_accepted(region):
    frame = region.contacts.filter("recoverable").select(
        pl.col("person").str.replace("-", "").cast(pl.Int64).alias("personnummer"),
        "contact_date",
        "unit_hsa_id",
    )
    spec = TargetSpec(units=[SOLBACKA], last_contact_within_days=365, **NO_FLAGS)
    polars_result = target.select(spec, source=frame, reference_date=REFERENCE)
    pandas_result = target.select(spec, source=frame.to_pandas(), reference_date=REFERENCE)
    assert polars_result.group.height > 0
    assert polars_result.group.equals(pandas_result.group)
    removed = dict(polars_result.funnel.select("step", "removed").iter_rows())
    assert all(v == 0 for k, v in removed.items() if k.startswith("rejected_"))


def test_include_and_exclude_lists(region, extract, tmp_path):
    everyone = region.people["personnummer"]
    include = set(everyone.gather_every(2).to_list())
    drop_a = set(everyone.gather_every(3).to_list())
    drop_b = set(everyone.gather_every(7).to_list())
    # lists as people keep them: messy shapes, a header, an invalid value
    inc = tmp_path / "inkludera.csv"
    values = [p.replace("-", "") if i % 4 else p for i, p in enumerate(sorted(include))]
    inc.write_text("personnummer\n" + "\n".join([*values, "19900101-0000"]) + "\n")
    a = tmp_path / "lists" / "avbojt.txt"
    a.parent.mkdir()
    a.write_text("\n".join(sorted(drop_a)) + "\n")
    b = tmp_path / "lists" / "annan.csv"
    b.write_text("pnr;kommentar\n" + "\n".join(f"{p};x" for p in sorted(drop_b)) + "\n")
    spec = TargetSpec(
        include_lists=["inkludera.csv"],
        exclude_lists=["lists/avbojt.txt", str(b)],
        exclude_deceased=False,
    )
    result = target.select(spec, source=extract, reference_date=REFERENCE, lists_base_dir=tmp_path)
    check_funnel_sums(result)
    expected = oracle(region, spec, REFERENCE, include=include, exclude=[drop_a, drop_b])
    check_against_oracle(result, expected)
    note = result.funnel.filter(pl.col("step") == "include_lists")["note"][0]
    line = len(include) + 2  # after the header and every number
    assert note.startswith(
        f"1 ogiltiga rader i inkludera.csv (t.ex. rad {line}: 19900101-**** (fel format));"
    )
    in_extract = len(include & set(pnr.clean(extract["personnummer"])["pnr"].drop_nulls()))
    assert note.endswith(
        f"inkludera.csv: {len(include)} personnummer på listan: {in_extract} finns i utdraget,"
        f" {len(include) - in_extract} matchade ingen i utdraget"
    )
    with pytest.raises(TargetError, match="does not exist"):
        target.select(
            spec.model_copy(update={"exclude_lists": ["saknas.csv"]}),
            source=extract,
            lists_base_dir=tmp_path,
        )


def test_flags_from_lists_equal_flags_from_columns(region, written, extract):
    spec = TargetSpec(units=[SOLBACKA])
    with_columns = target.select(spec, source=extract, reference_date=REFERENCE)
    bare = extract.drop("deceased", "protected_identity", "opted_out")
    from_lists = target.select(
        spec.model_copy(
            update={
                "deceased_lists": [str(written["deceased"])],
                "protected_identity_lists": [str(written["protected_identity"])],
                "opted_out_lists": [str(written["opted_out"])],
            }
        ),
        source=bare,
        reference_date=REFERENCE,
    )
    assert from_lists.group.equals(with_columns.group)
    assert from_lists.funnel.drop("note").equals(with_columns.funnel.drop("note"))
    removed = dict(with_columns.funnel.select("step", "removed").iter_rows())
    assert removed["deceased"] > 0 and removed["opted_out"] > 0
    # neither a column nor a list: the exclusion does not switch itself off
    with pytest.raises(
        TargetError, match=r"exclude_deceased is on.*'deceased'.*exclude_deceased: false"
    ):
        target.select(spec, source=bare, reference_date=REFERENCE)
    # switched off on purpose: no step, nobody removed for it
    off = target.select(spec.model_copy(update=NO_FLAGS), source=bare, reference_date=REFERENCE)
    assert not {"deceased", "protected_identity", "opted_out"} & set(off.funnel["step"])


def test_a_missing_flag_column_names_the_similar_ones(extract):
    """An SQL query that left out the flag columns used to give a larger group, silently."""
    # (a column named Avliden is found by itself: see tests/unit/io/test_real_extracts.py)
    renamed = extract.rename({"deceased": "avliden_flagga", "opted_out": "optout_1177"})
    with pytest.raises(TargetError) as raised:
        target.select(TargetSpec(), source=renamed, reference_date=REFERENCE)
    text = str(raised.value)
    assert "no column 'deceased' (target.deceased_column)" in text
    assert "'avliden_flagga'" in text and "target.deceased_lists" in text
    assert "exclude_deceased: false" in text
    spec = TargetSpec(deceased_column="avliden_flagga", exclude_opted_out=False)
    with pytest.raises(TargetError, match=r"no column 'opted_out'.*'optout_1177'"):
        target.select(spec.model_copy(update={"exclude_opted_out": True}), source=renamed)
    fixed = target.select(
        spec.model_copy(update={"opted_out_column": "optout_1177", "exclude_opted_out": True}),
        source=renamed,
        reference_date=REFERENCE,
    )
    same = target.select(TargetSpec(), source=extract, reference_date=REFERENCE)
    assert fixed.group.equals(same.group)


def test_invalid_rows_of_an_opt_out_list_are_shown_masked_with_their_lines(extract, tmp_path):
    good = pnr.clean(extract["personnummer"], reference_date=REFERENCE)["pnr"].drop_nulls()
    people = good.unique(maintain_order=True).head(3).to_list()
    bad = [f"{people[0][:12]}{(int(people[0][12]) + 1) % 10}", "19900101-T220", "fel"]
    listed = tmp_path / "avbojt.csv"
    rows = ["sep=;", "personnummer;datum", f"{people[0]};x", f"{bad[0]};x", "", f"{bad[1]};x",
            f"{people[1]};x", f"{bad[2]};x", f"{bad[0]};x"]  # fmt: skip
    listed.write_text("\n".join(rows) + "\n", encoding="utf-8")
    spec = TargetSpec(exclude_opted_out=False, exclude_lists=[str(listed)])
    result = target.select(spec, source=extract, reference_date=REFERENCE)
    note = result.funnel.filter(pl.col("step") == "exclude_list_1")["note"][0]
    assert note.startswith("4 ogiltiga rader (t.ex. rad 4: ")
    assert "rad 6: 19900101-T*** (reservnummer" in note and "rad 8: **** (fel format)" in note
    assert "1 tomma rader" in note
    assert any("avbojt.csv" in n and "räknas inte bort" in n for n in result.notes)
    assert_no_personnummer(note + "\n".join(result.notes), "notes")
    # the same list as an opt-out list: the note of the exclusion step says it too
    spec = TargetSpec(opted_out_lists=[str(listed)], opted_out_column="nej")
    result = target.select(spec, source=extract.drop("opted_out"), reference_date=REFERENCE)
    note = result.funnel.filter(pl.col("step") == "opted_out")["note"][0]
    assert "listan avbojt.csv (4 ogiltiga rader (t.ex. rad 4: " in note


def test_flag_words_and_bad_flag_values():
    frame = pl.DataFrame(
        {
            "personnummer": ["19900101-2385", "19800101-2386", "20000101-2389", "19850101-2387"],
            "deceased": ["Ja", " nej ", None, "X"],
        }
    )
    valid = pnr.clean(frame["personnummer"], reference_date=REFERENCE)["status"] == "ok"
    flags_only = TargetSpec(exclude_protected_identity=False, exclude_opted_out=False)
    result = target.select(flags_only, source=frame.filter(valid), reference_date=REFERENCE)
    flagged = {"Ja", "X"} & set(frame.filter(valid)["deceased"].drop_nulls().to_list())
    removed = dict(result.funnel.select("step", "removed").iter_rows())
    assert removed["deceased"] == len(flagged)
    odd = frame.with_columns(deceased=pl.lit("kanske"))
    with pytest.raises(TargetError, match="neither yes nor no"):
        target.select(flags_only, source=odd, reference_date=REFERENCE)


# --------------------------------------------------------------------------- frequency cap


def _earlier_run(root: Path, name: str, people: list[str], created: str | None) -> Path:
    from inkorg_kit import recipients as rc

    run_dir = root / name
    parts = rc.split(rc.prepare(people, reference_date=REFERENCE), part_size=40)
    rc.write(parts, run_dir, name, created=created, unchecked_reason="an earlier test campaign")
    return run_dir


def test_frequency_cap_reads_earlier_runs(region, extract, tmp_path):
    spec = TargetSpec(units=[SOLBACKA], exclude_deceased=False)
    base = target.select(spec, source=extract, reference_date=REFERENCE)
    group = base.group["personnummer"].to_list()
    assert len(group) > 200
    recent, old, undated = group[:60], group[60:120], group[120:150]
    earlier = tmp_path / "out"
    _earlier_run(earlier, "vaccin-2027", recent, "2027-02-20T09:00:00+01:00")
    _earlier_run(earlier, "influensa-2025", old, "2025-10-01")
    undated_dir = _earlier_run(earlier, "utan-datum", undated, None)
    for file in (undated_dir / "recipients").iterdir():  # made "today": set to a month ago
        stamp = dt.datetime(2027, 2, 14, 12).timestamp()
        os.utime(file, (stamp, stamp))
    this_run = _earlier_run(earlier, "this-campaign", group[150:200], "2027-03-15")

    capped = spec.model_copy(update={"frequency_cap_days": 90, "earlier_runs": str(earlier)})
    result = target.select(capped, source=extract, reference_date=REFERENCE, this_run_dir=this_run)
    check_funnel_sums(result)
    messaged = set(recent) | set(undated)
    expected = oracle(region, capped, REFERENCE, messaged=messaged)
    check_against_oracle(result, expected)
    assert dict(result.funnel.select("step", "removed").iter_rows())["frequency_cap"] == 90
    assert "2 tidigare utskick" in result.funnel["note"][-2]

    # without skipping this run, its own recipients count too
    result = target.select(capped, source=extract, reference_date=REFERENCE)
    assert dict(result.funnel.select("step", "removed").iter_rows())["frequency_cap"] == 140

    assert any("utan-datum: daterat efter filernas tid" in n for n in result.notes)

    # a missing folder is an error naming the field, never a cap that removes nobody
    missing = capped.model_copy(update={"earlier_runs": str(tmp_path / "nowhere")})
    with pytest.raises(TargetError, match=r"target\.earlier_runs: the folder .*nowhere"):
        target.select(missing, source=extract, reference_date=REFERENCE)


def _planned_run(
    root: Path, name: str, people: list[str], planned: dt.datetime, created: str
) -> Path:
    """A run folder as step 02 writes it, on ``created``, for a campaign planned to start at
    ``planned``."""
    from inkorg_kit import recipients as rc
    from inkorg_kit.campaign import load_campaign

    campaign = load_campaign(REPO / "params/demo/campaign.yaml").model_copy(
        update={"name": name, "planned_send_start": planned}
    )
    run_dir = root / name
    parts = rc.split(rc.prepare(people, reference_date=REFERENCE), part_size=40)
    rc.write(parts, run_dir, campaign, created=created)
    return run_dir


def test_frequency_cap_dates_a_send_by_its_planned_start(region, extract, tmp_path):
    """Files written long before (or after) the send date: the planned start decides."""
    spec = TargetSpec(units=[SOLBACKA], exclude_deceased=False)
    group = target.select(spec, source=extract, reference_date=REFERENCE).group
    people = group["personnummer"].to_list()
    earlier = tmp_path / "out"
    march, october = (dt.datetime(2027, 3, 1, 9, tzinfo=TIME_ZONE),
                      dt.datetime(2026, 10, 1, 9, tzinfo=TIME_ZONE))  # fmt: skip
    _planned_run(earlier, "sent-in-march", people[:40], march, created="2026-11-01")
    _planned_run(earlier, "cut-in-march", people[40:80], october, created="2027-03-10")
    capped = spec.model_copy(update={"frequency_cap_days": 60, "earlier_runs": str(earlier)})
    result = target.select(capped, source=extract, reference_date=REFERENCE)
    removed = dict(result.funnel.select("step", "removed").iter_rows())
    assert removed["frequency_cap"] == 40
    assert not set(people[:40]) & set(result.group["personnummer"])
    assert set(people[40:80]) <= set(result.group["personnummer"])


def test_the_manifest_written_for_a_campaign_carries_its_planned_start(tmp_path):
    from inkorg_kit import recipients as rc
    from inkorg_kit.campaign import load_campaign

    campaign = load_campaign(REPO / "params/demo/campaign.yaml")
    people = synth.skatteverket_test_numbers().head(300).to_list()
    parts = rc.split(rc.prepare(people, reference_date=REFERENCE), part_size=250)
    delivery = rc.write(parts, tmp_path / "runs" / "run", campaign, created="2026-11-01")
    manifest = json.loads(delivery.manifest_json.read_text(encoding="utf-8"))
    assert manifest["planned_send_start"] == "2027-03-16T09:00:00+01:00"
    # the cap dates the send by its planned start, not by when the manifest was written
    on_the_day, notes = target.messaged_in_earlier_runs(
        tmp_path / "runs", since=dt.date(2027, 3, 16), reference_date=REFERENCE
    )
    assert on_the_day.len() == 300 and not any("daterat" in n for n in notes)
    after, _ = target.messaged_in_earlier_runs(
        tmp_path / "runs", since=dt.date(2027, 3, 17), reference_date=REFERENCE
    )
    assert after.len() == 0


def test_messaged_in_earlier_runs_skips_encrypted_and_missing_files(tmp_path):
    from inkorg_kit import recipients as rc
    from inkorg_kit.run import RunFolder

    people = synth.skatteverket_test_numbers().head(6).to_list()
    runs = tmp_path / "runs"
    kept: list[str] = []
    for name, chunk in (("a", people[:3]), ("b", people[3:])):
        parts = rc.split(rc.prepare(chunk, reference_date=REFERENCE), part_size=1)
        delivery = rc.write(
            parts, runs / name, name, created="2027-03-01", unchecked_reason="an earlier test"
        )
        folder = RunFolder(runs / name).path("recipients_dir")
        names = delivery.files["file_name"].to_list()
        (folder / names[1]).unlink()  # one file of each run is no longer there
        kept += [n for f in (names[0], names[2]) for n in (folder / f).read_text().split()]
    # run b's files are only in its encrypted archive (not readable without the password)
    RunFolder(runs / "b", "b").path("archive").write_bytes(b"7z")
    found, notes = target.messaged_in_earlier_runs(
        runs, since=dt.date(2027, 1, 1), reference_date=REFERENCE
    )
    assert sorted(found.to_list()) == sorted(kept)
    assert any(n.startswith("a:") and "saknas" in n for n in notes)
    assert any(n.startswith("b:") and "krypterad" in n for n in notes)
    later, _ = target.messaged_in_earlier_runs(
        runs, since=dt.date(2027, 3, 2), reference_date=REFERENCE
    )
    assert later.len() == 0


# --------------------------------------------------------------------------- outputs, errors


def test_write_is_private_and_the_funnel_holds_no_personnummer(written, tmp_path):
    spec = TargetSpec(units=[SOLBACKA], age={"min": 18})
    result = target.select(spec, source=written["extract"], reference_date=REFERENCE)
    paths = result.write(tmp_path / "run")
    assert stat.S_IMODE((tmp_path / "run").stat().st_mode) == 0o700
    for path in paths.values():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    group = pl.read_parquet(paths["target_group"])
    assert group.equals(result.group)
    record = json.loads(paths["funnel_json"].read_text(encoding="utf-8"))
    assert record["target_group"] == group.height and record["rows_in"] == result.rows_in
    assert [s["removed"] for s in record["steps"]] == result.funnel["removed"].to_list()
    for key in ("funnel_csv", "funnel_json", "rejected_csv"):
        assert_no_personnummer(paths[key].read_text(encoding="utf-8"), key)
    rejected = load_frame(tmp_path / "run", "target_rejected_csv")
    assert (
        rejected["rows"].sum()
        == result.funnel.filter(pl.col("step").str.starts_with("rejected_"))["removed"].sum()
    )
    assert_no_personnummer(result.summary(), "summary")
    by = result.by_age_sex()
    assert by["n"].sum() == group.height and by.height == 14


def test_age_at_a_fixed_date_and_samordningsnummer_not_allowed(region, extract):
    spec = TargetSpec(age={"min": 40, "max": 60, "at": "2030-01-01"}, allow_samordningsnummer=False)
    result = target.select(spec, source=extract, reference_date=REFERENCE)
    assert result.age_date == dt.date(2030, 1, 1)
    assert result.group["age"].is_between(40, 60).all()
    removed = dict(result.funnel.select("step", "removed").iter_rows())
    assert removed["rejected_samordningsnummer_not_allowed"] > 0
    assert (result.group["kind"] == "personnummer").all()


def test_errors_say_what_is_wrong_and_what_to_do(extract):
    with pytest.raises(TargetError, match=r"'enhet'.*target\.unit_column"):
        target.select(TargetSpec(units=[SOLBACKA], unit_column="enhet"), source=extract.head(50))
    bad_dates = extract.head(50).with_columns(
        contact_date=pl.when(pl.int_range(pl.len()) == 7)
        .then(pl.lit("14/3 2026"))
        .otherwise("contact_date")
    )
    with pytest.raises(TargetError, match=r"row 8 .*YYYY-MM-DD"):
        target.select(TargetSpec(last_contact_within_days=30), source=bad_dates)
    with pytest.raises(TargetError, match="no source"):
        target.select(TargetSpec())
    with pytest.raises(TypeError, match="source must be"):
        target.select(TargetSpec(), source=[1, 2, 3])
    with pytest.raises(TargetError, match="YYYY-MM-DD"):
        target.resolve_reference_date("16/3", dt.date(2027, 3, 16))
    assert target.resolve_reference_date("", dt.datetime(2027, 3, 16, 9)) == REFERENCE


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"sex": "X"}, "F \\(women: .* or M \\(men: M, man, män\\)"),
        ({"diagnosis_prefixes": ["10I"]}, "not ICD-10"),
        ({"units": ["2321000032-ABC"]}, "not HSA-ids"),
        ({"last_contact_between": ["2026-05-01", "2026-01-01"]}, "after it ends"),
        ({"sex": "hen"}, "män"),
        ({"source": {"url": "postgresql://u:hemligt@db/x", "query": "select 1"}}, "password"),
        ({"source": {"url": "postgresql://db/x?password=hemligt", "query": "q"}}, "password"),
        ({"source": {"url": "mssql+pyodbc://db/x?UID=an&PWD=hemligt", "query": "q"}}, "PWD"),
        (
            {
                "source": {
                    "url": "mssql+pyodbc:///?odbc_connect=UID%3Dan%3BPWD%3Dhemligt",
                    "query": "q",
                }
            },
            "password",
        ),
        ({"source": "postgresql://u:hemligt@db/x"}, "url_env"),
        ({"source": "sqlite:///out/demo/region.sqlite"}, "plain text"),
        ({"source": {"url": "sqlite:///a.db", "url_env": "X", "query": "q"}}, "exactly one"),
        ({"source": {"query": "select 1"}}, "exactly one"),
        (
            {"source": {"url_env": "X", "qeury": "select 1"}},
            "'query' is missing; unknown key 'qeury' \\(did you mean 'query'\\?\\)",
        ),
        ({"source": 12}, "file path .* or an SQL block"),
        ({"frequency_cap_days": 90}, "frequency_cap_days: 90 needs earlier_runs"),
        ({"earlier_runs": "out"}, "frequency_cap_days is not"),
        ({"last_contact_between": ["2026-01-01"]}, "needs two dates \\[first, last\\], got 1"),
        ({"last_contact_between": "2026-01-01"}, "needs two dates"),
        ({"last_contact_between": ["2026-01-01", "i fjol"]}, "not a date; write YYYY-MM-DD"),
        ({"age": {"min": "fyrtio"}}, "whole number of years from 0 to 130, e.g. 40"),
        ({"age": 40}, "block of min and/or max"),
        ({"age": {"min": 40, "at": "16/3"}}, "age.at: .* YYYY-MM-DD"),
    ],
)
def test_spec_validation(data, message):
    with pytest.raises(ValidationError, match=message) as raised:
        TargetSpec(**data)
    assert "hemligt" not in str(raised.value)


def test_an_sql_typo_gives_one_message_not_the_union_internals():
    with pytest.raises(ValidationError) as raised:
        TargetSpec(source={"url_env": "X", "qeury": "select 1"})
    errors = raised.value.errors()
    assert len(errors) == 1 and errors[0]["loc"] == ("source",)
    assert "function-after" not in str(raised.value) and "[str]" not in str(raised.value)


def test_spec_normalises_friendly_values():
    spec = TargetSpec(
        sex="kvinna", diagnosis_prefixes=["e11.9", " i10 ", "E 11,9"], units=[f" {SOLBACKA}"]
    )
    assert spec.sex == "F" and spec.diagnosis_prefixes == ["E119", "I10", "E119"]
    assert spec.units == [SOLBACKA]
    for women in ("F", "k", "Kvinna", "kvinnor", "women"):
        assert TargetSpec(sex=women).sex == "F"
    for men in ("M", "man", "Män", "MÄN", "men"):
        assert TargetSpec(sex=men).sex == "M"


@pytest.mark.parametrize("written", ["E 11.9", "e11,9", "E119", "E11.9", " e11.9 ", "I10, E 11,9"])
@pytest.mark.parametrize("prefix", ["E11", "E11.9", "e 11,9"])
def test_diagnosis_codes_match_however_the_data_writes_them(written, prefix):
    frame = pl.DataFrame(
        {"personnummer": ["19900101-2385", "19800101-2386"], "icd10": [written, "E10.9 I 10"]}
    )
    spec = TargetSpec(diagnosis_prefixes=[prefix], **NO_FLAGS)
    result = target.select(spec, source=frame, reference_date=REFERENCE)
    assert result.group["personnummer"].to_list() == ["19900101-2385"]


@pytest.mark.filterwarnings("ignore:Query string argument")  # sqlite ignores password=
def test_sql_errors_and_the_funnel_never_show_a_password(written, tmp_path, monkeypatch):
    for url in (
        f"sqlite:///{tmp_path}/saknas.sqlite?password=hemligt",
        "mssql+pyodbc://an@db.example/vard?driver=ODBC+Driver+18&PWD=hemligt",
        "postgresql://an:hemligt@db.example/vard?sslmode=require",
    ):
        monkeypatch.setenv("INKORG_TEST_DB", url)
        spec = TargetSpec(source={"url_env": "INKORG_TEST_DB", "query": "SELECT 1"})
        with pytest.raises(TargetError) as raised:
            target.select(spec, reference_date=REFERENCE)
        assert "hemligt" not in str(raised.value), str(raised.value)
        assert "$INKORG_TEST_DB" in str(raised.value)
    monkeypatch.setenv("INKORG_TEST_DB", f"sqlite:///{written['sqlite']}?password=hemligt")
    spec = TargetSpec(source={"url_env": "INKORG_TEST_DB", "query": "SELECT nope FROM contacts"})
    with pytest.raises(TargetError) as raised:  # the query fails: the URL is in the message
        target.select(spec, reference_date=REFERENCE)
    assert "password=***" in str(raised.value) and "hemligt" not in str(raised.value)
    spec = TargetSpec(source={"url_env": "INKORG_TEST_DB", "query": synth.SQL_QUERY})
    result = target.select(spec, reference_date=REFERENCE)
    paths = result.write(tmp_path / "run")
    assert result.source == "SQL via $INKORG_TEST_DB"
    assert "hemligt" not in paths["funnel_json"].read_text(encoding="utf-8")
    with pytest.raises(TargetError, match="url_env"):
        target.select(TargetSpec(), source="postgresql://an:hemligt@db/vard")
    ok = SqlSource(url=f"sqlite:///{written['sqlite']}", query=synth.SQL_QUERY)
    assert target.select(TargetSpec(units=[SOLBACKA]), source=ok).source == ok.describe()
    assert SqlSource.model_construct(url="postgresql://db/x?password=hemligt").describe() == (
        "SQL via postgresql://db/x?password=***"
    )


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("postgresql://an:hemligt@db/vard", "postgresql://an:***@db/vard"),
        (
            "postgresql://db/vard?password=hemligt&sslmode=require",
            "postgresql://db/vard?password=***&sslmode=require",
        ),
        ("mssql+pyodbc://db/vard?UID=an&PWD=hemligt", "mssql+pyodbc://db/vard?UID=an&PWD=***"),
        (
            "mssql+pyodbc:///?odbc_connect=UID%3Dan%3BPWD%3Dhemligt%3B",
            "mssql+pyodbc:///?odbc_connect=UID%3Dan%3BPWD%3D***%3B",
        ),
        ("Server=db;Uid=an;Pwd={hem;ligt};", "Server=db;Uid=an;Pwd=***;"),
        ("sqlite:///out/demo/region.sqlite", "sqlite:///out/demo/region.sqlite"),
    ],
)
def test_redact_secrets(text, shown):
    assert target.redact_secrets(text) == shown
