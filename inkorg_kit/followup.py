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
        datetime_format: null                # null: ISO-like "2027-03-16 09:12[:05]"
        timezone: Europe/Stockholm

The default sent file is ``Personnummer;Skickat;Status;Läst`` (semicolon, UTF-8 with BOM, as
Excel writes it), one row per case: the personnummer (any shape :func:`inkorg_kit.pnr.clean`
accepts, also 10 digits), the time it was sent, the status label, and the time the resident
read it (empty if unread). The failed file is ``Personnummer;Orsak`` with reasons such as
"Saknar inloggning" and "Kontot är spärrat" (unknown reasons count as "other"). An export that
lists failures as rows with status "Misslyckades" in the sent file works too (``failed_file:
null``). CSV and XLSX are read by :func:`inkorg_kit.io.read_table` (same rules and errors).
Labels are compared without case and extra spaces; a label the mapping does not know stops the
run with the labels found, the mapping, and the data rows concerned (never a personnummer).

**Closed cases** ("Stängt"). An information message is closed the second it is sent (seed
004), so "closed" says nothing about reading, and the follow-up must include closed cases. A
closed case *with* a read time counts as read; one without is treated as unread by default
(it goes on the follow-up list: the safe side for a kallelse), or, with
``closed_without_read_time: unknown``, is counted separately and left out of read rates (but
still followed up).

**Nothing is dropped.** Every export row is a person, a duplicate row of a person (cases sent
twice: the best outcome wins, read > unread > failed), or rejected with the reason from
:func:`inkorg_kit.pnr.clean`. Every campaign resident (from the recipient manifest) is read,
unread, of unknown status, failed, or missing from the export; residents in the export who
were never in the campaign are counted too. :meth:`Outcomes.counts` checks that it adds up.

**Statistics.** Read rates are read / (read + unread) among delivered messages, with Wilson
intervals (``statsmodels.stats.proportion.proportion_confint``), overall and by file, age
band, sex, unit and send weekday and hour. Time to read is a Kaplan-Meier curve
(``statsmodels.duration.survfunc.SurvfuncRight``), residents still unread at export time being
censored then; pointwise intervals use the log-log transform of Greenwood's standard error.

**Refit.** :func:`fit_reach` writes this campaign's login shares (1 - failed/sent per age band,
a Beta posterior from a Jeffreys prior, strength about n) and time to read per age band (a
censored two-part log-normal fit in the reach model's active hours, by maximum likelihood with
weak priors, ``scipy.optimize``) in the format of ``params/reach_defaults.yaml``. The export
does not say who got a notification, so a band's notified and not-notified readers get the
same fitted timing (the marginal); notification shares stay as assumed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io as stdio
import json
import math
import os
import re
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from inkorg_kit import pnr as _pnr
from inkorg_kit._private import ensure_private_dir, write_private_bytes, write_private_text
from inkorg_kit.io import InputError, read_table

