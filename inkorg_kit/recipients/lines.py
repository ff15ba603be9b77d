"""The import file's line format and where the recipient files live in a run folder.

Why one place: :mod:`~inkorg_kit.recipients.writing` writes the lines, and
:mod:`~inkorg_kit.recipients.archive` and :mod:`~inkorg_kit.recipients.verification` re-read
them: one ``YYYYMMDD-NNNN`` per line, CRLF after every line, UTF-8 without BOM (seed 004), so
every line is exactly 15 bytes and a whole file can be checked as a byte matrix, without a
loop over rows. The names of the folder, the manifest and the staging folder come from the
run-folder contract (:mod:`inkorg_kit.run`).

>>> lines_ok(line_matrix(b"YYYYMMDD-NNNN\\r\\n")), first_bad_line(b"YYYYMMDD-NNNN")
(False, 'does not end with CRLF')
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path, PurePosixPath

import numpy as np

from inkorg_kit.pnr import mask
from inkorg_kit.run import ARTEFACTS, RunFolder

__all__ = [
    "BOM",
    "LINE_BYTES",
    "MANIFEST_CSV",
    "MANIFEST_JSON",
    "OVERRIDE_FILE",
    "PNR_PATTERN",
    "RECIPIENT_DIR",
    "STAGING_PREFIX",
    "TARGET_FILE",
    "TARGET_FUNNEL_FILE",
    "archive_path",
    "first_bad_line",
    "line_matrix",
    "lines_ok",
    "sha256",
]

#: The recipient folder in a run folder, and the manifest's two files inside it.
RECIPIENT_DIR = ARTEFACTS["recipients_dir"].path.rstrip("/")
MANIFEST_JSON = PurePosixPath(ARTEFACTS["manifest_json"].path).name
MANIFEST_CSV = PurePosixPath(ARTEFACTS["manifest_csv"].path).name
#: An override of the guideline check given to notebook 02, kept so a re-run reuses it (and its
#: time) and the manifest stays byte-identical. Beside recipients/, never inside (verify).
OVERRIDE_FILE = ARTEFACTS["recipients_override"].path
#: Notebook 01's target group in the run folder, and how it was selected.
TARGET_FILE = ARTEFACTS["target_group"].path
TARGET_FUNNEL_FILE = ARTEFACTS["target_funnel_json"].path
#: write() stages a run's files in ``<run_dir>/.recipients.staging-*`` and renames them into place.
STAGING_PREFIX = f".{RECIPIENT_DIR}.staging-"

#: Bytes per line: ``b"YYYYMMDD-NNNN\r\n"``.
LINE_BYTES = 15
PNR_PATTERN = r"^\d{8}-\d{4}$"
BOM = b"\xef\xbb\xbf"


def archive_path(run_dir: str | os.PathLike[str], campaign: str) -> Path:
    """Where :func:`~inkorg_kit.recipients.package` puts the archive:
    ``<run_dir>/<campaign>_recipients.7z``."""
    return RunFolder(run_dir, campaign).path("archive")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def line_matrix(data: bytes) -> np.ndarray:
    """The file's bytes as one row of 15 per line (the length must be a multiple of 15)."""
    return np.frombuffer(data, dtype=np.uint8).reshape(-1, LINE_BYTES)


def lines_ok(matrix: np.ndarray) -> bool:
    """True when every row is ``YYYYMMDD-NNNN`` + CRLF (digits, hyphen, CR, LF in place)."""
    digits = np.r_[0:8, 9:13]
    body = matrix[:, digits]
    return bool(
        ((body >= 0x30) & (body <= 0x39)).all()
        and (matrix[:, 8] == 0x2D).all()
        and (matrix[:, 13] == 0x0D).all()
        and (matrix[:, 14] == 0x0A).all()
    )


def first_bad_line(data: bytes) -> str:
    """Where a file breaks the line format, in words (the line is masked)."""
    if data.startswith(BOM):
        return "starts with a BOM (UTF-8 without BOM is required)"
    if not data:
        return "is empty"
    if not data.endswith(b"\r\n"):
        return "does not end with CRLF"
    lines = data[:-2].split(b"\r\n")
    pattern = re.compile(rb"\d{8}-\d{4}")
    for number, line in enumerate(lines, start=1):
        if not pattern.fullmatch(line):
            shown = mask(line.decode("utf-8", errors="replace"))
            return f"line {number} is {shown!r}, not YYYYMMDD-NNNN followed by CRLF"
    return "has lines of the wrong length"  # pragma: no cover - the fast check found a problem
