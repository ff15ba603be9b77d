"""Outcome follow-up ("uptake"): did the residents do what the message asked, by read status?

Why: the orderer wants to know whether people booked the check, came to the screening, got
vaccinated or answered, not only whether they read. That comes from a later extract (the
campaign's ``followup.outcome``: a file or an SQL query, read with the target extract's
machinery, :mod:`inkorg_kit.target.extract`) with one row per event. This module joins it to
the campaign's residents and their read status from the reconcile
(:class:`~inkorg_kit.followup.reconcile.Outcomes`).

Nothing is lost: every extract row is *counted* (a resident's first event within the horizon),
a *repeat* (a later event of the same resident within the horizon), *other_kind* (not one of
``kinds``), *not_recipient* (a valid personnummer outside the campaign), *bad_pnr* (rejected
by :func:`inkorg_kit.pnr.clean`, with its reason), *no_date* (an empty date), *no_send_time*
(a resident with no known send time), *before_message*, *after_horizon* or *after_extract*
(after ``extracted_on``); :meth:`Uptake.accounting` checks the counts add up.

Time runs in whole days from the message's day (local time): the resident's send time, or,
for residents the export has no time for (failed sends list no time), the first send of
their recipient file. A resident is followed up to the horizon or to the day the extract was
taken, whichever comes first (censored there, for Kaplan-Meier).

The status groups (``status_group``, :data:`UPTAKE_GROUPS`): *read*, *unread*, *letter* (not
reachable in 1177: the send failed, so a letter goes out) and *reminder* (residents who got a
reminder, given as ``reminded``; it takes them out of read and unread). Residents of unknown
read status (*unknown*) and those not in the export (*not_sent*) are kept but not published.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from inkorg_kit import pnr
from inkorg_kit.config.campaign import relative_to_folder, sql_source_in_folder
from inkorg_kit.config.outcome_spec import OUTCOME_COLUMN_NAMES, OutcomeSpec, horizon_days
from inkorg_kit.config.target_spec import SqlSource
from inkorg_kit.errors import InkorgError
from inkorg_kit.followup.reconcile import Outcomes
from inkorg_kit.io import SettingKeys, read_extract
from inkorg_kit.io.messages import input_error
from inkorg_kit.target.extract import find_column, read_sql_source, resolve_path

if TYPE_CHECKING:
    from inkorg_kit.config.campaign import Campaign

__all__ = [
    "FATES",
    "FATE_LABELS",
    "UPTAKE_GROUPS",
    "UPTAKE_GROUP_LABELS",
    "Uptake",
    "UptakeError",
    "load_uptake",
    "status_groups",
    "uptake",
]

#: The published status groups, in the order tables show them.
UPTAKE_GROUPS = ("read", "unread", "reminder", "letter")
#: Swedish labels of every status group (the last two are not published).
UPTAKE_GROUP_LABELS = {
    "read": "Läst",
    "unread": "Oläst",
    "reminder": "Påminnelse",
    "letter": "Brev (nås inte via 1177)",
    "unknown": "Okänd lässtatus",
    "not_sent": "Saknas i statusexporten",
}
#: What became of each extract row, in the order the accounting lists them.
FATES = (
    "counted",
    "repeat",
    "other_kind",
    "not_recipient",
    "bad_pnr",
    "no_date",
    "no_send_time",
    "before_message",
    "after_horizon",
    "after_extract",
)
FATE_LABELS = {
    "counted": "räknad (första händelsen inom tiden)",
    "repeat": "fler händelser för samma invånare",
    "other_kind": "annan typ av händelse",
    "not_recipient": "inte mottagare i kampanjen",
    "bad_pnr": "ogiltigt personnummer",
    "no_date": "datum saknas",
    "no_send_time": "okänd sändtid",
    "before_message": "före meddelandet",
    "after_horizon": "efter tidsgränsen",
    "after_extract": "efter uttagsdagen",
}
_KEYS = SettingKeys(
    column="set followup.outcome.pnr_column to",
    header_row="set followup.outcome.header_row to",
)
_ACCEPTED_DATES = "YYYY-MM-DD (optionally with a time: YYYY-MM-DD HH:MM) or YYYYMMDD"
#: A date Excel wrote as its day number (1954-10-03 … 2119-01-10: 20000-79999, maybe .0).
_EXCEL_DAY = re.compile(r"[2-7]\d{4}(\.0+)?")


class UptakeError(InkorgError):
    """The outcome extract cannot be used as the campaign maps it (names file, row, column)."""


@dataclass(frozen=True)
class Uptake:
    """The campaign's residents with whether and when they did the outcome.

    ``people`` (holds personnummer: memory only, show aggregates): ``pnr``, ``status_group``,
    ``age_band``, ``sex``, ``unit``, ``origin_day`` (the message's day), ``event_day`` (the
    first counted event), ``days`` (event - origin), ``followed_days`` (to the horizon or the
    extract day, whichever first), ``observed_days`` and ``event`` (Kaplan-Meier: days to the
    event, else censored at ``followed_days``), ``did`` (event within the horizon).
    ``rows``: every extract row (``row`` as the analyst sees it, ``fate``, ``reason`` for
    bad personnummer); no personnummer.
    """

    people: pl.DataFrame
    rows: pl.DataFrame
    event: str
    horizon_days: int
    extracted_on: dt.date
    source: str
    kinds: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    def accounting(self) -> dict[str, int]:
        """Extract rows per fate and in all; raises if they do not add up."""
        counts = dict.fromkeys(FATES, 0)
        for fate, n in self.rows.group_by("fate").len().iter_rows():
            counts[str(fate)] = int(n)
        total = sum(counts.values())
        if total != self.rows.height:  # pragma: no cover - guards the invariant itself
            raise AssertionError(f"uptake rows do not add up: {total} != {self.rows.height}")
        counted = int(self.people["did"].sum())
        if counted != counts["counted"]:  # pragma: no cover - guards the invariant itself
            raise AssertionError(f"counted rows {counts['counted']} != residents who did {counted}")
        return {"rows": self.rows.height, **counts}

    def accounting_table(self) -> pl.DataFrame:
        """The accounting in Swedish (Utfall, Rader), for the analyst."""
        counts = self.accounting()
        return pl.DataFrame(
            {
                "Rader i uttaget": [FATE_LABELS[f] for f in FATES] + ["summa"],
                "Antal": [counts[f] for f in FATES] + [counts["rows"]],
            }
        )

    def rejected(self) -> pl.DataFrame:
        """The rows with an unusable personnummer: row and reason (no values)."""
        return self.rows.filter(pl.col("fate") == "bad_pnr").select("row", "reason")

    def short_followup(self) -> int:
        """Residents followed for less than the horizon (the extract came too soon)."""
        return int((self.people["followed_days"] < self.horizon_days).sum())


def status_groups(people: pl.DataFrame, reminded: Iterable[str] | pl.Series | None) -> pl.Expr:
    """``status_group`` from ``outcome`` (and ``failure``), with the ``reminded`` residents'
    personnummer (the same form as ``people.pnr``) as *reminder*."""
    group = (
        pl.when(pl.col("outcome") == "read")
        .then(pl.lit("read"))
        .when(pl.col("outcome") == "unread")
        .then(pl.lit("unread"))
        .when(pl.col("outcome") == "failed")
        .then(pl.lit("letter"))
        .when(pl.col("outcome") == "unknown")
        .then(pl.lit("unknown"))
        .otherwise(pl.lit("not_sent"))
    )
    if reminded is not None:
        numbers = pl.Series("reminded", list(reminded), dtype=pl.String)
        if numbers.len():
            in_reminder = pl.col("pnr").is_in(numbers.implode()) & pl.col("outcome").is_in(
                ["read", "unread", "unknown"]
            )
            group = pl.when(in_reminder).then(pl.lit("reminder")).otherwise(group)
    return group.alias("status_group")


def _source_of(spec: OutcomeSpec, campaign: Campaign | None) -> str | SqlSource:
    folder = getattr(campaign, "folder", None)
    if folder is None:
        return spec.source
    if isinstance(spec.source, SqlSource):
        return sql_source_in_folder(spec.source, Path(folder))
    return relative_to_folder(spec.source, Path(folder))


def _read(
    spec: OutcomeSpec, source: str | os.PathLike[str] | SqlSource | pl.DataFrame
) -> tuple[pl.DataFrame, str, int, str | None]:
    """The extract, its name (safe to show), its first row's number, its pnr column."""
    explicit = "pnr_column" in spec.model_fields_set
    if isinstance(source, pl.DataFrame):
        return source, "(frame)", 1, spec.pnr_column if explicit else None
    if isinstance(source, SqlSource):
        frame = read_sql_source(source, spec.pnr_column if explicit else None)
        return frame, source.describe(), 1, spec.pnr_column if explicit else None
    path = resolve_path(source, Path.cwd())
    table = read_extract(
        path, spec.pnr_column if explicit else None, header_row=spec.header_row, keys=_KEYS
    )
    return table.frame, str(source), table.first_row, table.pnr_column


