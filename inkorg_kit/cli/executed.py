"""Executed notebooks as the command keeps them: personnummer masked, owner-only, and where a
failure happened (the cell, and the line in it that raised).

Why: the executed copy is kept so a failure can be read where it happened; a failing cell's
error and traceback quote the data it choked on, and papermill writes every parameter into the
notebook (the injected-parameters cell, ``metadata.papermill.parameters``), so every text in
it is masked: sources, outputs and metadata.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import nbformat

from inkorg_kit._files import PRIVATE_FILE_MODE, write_private_text
from inkorg_kit.privacy import mask_in_text, mask_in_texts

__all__ = [
    "last_started_cell",
    "masked",
    "masked_notebook",
    "privatise_executed",
    "raising_line",
]

# Output types whose text is base64 (masking could only corrupt them).
_BINARY_MIME = ("image/png", "image/jpeg", "image/gif", "application/pdf")
# Terminal colours in a kernel's traceback, and its frames inside a notebook cell: IPython 8.6+
# writes ``Cell In[4], line 3``, IPython 8.0-8.5 ``Input In [4], in <cell line: 3>()``.
_COLOURS = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_CELL_FRAMES = (
    re.compile(r"Cell In\s?\[(\d+)\], line (\d+)"),
    re.compile(r"Input In \[(\d+)\], in <cell line: (\d+)>"),
)


def masked(text: str) -> str:
    """``text`` with every personnummer masked."""
    return mask_in_text(text)


def _strings(value: object, found: list[str]) -> None:
    """Collect every text in ``value`` (a notebook's JSON), leaving base64 outputs out."""
    if isinstance(value, str):
        found.append(value)
    elif isinstance(value, list):
        for item in value:
            _strings(item, found)
    elif isinstance(value, dict):
        for key, item in value.items():
            found.append(key)
            if key not in _BINARY_MIME:
                _strings(item, found)


def _replaced(value: object, masked_of: dict[str, str]) -> object:
    """``value`` with every text (keys too) replaced by its masked form."""
    if isinstance(value, str):
        return masked_of.get(value, value)
    if isinstance(value, list):
        return [_replaced(item, masked_of) for item in value]
    if isinstance(value, dict):
        return {
            masked_of.get(k, k): v if k in _BINARY_MIME else _replaced(v, masked_of)
            for k, v in value.items()
        }
    return value


def masked_notebook(notebook: dict) -> dict:
    """``notebook`` (as JSON) with every personnummer masked: cell sources (the injected
    parameters too), outputs, and notebook and cell metadata (``metadata.papermill.parameters``),
    keys and values; base64 images are left as they are (masking could only corrupt them).
    One scan over all its texts."""
    texts: list[str] = []
    _strings(notebook, texts)
    distinct = list(dict.fromkeys(texts))
    masked_of = {
        text: new
        for text, new in zip(distinct, mask_in_texts(distinct), strict=True)
        if new is not None and new != text
    }
    if not masked_of:
        return notebook
    return _replaced(notebook, masked_of)  # type: ignore[return-value]


def privatise_executed(executed: Path) -> None:
    """Mask personnummer everywhere in an executed notebook and make it owner-only.

    Why everywhere: a failing cell's error value and traceback quote the data it choked on,
    and papermill writes every parameter into the injected-parameters cell and into
    ``metadata.papermill.parameters``; the executed copy is kept for reading a failure and must
    not be a second list of numbers. (The command refuses a parameter holding a personnummer
    before it runs; this is the second line of defence.)
    """
    if not executed.is_file():
        return
    try:
        notebook = json.loads(executed.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # half-written by a kernel that died: keep it, owner-only
        executed.chmod(PRIVATE_FILE_MODE)
        return
    masked_json = masked_notebook(notebook)
    if masked_json is notebook:
        executed.chmod(PRIVATE_FILE_MODE)  # nothing to mask: the file as papermill wrote it
        return
    write_private_text(executed, nbformat.writes(nbformat.from_dict(masked_json)))


def last_started_cell(executed: Path) -> tuple[int | None, str]:
    """The ``In [n]`` and source of the last cell papermill started (for a kernel that died or
    a cell that timed out, where papermill does not say which). A cell whose kernel died at
    once has no count of its own: cells run in order, so it is the one after the last count."""
    try:
        notebook = nbformat.read(executed, as_version=4)
    except (OSError, ValueError):
        return None, ""
    count, found = 0, (None, "")
    for cell in (c for c in notebook.cells if c.cell_type == "code"):
        if not cell.metadata.get("papermill", {}).get("start_time"):
            break
        count = cell.get("execution_count") or count + 1
        found = (count, cell.source)
    return found


def raising_line(traceback: Sequence[str], cell: int | None, source: str) -> tuple[int, str] | None:
    """The line of cell ``In [cell]`` that raised, as ``(line number, its text)``: the last frame
    of the kernel's ``traceback`` inside that cell (not a frame of a function an earlier cell
    defined), its text from the cell's ``source``, stripped, shortened and masked. None when no
    frame names the cell (a kernel that died, a cell that timed out).

    >>> tb = ["\\x1b[36mCell\\x1b[39m In[4], line 2\\n----> 2 f()", "Cell In[3], line 1"]
    >>> raising_line(tb, 4, "x = 1\\nf()  # here")
    (2, 'f()  # here')
    """
    found = None
    for entry in traceback:
        text = _COLOURS.sub("", str(entry))
        for pattern in _CELL_FRAMES:
            for match in pattern.finditer(text):
                if cell is None or int(match.group(1)) == cell:
                    found = int(match.group(2))
    if found is None:
        return None
    lines = (source or "").splitlines()
    shown = lines[found - 1].strip() if 0 < found <= len(lines) else ""
    return found, masked(shown[:100])
