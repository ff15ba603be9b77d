"""Reconciling the export with the campaign: what became of every resident, and counts that
add up.

Why: nothing may get lost between the recipient files and the export. Every export row is a
person, a duplicate row of a person (cases sent twice: the best outcome wins, read > unread >
unknown > failed), or rejected with the reason from :func:`inkorg_kit.pnr.clean`. Every
campaign resident (from the recipient manifest) is read, unread, of unknown status, failed,
or missing from the export; residents in the export who were never in the campaign are
counted too. :meth:`Outcomes.counts` checks that it adds up. Age band and sex come from the
target group where it has them, else from the personnummer.

**Two waves** (follow-up strategy ``reminder``: a 1177 reminder R working hours after the
message). The export then holds two sent cases for a reminded resident. Of a resident's sent
cases (with a sent time) the earliest is the first message; the first later case sent at least
R working hours of the send windows after it is the reminder; any other later case is a
duplicate of the first message, counted with a reason (:data:`WAVE_PROBLEMS`). Reminder rows are
counted apart (``export_rows_reminder``), so every export row is still accounted for. A
resident who read the reminder is read (``read_via`` ``reminder``); their time to read the
first message is censored when the reminder was sent, so the fitted read times stay those of
one message.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from typing import Any

import polars as pl

from inkorg_kit import pnr
from inkorg_kit.config.windows import SendWindows, as_windows
from inkorg_kit.followup.codes import OUTCOME, UNKNOWN
from inkorg_kit.followup.export import StatusExport
from inkorg_kit.followup.residents import campaign_recipients, load_target
from inkorg_kit.hours.working import working_hours_between
from inkorg_kit.recipients import read_manifest
from inkorg_kit.vocab import TIME_ZONE_NAME, UNKNOWN_BAND, age_band

__all__ = [
    "OUTCOME_COLUMNS",
    "READ_VIA",
    "REMINDER_COLUMNS",
    "WAVE_PROBLEMS",
    "Outcomes",
    "age_band_and_sex",
    "export_waves",
    "observation_columns",
    "reconcile",
]

_US_PER_HOUR = 3_600_000_000


def observation_columns(exported_at: dt.datetime) -> list[pl.Expr]:
    """Time to read as Kaplan–Meier sees it, from ``hours_to_read``: ``observed_hours`` (the
    hours to reading, or to the export for the unread: censored) and ``event`` (read or not)."""
    to_export = (pl.lit(exported_at) - pl.col("sent_at")).dt.total_microseconds() / _US_PER_HOUR
    read = pl.col("hours_to_read").is_not_null()
    unread = pl.col("outcome") == "unread"
    return [
        pl.when(read)
        .then(pl.col("hours_to_read"))
        .when(unread)
        .then(to_export)
        .alias("observed_hours"),
        pl.when(read)
        .then(True)
        .when(unread & pl.col("sent_at").is_not_null())
        .then(False)
        .alias("event"),
    ]


#: The columns of :attr:`Outcomes.people`, one row per resident, in this order.
OUTCOME_COLUMNS = (
    "pnr",
    "in_campaign",
    "in_export",
    "file_name",
    "group",
    "part",
    "age_band",
    "sex",
    "unit",
    "outcome",
    "closed",
    "sent_at",
    "read_at",
    "failure",
    "failure_text",
    "problem",
    "export_rows",
    "hours_to_read",
    "observed_hours",
    "event",
)


#: Columns :func:`reconcile` adds after :data:`OUTCOME_COLUMNS`: the reminder case's sent and
#: read times (null without one) and which message a read resident read (:data:`READ_VIA`).
REMINDER_COLUMNS = ("reminder_sent_at", "reminder_read_at", "read_via")
#: Which message a read resident read: the first message, or (only) the reminder.
READ_VIA = ("first", "reminder")
#: Why a later sent case of a resident is neither the first message nor the reminder.
WAVE_PROBLEMS = {
    "before_reminder_due": "a second case sent before the reminder was due (R working hours"
    " after the first): counted as a duplicate of the first message",
    "extra_case": "a third case or more: counted as a duplicate of the first message",
}


@dataclass(frozen=True)
class Outcomes:
    """Every campaign resident and every person in the export, with what became of them.

    ``people`` (holds personnummer: keep it in memory, show only aggregates): ``pnr``,
    ``in_campaign``, ``in_export``, ``file_name``, ``group``, ``part``, ``age_band``, ``sex``,
    ``unit``, ``outcome`` (:data:`~inkorg_kit.followup.codes.OUTCOMES`), ``closed``,
    ``sent_at``, ``read_at``, ``failure``, ``failure_text``, ``problem`` (the first
    :data:`~inkorg_kit.followup.export_rows.PROBLEMS` code of the person's export rows),
    ``export_rows``, ``hours_to_read`` (calendar hours), ``observed_hours`` and ``event`` (for
    time-to-read: hours to reading, or to the export for the unread, who are censored there;
    null for everyone without both times), then :data:`REMINDER_COLUMNS`. ``warnings`` are for
    the analyst (English); ``failures_listed`` is False when the export had no list of failed
    sends. ``reminder_after_working_hours`` is R when the export was read as two waves.
    """

    people: pl.DataFrame
    exported_at: dt.datetime
    export_summary: dict[str, Any]
    target_size: int | None
    campaign: str | None = None
    warnings: tuple[str, ...] = ()
    timezone: str = TIME_ZONE_NAME
    failures_listed: bool = True
    reminder_after_working_hours: float | None = None

    def reminded(self) -> pl.Series:
        """Personnummer of campaign residents whose reminder case is in the export (for the
        uptake by read status: their group is ``reminder``); in memory only."""
        if "reminder_sent_at" not in self.people.columns:
            return pl.Series("pnr", [], dtype=pl.String)
        return self.people.filter(pl.col("in_campaign") & pl.col("reminder_sent_at").is_not_null())[
            "pnr"
        ]

    def campaign_people(self) -> pl.DataFrame:
        """Campaign residents found in the export (sent, failed or not)."""
        return self.people.filter(pl.col("in_campaign") & pl.col("in_export"))

    def counts(self) -> dict[str, int | None]:
        """The headline counts; raises if they do not add up (nothing may get lost)."""
        p = self.people
        camp = p.filter(pl.col("in_campaign"))

        def n(frame: pl.DataFrame, expr: pl.Expr | None = None) -> int:
            return frame.height if expr is None else int(frame.select(expr.sum()).item())

        out: dict[str, int | None] = {
            "target": self.target_size,
            "in_files": camp.height,
            "attempted": n(camp, pl.col("in_export")),
            "delivered": n(camp, pl.col("outcome").is_in(["read", "unread", "unknown"])),
            "read": n(camp, pl.col("outcome") == "read"),
            "unread": n(camp, pl.col("outcome") == "unread"),
            "unknown": n(camp, pl.col("outcome") == "unknown"),
            "closed": n(camp, pl.col("closed").fill_null(False)),
            "read_time_missing": n(camp, (pl.col("outcome") == "read") & pl.col("event").is_null()),
            "failed": n(camp, pl.col("outcome") == "failed"),
            "failed_no_login": n(camp, pl.col("failure") == "no_login"),
            "failed_locked": n(camp, pl.col("failure") == "locked"),
            "failed_other": n(camp, pl.col("failure") == "other"),
            "not_in_export": n(camp, pl.col("outcome") == "not_in_export"),
            "not_in_campaign": n(p, ~pl.col("in_campaign")),
            "export_rows": int(self.export_summary["rows"]),
            "export_rows_rejected": int(self.export_summary["rejected"]),
            "export_rows_duplicate": int(self.export_summary["duplicate_rows"]),
            "export_rows_with_problems": int(self.export_summary.get("with_problems", 0)),
            "export_rows_reminder": int(self.export_summary.get("reminder_rows", 0)),
            "export_rows_wave_problem": int(
                sum(self.export_summary.get("wave_problems", {}).values())
            ),
        }
        if "reminder_sent_at" in p.columns:
            out["reminder_sent"] = n(camp, pl.col("reminder_sent_at").is_not_null())
            out["read_first"] = n(camp, pl.col("read_via") == "first")
            out["reminder_read"] = n(camp, pl.col("read_via") == "reminder")
        checks = [
            (out["in_files"], out["attempted"] + out["not_in_export"], "in files"),
            (out["attempted"], out["delivered"] + out["failed"], "attempted"),
            (out["delivered"], out["read"] + out["unread"] + out["unknown"], "delivered"),
            (
                out["failed"],
                out["failed_no_login"] + out["failed_locked"] + out["failed_other"],
                "failed",
            ),
            (
                out["export_rows"],
                out["export_rows_rejected"]
                + out["export_rows_duplicate"]
                + out["export_rows_reminder"]
                + out["attempted"]
                + out["not_in_campaign"],
                "export rows",
            ),
        ]
        if "reminder_read" in out:
            checks.append((out["read"], out["read_first"] + out["reminder_read"], "read"))
        for whole, parts, what in checks:
            if whole != parts:  # pragma: no cover - guards the invariant itself
                raise AssertionError(
                    f"follow-up counts do not add up for {what}: {whole} != {parts}"
                )
        return out

    def missing_by_file(self) -> pl.DataFrame:
        """Per recipient file, residents missing from the export: ``in_file``,
        ``not_in_export`` and ``file_sent`` (someone of the file is in the export, so the
        file was sent and the missing ones are not explained by an unsent file)."""
        return (
            self.people.filter(pl.col("in_campaign"))
            .group_by("file_name")
            .agg(
                pl.len().alias("in_file"),
                (pl.col("outcome") == "not_in_export").sum().alias("not_in_export"),
                pl.col("in_export").any().alias("file_sent"),
            )
            .filter(pl.col("not_in_export") > 0)
            .sort("file_name")
        )


def age_band_and_sex(day: dt.date, *, unknown_sex: str | None = None) -> list[pl.Expr]:
    """``age_band`` and ``sex`` from the target group where known, else from ``pnr``.

    The target group's own values win (they were computed for the campaign); residents it
    does not hold get them from the personnummer, at ``day``.
    """
    return [
        pl.coalesce(
            pl.col("age_band").cast(pl.String),
            age_band(pnr.age_at(pl.col("pnr"), day)).cast(pl.String),
            pl.lit(UNKNOWN_BAND),
        ).alias("age_band"),
        pl.coalesce(
            pl.col("sex").cast(pl.String).str.to_uppercase().replace({"K": "F"}),
            pnr.legal_sex(pl.col("pnr")),
            pl.lit(unknown_sex, pl.String),
        ).alias("sex"),
    ]


def export_waves(
    rows: pl.DataFrame, reminder_after_working_hours: float | None, windows: SendWindows | None
) -> pl.DataFrame:
    """The export's rows with ``wave`` (``first``, ``reminder`` or null) and ``wave_problem``
    (a :data:`WAVE_PROBLEMS` code or null).

    Without R every row is of the first wave (null: merged as today). With R, per resident the
    sent cases with a sent time (failed sends are not a wave) are put in time order: the
    earliest is ``first``; the first later one at least R working hours after it is the
    ``reminder``; the rest are duplicates of the first message with a reason. Whole columns:
    one working-hours look-up for all cases.
    """
    rows = rows.with_row_index("_i")
    blank = rows.with_columns(
        pl.lit(None, pl.String).alias("wave"), pl.lit(None, pl.String).alias("wave_problem")
    )
    if reminder_after_working_hours is None:
        return blank.drop("_i")
    hours = float(reminder_after_working_hours)
    if not hours > 0:
        raise ValueError(f"reminder_after_working_hours must be above 0, got {hours!r}")
    cases = (
        rows.filter(
            pl.col("pnr").is_not_null()
            & (pl.col("outcome") != "failed")
            & pl.col("sent_at").is_not_null()
        )
        .select("_i", "pnr", "sent_at")
        .sort("pnr", "sent_at", "_i")
        .with_columns(
            pl.col("sent_at").first().over("pnr").alias("_first"),
            pl.int_range(pl.len()).over("pnr").alias("_rank"),
        )
    )
    worked = working_hours_between(cases["_first"], cases["sent_at"], as_windows(windows))
    cases = cases.with_columns(pl.Series("_worked", worked, dtype=pl.Float64))
    late = (pl.col("_rank") > 0) & (pl.col("_worked") >= hours - 1e-9)
    cases = cases.with_columns(
        (late & (late.cast(pl.Int64).cum_sum().over("pnr") == 1)).alias("_reminder")
    ).select(
        "_i",
        pl.when(pl.col("_rank") == 0)
        .then(pl.lit("first"))
        .when("_reminder")
        .then(pl.lit("reminder"))
        .alias("wave"),
        pl.when((pl.col("_rank") > 0) & ~pl.col("_reminder"))
        .then(
            pl.when(pl.col("_worked") < hours - 1e-9)
            .then(pl.lit("before_reminder_due"))
            .otherwise(pl.lit("extra_case"))
        )
        .alias("wave_problem"),
    )
    return rows.join(cases, on="_i", how="left").sort("_i").drop("_i")


def _export_people(rows: pl.DataFrame) -> pl.DataFrame:
    """One row per person in the export; duplicate rows merged (read > unread > unknown >
    failed). A resident read: the case read first gives both times. Otherwise the first send
    counts. ``problem`` is the first problem among the person's rows. The reminder's rows
    (``wave`` ``reminder``) are not merged: they give ``reminder_sent_at`` and
    ``reminder_read_at``, a reminder read makes the resident read (``read_via``)."""
    valid = rows.filter(pl.col("pnr").is_not_null())
    is_reminder = (pl.col("wave") == "reminder").fill_null(False)
    reminders = (
        valid.filter(is_reminder)
        .group_by("pnr")
        .agg(
            pl.col("sent_at").first().alias("reminder_sent_at"),
            pl.col("read_at").filter(pl.col("outcome") == "read").first().alias("reminder_read_at"),
            (pl.col("outcome") == "read").any().alias("_reminder_read"),
            pl.col("closed").any().alias("_reminder_closed"),
        )
    )
    ok = valid.filter(~is_reminder).sort("read_at", "sent_at", nulls_last=True)
    delivered = pl.col("outcome") != "failed"
    read = pl.col("outcome") == "read"
    merged = (
        ok.group_by("pnr")
        .agg(
            pl.len().alias("export_rows"),
            delivered.any().alias("_delivered"),
            read.any().alias("_read"),
            (pl.col("outcome") == "unread").any().alias("_unread"),
            pl.col("sent_at").filter(delivered).min().alias("_sent_delivered"),
            pl.col("sent_at").min().alias("_sent_any"),
            pl.col("sent_at").filter(read).first().alias("_sent_read"),
            pl.col("read_at").filter(read).first().alias("read_at"),
            pl.col("closed").any().alias("closed"),
            pl.col("failure").filter(~delivered).first().alias("failure"),
            pl.col("reason_text").filter(~delivered).first().alias("failure_text"),
            pl.col("problem").drop_nulls().first().alias("problem"),
        )
        .join(reminders, on="pnr", how="left")
        .with_columns(pl.col("_reminder_read").fill_null(False))
    )
    by_reminder = ~pl.col("_read") & pl.col("_reminder_read")
    return merged.select(
        "pnr",
        pl.when(pl.col("_read") | by_reminder)
        .then(pl.lit("read"))
        .when("_unread")
        .then(pl.lit("unread"))
        .when("_delivered")
        .then(pl.lit("unknown"))
        .otherwise(pl.lit("failed"))
        .cast(OUTCOME)
        .alias("outcome"),
        "closed",
        pl.when("_read")
        .then(pl.col("_sent_read"))
        .when("_delivered")
        .then(pl.col("_sent_delivered"))
        .otherwise(pl.col("_sent_any"))
        .alias("sent_at"),
        pl.when("_read")
        .then(pl.col("read_at"))
        .when(by_reminder)
        .then(pl.col("reminder_read_at"))
        .alias("read_at"),
        pl.when(~pl.col("_delivered")).then(pl.col("failure")).alias("failure"),
        pl.when(~pl.col("_delivered")).then(pl.col("failure_text")).alias("failure_text"),
        "problem",
        (pl.col("export_rows") + pl.col("reminder_sent_at").is_not_null().cast(pl.Int64)).alias(
            "export_rows"
        ),
        "reminder_sent_at",
        "reminder_read_at",
        pl.when("_read")
        .then(pl.lit("first"))
        .when(by_reminder)
        .then(pl.lit("reminder"))
        .alias("read_via"),
    )


def reconcile(
    export: StatusExport,
    run_dir: str | os.PathLike[str] | None = None,
    *,
    recipients: pl.DataFrame | None = None,
    target: pl.DataFrame | None = None,
    campaign: str | None = None,
    reminder_after_working_hours: float | None = None,
    windows: SendWindows | None = None,
) -> Outcomes:
    """Join the export to the campaign's recipient files and target group.

    Give ``run_dir`` (its ``recipients/manifest.json`` and files, and ``target_group.parquet``
    when present) or ``recipients`` (and ``target``) as frames. Age band and sex missing from
    the target come from the personnummer (age on the export day). With
    ``reminder_after_working_hours`` (R; strategy ``reminder``) the export is read as two waves
    (see the module), R counted in ``windows`` (the campaign's send windows).
    """

    warnings = list(export.warnings)
    if recipients is None:
        if run_dir is None:
            raise ValueError("pass run_dir (a run folder with recipient files) or recipients=")
        recipients, more = campaign_recipients(run_dir)
        warnings += more
    if target is None and run_dir is not None:
        target = load_target(run_dir)
    if campaign is None and run_dir is not None:
        campaign = read_manifest(run_dir)["campaign"]

    waves = export_waves(export.rows, reminder_after_working_hours, windows)
    people = _export_people(waves).with_columns(pl.lit(True).alias("in_export"))
    files = recipients.select(
        pl.col("pnr").cast(pl.String),
        *(
            pl.col(c) if c in recipients.columns else pl.lit(None).alias(c)
            for c in ("file_name", "group", "part")
        ),
    ).with_columns(pl.lit(True).alias("in_campaign"))
    joined = files.join(people, on="pnr", how="full", coalesce=True).with_columns(
        pl.col("in_campaign").fill_null(False),
        pl.col("in_export").fill_null(False),
        pl.col("outcome").fill_null("not_in_export"),
        pl.col("closed").fill_null(False),
        pl.col("export_rows").fill_null(0).cast(pl.Int64),
    )
    if target is not None:
        joined = joined.join(target.select("pnr", "age_band", "sex", "unit"), on="pnr", how="left")
    else:
        joined = joined.with_columns(
            pl.lit(None, pl.String).alias(c) for c in ("age_band", "sex", "unit")
        )
    joined = joined.with_columns(
        *age_band_and_sex(export.exported_at.date(), unknown_sex=UNKNOWN),
        pl.coalesce(pl.col("unit").cast(pl.String), pl.col("group"), pl.lit(UNKNOWN)).alias("unit"),
    )
    stamp = export.exported_at
    hours = (pl.col("read_at") - pl.col("sent_at")).dt.total_microseconds() / _US_PER_HOUR
    by_reminder = pl.col("read_via") == "reminder"
    joined = joined.with_columns(
        pl.when((pl.col("outcome") == "read") & ~by_reminder.fill_null(False))
        .then(hours)
        .alias("hours_to_read"),
    ).with_columns(observation_columns(stamp))
    # read only after the reminder: the first message's time to read is censored at the reminder
    to_reminder = (
        pl.col("reminder_sent_at") - pl.col("sent_at")
    ).dt.total_microseconds() / _US_PER_HOUR
    joined = joined.with_columns(
        pl.when(by_reminder).then(to_reminder).otherwise("observed_hours").alias("observed_hours"),
        pl.when(by_reminder & pl.col("sent_at").is_not_null())
        .then(False)
        .otherwise("event")
        .alias("event"),
    )
    rows = waves
    rejected = int(rows.select((pl.col("pnr").is_null()).sum()).item())
    persons = people.height
    reminder_rows = int((rows["wave"] == "reminder").sum())
    summary = {
        "rows": rows.height,
        "rejected": rejected,
        "rejected_by_reason": dict(
            rows.filter(pl.col("pnr").is_null())
            .group_by(pl.col("pnr_reason").cast(pl.String))
            .agg(pl.len())
            .iter_rows()
        ),
        "duplicate_rows": rows.height - rejected - persons - reminder_rows,
        "reminder_rows": reminder_rows,
        "wave_problems": dict(
            rows.filter(pl.col("wave_problem").is_not_null())
            .group_by("wave_problem")
            .len()
            .iter_rows()
        ),
        "persons": persons,
        "with_problems": int(rows["problem"].is_not_null().sum()),
        "problems_by_kind": dict(
            rows.filter(pl.col("problem").is_not_null()).group_by("problem").len().iter_rows()
        ),
    }
    if rejected:
        warnings.append(
            f"{rejected} export row(s) hold no valid personnummer and are left out"
            f" ({', '.join(f'{k}: {v}' for k, v in summary['rejected_by_reason'].items())})"
        )
    if summary["wave_problems"]:
        warnings.append(
            "some residents have more sent cases than a first message and a reminder ("
            + ", ".join(f"{WAVE_PROBLEMS[k]}: {v}" for k, v in summary["wave_problems"].items())
            + ")"
        )
    columns = [*OUTCOME_COLUMNS, *REMINDER_COLUMNS]
    return Outcomes(
        people=joined.select(columns),
        exported_at=stamp,
        export_summary=summary,
        target_size=target.height if target is not None else None,
        campaign=campaign,
        warnings=tuple(warnings),
        timezone=export.mapping.timezone,
        failures_listed=export.failures_listed,
        reminder_after_working_hours=reminder_after_working_hours,
    )
