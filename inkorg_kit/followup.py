"""Follow-up after sending: status exports, read rates, time to read, follow-up lists, refit.

Why: after sending, staff can take two lists out of Personalverktyget: the sent cases (who,
when, read or not) and the residents the send failed for (no 1177 login, locked account). The
orderer wants to know how many were reached and read, residents who did not read a kallelse
must be reached another way (paper letter, phone; seed 004), and the next campaign should plan
with this campaign's real login shares and reading times instead of assumptions.

**The status export.** Personalverktyget's export layout is not public, so this module reads a
documented *default layout* and lets the campaign YAML map any real export onto it, without
code (``followup.status_export`` in the campaign; every key optional)::

    followup:
      status_export:
        sent_file: skickade_arenden.csv      # in the export folder (CSV or XLSX)
        failed_file: misslyckade_utskick.csv # null: failures are rows of the sent file
        columns: {pnr: Personnummer, sent_at: Skickat, status: Status, read_at: Läst}
        failed_columns: {pnr: Personnummer, reason: Orsak}
        labels:
          read: [Läst, Läst av invånare]
          unread: [Oläst, Oläst av invånare]
          closed: [Stängt]
          failed: [Misslyckades, Misslyckat]
        failure_reasons:
          no_login: [Saknar inloggning, Saknar aktiv inloggning]
          locked: [Kontot är spärrat, Spärrat konto]
        closed_without_read_time: unread     # unread | unknown
        datetime_format: null                # null: ISO-like "2027-03-16 09:12[:05]"; a
                                             # trailing Z or +01:00 is an absolute time
        timezone: Europe/Stockholm

The default sent file is ``Personnummer;Skickat;Status;Läst`` (semicolon, UTF-8 with BOM, as
Excel writes it), one row per case: the personnummer (any shape :func:`inkorg_kit.pnr.clean`
accepts, also 10 digits), the time it was sent, the status label, and the time the resident
read it (empty if unread). The failed file is ``Personnummer;Orsak`` with reasons such as
"Saknar inloggning" and "Kontot är spärrat" (unknown reasons count as "other"). An export that
lists failures as rows with status "Misslyckades" in the sent file works too (``failed_file:
null``). CSV and XLSX are read by :func:`inkorg_kit.io.read_table` (same rules and errors;
a missing column names its ``followup.status_export.columns.*`` key). Labels are compared
without case and extra spaces.

**Rows with a problem** (:data:`PROBLEMS`: a label the mapping does not know, an empty
status, "unread" with a read time, a time that cannot be read or does not exist in Swedish
time, a sent case without a sent time, a read time before the sent time) are kept with their
reason, whether or not the person was in the campaign: what is wrong is left out (an unknown
status is an unknown read status, followed up; a doubtful time keeps the row out of time to
read), the rows are counted, and :meth:`StatusExport.problems` lists them by file line with
masked values. Only when more than 5 % of a file's rows have one does the run stop: then the
mapping is wrong, and the error names the file, the lines (as :mod:`inkorg_kit.io` counts
them: the header is line 1), the header and its mapping key, with at most three example
values, masked unless they are labels seen on five rows or more (never a personnummer, nor
a name from a wrongly mapped column).

**Closed cases** ("Stängt"). An information message is closed the second it is sent (seed
004), so "closed" says nothing about reading, and the follow-up must include closed cases. A
closed case *with* a read time counts as read; one without is treated as unread by default
(it goes on the follow-up list: the safe side for a kallelse), or, with
``closed_without_read_time: unknown``, is counted separately and left out of read rates (but
still followed up).

**Nothing is dropped.** Every export row is a person, a duplicate row of a person (cases sent
twice: the best outcome wins, read > unread > unknown > failed), or rejected with the reason
from :func:`inkorg_kit.pnr.clean`. Every campaign resident (from the recipient manifest) is
read, unread, of unknown status, failed, or missing from the export; residents in the export
who were never in the campaign are counted too. :meth:`Outcomes.counts` checks that it adds
up. Everyone not known to have read goes on a follow-up list (:func:`followup_lists`): the
unread after N working hours, the failed, and those missing from the export (they may never
have got the message).

**Statistics.** Read rates are read / (read + unread) among delivered messages, with Wilson
intervals (``statsmodels.stats.proportion.proportion_confint``), overall and by file, age
band, sex, unit and send weekday and hour. Time to read is a Kaplan-Meier curve
(``statsmodels.duration.survfunc.SurvfuncRight``), residents still unread at export time being
censored then; pointwise intervals use the log-log transform of Greenwood's standard error.

**Refit.** :func:`fit_reach` writes this campaign's login shares (1 - failed/sent per age band,
a Beta posterior from a Jeffreys prior) and time to read per age band (a censored two-part
log-normal fit in the reach model's active hours, by maximum likelihood with weak priors,
``scipy.optimize``) in the format of ``params/reach_defaults.yaml``. The login share is not
fitted when failures cannot be counted (no failed list, or residents of sent files missing).
The export does not say who got a notification, so the assumed notified and not-notified
curves are scaled together until their mix matches the fit: the gap between them stays as
assumed, and notification shares too. Strengths are capped (:data:`FIT_STRENGTH_CAP`): one
campaign is one draw of the region's behaviour, not the next campaign's truth.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io as stdio
import json
import math
import os
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
from pydantic import ValidationError

from inkorg_kit import pnr as _pnr
from inkorg_kit._files import ensure_private_dir, write_private_bytes, write_private_text
from inkorg_kit.config.status_export import (
    StatusExportMapping,
)
from inkorg_kit.hours.clock import ActiveClock, series_epoch_hours
from inkorg_kit.io import InputError, first_data_line, read_table

__all__ = [
    "DIMENSIONS",
    "FAILURES",
    "FIT_STRENGTH_CAP",
    "FOLLOWUP_KEYS",
    "OUTCOMES",
    "PROBLEMS",
    "FollowupLists",
    "Outcomes",
    "StatusExport",
    "StatusExportError",
    "StatusExportMapping",
    "TimingFit",
    "campaign_recipients",
    "compare_reach",
    "fit_notes",
    "fit_reach",
    "followup_lists",
    "followup_reasons",
    "group_table",
    "load_status",
    "load_target",
    "read_curves",
    "read_rate",
    "read_within",
    "reconcile",
    "status_mapping",
    "time_to_read_summary",
    "unread_deadline",
    "unread_list_name",
    "write_fitted",
    "write_followup_lists",
]

#: What became of each campaign resident.
OUTCOMES = ("read", "unread", "unknown", "failed", "not_in_export")
OUTCOME = pl.Enum(OUTCOMES)
OUTCOME_LABELS = {
    "read": "Läst",
    "unread": "Oläst",
    "unknown": "Okänd lässtatus (stängt ärende utan lästid, eller felaktig rad)",
    "failed": "Utskicket misslyckades",
    "not_in_export": "Saknas i statusexporten",
}
#: Why a send failed, as a closed vocabulary (the export's own text is kept beside it).
FAILURES = ("no_login", "locked", "other")
FAILURE = pl.Enum(FAILURES)
FAILURE_LABELS = {
    "no_login": "Saknar inloggning på 1177",
    "locked": "Kontot är spärrat",
    "other": "Misslyckades av annan orsak",
}
CATEGORIES = ("read", "unread", "closed", "failed")
CATEGORY = pl.Enum(CATEGORIES)
SOURCES = pl.Enum(("sent", "failed"))
UNKNOWN = "okänd"
OVERALL = "Alla"
#: Grouping columns of :func:`group_table` with the Swedish names the reports show.
DIMENSIONS = {
    "file_name": "Fil",
    "age_band": "Åldersgrupp",
    "sex": "Kön",
    "unit": "Enhet",
    "send_weekday": "Veckodag för utskick",
    "send_hour": "Timme för utskick",
}
SEX_LABELS = {"F": "Kvinna", "M": "Man"}
WEEKDAYS_SV = ("Måndag", "Tisdag", "Onsdag", "Torsdag", "Fredag", "Lördag", "Söndag")
TARGET_FILE = "target_group.parquet"
EXPORT_DIR = "status_export"
FOLLOWUP_DIR = "followup"
LETTERS_CSV = "followup_letters.csv"
FOLLOWUP_MANIFEST = "followup_manifest.json"
FITTED_FILE = "fitted_reach.yaml"
FAILED_LIST = "failed"
NOT_IN_EXPORT_LIST = "not-in-export"

_US_PER_HOUR = 3_600_000_000
# after a "T" between date and time became a space and a trailing "Z" became "+00:00"
_AUTO_FORMATS = ("%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y%m%d %H:%M")
_OFFSET_FORMATS = ("%Y-%m-%d %H:%M:%S%.f%z", "%Y-%m-%d %H:%M%z")


# --------------------------------------------------------------------------- the mapping


def _norm_expr(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace_all(r"\s+", " ").str.strip_chars().str.to_lowercase()


class StatusExportError(InputError):
    """A status export (or its mapping) that cannot be used: where, what, and what to do."""

    def __init__(self, message: str, *, path: str | os.PathLike[str] | None = None, **kw: Any):
        super().__init__(_pnr.mask_in_text(message), path=path, **kw)


def status_mapping(source: Any = None) -> StatusExportMapping:
    """The mapping from a campaign (its ``followup.status_export``), a dict, or the default."""
    if isinstance(source, StatusExportMapping):
        return source
    if source is None:
        data: Any = {}
    elif hasattr(source, "followup"):
        data = source.followup.status_export or {}
    else:
        data = source
    if not isinstance(data, Mapping):
        raise StatusExportError(
            f"followup.status_export must be a mapping (sent_file, columns, labels, ...), got"
            f" {type(data).__name__}"
        )
    try:
        return StatusExportMapping.model_validate(dict(data))
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(top)"
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown key; accepted keys are " + ", ".join(_accepted_keys(err["loc"]))
            lines.append(f"  followup.status_export.{where}: {msg}")
        raise StatusExportError(
            "the status-export mapping in the campaign is not valid:\n" + "\n".join(lines)
        ) from None


def _accepted_keys(loc: Sequence[Any]) -> list[str]:
    model: Any = StatusExportMapping
    for part in loc[:-1]:
        info = model.model_fields.get(str(part))
        if info is None or not isinstance(info.annotation, type):
            break
        model = info.annotation
    return list(model.model_fields)


# --------------------------------------------------------------------------- reading exports

#: Row problems: the row is kept (a person's status is worth more than a clean file), the part
#: that is wrong is left out, and the row is counted and listed (masked) with its reason.
PROBLEMS = {
    "status_unknown": "a status label the mapping does not know",
    "status_empty": "an empty status",
    "unread_with_read_time": "the status unread but a read time",
    "time_unreadable": "a time that cannot be read",
    "time_nonexistent": "a time that does not exist in Swedish time (the export's time zone:"
    " the clocks jump from 02:00 to 03:00 on the last Sunday of March)",
    "sent_time_missing": "no sent time on a sent case",
    "read_before_sent": "a read time before the sent time",
    "time_after_export": "a time after the export was taken (exported_at)",
}
#: What the follow-up does with each problem row (for the analyst's list).
PROBLEM_EFFECTS = {
    "status_unknown": "read status unknown: followed up, left out of read rates and time to read",
    "status_empty": "read status unknown: followed up, left out of read rates and time to read",
    "unread_with_read_time": "read status unknown: followed up, left out of read rates and time"
    " to read",
    "time_unreadable": "the time is left out (a read counts, but not in time to read)",
    "time_nonexistent": "the time is left out (a read counts, but not in time to read)",
    "sent_time_missing": "status kept; left out of time to read; followed up without waiting",
    "read_before_sent": "read time left out: the read counts, but not in time to read",
    "time_after_export": "the time is left out (a read counts, but not in time to read)",
}


def _problem_texts(m: StatusExportMapping) -> dict[str, str]:
    """:data:`PROBLEMS`, naming the mapping's time zone where it is not Swedish time."""
    if m.timezone == "Europe/Stockholm":
        return dict(PROBLEMS)
    return {
        k: v.replace("Swedish time (the export's time zone:", f"{m.timezone} (the time zone set:")
        for k, v in PROBLEMS.items()
    }


