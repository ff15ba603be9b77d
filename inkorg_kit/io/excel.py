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
from inkorg_kit.io.plan import BARE_COLUMN, HEADER_SCAN_ROWS, Plan, clean_names, find_header

__all__ = ["excel_plan"]


def excel_plan(
    file: Path,
    sheet: str | int | None,
    header_row: int | None = None,
    wanted: str | None = None,
) -> Plan:
    """Open a sheet far enough to know its header row and columns.

    The header is row ``header_row`` (1-based, as Excel shows it) when given; else the first
    row that names a personnummer column (or ``wanted``), below any title rows; else the first
    row that is not blank. Row numbers count from the sheet's row 1, blank rows included.
    """
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
    top = reader.load_sheet(
        index, header_row=None, skip_rows=0, n_rows=HEADER_SCAN_ROWS, dtypes="string"
    ).to_polars()
    rows = [list(row) for row in top.iter_rows()]
    filled = [i for i, row in enumerate(rows) if any(_text(c) for c in row)]
    if top.width == 0 or not filled:
        raise input_error(file, f"sheet '{names[index]}' is empty", TODO_EMPTY)
    shown = [" | ".join(_text(c) for c in row).strip(" |") for row in rows]
    found = True
    if header_row is not None:
        if header_row - 1 not in filled:
            raise input_error(
                file,
                f"the header row is set to {header_row}, but row {header_row} of sheet"
                f" '{names[index]}' is blank or below the first {HEADER_SCAN_ROWS} rows",
                "Set the header row to the row that names the columns (1 = the first row)",
                row=header_row,
            )
        head = header_row - 1
    else:
        head = find_header(rows, wanted)
        if head is None:
            found = False
            head = filled[0]
    first = [_text(c) for c in rows[filled[0]]]
    bare = not found and top.width == 1 and looks_like_number(first[0])
    header_options: dict[str, Any] = (
        {"header_row": None, "skip_rows": 0, "column_names": [BARE_COLUMN]}
        if bare
        else {"header_row": head}
    )
    raw = (
        [BARE_COLUMN]
        if bare
        else reader.load_sheet(index, n_rows=1, dtypes="string", **header_options)
        .to_polars()
        .columns
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

    return Plan(
        file,
        "excel",
        raw,
        load,
        1 if bare else head + 2,
        header_row=None if bare else head + 1,
        header_found=found,
        top_rows=shown,
    )


def _text(cell: object) -> str:
    return "" if cell is None else str(cell).strip()


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
