"""Reading a status export: finding its files, checking them as a whole, and the analyst's
fix list.

Why: after sending, staff take two lists out of Personalverktyget: the sent cases (who, when,
read or not) and the residents the send failed for (no 1177 login, locked account). The layout
is not public, so the campaign YAML maps any real export onto a documented *default layout*,
without code (``followup.status_export``; every key optional)::

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
a missing column names its ``followup.status_export.columns.*`` key).

**Rows with a problem** (:data:`~inkorg_kit.followup.export_rows.PROBLEMS`) are kept with
their reason, whether or not the person was in the campaign, and :meth:`StatusExport.problems`
lists them by file line with masked values. Only when more than 5 % of a file's rows have one
does the run stop: then the mapping is wrong, and the error names the file, the lines (as
:mod:`inkorg_kit.io` counts them: the header is line 1), the header and its mapping key, with
at most three example values, masked unless they are labels seen on five rows or more.

**Closed cases** ("Stängt"). An information message is closed the second it is sent (seed
004), so "closed" says nothing about reading. A closed case *with* a read time counts as read;
one without is unread by default (it goes on the follow-up list: the safe side for a
kallelse), or, with ``closed_without_read_time: unknown``, of unknown status (left out of read
rates, still followed up).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import polars as pl

from inkorg_kit import pnr
from inkorg_kit.config.status_export import StatusExportMapping
from inkorg_kit.followup.codes import OUTCOME
from inkorg_kit.followup.export_rows import (
    PROBLEM_EFFECTS,
    PROBLEMS,
    STATUS_PROBLEMS,
    StatusExportError,
    failed_rows,
    masked_values,
    problem_texts,
    sent_rows,
    status_mapping,
)
from inkorg_kit.hours.parse import parse_datetime
from inkorg_kit.io import InputError
from inkorg_kit.run import RunFolder

if TYPE_CHECKING:
    from inkorg_kit.config.campaign import Campaign

__all__ = ["StatusExport", "load_status"]

#: A value seen on this many rows is a label, not one person's: shown in full in errors.
_LABEL_ROWS = 5

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
    ``failure`` (no_login/locked/other), ``reason_text``, and ``problem`` (a
    :data:`~inkorg_kit.followup.export_rows.PROBLEMS` code or null) with ``problem_column``
    (the header name) and ``problem_value`` (the raw cell). ``failures_listed`` is False when
    the export had no list of failed sends.
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
            .otherwise(pl.col("problem").replace_strict(problem_texts(self.mapping), default=None))
            .alias("problem"),
            pl.when(pnr_problem)
            .then(pl.lit("row left out (no valid personnummer)"))
            .otherwise(pl.col("problem").replace_strict(PROBLEM_EFFECTS, default=None))
            .alias("done"),
            pl.when(pnr_problem)
            .then(pl.col("pnr_masked"))
            .otherwise(masked_values(pl.col("problem_value")))
            .alias("value"),
            pl.col("pnr_masked").alias("personnummer"),
        ).sort("file", "line")


def _locate(
    source: str | os.PathLike[str] | None, m: StatusExportMapping, run_dir: Path | None
) -> tuple[Path, Path | None, bool, list[str]]:
    """(sent file, failed file or None, whether failures are listed, warnings)."""
    warnings: list[str] = []
    if source is None or str(source) == "":
        if run_dir is None:
            raise StatusExportError("no status export given: pass a file or a folder", path=None)
        source = RunFolder(run_dir).path("status_export_dir")
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


def _examples(values: pl.Series, limit: int = 3) -> str:
    """At most ``limit`` distinct values, the most frequent first, with their row counts;
    masked (:func:`~inkorg_kit.followup.export_rows.masked_values`) unless seen on at least
    :data:`_LABEL_ROWS` rows."""
    counts = (
        pl.DataFrame({"v": values.fill_null("")})
        .group_by("v")
        .agg(pl.len().alias("n"))
        .sort(["n", "v"], descending=[True, False])
    )
    shown = counts.head(limit).with_columns(
        pl.when(pl.col("n") >= _LABEL_ROWS).then(pl.col("v")).otherwise(masked_values(pl.col("v")))
    )
    parts = [
        f"{pnr.mask_in_text(v)!r} ({n} row{'s' if n > 1 else ''})" for v, n in shown.iter_rows()
    ]
    if counts.height > limit:
        parts.append(f"{counts.height - limit} other value(s)")
    return ", ".join(parts)


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
    texts = problem_texts(m)
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
    mapping: Campaign | StatusExportMapping | Mapping[str, Any] | None = None,
    *,
    run_dir: str | os.PathLike[str] | None = None,
    exported_at: dt.datetime | str | None = None,
    reference_date: dt.date | str | None = None,
    max_bad_share: float = 0.05,
) -> StatusExport:
    """Read a status export: a sent-cases file, or a folder with it and the failed-sends file.

    ``mapping`` is a :class:`~inkorg_kit.config.campaign.Campaign` (its
    ``followup.status_export``), a dict in that format, or None for the default layout.
    ``source`` ``None``/``""`` means ``<run_dir>/status_export/``. ``exported_at`` (local time)
    is when the export was taken, which is where unread residents are censored; by default the
    latest time in the export.
    ``reference_date`` decides the century of 10-digit personnummer (default: the export day).

    A row with a problem (:data:`~inkorg_kit.followup.export_rows.PROBLEMS`) is kept with its
    reason and left out of time to read (:meth:`StatusExport.problems` lists them, masked);
    only when more than ``max_bad_share`` of a file's rows have one does the run stop, naming
    the file, the lines, the header and its mapping key: then the mapping, not the rows, is
    wrong.
    """
    m = status_mapping(mapping)
    sent_path, failed_path, listed, warnings = _locate(
        source, m, Path(run_dir) if run_dir not in (None, "") else None
    )
    sent = sent_rows(sent_path, m)
    frames = [sent]
    paths = {"sent": sent_path}
    if failed_path is not None:
        try:
            frames.append(failed_rows(failed_path, m, sent))
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
        stamp = parse_datetime(exported_at, zone)
        rows = _after_export(rows, stamp, m)
    for source_name, path in paths.items():
        _too_many_problems(rows.filter(pl.col("source") == source_name), path, m, max_bad_share)
    cleaned = pnr.clean(rows["raw"], reference_date=reference_date or stamp.date())
    # masked only where problems() shows it: rows rejected or kept with a problem
    shown = (cleaned["pnr"].is_null() | rows["problem"].is_not_null()).arg_true()
    masked = pl.repeat(None, rows.height, dtype=pl.String, eager=True).alias("pnr_masked")
    masked = masked.scatter(shown, pnr.mask(rows["raw"].gather(shown)))
    rows = rows.with_columns(
        cleaned["pnr"],
        masked,
        cleaned["status"].alias("pnr_status"),
        cleaned["reason"].alias("pnr_reason"),
    ).drop("raw")
    cat = pl.col("category")
    status_unknown = pl.col("problem").is_in(STATUS_PROBLEMS) & (cat != "failed").fill_null(True)
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
