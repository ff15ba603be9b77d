"""The frequency cap: who earlier campaigns messaged, read from their run folders.

Why apart: the cap reads *other* run folders, as step 02 left them: each one's manifest, read
and validated through the run-folder contract (:func:`inkorg_kit.run.load_json`,
``manifest_json``), and the import files it lists. A send is dated by the manifest's
``planned_send_start``, else its ``created``; a manifest that does not validate is named in the
notes, never guessed at. Import files that are gone but whose run left its encrypted archive
cannot be read and are named in the notes. A folder of earlier runs that does not exist is an
error: a misspelt path must not cap nobody.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import cast

import polars as pl

from inkorg_kit.errors import InkorgError, TargetError
from inkorg_kit.run import RunFolder
from inkorg_kit.run.io import load_json
from inkorg_kit.run.schemas import ManifestRecord
from inkorg_kit.target.lists import read_list

__all__ = ["existing_runs_dir", "messaged_in_earlier_runs"]


def _send_date(record: ManifestRecord) -> dt.date | None:
    """The date of an earlier send: its planned start, else when its manifest was written."""
    for value in (record.planned_send_start, record.created):
        text = (value or "").strip()
        if not text:
            continue
        try:
            return dt.datetime.fromisoformat(text).date()
        except ValueError:
            try:
                return dt.date.fromisoformat(text[:10])
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

    Reads each earlier run folder's manifest (``recipients/manifest.json``, validated as step
    02 writes it; one that does not validate is named in the notes and skipped). A send is
    dated by the manifest's ``planned_send_start`` (when the campaign was to go out), else its
    ``created`` field, else, as a last resort that the notes name, the newest modification
    time of its files (which says when the files were written, not when they were sent). The
    personnummer are read from the import files the manifest lists (``file_name``, in the
    recipients folder); a listed file that is gone is named in the notes, as one that is only
    in the run's encrypted archive (which cannot be read) when that archive is there. ``skip``
    is this campaign's own run folder. A folder that does not exist is a :class:`TargetError`
    (a misspelt path must not cap nobody).
    """
    root = existing_runs_dir(Path(earlier_runs))
    notes: list[str] = []
    empty = pl.Series("personnummer", [], dtype=pl.String)
    skip_dir = Path(skip).resolve() if skip is not None else None
    found: list[pl.Series] = []
    runs = 0
    for run_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        if skip_dir is not None and run_dir.resolve() == skip_dir:
            continue
        run = RunFolder(run_dir)
        manifest_path = run.path("manifest_json")
        if not manifest_path.is_file():
            continue
        try:
            record = cast(ManifestRecord, load_json(run, "manifest_json"))
        except InkorgError as exc:  # not JSON, or not what step 02 writes
            detail = " ".join(str(exc).split())
            notes.append(f"{manifest_path}: kunde inte läsas ({detail})")
            continue
        except OSError as exc:
            notes.append(f"{manifest_path}: kunde inte läsas ({type(exc).__name__})")
            continue
        folder = run.path("recipients_dir")
        files = [folder / entry.file_name for entry in record.files]
        when = _send_date(record)
        if when is None:
            times = [f.stat().st_mtime for f in files if f.exists()]
            times = times or [manifest_path.stat().st_mtime]
            when = dt.datetime.fromtimestamp(max(times)).date()
            notes.append(
                f"{run_dir.name}: daterat efter filernas tid ({when}), manifestet saknar"
                " planned_send_start och created"
            )
        if when < since:
            continue
        runs += 1
        archive = RunFolder(run_dir, record.campaign).path("archive")
        for file in files:
            if file.is_file():
                found.append(read_list(file, reference_date, "import file").numbers)
            elif archive.is_file():
                notes.append(
                    f"{run_dir.name}: {file.name} finns bara i det krypterade arkivet"
                    f" {archive.name} och lästes inte"
                )
            else:
                notes.append(f"{run_dir.name}: {file.name} saknas")
    notes.insert(0, f"{runs} tidigare utskick sedan {since} lästes från '{root}'")
    if not found:
        return empty, notes
    return pl.concat(found).unique().alias("personnummer"), notes
