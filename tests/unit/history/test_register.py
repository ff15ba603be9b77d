"""The campaign register: what step 04 records, that recording again replaces, where it lives,
and that no register file holds anything shaped like a personnummer."""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path

import polars as pl
import pytest
from support import DEMO_CAMPAIGN, assert_no_personnummer, build_run_for_followup

from inkorg_kit import followup as fu
from inkorg_kit import history, reach, synth_status
from inkorg_kit.campaign import load_campaign
from inkorg_kit.history.register import SCHEMA
from inkorg_kit.vocab import AGE_BANDS

WHEN = dt.datetime(2027, 4, 1, 12, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def campaign():
    return load_campaign(DEMO_CAMPAIGN)


@pytest.fixture(scope="module")
def followed(tmp_path_factory, campaign):
    """A run folder with 1500 residents and a synthetic export; its outcomes and fit."""
    run = tmp_path_factory.mktemp("hist") / "run"
    people = build_run_for_followup(run, 1500, seed=4)
    synth_status.write_status_export(run, campaign, seed=5)
    outcomes = fu.reconcile(fu.load_status(None, campaign, run_dir=run), run)
    fitted = reach.fit_reach(outcomes, campaign=campaign.name)
    return run, people, outcomes, fitted


def _scan_register(folder: Path) -> None:
    """Every cell of every register file as text, through the kit's personnummer finder."""
    files = sorted(folder.glob("*.parquet"))
    assert files, f"no register files in {folder}"
    for path in files:
        frame = pl.read_parquet(path)
        text = frame.select(pl.all().cast(pl.String)).write_csv()
        assert_no_personnummer(text, str(path))
        assert_no_personnummer(path.read_bytes().decode("latin-1"), f"{path} (bytes)")


def test_a_record_holds_the_campaigns_aggregates_and_adds_up(tmp_path, campaign, followed):
    _, people, outcomes, fitted = followed
    path = history.record_campaign(tmp_path / "reg", campaign, outcomes, fitted, recorded_at=WHEN)
    assert path == tmp_path / "reg" / f"{campaign.name}.parquet"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    reg = history.load_register(tmp_path / "reg")
    assert reg.names() == [campaign.name] and len(reg) == 1
    assert reg.rows.schema == pl.Schema(SCHEMA)
    bands = reg.bands
    counts = outcomes.counts()
    # sizes per band add up to the follow-up's headline counts
    for column, total in (("in_files", "in_files"), ("read", "read"), ("failed", "failed")):
        assert bands[column].sum() == counts[total], column
    assert bands["sent"].sum() == counts["attempted"]
    expected = people.group_by("age_band").len().sort("age_band")
    got = bands.select("age_band", pl.col("in_files").alias("len")).sort("age_band")
    assert got.to_dicts() == expected.with_columns(pl.col("len").cast(pl.Int64)).to_dicts()
    # the login share's counts are the fit's: (ok + 1/2) / (sent + 1)
    for band, ok, n in bands.select("age_band", "login_ok", "login_n").iter_rows():
        if n is not None:
            assert fitted.band(band).login_share.mean == pytest.approx((ok + 0.5) / (n + 1))
    assert set(bands["age_band"]) <= set(AGE_BANDS) | {"okänd"}
    # read share of read + unread, and Kaplan-Meier shares that grow with the hours
    row = bands.filter(pl.col("read") > 0).row(0, named=True)
    assert row["read_share"] == pytest.approx(row["read"] / (row["read"] + row["unread"]))
    assert row["read_1h"] <= row["read_24h"] <= row["read_72h"] <= row["read_168h"] <= 1
    # the send-time curves: the whole campaign (weekday and hour null) and each send slot
    times = reg.send_times
    whole = times.filter(pl.col("send_weekday").is_null())
    assert whole.height == 1
    assert times.filter(pl.col("send_weekday").is_not_null())["n"].sum() == whole["n"][0]
    assert times["send_weekday"].drop_nulls().is_between(0, 6).all()
    # the campaign's dates
    c = reg.campaigns().row(0, named=True)
    assert c["exported_at"] == outcomes.exported_at.astimezone(dt.UTC)
    assert c["first_send"] <= c["last_send"] <= c["exported_at"]
    assert c["recorded_at"] == WHEN and c["category"] == str(campaign.category)
    assert reg.outcomes.is_empty() and c["outcome_share"] is None  # no outcome follow-up
    _scan_register(tmp_path / "reg")


def test_recording_again_replaces_the_record(tmp_path, campaign, followed):
    _, _, outcomes, fitted = followed
    reg_dir = tmp_path / "reg"
    history.record_campaign(reg_dir, campaign, outcomes, fitted, recorded_at=WHEN)
    first = history.load_register(reg_dir).rows
    later = WHEN + dt.timedelta(days=1)
    history.record_campaign(reg_dir, campaign, outcomes, fitted, recorded_at=later)
    again = history.load_register(reg_dir).rows
    assert [p.name for p in reg_dir.iterdir()] == [f"{campaign.name}.parquet"]  # no leftovers
    assert again.height == first.height
    assert again.drop("recorded_at").equals(first.drop("recorded_at"))
    assert again["recorded_at"].unique().to_list() == [later]


def test_outcome_shares_are_recorded_when_the_campaign_had_an_outcome_follow_up(
    tmp_path, campaign, followed
):
    _, _, outcomes, fitted = followed

    class Uptake:  # what the outcome follow-up holds: a group and whether they did it
        people = pl.DataFrame(
            {
                "status_group": ["read"] * 6 + ["unread"] * 4 + ["not_sent"] * 3,
                "did": [True] * 4 + [False] * 6 + [True] * 3,
            }
        )

    history.record_campaign(tmp_path / "r", campaign, outcomes, fitted, uptake=Uptake())
    reg = history.load_register(tmp_path / "r")
    got = reg.outcomes.select("outcome_group", "n", "outcome_done", "outcome_share").sort(
        "outcome_group"
    )
    assert got.rows() == [("not_sent", 3, 3, 1.0), ("read", 6, 4, 4 / 6), ("unread", 4, 0, 0.0)]
    # the campaign's share: of those the follow-up counts, not those never sent to
    assert reg.campaigns()["outcome_share"][0] == pytest.approx(0.4)
    _scan_register(tmp_path / "r")


def test_a_personnummer_in_a_text_is_refused_before_anything_is_written(
    tmp_path, campaign, followed
):
    _, _, outcomes, fitted = followed

    class Uptake:
        people = pl.DataFrame({"status_group": ["19850101-2382"], "did": [True]})

    with pytest.raises(ValueError, match="looks like a personnummer"):
        history.record_campaign(tmp_path / "r", campaign, outcomes, fitted, uptake=Uptake())
    assert not list((tmp_path / "r").glob("*.parquet"))


def test_the_register_lives_beside_the_run_folders_unless_told_otherwise(
    tmp_path, campaign, monkeypatch
):
    monkeypatch.delenv(history.REGISTER_ENV, raising=False)
    run = tmp_path / "out" / campaign.name
    assert history.register_path(campaign, run) == tmp_path / "out" / "register"
    assert history.register_path(campaign) == Path("out") / "register"
    monkeypatch.setenv(history.REGISTER_ENV, str(tmp_path / "env"))
    assert history.register_path(campaign, run) == tmp_path / "env"
    keyed = campaign.model_copy(
        update={"followup": campaign.followup.model_copy(update={"register_folder": "/r/eg"})}
    )
    assert history.register_path(keyed, run) == Path("/r/eg")
    assert history.register_path(keyed, run, given=tmp_path / "x") == tmp_path / "x"


def test_an_empty_or_missing_register_reads_as_empty(tmp_path):
    reg = history.load_register(tmp_path / "nothing")
    assert len(reg) == 0 and reg.names() == [] and reg.campaigns().is_empty()
    assert history.pooled_assumptions(reg) is None
