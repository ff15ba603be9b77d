"""The manifest of a delivery: what :func:`~inkorg_kit.recipients.write` writes last, and what
packaging, verification and the follow-up read back.

Why: ``recipients/manifest.json`` lists every import file with its group, part, rows and
SHA-256, the totals, the funnel and the guideline check or its override; ``manifest.csv`` is
the same for the case handler in Excel. Readers do not guess: :func:`read_manifest` reads it
through the run-folder contract (:class:`~inkorg_kit.run.schemas.ManifestRecord`), with a
clear error when a run never finished, and :func:`manifest_problem` (defined with the schema)
says in words what makes a manifest unusable (entry and field), so
:func:`~inkorg_kit.recipients.verify` can report it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import polars as pl

from inkorg_kit.errors import RunFolderError
from inkorg_kit.io.people_csv import people_csv_text
from inkorg_kit.recipients.lines import MANIFEST_CSV, MANIFEST_JSON
from inkorg_kit.run import RunFolder
from inkorg_kit.run.io import load_json
from inkorg_kit.run.schemas import FRAME_SCHEMAS, manifest_problem

__all__ = ["MANIFEST_VERSION", "manifest_csv", "manifest_problem", "members", "read_manifest"]

MANIFEST_VERSION = 1


def manifest_csv(manifest: Mapping[str, Any]) -> str:
    """The manifest as a table for Excel (:func:`~inkorg_kit.io.people_csv.people_csv_text`:
    ``;``, UTF-8 with BOM, CRLF): one row per import file, no totals row (the totals are in
    ``manifest.json``, so every row can be sorted and summed in Excel)."""
    schema = FRAME_SCHEMAS["manifest_csv"].columns
    campaign = manifest["campaign"]
    rows = [
        {"campaign": campaign, **{k: f[k] for k in schema if k != "campaign"}}
        for f in manifest["files"]
    ]
    return people_csv_text(pl.DataFrame(rows, schema=schema))


def read_manifest(run_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The manifest of a run folder as step 02 wrote it, validated
    (:class:`~inkorg_kit.run.schemas.ManifestRecord`), as a dict.

    A run that never finished writing (no manifest) is a
    :class:`~inkorg_kit.errors.RunFolderError`; a manifest that is not JSON or does not hold
    what step 02 writes is an :class:`~inkorg_kit.errors.InkorgError` naming the file and, in
    the words of :func:`manifest_problem` or key by key, what is wrong.
    """
    run = RunFolder(run_dir)
    path = run.path("manifest_json")
    if not path.is_file():
        raise RunFolderError(
            f"{path} does not exist: write the recipient files first (recipients.write); a run"
            " that stopped halfway leaves no manifest"
        )
    return load_json(run, "manifest_json").model_dump()


def members(manifest: Mapping[str, Any]) -> list[str]:
    """Archive member names: the import files, then the manifest, in one folder per campaign."""
    campaign = manifest["campaign"]
    names = [f["file_name"] for f in manifest["files"]] + [MANIFEST_CSV, MANIFEST_JSON]
    return [f"{campaign}/{n}" for n in names]
