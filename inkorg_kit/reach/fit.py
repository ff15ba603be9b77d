"""The reach refit: this campaign's login shares and reading times, for the next campaign.

Why here (with reach, above the follow-up): the next campaign should plan with this campaign's
real behaviour instead of assumptions, in the reach model's own terms. :func:`fit_reach`
writes this campaign's login shares (1 - failed/sent per age band, a Beta posterior from a
Jeffreys prior) and time to read per age band (a censored two-part log-normal fit in the reach
model's active hours, by maximum likelihood with weak priors, ``scipy.optimize``) in the format
of ``params/reach_defaults.yaml``. The login share is not fitted when failures cannot be
counted (no failed list, or residents of sent files missing). The export does not say who got
a notification, so the assumed notified and not-notified curves are scaled together until
their mix matches the fit: the gap between them stays as assumed, and notification shares
too. Strengths are capped (:data:`FIT_STRENGTH_CAP`): one campaign is one draw of the region's
behaviour, not the next campaign's truth.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from inkorg_kit.config.assumptions import Assumptions, TimeToRead, load_assumptions
from inkorg_kit.followup.reconcile import Outcomes
from inkorg_kit.followup.timing import time_frame
from inkorg_kit.run import RunFolder
from inkorg_kit.vocab import AGE_BANDS, UNKNOWN_BAND

__all__ = [
    "FIT_STRENGTH_CAP",
    "TimingFit",
    "compare_reach",
    "fit_notes",
    "fit_reach",
    "write_fitted",
]

AssumptionsSource = Assumptions | Mapping[str, Any] | str | Path | None

#: The most a fitted share weighs as a prior for the next campaign (a pseudo-count of people).
#: One campaign is one draw of the region's behaviour: target groups, units, seasons and
#: years differ, and login and reading shares move with them by a few percentage points. So
#: 100,000 sends do not make the next campaign's share 100,000 people sure; with at most 200 its
#: 90 % interval stays about +/- 5 points at a share of 0.5 and +/- 3 points at 0.9, close to
#: how much regions and years are seen to differ, while the mean still comes from the data.
FIT_STRENGTH_CAP = 200.0


@dataclass(frozen=True)
class TimingFit:
    """A censored two-part log-normal fit of time to read (active hours)."""

    read_share: float
    soon_share: float
    soon_median: float
    soon_sigma: float
    later_median: float
    later_sigma: float
    n: int
    reads: int
    converged: bool

    def cdf(self, hours: np.ndarray) -> np.ndarray:
        """The fitted share read by ``hours`` active hours."""
        from scipy.special import ndtr  # heavy: only when asked

        h = np.maximum(np.asarray(hours, dtype=float), 1e-9)
        a = ndtr((np.log(h) - math.log(self.soon_median)) / self.soon_sigma)
        b = ndtr((np.log(h) - math.log(self.later_median)) / self.later_sigma)
        return self.read_share * (self.soon_share * a + (1 - self.soon_share) * b)


def _assumed_marginal(a: Assumptions, band: str) -> tuple[float, float, float, float]:
    """(read share, soon share, soon median, later median) of a band's assumed timing,
    mixing the notified and not notified by the assumed notification share."""
    timing = a.timing(band)
    q = a.band(band).notification_share.mean
    n, nn = timing.notified, timing.not_notified
    r = q * n.read_share.mean + (1 - q) * nn.read_share.mean
    soon = q * n.read_share.mean * n.soon_share.mean + (1 - q) * nn.read_share.mean * (
        nn.soon_share.mean
    )
    s = soon / r if r > 0 else 0.5
    m1 = math.exp(
        q * math.log(n.soon_median_hours.value) + (1 - q) * math.log(nn.soon_median_hours.value)
    )
    m2 = math.exp(
        q * math.log(n.later_median_hours.value) + (1 - q) * math.log(nn.later_median_hours.value)
    )
    return r, s, m1, max(m2, m1 * 1.5)


def _fit_timing(
    t: np.ndarray, event: np.ndarray, start: tuple[float, float, float, float]
) -> TimingFit:
    """Maximum likelihood (with weak priors) of r * [s LN(m1, s1) + (1-s) LN(m2, s2)] with
    right censoring; ``t`` in active hours, ``event`` True for a read."""
    from scipy.optimize import minimize  # heavy: only when asked
    from scipy.special import expit, logit, ndtr

    t = np.maximum(np.asarray(t, dtype=float), 1 / 60)
    event = np.asarray(event, dtype=bool)
    # log hours on a 0.01 grid with counts: the cost of a step no longer grows with n
    lt_e, w_e = np.unique(np.round(np.log(t[event]), 2), return_counts=True)
    lt_c, w_c = np.unique(np.round(np.log(t[~event]), 2), return_counts=True)
    n = len(t)
    r0, s0, m1, m2 = start
    mu1_0, mu2_0 = math.log(m1), math.log(m2)
    half_log_2pi = 0.5 * math.log(2 * math.pi)

    def unpack(x: np.ndarray) -> tuple[float, ...]:
        return (
            expit(x[0]),
            expit(x[1]),
            x[2],
            math.exp(x[3]),
            x[2] + math.exp(x[4]),
            math.exp(x[5]),
        )

    def nll(x: np.ndarray) -> float:
        r, s, mu1, sg1, mu2, sg2 = unpack(x)
        r = min(max(r, 1e-12), 1 - 1e-12)
        s = min(max(s, 1e-12), 1 - 1e-12)
        z1 = (lt_e - mu1) / sg1
        z2 = (lt_e - mu2) / sg2
        l1 = math.log(s) - 0.5 * z1**2 - math.log(sg1) - half_log_2pi
        l2 = math.log1p(-s) - 0.5 * z2**2 - math.log(sg2) - half_log_2pi
        ev = math.log(r) * w_e.sum() + (w_e * (np.logaddexp(l1, l2) - lt_e)).sum()
        f = r * (s * ndtr((lt_c - mu1) / sg1) + (1 - s) * ndtr((lt_c - mu2) / sg2))
        ce = (w_c * np.log1p(-np.minimum(f, 1 - 1e-15))).sum()
        prior = (
            0.5 * (math.log(r) + math.log1p(-r))
            + 0.5 * (math.log(s) + math.log1p(-s))
            - 0.5 * ((mu1 - mu1_0) / 2.0) ** 2
            - 0.5 * ((mu2 - mu2_0) / 2.0) ** 2
            - 0.5 * (x[3] / 1.0) ** 2
            - 0.5 * (x[5] / 1.0) ** 2
        )
        return -(ev + ce + prior) / max(n, 1)

    clip = lambda p: min(max(p, 0.02), 0.98)  # noqa: E731
    starts = [
        (r0, s0, mu1_0, mu2_0),
        (r0, 0.5, math.log(2.0), math.log(48.0)),
        (r0, 0.3, math.log(6.0), math.log(150.0)),
    ]
    best = None
    for r, s, a, b in starts:
        x0 = np.array([logit(clip(r)), logit(clip(s)), a, 0.0, math.log(max(b - a, 0.1)), 0.0])
        res = minimize(nll, x0, method="BFGS")
        if best is None or res.fun < best.fun:
            best = res
    assert best is not None
    r, s, mu1, sg1, mu2, sg2 = unpack(best.x)
    return TimingFit(
        read_share=float(r),
        soon_share=float(s),
        soon_median=float(math.exp(mu1)),
        soon_sigma=float(sg1),
        later_median=float(math.exp(mu2)),
        later_sigma=float(sg2),
        n=n,
        reads=int(event.sum()),
        converged=bool(best.success),
    )


def _capped(n: float) -> float:
    return float(min(max(n, 1.0), FIT_STRENGTH_CAP))


def _scale_timing(assumed: TimeToRead, q: float, fit: TimingFit) -> tuple[float, float, float]:
    """(read-share factor, time factor, soon-odds factor) that make the assumed mix of the
    notified (share ``q``) and not notified match the fitted marginal curve; the two groups'
    gap (their assumed difference) is kept, as the export does not show who was notified."""
    from scipy.optimize import minimize  # heavy: only when asked
    from scipy.special import ndtr

    grid = np.geomspace(0.25, 24 * 28, 80)
    target = fit.cdf(grid)
    log_grid = np.log(grid)
    groups = [(assumed.notified, q), (assumed.not_notified, 1 - q)]

    def mix(x: np.ndarray) -> np.ndarray:
        k, c, o = np.exp(x)
        total = np.zeros_like(grid)
        for g, weight in groups:
            r = min(g.read_share.mean * k, 0.999)
            s0 = g.soon_share.mean
            s = o * s0 / (1 - s0 + o * s0)
            soon = ndtr((log_grid - math.log(c * g.soon_median_hours.value)) / g.soon_sigma.value)
            later = ndtr(
                (log_grid - math.log(c * g.later_median_hours.value)) / g.later_sigma.value
            )
            total += weight * r * (s * soon + (1 - s) * later)
        return total

    res = minimize(
        lambda x: float(((mix(x) - target) ** 2).sum()),
        np.zeros(3),
        method="L-BFGS-B",
        bounds=[(-3.0, 3.0)] * 3,
    )
    k, c, o = (float(v) for v in np.exp(res.x))
    return k, c, o


def _timing_dict(assumed: TimeToRead, q: float, fit: TimingFit, tag: str) -> dict[str, Any]:
    """The assumed notified and not-notified timing, scaled to this campaign's fit."""
    k, c, o = _scale_timing(assumed, q, fit)
    how = (
        f"{tag}: the assumed curve scaled (read share x{k:.3f}, times x{c:.3f}, odds of"
        f" reading soon x{o:.3f}) so that notified and not notified, mixed at the assumed"
        f" notification share {q:.2f}, match a censored log-normal fit of {fit.n} delivered and"
        f" {fit.reads} read. The export does not show who was notified, so the gap between the"
        f" two groups stays as assumed; strength capped at {FIT_STRENGTH_CAP:g} (one campaign is"
        " one draw of the region's behaviour)"
    )
    out: dict[str, Any] = {}
    for name, g, weight in (
        ("notified", assumed.notified, q),
        ("not_notified", assumed.not_notified, 1 - q),
    ):
        s0 = g.soon_share.mean
        out[name] = {
            "read_share": {
                "mean": round(min(g.read_share.mean * k, 0.999), 6),
                "strength": _capped(weight * fit.n),
                "source": how,
            },
            "soon_share": {
                "mean": round(o * s0 / (1 - s0 + o * s0), 6),
                "strength": _capped(weight * fit.reads),
                "source": how,
            },
            "soon_median_hours": {"value": round(c * g.soon_median_hours.value, 4), "source": how},
            "soon_sigma": g.soon_sigma.model_dump(),
            "later_median_hours": {
                "value": round(c * g.later_median_hours.value, 4),
                "source": how,
            },
            "later_sigma": g.later_sigma.model_dump(),
        }
    return out