_STATUS_PROBLEMS = ("status_unknown", "status_empty", "unread_with_read_time")
_PROBLEM_TODO = {
    "status_unknown": "Add each label under the key that says what it means"
    " (followup.status_export.labels knows {labels})",
    "status_empty": "Every case needs a status (followup.status_export.labels knows {labels})",
    "unread_with_read_time": "Check that followup.status_export.columns.read_at names the"
    " read-time column and that the labels are right",
    "time_unreadable": "Expected {want}; set followup.status_export.datetime_format"
    " (e.g. '%d/%m/%Y %H:%M') to read them",
    "time_nonexistent": "These times fall in the hour the clocks skip in {zone}; check"
    " followup.status_export.timezone, or whether the export writes UTC (then give the offset)",
    "sent_time_missing": "Every sent case needs its sent time; check that"
    " followup.status_export.columns.sent_at names the sent-time column",
    "read_before_sent": "Check that followup.status_export.columns.sent_at and .read_at are"
    " not swapped",
    "time_after_export": "Give exported_at as the time the export was taken (it is where the"
    " unread are counted up to), or leave it empty for the latest time in the export",
}


@dataclass(frozen=True)
class StatusExport:
    """A status export read and checked: one row per export row (in memory: holds pnr).

    ``rows`` columns: ``source`` (sent/failed file), ``row`` (data row, 1 = first below the
    header), ``line`` (the row's line in the file, as :mod:`inkorg_kit.io` counts: header =
    line 1), ``pnr`` (normalised, null if rejected), ``pnr_masked`` (on the rows
    :meth:`problems` lists), ``pnr_status`` and
    ``pnr_reason`` (from :func:`inkorg_kit.pnr.clean`), ``category`` (read/unread/closed/failed
    label; null if the status is unknown), ``outcome`` (read/unread/unknown/failed), ``closed``,
    ``sent_at``, ``read_at`` (local time; a read time that cannot be right is null),
    ``failure`` (no_login/locked/other), ``reason_text``, and ``problem`` (a :data:`PROBLEMS`
    code or null) with ``problem_column`` (the header name) and ``problem_value`` (the raw
    cell). ``failures_listed`` is False when the export had no list of failed sends.
    """

    rows: pl.DataFrame
    exported_at: dt.datetime
    paths: tuple[Path, ...]
    mapping: StatusExportMapping
    warnings: tuple[str, ...] = ()
    failures_listed: bool = True

    def summary(self) -> pl.DataFrame:
        """Rows per file and fate (person, rejected with reason, kept with a problem): no pnr."""
        return (
            self.rows.group_by(
                pl.col("source").cast(pl.String),
                pl.col("pnr_status").cast(pl.String),
                pl.col("pnr_reason").cast(pl.String),
                "problem",
            )
            .agg(pl.len().alias("rows"))
            .sort("source", "pnr_status", "pnr_reason", "problem", nulls_last=True)
        )

    def problems(self) -> pl.DataFrame:
        """The analyst's fix list: every row rejected (no valid personnummer) or kept with a
        problem, by file and line, with the header name, the masked value and what was done."""
        names = {"sent": self.paths[0].name}
        if len(self.paths) > 1:
            names["failed"] = self.paths[1].name
        hit = self.rows.filter(pl.col("pnr").is_null() | pl.col("problem").is_not_null())
        pnr_problem = pl.col("pnr").is_null()
        return hit.select(
            pl.col("source").cast(pl.String).replace_strict(names, default=None).alias("file"),
            "line",
            pl.when(pnr_problem)
            .then(
                pl.when(pl.col("source") == "sent")
                .then(pl.lit(self.mapping.columns.pnr))
                .otherwise(pl.lit(self.mapping.failed_columns.pnr))
            )
            .otherwise(pl.col("problem_column"))
            .alias("column"),
            pl.when(pnr_problem)
            .then(pl.concat_str(pl.lit("personnummer: "), pl.col("pnr_reason").cast(pl.String)))
            .otherwise(pl.col("problem").replace_strict(_problem_texts(self.mapping), default=None))
            .alias("problem"),
            pl.when(pnr_problem)
            .then(pl.lit("row left out (no valid personnummer)"))
            .otherwise(pl.col("problem").replace_strict(PROBLEM_EFFECTS, default=None))
            .alias("done"),
            pl.when(pnr_problem)
            .then(pl.col("pnr_masked"))
            .otherwise(_masked_values(pl.col("problem_value")))
            .alias("value"),
            pl.col("pnr_masked").alias("personnummer"),
        ).sort("file", "line")


def _mask_digits(values: pl.Series) -> pl.Series:
    # only ever on rows with a problem; one clean() over all the numbers in them
    return pl.Series(_pnr.mask_in_texts(values.to_list()), dtype=pl.String)


def _masked_values(values: pl.Expr) -> pl.Expr:
    """Cell values safe to show: free text (a name in the wrong column?) cut to its first
    letter, and times and numbers with any personnummer in them masked."""
    letters = r"[^\W\d_TZ]"  # a letter; the T and Z of ISO times do not count
    return (
        pl.when(values.str.contains(letters) & (values.str.len_chars() > 1))
        .then(pl.concat_str(values.str.slice(0, 1), pl.lit("…")))
        .when(values.str.contains(r"\d"))
        .then(values.map_batches(_mask_digits, return_dtype=pl.String))
        .otherwise(values)
    )


def _locate(
    source: str | os.PathLike[str] | None, m: StatusExportMapping, run_dir: Path | None
) -> tuple[Path, Path | None, bool, list[str]]:
    """(sent file, failed file or None, whether failures are listed, warnings)."""
    warnings: list[str] = []
    if source is None or str(source) == "":
        if run_dir is None:
            raise StatusExportError("no status export given: pass a file or a folder", path=None)
        source = run_dir / EXPORT_DIR
    path = Path(source)
    if not path.exists():
        raise StatusExportError(
            f"the status export '{path}' does not exist (working folder {Path.cwd()}). Export"
            " the sent cases (and the failed sends) from Personalverktyget and give the file or"
            " the folder holding them",
            path=path,
        )
    if path.is_dir():
        folder = path
        sent = folder / m.sent_file
        if not sent.is_file():
            found = sorted(p.name for p in folder.iterdir() if p.is_file())
            raise StatusExportError(
                f"the folder '{folder}' has no sent-cases file '{m.sent_file}'; it holds"
                f" {found or '(nothing)'}. Name the file in followup.status_export.sent_file,"
                " or give the file itself",
                path=folder,
            )
    else:
        sent, folder = path, path.parent
    failed, listed = None, True
    if m.failed_file:
        candidate = Path(m.failed_file)
        candidate = candidate if candidate.is_absolute() else folder / candidate
        if candidate.resolve() == sent.resolve():
            failed = None
        elif candidate.is_file():
            failed = candidate
        else:
            listed = False
            warnings.append(
                f"no failed-sends file '{candidate.name}' beside the sent cases: residents whose"
                " send failed show as missing from the export, and the login share is not"
                " refitted (export the failed list, or set followup.status_export.failed_file:"
                " null if failures are rows of the sent file)"
            )
    return sent, failed, listed, warnings


def _lines_text(lines: Sequence[int], total: int) -> str:
    shown = ", ".join(str(r) for r in lines[:10])
    more = f" and {total - 10} more" if total > 10 else ""
    return f"line{'s' if total > 1 else ''} {shown}{more}"


def _header_line(path: Path, m: StatusExportMapping) -> int:
    """The file line of the header, as :mod:`inkorg_kit.io` counts (a ``sep=`` line, quoted
    or not, and UTF-16 included); 1 for Excel and Parquet."""
    first = first_data_line(path, encoding=m.encoding, delimiter=m.delimiter)
    return 1 if first is None else first - 1


