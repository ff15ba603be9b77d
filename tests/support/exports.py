"""Status exports written by hand, as 1177's staff save them from Excel.

Why: the tests of step 04 feed it exports whose every row they chose, in the encoding, the
separator and the line ends the real exports have.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["BOM", "write_excel_export"]

#: the byte-order mark Excel puts first in a UTF-8 CSV file
BOM = "\ufeff"


def write_excel_export(path: Path, header: str, rows: list[str]) -> Path:
    """Write ``header`` and ``rows`` (semicolon-separated lines) to ``path`` as Excel does:
    UTF-8 with a BOM, CRLF line ends; make its folder if needed. Returns ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((BOM + "\r\n".join([header, *rows]) + "\r\n").encode("utf-8"))
    return path
