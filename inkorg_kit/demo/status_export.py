"""Synthetic status exports: what Personalverktyget would show after a campaign, from a known
reach model.

Why: the demo (``make demo``) and the follow-up's known-answer tests need exports whose truth
is known. This module takes a run folder (the recipient files and manifest, the target group
if present, the send plan if present), draws for every resident from
:class:`~inkorg_kit.config.assumptions.Assumptions` (default: the kit's defaults) whether they
have a 1177 login (else the send fails: "Saknar inloggning", or now and then "Kontot är
spärrat"), whether they are notified, whether and when they read (the reach model's two-part
log-normal in active hours, turned into calendar time with its daily rhythm), and writes the
export in the default layout of :mod:`inkorg_kit.followup` into ``<run_dir>/status_export/``
(private files).

Shares are taken at their prior means (no Beta draw), so the truth a test compares with is
exactly the assumptions' means. Send times come from ``<run_dir>/send_plan.csv`` (each file is
sent when its handling ends, one case a second), else the files are sent one after another
from the campaign's planned start, ``minutes_per_file`` each per handler, within the send
windows. Reads after the export time show as unread.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io as stdio
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from inkorg_kit import pnr
from inkorg_kit._files import ensure_private_dir, write_private_bytes
from inkorg_kit.config.assumptions import Assumptions, load_assumptions
from inkorg_kit.config.campaign import Campaign, load_campaign
from inkorg_kit.config.status_export import StatusExportMapping
from inkorg_kit.demo.outcomes import write_outcome_extract
from inkorg_kit.followup import age_band_and_sex, campaign_recipients, load_target
from inkorg_kit.hours.clock import ActiveClock, series_epoch_hours
from inkorg_kit.hours.parse import parse_datetime
from inkorg_kit.hours.working import add_working_hours
from inkorg_kit.run import RunFolder
from inkorg_kit.sending.plan_csv import read_plan_csv
from inkorg_kit.vocab import AGE_BANDS, UNKNOWN_BAND, age_band

__all__ = ["SyntheticExport", "main", "status_export", "write_status_export"]

AssumptionsSource = Assumptions | Mapping[str, Any] | str | Path | None
CampaignSource = Campaign | str | os.PathLike[str]
_FORMAT = "%Y-%m-%d %H:%M"
_REASON_NO_LOGIN = "Saknar inloggning"
_REASON_LOCKED = "Kontot är spärrat"


@dataclass(frozen=True)
class SyntheticExport:
    """A synthetic export: ``sent`` and ``failed`` as they would be written (text columns in
    the default layout; ``failed`` is None in the one-file layout), and the hidden ``truth``
    (one row per resident: pnr, file_name, age_band, sex, login, notified, reads_ever,
    active_hours, sent_at, read_at_uncensored, read_at)."""

    sent: pl.DataFrame
    failed: pl.DataFrame | None
    truth: pl.DataFrame
    exported_at: dt.datetime
    assumptions: Assumptions
    one_file: bool = False


def _campaign(campaign: CampaignSource) -> Campaign:
    return campaign if isinstance(campaign, Campaign) else load_campaign(campaign)


def _send_times(run_dir: Path, people: pl.DataFrame, campaign: Campaign) -> pl.Series:
    """One send time per resident (local, tz-aware), in file order."""
    zone = campaign.send_windows.timezone
    plan_path = RunFolder(run_dir).path("send_plan_csv")
    files = people.select("file_name").unique(maintain_order=True)
    if plan_path.is_file():
        plan = read_plan_csv(plan_path, timezone=zone).select("file_name", "end")
        files = files.join(plan, on="file_name", how="left")
        missing = files.filter(pl.col("end").is_null())["file_name"].to_list()
        if missing:
            raise ValueError(
                f"{plan_path} has no row for recipient file(s) {missing[:3]}: write the send plan"
                " for the current recipient files (notebook 03)"
            )
        moment = files["end"]
    else:
        handlers = campaign.sending.handlers
        minutes = campaign.sending.minutes_per_file
        slot = np.arange(files.height) // handlers + 1
        moment = add_working_hours(
            pl.Series([campaign.planned_send_start] * files.height),
            slot * minutes / 60,
            campaign.send_windows,
        )
    files = files.with_columns(pl.Series("moment", moment).dt.convert_time_zone(zone))
    within = pl.int_range(pl.len()).over("file_name")
    return (
        people.select("file_name")
        .join(files, on="file_name", how="left", maintain_order="left")
        .select(pl.col("moment") + pl.duration(seconds=within))
        .to_series()
        .alias("sent_at")
    )


def _parameters(a: Assumptions, strata: pl.DataFrame) -> pl.DataFrame:
    """Per (age_band, sex): the means the draw uses (loops over strata only)."""
    rows = []
    for band, sex in strata.iter_rows():
        b = a.band(band)
        timing = a.timing(band)
        row = {
            "age_band": band,
            "sex": sex,
            "p_login": b.share("login_share", sex if sex in ("F", "M") else None)[0].mean,
            "p_notif": b.share("notification_share", sex if sex in ("F", "M") else None)[0].mean,
        }
        for tag, group in (("n", timing.notified), ("nn", timing.not_notified)):
            row[f"{tag}_read"] = group.read_share.mean
            row[f"{tag}_soon"] = group.soon_share.mean
            row[f"{tag}_m1"] = group.soon_median_hours.value
            row[f"{tag}_s1"] = group.soon_sigma.value
            row[f"{tag}_m2"] = group.later_median_hours.value
            row[f"{tag}_s2"] = group.later_sigma.value
        rows.append(row)
    return pl.DataFrame(rows)


def status_export(
    run_dir: str | os.PathLike[str],
    campaign: CampaignSource,
    *,
    seed: int = 0,
    assumptions: AssumptionsSource = None,
    exported_at: dt.datetime | str | None = None,
    one_file: bool = False,
    locked_share: float = 0.1,
    unsent_files: int = 0,
    outsiders: int = 0,
) -> SyntheticExport:
    """Draw a status export for the run folder's recipients (frames; nothing written).

    ``exported_at`` defaults to ten days after the last send (whole hour), so that a week of
    reading is seen for every file. ``one_file`` lists failures as "Misslyckades" rows (with
    an ``Orsak`` column) in the sent file.
    ``unsent_files`` leaves the last files out of the export (not sent yet); ``outsiders``
    adds residents who were never in the campaign (other messages from the same unit).
    """
    root = Path(run_dir)
    c = _campaign(campaign)
    a = load_assumptions(assumptions)
    rng = np.random.default_rng(seed)
    zone = c.send_windows.timezone
    people, _ = campaign_recipients(root)
    if unsent_files:
        names = people["file_name"].unique(maintain_order=True).to_list()
        people = people.filter(~pl.col("file_name").is_in(names[-unsent_files:]))
    target = load_target(root)
    day = c.planned_send_start.date()
    if target is not None:
        people = people.join(target.select("pnr", "age_band", "sex"), on="pnr", how="left")
    else:
        people = people.with_columns(pl.lit(None, pl.String).alias(x) for x in ("age_band", "sex"))
    people = people.with_columns(age_band_and_sex(day))
    if not set(people["age_band"].unique().to_list()) <= {*AGE_BANDS, UNKNOWN_BAND}:
        raise ValueError(f"age bands must be among {AGE_BANDS} or {UNKNOWN_BAND!r}")
    people = people.with_columns(_send_times(root, people, c))
    if outsiders:
        people = pl.concat([people, _outsiders(people, outsiders, rng, day)], how="diagonal")

    strata = people.select("age_band", "sex").unique().sort("age_band", "sex", nulls_last=True)
    params = _parameters(a, strata)
    p = people.join(params, on=["age_band", "sex"], how="left", nulls_equal=True)
    n = p.height
    u = rng.random((n, 4))
    login = u[:, 0] < p["p_login"].to_numpy()
    notified = login & (u[:, 1] < p["p_notif"].to_numpy())

    def pick(name: str) -> np.ndarray:
        return np.where(notified, p[f"n_{name}"].to_numpy(), p[f"nn_{name}"].to_numpy())

    reads = login & (u[:, 2] < pick("read"))
    soon = u[:, 3] < pick("soon")
    median = np.where(soon, pick("m1"), pick("m2"))
    sigma = np.where(soon, pick("s1"), pick("s2"))
    hours = np.exp(np.log(median) + sigma * rng.standard_normal(n))

    sent_at = p["sent_at"]
    last = sent_at.max()
    if exported_at in (None, ""):
        stamp = (last + dt.timedelta(days=10)).replace(minute=0, second=0, microsecond=0)
        stamp += dt.timedelta(hours=1)
    else:
        stamp = parse_datetime(exported_at, zone)
    clock = ActiveClock.around(a.rhythm, sent_at.min(), stamp + dt.timedelta(days=60))
    start = series_epoch_hours(sent_at)
    read_epoch = clock.calendar(clock.active(start) + hours)
    uncensored = np.where(reads, read_epoch, np.nan)
    seen = reads & np.isfinite(read_epoch) & (read_epoch <= stamp.timestamp() / 3600)

    def as_time(epoch_hours: np.ndarray, keep: np.ndarray) -> pl.Series:
        us = np.where(keep, np.nan_to_num(epoch_hours) * 3.6e9, 0).astype(np.int64)
        return (
            pl.Series(us)
            .scatter(np.flatnonzero(~keep), None)
            .cast(pl.Datetime("us", "UTC"))
            .dt.convert_time_zone(zone)
        )

    truth = p.select("pnr", "file_name", "age_band", "sex", "sent_at").with_columns(
        pl.Series("login", login),
        pl.Series("notified", notified),
        pl.Series("reads_ever", reads),
        pl.Series("active_hours", np.where(reads, hours, np.nan)).fill_nan(None),
        as_time(uncensored, np.isfinite(uncensored)).alias("read_at_uncensored"),
        as_time(read_epoch, seen).alias("read_at"),
    )
    locked = rng.random(n) < locked_share
    reason = np.where(locked, _REASON_LOCKED, _REASON_NO_LOGIN)
    info = c.message.template == "information"
    text_time = pl.col("sent_at").dt.strftime(_FORMAT)
    read_text = pl.col("read_at").dt.strftime(_FORMAT)
    status = (
        pl.when(pl.lit(info))
        .then(pl.lit("Stängt"))
        .when(pl.col("read_at").is_not_null())
        .then(pl.lit("Läst"))
        .otherwise(pl.lit("Oläst"))
    )
    frame = truth.with_columns(pl.Series("_reason", reason)).sort("sent_at", "pnr")
    delivered = frame.filter(pl.col("login"))
    sent = delivered.select(
        pl.col("pnr").alias("Personnummer"),
        text_time.alias("Skickat"),
        status.alias("Status"),
        read_text.alias("Läst"),
    )
    failures = frame.filter(~pl.col("login"))
    if one_file:
        sent = pl.concat(
            [
                sent.with_columns(pl.lit(None, pl.String).alias("Orsak")),
                failures.select(
                    pl.col("pnr").alias("Personnummer"),
                    text_time.alias("Skickat"),
                    pl.lit("Misslyckades").alias("Status"),
                    pl.lit(None, pl.String).alias("Läst"),
                    pl.col("_reason").alias("Orsak"),
                ),
            ]
        )
        failed = None
    else:
        failed = failures.sort("pnr").select(
            pl.col("pnr").alias("Personnummer"), pl.col("_reason").alias("Orsak")
        )
    return SyntheticExport(
        sent=sent,
        failed=failed,
        truth=truth,
        exported_at=stamp,
        assumptions=a,
        one_file=one_file,
    )


def _outsiders(
    people: pl.DataFrame, count: int, rng: np.random.Generator, day: dt.date
) -> pl.DataFrame:
    """Residents from the test-number list who are not in the campaign."""
    raw = files("inkorg_kit").joinpath("data/testpersonnummer.csv").read_text(encoding="utf-8")
    numbers = pl.Series(raw.split()[1:])
    cleaned = pnr.clean(numbers)["pnr"].drop_nulls()
    free = cleaned.filter(~cleaned.is_in(people["pnr"].implode()))
    chosen = free.gather(rng.choice(free.len(), size=min(count, free.len()), replace=False))
    sent = people["sent_at"].sort()
    return pl.DataFrame({"pnr": chosen}).with_columns(
        pl.lit(None, pl.String).alias("file_name"),
        age_band(pnr.age_at(pl.col("pnr"), day))
        .cast(pl.String)
        .fill_null(UNKNOWN_BAND)
        .alias("age_band"),
        pnr.legal_sex(pl.col("pnr")).alias("sex"),
        pl.Series("sent_at", sent.gather(rng.integers(0, sent.len(), size=len(chosen)))),
    )


def _csv_bytes(frame: pl.DataFrame) -> bytes:
    buffer = stdio.StringIO()
    frame.write_csv(buffer, separator=";", line_terminator="\r\n")
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_status_export(
    run_dir: str | os.PathLike[str],
    campaign: CampaignSource,
    *,
    seed: int = 0,
    assumptions: AssumptionsSource = None,
    exported_at: dt.datetime | str | None = None,
    one_file: bool = False,
    **options: Any,
) -> Path:
    """Write a synthetic export into ``<run_dir>/status_export/`` and return that folder.

    Files in the default layout of :mod:`inkorg_kit.followup` (``;``, UTF-8 with BOM, CRLF,
    atomic, mode 0600): ``skickade_arenden.csv`` and, unless ``one_file``,
    ``misslyckade_utskick.csv``. ``options`` go to :func:`status_export`.
    """
    m = StatusExportMapping()
    export = status_export(
        run_dir,
        campaign,
        seed=seed,
        assumptions=assumptions,
        exported_at=exported_at,
        one_file=one_file,
        **options,
    )
    folder = ensure_private_dir(RunFolder(run_dir).path("status_export_dir"))
    write_private_bytes(folder / m.sent_file, _csv_bytes(export.sent))
    failed_path = folder / str(m.failed_file)
    if export.failed is not None:
        write_private_bytes(failed_path, _csv_bytes(export.failed))
    else:
        failed_path.unlink(missing_ok=True)
    return folder


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m inkorg_kit.synth_status params/demo/campaign.yaml``: a synthetic export (and
    the outcome extract, when the campaign's ``followup.outcome`` names a file).

    For running notebook 04 on its own in the demo (``inkorg-kit demo`` does this itself).
    """
    parser = argparse.ArgumentParser(
        prog="python -m inkorg_kit.synth_status",
        description="Write a synthetic status export into a campaign's run folder.",
    )
    parser.add_argument("campaign", type=Path, help="the campaign YAML")
    parser.add_argument("--run-dir", help="default: out/<campaign name>")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    args = parser.parse_args(argv)
    campaign = load_campaign(args.campaign)
    run_dir = campaign.run_folder(args.run_dir)
    try:
        folder = write_status_export(run_dir, campaign, seed=args.seed)
        outcomes = write_outcome_extract(run_dir, campaign, seed=args.seed)
    except (OSError, ValueError) as error:
        print(f"synth_status: {pnr.mask_in_text(str(error))}", file=sys.stderr)
        return 2
    print(f"synthetic status export written to {folder}/")
    if outcomes is not None:  # the campaign's followup.outcome names a file: its bookings too
        print(f"synthetic outcome extract written to {outcomes}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