def _login_blockers(outcomes: Outcomes) -> tuple[str | None, dict[str, int]]:
    """Why failures cannot be counted: (reason for every band, or None; per age band, the
    residents of sent files missing from the export, whose send may have failed unseen)."""
    if not outcomes.failures_listed:
        return "the export had no list of failed sends, so failures could not be counted", {}
    camp = outcomes.people.filter(pl.col("in_campaign"))
    sent_files = camp.filter(pl.col("in_export"))["file_name"].unique().implode()
    missing = camp.filter(
        (pl.col("outcome") == "not_in_export") & pl.col("file_name").is_in(sent_files)
    )
    return None, dict(missing.group_by("age_band").len().iter_rows())


def fit_reach(
    outcomes: Outcomes,
    assumptions: AssumptionsSource = None,
    *,
    campaign: str | None = None,
    min_reads: int = 30,
    min_sent: int = 30,
    date: dt.date | None = None,
) -> Assumptions:
    """This campaign's reach, in the format of ``params/reach_defaults.yaml``.

    Per age band with at least ``min_sent`` sends: ``login_share`` from the failed sends (Beta
    posterior from a Jeffreys prior: mean (sent - failed + 1/2) / (sent + 1), strength
    sent + 1 capped at :data:`FIT_STRENGTH_CAP`; smaller bands keep the assumption, which is
    worth more than a handful). The login share is not fitted, and the assumption kept with a
    note in its source, when the export has no list of failed sends, or for a band with
    residents missing from the export in files that were sent (their sends may have failed
    unseen). Its own ``time_to_read`` when the band has at least ``min_reads`` reads (else the
    common timing); the common ``time_to_read`` from everyone: the assumed notified and
    not-notified curves scaled so their mix matches the fit (the gap between them kept). The
    rest (notification shares, rhythm, ...) is kept from ``assumptions`` (default: the kit's
    defaults). Returns :class:`~inkorg_kit.config.assumptions.Assumptions` with ``fitted_from:
    {campaign, n, date, ..., notes}``; write it with :func:`write_fitted` (or
    ``.to_yaml(path)``), read the notes with :func:`fit_notes`.
    """
    a = load_assumptions(assumptions)
    campaign = campaign or outcomes.campaign or "okänd kampanj"
    when = date or outcomes.exported_at.date()
    tag = f"Fitted from the follow-up of {campaign} (export {outcomes.exported_at:%Y-%m-%d %H:%M})"
    data = a.model_dump()
    people = outcomes.campaign_people()
    sent = people.group_by("age_band").agg(
        pl.len().alias("sent"), (pl.col("outcome") == "failed").sum().alias("failed")
    )
    everywhere, missing = _login_blockers(outcomes)
    fitted_login: dict[str, int] = {}
    kept_login: dict[str, str] = {}
    for band, n_sent, n_failed in sent.sort("age_band").iter_rows():
        entry = data["unknown_age"] if band == UNKNOWN_BAND else data["bands"].get(band)
        if entry is None:
            continue
        why = everywhere
        if why is None and missing.get(band):
            why = (
                f"{missing[band]} resident(s) of files that were sent are missing from the"
                " export, and their sends may have failed unseen"
            )
        if why is None and n_sent < min_sent:
            kept_login[band] = f"only {n_sent} sends (fewer than {min_sent})"
            continue
        if why is not None:
            kept_login[band] = why
            old = entry["login_share"]
            old["source"] = (
                f"{old['source']} [Kept as assumed by the follow-up of {campaign}: {why}]"
            )
            continue
        ok = n_sent - n_failed
        fitted_login[band] = int(n_sent)
        entry["login_share"] = {
            "mean": (ok + 0.5) / (n_sent + 1),
            "strength": _capped(n_sent + 1),
            "source": f"{tag}: {n_failed} of {n_sent} sends failed (no login or locked);"
            f" Jeffreys posterior mean, strength capped at {FIT_STRENGTH_CAP:g} (one campaign is"
            " one draw of the region's behaviour)",
        }
        for sex_entry in (entry.get("by_sex") or {}).values():
            sex_entry["login_share"] = None
    timed = time_frame(outcomes, "active", a)
    fitted_timing: list[str] = []
    if timed.height:
        overall = _fit_timing(
            timed["_t"].to_numpy(),
            timed["event"].to_numpy(),
            _mix_start(a, timed),
        )
        if overall.reads >= min_reads:
            data["time_to_read"] = _timing_dict(a.time_to_read, _mean_q(a, timed), overall, tag)
            fitted_timing.append("*")
        for band in timed["age_band"].unique().sort().to_list():
            part = timed.filter(pl.col("age_band") == band)
            reads = int(part["event"].sum())
            entry = data["unknown_age"] if band == UNKNOWN_BAND else data["bands"].get(band)
            if entry is None or reads < min_reads:
                continue
            fit = _fit_timing(
                part["_t"].to_numpy(), part["event"].to_numpy(), _assumed_marginal(a, band)
            )
            q = a.band(band).notification_share.mean
            entry["time_to_read"] = _timing_dict(a.timing(band), q, fit, tag)
            fitted_timing.append(band)
    notes = [f"login share of {band} kept as assumed: {why}" for band, why in kept_login.items()]
    data["fitted_from"] = {
        "campaign": campaign,
        "n": int(people.height),
        "date": when,
        "exported_at": outcomes.exported_at.isoformat(),
        # the fitted files of earlier campaigns say followup.fit_reach: kept byte for byte
        "method": "login share: 1 - failed/sent (Beta, Jeffreys prior); time to read: censored"
        " two-part log-normal in active hours, the assumed notified/not-notified curves scaled"
        " to it (inkorg_kit.followup.fit_reach); strengths capped at"
        f" {FIT_STRENGTH_CAP:g}",
        "login_share_fitted": fitted_login,
        "login_share_kept": kept_login,
        "time_to_read_fitted": fitted_timing,
        "notes": notes,
    }
    data["description"] = (
        f"Reach parameters fitted from the follow-up of campaign {campaign}; parameters the"
        " export cannot show (notification shares, rhythm, population mix) are kept from the"
        " assumptions they replace, with their sources."
    )
    return load_assumptions(data)