#: A value seen on this many rows is a label, not one person's: shown in full in errors.
_LABEL_ROWS = 5


def _examples(values: pl.Series, limit: int = 3) -> str:
    """At most ``limit`` distinct values, the most frequent first, with their row counts;
    masked (:func:`_masked_values`) unless seen on at least :data:`_LABEL_ROWS` rows."""
    counts = (
        pl.DataFrame({"v": values.fill_null("")})
        .group_by("v")
        .agg(pl.len().alias("n"))
        .sort(["n", "v"], descending=[True, False])
    )
    shown = counts.head(limit).with_columns(
        pl.when(pl.col("n") >= _LABEL_ROWS).then(pl.col("v")).otherwise(_masked_values(pl.col("v")))
    )
    parts = [
        f"{_pnr.mask_in_text(v)!r} ({n} row{'s' if n > 1 else ''})" for v, n in shown.iter_rows()
    ]
    if counts.height > limit:
        parts.append(f"{counts.height - limit} other value(s)")
    return ", ".join(parts)


def _parse_times(text: pl.Series, m: StatusExportMapping) -> tuple[pl.Series, pl.Series]:
    """Text times -> (local tz-aware datetimes, problem code per value).

    ISO-like local times by default, also with a ``T``, and with a trailing ``Z`` or an offset
    (``+01:00``, ``+0100``) as absolute times; or ``datetime_format``. A local time in the hour
    the clocks skip (spring) is ``time_nonexistent``; one that cannot be read at all is
    ``time_unreadable``; an empty value is null without a problem.
    """
    text = text.cast(pl.String).str.strip_chars()
    text = pl.select(pl.when(text.str.len_chars() > 0).then(text)).to_series()
    tz = m.timezone
    if m.datetime_format:
        given = m.datetime_format
        absolute = "%z" in given or "%:z" in given or "%#z" in given
        formats, offsets = ((), (given,)) if absolute else ((given,), ())
        norm = text
    else:
        formats, offsets = _AUTO_FORMATS, _OFFSET_FORMATS
        norm = text.str.replace(r"^(\d{4}-\d{2}-\d{2})T", "$1 ").str.replace(r"(?i)z$", "+00:00")
    naive = [norm.str.to_datetime(f, strict=False, time_unit="us") for f in formats]
    local = [s.dt.replace_time_zone(tz, ambiguous="earliest", non_existent="null") for s in naive]
    absolute = [
        norm.str.to_datetime(f, strict=False, time_unit="us").dt.convert_time_zone(tz)
        for f in offsets
    ]
    parsed = pl.select(pl.coalesce([*local, *absolute])).to_series()
    wall = pl.select(pl.coalesce(naive)).to_series() if naive else None
    failed = text.is_not_null() & parsed.is_null()
    gap = failed & wall.is_not_null() if wall is not None else pl.Series([False] * len(text))
    problem = pl.select(
        pl.when(gap)
        .then(pl.lit("time_nonexistent"))
        .when(failed)
        .then(pl.lit("time_unreadable"))
        .otherwise(pl.lit(None, pl.String))
    ).to_series()
    return parsed, problem


def _categories(status: pl.Series, m: StatusExportMapping) -> tuple[pl.Series, pl.Series]:
    """Status labels -> (category or null, problem code or null)."""
    norm = pl.select(_norm_expr(status.cast(pl.String))).to_series()
    category = norm.replace_strict(m.label_map(), default=None, return_dtype=pl.String)
    empty = norm.is_null() | (norm == "")
    problem = pl.select(
        pl.when(empty)
        .then(pl.lit("status_empty"))
        .when(category.is_null())
        .then(pl.lit("status_unknown"))
        .otherwise(pl.lit(None, pl.String))
    ).to_series()
    return category.cast(CATEGORY), problem


def _failure_codes(reason: pl.Series | None, n: int, m: StatusExportMapping) -> pl.Series:
    if reason is None:
        return pl.Series("failure", ["other"] * n, dtype=FAILURE)
    norm = pl.select(_norm_expr(reason.cast(pl.String)).alias("k"))["k"]
    return norm.replace_strict(m.reason_map(), default="other", return_dtype=pl.String).cast(
        FAILURE
    )


def _read(
    path: Path, m: StatusExportMapping, keys: Mapping[str, str | None], prefix: str
) -> pl.DataFrame:
    """:func:`inkorg_kit.io.read_table`, with a missing column named by its mapping key."""
    wanted = {key: name for key, name in keys.items() if name}
    try:
        return read_table(
            path,
            pnr_column=wanted["pnr"],
            required_columns=[name for key, name in wanted.items() if key != "pnr"],
            sheet=m.sheet,
            encoding=m.encoding,
            delimiter=m.delimiter,
        )
    except InputError as exc:
        if not exc.missing:
            raise
        named = [
            f"followup.status_export.{prefix}.{key} is '{name}'"
            for key, name in wanted.items()
            if name in exc.missing
        ]
        raise StatusExportError(
            f"{exc} In the campaign YAML {'; '.join(named)}: set it to the export's own header"
            f" name (the file has {', '.join(repr(f) for f in exc.found)})",
            path=path,
            column=exc.column,
            missing=exc.missing,
            found=exc.found,
        ) from None


def _with_problems(
    frame: pl.DataFrame, stages: Sequence[tuple[pl.Expr, str | None, str | None]]
) -> pl.DataFrame:
    """Add ``problem``/``problem_column``/``problem_value``: the first stage that applies.

    Each stage is (problem code expression, header name, raw-value column)."""
    codes = [code for code, _, _ in stages]
    return frame.with_columns(
        pl.coalesce(codes).alias("problem"),
        pl.coalesce(
            [pl.when(code.is_not_null()).then(pl.lit(col)) for code, col, _ in stages]
        ).alias("problem_column"),
        pl.coalesce(
            [
                pl.when(code.is_not_null()).then(pl.col(raw) if raw else pl.lit(None, pl.String))
                for code, _, raw in stages
            ]
        ).alias("problem_value"),
    )


_ROW_COLUMNS = [
    "source",
    "row",
    "line",
    "raw",
    "category",
    "read_given",
    "sent_at",
    "read_at",
    "reason_text",
    "failure",
    "problem",
    "problem_column",
    "problem_value",
]


def _sent_rows(path: Path, m: StatusExportMapping) -> pl.DataFrame:
    c = m.columns
    frame = _read(path, m, c.model_dump(), "columns")
    n = frame.height
    category, status_problem = _categories(frame[c.status], m)
    sent_at, sent_problem = _parse_times(frame[c.sent_at], m)
    if c.read_at:
        read_raw = frame[c.read_at].cast(pl.String)
        read_at, read_problem = _parse_times(read_raw, m)
    else:
        read_raw = pl.Series([None] * n, dtype=pl.String)
        read_at = pl.Series([None] * n, dtype=sent_at.dtype)
        read_problem = pl.Series([None] * n, dtype=pl.String)
    reason = frame[c.reason].cast(pl.String) if c.reason else None
    rows = pl.DataFrame(
        {
            "source": pl.Series(["sent"] * n, dtype=SOURCES),
            "row": pl.int_range(1, n + 1, eager=True).cast(pl.Int64),
            "raw": frame[c.pnr].cast(pl.String),
            "category": category,
            "sent_at": sent_at,
            "read_at": read_at,
            "status_raw": frame[c.status].cast(pl.String),
            "sent_raw": frame[c.sent_at].cast(pl.String),
            "read_raw": read_raw,
            "_sp": status_problem,
            "_tp": sent_problem,
            "_rp": read_problem,
            "reason_text": reason if reason is not None else pl.Series([None] * n, dtype=pl.String),
            "failure": _failure_codes(reason, n, m),
        }
    ).with_columns((pl.col("row") + _header_line(path, m)).alias("line"))
    cat = pl.col("category")
    delivered = cat.is_in(["read", "unread", "closed"])
    before = pl.col("read_at") < pl.col("sent_at")
    contradiction = (cat == "unread") & pl.col("read_at").is_not_null()
    rows = _with_problems(
        rows,
        [
            (pl.col("_sp"), c.status, "status_raw"),
            (pl.when(contradiction).then(pl.lit("unread_with_read_time")), c.read_at, "read_raw"),
            (pl.col("_tp"), c.sent_at, "sent_raw"),
            (
                pl.when(delivered & pl.col("sent_at").is_null() & pl.col("_tp").is_null()).then(
                    pl.lit("sent_time_missing")
                ),
                c.sent_at,
                "sent_raw",
            ),
            (pl.col("_rp"), c.read_at, "read_raw"),
            (pl.when(before).then(pl.lit("read_before_sent")), c.read_at, "read_raw"),
        ],
    )
    failed = cat == "failed"
    return rows.with_columns(
        # a read time was given (even one that cannot be right): a closed case with one was read
        (pl.col("read_raw").str.strip_chars().str.len_chars().fill_null(0) > 0).alias("read_given"),
        pl.when(before.fill_null(False) | contradiction.fill_null(False))
        .then(None)
        .otherwise(pl.col("read_at"))
        .alias("read_at"),
        pl.when(failed).then(pl.col("failure")).alias("failure"),
        pl.when(failed).then(pl.col("reason_text")).alias("reason_text"),
    ).select(_ROW_COLUMNS)


