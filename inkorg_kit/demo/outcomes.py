"""A synthetic outcome extract for the demo: bookings after the message, by read status and age.

Why: the demo's notebook 04 and report show the outcome follow-up ("did they book?"), which
needs an extract like a booking system's. This module reads the run folder's status export
through the kit's own reconcile, draws for every resident whether and when they booked, and
writes a CSV as a booking system exports it (``Personnummer;Bokningsdatum;Åtgärd``, private).

The truth, within 30 days of the message: read about 45 %, unread about 20 %, letter (no
login, reached by post) about 25 %, a little lower under 50 and a little higher from 65
(Assumption: invented to look like a recall campaign, not measured). Times: those who read
book within days, the unread later, letters after the post has arrived. Some of them book only
after the horizon, some book twice, other patients of the unit book too (not recipients), a
few bookings predate the message, and a few are other visits (``Annat besök``), so that every
fate of :mod:`inkorg_kit.followup.uptake` occurs.
"""

from __future__ import annotations

import datetime as dt
import io as stdio
import os
from pathlib import Path

import numpy as np
import polars as pl

from inkorg_kit._files import ensure_private_dir, write_private_bytes
from inkorg_kit.config.campaign import Campaign
from inkorg_kit.followup import load_status, reconcile
from inkorg_kit.followup.uptake import status_groups

__all__ = ["OUTCOME_SHARES", "outcome_extract", "write_outcome_extract"]

#: The share who book within 30 days, by status group (Assumption: invented, see module).
OUTCOME_SHARES = {"read": 0.45, "unread": 0.20, "letter": 0.25, "unknown": 0.20, "not_sent": 0.1}
_MEAN_DAYS = {"read": 4.0, "unread": 10.0, "letter": 9.0, "unknown": 10.0, "not_sent": 12.0}
_LAG_DAYS = {"letter": 4.0}  # the letter goes out and arrives first
_AGE_FACTOR = {"40-49": 0.85, "50-59": 0.95, "60-64": 1.0, "65-74": 1.12, "75+": 1.12}
_KIND = "Blodtryckskontroll"
_OTHER_KIND = "Annat besök"


def _non_recipients(n: int, rng: np.random.Generator, taken: set[str]) -> list[str]:
    from importlib.resources import files

    text = files("inkorg_kit").joinpath("data/testpersonnummer.csv").read_text(encoding="utf-8")
    pool = [x for x in text.split()[1:] if f"{x[:8]}-{x[8:]}" not in taken]
    picks = rng.choice(len(pool), size=min(n, len(pool)), replace=False)
    return [pool[int(i)] for i in picks]


def outcome_extract(
    run_dir: str | os.PathLike[str],
    campaign: Campaign,
    *,
    seed: int = 0,
    horizon_days: int = 30,
) -> pl.DataFrame:
    """The bookings of the campaign's residents (and of others) as a frame of text columns."""
    rng = np.random.default_rng(seed)
    outcomes = reconcile(load_status(None, campaign, run_dir=run_dir), run_dir)
    # in personnummer order: the same seed gives the same bookings, whatever order reconcile
    # returns its residents in
    people = outcomes.people.filter(pl.col("in_campaign")).sort("pnr")
    start = people["sent_at"].drop_nulls().min()
    if start is None:
        start = dt.datetime.combine(campaign.planned_send_start.date(), dt.time(9))
    people = people.with_columns(
        status_groups(people, None),
        pl.col("sent_at").fill_null(start).dt.date().alias("_day"),
    )
    group, band = pl.col("status_group"), pl.col("age_band").cast(pl.String)
    per_person = people.select(  # whole columns: the recipients may be a whole region
        (
            group.replace_strict(OUTCOME_SHARES, return_dtype=pl.Float64)
            * band.replace_strict(_AGE_FACTOR, default=1.0, return_dtype=pl.Float64).fill_null(1.0)
        ).alias("share"),
        group.replace_strict(_MEAN_DAYS, return_dtype=pl.Float64).alias("mean"),
        group.replace_strict(_LAG_DAYS, default=0.0, return_dtype=pl.Float64).alias("lag"),
    )
    share, mean, lag = (per_person[c].to_numpy() for c in ("share", "mean", "lag"))
    # the share within the horizon is `share`: draw a time, and whether they book at all
    p_within = 1 - np.exp(-np.maximum(horizon_days - lag, 0) / mean)
    books = rng.random(people.height) < np.clip(share / p_within * 1.05, 0, 1)
    days = np.floor(lag + rng.exponential(mean)).astype(np.int64)
    first_day = people["_day"].to_numpy()
    day = first_day + days.astype("timedelta64[D]")
    numbers = people["pnr"].to_numpy()
    twice = books & (rng.random(people.height) < 0.05)
    earlier = rng.random(people.height) < 0.03
    rows_pnr = [
        numbers[books],
        numbers[twice],
        numbers[earlier],
    ]
    rows_day = [
        day[books],
        day[twice] + rng.integers(1, 10, twice.sum()).astype("timedelta64[D]"),
        first_day[earlier] - rng.integers(5, 60, earlier.sum()).astype("timedelta64[D]"),
    ]
    others = _non_recipients(max(people.height // 8, 5), rng, set(numbers.tolist()))
    rows_pnr.append(np.array(others, dtype=object))
    rows_day.append(
        np.datetime64(start.date())
        + rng.integers(-20, horizon_days + 10, len(others)).astype("timedelta64[D]")
    )
    all_pnr = np.concatenate(rows_pnr).astype(object)
    all_day = np.concatenate(rows_day).astype("datetime64[D]")
    kind = np.where(rng.random(len(all_pnr)) < 0.04, _OTHER_KIND, _KIND)
    order = rng.permutation(len(all_pnr))
    frame = pl.DataFrame(
        {
            "Personnummer": pl.Series(all_pnr[order].astype(str)).str.replace_all("-", ""),
            "Bokningsdatum": pl.Series(all_day[order]).cast(pl.String),
            "Åtgärd": kind[order],
        }
    )
    return frame


def write_outcome_extract(
    run_dir: str | os.PathLike[str], campaign: Campaign, *, seed: int = 0
) -> Path | None:
    """Write :func:`outcome_extract` where the campaign's ``followup.outcome.source`` names
    (a file; counted from the campaign's folder), private; None without such a source."""
    spec = campaign.followup.outcome
    if spec is None or not isinstance(spec.source, str):
        return None
    path = Path(spec.source).expanduser()
    if not path.is_absolute() and campaign.folder is not None:
        path = Path(os.path.normpath(campaign.folder / path))
    frame = outcome_extract(run_dir, campaign, seed=seed, horizon_days=spec.horizon_days or 30)
    buffer = stdio.StringIO()
    frame.write_csv(buffer, separator=";", line_terminator="\r\n")
    ensure_private_dir(path.parent, tighten=True)
    write_private_bytes(path, ("\ufeff" + buffer.getvalue()).encode("utf-8"))
    return path