def fit_notes(fitted: Assumptions) -> list[str]:
    """What :func:`fit_reach` could not fit, and why (for the analyst)."""
    origin = getattr(fitted, "fitted_from", None)
    return list((getattr(origin, "model_extra", None) or {}).get("notes", []))


def _band_ok(a: Assumptions, band: str) -> bool:
    return band == UNKNOWN_BAND or band in a.bands


def _mean_q(a: Assumptions, timed: pl.DataFrame) -> float:
    """The assumed notification share, averaged over the timed residents' age bands."""
    counts = timed.group_by("age_band").agg(pl.len().alias("n"))
    parts = [
        (a.band(b).notification_share.mean, n) for b, n in counts.iter_rows() if _band_ok(a, b)
    ]
    total = sum(n for _, n in parts)
    return sum(q * n for q, n in parts) / total if total else 0.5


def _mix_start(a: Assumptions, timed: pl.DataFrame) -> tuple[float, float, float, float]:
    counts = timed.group_by("age_band").agg(pl.len().alias("n"))
    total = max(int(counts["n"].sum()), 1)
    parts = [(_assumed_marginal(a, b), n / total) for b, n in counts.iter_rows() if _band_ok(a, b)]
    if not parts:
        return _assumed_marginal(a, "45-64")
    r = sum(p[0] * w for p, w in parts)
    s = sum(p[1] * w for p, w in parts)
    m1 = math.exp(sum(math.log(p[2]) * w for p, w in parts))
    m2 = math.exp(sum(math.log(p[3]) * w for p, w in parts))
    return r, s, m1, m2


