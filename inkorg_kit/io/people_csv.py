"""The one dialect of every CSV the kit writes for people, and its reader.

Why: the run folder's CSV files (funnel, rejected values, guideline check, manifest, send
plan, reach summary, letter list) are opened by double-click in Swedish Excel. Excel there
expects ``;`` between fields, reads UTF-8 only after a BOM (else å, ä, ö come out garbled), and
reads ``0,25`` as a number and ``0.25`` as text. So every such file is written by
:func:`write_people_csv`, in one dialect:

* UTF-8 with a BOM, ``;`` between fields, CRLF after every line (also the last);
* floats with a decimal comma, never in scientific notation (``0,0001``, ``1234,5``);
* dates ``YYYY-MM-DD``, times ``YYYY-MM-DDTHH:MM:SS`` (ISO 8601; with the UTC offset,
  ``+01:00``, when the column has a time zone; fractions of a second only when there are any);
* booleans ``true``/``false``, a missing value as an empty field (an empty text as ``""``);
* data rows only: totals and other summaries go in the JSON beside the file.

Files are written atomically and owner-only (they sit in run folders with personnummer, and
some hold personnummer themselves). :func:`read_people_csv` reads such a file back with the
dtypes a schema names, so the kit's own later steps read what people see.

>>> import datetime as dt
>>> frame = pl.DataFrame({"enhet": ["Vårdcentral Solbacka"], "andel": [0.25],
...                       "dag": [dt.date(2027, 3, 16)]})
>>> people_csv_bytes(frame)
b'\\xef\\xbb\\xbfenhet;andel;dag\\r\\nV\\xc3\\xa5rdcentral Solbacka;0,25;2027-03-16\\r\\n'
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from pathlib import Path

import polars as pl

from inkorg_kit._files import write_private_bytes
from inkorg_kit.errors import InkorgError
from inkorg_kit.privacy import mask_in_text

__all__ = [
    "PEOPLE_CSV_BOM",
    "PEOPLE_CSV_LINE_TERMINATOR",
    "PEOPLE_CSV_SEPARATOR",
    "people_csv_bytes",
    "people_csv_text",
    "read_people_csv",
    "write_people_csv",
]

#: The dialect, in the words :class:`inkorg_kit.run.schemas.CsvDialect` uses.
PEOPLE_CSV_SEPARATOR = ";"
PEOPLE_CSV_BOM = True
PEOPLE_CSV_LINE_TERMINATOR = "\r\n"

_BOM = "\ufeff"
_DATE = "%Y-%m-%d"
_TIME = "%H:%M:%S%.f"
_NAIVE = "%Y-%m-%dT%H:%M:%S%.f"
_ZONED = "%Y-%m-%dT%H:%M:%S%.f%:z"
_BOOLEAN_WORDS = {"true": True, "false": False}


def _as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Dates and times as ISO 8601 text (with the offset when the column has a time zone)."""
    columns = []
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.Datetime):
            pattern = _NAIVE if dtype.time_zone is None else _ZONED
            columns.append(pl.col(name).dt.strftime(pattern))
        elif dtype == pl.Date:
            columns.append(pl.col(name).dt.strftime(_DATE))
        elif dtype == pl.Time:
            columns.append(pl.col(name).dt.strftime(_TIME))
    return frame.with_columns(columns) if columns else frame


def people_csv_text(frame: pl.DataFrame) -> str:
    """``frame`` as the text of a CSV for people: BOM, ``;``, CRLF, decimal comma, ISO times."""
    buffer = io.StringIO()
    _as_text(frame).write_csv(
        buffer,
        separator=PEOPLE_CSV_SEPARATOR,
        line_terminator=PEOPLE_CSV_LINE_TERMINATOR,
        decimal_comma=True,
        float_scientific=False,
    )
    return _BOM + buffer.getvalue()


