"""Simulated campaign histories with known truth, for the pooling's tests and benchmark.

Why in the package: the tests (does the pooling recover what was simulated?) and
``benchmarks/bench_pooling.py`` (do pooled priors predict a new campaign better than the
national defaults?) must simulate the same model, so it is written once. A region's true login
share of band ``b`` in campaign ``c`` is ``expit(logit(national[b]) + shift + g[c] + h[c,b])``
with ``g ~ N(0, tau_campaign)`` and ``h ~ N(0, tau_band)``; the sends that did not fail are
binomial. The register rows hold only what a real record of the band section holds for the
login share (the other columns are empty).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
from scipy.special import expit, logit

from inkorg_kit.config.assumptions import Assumptions, load_assumptions
from inkorg_kit.history.register import SCHEMA, Register
from inkorg_kit.vocab import AGE_BANDS, UNKNOWN_BAND

__all__ = ["SimulatedRegion", "band_logits", "simulated_region"]

_BANDS = (*AGE_BANDS, UNKNOWN_BAND)


def band_logits(base: Assumptions) -> np.ndarray:
    """The national login shares of :data:`AGE_BANDS` and unknown age, on the logit scale."""
    return logit(np.array([base.band(b).login_share.mean for b in _BANDS]))


@dataclass(frozen=True)
class SimulatedRegion:
    """A simulated register and its truth: the region's shift and the band levels
    (``logit(national) + shift``) on the logit scale."""

    register: Register
    shift: float
    levels: np.ndarray
    tau_campaign: float
    tau_band: float

    def new_campaign_shares(self, rng: np.random.Generator) -> np.ndarray:
        """The true login shares of one more campaign of this region (per band)."""
        g = rng.normal(0.0, self.tau_campaign)
        return expit(self.levels + g + rng.normal(0.0, self.tau_band, len(self.levels)))


def simulated_region(
    rng: np.random.Generator,
    campaigns: int,
    *,
    shift: float,
    tau_campaign: float = 0.15,
    tau_band: float = 0.1,
    sends: Mapping[str, int] | Sequence[int] | None = None,
    base: Assumptions | None = None,
    last: dt.date = dt.date(2027, 1, 1),
    every_days: int = 60,
    register: str | Path = "simulated",
) -> SimulatedRegion:
    """``campaigns`` campaigns of a region whose login shares are the national defaults shifted
    by ``shift`` (logit), the newest exported on ``last`` and one every ``every_days`` before.
    ``sends``: sends per band (default 800 in each age band, 20 of unknown age)."""
    base = base or load_assumptions()
    levels = band_logits(base) + shift
    if sends is None:
        size = np.array([800] * len(AGE_BANDS) + [20])
    elif isinstance(sends, Mapping):
        size = np.array([int(sends.get(b, 0)) for b in _BANDS])
    else:
        size = np.asarray(sends, dtype=int)
    rows = []
    for c in range(campaigns):
        shares = expit(levels + rng.normal(0.0, tau_campaign) + rng.normal(0.0, tau_band, 8))
        ok = rng.binomial(size, shares)
        day = last - dt.timedelta(days=every_days * (campaigns - 1 - c))
        when = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
        for band, n, k in zip(_BANDS, size, ok, strict=True):
            if n > 0:
                rows.append(
                    {
                        "campaign": f"kampanj-{c + 1:03d}",
                        "section": "band",
                        "age_band": band,
                        "exported_at": when,
                        "sent": int(n),
                        "login_n": int(n),
                        "login_ok": int(k),
                    }
                )
    frame = pl.DataFrame(rows).select(
        [
            pl.col(c).cast(t) if c in rows[0] else pl.lit(None, dtype=t).alias(c)
            for c, t in SCHEMA.items()
        ]
        if rows
        else []
    )
    if not rows:
        frame = pl.DataFrame(schema=SCHEMA)
    return SimulatedRegion(Register(Path(register), frame), shift, levels, tau_campaign, tau_band)
