"""Atomic, owner-only file writing for every file that can hold personnummer.

Why: a half-written recipient file is worse than none (a resident messaged twice or not at
all), and files with personnummer must never be readable by other users on a shared server.
Every write goes to a temporary file in the target folder, created with mode 0600, is flushed
and fsynced, and then renamed over the target in one step (and the folder fsynced, so the
rename itself survives a power cut).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


def ensure_private_dir(path: str | os.PathLike[str], *, tighten: bool = False) -> Path:
    """Create ``path`` (and parents) if needed; folders we create are owner-only.

    ``tighten``: make ``path`` itself owner-only even if it existed (made by hand, or by an
    older version), for folders that hold personnummer.
    """
    folder = Path(path)
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    folder.mkdir(parents=True, exist_ok=True)
    for created in [*missing, *([folder] if tighten else [])]:
        with contextlib.suppress(OSError):
            os.chmod(created, PRIVATE_DIR_MODE)
    return folder


def fsync_dir(folder: str | os.PathLike[str]) -> None:
    """Make renames into ``folder`` durable (best effort: not possible on every platform)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_private_file(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Open a binary handle whose content replaces ``path`` only if the block succeeds."""
    target = Path(path)
    ensure_private_dir(target.parent)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        os.fchmod(fd, PRIVATE_FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
        fsync_dir(target.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


@contextlib.contextmanager
def atomic_private_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path to write to (for writers that want a path, like polars)."""
    target = Path(path)
    ensure_private_dir(target.parent)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        os.chmod(tmp, PRIVATE_FILE_MODE)
        yield tmp
        os.chmod(tmp, PRIVATE_FILE_MODE)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        fsync_dir(target.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def write_private_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically with owner-only permissions."""
    with atomic_private_file(path) as handle:
        handle.write(data)
    return Path(path)


def write_private_new(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to a new file (never over one), owner-only from its creation, fsynced.

    For files written into a fresh private staging folder and renamed into place only once all
    of them are whole: there a temporary file per file would only cost time.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return Path(path)


def write_private_text(path: str | os.PathLike[str], text: str, *, newline: str = "\n") -> Path:
    """Write UTF-8 text (no BOM) atomically; ``newline`` replaces every ``\\n``."""
    if newline != "\n":
        text = text.replace("\n", newline)
    return write_private_bytes(path, text.encode("utf-8"))