def _column(
    spec: OutcomeSpec, key: str, columns: list[str], where: str, *, needed: bool = True
) -> str | None:
    """The extract's column for a column key: as set, else found by its usual names."""
    current = getattr(spec, key)
    if key in spec.model_fields_set or (current is not None and current in columns):
        if current in columns or current is None:
            return current
        found = None
    else:
        found = find_column(columns, OUTCOME_COLUMN_NAMES[key])
        if found is not None or not needed:
            return found
    shown = ", ".join(repr(c) for c in columns[:30])
    raise UptakeError(
        pnr.mask_in_text(
            f"{where}: the outcome extract has no column '{current or key}'"
            f" (followup.outcome.{key}); its columns are {shown}. Name the right column in"
            f" followup.outcome.{key} (a column named {', '.join(OUTCOME_COLUMN_NAMES[key][:4])},"
            " … is found by itself)"
        )
    )


def _dates(values: pl.Series, spec: OutcomeSpec, where: str, column: str, first: int) -> pl.Series:
    """The event dates as ``Date``; empty cells null; an unreadable one stops with its row."""
    if values.dtype == pl.Date:
        return values
    if isinstance(values.dtype, pl.Datetime):
        return values.dt.date()
    text = values.cast(pl.String).str.strip_chars()
    text = pl.select(pl.when(text.str.len_chars() > 0).then(text)).to_series()
    if spec.date_format:
        parsed = text.str.to_datetime(spec.date_format, strict=False).dt.date()
        accepted = f"dates as {spec.date_format} (followup.outcome.date_format)"
    else:
        iso = text.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
        compact = text.str.to_date("%Y%m%d", strict=False)
        parsed = pl.select(pl.coalesce(iso, compact)).to_series()
        accepted = f"dates as {_ACCEPTED_DATES}, or set followup.outcome.date_format"
    bad = (text.is_not_null() & parsed.is_null()).arg_true()
    if bad.len():
        i = int(bad[0])
        if _EXCEL_DAY.fullmatch(text[i] or ""):  # Excel's day number, not a text date
            accepted = (
                "dates, not Excel's day numbers: format the column as a date in Excel "
                "(or save the file as .xlsx, where dates are read as dates)"
            )
        raise UptakeError(
            str(
                input_error(
                    where,
                    f"{bad.len()} date(s) cannot be read, the first is "
                    f"{pnr.mask_in_text(repr(text[i]))}",
                    f"Write {accepted}",
                    row=first + i,
                    column=column,
                )
            )
        )
    return parsed.rename(values.name)