__all__ = [
    "DIMENSIONS",
    "FAILURES",
    "OUTCOMES",
    "FollowupLists",
    "Outcomes",
    "StatusExport",
    "StatusExportError",
    "StatusExportMapping",
    "TimingFit",
    "campaign_recipients",
    "compare_reach",
    "fit_reach",
    "followup_lists",
    "group_table",
    "load_status",
    "load_target",
    "read_curves",
    "read_rate",
    "read_within",
    "reconcile",
    "status_mapping",
    "time_to_read_summary",
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
    "unknown": "Okänd lässtatus (stängt ärende utan lästid)",
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

_US_PER_HOUR = 3_600_000_000
_AUTO_FORMATS = (
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y%m%d %H:%M",
)
_OFFSET_FORMATS = ("%Y-%m-%dT%H:%M:%S%:z", "%Y-%m-%d %H:%M:%S%:z")


# --------------------------------------------------------------------------- the mapping


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExportColumns(_Model):
    """Column names in the sent-cases file."""

    pnr: str = Field("Personnummer", description="the resident's personnummer")
    sent_at: str = Field("Skickat", description="when the case was sent")
    status: str = Field("Status", description="the case status label (see labels)")
    read_at: str | None = Field("Läst", description="when the resident read it; null: none")
    reason: str | None = Field(None, description="failure reason, if failures are rows here")


class FailedColumns(_Model):
    """Column names in the failed-sends file."""

    pnr: str = Field("Personnummer", description="the resident's personnummer")
    reason: str | None = Field("Orsak", description="why the send failed; null: not given")
    sent_at: str | None = Field(None, description="when the send was tried; null: not given")


class ExportLabels(_Model):
    """Status labels of the sent-cases file, by meaning."""

    read: tuple[str, ...] = ("Läst", "Läst av invånare")
    unread: tuple[str, ...] = ("Oläst", "Oläst av invånare")
    closed: tuple[str, ...] = ("Stängt", "Stängd")
    failed: tuple[str, ...] = ("Misslyckades", "Misslyckat")


class FailureReasons(_Model):
    """Failure reason texts by meaning; any other text counts as ``other``."""

    no_login: tuple[str, ...] = ("Saknar inloggning", "Saknar aktiv inloggning")
    locked: tuple[str, ...] = ("Kontot är spärrat", "Spärrat konto")


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def _norm_expr(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace_all(r"\s+", " ").str.strip_chars().str.to_lowercase()


class StatusExportMapping(_Model):
    """How a status export maps onto the default layout (``followup.status_export``)."""

    sent_file: str = Field("skickade_arenden.csv", description="sent cases, CSV or XLSX")
    failed_file: str | None = Field(
        "misslyckade_utskick.csv", description="failed sends; null: failures are sent-file rows"
    )
    columns: ExportColumns = Field(default_factory=ExportColumns)
    failed_columns: FailedColumns = Field(default_factory=FailedColumns)
    labels: ExportLabels = Field(default_factory=ExportLabels)
    failure_reasons: FailureReasons = Field(default_factory=FailureReasons)
    closed_without_read_time: Literal["unread", "unknown"] = Field(
        "unread", description="a closed case with no read time: unread (default) or unknown"
    )
    datetime_format: str | None = Field(
        None, description="strftime format of the times; null: ISO-like, e.g. 2027-03-16 09:12"
    )
    timezone: str = Field("Europe/Stockholm", description="time zone of times without offset")
    sheet: str | int | None = Field(None, description="Excel sheet (name or 0-based position)")
    encoding: str = Field("auto", description="text encoding of CSV files; auto-detected")
    delimiter: str | None = Field(None, description="CSV delimiter; auto-detected")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except Exception:
            raise ValueError(f"{value!r} is not a time zone like Europe/Stockholm") from None
        return value

    @model_validator(mode="after")
    def _labels_distinct(self) -> StatusExportMapping:
        for kind, groups in (
            ("labels", self.labels.model_dump()),
            ("failure_reasons", self.failure_reasons.model_dump()),
        ):
            seen: dict[str, str] = {}
            for meaning, labels in groups.items():
                for label in labels:
                    key = _norm(label)
                    if key in seen and seen[key] != meaning:
                        raise ValueError(
                            f"{kind}: the label {label!r} is listed under both"
                            f" {seen[key]!r} and {meaning!r}; give it one meaning"
                        )
                    seen[key] = meaning
        return self

    def label_map(self) -> dict[str, str]:
        """Normalised status label -> category (read, unread, closed, failed)."""
        return {_norm(lab): cat for cat, labs in self.labels.model_dump().items() for lab in labs}

    def reason_map(self) -> dict[str, str]:
        """Normalised reason text -> failure code (no_login, locked)."""
        return {
            _norm(lab): code
            for code, labs in self.failure_reasons.model_dump().items()
            for lab in labs
        }

    def describe_labels(self) -> str:
        return "; ".join(
            f"{cat}: {', '.join(labs) or '(none)'}"
            for cat, labs in self.labels.model_dump().items()
        )


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


@dataclass(frozen=True)
class StatusExport:
    """A status export read and checked: one row per export row (in memory: holds pnr).

    ``rows`` columns: ``source`` (sent/failed file), ``row`` (data row, 1 = first below the
    header), ``pnr`` (normalised, null if rejected), ``pnr_status`` and ``pnr_reason`` (from
    :func:`inkorg_kit.pnr.clean`), ``category`` (read/unread/closed/failed label), ``outcome``
    (read/unread/unknown/failed), ``closed``, ``sent_at``, ``read_at`` (local time),
    ``failure`` (no_login/locked/other) and ``reason_text``.
    """

    rows: pl.DataFrame
    exported_at: dt.datetime
    paths: tuple[Path, ...]
    mapping: StatusExportMapping
    warnings: tuple[str, ...] = ()

    def summary(self) -> pl.DataFrame:
        """Rows per file and fate (person, duplicate, rejected with reason): no personnummer."""
        return (
            self.rows.group_by(
                pl.col("source").cast(pl.String),
                pl.col("pnr_status").cast(pl.String),
                pl.col("pnr_reason").cast(pl.String),
            )
            .agg(pl.len().alias("rows"))
            .sort("source", "pnr_status", "pnr_reason", nulls_last=True)
        )


def _locate(
    source: str | os.PathLike[str] | None, m: StatusExportMapping, run_dir: Path | None
) -> tuple[Path, Path | None, list[str]]:
    """(sent file, failed file or None, warnings) from a file or a folder."""
    warnings: list[str] = []
    if source is None or str(source) == "":
        if run_dir is None:
            raise StatusExportError("no status export given: pass a file or a folder")
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
    failed = None
    if m.failed_file:
        candidate = Path(m.failed_file)
        candidate = candidate if candidate.is_absolute() else folder / candidate
        if candidate.resolve() == sent.resolve():
            failed = None
        elif candidate.is_file():
            failed = candidate
        else:
            warnings.append(
                f"no failed-sends file '{candidate.name}' beside the sent cases: residents whose"
                " send failed show as missing from the export (export the failed list, or set"
                " followup.status_export.failed_file: null if failures are rows of the sent file)"
            )
    return sent, failed, warnings


def _rows_text(rows: Sequence[int], total: int) -> str:
    shown = ", ".join(str(r) for r in rows[:10])
    more = f" and {total - 10} more" if total > 10 else ""
    return f"data row{'s' if total > 1 else ''} {shown}{more} (counted below the header)"


def _parse_times(frame: pl.DataFrame, column: str, m: StatusExportMapping, path: Path) -> pl.Series:
    """Text times -> local tz-aware datetimes; unreadable non-empty values stop the run."""
    text = frame[column].cast(pl.String).str.strip_chars()
    text = pl.select(pl.when(text.str.len_chars() > 0).then(text)).to_series()
    tz = m.timezone
    if m.datetime_format:
        formats, offsets = ((m.datetime_format,), ())
        if "%z" in m.datetime_format or "%:z" in m.datetime_format:
            formats, offsets = (), (m.datetime_format,)
    else:
        formats, offsets = _AUTO_FORMATS, _OFFSET_FORMATS
    naive = [text.str.to_datetime(f, strict=False, time_unit="us") for f in formats]
    parsed = [
        s.dt.replace_time_zone(tz, ambiguous="earliest", non_existent="null") for s in naive
    ] + [
        text.str.to_datetime(f, strict=False, time_unit="us").dt.convert_time_zone(tz)
        for f in offsets
    ]
    out = pl.select(pl.coalesce(parsed).alias(column)).to_series()
    bad = (text.is_not_null() & out.is_null()).to_numpy()
    if bad.any():
        rows = (np.flatnonzero(bad) + 1).tolist()
        examples = text.filter(pl.Series(bad)).unique(maintain_order=True).head(3).to_list()
        want = m.datetime_format or "ISO-like, e.g. 2027-03-16 09:12 or 2027-03-16 09:12:05"
        raise StatusExportError(
            f"'{path}', column '{column}': {len(rows)} value(s) are not times, e.g."
            f" {examples}, at {_rows_text(rows, len(rows))}. Expected {want}; set"
            " followup.status_export.datetime_format (e.g. '%d/%m/%Y %H:%M') to read them",
            path=path,
            column=column,
            row=rows[0],
        )
    return out


def _categories(frame: pl.DataFrame, column: str, m: StatusExportMapping, path: Path) -> pl.Series:
    labels = m.label_map()
    norm = frame.select(_norm_expr(pl.col(column).cast(pl.String)).alias("k"))["k"]
    category = norm.replace_strict(labels, default=None, return_dtype=pl.String)
    empty = (norm.is_null() | (norm == "")).to_numpy()
    unknown = (~empty & category.is_null().to_numpy()).astype(bool)
    if unknown.any() or empty.any():
        raw = frame[column].cast(pl.String).str.strip_chars()
        found = (
            pl.DataFrame({"label": raw, "bad": unknown})
            .filter(pl.col("bad"))
            .group_by("label")
            .agg(pl.len().alias("n"))
            .sort("n", descending=True)
        )
        parts = []
        if unknown.any():
            rows = (np.flatnonzero(unknown) + 1).tolist()
            listed = ", ".join(f"{lab!r} ({n} rows)" for lab, n in found.head(10).iter_rows())
            parts.append(
                f"labels the mapping does not know: {listed}, at {_rows_text(rows, len(rows))}"
            )
        if empty.any():
            rows = (np.flatnonzero(empty) + 1).tolist()
            parts.append(f"an empty status at {_rows_text(rows, len(rows))}")
        raise StatusExportError(
            f"'{path}', column '{column}' has {'; and '.join(parts)}. The mapping"
            f" (followup.status_export.labels) knows {m.describe_labels()}. Add each label"
            " under the key that says what it means in the campaign YAML",
            path=path,
            column=column,
        )
    return category.cast(CATEGORY)


def _failure_codes(reason: pl.Series | None, n: int, m: StatusExportMapping) -> pl.Series:
    if reason is None:
        return pl.Series("failure", ["other"] * n, dtype=FAILURE)
    norm = pl.select(_norm_expr(reason.cast(pl.String)).alias("k"))["k"]
    return norm.replace_strict(m.reason_map(), default="other", return_dtype=pl.String).cast(
        FAILURE
    )


def _read(path: Path, m: StatusExportMapping, pnr_column: str, required: list[str]) -> pl.DataFrame:
    return read_table(
        path,
        pnr_column=pnr_column,
        required_columns=required,
        sheet=m.sheet,
        encoding=m.encoding,
        delimiter=m.delimiter,
    )


def _sent_rows(path: Path, m: StatusExportMapping) -> pl.DataFrame:
    c = m.columns
    required = [c.sent_at, c.status] + [x for x in (c.read_at, c.reason) if x]
    frame = _read(path, m, c.pnr, required)
    category = _categories(frame, c.status, m, path)
    sent_at = _parse_times(frame, c.sent_at, m, path)
    if c.read_at:
        read_at = _parse_times(frame, c.read_at, m, path)
    else:
        read_at = pl.Series(c.sent_at, [None] * frame.height, dtype=sent_at.dtype)
    reason = frame[c.reason].cast(pl.String) if c.reason else None
    out = pl.DataFrame(
        {
            "source": pl.Series(["sent"] * frame.height, dtype=SOURCES),
            "row": pl.int_range(1, frame.height + 1, eager=True).cast(pl.Int64),
            "raw": frame[c.pnr].cast(pl.String),
            "category": category,
            "sent_at": sent_at,
            "read_at": read_at,
            "reason_text": reason
            if reason is not None
            else pl.Series([None] * frame.height, dtype=pl.String),
            "failure": _failure_codes(reason, frame.height, m),
        }
    )
    return out.with_columns(
        pl.when(pl.col("category") == "failed").then(pl.col("failure")).alias("failure"),
        pl.when(pl.col("category") == "failed").then(pl.col("reason_text")).alias("reason_text"),
    )


def _failed_rows(path: Path, m: StatusExportMapping, like: pl.DataFrame) -> pl.DataFrame:
    c = m.failed_columns
    frame = _read(path, m, c.pnr, [x for x in (c.reason, c.sent_at) if x])
    n = frame.height
    reason = frame[c.reason].cast(pl.String) if c.reason else None
    sent_at = (
        _parse_times(frame, c.sent_at, m, path)
        if c.sent_at
        else pl.Series([None] * n, dtype=like.schema["sent_at"])
    )
    return pl.DataFrame(
        {
            "source": pl.Series(["failed"] * n, dtype=SOURCES),
            "row": pl.int_range(1, n + 1, eager=True).cast(pl.Int64),
            "raw": frame[c.pnr].cast(pl.String),
            "category": pl.Series(["failed"] * n, dtype=CATEGORY),
            "sent_at": sent_at,
            "read_at": pl.Series([None] * n, dtype=like.schema["read_at"]),
            "reason_text": reason if reason is not None else pl.Series([None] * n, dtype=pl.String),
            "failure": _failure_codes(reason, n, m),
        }
    )


def _check_rows(rows: pl.DataFrame, paths: dict[str, Path], what: str, bad: pl.Expr, do: str):
    hit = rows.filter(bad)
    if hit.height:
        source = hit["source"][0]
        sel = hit.filter(pl.col("source") == source)["row"].to_list()
        raise StatusExportError(
            f"'{paths[source]}': {what} at {_rows_text(sel, len(sel))}. {do}",
            path=paths[source],
            row=sel[0],
        )


def load_status(
    source: str | os.PathLike[str] | None = None,
    mapping: Any = None,
    *,
    run_dir: str | os.PathLike[str] | None = None,
    exported_at: dt.datetime | str | None = None,
    reference_date: dt.date | str | None = None,
) -> StatusExport:
    """Read a status export: a sent-cases file, or a folder with it and the failed-sends file.

    ``mapping`` is a :class:`~inkorg_kit.campaign.Campaign` (its ``followup.status_export``), a
    dict in that format, or None for the default layout. ``source`` ``None``/``""`` means
    ``<run_dir>/status_export/``. ``exported_at`` (local time) is when the export was taken,
    which is where unread residents are censored; by default the latest time in the export.
    ``reference_date`` decides the century of 10-digit personnummer (default: the export day).
    """
    m = status_mapping(mapping)
    sent_path, failed_path, warnings = _locate(
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
    cleaned = _pnr.clean(rows["raw"], reference_date=reference_date or stamp.date())
    rows = rows.drop("raw").with_columns(
        cleaned["pnr"],
        cleaned["status"].alias("pnr_status"),
        cleaned["reason"].alias("pnr_reason"),
    )
    delivered = pl.col("category").is_in(["read", "unread", "closed"])
    _check_rows(
        rows,
        paths,
        "sent cases without a sent time",
        delivered & pl.col("sent_at").is_null(),
        "Every sent case needs its time in the sent-time column; check the column mapping",
    )
    _check_rows(
        rows,
        paths,
        "cases with the status unread but a read time",
        (pl.col("category") == "unread") & pl.col("read_at").is_not_null(),
        "Check that columns.read_at names the read-time column and the labels are right",
    )
    _check_rows(
        rows,
        paths,
        "read times before the sent time",
        pl.col("read_at") < pl.col("sent_at"),
        "Check that columns.sent_at and columns.read_at are not swapped",
    )
    if latest is not None and latest > stamp:
        raise StatusExportError(
            f"exported_at {stamp:%Y-%m-%d %H:%M} is before the latest time in the export"
            f" ({latest.astimezone(zone):%Y-%m-%d %H:%M}); give the time the export was taken",
            path=sent_path,
        )
    closed_unread = m.closed_without_read_time
    rows = rows.with_columns(
        pl.when(pl.col("category") == "read")
        .then(pl.lit("read"))
        .when(pl.col("category") == "unread")
        .then(pl.lit("unread"))
        .when(pl.col("category") == "failed")
        .then(pl.lit("failed"))
        .when(pl.col("read_at").is_not_null())
        .then(pl.lit("read"))
        .otherwise(pl.lit(closed_unread))
        .cast(OUTCOME)
        .alias("outcome"),
        (pl.col("category") == "closed").alias("closed"),
    ).select(
        "source",
        "row",
        "pnr",
        "pnr_status",
        "pnr_reason",
        "category",
        "outcome",
        "closed",
        "sent_at",
        "read_at",
        "failure",
        "reason_text",
    )
    return StatusExport(
        rows=rows,
        exported_at=stamp,
        paths=tuple(paths.values()),
        mapping=m,
        warnings=tuple(warnings),
    )


def _export_people(export: StatusExport) -> pl.DataFrame:
    """One row per person in the export; duplicate rows merged (read > unread > failed).

    A resident read: the case read first gives both times. Otherwise the first send counts.
    """
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
    ``failure``, ``failure_text``, ``export_rows``, ``hours_to_read`` (calendar hours),
    ``observed_hours`` and ``event`` (for time-to-read: hours to reading, or to the export for
    the unread, who are censored there).
    """

    people: pl.DataFrame
    exported_at: dt.datetime
    export_summary: dict[str, Any]
    target_size: int | None
    campaign: str | None = None
    warnings: tuple[str, ...] = ()
    timezone: str = "Europe/Stockholm"

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
            "read_time_missing": n(
                camp, (pl.col("outcome") == "read") & pl.col("read_at").is_null()
            ),
            "failed": n(camp, pl.col("outcome") == "failed"),
            "failed_no_login": n(camp, pl.col("failure") == "no_login"),
            "failed_locked": n(camp, pl.col("failure") == "locked"),
            "failed_other": n(camp, pl.col("failure") == "other"),
            "not_in_export": n(camp, pl.col("outcome") == "not_in_export"),
            "not_in_campaign": n(p, ~pl.col("in_campaign")),
            "export_rows": int(self.export_summary["rows"]),
            "export_rows_rejected": int(self.export_summary["rejected"]),
            "export_rows_duplicate": int(self.export_summary["duplicate_rows"]),
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
        """Per recipient file, residents missing from the export (a whole file: not sent yet?)."""
        return (
            self.people.filter(pl.col("in_campaign"))
            .group_by("file_name")
            .agg(
                pl.len().alias("in_file"),
                (pl.col("outcome") == "not_in_export").sum().alias("not_in_export"),
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
        .when(pl.col("outcome") == "unread")
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
    denominator), ``read``, ``read_rate``, ``low``, ``high``. Send weekday and hour count only
    residents with a sent time. Not suppressed: apply :func:`inkorg_kit.report.suppress` before
    showing it to anyone but the analyst.
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
    schema_cols += ["delivered", "n", "read"]
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
    clock = _ActiveClock(assumptions, start.min(), outcomes.exported_at)
    return frame.with_columns(
        pl.Series("_t", clock.active(_epoch_hours(end)) - clock.active(_epoch_hours(start)))
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
    time are left out (see ``counts()['read_time_missing']``). One curve overall
    (``group`` = "Alla") and one per value of ``by`` (e.g. age band). ``scale="active"``
    counts the reach model's active hours (for comparing with assumptions). Columns:
    ``group``, ``n``, ``reads``, ``hours``, ``read_share``, ``low``, ``high``, ``at_risk``.
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
        fit = _km(t, part["event"].to_numpy())
        share, low, high, at_risk = _km_at(fit, t, points, alpha)
        out.append(
            pl.DataFrame(
                {
                    "group": [key] * len(points),
                    "n": [part.height] * len(points),
                    "reads": [int(part["event"].sum())] * len(points),
                    "hours": points,
                    "read_share": share,
                    "low": low,
                    "high": high,
                    "at_risk": at_risk.astype(np.int64),
                }
            )
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
    one row per group, a column per horizon (``read_1h``, ``low_1h``, ``high_1h``, ...).
    A horizon beyond the longest observed time is left empty (the export came too soon)."""
    curves = read_curves(outcomes, by, hours=list(hours), alpha=alpha)
    frame = _time_frame(outcomes, "calendar", None)
    longest = float(frame["_t"].max() or 0.0)
    curves = curves.with_columns(
        pl.when(pl.col("hours") <= longest).then(pl.col(c)).alias(c)
        for c in ("read_share", "low", "high")
    )
    rows = []
    for key in curves["group"].unique(maintain_order=True).to_list():
        part = curves.filter(pl.col("group") == key)
        row: dict[str, Any] = {"group": key, "n": int(part["n"][0])}
        for h, share, low, high in part.select("hours", "read_share", "low", "high").iter_rows():
            tag = f"{h:g}h"
            row[f"read_{tag}"], row[f"low_{tag}"], row[f"high_{tag}"] = share, low, high
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


@dataclass(frozen=True)
class FollowupLists:
    """Residents to reach another way (``people`` holds personnummer; ``summary`` does not).

    ``people``: ``pnr``, ``list`` (the unread list's name or ``failed``), ``reason`` (Swedish),
    ``sent_at``, ``working_hours`` (since the send, up to the export), ``file_name``, ``unit``.
    ``not_yet_due``: unread residents sent less than ``after_working_hours`` ago.
    """

    people: pl.DataFrame
    after_working_hours: float
    not_yet_due: int
    exported_at: dt.datetime

    def summary(self) -> pl.DataFrame:
        """Count per list and reason (no personnummer), with those not yet due."""
        counts = (
            self.people.group_by("list", "reason", maintain_order=True)
            .agg(pl.len().alias("count"))
            .sort("list", "reason")
        )
        due = pl.DataFrame(
            {
                "list": ["(ej ännu)"],
                "reason": [
                    f"Oläst, skickat för mindre än {self.after_working_hours:g} arbetstimmar sedan"
                ],
                "count": [self.not_yet_due],
            },
            schema=counts.schema,
        )
        return pl.concat([counts, due])


def followup_lists(
    outcomes: Outcomes,
    windows: Any = None,
    *,
    unread_after_working_hours: float = 24,
) -> FollowupLists:
    """Campaign residents to reach another way: unread after N working hours (working hours
    of the campaign's send windows, :func:`inkorg_kit.schedule.working_hours_between`, up to
    the export), closed cases of unknown read status alike, and every failed send."""
    from inkorg_kit.schedule import SendWindows, working_hours_between

    if unread_after_working_hours < 0:
        raise ValueError(
            f"unread_after_working_hours must be 0 or more, got {unread_after_working_hours}"
        )
    if windows is None:
        windows = SendWindows()
    elif hasattr(windows, "send_windows"):
        windows = windows.send_windows
    people = outcomes.campaign_people()
    open_ = people.filter(pl.col("outcome").is_in(["unread", "unknown"]))
    if open_.height:
        worked = working_hours_between(open_["sent_at"], outcomes.exported_at, windows)
        open_ = open_.with_columns(pl.Series("working_hours", worked, dtype=pl.Float64))
    else:
        open_ = open_.with_columns(pl.lit(None, pl.Float64).alias("working_hours"))
    due = open_.filter(pl.col("working_hours") >= unread_after_working_hours)
    name = unread_list_name(unread_after_working_hours)
    after = f"{unread_after_working_hours:g}"
    unread = due.select(
        "pnr",
        pl.lit(name).alias("list"),
        pl.when(pl.col("outcome") == "unknown")
        .then(pl.lit(f"Okänd lässtatus efter {after} arbetstimmar (stängt ärende)"))
        .otherwise(pl.lit(f"Oläst efter {after} arbetstimmar"))
        .alias("reason"),
        "sent_at",
        "working_hours",
        "file_name",
        "unit",
    )
    failed = people.filter(pl.col("outcome") == "failed").select(
        "pnr",
        pl.lit(FAILED_LIST).alias("list"),
        pl.col("failure")
        .cast(pl.String)
        .replace_strict(FAILURE_LABELS, default=FAILURE_LABELS["other"])
        .alias("reason"),
        "sent_at",
        pl.lit(None, pl.Float64).alias("working_hours"),
        "file_name",
        "unit",
    )
    return FollowupLists(
        people=pl.concat([unread, failed]).sort("list", "pnr"),
        after_working_hours=float(unread_after_working_hours),
        not_yet_due=open_.height - due.height,
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

    Each list (``unread-after-<N>h``, ``failed``) is written by
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
    current = [unread_list_name(lists.after_working_hours), FAILED_LIST]
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
        delivery = recipients.write(parts, folder / name, name, created=created)
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
        "counts": [{"list": a, "reason": b, "count": c} for a, b, c in lists.summary().iter_rows()],
    }
    write_private_text(
        folder / FOLLOWUP_MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
    )
    return manifest


# --------------------------------------------------------------------------- active hours


def _epoch_hours(series: pl.Series) -> np.ndarray:
    return series.dt.epoch("us").to_numpy().astype(float) / _US_PER_HOUR


class _ActiveClock:
    """The reach model's active hours (calendar hours weighted by the daily rhythm)."""

    def __init__(self, assumptions: Any, first: dt.datetime, last: dt.datetime) -> None:
        from inkorg_kit.reach import _Clock, load_assumptions

        a = load_assumptions(assumptions)
        span = max((last - first).total_seconds() / 3600, 0.0) + 48
        self._clock = _Clock.spanning(a, [first - dt.timedelta(hours=24)], span)

    def active(self, epoch_hours: np.ndarray) -> np.ndarray:
        return self._clock.active(epoch_hours)

    def calendar(self, active_hours: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`active`; NaN beyond the clock's end."""
        cum, grid = self._clock.cumulative, self._clock.grid
        out = np.interp(active_hours, cum, grid)
        return np.where(active_hours > cum[-1], np.nan, out)


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


def _timing_dict(fit: TimingFit, source: str) -> dict[str, Any]:
    one = {
        "read_share": {
            "mean": round(fit.read_share, 6),
            "strength": float(max(fit.n, 1)),
            "source": source,
        },
        "soon_share": {
            "mean": round(fit.soon_share, 6),
            "strength": float(max(fit.reads, 1)),
            "source": source,
        },
        "soon_median_hours": {"value": round(fit.soon_median, 4), "source": source},
        "soon_sigma": {"value": round(fit.soon_sigma, 4), "source": source},
        "later_median_hours": {"value": round(fit.later_median, 4), "source": source},
        "later_sigma": {"value": round(fit.later_sigma, 4), "source": source},
    }
    return {"notified": one, "not_notified": dict(one)}


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
    sent + 1; smaller bands keep the assumption, which is worth more than a handful); its own
    ``time_to_read`` when the band has at least ``min_reads`` reads (else the band keeps the
    common timing); the common ``time_to_read`` from everyone. Everything else (notification
    shares, rhythm, ...) is kept from ``assumptions`` (default: the kit's defaults), each
    number with its source. Returns a :class:`inkorg_kit.reach.Assumptions` with
    ``fitted_from: {campaign, n, date}``; write it with ``.to_yaml(path)``.
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
    for band, n_sent, n_failed in sent.iter_rows():
        if n_sent < min_sent:
            continue
        entry = data["unknown_age"] if band == UNKNOWN_BAND else data["bands"].get(band)
        if entry is None:
            continue
        ok = n_sent - n_failed
        entry["login_share"] = {
            "mean": (ok + 0.5) / (n_sent + 1),
            "strength": float(n_sent + 1),
            "source": f"{tag}: {n_failed} of {n_sent} sends failed (no login or locked)",
        }
        for sex_entry in (entry.get("by_sex") or {}).values():
            sex_entry["login_share"] = None
    timed = _time_frame(outcomes, "active", a)
    if timed.height:
        fits: dict[str, TimingFit] = {}
        overall = _fit_timing(
            timed["_t"].to_numpy(),
            timed["event"].to_numpy(),
            _mix_start(a, timed),
        )
        fits["*"] = overall
        if overall.reads >= min_reads:
            data["time_to_read"] = _timing_dict(
                overall,
                f"{tag}: censored log-normal fit, {overall.n} delivered, {overall.reads} read",
            )
        for band in timed["age_band"].unique().sort().to_list():
            part = timed.filter(pl.col("age_band") == band)
            reads = int(part["event"].sum())
            entry = data["unknown_age"] if band == UNKNOWN_BAND else data["bands"].get(band)
            if entry is None or reads < min_reads:
                continue
            fit = _fit_timing(
                part["_t"].to_numpy(), part["event"].to_numpy(), _assumed_marginal(a, band)
            )
            entry["time_to_read"] = _timing_dict(
                fit, f"{tag}: censored log-normal fit, {fit.n} delivered, {fit.reads} read"
            )
    data["fitted_from"] = {
        "campaign": campaign,
        "n": int(people.height),
        "date": when,
        "exported_at": outcomes.exported_at.isoformat(),
        "method": "login share: 1 - failed/sent (Beta, Jeffreys prior); time to read: censored"
        " two-part log-normal, active hours (inkorg_kit.followup.fit_reach)",
    }
    data["description"] = (
        f"Reach parameters fitted from the follow-up of campaign {campaign}; parameters the"
        " export cannot show (notification shares, rhythm, population mix) are kept from the"
        " assumptions they replace, with their sources."
    )
    return load_assumptions(data)


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
    rows = []
    for band in (*AGE_BANDS, UNKNOWN_BAND):
        fa, ff = a.band(band).login_share, f.band(band).login_share
        was, now = _reach_measures(a, band, hours), _reach_measures(f, band, hours)
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
            "sent": int(ff.strength - 1) if fitted_login else None,
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