def _failed_rows(path: Path, m: StatusExportMapping, like: pl.DataFrame) -> pl.DataFrame:
    c = m.failed_columns
    frame = _read(path, m, c.model_dump(), "failed_columns")
    n = frame.height
    reason = frame[c.reason].cast(pl.String) if c.reason else None
    if c.sent_at:
        sent_raw = frame[c.sent_at].cast(pl.String)
        sent_at, sent_problem = _parse_times(sent_raw, m)
    else:
        sent_raw = pl.Series([None] * n, dtype=pl.String)
        sent_at = pl.Series([None] * n, dtype=like.schema["sent_at"])
        sent_problem = pl.Series([None] * n, dtype=pl.String)
    top = _header_line(path, m)
    rows = pl.DataFrame(
        {
            "source": pl.Series(["failed"] * n, dtype=SOURCES),
            "row": pl.int_range(1, n + 1, eager=True).cast(pl.Int64),
            "line": pl.int_range(1 + top, n + 1 + top, eager=True).cast(pl.Int64),
            "raw": frame[c.pnr].cast(pl.String),
            "category": pl.Series(["failed"] * n, dtype=CATEGORY),
            "read_given": pl.Series([False] * n),
            "sent_at": sent_at,
            "read_at": pl.Series([None] * n, dtype=like.schema["read_at"]),
            "reason_text": reason if reason is not None else pl.Series([None] * n, dtype=pl.String),
            "failure": _failure_codes(reason, n, m),
            "sent_raw": sent_raw,
            "_tp": sent_problem,
        }
    )
    return _with_problems(rows, [(pl.col("_tp"), c.sent_at, "sent_raw")]).select(_ROW_COLUMNS)


def _too_many_problems(
    rows: pl.DataFrame, path: Path, m: StatusExportMapping, max_bad_share: float
) -> None:
    """Raise when more than ``max_bad_share`` of a file's rows have a problem: then the file
    or its mapping is wrong, not a row here and there."""
    bad = rows.filter(pl.col("problem").is_not_null())
    if rows.height == 0 or bad.height <= max_bad_share * rows.height:
        return
    keys = {
        **{v: f"columns.{k}" for k, v in m.columns.model_dump().items() if v},
        **{v: f"failed_columns.{k}" for k, v in m.failed_columns.model_dump().items() if v},
    }
    want = m.datetime_format or "ISO-like local times, e.g. 2027-03-16 09:12 or 2027-03-16 09:12:05"
    texts = _problem_texts(m)
    parts, todo = [], []
    groups = (
        bad.group_by("problem", "problem_column")
        .agg(pl.len().alias("n"), pl.col("line"), pl.col("problem_value"))
        .sort("n", descending=True)
    )
    for code, column, count, lines, values in groups.iter_rows():
        shown = _examples(pl.Series(values, dtype=pl.String))
        key = keys.get(column, "columns")
        parts.append(
            f"{count} with {texts[code]} in column '{column}'"
            f" (followup.status_export.{key}), e.g. {shown}, at {_lines_text(lines, count)}"
        )
        advice = _PROBLEM_TODO[code].format(labels=m.describe_labels(), want=want, zone=m.timezone)
        if code == "status_unknown" and pl.Series(values).n_unique() > 10:
            advice += (
                f"; the column holds many different values: does"
                f" followup.status_export.{key} name the status column?"
            )
        todo.append(advice)
    first = bad.row(0, named=True)
    raise StatusExportError(
        f"'{path}': {bad.height} of {rows.height} rows ({bad.height / rows.height:.0%}) cannot be"
        f" used as they are, more than the {max_bad_share:.0%} the follow-up sets aside with a"
        f" reason: {'; '.join(parts)}. {'. '.join(dict.fromkeys(todo))}",
        path=path,
        row=first["line"],
        column=first["problem_column"],
    )


def _after_export(rows: pl.DataFrame, stamp: dt.datetime, m: StatusExportMapping) -> pl.DataFrame:
    """A time after the export was taken cannot be right: the row keeps its status, the time
    is left out, and the row gets the problem ``time_after_export``."""
    sent_late = (pl.col("sent_at") > stamp).fill_null(False)
    read_late = (pl.col("read_at") > stamp).fill_null(False)
    flag = pl.col("problem").is_null() & (sent_late | read_late)
    sent_header = pl.when(pl.col("source") == "sent").then(pl.lit(m.columns.sent_at))
    when = pl.when(sent_late).then("sent_at").otherwise("read_at")
    return rows.with_columns(
        pl.when(flag).then(pl.lit("time_after_export")).otherwise("problem").alias("problem"),
        pl.when(flag)
        .then(
            pl.when(sent_late)
            .then(sent_header.otherwise(pl.lit(m.failed_columns.sent_at)))
            .otherwise(pl.lit(m.columns.read_at))
        )
        .otherwise("problem_column")
        .alias("problem_column"),
        pl.when(flag)
        .then(when.dt.strftime("%Y-%m-%d %H:%M"))
        .otherwise("problem_value")
        .alias("problem_value"),
        pl.when(sent_late).then(None).otherwise("sent_at").alias("sent_at"),
        pl.when(read_late).then(None).otherwise("read_at").alias("read_at"),
    )


def load_status(
    source: str | os.PathLike[str] | None = None,
    mapping: Any = None,
    *,
    run_dir: str | os.PathLike[str] | None = None,
    exported_at: dt.datetime | str | None = None,
    reference_date: dt.date | str | None = None,
    max_bad_share: float = 0.05,
) -> StatusExport:
    """Read a status export: a sent-cases file, or a folder with it and the failed-sends file.

    ``mapping`` is a :class:`~inkorg_kit.campaign.Campaign` (its ``followup.status_export``), a
    dict in that format, or None for the default layout. ``source`` ``None``/``""`` means
    ``<run_dir>/status_export/``. ``exported_at`` (local time) is when the export was taken,
    which is where unread residents are censored; by default the latest time in the export.
    ``reference_date`` decides the century of 10-digit personnummer (default: the export day).

    A row with a problem (:data:`PROBLEMS`) is kept with its reason and left out of time to
    read (:meth:`StatusExport.problems` lists them, masked); only when more than
    ``max_bad_share`` of a file's rows have one does the run stop, naming the file, the lines,
    the header and its mapping key: then the mapping, not the rows, is wrong.
    """
    m = status_mapping(mapping)
    sent_path, failed_path, listed, warnings = _locate(
        source, m, Path(run_dir) if run_dir not in (None, "") else None
    )
    sent = _sent_rows(sent_path, m)
    frames = [sent]
    paths = {"sent": sent_path}
    if failed_path is not None:
        try:
            frames.append(_failed_rows(failed_path, m, sent))
        except InputError as exc:
            if "a header but no rows" not in str(exc):
                raise
            warnings.append(f"the failed-sends file '{failed_path.name}' is empty: no failures")
        paths["failed"] = failed_path
    rows = pl.concat(frames, how="vertical")
    latest = rows.select(pl.max_horizontal(pl.col("sent_at").max(), pl.col("read_at").max())).item()
    zone = ZoneInfo(m.timezone)
    if exported_at in (None, ""):
        if latest is None:
            raise StatusExportError(
                f"'{sent_path}' has no times at all: give exported_at (when the export was taken)",
                path=sent_path,
            )
        stamp = latest.astimezone(zone)
    else:
        from inkorg_kit.schedule import parse_datetime

        stamp = parse_datetime(exported_at, zone)
        rows = _after_export(rows, stamp, m)
    for source, path in paths.items():
        _too_many_problems(rows.filter(pl.col("source") == source), path, m, max_bad_share)
    cleaned = _pnr.clean(rows["raw"], reference_date=reference_date or stamp.date())
    # masked only where problems() shows it: rows rejected or kept with a problem
    shown = (cleaned["pnr"].is_null() | rows["problem"].is_not_null()).arg_true()
    masked = pl.repeat(None, rows.height, dtype=pl.String, eager=True).alias("pnr_masked")
    masked = masked.scatter(shown, _pnr.mask(rows["raw"].gather(shown)))
    rows = rows.with_columns(
        cleaned["pnr"],
        masked,
        cleaned["status"].alias("pnr_status"),
        cleaned["reason"].alias("pnr_reason"),
    ).drop("raw")
    cat = pl.col("category")
    status_unknown = pl.col("problem").is_in(_STATUS_PROBLEMS) & (cat != "failed").fill_null(True)
    rows = rows.with_columns(
        pl.when(status_unknown)
        .then(pl.lit("unknown"))
        .when(cat == "read")
        .then(pl.lit("read"))
        .when(cat == "unread")
        .then(pl.lit("unread"))
        .when(cat == "failed")
        .then(pl.lit("failed"))
        .when(pl.col("read_given"))
        .then(pl.lit("read"))
        .otherwise(pl.lit(m.closed_without_read_time))
        .cast(OUTCOME)
        .alias("outcome"),
        (cat == "closed").fill_null(False).alias("closed"),
    ).select(
        "source",
        "row",
        "line",
        "pnr",
        "pnr_masked",
        "pnr_status",
        "pnr_reason",
        "category",
        "outcome",
        "closed",
        "sent_at",
        "read_at",
        "failure",
        "reason_text",
        "problem",
        "problem_column",
        "problem_value",
    )
    flawed = rows.filter(pl.col("problem").is_not_null())
    if flawed.height:
        kinds = flawed.group_by("problem").len().sort("len", descending=True)
        warnings.append(
            f"{flawed.height} export row(s) have a problem and are kept with a reason ("
            + ", ".join(f"{PROBLEMS[k]}: {n}" for k, n in kinds.iter_rows())
            + "); see export.problems() for the lines (masked)"
        )
    return StatusExport(
        rows=rows,
        exported_at=stamp,
        paths=tuple(paths.values()),
        mapping=m,
        warnings=tuple(warnings),
        failures_listed=listed,
    )


def _export_people(export: StatusExport) -> pl.DataFrame:
    """One row per person in the export; duplicate rows merged (read > unread > unknown >
    failed). A resident read: the case read first gives both times. Otherwise the first send
    counts. ``problem`` is the first problem among the person's rows."""
    ok = export.rows.filter(pl.col("pnr").is_not_null()).sort("read_at", "sent_at", nulls_last=True)
    delivered = pl.col("outcome") != "failed"
    read = pl.col("outcome") == "read"
    return (
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
        .select(
            "pnr",
            pl.when("_read")
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
            pl.when("_read").then(pl.col("read_at")).alias("read_at"),
            pl.when(~pl.col("_delivered")).then(pl.col("failure")).alias("failure"),
            pl.when(~pl.col("_delivered")).then(pl.col("failure_text")).alias("failure_text"),
            "problem",
            "export_rows",
        )
    )