def _reach_measures(a: Assumptions, band: str, hours: Sequence[float]) -> dict[str, float]:
    b = a.band(band)
    timing = a.timing(band)
    q = b.notification_share.mean
    h = np.asarray(hours, dtype=float)
    cdf = q * timing.notified.cdf(h) + (1 - q) * timing.not_notified.cdf(h)
    eventual = q * timing.notified.read_share.mean + (1 - q) * timing.not_notified.read_share.mean
    out = {"login_share": b.login_share.mean, "eventual": eventual}
    out.update({f"{x:g}": float(v) for x, v in zip(hours, cdf, strict=True)})
    return out


def compare_reach(
    assumed: AssumptionsSource,
    fitted: AssumptionsSource,
    hours: Sequence[float] = (1, 24, 168),
) -> pl.DataFrame:
    """Fitted beside assumed, per age band: login share (with its 90 % prior interval),
    the share of the reachable who ever read, and who read within each of ``hours`` active
    hours. For the notebook's "what we assumed vs what we saw" table."""
    a = load_assumptions(assumed)
    f = load_assumptions(fitted)
    extra = (f.fitted_from.model_extra or {}) if f.fitted_from is not None else {}
    sends = extra.get("login_share_fitted")
    rows = []
    for band in (*AGE_BANDS, UNKNOWN_BAND):
        fa, ff = a.band(band).login_share, f.band(band).login_share
        was, now = _reach_measures(a, band, hours), _reach_measures(f, band, hours)
        if sends is not None:
            fitted_login = band in sends
        else:  # a fit written before fitted_from listed its bands
            fitted_login = ff.source != fa.source or ff.mean != fa.mean
        fitted_time = f.band(band).time_to_read is not None and (
            a.band(band).time_to_read != f.band(band).time_to_read
        )
        row = {
            "age_band": band,
            "login_assumed": fa.mean,
            "login_assumed_interval": "–".join(f"{100 * v:.0f}" for v in fa.interval()),
            "login_fitted": ff.mean if fitted_login else None,
            "login_fitted_interval": "–".join(f"{100 * v:.0f}" for v in ff.interval())
            if fitted_login
            else None,
            "sent": (int(sends[band]) if sends is not None else int(ff.strength - 1))
            if fitted_login
            else None,
            "reads_ever_assumed": was["eventual"],
            "reads_ever_fitted": now["eventual"] if fitted_time else None,
        }
        for h in hours:
            row[f"read_{h:g}h_assumed"] = was[f"{h:g}"]
            row[f"read_{h:g}h_fitted"] = now[f"{h:g}"] if fitted_time else None
        rows.append(row)
    return pl.DataFrame(rows)


def write_fitted(assumptions: Assumptions, run_dir: str | os.PathLike[str]) -> Path:
    """Write fitted parameters to ``<run_dir>/fitted_reach.yaml`` (atomic, 0600)."""
    return assumptions.to_yaml(RunFolder(run_dir).path("fitted_reach"))
