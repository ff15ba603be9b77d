"""Priors that learn: the region's own campaigns pooled into the next campaign's reach priors.

Why a hierarchical model: one campaign is one draw of the region's behaviour (target groups,
seasons and messages differ), and the region as a whole differs from the national defaults
(published login shares range from 73 % in Stockholm to over 90 % in Skåne). So the login share
of age band ``b`` in campaign ``c`` is, on the logit scale::

    logit p[c,b] = mu[b] + r + g[c] + h[c,b]

``mu[b]`` the band's level, with the national default as its prior (mean and strength of
``params/reach_defaults.yaml``, as a normal on the logit scale); ``r`` the region's shared shift
(prior sd: the defaults' ``regional_level.login_sd_logit``, the spread between regions, else
:data:`REGION_PRIOR_SD`); ``g[c]`` what moves every band of one campaign together
(season, target group, message) and ``h[c,b]`` the rest, both normal with standard deviations
``tau_campaign`` and ``tau_band`` that the register itself estimates. Each band's counts are
binomial; the fit is a normal approximation on the logit scale (the observed logit with
variance 1/(ok+½) + 1/(failed+½)), exact for the resulting linear Gaussian model, integrated
over a fixed grid of the two taus (a half-normal prior of scale :data:`TAU_PRIOR_SCALE`, so
that two campaigns do not claim there is no campaign-to-campaign variation). Deterministic,
numpy/scipy only, milliseconds for a few hundred campaigns.

The prior for a NEW campaign is the predictive of ``mu[b] + r + g + h``. Its part shared by all
bands (the mean covariance between bands: the region's level as far as the data leave it
uncertain, plus ``g``) becomes ``regional_level.login_sd_logit``, a shift drawn once per
simulation draw for every band, so that intervals on totals include it; the rest becomes each
band's Beta prior (moment matched). Bands without data still move with the regional shift the
other bands show.

Recency: a campaign's likelihood for the levels ``mu`` and ``r`` is raised to the power
``0.5 ** (age / half_life)`` (a power prior); the taus are estimated from every campaign
unweighted, since an old campaign shows how much campaigns vary as well as a new one does (and
down-weighting it there would make the variation look smaller than it is). Default half-life
:data:`DEFAULT_HALF_LIFE_DAYS`, 365 days. Assumption: login shares drift year on year as e-ID
use grows, most in the older bands (the defaults' sources show e-service use growing since
2019), and a year brings every season round once, so a campaign a year old is worth half of
one today, two years old a quarter; a shorter half-life would forget the seasons, a longer one
would keep last decade's older residents.

Only the login share is pooled: the read shares and times to read stay as the base assumptions
say (the register records them, but the follow-up cannot tell the notified from the not
notified, which the timing model needs).
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from inkorg_kit.config.assumptions import Assumptions, Share, load_assumptions
from inkorg_kit.history.register import Register, load_register, shown_path
from inkorg_kit.vocab import AGE_BANDS, UNKNOWN_BAND

__all__ = [
    "DEFAULT_HALF_LIFE_DAYS",
    "REGION_PRIOR_SD",
    "TAU_GRID",
    "TAU_PRIOR_SCALE",
    "PooledFit",
    "PooledPriors",
    "fit_login",
    "pooled_assumptions",
    "recency_weights",
]

#: Half-life (days) of a campaign's weight in the pooled priors (see the module docstring).
DEFAULT_HALF_LIFE_DAYS = 365.0
#: Prior sd of the region's shift on the logit scale when the base assumptions have no regional
#: level. Assumption: regions' published login
#: shares run from 73 % (Stockholm 2020) to 92 % (Skåne 2022), logits 1.0 to 2.4; a spread of
#: about 1.4 between the extremes of 21 regions is an sd of about 0.4, widened to 0.5 for the
#: years between the figures.
REGION_PRIOR_SD = 0.5
#: The grid of tau_campaign and tau_band (logit sd) the fit integrates over.
TAU_GRID = np.array([0.0, 0.03, 0.06, 0.1, 0.15, 0.2, 0.3, 0.45, 0.65, 1.0])
#: Scale of the half-normal prior on each tau. Assumption: a campaign's login share moves a few
#: points around the region's (fit.FIT_STRENGTH_CAP's reasoning: +/- 3 points at 0.9 is a
#: logit sd of about 0.2), so 0.3 allows that and more without forcing it.
TAU_PRIOR_SCALE = 0.3
_BANDS = (*AGE_BANDS, UNKNOWN_BAND)
_MAX_STRENGTH = 10_000.0
_NO_DATA = 1e6  # the logit variance of a band a campaign lacks


def _region_prior_sd(base: Assumptions) -> float:
    """The prior sd of the region's shift: the base assumptions' regional level if they have
    one (the national spread between regions), else :data:`REGION_PRIOR_SD`."""
    level = getattr(base, "regional_level", None)
    value = getattr(getattr(level, "login_sd_logit", None), "value", None)
    return float(value) if value is not None and value > 0 else REGION_PRIOR_SD


def recency_weights(
    dates: Mapping[str, dt.date], as_of: dt.date, half_life_days: float = DEFAULT_HALF_LIFE_DAYS
) -> dict[str, float]:
    """Each campaign's weight, ``0.5 ** (days before as_of / half_life_days)`` (1 for a
    campaign on or after ``as_of``).

    >>> recency_weights({"a": dt.date(2026, 1, 1)}, dt.date(2027, 1, 1))
    {'a': 0.5}
    """
    if not half_life_days > 0:
        raise ValueError(f"half_life_days={half_life_days!r} must be above 0")
    return {
        name: float(0.5 ** (max((as_of - day).days, 0) / half_life_days))
        for name, day in dates.items()
    }


def _logit_prior(share: Share) -> tuple[float, float]:
    """A Beta prior as a normal on the logit scale: (mean, variance) of logit p."""
    from scipy.special import digamma, polygamma

    m = min(max(share.mean, 1e-4), 1 - 1e-4)
    a, b = m * share.strength, (1 - m) * share.strength
    return float(digamma(a) - digamma(b)), float(polygamma(1, a) + polygamma(1, b))


def _beta_of_logit_normal(mean: float, var: float) -> tuple[float, float]:
    """(mean, strength) of the Beta with the moments of expit(N(mean, var))."""
    from scipy.special import expit

    x, w = np.polynomial.hermite_e.hermegauss(40)
    p = expit(mean + math.sqrt(max(var, 0.0)) * x)
    w = w / w.sum()
    m = float((w * p).sum())
    v = float((w * (p - m) ** 2).sum())
    strength = m * (1 - m) / v - 1 if v > 0 else _MAX_STRENGTH
    return m, float(min(max(strength, 2.0), _MAX_STRENGTH))


@dataclass(frozen=True)
class PooledFit:
    """The fitted model, on the logit scale, for each band of :data:`bands`: the predictive
    mean for a new campaign, its variance in all (``band_var``) and the part every band shares
    (``shared_var``); the posterior of the region's shift ``r`` and of the band levels
    ``mu``; the posterior means of the taus; the campaigns' weights."""

    bands: tuple[str, ...]
    mean: np.ndarray
    band_var: np.ndarray
    shared_var: float
    region_shift: float
    region_sd: float
    mu: np.ndarray
    tau_campaign: float
    tau_band: float
    weights: dict[str, float]
    observed: dict[str, int] = field(default_factory=dict)