# --------------------------------------------------------------------------- the run folder


def campaign_recipients(run_dir: str | os.PathLike[str]) -> tuple[pl.DataFrame, list[str]]:
    """Everyone in the campaign's recipient files: (pnr, file_name, group, part, part_count),
    and warnings (a file changed since the manifest was written, a person in two files)."""
    from inkorg_kit import recipients

    root = Path(run_dir)
    manifest = recipients.read_manifest(root)
    folder = root / recipients.RECIPIENT_DIR
    warnings: list[str] = []
    numbers: list[str] = []
    owners: list[int] = []
    files = list(manifest.get("files", []))
    for index, entry in enumerate(files):
        path = folder / entry["file_name"]
        if not path.is_file():
            raise FileNotFoundError(
                f"{path} is listed in the recipient manifest but missing: restore it from the"
                " delivered 7z archive, or the follow-up cannot tell who was in that file"
            )
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
            warnings.append(f"{entry['file_name']} has changed since the manifest was written")
        lines = [line.strip() for line in data.decode("utf-8-sig").splitlines() if line.strip()]
        numbers.extend(lines)
        owners.extend([index] * len(lines))
    meta = pl.DataFrame(
        {
            "file_index": list(range(len(files))),
            "file_name": [f["file_name"] for f in files],
            "group": [f.get("group") for f in files],
            "part": [f.get("part") for f in files],
            "part_count": [f.get("part_count") for f in files],
        },
        schema={
            "file_index": pl.Int64,
            "file_name": pl.String,
            "group": pl.String,
            "part": pl.Int64,
            "part_count": pl.Int64,
        },
    )
    frame = pl.DataFrame(
        {"pnr": numbers, "file_index": owners}, schema={"pnr": pl.String, "file_index": pl.Int64}
    )
    twice = frame.height - frame["pnr"].n_unique()
    if twice:
        warnings.append(f"{twice} personnummer are in more than one recipient file (first kept)")
        frame = frame.unique("pnr", keep="first", maintain_order=True)
    out = frame.join(meta, on="file_index", how="left").drop("file_index")
    return out, warnings


def load_target(run_dir: str | os.PathLike[str]) -> pl.DataFrame | None:
    """The target group of notebook 01 (``target_group.parquet``): pnr, age_band, sex, unit;
    None when the run folder has none (then age and sex come from the personnummer)."""
    from inkorg_kit.reach import age_band

    path = Path(run_dir) / TARGET_FILE
    if not path.is_file():
        return None
    frame = pl.read_parquet(path)
    column = next((c for c in ("personnummer", "pnr") if c in frame.columns), None)
    if column is None:
        raise ValueError(
            f"{path} has no personnummer column (personnummer or pnr); columns: {frame.columns}"
        )
    band: pl.Expr
    if "age_band" in frame.columns:
        band = pl.col("age_band").cast(pl.String)
    elif "age" in frame.columns:
        band = age_band("age").cast(pl.String)
    else:
        band = pl.lit(None, dtype=pl.String)
    unit_col = next((c for c in ("unit_hsa_id", "unit", "enhet") if c in frame.columns), None)
    return frame.select(
        pl.col(column).cast(pl.String).alias("pnr"),
        band.alias("age_band"),
        (
            pl.col("sex").cast(pl.String) if "sex" in frame.columns else pl.lit(None, pl.String)
        ).alias("sex"),
        (pl.col(unit_col).cast(pl.String) if unit_col else pl.lit(None, pl.String)).alias("unit"),
    ).unique("pnr", keep="first", maintain_order=True)


# --------------------------------------------------------------------------- reconciling


@dataclass(frozen=True)
class Outcomes:
    """Every campaign resident and every person in the export, with what became of them.

    ``people`` (holds personnummer: keep it in memory, show only aggregates): ``pnr``,
    ``in_campaign``, ``in_export``, ``file_name``, ``group``, ``part``, ``age_band``, ``sex``,
    ``unit``, ``outcome`` (:data:`OUTCOMES`), ``closed``, ``sent_at``, ``read_at``,
    ``failure``, ``failure_text``, ``problem`` (the first :data:`PROBLEMS` code of the
    person's export rows), ``export_rows``, ``hours_to_read`` (calendar hours),
    ``observed_hours`` and ``event`` (for time-to-read: hours to reading, or to the export for
    the unread, who are censored there; null for everyone without both times).
    ``warnings`` are for the analyst (English); ``failures_listed`` is False when the export
    had no list of failed sends.
    """

    people: pl.DataFrame
    exported_at: dt.datetime
    export_summary: dict[str, Any]
    target_size: int | None
    campaign: str | None = None
    warnings: tuple[str, ...] = ()
    timezone: str = "Europe/Stockholm"
    failures_listed: bool = True

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
        }
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
                + out["attempted"]
                + out["not_in_campaign"],
                "export rows",
            ),
        ]
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
    from inkorg_kit.reach import UNKNOWN_BAND, age_band

    return [
        pl.coalesce(
            pl.col("age_band").cast(pl.String),
            age_band(_pnr.age_at(pl.col("pnr"), day)).cast(pl.String),
            pl.lit(UNKNOWN_BAND),
        ).alias("age_band"),
        pl.coalesce(
            pl.col("sex").cast(pl.String).str.to_uppercase().replace({"K": "F"}),
            _pnr.legal_sex(pl.col("pnr")),
            pl.lit(unknown_sex, pl.String),
        ).alias("sex"),
    ]


