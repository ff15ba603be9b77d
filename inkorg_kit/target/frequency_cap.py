"""The frequency cap: who earlier campaigns messaged, read from their run folders.

Why apart: the cap reads *other* run folders, as step 02 left them: each one's manifest (where
the run-folder contract, :data:`inkorg_kit.run.ARTEFACTS` ``manifest_json``, puts it) and the
import files it lists. A send is dated by the manifest's ``planned_send_start`` (older
manifests: the fields of :data:`MANIFEST_DATE_KEYS`); encrypted archives cannot be read and
are named in the notes. A folder of earlier runs that does not exist is an error: a misspelt
path must not cap nobody.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import polars as pl

from inkorg_kit.errors import TargetError
from inkorg_kit.run import ARTEFACTS
from inkorg_kit.target.extract import resolve_path
from inkorg_kit.target.lists import read_list

__all__ = [
    "MANIFEST_DATE_KEYS",
    "existing_runs_dir",
    "manifest_date",
    "messaged_in_earlier_runs",
]

#: Manifest fields that date a send, best first: the planned start, then when it was written.
MANIFEST_DATE_KEYS = ("planned_send_start", "created", "created_at", "sent_at", "date")


def _manifest_files(manifest: dict[str, Any]) -> list[str]:
    files = manifest.get("files") or manifest.get("parts") or []
    out: list[str] = []
    for entry in files:
        if isinstance(entry, str):
            out.append(entry)
        elif isinstance(entry, dict):
            for key in ("file_name", "path", "file", "name"):
                if isinstance(entry.get(key), str):
                    out.append(entry[key])
                    break
    return out


def manifest_date(manifest: dict[str, Any]) -> tuple[dt.date, str] | None:
    """The date of an earlier send and the field it came from (see :data:`MANIFEST_DATE_KEYS`)."""
    for key in MANIFEST_DATE_KEYS:
        value = manifest.get(key)
        if isinstance(value, str) and value.strip():
            try:
                return dt.datetime.fromisoformat(value.strip()).date(), key
            except ValueError:
                try:
                    return dt.date.fromisoformat(value.strip()[:10]), key
                except ValueError:
                    continue
    return None


def existing_runs_dir(root: Path) -> Path:
    """``root``, or a :class:`TargetError` if it is not a folder: a misspelt path must not
    cap nobody."""
    if not root.is_dir():
        raise TargetError(
            f"target.earlier_runs: the folder '{root}' does not exist (working folder:"
            f" {Path.cwd()}); name the folder that holds earlier campaigns' run folders (e.g."
            " out), or remove frequency_cap_days and earlier_runs"
        )
    return root


def messaged_in_earlier_runs(
    earlier_runs: str | os.PathLike[str],
    *,
    since: dt.date,
    reference_date: dt.date,
    skip: str | os.PathLike[str] | None = None,
) -> tuple[pl.Series, list[str]]:
    """Personnummer messaged by earlier campaigns on or after ``since``, and notes on what was read.

    Reads ``<earlier_runs>/*/recipients/manifest.json``. A send is dated by the manifest's
    ``planned_send_start`` (when the campaign was to go out), else its ``created`` field, else,
    as a last resort that the notes name, the newest modification time of its files (which
    says when the files were written, not when they were sent). The personnummer are read
    from the import files the manifest lists (one per line; paths relative to the manifest's
    folder); encrypted ``.7z`` archives cannot be read and are skipped with a note. ``skip``
    is this campaign's own run folder. A folder that does not exist is a :class:`TargetError`
    (a misspelt path must not cap nobody).
    """
    root = existing_runs_dir(Path(earlier_runs))
    notes: list[str] = []
    empty = pl.Series("personnummer", [], dtype=pl.String)
    skip_dir = Path(skip).resolve() if skip is not None else None
    found: list[pl.Series] = []
    runs = 0
    for manifest_path in sorted(root.glob(f"*/{ARTEFACTS['manifest_json'].path}")):
        run_dir = root / manifest_path.relative_to(root).parts[0]
        if skip_dir is not None and run_dir.resolve() == skip_dir:
            continue
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            notes.append(f"{manifest_path}: kunde inte läsas ({type(exc).__name__})")
            continue
        files = [resolve_path(name, manifest_path.parent) for name in _manifest_files(manifest)]
        dated = manifest_date(manifest)
        if dated is None:
            times = [f.stat().st_mtime for f in files if f.exists()]
            times = times or [manifest_path.stat().st_mtime]
            when = dt.datetime.fromtimestamp(max(times)).date()
            notes.append(
                f"{run_dir.name}: daterat efter filernas tid ({when}), manifestet saknar"
                " planned_send_start och created"
            )
        else:
            when = dated[0]
        if when < since:
            continue
        runs += 1
        for file in files:
            if file.suffix.lower() == ".7z":
                notes.append(f"{run_dir.name}: {file.name} är krypterad och lästes inte")
                continue
            if not file.is_file():
                notes.append(f"{run_dir.name}: {file.name} saknas")
                continue
            found.append(read_list(file, reference_date, "import file").numbers)
    notes.insert(0, f"{runs} tidigare utskick sedan {since} lästes från '{root}'")
    if not found:
        return empty, notes
    return pl.concat(found).unique().alias("personnummer"), notes
