"""Reading Excel workbooks (XLSX, XLSM, XLS) with every cell as text, and personnummer typed
as numbers given back their digits.

Why apart: Excel stores a personnummer typed without a hyphen as a number (``1.99E+11``,
leading zeros lost); the personnummer columns are read a second time as numbers and turned
into digits as :func:`inkorg_kit.pnr.clean` does for integers, while text cells stay exactly as
typed. A one-column sheet whose first cell is a number has no header.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from inkorg_kit import pnr
from inkorg_kit.io.detect import looks_like_number
from inkorg_kit.io.messages import TODO_EMPTY, first_line, input_error, quoted_names
from inkorg_kit.io.plan import BARE_COLUMN, Plan, clean_names

__all__ = ["excel_plan"]


def excel_plan(file: Path, sheet: str | int | None) -> Plan:
    import fastexcel

    try:
        reader = fastexcel.read_excel(str(file))
    except Exception as exc:  # fastexcel raises its own, varied errors
        raise input_error(
            file,
            f"it is not a readable Excel workbook ({first_line(exc)})",
            "Open it in Excel and save it as .xlsx, or export it as CSV",
        ) from None
    names = reader.sheet_names
    index = _sheet_index(file, names, sheet)
    first = reader.load_sheet(index, header_row=None, n_rows=1, dtypes="string").to_polars()
    if first.height == 0 or first.width == 0:
        raise input_error(file, f"sheet '{names[index]}' is empty", TODO_EMPTY)
    bare = first.width == 1 and looks_like_number(first.item(0, 0) or "")
    header_options: dict[str, Any] = (
        {"header_row": None, "column_names": [BARE_COLUMN]} if bare else {}
    )
    raw = (
        [BARE_COLUMN]
        if bare
        else reader.load_sheet(index, n_rows=1, dtypes="string").to_polars().columns
    )

    def load(indices: list[int] | None, pnr_names: set[str]) -> pl.DataFrame:
        options = dict(header_options)
        if indices is not None:
            options["use_columns"] = indices
        frame = reader.load_sheet(index, dtypes="string", **options).to_polars()
        for position, name in enumerate(raw):
            if name not in frame.columns or clean_names([name])[0] not in pnr_names:
                continue
            # Numbers typed into Excel: integer digits, lost leading zeros restored as
            # pnr.clean does for integers. Text cells are kept exactly as typed.
            numbers = reader.load_sheet(
                index, use_columns=[position], dtypes={position: "float"}, **header_options
            ).to_polars()
            digits = pnr.as_text(numbers.to_series())
            frame = frame.with_columns(pl.coalesce(digits, frame[name]).alias(name))
        return frame

    return Plan(file, "excel", raw, load)


def _sheet_index(file: Path, names: list[str], sheet: str | int | None) -> int:
    if not names:
        raise input_error(file, "the workbook has no sheets", TODO_EMPTY)
    if sheet is None:
        return 0
    if isinstance(sheet, int) and 0 <= sheet < len(names):
        return sheet
    if isinstance(sheet, str):
        if sheet in names:
            return names.index(sheet)
        folded = [n.casefold().strip() for n in names]
        if sheet.casefold().strip() in folded:
            return folded.index(sheet.casefold().strip())
    raise input_error(
        file,
        f"there is no sheet {sheet!r}; the workbook has sheets {quoted_names(names)}",
        "Pass sheet= one of those names, or its position counting from 0",
    )