def reconcile(
    export: StatusExport,
    run_dir: str | os.PathLike[str] | None = None,
    *,
    recipients: pl.DataFrame | None = None,
    target: pl.DataFrame | None = None,
    campaign: str | None = None,
) -> Outcomes:
    """Join the export to the campaign's recipient files and target group.

    Give ``run_dir`` (its ``recipients/manifest.json`` and files, and ``target_group.parquet``
    when present) or ``recipients`` (and ``target``) as frames. Age band and sex missing from
    the target come from the personnummer (age on the export day).
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
        from inkorg_kit.recipients import read_manifest

        campaign = read_manifest(run_dir).get("campaign")

    people = _export_people(export).with_columns(pl.lit(True).alias("in_export"))
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
    to_export = (pl.lit(stamp) - pl.col("sent_at")).dt.total_microseconds() / _US_PER_HOUR
    joined = joined.with_columns(
        pl.when(pl.col("outcome") == "read").then(hours).alias("hours_to_read"),
    ).with_columns(
        pl.when(pl.col("hours_to_read").is_not_null())
        .then(pl.col("hours_to_read"))
        .when(pl.col("outcome") == "unread")
        .then(to_export)
        .alias("observed_hours"),
        pl.when(pl.col("hours_to_read").is_not_null())
        .then(True)
        .when((pl.col("outcome") == "unread") & pl.col("sent_at").is_not_null())
        .then(False)
        .alias("event"),
    )
    rows = export.rows
    rejected = int(rows.select((pl.col("pnr").is_null()).sum()).item())
    persons = people.height
    summary = {
        "rows": rows.height,
        "rejected": rejected,
        "rejected_by_reason": dict(
            rows.filter(pl.col("pnr").is_null())
            .group_by(pl.col("pnr_reason").cast(pl.String))
            .agg(pl.len())
            .iter_rows()
        ),
        "duplicate_rows": rows.height - rejected - persons,
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
    columns = [
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
    ]
    return Outcomes(
        people=joined.select(columns),
        exported_at=stamp,
        export_summary=summary,
        target_size=target.height if target is not None else None,
        campaign=campaign,
        warnings=tuple(warnings),
        timezone=export.mapping.timezone,
        failures_listed=export.failures_listed,
    )


# --------------------------------------------------------------------------- read rates


def _wilson(read: np.ndarray, n: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    from statsmodels.stats.proportion import proportion_confint

    read = np.asarray(read, dtype=float)
    n = np.asarray(n, dtype=float)
    low = np.full(n.shape, np.nan)
    high = np.full(n.shape, np.nan)
    ok = n > 0
    if ok.any():
        lo, hi = proportion_confint(read[ok], n[ok], alpha=alpha, method="wilson")
        low[ok], high[ok] = lo, hi
    return low, high


def read_rate(read: int, n: int, alpha: float = 0.05) -> tuple[float | None, float, float]:
    """(rate, low, high) with a Wilson interval; rate None when n is 0."""
    if n <= 0:
        return None, math.nan, math.nan
    low, high = _wilson(np.array([read]), np.array([n]), alpha)
    return read / n, float(low[0]), float(high[0])


def _with_send_time(people: pl.DataFrame, timezone: str) -> pl.DataFrame:
    local = pl.col("sent_at").dt.convert_time_zone(timezone)
    return people.with_columns(
        (local.dt.weekday() - 1).alias("_weekday"),
        local.dt.hour().alias("_hour"),
    ).with_columns(
        pl.col("_weekday")
        .replace_strict(dict(enumerate(WEEKDAYS_SV)), default=None, return_dtype=pl.String)
        .alias("send_weekday"),
        pl.format("{}:00", pl.col("_hour").cast(pl.String).str.zfill(2)).alias("send_hour"),
    )


def _order(dimension: str) -> pl.Expr:
    from inkorg_kit.reach import AGE_BANDS, UNKNOWN_BAND

    g = pl.col("group")
    if dimension == "age_band":
        bands = {b: i for i, b in enumerate((*AGE_BANDS, UNKNOWN_BAND))}
        return g.replace_strict(bands, default=99, return_dtype=pl.Int64)
    if dimension == "sex":
        return g.replace_strict({"F": 0, "M": 1}, default=9, return_dtype=pl.Int64)
    if dimension == "send_weekday":
        return g.replace_strict(
            {d: i for i, d in enumerate(WEEKDAYS_SV)}, default=9, return_dtype=pl.Int64
        )
    return pl.lit(0, dtype=pl.Int64)


def group_table(
    outcomes: Outcomes,
    dimensions: Iterable[str] = tuple(DIMENSIONS),
    *,
    alpha: float = 0.05,
    overall: bool = True,
) -> pl.DataFrame:
    """Read rates by group with Wilson intervals: one row per (dimension, group).

    Columns: ``dimension`` (code), ``dimension_label`` (Swedish), ``group``, ``group_label``,
    ``sent`` (in the export), ``failed``, ``delivered``, ``n`` (read + unread: the rate's
    denominator), ``read``, ``unread``, ``unknown``, ``read_rate``, ``low``, ``high``. Send
    weekday and hour count only residents with a sent time. Not suppressed: apply
    :func:`inkorg_kit.report.suppress` before showing it to anyone but the analyst.
    """
    dims = list(dimensions)
    bad = [d for d in dims if d not in DIMENSIONS]
    if bad:
        raise ValueError(f"unknown dimension(s) {bad}; choose from {', '.join(DIMENSIONS)}")
    base = _with_send_time(outcomes.campaign_people(), outcomes.timezone)
    aggs = [
        pl.len().alias("sent"),
        (pl.col("outcome") == "failed").sum().alias("failed"),
        pl.col("outcome").is_in(["read", "unread", "unknown"]).sum().alias("delivered"),
        pl.col("outcome").is_in(["read", "unread"]).sum().alias("n"),
        (pl.col("outcome") == "read").sum().alias("read"),
        (pl.col("outcome") == "unread").sum().alias("unread"),
        (pl.col("outcome") == "unknown").sum().alias("unknown"),
    ]
    frames = []
    if overall:
        frames.append(
            base.select(aggs).with_columns(
                pl.lit("overall").alias("dimension"),
                pl.lit("Totalt").alias("dimension_label"),
                pl.lit(OVERALL).alias("group"),
                pl.lit(0, dtype=pl.Int64).alias("_order"),
            )
        )
    for d in dims:
        part = base.filter(pl.col("sent_at").is_not_null()) if d.startswith("send_") else base
        agg = (
            part.group_by(pl.col(d).cast(pl.String).fill_null(UNKNOWN).alias("group"))
            .agg(aggs)
            .with_columns(
                pl.lit(d).alias("dimension"), pl.lit(DIMENSIONS[d]).alias("dimension_label")
            )
        )
        frames.append(agg.with_columns(_order(d).alias("_order")))
    schema_cols = ["dimension", "dimension_label", "group", "_order", "sent", "failed"]
    schema_cols += ["delivered", "n", "read", "unread", "unknown"]
    table = pl.concat(
        [f.select(schema_cols).cast({c: pl.Int64 for c in schema_cols[4:]}) for f in frames]
    )
    rank = {d: i for i, d in enumerate(["overall", *dims])}
    table = table.with_columns(
        pl.col("dimension").replace_strict(rank, return_dtype=pl.Int64).alias("_dim")
    ).sort("_dim", "_order", "group")
    low, high = _wilson(table["read"].to_numpy(), table["n"].to_numpy(), alpha)
    return table.with_columns(
        pl.when(pl.col("dimension") == "sex")
        .then(pl.col("group").replace(SEX_LABELS))
        .otherwise(pl.col("group"))
        .alias("group_label"),
        pl.when(pl.col("n") > 0).then(pl.col("read") / pl.col("n")).alias("read_rate"),
        pl.Series("low", low).fill_nan(None),
        pl.Series("high", high).fill_nan(None),
    ).select(
        "dimension",
        "dimension_label",
        "group",
        "group_label",
        "sent",
        "failed",
        "delivered",
        "n",
        "read",
        "unread",
        "unknown",
        "read_rate",
        "low",
        "high",
    )


# --------------------------------------------------------------------------- time to read


def _km(time: np.ndarray, event: np.ndarray):
    from statsmodels.duration.survfunc import SurvfuncRight

    return SurvfuncRight(np.maximum(time, 0.0), event.astype(int))


def _km_at(
    fit: Any, observed: np.ndarray, points: np.ndarray, alpha: float
) -> tuple[np.ndarray, ...]:
    """Read share (1 - S) with a log-log pointwise interval at ``points``, and how many were
    still unread and under observation there (at risk)."""
    from scipy.stats import norm

    times = np.asarray(fit.surv_times, dtype=float)
    prob = np.asarray(fit.surv_prob, dtype=float)
    se = np.asarray(fit.surv_prob_se, dtype=float)
    s = np.ones(len(points))
    e = np.zeros(len(points))
    if len(times):
        idx = np.searchsorted(times, points, side="right") - 1
        inside = idx >= 0
        j = np.clip(idx, 0, len(times) - 1)
        s = np.where(inside, prob[j], 1.0)
        e = np.where(inside, se[j], 0.0)
    z = norm.ppf(1 - alpha / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = z * e / (s * np.abs(np.log(s)))
        inner = (s > 0) & (s < 1) & np.isfinite(spread)
        s_low = np.where(inner, s ** np.exp(spread), s)
        s_high = np.where(inner, s ** np.exp(-spread), s)
    ordered = np.sort(np.maximum(observed, 0.0))
    at_risk = len(ordered) - np.searchsorted(ordered, points, side="left")
    return 1 - s, 1 - s_high, 1 - s_low, at_risk


def _time_frame(outcomes: Outcomes, scale: str, assumptions: Any) -> pl.DataFrame:
    """Residents with a time-to-read observation (read with a time, or unread) and its hours."""
    frame = outcomes.campaign_people().filter(pl.col("event").is_not_null())
    if scale == "calendar":
        return frame.with_columns(pl.col("observed_hours").alias("_t"))
    if scale != "active":
        raise ValueError(f"scale={scale!r}: use 'calendar' or 'active' (the reach model's hours)")
    start = frame["sent_at"]
    end = pl.select(
        pl.when(frame["event"]).then(frame["read_at"]).otherwise(pl.lit(outcomes.exported_at))
    ).to_series()
    if frame.height == 0:
        return frame.with_columns(pl.lit(None, pl.Float64).alias("_t"))
    from inkorg_kit.reach import load_assumptions

    clock = ActiveClock.around(
        load_assumptions(assumptions).rhythm, start.min(), outcomes.exported_at
    )
    return frame.with_columns(
        pl.Series(
            "_t", clock.active(series_epoch_hours(end)) - clock.active(series_epoch_hours(start))
        )
    )


def _grid(max_hours: float) -> np.ndarray:
    if max_hours <= 0:
        return np.array([0.0])
    step = 1.0 if max_hours <= 24 * 21 else math.ceil(max_hours / 504)
    return np.arange(0.0, math.ceil(max_hours) + step, step)


def read_curves(
    outcomes: Outcomes,
    by: str | None = "age_band",
    *,
    scale: Literal["calendar", "active"] = "calendar",
    assumptions: Any = None,
    hours: Sequence[float] | np.ndarray | None = None,
    alpha: float = 0.05,
    overall: bool = True,
) -> pl.DataFrame:
    """Kaplan-Meier cumulative read curves: share read by each hour after sending.

    Residents unread at the export are censored at the export time; reads without a read
    or sent time are left out (``counts()["read_time_missing"]``). One curve overall
    (``group`` = "Alla") and one per value of ``by`` (e.g. age band). ``scale="active"``
    counts the reach model's active hours (for comparing with assumptions). Columns:
    ``group``, ``n``, ``reads``, ``hours``, ``read_share``, ``low``, ``high``, ``at_risk``
    and ``read_by`` (how many had read by then: a count, for small-number suppression).
    A group's estimate stops at its own longest observation: hours beyond it are null (the
    estimate would only repeat its last value, as if someone had still been watched).
    Aggregates only.
    """
    frame = _time_frame(outcomes, scale, assumptions)
    points = (
        np.asarray(hours, dtype=float)
        if hours is not None
        else _grid(float(frame["_t"].max() or 0.0))
    )
    groups: list[tuple[str, pl.DataFrame]] = []
    if overall:
        groups.append((OVERALL, frame))
    if by is not None:
        if by not in frame.columns:
            raise ValueError(f"by={by!r} is not a column; use one of {', '.join(DIMENSIONS)}")
        keys = frame[by].cast(pl.String).fill_null(UNKNOWN).unique().to_list()
        ordered = (
            pl.DataFrame({"group": keys}, schema={"group": pl.String})
            .with_columns(_order(by).alias("o"))
            .sort("o", "group")["group"]
            .to_list()
        )
        for key in ordered:
            groups.append((key, frame.filter(pl.col(by).cast(pl.String).fill_null(UNKNOWN) == key)))
    out = []
    for key, part in groups:
        if part.height == 0:
            continue
        t = part["_t"].to_numpy()
        event = part["event"].to_numpy().astype(bool)
        fit = _km(t, event)
        share, low, high, at_risk = _km_at(fit, t, points, alpha)
        inside = points <= max(float(np.max(t)), 0.0)
        read_by = np.searchsorted(np.sort(np.maximum(t[event], 0.0)), points, side="right")
        out.append(
            pl.DataFrame(
                {
                    "group": [key] * len(points),
                    "n": [part.height] * len(points),
                    "reads": [int(event.sum())] * len(points),
                    "hours": points,
                    "read_share": np.where(inside, share, np.nan),
                    "low": np.where(inside, low, np.nan),
                    "high": np.where(inside, high, np.nan),
                    "at_risk": at_risk.astype(np.int64),
                    "read_by": read_by.astype(np.int64),
                }
            ).with_columns(pl.col("read_share", "low", "high").fill_nan(None))
        )
    if not out:
        return pl.DataFrame(
            schema={
                "group": pl.String,
                "n": pl.Int64,
                "reads": pl.Int64,
                "hours": pl.Float64,
                "read_share": pl.Float64,
                "low": pl.Float64,
                "high": pl.Float64,
                "at_risk": pl.Int64,
                "read_by": pl.Int64,
            }
        )
    return pl.concat(out).with_columns(pl.col("n").cast(pl.Int64), pl.col("reads").cast(pl.Int64))


def read_within(
    outcomes: Outcomes,
    hours: Sequence[float] = (1, 24, 72, 168),
    by: str | None = "age_band",
    *,
    alpha: float = 0.05,
) -> pl.DataFrame:
    """Share read within each of ``hours`` (Kaplan-Meier, censoring at the export), wide:
    one row per group, a column per horizon (``read_1h``, ``low_1h``, ``high_1h`` and the
    count ``read_by_1h``, ...). A horizon beyond the group's own longest observed time is
    left empty (the export came too soon for that group)."""
    curves = read_curves(outcomes, by, hours=list(hours), alpha=alpha)
    rows = []
    for key in curves["group"].unique(maintain_order=True).to_list():
        part = curves.filter(pl.col("group") == key)
        row: dict[str, Any] = {"group": key, "n": int(part["n"][0])}
        for h, share, low, high, done in part.select(
            "hours", "read_share", "low", "high", "read_by"
        ).iter_rows():
            tag = f"{h:g}h"
            row[f"read_{tag}"], row[f"low_{tag}"], row[f"high_{tag}"] = share, low, high
            row[f"read_by_{tag}"] = done
        rows.append(row)
    return pl.DataFrame(rows)


def time_to_read_summary(outcomes: Outcomes, by: str | None = "age_band", alpha: float = 0.05):
    """Median hours from sending to reading (Kaplan-Meier) with its interval, per group; null
    when fewer than half had read by the export."""
    frame = _time_frame(outcomes, "calendar", None)
    groups = [(OVERALL, frame)]
    if by is not None:
        for key in sorted(frame[by].cast(pl.String).fill_null(UNKNOWN).unique().to_list()):
            groups.append((key, frame.filter(pl.col(by).cast(pl.String).fill_null(UNKNOWN) == key)))
    rows = []
    for key, part in groups:
        if part.height == 0:
            continue
        fit = _km(part["_t"].to_numpy(), part["event"].to_numpy())
        median = low = high = None
        if len(fit.surv_prob) and fit.surv_prob.min() <= 0.5:
            median = float(fit.quantile(0.5))
            try:
                lo, hi = fit.quantile_ci(0.5, alpha=alpha)
                low = None if lo is None or not np.isfinite(lo) else float(lo)
                high = None if hi is None or not np.isfinite(hi) else float(hi)
            except (ValueError, IndexError):  # too few events for an interval
                pass
        rows.append(
            {
                "group": key,
                "n": part.height,
                "reads": int(part["event"].sum()),
                "median_hours": median,
                "low": low,
                "high": high,
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "group": pl.String,
            "n": pl.Int64,
            "reads": pl.Int64,
            "median_hours": pl.Float64,
            "low": pl.Float64,
            "high": pl.Float64,
        },
    )


# --------------------------------------------------------------------------- follow-up lists


def _hours_tag(hours: float) -> str:
    return f"{hours:g}".replace(".", "-")


def unread_list_name(hours: float) -> str:
    """The follow-up list's name (and file-name stem), e.g. ``unread-after-24h``."""
    return f"unread-after-{_hours_tag(hours)}h"


