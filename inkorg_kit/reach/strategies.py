"""Follow-up strategies side by side: reads, letters, reminders, handler time and cost, each
with an interval from the reach model's draws.

Why: the planner's questions ("if we send a 1177 reminder before the letter, how many letters
do we save; what does it cost against paper; can the handlers make it by the date?") are
answered from the same simulation as the reach table, so the strategies are compared on the
same draws (common random numbers: one :func:`~inkorg_kit.reach.simulate` run, one seed) and a
difference between them is not noise between two runs. The strategies:

* ``letter`` (a): the 1177 message; a letter to everyone still unread N working hours after
  their message. Those without an active login (their send fails) are on the same follow-up
  list and get their letter at the same time, N working hours after their file was sent.
* ``reminder`` (b): the 1177 message; a 1177 reminder to the still unread R working hours after
  it; a letter to those still unread after N (and, as in (a), to those without a login).
* ``letter_first`` (c): as (a), but those without an active login get their letter at once:
  Personalverktyget reports the failed send when the handler sends the file, so the letter can
  go the same day. The same letters as (a), sooner.

The reminder's effect is an assumption (``reminder:`` in the reach defaults): of those still
unread at the reminder, a share q ~ Beta reads because of it, after a log-normal time in active
hours from the reminder; a person reads at the earlier of their own time and the reminder's.
Within each draw, of the U still unread at a moment t after the reminder, Binomial(U, q F(t))
read because of the reminder, F the reminder's time-to-read CDF at t mixed over the plan's
files by their rows; the moments are drawn in sequence (:func:`_reminder_reads`), so a later
moment never has fewer reads than an earlier one. Letters (b) = letters (a) minus those, so
(b) never has more letters than (a) in a draw.

Counts: 1177 messages are those that reach an inbox (active login) plus reminders; files are
at most ``part_size`` each (the reminder wave: the still-unread of each send day's files
merged, as the send plan makes them); handler hours = files x minutes per file; letters cost
postage and handling. Speed: one simulation (strata x draws) plus arrays of files x 4 times
and draws x reminder days, no loop over people or files: about 0.3 s for a demo campaign at
2 000 draws once warm (the first call builds the working-hours tables), and about the same for
a whole region (a million people in 4 000 files), since the work grows with strata, files and
draws, not with people.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
from scipy.special import ndtr

from inkorg_kit.config.assumptions import Assumptions, Costs, ReminderEffect, load_assumptions
from inkorg_kit.config.planning import (
    STRATEGY_CODES,
    reminder_effect,
    resolve_costs,
    strategy_label,
)
from inkorg_kit.config.windows import SendWindows, as_windows
from inkorg_kit.hours.clock import ActiveClock, series_epoch_hours
from inkorg_kit.hours.holidays import days_off
from inkorg_kit.hours.working import add_working_hours
from inkorg_kit.reach.simulate import ReachResult, simulate
from inkorg_kit.sending.capacity import Capacity, capacity
from inkorg_kit.sending.plan_csv import FIRST_WAVE
from inkorg_kit.vocab import MAX_PART_SIZE

if TYPE_CHECKING:
    from inkorg_kit.config.campaign import Campaign

__all__ = [
    "ALL_LETTERS",
    "MEASURES",
    "READ_DAYS",
    "StrategyComparison",
    "compare_for_campaign",
    "compare_strategies",
    "letter_delivered",
]

#: The baseline: everything by letter, no 1177 message (for the cost comparison).
ALL_LETTERS = "all_letters"
ALL_LETTERS_LABEL = "Allt med brev (jämförelse)"
#: Reads in 1177 are counted by these days after each person's own message (calendar days).
READ_DAYS = (1, 3, 7)
#: Measure code -> the label users see.
MEASURES: dict[str, str] = {
    "read_1d": "Läst i 1177 inom 1 dag",
    "read_3d": "Läst i 1177 inom 3 dagar",
    "read_7d": "Läst i 1177 inom 7 dagar",
    "letters": "Brev att skriva ut",
    "letters_no_login": "varav till dem utan aktiv inloggning",
    "letters_unread": "varav till olästa",
    "reminders": "Påminnelser i 1177",
    "messages_1177": "Meddelanden i 1177 totalt (med påminnelser)",
    "first_wave_files": "Filer i första utskicket",
    "reminder_files": "Filer med påminnelser",
    "handler_hours": "Handläggartimmar",
    "cost_1177": "Kostnad 1177-meddelanden (kr)",
    "cost_letters": "Kostnad brev, porto och hantering (kr)",
    "cost_handlers": "Kostnad handläggare (kr)",
    "cost_total": "Kostnad totalt (kr)",
    "saving_vs_letters": "Besparing mot allt med brev (kr)",
}
_COUNTS = frozenset(
    {
        "read_1d",
        "read_3d",
        "read_7d",
        "letters",
        "letters_no_login",
        "letters_unread",
        "reminders",
        "messages_1177",
        "first_wave_files",
        "reminder_files",
    }
)
_TABLE_SCHEMA = {
    "strategy": pl.String,
    "strategy_label": pl.String,
    "measure": pl.String,
    "label": pl.String,
    "expected": pl.Float64,
    "low": pl.Float64,
    "high": pl.Float64,
}


@dataclasses.dataclass(frozen=True)
class StrategyComparison:
    """The strategies compared; aggregates only (no person-level data).

    ``table``: one row per strategy and measure (:data:`MEASURES`): ``strategy`` code,
    ``strategy_label`` (Swedish), ``measure``, ``label``, ``expected`` (mean over the draws),
    ``low`` and ``high`` at the ``interval`` quantiles (counts rounded outward to whole people
    and files); the last strategy is :data:`ALL_LETTERS`, the all-by-letter baseline (letters and
    cost only, no interval). ``dates``: per strategy the first and last letter posted, the day
    the last letter arrives and when the handlers' sending is done. ``draws``: per strategy one
    row per draw, one column per measure. ``capacity``: per strategy the handler capacity (at
    the interval's high count of reminder files, to plan on the safe side).
    """

    table: pl.DataFrame
    dates: pl.DataFrame
    draws: Mapping[str, pl.DataFrame]
    capacity: Mapping[str, Capacity]
    reach: ReachResult
    costs: Costs
    reminder: ReminderEffect
    unread_after_working_hours: float
    reminder_after_working_hours: float
    interval: tuple[float, float]
    strategies: tuple[str, ...]

    def measure(self, strategy: str, code: str) -> dict[str, float]:
        """``expected``, ``low`` and ``high`` of one measure of one strategy."""
        row = self.table.filter((pl.col("strategy") == strategy) & (pl.col("measure") == code))
        if row.height != 1:
            raise KeyError(f"no measure {code!r} for strategy {strategy!r}")
        return {k: row[k].item() for k in ("expected", "low", "high")}

    def label(self, strategy: str) -> str:
        """The Swedish label of ``strategy`` with this comparison's deadlines."""
        if strategy == ALL_LETTERS:
            return ALL_LETTERS_LABEL
        return strategy_label(
            strategy, self.unread_after_working_hours, self.reminder_after_working_hours
        )

    def warnings(self) -> list[str]:
        """Swedish warnings of the handler capacity (not by ``finish_by``, a whole region),
        each said once, with the strategy named where it differs between them."""
        out: list[str] = []
        for code in self.strategies:
            for text in self.capacity[code].warnings():
                region = text.startswith("Hela regionen")
                line = text if region else f"{self.label(code)}: {text}"
                if line not in out:
                    out.append(line)
        return out


# --------------------------------------------------------------------------- inputs


def _first_wave(sends: Any, windows: SendWindows) -> pl.DataFrame:
    """The first wave's files as ``start``, ``end`` (local, tz-aware) and ``rows``."""
    frame = sends.files if isinstance(getattr(sends, "files", None), pl.DataFrame) else sends
    if not isinstance(frame, pl.DataFrame):
        frame = pl.DataFrame(frame)
    if "wave" in frame.columns:
        frame = frame.filter(pl.col("wave") == FIRST_WAVE)
    missing = [c for c in ("start", "rows") if c not in frame.columns]
    if missing:
        raise ValueError(
            f"sends needs columns start and rows (the send plan's files); missing {missing}"
        )
    if frame.height == 0 or frame["rows"].sum() <= 0:
        raise ValueError("sends has no messages: give the send plan of the first wave")
    zone = str(windows.zone.key)

    def local(name: str) -> pl.Expr:
        col = pl.col(name)
        if frame.schema[name] == pl.String:
            col = col.str.to_datetime(time_unit="us")
            dtype: Any = pl.Datetime("us")
        else:
            dtype = frame.schema[name]
        if getattr(dtype, "time_zone", None) is None:
            return col.dt.replace_time_zone(zone, ambiguous="earliest").alias(name)
        return col.dt.convert_time_zone(zone).alias(name)

    end = local("end") if "end" in frame.columns else local("start").alias("end")
    return frame.select(local("start"), end, pl.col("rows").cast(pl.Int64)).sort("start")


def _lognormal_cdf(hours: np.ndarray, median: float, sigma: float) -> np.ndarray:
    h = np.asarray(hours, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (np.log(np.where(h > 0, h, 1.0)) - math.log(median)) / sigma
    return np.where(h > 0, ndtr(z), 0.0)


def letter_delivered(posted: dt.date, days: float) -> dt.date:
    """The day a letter posted on ``posted`` arrives, ``days`` postal working days later
    (Monday-Friday outside public holidays and the three eves; part days round up).

    >>> letter_delivered(dt.date(2027, 3, 19), 2)  # a Friday: Tuesday
    datetime.date(2027, 3, 23)
    """
    off = days_off(range(posted.year, posted.year + 2))
    day, left = posted, math.ceil(days - 1e-9)
    while left > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day not in off:
            left -= 1
    return day


def _reminder_reads(
    rng: np.random.Generator, pools: Sequence[np.ndarray], reach: Sequence[float], q: np.ndarray
) -> list[np.ndarray]:
    """Reads because of the reminder, per draw, among ``pools[k]`` (those still unread without
    it at moment k) with probability ``q * reach[k]``: each exactly Binomial, and drawn in
    sequence so that within a draw the reads by a later moment never fall below an earlier
    one's (a person who read stays read).

    In the order of ``reach``, the earlier moment's reminder readers still in the smaller later
    pool are a hypergeometric draw (Binomial(pool, p_before) overall), and of the rest a share
    (p - p_before) / (1 - p_before) reads in between: Binomial(pool, p) in all.
    """
    out: list[np.ndarray] = [np.zeros_like(q)] * len(pools)
    last_pool = last_read = last_p = None
    for k in np.argsort(np.asarray(reach), kind="stable"):
        pool = np.asarray(pools[k]).astype(np.int64)
        p = np.clip(q * reach[k], 0.0, 1.0)
        if last_pool is None:
            read = rng.binomial(pool, p)
        else:
            pool = np.minimum(pool, last_pool)  # the later pool is part of the earlier one
            kept = rng.hypergeometric(last_read, last_pool - last_read, pool)
            with np.errstate(divide="ignore", invalid="ignore"):
                step = np.where(last_p < 1, (p - last_p) / (1 - last_p), 0.0)
            read = kept + rng.binomial(pool - kept, np.clip(step, 0.0, 1.0))
        out[int(k)] = read.astype(float)
        last_pool, last_read, last_p = pool, read, p
    return out


def _quantiles(values: np.ndarray, interval: tuple[float, float], whole: bool) -> tuple:
    lo, hi = np.quantile(values, interval)
    if whole:
        return float(values.mean()), float(np.floor(lo)), float(np.ceil(hi))
    return float(values.mean()), float(lo), float(hi)


# --------------------------------------------------------------------------- the comparison


def compare_strategies(
    target: Any,
    assumptions: Assumptions | Mapping[str, Any] | str | Path | None = None,
    *,
    sends: Any,
    unread_after_working_hours: float = 24,
    reminder_after_working_hours: float = 9,
    windows: SendWindows | Mapping[str, Any] | None = None,
    costs: Costs | None = None,
    reminder: ReminderEffect | None = None,
    part_size: int = MAX_PART_SIZE,
    minutes_per_file: float = 5.0,
    handlers: int = 1,
    finish_by: dt.date | str | None = None,
    max_messages_per_day: int | None = None,
    draws: int = 2000,
    seed: int | None = 0,
    interval: tuple[float, float] = (0.05, 0.95),
    strategies: Iterable[str] = STRATEGY_CODES,
    first_wave_done: dt.datetime | None = None,
) -> StrategyComparison:
    """Compare the follow-up strategies on the same draws of the reach model.

    ``target``: the target group or its strata (as :func:`~inkorg_kit.reach.simulate` takes
    it); ``sends``: the send plan (a ``SendPlan`` or a frame with ``start``, ``rows`` and
    optionally ``end``; a reminder wave in it is left out: this module reckons its own).
    ``costs`` and ``reminder`` default to those of ``assumptions`` (else the reach defaults);
    ``first_wave_done`` is the send plan's end (taken from a ``SendPlan`` when not given).
    """
    chosen = tuple(dict.fromkeys(strategies))
    unknown = [s for s in chosen if s not in STRATEGY_CODES]
    if unknown or not chosen:
        raise ValueError(
            f"strategies {unknown or '(none)'} unknown; choose from {', '.join(STRATEGY_CODES)}"
        )
    n_hours, r_hours = float(unread_after_working_hours), float(reminder_after_working_hours)
    if not 0 < n_hours < 1e5:
        raise ValueError(f"unread_after_working_hours must be above 0, got {n_hours:g}")
    if not 0 < r_hours < n_hours:
        raise ValueError(
            f"reminder_after_working_hours ({r_hours:g}) must be above 0 and below "
            f"unread_after_working_hours ({n_hours:g}): the reminder comes before the letter"
        )
    if isinstance(part_size, bool) or not 1 <= int(part_size) <= MAX_PART_SIZE:
        raise ValueError(f"part_size must be 1 to {MAX_PART_SIZE}, got {part_size!r}")
    a = load_assumptions(assumptions)
    w = as_windows(windows)
    price = costs if costs is not None else resolve_costs(a)
    effect = reminder if reminder is not None else reminder_effect(a)
    files = _first_wave(sends, w)
    if first_wave_done is None and hasattr(sends, "end") and isinstance(sends.end, dt.datetime):
        first_wave_done = sends.end

    reach = simulate(
        target,
        a,
        draws=draws,
        seed=seed,
        horizons_hours=[24 * d for d in READ_DAYS],
        interval=interval,
        sends=files.select("start", "rows"),
        follow_up_working_hours=n_hours,
        reminder_working_hours=r_hours,
        windows=w,
        keep_draws=True,
    )
    drawn = reach.draws_frame()
    col = {c: drawn[c].to_numpy().astype(float) for c in drawn.columns}
    n_people = col["target"]
    messageable, no_login = col["messageable"], col["no_login"]
    unread_n, unread_r = col["unread_at_follow_up"], col["unread_at_reminder"]
    read = {d: col[f"read_{24 * d:g}h"] for d in READ_DAYS}

    # ---- each file's moments: the reminder, the letter deadline, the read horizons
    starts = files["start"]
    weights = files["rows"].to_numpy() / files["rows"].sum()
    sent_h = series_epoch_hours(starts)
    remind = add_working_hours(starts, r_hours, w)
    letter = add_working_hours(starts, n_hours, w)
    remind_h, letter_h = series_epoch_hours(remind), series_epoch_hours(letter)
    clock = ActiveClock.between(a.rhythm, float(sent_h.min()), float(letter_h.max()) + 24 * 8)
    median, sigma = effect.median_hours.value, effect.sigma.value

    def after_reminder(moments: np.ndarray) -> float:
        """The reminder's time-to-read CDF at ``moments`` (per file), mixed by rows."""
        gap = clock.active(moments) - clock.active(remind_h)
        return float(weights @ _lognormal_cdf(gap, median, sigma))

    reach_by = {d: after_reminder(sent_h + 24 * d) for d in READ_DAYS}
    reach_letter = after_reminder(letter_h)

    rng = np.random.default_rng(None if seed is None else (seed, 14))
    share = effect.read_share
    if 0 < share.mean < 1:
        q = rng.beta(share.mean * share.strength, (1 - share.mean) * share.strength, len(n_people))
    else:
        q = np.full(len(n_people), share.mean)
    by_reminder = _reminder_reads(
        rng,
        [messageable - read[d] for d in READ_DAYS] + [unread_n],
        [reach_by[d] for d in READ_DAYS] + [reach_letter],
        q,
    )
    extra = dict(zip(READ_DAYS, by_reminder[:-1], strict=True))
    saved = by_reminder[-1]

    # ---- reminder files: each send day's still-unread merged, at most part_size a file
    due_day = (
        add_working_hours(files["end"], r_hours, w).dt.date().to_numpy()
        if files.height
        else np.array([])
    )
    days, day_index = np.unique(due_day, return_inverse=True)
    day_weight = np.bincount(day_index, weights=weights, minlength=len(days))
    reminder_files = np.ceil(unread_r[:, None] * day_weight[None, :] / int(part_size) - 1e-9)
    reminder_files = reminder_files.clip(min=0).sum(axis=1)
    first_files = float(files.height)
    per_file_hours = minutes_per_file / 60

    cost_letter = price.postage_per_letter.value + price.handling_per_letter.value
    baseline = n_people * cost_letter

    def totals(code: str) -> dict[str, np.ndarray]:
        with_reminder = code == "reminder"
        unread_letters = unread_n - saved if with_reminder else unread_n
        reminders = unread_r if with_reminder else np.zeros_like(unread_r)
        out = {
            "read_1d": read[1] + (extra[1] if with_reminder else 0),
            "read_3d": read[3] + (extra[3] if with_reminder else 0),
            "read_7d": read[7] + (extra[7] if with_reminder else 0),
            "letters": no_login + unread_letters,
            "letters_no_login": no_login,
            "letters_unread": unread_letters,
            "reminders": reminders,
            "messages_1177": messageable + reminders,
            "first_wave_files": np.full_like(n_people, first_files),
            "reminder_files": reminder_files if with_reminder else np.zeros_like(n_people),
        }
        out["handler_hours"] = (out["first_wave_files"] + out["reminder_files"]) * per_file_hours
        out["cost_1177"] = out["messages_1177"] * price.message_price.value
        out["cost_letters"] = out["letters"] * cost_letter
        out["cost_handlers"] = out["handler_hours"] * price.handler_cost_per_hour.value
        out["cost_total"] = out["cost_1177"] + out["cost_letters"] + out["cost_handlers"]
        out["saving_vs_letters"] = baseline - out["cost_total"]
        return {k: np.asarray(v, dtype=float) for k, v in out.items()}

    labels = {s: strategy_label(s, n_hours, r_hours) for s in chosen} | {
        ALL_LETTERS: ALL_LETTERS_LABEL
    }
    rows: list[tuple] = []
    per_draw: dict[str, pl.DataFrame] = {}
    for code in chosen:
        values = totals(code)
        per_draw[code] = pl.DataFrame(values)
        for measure, v in values.items():
            exp, lo, hi = _quantiles(v, interval, measure in _COUNTS)
            rows.append((code, labels[code], measure, MEASURES[measure], exp, lo, hi))
    base_exp = float(n_people.mean())  # the target is fixed: no interval
    for measure, value in (
        ("letters", base_exp),
        ("cost_letters", base_exp * cost_letter),
        ("cost_total", base_exp * cost_letter),
    ):
        rows.append(
            (ALL_LETTERS, ALL_LETTERS_LABEL, measure, MEASURES[measure], value, value, value)
        )
    table = pl.DataFrame(rows, schema=_TABLE_SCHEMA, orient="row")

    # ---- dates and capacity, from the plan
    zone = w.zone
    first_letter = letter.min()
    last_letter = letter.max()
    delivery = price.letter_delivery_days.value
    last_remind = remind.max() if "reminder" in chosen else None
    start = starts.min()
    messages = int(files["rows"].sum())
    cap: dict[str, Capacity] = {}
    date_rows = []
    for code in chosen:
        k = int(np.ceil(np.quantile(reminder_files, interval[1]))) if code == "reminder" else 0
        cap[code] = capacity(
            files.height,
            k,
            minutes_per_file=minutes_per_file,
            handlers=handlers,
            start=start,
            windows=w,
            finish_by=finish_by,
            first_wave_done=first_wave_done,
            last_reminder_due=last_remind if code == "reminder" else None,
            messages=messages + (int(np.quantile(unread_r, interval[1])) if k else 0),
            max_messages_per_day=max_messages_per_day,
        )
        first = files["end"].min() if code == "letter_first" else first_letter
        date_rows.append(
            {
                "strategy": code,
                "strategy_label": labels[code],
                "first_letter_at": first,
                "last_letter_at": last_letter,
                "last_letter_delivered": letter_delivered(last_letter.date(), delivery),
                "sending_done_at": cap[code].done_at.astimezone(zone),
            }
        )
    dates = pl.DataFrame(date_rows).with_columns(
        pl.col("first_letter_at", "last_letter_at", "sending_done_at").dt.convert_time_zone(
            str(zone.key)
        )
    )
    return StrategyComparison(
        table=table,
        dates=dates,
        draws=per_draw,
        capacity=cap,
        reach=reach,
        costs=price,
        reminder=effect,
        unread_after_working_hours=n_hours,
        reminder_after_working_hours=r_hours,
        interval=interval,
        strategies=chosen,
    )


def compare_for_campaign(
    campaign: Campaign,
    target: Any,
    sends: Any,
    assumptions: Assumptions | Mapping[str, Any] | str | Path | None = None,
    *,
    draws: int = 2000,
    seed: int | None = 0,
    strategies: Sequence[str] = STRATEGY_CODES,
    handlers: int | None = None,
    minutes_per_file: float | None = None,
    unread_after_working_hours: float | None = None,
    reminder_after_working_hours: float | None = None,
    windows: SendWindows | None = None,
) -> StrategyComparison:
    """:func:`compare_strategies` with the campaign's deadlines (its own or its category's),
    costs, send windows and ``sending`` block; a given value (a slider) wins."""
    a = load_assumptions(assumptions)
    d = campaign.deadlines(a)
    n = unread_after_working_hours or d.unread_after_working_hours
    r = reminder_after_working_hours or d.reminder_after_working_hours
    if r >= n and not reminder_after_working_hours:  # a shorter N from a slider: R keeps its ratio
        r = n * d.reminder_after_working_hours / d.unread_after_working_hours
    s = campaign.sending
    return compare_strategies(
        target,
        a,
        sends=sends,
        unread_after_working_hours=n,
        reminder_after_working_hours=r,
        windows=windows or campaign.send_windows,
        costs=campaign.strategy_costs(a),
        part_size=s.part_size,
        minutes_per_file=minutes_per_file or s.minutes_per_file,
        handlers=handlers or s.handlers,
        finish_by=s.finish_by,
        max_messages_per_day=s.max_messages_per_day,
        draws=draws,
        seed=seed,
        strategies=strategies,
    )
