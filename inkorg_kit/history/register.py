"""The campaign register: each finished campaign's aggregates, kept for the next campaigns.

Why a register: every campaign used to start from the national priors, though the region has
its own history (login shares by age band, how fast its residents read, which send hours
work). Step 04 records a campaign here (:func:`record_campaign`) and step 03 pools the
records into priors (:mod:`inkorg_kit.history.pooling`).

What it holds: aggregates only, never personnummer (:func:`record_campaign` scans every text
cell before writing and refuses one that looks like a personnummer). Small counts are kept,
since the register is the analyst's local data and the pooling needs them; nothing in it is
published without :mod:`inkorg_kit.report`'s disclosure control.

Format: a folder of Parquet files, one per campaign (``<register>/<campaign>.parquet``, written
atomically and owner-only), so that recording a campaign again replaces only its own file and
a crash never leaves half a register. Each file is one long table, one row per ``section``:

* ``band``: per age band the sizes (``in_files``, ``sent``, ``failed``, ``delivered``, ``read``,
  ``unread``, ``unknown``), the login share's numerator/denominator as fitted (``login_ok`` of
  ``login_n``; null when the follow-up could not count failures), ``read_share`` (read of read +
  unread), the Kaplan-Meier shares read by 1/24/72/168 calendar hours and the fitted time to
  read (``ttr_*``: eventual read share, share reading soon, the two median hours);
* ``send_time``: the read-time curve by send weekday (0 = Monday) and local hour, and the
  campaign as a whole (weekday and hour null);
* ``outcome``: with an outcome follow-up, per read-status group the residents (``n``), those who
  did what the message asked (``outcome_done``) and the share.

Every row carries the campaign's name, category, dates (planned send start, first and last
send, export time, when it was recorded) and target size.

Where: :func:`register_path`.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import polars as pl

from inkorg_kit.config.assumptions import Assumptions
from inkorg_kit.config.campaign import Campaign
from inkorg_kit.followup.codes import OVERALL
from inkorg_kit.followup.reconcile import Outcomes
from inkorg_kit.followup.timing import read_within
from inkorg_kit.followup.uptake import UPTAKE_GROUPS
from inkorg_kit.io.write import write_frame
from inkorg_kit.privacy import find_in_text
from inkorg_kit.vocab import AGE_BANDS, RUNS_DIR, UNKNOWN_BAND

__all__ = [
    "FORMAT_VERSION",
    "READ_HOURS",
    "REGISTER_DIR",
    "REGISTER_ENV",
    "SCHEMA",
    "Register",
    "load_register",
    "record_campaign",
    "record_frame",
    "register_path",
    "shown_path",
]

#: The environment variable naming the register for every campaign on this machine.
REGISTER_ENV = "INKORG_REGISTER"
#: The register's folder beside the run folders (``out/register/``).
REGISTER_DIR = "register"
FORMAT_VERSION = 1
#: The horizons (calendar hours after each message) of the recorded read-time curves.
READ_HOURS = (1, 24, 72, 168)

_UTC = pl.Datetime("us", "UTC")
_READ = {f"read_{h}h": pl.Float64 for h in READ_HOURS}
#: The columns of a register file, in order (outcome columns are null without an outcome).
SCHEMA: dict[str, pl.DataType] = {
    "format_version": pl.Int64,
    "campaign": pl.String,
    "category": pl.String,
    "category_label": pl.String,
    "planned_send_start": _UTC,
    "first_send": _UTC,
    "last_send": _UTC,
    "exported_at": _UTC,
    "recorded_at": _UTC,
    "target": pl.Int64,
    "section": pl.String,
    "age_band": pl.String,
    "send_weekday": pl.Int64,
    "send_hour": pl.Int64,
    "outcome_group": pl.String,
    "in_files": pl.Int64,
    "sent": pl.Int64,
    "failed": pl.Int64,
    "delivered": pl.Int64,
    "read": pl.Int64,
    "unread": pl.Int64,
    "unknown": pl.Int64,
    "login_ok": pl.Int64,
    "login_n": pl.Int64,
    "read_share": pl.Float64,
    "n": pl.Int64,
    **_READ,
    "ttr_fitted": pl.Boolean,
    "ttr_read_share": pl.Float64,
    "ttr_soon_share": pl.Float64,
    "ttr_soon_median_hours": pl.Float64,
    "ttr_later_median_hours": pl.Float64,
    "outcome_event": pl.String,
    "outcome_done": pl.Int64,
    "outcome_share": pl.Float64,
}


# --------------------------------------------------------------------------- where


def register_path(
    campaign: Campaign | None = None,
    run_dir: str | os.PathLike[str] | None = None,
    given: str | os.PathLike[str] | None = None,
) -> Path:
    """The register folder: ``given`` (a parameter or ``--register``); else the campaign's
    ``followup.register_folder`` (counting from the campaign file's folder); else the environment
    variable :data:`INKORG_REGISTER <REGISTER_ENV>`; else ``register/`` beside the run folders:
    the parent of ``run_dir`` (default ``out/<campaign>``), i.e. ``out/register/``.

    Why this order: what is written for this run or this campaign wins over what is set for the
    machine, and the default sits next to the campaigns it collects.

    >>> register_path(given="x/reg").as_posix(), register_path(run_dir="out/a").as_posix()
    ('x/reg', 'out/register')
    """
    if given not in (None, ""):
        return Path(given)  # type: ignore[arg-type]
    key = campaign.followup.register_folder if campaign is not None else None
    if key:
        folder = campaign.folder if campaign is not None else None
        written = Path(key).expanduser()
        return written if written.is_absolute() or folder is None else folder / written
    env = os.environ.get(REGISTER_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    if run_dir not in (None, ""):
        return Path(run_dir).parent / REGISTER_DIR  # type: ignore[arg-type]
    return Path(RUNS_DIR) / REGISTER_DIR


def shown_path(path: str | os.PathLike[str]) -> str:
    """``path`` as a planner reads it: relative to the working folder when it lies inside it
    (``out/register``), else whole.

    >>> shown_path(Path.cwd() / "out" / "register"), shown_path("/srv/register")
    ('out/register', '/srv/register')
    """
    full = Path(path).absolute()
    here = Path.cwd()
    return full.relative_to(here).as_posix() if full.is_relative_to(here) else str(path)


def _file(register: Path, name: str) -> Path:
    return register / f"{name}.parquet"


# --------------------------------------------------------------------------- recording


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError(f"{value} has no time zone; the register keeps UTC times")
    return value.astimezone(dt.UTC)


def _timing_measures(fitted: Assumptions, band: str) -> dict[str, float]:
    """A band's fitted time to read as one curve: the notified and not notified mixed at the
    assumed notification share (eventual read share, share reading soon, the two medians)."""
    q = fitted.band(band).notification_share.mean
    timing = fitted.timing(band)
    parts = ((timing.notified, q), (timing.not_notified, 1 - q))
    read = sum(w * g.read_share.mean for g, w in parts)
    soon = sum(w * g.read_share.mean * g.soon_share.mean for g, w in parts)
    return {
        "ttr_read_share": read,
        "ttr_soon_share": soon / read if read > 0 else 0.0,
        "ttr_soon_median_hours": math.exp(
            sum(w * math.log(g.soon_median_hours.value) for g, w in parts)
        ),
        "ttr_later_median_hours": math.exp(
            sum(w * math.log(g.later_median_hours.value) for g, w in parts)
        ),
    }


def _curves(outcomes: Outcomes, column: str) -> pl.DataFrame:
    """Kaplan-Meier shares read by :data:`READ_HOURS` per value of ``column`` (and "Alla")."""
    wide = read_within(outcomes, READ_HOURS, by=column)
    if wide.is_empty():
        return pl.DataFrame(schema={"group": pl.String, "n": pl.Int64, **_READ})
    return wide.select("group", pl.col("n").cast(pl.Int64), *[pl.col(c) for c in _READ])


def _band_rows(outcomes: Outcomes, fitted: Assumptions) -> pl.DataFrame:
    camp = outcomes.people.filter(pl.col("in_campaign"))
    band = pl.col("age_band").cast(pl.String).fill_null(UNKNOWN_BAND)
    sizes = camp.group_by(band.alias("age_band")).agg(
        pl.len().alias("in_files"),
        pl.col("in_export").sum().alias("sent"),
        (pl.col("outcome") == "failed").sum().alias("failed"),
        pl.col("outcome").is_in(["read", "unread", "unknown"]).sum().alias("delivered"),
        (pl.col("outcome") == "read").sum().alias("read"),
        (pl.col("outcome") == "unread").sum().alias("unread"),
        (pl.col("outcome") == "unknown").sum().alias("unknown"),
    )
    extra = (fitted.fitted_from.model_extra or {}) if fitted.fitted_from is not None else {}
    login_fitted = set(extra.get("login_share_fitted") or {})
    timing_fitted = set(extra.get("time_to_read_fitted") or [])
    curves = _curves(outcomes, "age_band").rename({"group": "age_band"}).drop("n")
    rows = []
    for label, sent, failed in sizes.select("age_band", "sent", "failed").iter_rows():
        if label not in (*AGE_BANDS, UNKNOWN_BAND):
            continue
        fitted_login = label in login_fitted
        row: dict[str, Any] = {
            "age_band": label,
            "login_ok": int(sent - failed) if fitted_login else None,
            "login_n": int(sent) if fitted_login else None,
            "ttr_fitted": label in timing_fitted,
            **_timing_measures(fitted, label),
        }
        rows.append(row)
    if not rows:
        return pl.DataFrame()
    frame = sizes.join(pl.DataFrame(rows), on="age_band", how="inner")
    frame = frame.join(curves, on="age_band", how="left").with_columns(
        pl.when(pl.col("read") + pl.col("unread") > 0)
        .then(pl.col("read") / (pl.col("read") + pl.col("unread")))
        .alias("read_share"),
        pl.lit("band").alias("section"),
    )
    order = {b: i for i, b in enumerate((*AGE_BANDS, UNKNOWN_BAND))}
    return frame.sort(pl.col("age_band").replace_strict(order, return_dtype=pl.Int64))


def _send_time_rows(outcomes: Outcomes) -> pl.DataFrame:
    local = pl.col("sent_at").dt.convert_time_zone(outcomes.timezone)
    slot = (
        pl.when(pl.col("sent_at").is_not_null())
        .then(
            pl.format(
                "{}-{}",
                (local.dt.weekday() - 1).cast(pl.String),
                local.dt.hour().cast(pl.String),
            )
        )
        .alias("_send_slot")
    )
    slotted = replace(outcomes, people=outcomes.people.with_columns(slot))
    curves = _curves(slotted, "_send_slot")
    group = pl.col("group")
    is_slot = group.str.contains("-")
    return (
        curves.filter(is_slot | (group == OVERALL))
        .with_columns(
            pl.when(is_slot)
            .then(group.str.split("-").list.get(0))
            .cast(pl.Int64)
            .alias("send_weekday"),
            pl.when(is_slot)
            .then(group.str.split("-").list.get(1))
            .cast(pl.Int64)
            .alias("send_hour"),
            pl.lit("send_time").alias("section"),
        )
        .drop("group")
        .sort("send_weekday", "send_hour", nulls_last=False)
    )


def _outcome_rows(uptake: Any, campaign: Campaign) -> pl.DataFrame:
    """Per read-status group: residents, those who did what the message asked, and the share,
    from an outcome follow-up's people (``status_group``, ``did``); none without one."""
    people = getattr(uptake, "people", None)
    if not isinstance(people, pl.DataFrame) or not {"status_group", "did"} <= set(people.columns):
        return pl.DataFrame()
    spec = getattr(campaign.followup, "outcome", None)
    event = getattr(spec, "event", None)
    table = (
        people.group_by(pl.col("status_group").cast(pl.String).alias("outcome_group"))
        .agg(pl.len().alias("n"), pl.col("did").fill_null(False).sum().alias("outcome_done"))
        .with_columns(
            (pl.col("outcome_done") / pl.col("n")).alias("outcome_share"),
            pl.lit(None if event is None else str(event), pl.String).alias("outcome_event"),
            pl.lit("outcome").alias("section"),
        )
        .sort("outcome_group")
    )
    return table


def record_frame(
    campaign: Campaign,
    outcomes: Outcomes,
    fitted: Assumptions,
    *,
    uptake: Any = None,
    recorded_at: dt.datetime | None = None,
) -> pl.DataFrame:
    """The campaign's register record (the rows :func:`record_campaign` writes), from the
    follow-up's outcomes, its fitted reach (:func:`inkorg_kit.reach.fit_reach`) and, if the
    campaign had one, its outcome follow-up (``uptake``: anything with ``people`` holding
    ``status_group`` and ``did``). Aggregates only."""
    sent = outcomes.campaign_people()["sent_at"].drop_nulls()
    common = {
        "format_version": FORMAT_VERSION,
        "campaign": campaign.name,
        "category": str(campaign.category),
        "category_label": campaign.category_label,
        "planned_send_start": _utc(campaign.planned_send_start),
        "first_send": _utc(sent.min()) if sent.len() else None,  # type: ignore[arg-type]
        "last_send": _utc(sent.max()) if sent.len() else None,  # type: ignore[arg-type]
        "exported_at": _utc(outcomes.exported_at),
        "recorded_at": _utc(recorded_at or dt.datetime.now(dt.UTC)),
        "target": outcomes.target_size,
    }
    sections = [
        _band_rows(outcomes, fitted),
        _send_time_rows(outcomes),
        _outcome_rows(uptake, campaign),
    ]
    frames = []
    for part in sections:
        if part.is_empty():
            continue
        part = part.with_columns([pl.lit(v, dtype=SCHEMA[k]).alias(k) for k, v in common.items()])
        frames.append(
            part.select(
                [
                    pl.col(c).cast(t) if c in part.columns else pl.lit(None, dtype=t).alias(c)
                    for c, t in SCHEMA.items()
                ]
            )
        )
    if not frames:
        return pl.DataFrame(schema=SCHEMA)
    return pl.concat(frames)


def _refuse_personnummer(frame: pl.DataFrame, where: str) -> None:
    texts = [
        str(v) for c, t in frame.schema.items() if t == pl.String for v in frame[c].drop_nulls()
    ]
    if texts and find_in_text("\n".join(dict.fromkeys(texts))):
        raise ValueError(
            f"{where}: a text in the campaign's register record looks like a personnummer;"
            " the register keeps aggregates only, so nothing was written"
        )


def record_campaign(
    register: str | os.PathLike[str],
    campaign: Campaign,
    outcomes: Outcomes,
    fitted: Assumptions,
    *,
    uptake: Any = None,
    recorded_at: dt.datetime | None = None,
) -> Path:
    """Record a finished campaign in the register folder ``register`` (see
    :func:`register_path`): ``<register>/<campaign>.parquet``, atomic and owner-only. An
    earlier record of the same campaign is replaced, so recording again (a later export, a
    re-run of step 04) leaves one record. Returns the file."""
    frame = record_frame(campaign, outcomes, fitted, uptake=uptake, recorded_at=recorded_at)
    path = _file(Path(register), campaign.name)
    _refuse_personnummer(frame, str(path))
    return write_frame(frame, path)


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Register:
    """The register as read: every record's rows (``rows``), the folder, and views."""

    path: Path
    rows: pl.DataFrame

    def section(self, name: str) -> pl.DataFrame:
        return self.rows.filter(pl.col("section") == name)

    @property
    def bands(self) -> pl.DataFrame:
        """Per campaign and age band: sizes, login counts, read shares, time to read."""
        return self.section("band")

    @property
    def send_times(self) -> pl.DataFrame:
        """Per campaign, send weekday and hour: shares read by 1/24/72/168 hours."""
        return self.section("send_time")

    @property
    def outcomes(self) -> pl.DataFrame:
        """Per campaign with an outcome follow-up and read-status group: the outcome share."""
        return self.section("outcome")

    def names(self) -> list[str]:
        """The campaigns recorded, oldest send first."""
        return self.campaigns()["campaign"].to_list()

    def __len__(self) -> int:
        return self.rows["campaign"].n_unique() if self.rows.height else 0

    def campaigns(self) -> pl.DataFrame:
        """One row per campaign, oldest first: name, category, dates, sizes, read share (of
        read + unread), login share (fitted bands: not failed of sent) and outcome share (of every
        resident the follow-up counts: read, unread, reminded and by letter; not those never
        sent to or of unknown status), when the campaign had an outcome follow-up."""
        keys = [
            "campaign",
            "category",
            "category_label",
            "planned_send_start",
            "first_send",
            "last_send",
            "exported_at",
            "recorded_at",
            "target",
        ]
        bands = self.bands.group_by(keys).agg(
            pl.col("in_files", "sent", "failed", "read", "unread").sum(),
            pl.col("login_ok").sum().alias("login_ok"),
            pl.col("login_n").sum().alias("login_n"),
        )
        counted = pl.col("outcome_group").is_in(list(UPTAKE_GROUPS))
        outcome = (
            self.outcomes.filter(counted)
            .group_by("campaign")
            .agg(
                pl.col("outcome_done").sum().alias("outcome_done"),
                pl.col("n").sum().alias("outcome_n"),
            )
        )
        frame = bands.join(outcome, on="campaign", how="left").with_columns(
            (pl.col("read") / (pl.col("read") + pl.col("unread"))).alias("read_share"),
            pl.when(pl.col("login_n") > 0)
            .then(pl.col("login_ok") / pl.col("login_n"))
            .alias("login_share"),
            (pl.col("outcome_done") / pl.col("outcome_n")).alias("outcome_share"),
        )
        return frame.sort(pl.coalesce("first_send", "planned_send_start"), "campaign")

    def without(self, names: Iterable[str]) -> Register:
        """The register without the campaigns ``names`` (a campaign is not its own prior)."""
        drop = list(names)
        return Register(self.path, self.rows.filter(~pl.col("campaign").is_in(drop)))


def load_register(register: str | os.PathLike[str]) -> Register:
    """Read every record in the register folder (none yet: an empty register). A record
    written by an older version lacks newer columns; they are read as empty."""
    folder = Path(register)
    files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    if not files:
        return Register(folder, pl.DataFrame(schema=SCHEMA))
    frames = []
    for path in files:
        try:
            frame = pl.read_parquet(path)
        except Exception as exc:  # polars raises several kinds for a broken file
            raise ValueError(f"{path}: not a register record ({exc})") from None
        frames.append(
            frame.select(
                [
                    pl.col(c).cast(t) if c in frame.columns else pl.lit(None, dtype=t).alias(c)
                    for c, t in SCHEMA.items()
                ]
            )
        )
    return Register(folder, pl.concat(frames))
