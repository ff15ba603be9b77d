"""Polars frames as plain HTML tables: column names and values, nothing else.

Why: polars' own notebook view adds a row of data types (``str``, ``i64``), the shape and
quotes around every text cell, which analysts and the orderers they show a screen to read as
noise. :func:`to_html` is the view a notebook shows once
:func:`inkorg_kit.ui.display.use_notebook_display` has been called (nothing changes on import).
Numbers use the Swedish form the reports use: a space between thousands and a decimal comma.

>>> import polars as pl

from inkorg_kit.vocab import whole_number
>>> table = to_html(pl.DataFrame({"steg": ["rader in"], "antal": [119716], "andel": [0.5]}))
>>> [cell.split(">")[-1] for cell in table.split("</td>")[:-1]]
['rader in', '119\xa0716', '0,5']
"""

from __future__ import annotations

import html
import math
from typing import Any

import polars as pl

from inkorg_kit.vocab import whole_number

__all__ = ["MAX_ROWS", "to_html", "whole_number"]

MAX_ROWS = 60  # a longer frame shows its first rows and says how many more there are
_SPACE = "\u00a0"  # a no-break space between thousands, as in the orderer's report
_ALIGN = {True: ' style="text-align: right"', False: ' style="text-align: left"'}


def _cell(value: Any) -> tuple[str, bool]:
    """The text of one cell and whether it is a number (right-aligned)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "", False
    if isinstance(value, bool):
        return ("ja" if value else "nej"), False
    if isinstance(value, int):
        return whole_number(value), True
    if isinstance(value, float):
        text = f"{value:,.3f}".rstrip("0").rstrip(".")
        return text.replace(",", _SPACE).replace(".", ","), True
    return html.escape(str(value)), False


def to_html(frame: pl.DataFrame, max_rows: int = MAX_ROWS) -> str:
    """``frame`` as a plain HTML table: names, then at most ``max_rows`` rows of values."""
    head = "".join(f"<th>{html.escape(str(name))}</th>" for name in frame.columns)
    rows = []
    for values in frame.head(max_rows).iter_rows():  # a display: at most max_rows rows
        cells = []
        for value in values:
            text, number = _cell(value)
            cells.append(f"<td{_ALIGN[number]}>{text}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    table = (
        f'<table class="inkorg-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    if frame.height > max_rows:
        more, total = whole_number(frame.height - max_rows), whole_number(frame.height)
        table += f"<p>… och {more} rader till ({total} i allt).</p>"
    return table
