"""The reach simulation: expected counts with honest intervals, before anything is sent.

Why: a message reaches a resident only if they have an active 1177 login (account not
locked); they learn of it at once only if they switched notifications (SMS, e-mail) on; the
rest must be reached another way, at once (no login) or after a follow-up deadline (unread).
Planners need the expected counts *with intervals* before they send.

The model, per stratum (age band x legal sex), for each simulation draw:

1. ``p_login`` ~ Beta prior of the band (``login_share``), messageable ~ Binomial(n, p_login);
2. ``p_notif`` ~ Beta (``notification_share``), notified ~ Binomial(messageable, p_notif);
3. time to read, separately for notified and not notified: a share ``read_share`` ~ Beta reads
   at all; of those, ``soon_share`` ~ Beta read with a log-normal time (``soon_median_hours``,
   ``soon_sigma``), the rest with a slower log-normal (``later_*``). Reads by each horizon are
   Binomial draws from the analytic CDF, drawn in sequence so that each draw is monotone.

So the interval reflects both chance (binomial) and doubt about the assumptions (Beta). Band
priors are independent of each other; the optional ``regional_level`` adds one normal shift
per draw on the logit scale, shared by every band's login share
(``p = expit(logit(p) + z sd - c)``), so that totals carry the doubt about the region as a
whole. The offset ``c`` of each prior centres the shift so that the share's mean stays the
prior mean: ``expected`` is still the product of prior means (and agrees with the read
curves); the shift only widens and correlates. A follow-up fit with its own strengths narrows
the priors.

Every random quantity is the inverse CDF of its own fixed stream of uniforms
(:mod:`inkorg_kit.reach.draws`): with the same seed, raising a login share never lowers
messageable or reads in any draw, so the bounds move with a slider instead of jittering.

Time is *active time*: calendar hours weighted by a daily rhythm (:mod:`inkorg_kit.hours.clock`).
:func:`simulate` counts each horizon from each person's own message: in active hours unless
``sent_at`` (one send time) or ``sends`` (the send plan) gives calendar time. The follow-up
deadline ("another channel after the follow-up") is, when a send time is known and
``follow_up_working_hours`` is given, that many working hours of the campaign's send windows
after each message (:func:`add_working_hours`), the same rule as the follow-up step; otherwise
the assumptions' ``follow_up_after_hours`` clock hours.

>>> result = simulate(pl.DataFrame({"age_band": ["65-74"], "n": [1000]}), draws=200)
>>> result.summary["measure"].cast(pl.String).to_list()[:4]
['target', 'messageable', 'notified', 'read_1h']
>>> round(result.summary.filter(pl.col("measure") == "messageable")["expected"].item())
800
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
from scipy import special

from inkorg_kit.config.assumptions import Assumptions, Share, load_assumptions
from inkorg_kit.config.windows import SendWindows
from inkorg_kit.hours.clock import ActiveClock, as_datetime, epoch_hours
from inkorg_kit.hours.working import add_working_hours
from inkorg_kit.reach.draws import Streams, beta_ppf, binomial_ppf, regional_offset
from inkorg_kit.reach.sends import send_label, send_times_frame
from inkorg_kit.reach.strata import target_strata
from inkorg_kit.vocab import BAND_OR_UNKNOWN

__all__ = ["MEASURE_LABELS", "ReachResult", "read_code", "read_label", "simulate"]

MEASURE_LABELS = {
    "target": "I målgruppen",
    "messageable": "Kan nås i 1177-inkorgen (aktiv inloggning)",
    "notified": "Får avisering (sms/e-post)",
    "no_login": "Annan kanal direkt (saknar aktiv inloggning)",
    "unread_at_reminder": "Oläst vid påminnelsen",
    "unread_at_follow_up": "Annan kanal efter uppföljning (oläst vid tidsgränsen)",
    "other_channel_total": "Annan kanal totalt",
}


def read_code(hours: float) -> str:
    """Measure code for "read within ``hours``", e.g. ``read_24h``."""
    return f"read_{hours:g}h"


def read_label(hours: float) -> str:
    """Swedish label for "read within ``hours``"."""
    if hours == 1:
        return "Läst inom 1 timme"
    if hours >= 168 and hours % 24 == 0:
        return f"Läst inom {hours / 24:g} dagar"
    return f"Läst inom {hours:g} timmar"


@dataclass(frozen=True)
class ReachResult:
    """Expected counts with intervals; aggregates only (no person-level data).

    ``summary``: one row per measure (``measure`` code, Swedish ``label``, ``expected``, ``low``
    and ``high`` at the ``interval`` quantiles rounded outward to whole people, ``share`` of
    the target); ``by_band``: the same per age band; ``strata``: the aggregated target;
    ``draws``: simulated totals, one row per draw and one column per measure (``measures``), or
    None. The follow-up deadline is ``follow_up_working_hours`` working hours after each
    message when set, else ``follow_up_after_hours`` clock hours; ``horizons_from`` says in
    Swedish what "read within" counts from (for captions). ``reminder_working_hours`` is the
    reminder's deadline when one was asked for (measure ``unread_at_reminder``), and
    ``reminder_in_working_hours`` says whether it was counted in working hours of the send
    windows (a send time was known) or in clock hours.
    """

    summary: pl.DataFrame
    by_band: pl.DataFrame
    strata: pl.DataFrame
    interval: tuple[float, float]
    horizons_hours: tuple[float, ...]
    follow_up_after_hours: float
    measures: tuple[str, ...]
    draws: np.ndarray | None = field(default=None, repr=False)
    follow_up_working_hours: float | None = None
    horizons_from: str = ""
    reminder_working_hours: float | None = None
    reminder_in_working_hours: bool = False

    def draws_frame(self) -> pl.DataFrame:
        """The simulated totals, one row per draw and one column per measure."""
        if self.draws is None:
            raise ValueError("this result was simulated with keep_draws=False")
        return pl.DataFrame(self.draws, schema=list(self.measures))


@dataclass(frozen=True)
class _Param:
    """Unique Beta priors, and for each stratum the index of its prior (``first``: the first
    stratum with each prior, whose uniform the prior's draw uses)."""

    shares: list[Share]
    index: np.ndarray
    first: np.ndarray

    @classmethod
    def build(cls, picks: Sequence[tuple[str, Share]]) -> _Param:
        keys: dict[str, int] = {}
        shares: list[Share] = []
        index = []
        for key, share in picks:
            if key not in keys:
                keys[key] = len(shares)
                shares.append(share)
            index.append(keys[key])
        index_array = np.asarray(index, dtype=np.intp)
        first = np.array([int(np.argmax(index_array == i)) for i in range(len(shares))])
        return cls(shares, index_array, first.astype(np.intp))

    def means(self) -> np.ndarray:
        return np.array([s.mean for s in self.shares])[self.index]

    def draw(self, u: np.ndarray, shift: np.ndarray | None = None, sd: float = 0.0) -> np.ndarray:
        """Draws x strata from the uniforms ``u`` (draws x strata): each prior drawn once per
        draw, at the uniform of its first stratum, so strata sharing a prior share the draw.

        ``shift`` (draws x 1, standard normal) moves every prior by ``sd`` on the logit scale,
        recentred per prior so that its mean stays the prior mean (:func:`regional_offset`).
        """
        mean = np.array([s.mean for s in self.shares])
        strength = np.array([s.strength for s in self.shares])
        p = beta_ppf(u[:, self.first], mean, strength)
        if shift is not None and sd > 0:
            offset = regional_offset(mean, strength, sd)
            p = np.where(
                (mean > 0) & (mean < 1), special.expit(special.logit(p) + sd * shift - offset), p
            )
        return p[:, self.index]


def _horizons(values: Iterable[float]) -> tuple[float, ...]:
    given = list(values)
    out = tuple(sorted({float(h) for h in given}))
    if not out or out[0] <= 0:
        raise ValueError(f"horizons_hours must be one or more hours above 0, got {given}")
    return out


def _sequential_reads(u: np.ndarray, pool: np.ndarray, cdf: np.ndarray) -> np.ndarray:
    """Reads by each horizon among ``pool``, monotone within a draw.

    ``cdf`` has shape (horizons, draws, strata): the share read by each horizon; ``u`` the
    same shape: the uniforms of the conditional binomial draws, step by step. Reads by each
    step never fall when the pool or the shares grow (common random numbers).
    """
    reads = np.zeros(cdf.shape, dtype=np.int64)
    done = np.zeros(pool.shape, dtype=np.int64)
    previous = np.zeros(pool.shape)
    for k in range(cdf.shape[0]):
        remaining = 1 - previous
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(remaining > 0, (cdf[k] - previous) / remaining, 0.0)
        done = done + binomial_ppf(u[k], pool - done, step)  # clips step to 0-1
        reads[k] = done
        previous = cdf[k]
    return reads


def _send_times(
    a: Assumptions, sent_at: Any, sends: Any
) -> tuple[np.ndarray, np.ndarray, str] | None:
    """Send times (epoch hours), each one's share of the messages, and a Swedish note on what
    the horizons count from; None without a calendar time."""
    zone = ZoneInfo(a.rhythm.timezone)
    if sent_at is not None and sends is not None:
        raise ValueError("give sent_at (one send time) or sends (the send plan), not both")
    if sent_at is not None:
        moment = as_datetime(sent_at, zone, "sent_at")
        note = f"från utskicket {send_label(moment)}, med dygnsrytmen"
        return epoch_hours([moment]), np.ones(1), note
    if sends is None:
        return None
    plan = send_times_frame(sends, zone).group_by("start").agg(pl.col("rows").sum()).sort("start")
    rows = plan["rows"].to_numpy().astype(float)
    if rows.sum() <= 0:
        raise ValueError("sends has no messages: give a send plan with rows above 0")
    note = "från varje persons eget meddelande enligt sändplanen, med dygnsrytmen"
    return plan["start"].dt.epoch("ms").to_numpy() / 3_600_000, rows / rows.sum(), note


def _deadlines(
    send_hours: np.ndarray, working_hours: float, windows: SendWindows | Mapping[str, Any] | None
) -> np.ndarray:
    """Epoch hours when ``working_hours`` of open send window have passed after each send."""
    starts = (
        pl.Series("start", np.round(send_hours * 3_600_000).astype(np.int64))
        .cast(pl.Datetime("ms", "UTC"))
        .dt.cast_time_unit("us")
    )
    ends = add_working_hours(starts, working_hours, windows)
    return ends.dt.epoch("ms").to_numpy() / 3_600_000


def _sorted_reads(u: np.ndarray, pool: np.ndarray, cdf: np.ndarray) -> np.ndarray:
    """:func:`_sequential_reads` for moments in any order (the follow-up deadline of a plan may
    fall between horizons): drawn in the order of each draw's read share, given back as asked.
    The k-th step in that order uses ``u[k]``."""
    order = np.argsort(cdf, axis=0, kind="stable")
    drawn = _sequential_reads(u, pool, np.take_along_axis(cdf, order, axis=0))
    reads = np.empty_like(drawn)
    np.put_along_axis(reads, order, drawn, axis=0)
    return reads


def simulate(
    target: Any,
    assumptions: Assumptions | Mapping[str, Any] | str | Path | None = None,
    *,
    draws: int = 2000,
    seed: int | None = 0,
    horizons_hours: Iterable[float] = (1, 24, 72, 168),
    interval: tuple[float, float] = (0.05, 0.95),
    sent_at: dt.datetime | str | None = None,
    sends: Any = None,
    follow_up_working_hours: float | None = None,
    windows: SendWindows | Mapping[str, Any] | None = None,
    keep_draws: bool = True,
    reminder_working_hours: float | None = None,
) -> ReachResult:
    """Expected counts with intervals: target, messageable, notified, read by each horizon,
    and those needing another channel at once (no login) and after the follow-up deadline.

    Vectorised over strata (age band x sex): one aggregation, then numpy arrays of shape
    (draws, strata). "Read within 24 hours" counts from each person's own message:

    * without a send time, horizons are active hours (see the module docstring);
    * ``sent_at`` (one send time; naive or ISO text = local time in the rhythm's zone): calendar
      hours after that moment, through the daily rhythm;
    * ``sends`` (a ``schedule.SendPlan`` or a frame with ``start`` and ``rows``): the same for
      every file's send time, weighted by its rows (everyone's file is equally likely to be
      theirs: the plan's files carry no age band).

    The follow-up deadline: with ``follow_up_working_hours`` (the campaign's
    ``followup.unread_after_working_hours``) and a send time, unread that many working hours
    of ``windows`` (the campaign's send windows; default weekdays 08-17) after each message, as
    the follow-up step counts it; otherwise the assumptions' ``follow_up_after_hours`` in clock
    hours.

    ``reminder_working_hours`` (strategy (b): a 1177 reminder to the unread) adds the measure
    ``unread_at_reminder``: messageable minus reads by a second deadline, counted like the
    follow-up one: that many working hours of ``windows`` after each message when a send time
    is known, else that many clock hours. Within every draw it is ordered with the horizons and
    the follow-up deadline (reads by a later moment are never fewer).
    """
    if draws < 1:
        raise ValueError(f"draws must be 1 or more, got {draws}")
    low_q, high_q = interval
    if not 0 <= low_q < high_q <= 1:
        raise ValueError(f"interval must be two quantiles 0 <= low < high <= 1, got {interval}")
    a = load_assumptions(assumptions)
    strata = target_strata(target)
    horizons = _horizons(horizons_hours)
    clock_follow_up = a.follow_up_after_hours.value
    timed = _send_times(a, sent_at, sends)
    if follow_up_working_hours is not None:
        working = float(follow_up_working_hours)
        if not (math.isfinite(working) and working > 0):
            raise ValueError(
                f"follow_up_working_hours must be above 0, got {follow_up_working_hours!r}"
            )
        if timed is None:
            raise ValueError(
                "follow_up_working_hours counts from a send time: give sent_at or sends "
                "(the send plan), or leave it out to use follow_up_after_hours (clock hours)"
            )
    if reminder_working_hours is not None:
        reminder = float(reminder_working_hours)
        if not (math.isfinite(reminder) and reminder > 0):
            raise ValueError(
                f"reminder_working_hours must be above 0, got {reminder_working_hours!r}"
            )
    extra = [] if reminder_working_hours is None else [reminder]  # clock hours without a time
    if timed is None:  # active hours: durations are the horizons themselves
        active = np.array([*horizons, clock_follow_up, *extra])[:, None]
        weights = np.ones(1)
        note = "i aktiva timmar från eget meddelande (ingen sändtid given)"
    else:
        send_hours, weights, note = timed
        if follow_up_working_hours is not None:
            follow_at = _deadlines(send_hours, working, windows)
        else:
            follow_at = send_hours + clock_follow_up
        if reminder_working_hours is not None:
            extra = [_deadlines(send_hours, reminder, windows)]
        ends = np.vstack([*(send_hours + h for h in horizons), follow_at, *extra])  # x sends
        clock = ActiveClock.between(a.rhythm, float(send_hours.min()), float(ends.max()))
        active = clock.active(ends) - clock.active(send_hours)[None, :]
    moments = len(horizons) + 1 + len(extra)  # the horizons, the follow-up, the reminder

    bands = strata["age_band"].cast(pl.String).to_list()
    sexes = strata["sex"].cast(pl.String).to_list()
    n = strata["n"].to_numpy().astype(np.int64)

    def picks(kind: str) -> list[tuple[str, Share]]:
        out = []
        for band, sex in zip(bands, sexes, strict=True):
            share, which = a.band(band).share(kind, sex)
            out.append((f"{band}|{which}", share))
        return out

    login, notif = _Param.build(picks("login_share")), _Param.build(picks("notification_share"))
    groups = {}
    for group in ("notified", "not_notified"):
        timing_key = [b if a.band(b).time_to_read is not None else "*" for b in bands]
        timings = [getattr(a.timing(b), group) for b in bands]
        read = _Param.build([(k, t.read_share) for k, t in zip(timing_key, timings, strict=True)])
        soon = _Param.build([(k, t.soon_share) for k, t in zip(timing_key, timings, strict=True)])
        # per stratum: the (soon, later) CDFs at each moment, mixed over the send times
        parts = [[c @ weights for c in t.components(active)] for t in timings]
        soon_cdf = np.array([p[0] for p in parts]).T.reshape(moments, 1, len(bands))
        later_cdf = np.array([p[1] for p in parts]).T.reshape(moments, 1, len(bands))
        groups[group] = (read, soon, soon_cdf, later_cdf)

    # expected values: products of prior means (the priors are independent, and the regional
    # shift is centred so that it leaves every login share's mean as it is)
    m_login, m_notif = login.means(), notif.means()
    expected = {"target": n.astype(float), "messageable": n * m_login}
    expected["notified"] = expected["messageable"] * m_notif
    expected_reads = np.zeros((moments, len(bands)))
    for group, pool_share in (("notified", m_notif), ("not_notified", 1 - m_notif)):
        read, soon, soon_cdf, later_cdf = groups[group]
        s = soon.means()
        cdf = read.means() * (s * soon_cdf[:, 0] + (1 - s) * later_cdf[:, 0])
        expected_reads += expected["messageable"] * pool_share * cdf

    # draws: every random quantity is the quantile of its own stream of uniforms (common
    # random numbers), so the bounds move with the assumptions
    streams = Streams(seed)
    size = (draws, len(bands))
    regional_sd = a.regional_level.login_sd_logit.value if a.regional_level is not None else 0.0
    shift = streams.normal("regional_level.login", (draws, 1))  # one per draw, for every stratum
    p_login = login.draw(streams.uniform("login_share", size), shift, regional_sd)
    p_notif = notif.draw(streams.uniform("notification_share", size))
    messageable = binomial_ppf(streams.uniform("messageable", size), n, p_login)
    notified = binomial_ppf(streams.uniform("notified", size), messageable, p_notif)
    reads = np.zeros((moments, *size), dtype=np.int64)
    for group, pool in (("notified", notified), ("not_notified", messageable - notified)):
        read, soon, soon_cdf, later_cdf = groups[group]
        r = read.draw(streams.uniform(f"{group}.read_share", size))
        s = soon.draw(streams.uniform(f"{group}.soon_share", size))
        u = streams.uniform(f"{group}.reads", (moments, *size))
        reads += _sorted_reads(u, pool, r * (s * soon_cdf + (1 - s) * later_cdf))

    follow_i = len(horizons)
    drawn = {
        "target": np.broadcast_to(n, size),
        "messageable": messageable,
        "notified": notified,
        **{read_code(h): reads[i] for i, h in enumerate(horizons)},
        "no_login": np.broadcast_to(n, size) - messageable,
        **({"unread_at_reminder": messageable - reads[follow_i + 1]} if extra else {}),
        "unread_at_follow_up": messageable - reads[follow_i],
    }
    drawn["other_channel_total"] = drawn["no_login"] + drawn["unread_at_follow_up"]
    expected.update({read_code(h): expected_reads[i] for i, h in enumerate(horizons)})
    expected["no_login"] = n - expected["messageable"]
    expected["unread_at_follow_up"] = expected["messageable"] - expected_reads[follow_i]
    if extra:
        expected["unread_at_reminder"] = expected["messageable"] - expected_reads[follow_i + 1]
    expected["other_channel_total"] = expected["no_login"] + expected["unread_at_follow_up"]

    codes = tuple(drawn)
    labels = {**MEASURE_LABELS, **{read_code(h): read_label(h) for h in horizons}}
    if follow_up_working_hours is not None:
        rule = f"oläst {working:g} arbetstimmar i sändfönstren"
    else:
        rule = f"oläst {clock_follow_up:g} klocktimmar"
    labels["unread_at_follow_up"] = f"Annan kanal efter uppföljning ({rule})"
    if extra:
        unit = "arbetstimmar i sändfönstren" if timed is not None else "klocktimmar"
        labels["unread_at_reminder"] = f"Oläst vid påminnelsen ({reminder:g} {unit})"
    stacked = np.stack([drawn[c] for c in codes], axis=-1)  # draws x strata x measures
    mean_stacked = np.stack([expected[c] for c in codes], axis=-1)  # strata x measures

    # the total (first) and each age band in order of appearance, all quantiles at once
    band_labels = list(dict.fromkeys(bands))
    member = np.zeros((len(bands), 1 + len(band_labels)))
    member[:, 0] = 1.0
    for j, label in enumerate(band_labels):
        member[[b == label for b in bands], 1 + j] = 1.0
    totals = np.einsum("dsm,sg->dgm", stacked.astype(float), member)  # exact: whole numbers
    low, high = np.quantile(totals, [low_q, high_q], axis=0)  # groups x measures
    exp = member.T @ mean_stacked
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(exp[:, :1] > 0, exp / exp[:, :1], 0.0)

    schema = {
        "measure": pl.Enum(codes),
        "label": pl.String,
        "expected": pl.Float64,
        "low": pl.Float64,
        "high": pl.Float64,
        "share": pl.Float64,
    }

    def frame(rows: slice) -> dict[str, Any]:
        groups = len(range(1 + len(band_labels))[rows])
        return {
            "measure": list(codes) * groups,
            "label": [labels[c] for c in codes] * groups,
            "expected": exp[rows].ravel(),
            "low": np.floor(low[rows]).ravel(),  # whole people, rounded outward
            "high": np.ceil(high[rows]).ravel(),
            "share": share[rows].ravel(),
        }

    summary = pl.DataFrame(frame(slice(0, 1)), schema=schema)
    by_band = pl.DataFrame(
        {"age_band": [label for label in band_labels for _ in codes], **frame(slice(1, None))},
        schema={"age_band": BAND_OR_UNKNOWN, **schema},
    )
    return ReachResult(
        summary=summary,
        by_band=by_band,
        strata=strata,
        interval=(low_q, high_q),
        horizons_hours=horizons,
        follow_up_after_hours=clock_follow_up,
        measures=codes,
        draws=stacked.sum(axis=1) if keep_draws else None,
        follow_up_working_hours=working if follow_up_working_hours is not None else None,
        horizons_from=note,
        reminder_working_hours=reminder if extra else None,
        reminder_in_working_hours=bool(extra) and timed is not None,
    )