def uptake(
    outcomes: Outcomes,
    spec: OutcomeSpec,
    *,
    source: str | os.PathLike[str] | SqlSource | pl.DataFrame | None = None,
    category: str | None = None,
    reminded: Iterable[str] | pl.Series | None = None,
    campaign: Campaign | None = None,
) -> Uptake:
    """Read the outcome extract (``source``, else ``spec.source`` counted from the campaign's
    folder) and join it to ``outcomes``' campaign residents (module docstring)."""
    horizon = horizon_days(
        spec, category if category is not None else getattr(campaign, "category", None)
    )
    raw, where, first, pnr_col = _read(
        spec, source if source is not None else _source_of(spec, campaign)
    )
    columns = list(raw.columns)
    pcol = pnr_col or _column(spec, "pnr_column", columns, where)
    if pcol not in columns:
        pcol = _column(spec, "pnr_column", columns, where)
    dcol = _column(spec, "date_column", columns, where)
    kcol = _column(spec, "kind_column", columns, where, needed=bool(spec.kinds))
    days = _dates(raw[str(dcol)], spec, where, str(dcol), first)
    checked = pnr.clean(raw[str(pcol)], reference_date=outcomes.exported_at)
    rows = pl.DataFrame(
        {
            "row": pl.int_range(first, first + raw.height, eager=True, dtype=pl.Int64),
            "pnr": checked["pnr"],
            "status": checked["status"].cast(pl.String),
            "reason": checked["reason"].cast(pl.String),
            "event_day": days,
            "kind": raw[kcol].cast(pl.String).str.strip_chars()
            if kcol
            else pl.Series([None] * raw.height, dtype=pl.String),
        }
    )
    extracted = spec.extracted_on or rows["event_day"].max() or outcomes.exported_at.date()
    camp = outcomes.people.filter(pl.col("in_campaign"))
    file_start = camp.group_by("file_name").agg(pl.col("sent_at").min().alias("_file_sent"))
    people = (
        camp.join(file_start, on="file_name", how="left", nulls_equal=True)
        .with_columns(
            status_groups(camp, reminded),
            pl.coalesce("sent_at", "_file_sent")
            .dt.convert_time_zone(outcomes.timezone)
            .dt.date()
            .alias("origin_day"),
        )
        .select("pnr", "status_group", "age_band", "sex", "unit", "origin_day")
    )
    kinds_ok = pl.col("kind").is_in(list(spec.kinds)) if spec.kinds else pl.lit(True)
    joined = rows.join(
        people.select("pnr", "origin_day", pl.lit(True).alias("_recipient")),
        on="pnr",
        how="left",
        maintain_order="left",
    ).with_columns(((pl.col("event_day") - pl.col("origin_day")).dt.total_days()).alias("days"))
    fate = (
        pl.when(pl.col("status") == "rejected")
        .then(pl.lit("bad_pnr"))
        .when(pl.col("event_day").is_null())
        .then(pl.lit("no_date"))
        .when(~kinds_ok.fill_null(False))
        .then(pl.lit("other_kind"))
        .when(pl.col("_recipient").is_null())
        .then(pl.lit("not_recipient"))
        .when(pl.col("origin_day").is_null())
        .then(pl.lit("no_send_time"))
        .when(pl.col("event_day") > pl.lit(extracted))
        .then(pl.lit("after_extract"))
        .when(pl.col("days") < 0)
        .then(pl.lit("before_message"))
        .when(pl.col("days") > horizon)
        .then(pl.lit("after_horizon"))
        .otherwise(pl.lit("in_window"))
    )
    joined = joined.with_columns(fate.alias("fate"), pl.int_range(pl.len()).alias("_i"))
    first_event = (
        joined.filter(pl.col("fate") == "in_window")
        .sort("days", "_i")
        .group_by("pnr", maintain_order=True)
        .agg(pl.col("_i").first(), pl.col("event_day").first(), pl.col("days").first())
    )
    in_window = pl.col("fate") == "in_window"
    rows_out = joined.select(
        "row",
        pl.when(in_window & pl.col("_i").is_in(first_event["_i"].implode()))
        .then(pl.lit("counted"))
        .when(in_window)
        .then(pl.lit("repeat"))
        .otherwise(pl.col("fate"))
        .alias("fate"),
        pl.when(pl.col("fate") == "bad_pnr").then(pl.col("reason")).alias("reason"),
    )
    followed = pl.min_horizontal(
        pl.lit(horizon, pl.Int64), (pl.lit(extracted) - pl.col("origin_day")).dt.total_days()
    )
    people = (
        people.join(
            first_event.select("pnr", "event_day", "days"),
            on="pnr",
            how="left",
            maintain_order="left",
        )
        .with_columns(followed.alias("followed_days"))
        .with_columns(
            pl.col("days").is_not_null().alias("did"),
            pl.col("days").is_not_null().alias("event"),
            pl.coalesce(pl.col("days"), pl.col("followed_days"))
            .cast(pl.Float64)
            .alias("observed_days"),
        )
    )
    warnings = []
    short = int((people["followed_days"] < horizon).sum())
    if short:
        warnings.append(
            f"{short} residents were followed less than the horizon ({horizon} days): the"
            f" extract was taken on {extracted}; their shares are low, the Kaplan-Meier curves"
            " account for it"
        )
    return Uptake(
        people=people,
        rows=rows_out,
        event=spec.event,
        horizon_days=horizon,
        extracted_on=extracted,
        source=where,
        kinds=tuple(spec.kinds),
        warnings=tuple(warnings),
    )


def load_uptake(
    campaign: Campaign,
    outcomes: Outcomes,
    *,
    source: str | os.PathLike[str] | SqlSource | pl.DataFrame | None = None,
    reminded: Iterable[str] | pl.Series | None = None,
) -> Uptake | None:
    """:func:`uptake` with the campaign's ``followup.outcome``; None when it has none."""
    spec = campaign.followup.outcome
    if spec is None:
        return None
    return uptake(outcomes, spec, source=source, reminded=reminded, campaign=campaign)
