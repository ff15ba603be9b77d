"""Loading the extract a spec names (a file, an SQL block, or a frame) and checking that it
has the columns the spec needs.

Why apart: every way an extract arrives ends here as one polars frame and a description that
is safe to show (no password, no personnummer), and every column the filters need is checked
before any work starts, with an error that names the column, similar ones, and the fix. An
exclusion that is on but has neither its column nor a list never switches itself off.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

import polars as pl

from inkorg_kit import pnr
from inkorg_kit.config.target_spec import URL_AS_TEXT, SqlSource, TargetSpec, parse_sql_source
from inkorg_kit.errors import TargetError
from inkorg_kit.io import read_sql, read_table

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "ExtractSource",
    "load_extract",
    "need_column",
    "need_flag_sources",
    "read_sql_source",
    "resolve_path",
]

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


def read_sql_source(source: SqlSource, pnr_column: str) -> pl.DataFrame:
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
) -> tuple[pl.DataFrame, str]:
    """The extract (``source``, else ``spec.source``) and where it came from, safe to show."""
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
        return read_sql_source(source, spec.pnr_column), source.describe()
    if isinstance(source, str | os.PathLike):
        if "://" in os.fspath(source):
            raise TargetError(f"source: {URL_AS_TEXT}")
        path = resolve_path(source, base)
        return read_table(path, pnr_column=spec.pnr_column), str(source)
    return _frame_from(source), "(frame)"


def need_column(frame: pl.DataFrame, column: str, field_name: str, why: str) -> None:
    """A :class:`TargetError` naming the columns there are, unless ``column`` is one."""
    if column not in frame.columns:
        shown = ", ".join(repr(c) for c in frame.columns[:30])
        raise TargetError(
            pnr.mask_in_text(
                f"{why} needs the column '{column}' (target.{field_name}), but the source has "
                f"columns {shown}; name the right column in target.{field_name}"
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
