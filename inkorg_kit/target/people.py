"""From rows to people: the extract grouped by person, with what the filters ask of each one.

Why apart: this is the fast path over the whole extract. Row conditions become plain columns
first (units, diagnosis codes and yes/no flags decided on their few distinct values), the
extract is grouped once by its raw personnummer text taking only ``max``/``min``/``len``, the
distinct values are cleaned (:func:`inkorg_kit.pnr.clean`), and the groups are merged per
person. No Python loop runs over rows. Contact-level conditions ask "has any contact that
matches"; with ``units`` set, only contacts at those units count.

Diagnosis codes are compared without dots, commas and spaces on both sides, so ``E 11.9``,
``e11,9`` and ``E119`` all match ``E11`` and ``E11.9``. Flag columns accept ``1/0``,
``true/false``, ``ja/nej``, ``j/n``, ``x``/empty (:data:`TRUE_WORDS`, :data:`FALSE_WORDS`), and
a date (``Avliden datum: 2026-11-02``) counts as yes.

Rows wholly blank (every cell empty: Excel keeps them between blocks of data) are no contact
and no person: :func:`blank_rows` finds them, and they are counted apart in the funnel. Row
numbers given to people (``first_row``, messages) are those of the file as Excel or an editor
shows it: ``first_row`` of :func:`people` is the number of the extract's first row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import polars as pl

from inkorg_kit import pnr
from inkorg_kit.config.target_spec import TargetSpec
from inkorg_kit.errors import TargetError
from inkorg_kit.vocab import SEX, age_band

__all__ = [
    "FALSE_WORDS",
    "TRUE_WORDS",
    "blank_rows",
    "epoch_days",
    "group_columns",
    "people",
    "rejected_values",
]

TRUE_WORDS = ("1", "true", "sant", "ja", "j", "yes", "y", "x")
FALSE_WORDS = ("0", "false", "falskt", "nej", "n", "no", "")
_A_DATE = r"^(?:\d{4}-\d{2}-\d{2}|\d{8})(?:[ T]\d{2}:\d{2}(?::\d{2})?)?$"


def blank_rows(frame: pl.DataFrame, pnr_column: str) -> pl.Series | None:
    """Rows whose every cell is empty (null, or text of spaces only); None when there are
    none. Looked for only when some personnummer is empty, so a clean extract costs nothing."""
    values = frame[pnr_column]
    empty = values.is_null()
    if values.dtype == pl.String:
        empty = empty | (values.str.strip_chars() == "")
    if not empty.any():
        return None

    def blank(name: str) -> pl.Expr:
        column = pl.col(name)
        if frame.schema[name] == pl.String:
            return column.is_null() | (column.str.strip_chars() == "")
        return column.is_null()

    mask = frame.select(pl.all_horizontal(blank(c) for c in frame.columns)).to_series()
    return mask if mask.any() else None


def epoch_days(date: dt.date) -> int:
    """Days since 1970-01-01: how contact dates are compared."""
    return (date - dt.date(1970, 1, 1)).days


def _icd_text(values: pl.Series) -> pl.Series:
    """Codes in the data normalised like :func:`~inkorg_kit.config.target_spec.icd_key`,
    keeping the gaps between codes: ``E 11.9`` / ``e11,9`` / ``E119`` → ``E119``;
    ``E11.9, I10`` → ``E119, I10``."""
    return (
        values.str.to_uppercase()
        .str.replace_all(r"([A-Z])\s+(\d)", "${1}${2}")
        .str.replace_all(r"(\d)\s*[.,]\s*(\d)", "${1}${2}")
        .str.replace_all(".", "", literal=True)
    )


def _matching(
    frame: pl.DataFrame, column: str, decide: Callable[[pl.Series], pl.Series]
) -> pl.Expr:
    """Decide on the distinct values (few: units, codes, flags), then test rows by membership."""
    distinct = frame[column].cast(pl.String).unique().drop_nulls()
    hits = distinct.filter(decide(distinct).fill_null(False))
    return pl.col(column).cast(pl.String).is_in(hits.implode()).fill_null(False)


def _contact_days(frame: pl.DataFrame, column: str, first_row: int) -> pl.Series:
    """Contact dates as days since 1970: Date/Datetime as they are, text as ISO dates."""
    series = frame[column]
    if series.dtype == pl.Date:
        return series.cast(pl.Int32)
    if isinstance(series.dtype, pl.Datetime):
        return series.dt.date().cast(pl.Int32)
    text = series.cast(pl.String)
    filled = text.str.len_bytes().fill_null(0) > 0
    parsed = text.str.to_date("%Y-%m-%d", strict=False)
    if (filled & parsed.is_null()).any():  # other shapes: padded, with a time, YYYYMMDD
        head = text.str.strip_chars().str.slice(0, 10)
        parsed = pl.select(
            pl.coalesce(
                head.str.to_date("%Y-%m-%d", strict=False),
                head.str.slice(0, 8).str.to_date("%Y%m%d", strict=False),
            )
        ).to_series()
        bad = filled & text.str.strip_chars().str.len_bytes().gt(0) & parsed.is_null()
        if bad.any():
            first = int(bad.arg_max() or 0)
            value = str(text[first])
            shown = pnr.mask(value) if sum(ch.isdigit() for ch in value) >= 10 else value
            raise TargetError(
                f"column '{column}' has {int(bad.sum())} values that are not dates, first at "
                f"row {first_row + first} ({shown!r}); write dates as YYYY-MM-DD (e.g. 2026-03-14)"
            )
    return parsed.cast(pl.Int32)


def _flag(frame: pl.DataFrame, column: str) -> pl.Expr:
    """A yes/no column as a boolean expression (empty = no)."""
    dtype = frame.schema[column]
    if dtype == pl.Boolean:
        return pl.col(column).fill_null(False)
    if dtype.is_numeric():
        return (pl.col(column) != 0).fill_null(False)

    def decide(values: pl.Series) -> pl.Series:
        words = values.str.strip_chars().str.to_lowercase()
        dated = words.str.contains(_A_DATE)  # "Avliden datum": a date is a yes
        unknown = values.filter(~words.is_in(TRUE_WORDS + FALSE_WORDS) & ~dated)
        if unknown.len():
            shown = [pnr.mask(v) if sum(c.isdigit() for c in v) >= 10 else v for v in unknown]
            raise TargetError(
                f"column '{column}' has values {shown[:5]} that are neither yes nor no; "
                f"accepted: {', '.join(TRUE_WORDS)} (yes) and "
                f"{', '.join(w or 'empty' for w in FALSE_WORDS)} (no)"
            )
        return words.is_in(TRUE_WORDS) | dated

    return _matching(frame, column, decide)


def people(
    frame: pl.DataFrame,
    spec: TargetSpec,
    reference: dt.date,
    *,
    first_row: int = 1,
    blank: pl.Series | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Group rows by raw personnummer text, clean the distinct values, merge per person.

    Row-level conditions are computed first as plain columns (masked by the unit filter), so
    that the grouping needs only ``max``/``min``/``len``: filtered aggregations inside a
    group-by are several times slower. The latest counted contact is packed as
    ``day * 2**32 + row``: its maximum gives both the date and the row to read the unit from.
    Rows in ``blank`` (wholly blank rows) are left out; ``first_row`` is the number the
    analyst sees on the extract's first row (for messages).
    """
    if frame.schema[spec.pnr_column] != pl.String:
        frame = frame.with_columns(pnr.as_text(frame[spec.pnr_column]).alias(spec.pnr_column))
    has_unit = spec.unit_column in frame.columns
    has_date = spec.contact_date_column in frame.columns
    at: pl.Expr = pl.lit(True)
    if spec.units:
        wanted = [u.upper() for u in spec.units]
        at = _matching(
            frame,
            spec.unit_column,
            lambda v: v.str.strip_chars().str.to_uppercase().is_in(wanted),
        )
    row = pl.int_range(pl.len(), dtype=pl.Int64)
    columns: dict[str, pl.Expr] = {
        "_raw": pl.col(spec.pnr_column),
        "_row": row.cast(pl.UInt32),
    }
    if spec.units:
        columns["_at_unit"] = at
    if spec.diagnosis_prefixes:
        pattern = rf"(?:^|[^0-9A-Z])(?:{'|'.join(spec.diagnosis_prefixes)})"
        columns["_diagnosis"] = at & _matching(
            frame,
            spec.diagnosis_column,
            lambda v: _icd_text(v).str.contains(pattern),
        )
    if has_date:
        frame = frame.with_columns(_days=_contact_days(frame, spec.contact_date_column, first_row))
        columns["_latest"] = pl.when(at).then(pl.col("_days").cast(pl.Int64) * 2**32 + row)
        if spec.last_contact_between is not None:
            start, end = (epoch_days(d) for d in spec.last_contact_between)
            columns["_between"] = at & pl.col("_days").is_between(start, end).fill_null(False)
    elif has_unit:
        columns["_latest"] = pl.when(at).then(row)
    for flag in ("deceased", "protected_identity", "opted_out"):
        name = getattr(spec, f"{flag}_column")
        if name in frame.columns:
            columns[f"_{flag}"] = _flag(frame, name)

    maxed = [c for c in columns if c not in ("_raw", "_row")]
    rows = frame.lazy()
    if blank is not None:
        rows = rows.with_columns(_blank=blank)
        columns["_blank"] = pl.col("_blank")
    selected = rows.select(**columns)
    if blank is not None:
        selected = selected.filter(~pl.col("_blank")).drop("_blank")
    per_raw = (
        selected.group_by("_raw")
        .agg(
            pl.len().alias("_rows"),
            pl.col("_row").min().alias("_first"),
            *(pl.col(c).max() for c in maxed),
        )
        .collect()
    )
    cleaned = pnr.clean(
        per_raw["_raw"],
        reference_date=reference,
        allow_samordningsnummer=spec.allow_samordningsnummer,
    )
    per_raw = per_raw.with_columns(
        personnummer=cleaned["pnr"], kind=cleaned["kind"], status=cleaned["status"],
        reason=cleaned["reason"],
    )  # fmt: skip
    persons = (
        per_raw.lazy()
        .filter(pl.col("personnummer").is_not_null())
        .group_by("personnummer")
        .agg(
            pl.col("kind").first(),
            pl.col("_rows").sum(),
            pl.col("_first").min(),
            *(pl.col(c).max() for c in maxed),
        )
        .collect()
    )
    if "_latest" in persons.columns:
        latest = persons["_latest"]
        latest_row = latest % 2**32 if has_date else latest
        extra = []
        if has_date:
            extra.append((latest // 2**32).cast(pl.Int32).alias("_last_days"))
        if has_unit:
            units = frame[spec.unit_column].cast(pl.String)
            extra.append(units.gather(latest_row.cast(pl.UInt32)).alias("unit_hsa_id"))
        persons = persons.with_columns(extra)
    return persons, per_raw


def group_columns(group: pl.DataFrame, age_date: dt.date, first_row: int = 1) -> pl.DataFrame:
    """The group's columns; ``first_row`` is the row number the analyst sees on the extract's
    first row, so that each person's ``first_row`` is where to find them in the file."""
    if "age" not in group.columns:
        group = group.with_columns(age=pnr.age_at(pl.col("personnummer"), age_date))
    if "sex" not in group.columns:
        group = group.with_columns(sex=pnr.legal_sex(pl.col("personnummer")))

    unit = (
        pl.col("unit_hsa_id") if "unit_hsa_id" in group.columns else pl.lit(None, pl.String)
    ).alias("unit_hsa_id")
    last = (
        pl.col("_last_days").cast(pl.Date)
        if "_last_days" in group.columns
        else pl.lit(None, pl.Date)
    ).alias("last_contact")
    return group.select(
        "personnummer",
        pl.col("kind").cast(pl.String),
        "age",
        age_band(pl.col("age")),
        pl.col("sex").cast(SEX),
        unit,
        last,
        pl.col("_rows").cast(pl.Int64).alias("contacts"),
        (pl.col("_first").cast(pl.Int64) + first_row).alias("first_row"),
    )


def rejected_values(per_raw: pl.DataFrame, first_row: int = 1) -> pl.DataFrame:
    """Distinct rejected values, masked, with reason, rows and first row (for finding them:
    the row as Excel or an editor numbers it, ``first_row`` being the extract's first)."""
    return (
        per_raw.filter(pl.col("status") == "rejected")
        .select(
            (pl.col("_first").cast(pl.Int64) + first_row).alias("first_row"),
            pl.col("_rows").cast(pl.Int64).alias("rows"),
            pl.col("reason").cast(pl.String),
            pnr.mask(pl.col("_raw")).alias("value_masked"),
        )
        .sort("first_row")
    )
