"""reach.draws: the inverse CDFs behind common random numbers, against scipy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special, stats

from inkorg_kit.reach.draws import (
    EXACT_BELOW_VARIANCE,
    Streams,
    beta_ppf,
    binomial_ppf,
    regional_offset,
    shifted_beta_mean,
)


def test_binomial_quantile_is_exact_for_small_variance_and_close_above():
    rng = np.random.default_rng(3)
    n = rng.integers(0, 3000, 60_000)
    p = rng.random(60_000) ** 3  # many tiny probabilities, where an approximation breaks
    p[:5000] = 1 - p[:5000]  # and some near 1
    u = rng.random(60_000) + 2.0**-54
    got = binomial_ppf(u, n, p)
    want = stats.binom.ppf(u, n, p)
    small = n * p * (1 - p) < EXACT_BELOW_VARIANCE
    assert small.sum() > 10_000 and (~small).sum() > 10_000
    assert np.array_equal(got[small], want[small])
    off = got[~small] - want[~small]
    assert np.abs(off).max() <= 1
    assert np.mean(off != 0) < 0.01  # Cornish-Fisher: off by one person now and then
    assert got.dtype == np.int64
    assert binomial_ppf(0.5, 10, 0.0) == 0 and binomial_ppf(0.5, 10, 1.0) == 10
    assert binomial_ppf(0.999, 0, 0.4) == 0


def test_binomial_quantile_is_a_binomial_draw():
    """Quantiles at uniform draws are binomial draws: a chi-square test on the counts."""
    rng = np.random.default_rng(5)
    for n, p in ((40, 0.3), (2000, 0.6), (50_000, 0.02)):
        k = binomial_ppf(rng.random(40_000), n, p)
        edges = stats.binom.ppf(np.linspace(0, 1, 21)[1:-1], n, p)
        observed = np.bincount(np.searchsorted(edges, k, side="left"), minlength=20)
        cdf = stats.binom.cdf(np.append(edges, n), n, p)
        expected = np.diff(np.concatenate([[0.0], cdf])) * len(k)
        keep = expected > 5
        assert stats.chisquare(observed[keep], expected[keep] * observed[keep].sum()
                               / expected[keep].sum()).pvalue > 1e-3, (n, p)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    u=st.floats(1e-9, 1 - 1e-9),
    n=st.integers(0, 200_000),
    p=st.floats(0, 0.99),
    dp=st.floats(1e-4, 0.01),
)
def test_binomial_quantile_is_monotone_in_n_and_p(u, n, p, dp):
    k = binomial_ppf(u, n, p)
    assert binomial_ppf(u, n, min(1.0, p + dp)) >= k
    step = binomial_ppf(u, n + 1, p) - k
    assert step in (0, 1)  # one more person adds at most one


def test_beta_quantile_against_scipy():
    rng = np.random.default_rng(9)
    mean = np.array([0.92, 0.1, 0.55, 0.05, 0.6, 0.0, 1.0, 0.3])
    strength = np.array([80, 10, 20, 1.0, 0.8, 10, 10, 2e6])
    u = rng.random((5000, len(mean))) + 2.0**-54
    got = beta_ppf(u, mean, strength)
    live = (mean > 0) & (mean < 1)
    want = special.betaincinv(mean[live] * strength[live], (1 - mean[live]) * strength[live],
                              u[:, live])  # fmt: skip
    assert np.abs(got[:, live] - want).max() < 5e-5  # the grid's interpolation error
    assert (got[:, 5] == 0).all() and (got[:, 6] == 1).all()
    few = beta_ppf(u[:100], mean, strength)  # few draws: exact
    assert np.allclose(few[:, live], want[:100], rtol=0, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(mean=st.floats(0.02, 0.97), strength=st.floats(2, 500), dm=st.floats(1e-4, 0.02))
def test_beta_quantile_rises_with_the_mean(mean, strength, dm):
    u = np.random.default_rng(1).random((1000, 1))
    u = np.vstack([u] * 2)  # 2000 draws: the grid
    low = beta_ppf(u, np.array([mean]), np.array([strength]))
    high = beta_ppf(u, np.array([mean + dm]), np.array([strength]))
    assert (high >= low).all()


def test_streams_are_fixed_per_name_and_independent_of_each_other():
    one, two = Streams(4), Streams(4)
    a = one.uniform("login_share", (100, 3))
    two.uniform("something else", (7,))  # asking for another stream first changes nothing
    assert np.array_equal(two.uniform("login_share", (100, 3)), a)
    assert not np.array_equal(one.uniform("notified", (100, 3)), a)
    assert ((a > 0) & (a < 1)).all()
    assert not np.array_equal(Streams(5).uniform("login_share", (100, 3)), a)
    # more moments keep the first ones' uniforms
    assert np.array_equal(one.uniform("x", (3, 10))[:2], one.uniform("x", (2, 10)))


@pytest.mark.parametrize("mean,strength", [(0.92, 80), (0.1, 10), (0.4, 20), (0.03, 5)])
def test_shifted_mean_and_centring_against_numerical_integration(mean, strength):
    a, b = mean * strength, (1 - mean) * strength
    sd = 0.35

    x, w = np.polynomial.hermite_e.hermegauss(120)  # over z; over p: adaptive, by density
    w = w / w.sum()
    log_norm = special.betaln(a, b)

    def integral(c: float) -> float:
        def f(p: float) -> float:
            density = np.exp((a - 1) * np.log(p) + (b - 1) * np.log1p(-p) - log_norm)
            return density * float(w @ special.expit(special.logit(p) + sd * x - c))

        return integrate.quad(f, 0, 1, limit=400, epsabs=1e-12, epsrel=1e-12)[0]

    got = shifted_beta_mean(np.array([mean]), np.array([strength]), sd)[0]
    assert got == pytest.approx(integral(0.0), abs=1e-8)
    assert got != pytest.approx(mean, abs=1e-4)  # the uncentred shift moves the mean
    c = regional_offset(np.array([mean]), np.array([strength]), sd)[0]
    assert integral(c) == pytest.approx(mean, abs=1e-8)
    assert regional_offset(np.array([0.0, 1.0]), np.array([5.0, 5.0]), sd).tolist() == [0, 0]
    assert regional_offset(np.array([mean]), np.array([strength]), 0.0)[0] == 0
