"""Atomic, owner-only file writing for every file that can hold personnummer.

Why: a half-written recipient file is worse than none (a resident messaged twice or not at
all), and files with personnummer must never be readable by other users on a shared server.
Every write goes to a temporary file in the target folder, created with mode 0600, is flushed
and fsynced, and then renamed over the target in one step (and the folder fsynced, so the
rename itself survives a power cut).

Folders for personnummer must be the user's own, private folders: a run folder that is a
symbolic link (the files would land wherever it points, in a folder others may read) or that
belongs to another user (who could read, swap or delete the files) is refused, and an existing
one is made owner-only (0700); a chmod that fails is an error, never passed over.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from inkorg_kit.errors import InkorgError

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700


class UnsafeFolderError(InkorgError, PermissionError):
    """A folder for personnummer that is a symbolic link, not a folder, another user's, or
    cannot be made owner-only: which folder, why, and what to do."""


def secure_dir(path: str | os.PathLike[str]) -> Path:
    """Check that the existing folder ``path`` is a real folder of the user's own and make it
    owner-only (0700); otherwise raise :class:`UnsafeFolderError`.

    ``path`` itself is looked at (``lstat``), not what it may point to; the folders above it
    may be links (``out`` on another disk, ``/tmp`` on macOS).
    """
    folder = Path(path)
    info = os.lstat(folder)
    if stat.S_ISLNK(info.st_mode):
        raise UnsafeFolderError(
            f"{folder} is a symbolic link (to {os.readlink(folder)}); files with personnummer"
            " are never written through a link, into a folder that may be shared. Give a real"
            " folder of your own as the run folder (or remove the link)"
        )
    if not stat.S_ISDIR(info.st_mode):
        raise UnsafeFolderError(
            f"{folder} is not a folder; give a folder (or a path that does not exist yet) as"
            " the run folder"
        )
    me = os.geteuid() if hasattr(os, "geteuid") else info.st_uid
    if info.st_uid != me:
        raise UnsafeFolderError(
            f"{folder} belongs to user id {info.st_uid}, and you are {me}: its owner could"
            " read, swap or delete files with personnummer in it. Use a folder of your own"
            " (e.g. leave the run folder empty for out/<campaign name>)"
        )
    if stat.S_IMODE(info.st_mode) != PRIVATE_DIR_MODE:
        _chmod_private(folder)
    return folder


def _chmod_private(folder: Path) -> None:
    try:
        os.chmod(folder, PRIVATE_DIR_MODE)
    except OSError as exc:
        raise UnsafeFolderError(
            f"{folder}: could not make the folder owner-only (0700): {exc.strerror or exc};"
            f" files with personnummer must not be readable by others. Run `chmod 700"
            f" {folder}` or use a folder of your own"
        ) from None


def ensure_private_dir(path: str | os.PathLike[str], *, tighten: bool = False) -> Path:
    """Create ``path`` (and parents) if needed; folders we create are owner-only (a chmod that
    fails is an :class:`UnsafeFolderError`).

    ``tighten``: for folders that hold personnummer. If ``path`` exists (made by hand, or by an
    older version) it must not be a symbolic link nor another user's, and is made owner-only
    (:func:`secure_dir`).
    """
    folder = Path(path)
    if tighten and os.path.lexists(folder):
        return secure_dir(folder)
    missing = [p for p in (folder, *folder.parents) if not os.path.lexists(p)]
    folder.mkdir(parents=True, exist_ok=True)
    for created in missing:
        _chmod_private(created)
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
