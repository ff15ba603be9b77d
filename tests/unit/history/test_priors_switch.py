"""Step 03's priors: from the register by default, national on request or while the register
holds no other campaign, and an explicit assumptions file always wins."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from support import DEMO_CAMPAIGN, build_run_for_reach_plan

from inkorg_kit import history
from inkorg_kit.campaign import load_campaign
from inkorg_kit.config.assumptions import load_assumptions
from inkorg_kit.errors import ParameterError
from inkorg_kit.history.simulated import simulated_region
from inkorg_kit.io.write import write_frame
from inkorg_kit.steps import reach_plan


def _write(register: Path, rows: pl.DataFrame) -> None:
    for (name,), part in rows.partition_by("campaign", as_dict=True).items():
        write_frame(part, register / f"{name}.parquet")


@pytest.fixture(scope="module")
def campaign():
    return load_campaign(DEMO_CAMPAIGN)


@pytest.fixture
def run_dir(tmp_path, campaign, monkeypatch) -> Path:
    monkeypatch.delenv(history.REGISTER_ENV, raising=False)
    return build_run_for_reach_plan(tmp_path / "out" / campaign.name)


def _state(campaign, run_dir, **kw):
    return reach_plan.panel_state(campaign, run_dir, draws=50, **kw)


def test_priors_come_from_the_register_beside_the_run_folder(campaign, run_dir):
    region = simulated_region(np.random.default_rng(3), 3, shift=-0.7)
    _write(run_dir.parent / "register", region.register.rows)
    national = load_assumptions()
    state = _state(campaign, run_dir)
    for name in ("kampanj-001", "kampanj-002", "kampanj-003"):
        assert name in state.assumptions_source and name in state.describe()
    assert "kampanjregistret" in state.describe()
    band = "65-74"
    assert state.assumptions.band(band).login_share.mean < national.band(band).login_share.mean
    # the switch back, and an explicit file, win over the register
    assert _state(campaign, run_dir, priors="national").assumptions == national
    assert "nationella" in _state(campaign, run_dir, priors="national").assumptions_source
    given = national.with_overrides(login_share=0.5).to_yaml(run_dir / "mine.yaml")
    explicit = _state(campaign, run_dir, assumptions=str(given))
    assert explicit.assumptions.band(band).login_share.mean == 0.5
    assert explicit.assumptions_source == str(given)
    with pytest.raises(ParameterError, match="priors='regional'"):
        _state(campaign, run_dir, priors="regional")


def test_an_empty_register_or_only_this_campaign_falls_back_to_national(campaign, run_dir):
    national = load_assumptions()
    state = _state(campaign, run_dir)
    assert state.assumptions == national
    assert "nationella standardantaganden" in state.describe()
    assert "ingen annan kampanj" in state.describe()
    own = simulated_region(np.random.default_rng(4), 1, shift=-0.7).register.rows
    _write(run_dir.parent / "register", own.with_columns(pl.lit(campaign.name).alias("campaign")))
    assert _state(campaign, run_dir).assumptions == national  # a campaign is not its own prior
