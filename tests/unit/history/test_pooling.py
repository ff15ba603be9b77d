"""Pooled priors: the hierarchical model recovers what was simulated, recent campaigns weigh
more, and the pooled assumptions say which campaigns fed them."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
import pytest
from scipy import integrate, stats
from scipy.special import expit, logit

from inkorg_kit import history
from inkorg_kit.config.assumptions import Assumptions, load_assumptions
from inkorg_kit.history.pooling import _beta_of_logit_normal, fit_login
from inkorg_kit.history.simulated import band_logits, simulated_region
from inkorg_kit.vocab import AGE_BANDS

AS_OF = dt.date(2027, 1, 1)


@pytest.fixture(scope="module")
def national() -> Assumptions:
    return load_assumptions()


@pytest.mark.parametrize(("seed", "shift"), [(1, -0.6), (2, 0.4), (3, 0.0)])
def test_pooling_recovers_the_band_levels_and_the_regional_shift(national, seed, shift):
    region = simulated_region(np.random.default_rng(seed), 30, shift=shift)
    counts = region.register.bands.select("campaign", "age_band", "login_ok", "login_n")
    fit = fit_login(counts, national)
    ages = len(AGE_BANDS)
    # each band's level for a new campaign: close to the truth (30 campaigns with a shared
    # campaign sd of 0.15 leave about 0.035 of sampling sd, so 0.15 is over 4 sd) ...
    assert np.abs(fit.mean[:ages] - region.levels[:ages]).max() < 0.15
    # ... and to the plain mean of the campaigns' observed logits, nearly the same estimate
    # with 30 campaigns of 800 sends each (an independent computation; the model weighs the
    # campaigns by their precision and shrinks a little towards the prior)
    observed = (
        counts.with_columns(
            ((pl.col("login_ok") + 0.5) / (pl.col("login_n") - pl.col("login_ok") + 0.5))
            .log()
            .alias("z")
        )
        .group_by("age_band")
        .agg(pl.col("z").mean())
    )
    plain = dict(observed.iter_rows())
    assert np.abs(fit.mean[:ages] - [plain[b] for b in AGE_BANDS]).max() < 0.05
    # the region's shift: shrunk a little towards the national defaults, never far
    assert fit.region_shift == pytest.approx(shift, abs=0.15)
    assert fit.region_sd < 0.3
    # campaign-to-campaign variation as simulated (0.15 shared, 0.1 per band), and the
    # shared part of a new campaign's uncertainty is about the shared variation
    assert 0.07 < fit.tau_campaign < 0.25 and fit.tau_band < 0.16
    assert 0.08 < math.sqrt(fit.shared_var) < 0.3
    # deterministic: the same history gives the same numbers
    again = fit_login(counts, national)
    assert np.array_equal(again.mean, fit.mean) and again.shared_var == fit.shared_var


def test_without_campaigns_the_prior_is_the_national_default(national):
    empty = pl.DataFrame(
        schema={
            "campaign": pl.String,
            "age_band": pl.String,
            "login_ok": pl.Int64,
            "login_n": pl.Int64,
        }
    )
    fit = fit_login(empty, national)
    means = [_beta_of_logit_normal(m, v)[0] for m, v in zip(fit.mean, fit.band_var, strict=True)]
    assert np.allclose(means, expit(band_logits(national)), atol=0.03)
    assert fit.region_shift == 0.0


def test_the_beta_has_the_moments_of_the_logit_normal():
    """Checked against numerical integration with scipy (an independent computation)."""
    mean, var = 1.8, 0.09
    m, strength = _beta_of_logit_normal(mean, var)
    dist = stats.norm(mean, math.sqrt(var))
    m1 = integrate.quad(lambda x: expit(x) * dist.pdf(x), -10, 14)[0]
    m2 = integrate.quad(lambda x: expit(x) ** 2 * dist.pdf(x), -10, 14)[0]
    assert m == pytest.approx(m1, rel=1e-6)
    assert m * (1 - m) / (strength + 1) == pytest.approx(m2 - m1**2, rel=1e-4)


def _one_campaign(day: dt.date, shift: float = -1.0) -> history.Register:
    region = simulated_region(
        np.random.default_rng(7), 1, shift=shift, last=day, tau_campaign=0.0, tau_band=0.0
    )
    return region.register


def test_an_old_campaign_moves_the_prior_less_than_a_new_one(national):
    recent = history.pooled_assumptions(_one_campaign(AS_OF - dt.timedelta(days=30)), as_of=AS_OF)
    old = history.pooled_assumptions(_one_campaign(AS_OF - dt.timedelta(days=1500)), as_of=AS_OF)
    assert recent is not None and old is not None
    for band in AGE_BANDS[1:]:
        was = national.band(band).login_share.mean
        moved_recent = was - recent.assumptions.band(band).login_share.mean
        moved_old = was - old.assumptions.band(band).login_share.mean
        assert moved_recent > moved_old > 0, band
    assert recent.fit.weights["kampanj-001"] == pytest.approx(0.5 ** (30 / 365))
    assert old.fit.weights["kampanj-001"] == pytest.approx(0.5 ** (1500 / 365))


def test_recency_weights_halve_every_half_life():
    days = {"a": AS_OF, "b": AS_OF - dt.timedelta(days=365), "c": AS_OF - dt.timedelta(days=730)}
    assert history.recency_weights(days, AS_OF) == {"a": 1.0, "b": 0.5, "c": 0.25}
    assert history.recency_weights(days, AS_OF, half_life_days=730)["c"] == 0.5
    with pytest.raises(ValueError, match="half_life_days"):
        history.recency_weights(days, AS_OF, half_life_days=0)


def test_pooled_assumptions_name_their_campaigns_and_leave_out_the_excluded(national):
    region = simulated_region(np.random.default_rng(5), 4, shift=-0.5, last=AS_OF)
    pooled = history.pooled_assumptions(region.register, as_of=AS_OF)
    assert pooled is not None
    names = ("kampanj-001", "kampanj-002", "kampanj-003", "kampanj-004")
    assert pooled.campaigns == names
    origin = pooled.assumptions.fitted_from
    assert origin is not None and origin.campaign == "register: " + ", ".join(names)
    assert (origin.model_extra or {})["campaigns"] == list(names)
    for band in AGE_BANDS:
        share = pooled.assumptions.band(band).login_share
        assert all(name in share.source for name in names)
        assert share.mean < national.band(band).login_share.mean  # the region is lower
    for name in names:
        assert name in pooled.describe()
    # the rest of the assumptions are the national ones
    assert pooled.assumptions.time_to_read == national.time_to_read
    if "regional_level" in Assumptions.model_fields:
        level = pooled.assumptions.regional_level
        assert level is not None
        assert level.login_sd_logit.value == pytest.approx(
            math.sqrt(pooled.fit.shared_var), abs=1e-3
        )
    without = history.pooled_assumptions(region.register, exclude=["kampanj-004"], as_of=AS_OF)
    assert without is not None and without.campaigns == names[:3]
    assert history.pooled_assumptions(region.register, exclude=names) is None


def test_a_stronger_region_is_pulled_up_and_predicted_by_the_pooled_mean(national):
    region = simulated_region(np.random.default_rng(9), 12, shift=0.5, last=AS_OF)
    pooled = history.pooled_assumptions(region.register, as_of=AS_OF)
    assert pooled is not None
    for i, band in enumerate(AGE_BANDS):
        assert pooled.assumptions.band(band).login_share.mean == pytest.approx(
            expit(region.levels[i]), abs=0.03
        )
    assert logit(pooled.assumptions.band("75-84").login_share.mean) > logit(
        national.band("75-84").login_share.mean
    )


def test_a_new_campaigns_login_share_falls_in_the_90_percent_prediction_as_often(national):
    """Calibration on 60 simulated regions, recency weights on (they must not narrow the
    campaign-to-campaign variation): the new campaign's true band logit lies in the
    predictive 90 % interval about 90 % of the time (7 bands of 60 regions)."""
    rng = np.random.default_rng(11)
    hits = []
    for _ in range(60):
        region = simulated_region(rng, 6, shift=float(rng.normal(0, 0.35)), last=AS_OF)
        counts = region.register.bands.select("campaign", "age_band", "login_ok", "login_n")
        days = {
            c: AS_OF - dt.timedelta(days=60 * (5 - i))
            for i, c in enumerate(sorted(counts["campaign"].unique()))
        }
        fit = fit_login(counts, national, history.recency_weights(days, AS_OF))
        truth = logit(region.new_campaign_shares(rng))
        half = 1.645 * np.sqrt(fit.band_var)
        hits.append(np.abs(truth - fit.mean)[: len(AGE_BANDS)] <= half[: len(AGE_BANDS)])
    coverage = float(np.mean(hits))
    assert 0.83 < coverage < 0.97, coverage
