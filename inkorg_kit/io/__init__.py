"""Reading the lists analysts really get, and writing files that hold personnummer.

Extracts arrive as CSV from Swedish Excel (Windows-1252, ``;``, sometimes a ``sep=;`` first
line), UTF-8 with or without a BOM, Excel's "Unicode text" (UTF-16, tab-separated), XLSX with
personnummer typed as numbers, Parquet, a bare list of numbers without a header, or an SQL
query. Each comes back as a polars frame whose personnummer column is text (no lost leading
zero, no ``1.99E+11``), or fails with an :class:`InputError` that names the file, the line and
the column and says what to do, and never shows a personnummer in full.

One concern per module: :mod:`~inkorg_kit.io.detect` (encodings and delimiters),
:mod:`~inkorg_kit.io.text_layout` and :mod:`~inkorg_kit.io.text` (CSV/TXT),
:mod:`~inkorg_kit.io.excel`, :mod:`~inkorg_kit.io.parquet`, :mod:`~inkorg_kit.io.table` (the
entry: :func:`read_table`, :func:`read_pnr_column`, :func:`read_extract`), :mod:`~inkorg_kit.io.sql`
(:func:`read_sql`), :mod:`~inkorg_kit.io.write` (:func:`write_frame`), and
:mod:`~inkorg_kit.io.messages` (:class:`InputError`, :class:`TruncatedInputWarning`).

Real extracts: the header row may sit below title rows (Cosmic and TakeCare write a report
title, a print date and a blank line first); it is the first row that names a personnummer
column (Personnummer, Pnr, Personnr, … :data:`PNR_COLUMN_NAMES`), or the row the caller says.
Excel's text form ``="…"`` and whole numbers written as ``….0`` read as the digits they hold.
Row numbers are those of Excel or a text editor (:class:`Table`).

Speed: a UTF-8 CSV goes straight from its path to polars with ``infer_schema=False``; only the
first 256 KiB are read in Python (to sniff the delimiter and header). Input that is not UTF-8
is decoded in Python and handed to polars as UTF-8 bytes.

A text file cut short (no final newline, and a last personnummer with fewer digits than those
before it) has that value marked so that ``pnr.clean`` rejects the row as ``truncated``, with a
:class:`TruncatedInputWarning` naming the file and line (:mod:`~inkorg_kit.io.text`).

Writing: every file that can hold personnummer is written atomically with owner-only
permissions; the writers of :mod:`inkorg_kit._files` are re-exported here, and
:func:`write_frame` adds polars frames as CSV or Parquet.
"""

from inkorg_kit._files import (
    atomic_private_file,
    atomic_private_path,
    ensure_private_dir,
    write_private_bytes,
    write_private_text,
)
from inkorg_kit.io.detect import detect_encoding, sniff_delimiter
from inkorg_kit.io.messages import InputError, SettingKeys, TruncatedInputWarning
from inkorg_kit.io.plan import PNR_COLUMN_NAMES, is_pnr_name, loose_name
from inkorg_kit.io.sql import read_sql
from inkorg_kit.io.table import Table, first_data_line, read_extract, read_pnr_column, read_table
from inkorg_kit.io.write import write_frame
from inkorg_kit.privacy import redact_secrets

__all__ = [
    "PNR_COLUMN_NAMES",
    "InputError",
    "SettingKeys",
    "Table",
    "TruncatedInputWarning",
    "atomic_private_file",
    "atomic_private_path",
    "detect_encoding",
    "ensure_private_dir",
    "first_data_line",
    "is_pnr_name",
    "loose_name",
    "read_extract",
    "read_pnr_column",
    "read_sql",
    "read_table",
    "redact_secrets",
    "sniff_delimiter",
    "write_frame",
    "write_private_bytes",
    "write_private_text",
]