#: Why a resident is on a follow-up list, as codes (the counts the report shows).
FOLLOWUP_KEYS = (
    "unread",
    "unknown_closed",
    "unknown_other",
    "failed_no_login",
    "failed_locked",
    "failed_other",
    "not_in_export",
)
DEFAULT_UNREAD_AFTER_WORKING_HOURS = 24.0


def unread_deadline(campaign: Any = None, hours: float | None = None) -> float:
    """Working hours after which an unread message goes on the follow-up list: ``hours`` when
    given and above 0, else the campaign's ``followup.unread_after_working_hours``, else 24."""
    if hours is not None and hours > 0:
        return float(hours)
    if hours is not None and hours < 0:
        raise ValueError(f"unread_after_working_hours must be 0 or more, got {hours}")
    value = getattr(getattr(campaign, "followup", None), "unread_after_working_hours", None)
    return float(value) if value else DEFAULT_UNREAD_AFTER_WORKING_HOURS


@dataclass(frozen=True)
class FollowupLists:
    """Residents to reach another way (``people`` holds personnummer; ``summary`` does not).

    ``people``: ``pnr``, ``list`` (the unread list's name, ``failed`` or ``not-in-export``),
    ``key`` (a :data:`FOLLOWUP_KEYS` code), ``reason`` (Swedish), ``sent_at``,
    ``working_hours`` (since the send, up to the export), ``file_name``, ``unit``.
    ``waiting``: unread and unknown residents sent less than ``after_working_hours`` ago.
    """

    people: pl.DataFrame
    after_working_hours: float
    waiting: Mapping[str, int]
    exported_at: dt.datetime

    @property
    def not_yet_due(self) -> int:
        """Unread (or unknown) residents sent less than ``after_working_hours`` ago."""
        return int(sum(self.waiting.values()))

    def counts(self) -> dict[str, int]:
        """Residents per :data:`FOLLOWUP_KEYS` code, ``not_yet_due`` and its parts
        ``waiting_unread``/``waiting_unknown`` (for the report's small-number rules)."""
        found = dict(self.people.group_by("key").len().iter_rows())
        out = {key: int(found.get(key, 0)) for key in FOLLOWUP_KEYS}
        out["not_yet_due"] = self.not_yet_due
        out.update({f"waiting_{k}": int(v) for k, v in self.waiting.items()})
        return out

    def summary(self) -> pl.DataFrame:
        """Count per list and reason (no personnummer), with those not yet due."""
        labels = followup_reasons(self.after_working_hours)
        counts = self.counts()
        lists = dict(self.people.select("key", "list").unique().iter_rows())
        rows = [
            (key, lists.get(key, _default_list(key, self.after_working_hours)), labels[key])
            for key in FOLLOWUP_KEYS
            if counts[key]
        ]
        rows.append(("not_yet_due", "(ej ännu)", labels["not_yet_due"]))
        return pl.DataFrame(
            {
                "key": [r[0] for r in rows],
                "list": [r[1] for r in rows],
                "reason": [r[2] for r in rows],
                "count": [counts[r[0]] for r in rows],
            },
            schema={"key": pl.String, "list": pl.String, "reason": pl.String, "count": pl.Int64},
        )


def _default_list(key: str, hours: float) -> str:
    if key.startswith("failed_"):
        return FAILED_LIST
    if key == "not_in_export":
        return NOT_IN_EXPORT_LIST
    return unread_list_name(hours)


def followup_reasons(hours: float) -> dict[str, str]:
    """The Swedish reason of each :data:`FOLLOWUP_KEYS` code (and ``not_yet_due``)."""
    after = f"{hours:g}"
    return {
        "unread": f"Oläst efter {after} arbetstimmar",
        "unknown_closed": f"Okänd lässtatus efter {after} arbetstimmar (stängt ärende)",
        "unknown_other": "Okänd lässtatus (felaktig rad i statusexporten)",
        "failed_no_login": FAILURE_LABELS["no_login"],
        "failed_locked": FAILURE_LABELS["locked"],
        "failed_other": FAILURE_LABELS["other"],
        "not_in_export": OUTCOME_LABELS["not_in_export"],
        "not_yet_due": f"Oläst, skickat för mindre än {after} arbetstimmar sedan",
    }


def followup_lists(
    outcomes: Outcomes,
    windows: Any = None,
    *,
    unread_after_working_hours: float | None = None,
) -> FollowupLists:
    """Campaign residents to reach another way: unread after N working hours (working hours
    of the campaign's send windows, :func:`inkorg_kit.schedule.working_hours_between`, up to
    the export), cases of unknown read status alike, every failed send, and every resident
    missing from the export (they may never have got the message).

    ``windows``: the campaign (its send windows, and its
    ``followup.unread_after_working_hours`` when ``unread_after_working_hours`` is None) or
    :class:`~inkorg_kit.schedule.SendWindows`. An unread case without a sent time (a row with
    a problem) cannot be timed, so it is due at once: the safe side.
    """
    from inkorg_kit.schedule import SendWindows, working_hours_between

    if unread_after_working_hours is None:
        hours = unread_deadline(windows)
    elif unread_after_working_hours < 0:
        raise ValueError(
            f"unread_after_working_hours must be 0 or more, got {unread_after_working_hours}"
        )
    else:
        hours = float(unread_after_working_hours)
    if windows is None:
        windows = SendWindows()
    elif hasattr(windows, "send_windows"):
        windows = windows.send_windows
    people = outcomes.people.filter(pl.col("in_campaign"))
    open_ = people.filter(pl.col("outcome").is_in(["unread", "unknown"]))
    worked = working_hours_between(open_["sent_at"], outcomes.exported_at, windows)
    open_ = open_.with_columns(pl.Series("working_hours", worked, dtype=pl.Float64))
    due = pl.col("working_hours").is_null() | (pl.col("working_hours") >= hours)
    name = unread_list_name(hours)
    labels = followup_reasons(hours)
    key = (
        pl.when(pl.col("outcome") == "unread")
        .then(pl.lit("unread"))
        .when(pl.col("closed") & pl.col("problem").is_null())
        .then(pl.lit("unknown_closed"))
        .otherwise(pl.lit("unknown_other"))
    )
    unread = (
        open_.filter(due)
        .with_columns(key.alias("key"))
        .select(
            "pnr",
            pl.lit(name).alias("list"),
            "key",
            pl.when(pl.col("working_hours").is_null())
            .then(
                pl.when(pl.col("key") == "unread")
                .then(pl.lit("Oläst (skickat okänd tid: felaktig rad i statusexporten)"))
                .otherwise(pl.lit(labels["unknown_other"]))
            )
            .otherwise(pl.col("key").replace_strict(labels, default=None))
            .alias("reason"),
            "sent_at",
            "working_hours",
            "file_name",
            "unit",
        )
    )
    waiting = open_.filter(~due)
    failed = people.filter(pl.col("outcome") == "failed").select(
        "pnr",
        pl.lit(FAILED_LIST).alias("list"),
        pl.concat_str(
            pl.lit("failed_"), pl.col("failure").cast(pl.String).fill_null("other")
        ).alias("key"),
        pl.col("failure")
        .cast(pl.String)
        .replace_strict(FAILURE_LABELS, default=FAILURE_LABELS["other"])
        .alias("reason"),
        "sent_at",
        pl.lit(None, pl.Float64).alias("working_hours"),
        "file_name",
        "unit",
    )
    missing = people.filter(pl.col("outcome") == "not_in_export").select(
        "pnr",
        pl.lit(NOT_IN_EXPORT_LIST).alias("list"),
        pl.lit("not_in_export").alias("key"),
        pl.lit(labels["not_in_export"]).alias("reason"),
        "sent_at",
        pl.lit(None, pl.Float64).alias("working_hours"),
        "file_name",
        "unit",
    )
    return FollowupLists(
        people=pl.concat([unread, failed, missing]).sort("list", "pnr"),
        after_working_hours=float(hours),
        waiting={
            "unread": int((waiting["outcome"] == "unread").sum()),
            "unknown": int((waiting["outcome"] == "unknown").sum()),
        },
        exported_at=outcomes.exported_at,
    )