def fit_login(
    counts: pl.DataFrame,
    base: Assumptions,
    weights: Mapping[str, float] | None = None,
) -> PooledFit:
    """Fit the model of the module docstring to ``counts`` (``campaign``, ``age_band``,
    ``login_ok``, ``login_n``: per campaign and band, the sends that did not fail and the
    sends), with ``base``'s login shares as the band priors and ``weights`` per campaign
    (default 1)."""
    counts = counts.filter(pl.col("login_n") > 0, pl.col("age_band").is_in(_BANDS))
    names = counts["campaign"].unique(maintain_order=True).to_list()
    w_of = {c: float((weights or {}).get(c, 1.0)) for c in names}
    names = [c for c in names if w_of[c] > 0]
    counts = counts.filter(pl.col("campaign").is_in(names))
    nb = len(_BANDS)
    priors = [_logit_prior(base.band(b).login_share) for b in _BANDS]
    m0 = np.array([m for m, _ in priors] + [0.0])
    s0 = np.array([v for _, v in priors] + [_region_prior_sd(base) ** 2])

    # one 8-band block per campaign; a band a campaign lacks is an observation worth nothing
    nc = len(names)
    z = np.zeros((nc, nb))
    v = np.full((nc, nb), _NO_DATA)
    for name, band, ok, sent in counts.select(
        "campaign", "age_band", "login_ok", "login_n"
    ).iter_rows():
        i, j = names.index(name), _BANDS.index(band)
        z[i, j] = math.log((ok + 0.5) / (sent - ok + 0.5))
        v[i, j] = 1 / (ok + 0.5) + 1 / (sent - ok + 0.5)
    w = np.array([w_of[c] for c in names])
    design = np.hstack([np.eye(nb), np.ones((nb, 1))])  # a campaign's bands: mu[b] + r
    resid = z - design @ m0
    log_det_s0 = float(np.log(s0).sum())

    def gaussian(noise: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """The linear Gaussian model with this per-campaign noise: log marginal likelihood,
        posterior mean and covariance of (mu, r)."""
        noise_inv = np.linalg.inv(noise)
        precision = np.diag(1 / s0) + design.T @ noise_inv.sum(axis=0) @ design
        cov = np.linalg.inv(precision)
        at = design.T @ np.einsum("cij,cj->i", noise_inv, resid)
        quad = float(np.einsum("ci,cij,cj->", resid, noise_inv, resid)) - float(at @ cov @ at)
        log_det = (
            float(np.linalg.slogdet(noise)[1].sum())
            + log_det_s0
            + float(np.linalg.slogdet(precision)[1])
        )
        return -0.5 * (quad + log_det), m0 + cov @ at, cov

    results = []
    for tg in TAU_GRID:
        for th in TAU_GRID:
            log_prior = -0.5 * (tg**2 + th**2) / TAU_PRIOR_SCALE**2
            if nc:
                noise = v[:, :, None] * np.eye(nb) + th**2 * np.eye(nb) + tg**2
                # the taus from every campaign as it is (old campaigns vary as much as new
                # ones); the levels with each campaign's covariance divided by its weight (the
                # power prior), so that old campaigns move them less
                log_lik = gaussian(noise)[0]
                _, post, cov = gaussian(noise / w[:, None, None])
            else:
                log_lik, cov, post = 0.0, np.diag(s0), m0
            level_cov = design @ cov @ design.T + tg**2 + th**2 * np.eye(nb)
            results.append((log_prior + log_lik, design @ post, level_cov, post, cov, tg, th))
    logs = np.array([r[0] for r in results])
    omega = np.exp(logs - logs.max())
    omega /= omega.sum()
    mean = sum(o * r[1] for o, r in zip(omega, results, strict=True))
    second = sum(o * (r[2] + np.outer(r[1], r[1])) for o, r in zip(omega, results, strict=True))
    pred_cov = second - np.outer(mean, mean)
    theta = sum(o * r[3] for o, r in zip(omega, results, strict=True))
    theta_second = sum(
        o * (r[4] + np.outer(r[3], r[3])) for o, r in zip(omega, results, strict=True)
    )
    theta_cov = theta_second - np.outer(theta, theta)
    ages = len(AGE_BANDS)  # the shared part: mean covariance between the age bands
    block = pred_cov[:ages, :ages]
    off = block[~np.eye(ages, dtype=bool)]
    shared = float(min(max(off.mean(), 0.0), np.diag(pred_cov).min()))
    observed = counts.group_by("age_band").agg(pl.col("login_n").sum())
    return PooledFit(
        bands=_BANDS,
        mean=np.asarray(mean),
        band_var=np.diag(pred_cov).copy(),
        shared_var=shared,
        region_shift=float(theta[nb]),
        region_sd=float(math.sqrt(max(theta_cov[nb, nb], 0.0))),
        mu=np.asarray(theta[:nb]),
        tau_campaign=float(sum(o * r[5] for o, r in zip(omega, results, strict=True))),
        tau_band=float(sum(o * r[6] for o, r in zip(omega, results, strict=True))),
        weights={c: w_of[c] for c in names},
        observed={b: int(s) for b, s in observed.iter_rows()},
    )


@dataclass(frozen=True)
class PooledPriors:
    """Reach assumptions pooled from the register (:attr:`assumptions`), the fit behind them,
    the campaigns that fed them and their weights."""

    assumptions: Assumptions
    fit: PooledFit
    campaigns: tuple[str, ...]
    register: Path
    half_life_days: float

    def describe(self) -> str:
        """One Swedish sentence: where the priors come from, naming the campaigns."""
        names = ", ".join(f"{c} (vikt {self.fit.weights[c]:.2f})" for c in self.campaigns)
        sd = math.sqrt(self.fit.shared_var)
        return (
            f"kampanjregistret {shown_path(self.register)}: inloggningsandelen per åldersgrupp"
            " poolad från"
            f" {len(self.campaigns)} kampanj{'er' if len(self.campaigns) != 1 else ''}"
            f" ({names}; halveringstid {self.half_life_days:g} dagar), regionens gemensamma"
            f" nivå {self.fit.region_shift:+.2f} logit med sd {sd:.2f}; övriga antaganden"
            " nationella"
        )

    def table(self) -> pl.DataFrame:
        """Per age band: the national login share, the pooled one with its 90 % interval, and
        the sends behind it (for the notebook)."""
        national = load_assumptions()
        rows = []
        for b in _BANDS:
            pooled = self.assumptions.band(b).login_share
            low, high = pooled.interval()
            rows.append(
                {
                    "age_band": b,
                    "national": national.band(b).login_share.mean,
                    "pooled": pooled.mean,
                    "low": low,
                    "high": high,
                    "sent": self.fit.observed.get(b, 0),
                }
            )
        return pl.DataFrame(rows)


def _campaign_dates(register: Register) -> dict[str, dt.date]:
    frame = register.campaigns()
    when = pl.coalesce("exported_at", "last_send", "planned_send_start")
    return {
        name: day.date() if isinstance(day, dt.datetime) else day
        for name, day in frame.select("campaign", when.alias("when")).iter_rows()
    }


def pooled_assumptions(
    register: Register | str | os.PathLike[str],
    base: Assumptions | str | os.PathLike[str] | None = None,
    *,
    exclude: Iterable[str] = (),
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS,
    as_of: dt.date | None = None,
) -> PooledPriors | None:
    """The register's campaigns (but ``exclude``, e.g. the campaign being planned) pooled into
    reach assumptions for a new campaign: ``base`` (default: the national defaults) with each
    band's login share replaced by the pooled prior, ``fitted_from`` naming the campaigns and
    their weights, and ``regional_level.login_sd_logit`` when the assumptions' format has it.
    ``as_of`` (default today) dates the recency weights. None when no campaign in the register
    has a fitted login share (then plan with the national defaults)."""
    reg = register if isinstance(register, Register) else load_register(register)
    reg = reg.without(exclude)
    counts = reg.bands.filter(pl.col("login_n").is_not_null() & (pl.col("login_n") > 0))
    if counts.is_empty():
        return None
    a = load_assumptions(base)
    dates = _campaign_dates(reg)
    as_of = as_of or dt.date.today()
    used = counts["campaign"].unique(maintain_order=True).to_list()
    weights = recency_weights({c: dates[c] for c in used}, as_of, half_life_days)
    fit = fit_login(counts.select("campaign", "age_band", "login_ok", "login_n"), a, weights)
    campaigns = tuple(sorted(fit.weights, key=lambda c: (dates[c], c)))
    if not campaigns:
        return None
    listed = ", ".join(f"{c} ({dates[c]:%Y-%m-%d}, weight {fit.weights[c]:.2f})" for c in campaigns)
    shared_sd = math.sqrt(fit.shared_var)
    data = a.model_dump()
    for i, b in enumerate(fit.bands):
        mean, strength = _beta_of_logit_normal(
            float(fit.mean[i]), float(fit.band_var[i] - fit.shared_var)
        )
        entry = data["unknown_age"] if b == UNKNOWN_BAND else data["bands"][b]
        national = a.band(b).login_share
        entry["login_share"] = {
            "mean": round(mean, 6),
            "strength": round(strength, 3),
            "source": (
                f"Pooled from the campaign register {reg.path}: {listed}; recency half-life"
                f" {half_life_days:g} days. Hierarchical model on the logit scale (band level"
                f" with the national prior {national.mean:.3g}/strength {national.strength:g},"
                " the region's shared shift, campaign-to-campaign variation); the predictive"
                f" for a new campaign, less its part shared by all bands (regional_level sd"
                f" {shared_sd:.3f}), moment-matched to a Beta; {fit.observed.get(b, 0)} sends"
                " of this band in the register (inkorg_kit.history.pooling)"
            ),
        }
        for sex_entry in (entry.get("by_sex") or {}).values():
            sex_entry["login_share"] = None
    newest = max(dates[c] for c in campaigns)
    data["fitted_from"] = {
        "campaign": "register: " + ", ".join(campaigns),
        "n": int(sum(fit.observed.values())),
        "date": newest,
        "register": str(reg.path),
        "campaigns": list(campaigns),
        "weights": {c: round(fit.weights[c], 4) for c in campaigns},
        "half_life_days": half_life_days,
        "as_of": as_of.isoformat(),
        "region_shift_logit": round(fit.region_shift, 4),
        "region_sd_logit": round(fit.region_sd, 4),
        "tau_campaign_logit": round(fit.tau_campaign, 4),
        "tau_band_logit": round(fit.tau_band, 4),
        "method": "login share pooled across the register's campaigns: hierarchical normal"
        " model on the logit scale, national defaults as band priors, shared regional shift,"
        " recency-weighted (inkorg_kit.history.pooling); the rest of the assumptions as given",
    }
    data["description"] = (
        f"Reach assumptions with login shares pooled from {len(campaigns)} campaign(s) of the"
        f" region's register {reg.path}; everything else from the base assumptions."
    )
    if "regional_level" in Assumptions.model_fields:
        data["regional_level"] = {
            "login_sd_logit": {
                "value": round(shared_sd, 4),
                "source": (
                    f"Pooled from the campaign register {reg.path} ({', '.join(campaigns)}):"
                    " what the bands' predictive login shares for a new campaign have in common"
                    " (the doubt left about the region's level, the shift's posterior sd being"
                    f" {fit.region_sd:.3f}, and the campaign-to-campaign variation shared by all"
                    f" bands, tau {fit.tau_campaign:.3f}), logit scale"
                ),
            }
        }
    return PooledPriors(
        assumptions=load_assumptions(data),
        fit=fit,
        campaigns=campaigns,
        register=reg.path,
        half_life_days=half_life_days,
    )
