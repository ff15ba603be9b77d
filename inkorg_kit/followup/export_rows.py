"""From the cells of one status-export file to typed rows: statuses, times, failure reasons,
and what can be wrong with a row.

Why apart from loading: Personalverktyget's export layout is not public, so the campaign maps
the region's real export onto a documented default layout (``followup.status_export``, typed
by :class:`~inkorg_kit.config.status_export.StatusExportMapping`). This module applies that
mapping to one file, cell by cell and column-wise: labels are compared without case and extra
spaces, times are read as ISO-like local times (or ``datetime_format``), reasons become the
closed list :data:`~inkorg_kit.followup.codes.FAILURES`. A row with a problem
(:data:`PROBLEMS`) is kept with its reason, the header it came from and the raw value; what
the follow-up does with it is :data:`PROBLEM_EFFECTS`. Values shown to people are masked
(:func:`masked_values`): never a personnummer, nor a name from a wrongly mapped column.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
from pydantic import ValidationError

from inkorg_kit import pnr
from inkorg_kit.config.status_export import StatusExportMapping
from inkorg_kit.config.validation import problems as validation_problems
from inkorg_kit.followup.codes import CATEGORY, FAILURE, SOURCES
from inkorg_kit.io import InputError, first_data_line, read_table
from inkorg_kit.vocab import TIME_ZONE_NAME

if TYPE_CHECKING:
    from inkorg_kit.config.campaign import Campaign

__all__ = [
    "PROBLEMS",
    "PROBLEM_EFFECTS",
    "ROW_COLUMNS",
    "STATUS_PROBLEMS",
    "StatusExportError",
    "failed_rows",
    "masked_values",
    "problem_texts",
    "sent_rows",
    "status_mapping",
]

# after a "T" between date and time became a space and a trailing "Z" became "+00:00"
_AUTO_FORMATS = ("%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y%m%d %H:%M")
_OFFSET_FORMATS = ("%Y-%m-%d %H:%M:%S%.f%z", "%Y-%m-%d %H:%M%z")


class StatusExportError(InputError):
    """A status export (or its mapping) that cannot be used: where, what, and what to do."""

    def __init__(self, message: str, *, path: str | os.PathLike[str] | None = None, **kw: Any):
        super().__init__(pnr.mask_in_text(message), path=path, **kw)


def status_mapping(
    source: Campaign | StatusExportMapping | Mapping[str, Any] | None = None,
) -> StatusExportMapping:
    """The mapping from a campaign (its ``followup.status_export``), a dict, or the default."""
    if isinstance(source, StatusExportMapping):
        return source
    if source is None:
        data: Any = {}
    elif hasattr(source, "followup"):
        data = source.followup.status_export or {}
    else:
        data = source
    if isinstance(data, StatusExportMapping):
        return data
    if not isinstance(data, Mapping):
        raise StatusExportError(
            f"followup.status_export must be a mapping (sent_file, columns, labels, ...), got"
            f" {type(data).__name__}"
        )
    try:
        return StatusExportMapping.model_validate(dict(data))
    except ValidationError as exc:
        lines = validation_problems(exc, StatusExportMapping, "followup.status_export.")
        raise StatusExportError(
            "the status-export mapping in the campaign is not valid:\n"
            + "\n".join(f"  {line}" for line in lines)
        ) from None


# --------------------------------------------------------------------------- row problems

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
#: The problems that leave a person's read status unknown.
STATUS_PROBLEMS = ("status_unknown", "status_empty", "unread_with_read_time")


def problem_texts(m: StatusExportMapping) -> dict[str, str]:
    """:data:`PROBLEMS`, naming the mapping's time zone where it is not Swedish time."""
    if m.timezone == TIME_ZONE_NAME:
        return dict(PROBLEMS)
    return {
        k: v.replace("Swedish time (the export's time zone:", f"{m.timezone} (the time zone set:")
        for k, v in PROBLEMS.items()
    }


def _mask_digits(values: pl.Series) -> pl.Series:
    # only ever on rows with a problem; one clean() over all the numbers in them
    return pl.Series(pnr.mask_in_texts(values.to_list()), dtype=pl.String)


def masked_values(values: pl.Expr) -> pl.Expr:
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


# --------------------------------------------------------------------------- cells


def _norm_expr(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace_all(r"\s+", " ").str.strip_chars().str.to_lowercase()


def _header_line(path: Path, m: StatusExportMapping) -> int:
    """The file line of the header, as :mod:`inkorg_kit.io` counts (a ``sep=`` line, quoted
    or not, and UTF-16 included); 1 for Excel and Parquet."""
    first = first_data_line(path, encoding=m.encoding, delimiter=m.delimiter)
    return 1 if first is None else first - 1


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


# --------------------------------------------------------------------------- the two files

#: The columns of :func:`sent_rows` and :func:`failed_rows` (``raw`` is the unchecked pnr).
ROW_COLUMNS = [
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


def sent_rows(path: Path, m: StatusExportMapping) -> pl.DataFrame:
    """The sent-cases file as typed rows (:data:`ROW_COLUMNS`), each with its first problem."""
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
    ).select(ROW_COLUMNS)


def failed_rows(path: Path, m: StatusExportMapping, like: pl.DataFrame) -> pl.DataFrame:
    """The failed-sends file as typed rows (:data:`ROW_COLUMNS`), with the time types of
    ``like`` (the sent rows)."""
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
    return _with_problems(rows, [(pl.col("_tp"), c.sent_at, "sent_raw")]).select(ROW_COLUMNS)