def _remove_list(folder: Path, name: str) -> None:
    """Remove a list's import files and manifest (and nothing else we did not write)."""
    from inkorg_kit.recipients import MANIFEST_CSV, MANIFEST_JSON, RECIPIENT_DIR

    inner = folder / name / RECIPIENT_DIR
    if not inner.is_dir():
        return
    for path in [inner / MANIFEST_JSON, inner / MANIFEST_CSV, *inner.glob(f"{name}_*.txt")]:
        path.unlink(missing_ok=True)
    for empty in (inner, inner.parent):
        if empty.is_dir() and not any(empty.iterdir()):
            shutil.rmtree(empty)


def write_followup_lists(
    lists: FollowupLists, run_dir: str | os.PathLike[str], *, campaign: str | None = None
) -> dict[str, Any]:
    """Write the follow-up lists into ``<run_dir>/followup/``; returns the manifest written.

    Each list (``unread-after-<N>h``, ``failed``, ``not-in-export``) is written by
    :func:`inkorg_kit.recipients.write` into ``followup/<list>/recipients/`` as import files of
    at most 250 (``<list>_001-of-00k.txt``, one ``YYYYMMDD-NNNN`` per line, CRLF) with its own
    manifest, so :func:`inkorg_kit.recipients.verify` checks them like recipient files. For
    letters and phone calls, ``followup_letters.csv`` (``;``, UTF-8 with BOM for Excel) lists
    personnummer, list, reason, sent time, file and unit. ``followup_manifest.json`` (counts,
    files, hashes; no personnummer) is written last. All atomic, mode 0600. Lists of an
    earlier run that are not written now are removed, so only current lists remain.
    """
    from inkorg_kit import recipients

    root = Path(run_dir)
    folder = ensure_private_dir(root / FOLLOWUP_DIR)
    (folder / FOLLOWUP_MANIFEST).unlink(missing_ok=True)
    created = lists.exported_at.isoformat()
    current = [unread_list_name(lists.after_working_hours), FAILED_LIST, NOT_IN_EXPORT_LIST]
    for stale in folder.glob("unread-after-*h"):
        if stale.name not in current:
            _remove_list(folder, stale.name)
    written: dict[str, Any] = {}
    for name in current:
        part = lists.people.filter(pl.col("list") == name)
        if part.height == 0:
            _remove_list(folder, name)
            written[name] = {"rows": 0, "files": []}
            continue
        parts = recipients.split(
            part.select("pnr", pl.lit("ok").alias("status")), part_size=250, balance=True
        )
        delivery = recipients.write(
            parts,
            folder / name,
            name,
            created=created,
            unchecked_reason=f"follow-up list of campaign {campaign or '(unnamed)'}, whose"
            " recipient files were checked against the guidelines when they were written",
        )
        written[name] = {
            "rows": part.height,
            "folder": str(delivery.folder.relative_to(root)),
            "files": [
                {"file_name": f["file_name"], "rows": f["rows"], "sha256": f["sha256"]}
                for f in delivery.manifest["files"]
            ],
        }
    letters = lists.people.select(
        pl.col("pnr").alias("personnummer"),
        pl.col("list").alias("lista"),
        pl.col("reason").alias("orsak"),
        pl.col("sent_at")
        .dt.convert_time_zone(str(lists.exported_at.tzinfo))
        .dt.strftime("%Y-%m-%d %H:%M")
        .alias("skickat"),
        pl.col("file_name").alias("fil"),
        pl.col("unit").alias("enhet"),
    )
    buffer = stdio.StringIO()
    letters.write_csv(buffer, separator=";", line_terminator="\r\n")
    data = ("\ufeff" + buffer.getvalue()).encode("utf-8")
    write_private_bytes(folder / LETTERS_CSV, data)
    manifest = {
        "campaign": campaign,
        "exported_at": created,
        "unread_after_working_hours": lists.after_working_hours,
        "not_yet_due": lists.not_yet_due,
        "lists": written,
        "letters_csv": {
            "file_name": LETTERS_CSV,
            "rows": letters.height,
            "sha256": hashlib.sha256(data).hexdigest(),
        },
        "counts": lists.summary().to_dicts(),
    }
    write_private_text(
        folder / FOLLOWUP_MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
    )
    return manifest


# --------------------------------------------------------------------------- refit


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
        from scipy.special import ndtr

        h = np.maximum(np.asarray(hours, dtype=float), 1e-9)
        a = ndtr((np.log(h) - math.log(self.soon_median)) / self.soon_sigma)
        b = ndtr((np.log(h) - math.log(self.later_median)) / self.later_sigma)
        return self.read_share * (self.soon_share * a + (1 - self.soon_share) * b)


def _assumed_marginal(a: Any, band: str) -> tuple[float, float, float, float]:
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
    from scipy.optimize import minimize
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


#: The most a fitted share weighs as a prior for the next campaign (a pseudo-count of people).
#: One campaign is one draw of the region's behaviour: target groups, units, seasons and
#: years differ, and login and reading shares move with them by a few percentage points. So
#: 100,000 sends do not make the next campaign's share 100,000 people sure; with at most 200 its
#: 90 % interval stays about +/- 5 points at a share of 0.5 and +/- 3 points at 0.9, close to
#: how much regions and years are seen to differ, while the mean still comes from the data.
FIT_STRENGTH_CAP = 200.0


def _capped(n: float) -> float:
    return float(min(max(n, 1.0), FIT_STRENGTH_CAP))


def _scale_timing(assumed: Any, q: float, fit: TimingFit) -> tuple[float, float, float]:
    """(read-share factor, time factor, soon-odds factor) that make the assumed mix of the
    notified (share ``q``) and not notified match the fitted marginal curve; the two groups'
    gap (their assumed difference) is kept, as the export does not show who was notified."""
    from scipy.optimize import minimize
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


def _timing_dict(assumed: Any, q: float, fit: TimingFit, tag: str) -> dict[str, Any]:
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
    assumptions: Any = None,
    *,
    campaign: str | None = None,
    min_reads: int = 30,
    min_sent: int = 30,
    date: dt.date | None = None,
) -> Any:
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
    defaults). Returns a :class:`inkorg_kit.reach.Assumptions` with ``fitted_from:
    {campaign, n, date, ..., notes}``; write it with ``.to_yaml(path)``, read the notes with
    :func:`fit_notes`.
    """
    from inkorg_kit.reach import UNKNOWN_BAND, load_assumptions

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
    timed = _time_frame(outcomes, "active", a)
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


def fit_notes(fitted: Any) -> list[str]:
    """What :func:`fit_reach` could not fit, and why (for the analyst)."""
    origin = getattr(fitted, "fitted_from", None)
    return list((getattr(origin, "model_extra", None) or {}).get("notes", []))


def _mean_q(a: Any, timed: pl.DataFrame) -> float:
    """The assumed notification share, averaged over the timed residents' age bands."""
    counts = timed.group_by("age_band").agg(pl.len().alias("n"))
    parts = [
        (a.band(b).notification_share.mean, n) for b, n in counts.iter_rows() if _band_ok(a, b)
    ]
    total = sum(n for _, n in parts)
    return sum(q * n for q, n in parts) / total if total else 0.5


def _mix_start(a: Any, timed: pl.DataFrame) -> tuple[float, float, float, float]:
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


def _band_ok(a: Any, band: str) -> bool:
    from inkorg_kit.reach import UNKNOWN_BAND

    return band == UNKNOWN_BAND or band in a.bands


def _reach_measures(a: Any, band: str, hours: Sequence[float]) -> dict[str, float]:
    b = a.band(band)
    timing = a.timing(band)
    q = b.notification_share.mean
    h = np.asarray(hours, dtype=float)
    cdf = q * timing.notified.cdf(h) + (1 - q) * timing.not_notified.cdf(h)
    eventual = q * timing.notified.read_share.mean + (1 - q) * timing.not_notified.read_share.mean
    out = {"login_share": b.login_share.mean, "eventual": eventual}
    out.update({f"{x:g}": float(v) for x, v in zip(hours, cdf, strict=True)})
    return out


def compare_reach(assumed: Any, fitted: Any, hours: Sequence[float] = (1, 24, 168)) -> pl.DataFrame:
    """Fitted beside assumed, per age band: login share (with its 90 % prior interval),
    the share of the reachable who ever read, and who read within each of ``hours`` active
    hours. For the notebook's "what we assumed vs what we saw" table."""
    from inkorg_kit.reach import AGE_BANDS, UNKNOWN_BAND, load_assumptions

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


def write_fitted(assumptions: Any, run_dir: str | os.PathLike[str]) -> Path:
    """Write fitted parameters to ``<run_dir>/fitted_reach.yaml`` (atomic, 0600)."""
    return assumptions.to_yaml(Path(run_dir) / FITTED_FILE)