def people_csv_bytes(frame: pl.DataFrame) -> bytes:
    """``frame`` as the bytes of a CSV for people (UTF-8 of :func:`people_csv_text`)."""
    return people_csv_text(frame).encode("utf-8")


def write_people_csv(frame: pl.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write ``frame`` as a CSV for people (the dialect above), atomically and owner-only.

    Summary rows do not belong in ``frame``: every row must hold the columns' own kind of
    value, so that Excel can sort and filter it and :func:`read_people_csv` can read it back.
    """
    return write_private_bytes(path, people_csv_bytes(frame))


def _cast(column: pl.Series, dtype: pl.DataType, where: str) -> pl.Series:
    """A column read as text, as ``dtype``; values that do not fit are named (masked)."""
    if dtype == pl.String:
        return column
    if dtype == pl.Boolean:
        cast = column.replace_strict(_BOOLEAN_WORDS, default=None, return_dtype=pl.Boolean)
    elif isinstance(dtype, pl.Datetime):
        zone = dtype.time_zone
        cast = column.str.to_datetime(
            _NAIVE if zone is None else _ZONED, time_unit=dtype.time_unit, strict=False
        )
        if zone is not None:
            cast = cast.dt.convert_time_zone(zone)
    elif dtype == pl.Date:
        cast = column.str.to_date(_DATE, strict=False)
    elif dtype == pl.Time:
        cast = column.str.to_time(_TIME, strict=False)
    elif dtype.is_float():
        cast = column.str.replace(",", ".", literal=True).cast(dtype, strict=False)
    else:
        cast = column.cast(dtype, strict=False)
    wrong = column.filter(column.is_not_null() & cast.is_null())
    if len(wrong):
        value = mask_in_text(wrong[0])
        example = f" (e.g. {value!r})" if len(value) <= 40 else ""
        raise InkorgError(
            f"{where}: column {column.name!r} has {len(wrong)} value(s) that are not {dtype}"
            f"{example}; write the file again with the kit, or fix those cells"
        )
    return cast.alias(column.name)


def _guess(column: pl.Series) -> pl.DataType:
    """The dtype of a column no schema names: whole numbers, decimal-comma numbers, or text."""
    values = column.drop_nulls()
    if len(values) and values.str.contains(r"^-?\d+$").all():
        return pl.Int64
    if len(values) and values.str.contains(r"^-?\d+(,\d+)?$").all():
        return pl.Float64
    return pl.String


def read_people_csv(
    path: str | os.PathLike[str],
    schema: Mapping[str, pl.DataType],
    *,
    others: bool = False,
    where: str | None = None,
) -> pl.DataFrame:
    """A CSV written by :func:`write_people_csv`, its columns (in the file's order) cast to the
    dtypes ``schema`` names.

    Every column of ``schema`` must be in the file. A column it does not name is an error,
    unless ``others``: then it is kept, as whole numbers, decimal numbers or text, whichever
    all its values are. Errors are :class:`~inkorg_kit.errors.InkorgError` naming ``where``
    (default: the file's name) and the column; a value shown is masked.
    """
    where = where or Path(path).name
    text = pl.read_csv(
        path,
        separator=PEOPLE_CSV_SEPARATOR,
        infer_schema=False,
        encoding="utf8",
        raise_if_empty=False,
    )
    expected = ", ".join(schema)
    missing = [c for c in schema if c not in text.columns]
    if missing:
        hint = ""
        if len(text.columns) == 1 and "," in text.columns[0]:
            hint = " (the file is ','-separated, as older versions wrote it: write it again)"
        raise InkorgError(
            f"{where}: column {missing[0]!r} is missing{hint}; expected columns: {expected}"
        )
    extra = [c for c in text.columns if c not in schema]
    if extra and not others:
        raise InkorgError(f"{where}: unexpected column {extra[0]!r}; expected columns: {expected}")
    return pl.DataFrame(
        [
            _cast(text[name], schema[name] if name in schema else _guess(text[name]), where)
            for name in text.columns
        ]
    )
