"""Loading the extract a spec names (a file, an SQL block, or a frame), finding its columns
by their Swedish names, and checking that it has the columns the spec needs.

Why apart: every way an extract arrives ends here as one polars frame, a description that is
safe to show (no password, no personnummer) and the row number its first row has for the
analyst (the line in an editor, the row in Excel). A column key that is not set takes the
column named one of :data:`~inkorg_kit.config.target_spec.COLUMN_NAMES` (Personnummer,
Besöksdatum, Vårdenhetens HSA-id, Diagnoskod, Avliden, …; :func:`resolve_columns`). Every
column the filters need is checked before any work starts, with an error that names the key
to set, similar columns, and the columns found (masked). An exclusion that is on but has
neither its column nor a list never switches itself off.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

import polars as pl

from inkorg_kit import pnr
from inkorg_kit.config.target_spec import (
    COLUMN_NAMES,
    URL_AS_TEXT,
    SqlSource,
    TargetSpec,
    parse_sql_source,
)
from inkorg_kit.errors import TargetError
from inkorg_kit.io import SettingKeys, loose_name, read_extract, read_sql

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "TARGET_KEYS",
    "ExtractSource",
    "find_column",
    "load_extract",
    "need_column",
    "need_flag_sources",
    "read_sql_source",
    "resolve_columns",
    "resolve_path",
]

#: How the extract's settings are named in messages: the campaign's keys.
TARGET_KEYS = SettingKeys(column="set target.pnr_column to", header_row="set target.header_row to")

#: What :func:`inkorg_kit.target.select` takes as ``source``: a file path, an SQL block (a
#: model or its mapping), or a polars or pandas frame.
ExtractSource: TypeAlias = (
    "str | os.PathLike[str] | SqlSource | Mapping[str, object] | pl.DataFrame | pl.LazyFrame"
    " | pd.DataFrame"
)

#: Words that name a flag column in Swedish or English extracts (to suggest the right one).
_FLAG_WORDS = {
    "deceased": ("avlid", "död", "dod", "dead", "death", "decease", "avliden"),
    "protected_identity": ("skydd", "sekretess", "protect", "spärr", "sparr", "hidden"),
    "opted_out": ("avböj", "avboj", "opt", "avreg", "nej_tack", "spärr", "sparr"),
}


def resolve_path(path: str | os.PathLike[str], base: Path) -> Path:
    """``path`` with ``~`` expanded; a relative path counts from ``base``."""
    p = Path(path).expanduser()
    return p if p.is_absolute() else base / p


def read_sql_source(source: SqlSource, pnr_column: str | None) -> pl.DataFrame:
    """Run the query; any error is a :class:`TargetError` with every password hidden."""
    try:  # io.read_sql hides every password in its messages
        return read_sql(
            url=source.url, query=source.query, url_env=source.url_env, pnr_column=pnr_column
        )
    except Exception as exc:
        raise TargetError(f"{source.describe()}: {exc}") from None


def _frame_from(source: object) -> pl.DataFrame:
    if isinstance(source, pl.DataFrame):
        return source
    if isinstance(source, pl.LazyFrame):
        return source.collect()
    try:
        import pandas as pd  # an optional edge: only to accept a pandas frame

        if isinstance(source, pd.DataFrame):
            return pl.from_pandas(source)
    except ImportError:  # pragma: no cover - pandas is a dependency
        pass
    raise TypeError(
        f"source must be a file path, an SqlSource, or a polars/pandas frame; got "
        f"{type(source).__name__}"
    )


def load_extract(
    spec: TargetSpec, source: ExtractSource | None, base: Path
) -> tuple[pl.DataFrame, str, int, TargetSpec]:
    """The extract (``source``, else ``spec.source``), where it came from (safe to show), the
    row number its first row has for the analyst (the line (text) or row (Excel) below the
    header and any title rows; 1 for SQL results and frames: row 1 = the first row), and
    ``spec`` with its column keys that are not set naming the extract's columns
    (:func:`resolve_columns`)."""
    if source is None:
        source = spec.source
    if source is None:
        raise TargetError(
            "no source: set target.source in the campaign (a file or an SQL block), or pass "
            "source= a file path or a frame"
        )
    if isinstance(source, Mapping):
        try:
            source = parse_sql_source(source)
        except ValueError as exc:
            raise TargetError(f"source: {exc}") from None
    if isinstance(source, SqlSource):
        explicit = "pnr_column" in spec.model_fields_set
        frame = read_sql_source(source, spec.pnr_column if explicit else None)
        return frame, source.describe(), 1, resolve_columns(spec, frame.columns)
    if isinstance(source, str | os.PathLike):
        if "://" in os.fspath(source):
            raise TargetError(f"source: {URL_AS_TEXT}")
        path = resolve_path(source, base)
        explicit = "pnr_column" in spec.model_fields_set
        table = read_extract(
            path,
            spec.pnr_column if explicit else None,
            header_row=spec.header_row,
            keys=TARGET_KEYS,
        )
        if not explicit and table.pnr_column is not None:  # as the file names it
            spec = spec.model_copy(update={"pnr_column": table.pnr_column})
        return table.frame, str(source), table.first_row, resolve_columns(spec, table.frame.columns)
    frame = _frame_from(source)
    return frame, "(frame)", 1, resolve_columns(spec, frame.columns)


def find_column(columns: Sequence[str], names: Sequence[str]) -> str | None:
    """The first of ``names`` (compared loosely: case, spaces, hyphens, dots do not count)
    that is a column; the column as the file writes it."""
    by_key: dict[str, str] = {}
    for column in columns:
        by_key.setdefault(loose_name(column), column)
    for name in names:
        found = by_key.get(loose_name(name))
        if found is not None:
            return found
    return None


def resolve_columns(spec: TargetSpec, columns: Sequence[str]) -> TargetSpec:
    """``spec`` with each column key that is not set naming the extract's column by its
    English or Swedish name (:data:`COLUMN_NAMES`); keys that are set stay as written."""
    update = {}
    for key, names in COLUMN_NAMES.items():
        current = getattr(spec, key)
        if key in spec.model_fields_set or current in columns:
            continue
        found = find_column(columns, names)
        if found is not None:
            update[key] = found
    return spec.model_copy(update=update) if update else spec


def need_column(frame: pl.DataFrame, column: str, field_name: str, why: str) -> None:
    """A :class:`TargetError` naming the key to set and the columns there are (masked),
    unless ``column`` is one."""
    if column not in frame.columns:
        shown = ", ".join(repr(c) for c in frame.columns[:30])
        names = COLUMN_NAMES.get(field_name, ())
        taken = f" (a column named {', '.join(names[:4])}, … is found by itself)" if names else ""
        raise TargetError(
            pnr.mask_in_text(
                f"{why} needs the column '{column}' (target.{field_name}), but the source has "
                f"columns {shown}; name the right column in target.{field_name}{taken}"
            )
        )


def need_flag_sources(columns: Sequence[str], spec: TargetSpec) -> None:
    """Each exclusion that is on needs its column or a list: never switch off silently."""
    for flag in ("deceased", "protected_identity", "opted_out"):
        column = getattr(spec, f"{flag}_column")
        if not getattr(spec, f"exclude_{flag}") or column in columns:
            continue
        if getattr(spec, f"{flag}_lists"):
            continue
        words = _FLAG_WORDS[flag]
        similar = difflib.get_close_matches(column, columns, n=3, cutoff=0.6)
        similar += [c for c in columns if any(w in c.casefold() for w in words)]
        similar = list(dict.fromkeys(similar))[:5]
        found = (
            f"similar columns: {', '.join(repr(c) for c in similar)}"
            if similar
            else f"the source has columns {', '.join(repr(c) for c in columns[:20])}"
        )
        message = (
            f"exclude_{flag} is on, but the source has no column '{column}'"
            f" (target.{flag}_column) and no list is given (target.{flag}_lists); {found}."
            f" Name the column in target.{flag}_column (add it to the SQL query if need be),"
            f" give a list file in target.{flag}_lists, or switch the exclusion off explicitly"
            f" with exclude_{flag}: false"
        )
        raise TargetError(pnr.mask_in_text(message))
