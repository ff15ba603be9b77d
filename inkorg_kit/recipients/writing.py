"""Writing the import files: one text file per part, then, last, the manifest.

Why: the case handler imports each file with "Importera från fil" (seed 004): one
``YYYYMMDD-NNNN`` per line, UTF-8 without BOM, CRLF after every line, at most 250 lines. The
files are private (mode 0600, folder 0700) and named ``<campaign>[_<group>]_001-of-012.txt``.
They are written into a private staging folder beside ``recipients/`` and renamed into place
before the manifest, so a run that stops halfway leaves no manifest and no half file; the next
run clears what a killed one left. The guideline check is required
(:func:`inkorg_kit.guidelines.guideline_check`): pass the Campaign (or its CheckReport), or say
in ``unchecked_reason`` why these files go out without it. Re-running with the same input gives
byte-identical files and manifest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from inkorg_kit import pnr
from inkorg_kit._files import ensure_private_dir, fsync_dir, write_private_new, write_private_text
from inkorg_kit.config.campaign import Campaign
from inkorg_kit.config.campaign_parts import CAMPAIGN_NAME_EXAMPLE
from inkorg_kit.guidelines import CheckReport, Override, guideline_check, override_dict
from inkorg_kit.recipients.funnel import check_summary
from inkorg_kit.recipients.lines import (
    LINE_BYTES,
    MANIFEST_CSV,
    MANIFEST_JSON,
    PNR_PATTERN,
    STAGING_PREFIX,
    archive_path,
    line_matrix,
    lines_ok,
)
from inkorg_kit.recipients.manifest import MANIFEST_VERSION, manifest_csv
from inkorg_kit.recipients.splitting import Parts, check_part_size
from inkorg_kit.run import RunFolder
from inkorg_kit.vocab import MAX_NAME_LENGTH, MAX_PART_SIZE, is_name

__all__ = ["Delivery", "campaign_name", "write"]


@dataclass(frozen=True)
class Delivery:
    """What :func:`write` produced: the folder, the manifest (as written) and one row per file."""

    run_dir: Path
    folder: Path
    manifest: dict[str, Any]
    files: pl.DataFrame

    @property
    def manifest_json(self) -> Path:
        return self.folder / MANIFEST_JSON

    @property
    def manifest_csv(self) -> Path:
        return self.folder / MANIFEST_CSV

    def table(self) -> pl.DataFrame:
        """Per file, for people: name, group, part, rows, masked first/last, short hash."""
        return self.files.select(
            pl.col("file_name").alias("fil"),
            pl.col("group").alias("grupp"),
            pl.col("part").alias("del"),
            pl.col("part_count").alias("av"),
            pl.col("rows").alias("antal"),
            pl.col("first_pnr").alias("första"),
            pl.col("last_pnr").alias("sista"),
            pl.col("sha256").str.slice(0, 12).alias("sha256 (början)"),
        )


def campaign_name(campaign: Campaign | str) -> str:
    """The campaign's name (of a Campaign, or as given), checked fit for file names."""
    name = getattr(campaign, "name", campaign)
    if not is_name(name):
        raise ValueError(
            f"campaign={name!r} cannot go into file names: use lowercase a-z, 0-9 and hyphens,"
            f" at most {MAX_NAME_LENGTH} characters, e.g. {CAMPAIGN_NAME_EXAMPLE!r}"
        )
    return name


def _first_row(mask: pl.Series) -> int:
    """Position of the first True in a boolean column."""
    return int(mask.arg_true()[0])


def _parts_content(parts: Parts) -> bytes:
    """All numbers in file order as one ASCII buffer, 15 bytes a line (``YYYYMMDD-NNNN\\r\\n``),
    after checking, whole-column, what a hand-made :class:`Parts` could get wrong: the part
    size (≤ 250), parts in file order, every number well-formed and no number twice."""
    frame = parts.frame
    needed = ("pnr", "group", "group_slug", "part", "part_count")
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(
            f"parts.frame lacks the column(s) {', '.join(map(repr, missing))}; cut the parts"
            " with recipients.split"
        )
    size = check_part_size(parts.part_size)
    sizes = frame.group_by("group_slug", "part").agg(pl.len().alias("rows"))
    if sizes.height and int(sizes["rows"].max()) > size:  # type: ignore[arg-type]
        worst = sizes.sort("rows", descending=True).row(0, named=True)
        raise ValueError(
            f"part {worst['part']} of group {worst['group_slug']!r} holds {worst['rows']}"
            f" personnummer, more than part_size={size} (Personalverktyget takes at most"
            f" {MAX_PART_SIZE}); cut the parts with recipients.split"
        )
    runs = frame.select(pl.struct("group_slug", "part").rle_id().max()).item()
    if frame.height and runs + 1 != sizes.height:
        raise ValueError(
            "parts.frame is not in file order: the rows of one part must be together (as"
            " recipients.split leaves them)"
        )
    if frame.is_empty():
        return b""
    pnrs = frame["pnr"].cast(pl.String)
    data = pl.select(pl.concat_str(pnrs, pl.lit("\r\n")).str.join("")).item().encode("utf-8")
    if len(data) != LINE_BYTES * frame.height or not lines_ok(line_matrix(data)):
        bad = ~pnrs.str.contains(PNR_PATTERN).fill_null(False)
        first = _first_row(bad)
        shown = "null" if pnrs[first] is None else repr(pnr.mask(pnrs[first]))
        raise ValueError(
            f"{int(bad.sum())} personnummer in parts.frame are not written YYYYMMDD-NNNN; the"
            f" first is row {first} ({shown}); clean the list and cut it with recipients.split"
        )
    matrix = line_matrix(data)
    key = np.zeros(frame.height, dtype=np.int64)
    for column in (*range(8), *range(9, 13)):
        key = key * 10 + (matrix[:, column] - 0x30)
    keys = pl.Series(key)
    if keys.n_unique() != frame.height:
        twice = keys.is_duplicated()
        first, again = (int(i) for i in np.flatnonzero(key == key[_first_row(twice)])[:2])
        raise ValueError(
            f"{int(twice.sum())} rows of parts.frame hold a personnummer that is in another row"
            f" too (e.g. {pnr.mask(pnrs[first])} in rows {first} and {again}): a resident"
            " would get the message twice; cut the parts with recipients.split"
        )
    return data


def _clear_leftovers(root: Path, folder: Path) -> None:
    """Remove what a killed run left: staging folders beside recipients/, temporary files."""
    for staging in root.glob(f"{STAGING_PREFIX}*"):
        if staging.is_dir():
            shutil.rmtree(staging, ignore_errors=True)
    for temporary in folder.glob(".*.part"):
        temporary.unlink(missing_ok=True)


def _remove_stale(folder: Path, campaign: str, run_dir: Path) -> None:
    """A re-run starts clean: no old manifest, files or archive of this campaign are left."""
    for name in (MANIFEST_JSON, MANIFEST_CSV):  # the JSON first: package and verify trust it
        (folder / name).unlink(missing_ok=True)
    for old in folder.glob(f"{campaign}_*.txt"):
        old.unlink()
    archive_path(run_dir, campaign).unlink(missing_ok=True)


def write(
    parts: Parts,
    run_dir: str | os.PathLike[str],
    campaign: Campaign | str,
    *,
    override: Override | Mapping[str, Any] | None = None,
    check_report: CheckReport | None = None,
    source_summary: Mapping[str, Any] | None = None,
    created: str | dt.datetime | dt.date | None = None,
    unchecked_reason: str | None = None,
) -> Delivery:
    """Write one import file per part and, last, the manifest, into ``<run_dir>/recipients/``.

    ``campaign`` is a :class:`~inkorg_kit.config.campaign.Campaign`, checked here against the
    guidelines, or the campaign name with ``check_report`` (its
    :class:`~inkorg_kit.guidelines.CheckReport`). With errors, an ``override`` (from
    :func:`~inkorg_kit.guidelines.sendable`, ``ensure_sendable`` or ``require_ok``) is
    required. Files that need no
    check of their own (a follow-up list of a checked campaign, a benchmark) take the name and
    ``unchecked_reason``, a sentence saying why. The check, the override or the reason is
    recorded in the manifest. ``source_summary`` replaces the cleaning counts of ``parts`` (it
    must add up and send out exactly the rows written). ``created`` goes into the manifest as
    given; the default None keeps re-runs byte-identical.

    ``parts`` is checked first (at most ``part_size`` ≤ 250 per part, every number
    ``YYYYMMDD-NNNN``, none twice). Then the old manifest, files and archive of the campaign
    are removed, the files are written into a private staging folder beside ``recipients/``
    and renamed into place, and the manifest is written last: a run that stops halfway leaves
    no manifest and no half-written file, and the next run clears what a killed one left. One
    run at a time per run folder.
    """
    if not isinstance(parts, Parts):
        raise TypeError(f"parts must come from recipients.split, got {type(parts).__name__}")
    name = campaign_name(campaign)
    report, override, unchecked = guideline_check(
        campaign, name, check_report, override, unchecked_reason
    )
    override_record = override_dict(override)
    if override_record is not None and override_record.get("campaign") not in (None, name):
        raise ValueError(
            f"the override is for campaign {override_record.get('campaign')!r}, not {name!r}"
        )
    given: Any = source_summary if source_summary is not None else parts.source_summary
    if isinstance(given, Mapping) and "in_several_groups" not in given:
        several = parts.source_summary.get("in_several_groups", 0)
        given = {**given, "in_several_groups": several}  # a summary of its own keeps the count
    summary = check_summary(given)
    if summary["sent_out"] != parts.rows:
        raise ValueError(
            f"source_summary sends out {summary['sent_out']} but the parts hold {parts.rows}"
            " recipients; pass the summary of this split"
        )
    if parts.rows == 0:
        raise ValueError(
            f"no recipients to write: all {summary['input_rows']} input rows were rejected,"
            " duplicates or excluded (see source_summary)"
        )
    if isinstance(created, (dt.datetime, dt.date)):
        created = created.isoformat()
    data = _parts_content(parts)

    files = parts.files(name)
    root = Path(run_dir)
    folder = ensure_private_dir(RunFolder(root).path("recipients_dir"), tighten=True)
    _clear_leftovers(root, folder)
    _remove_stale(folder, name, root)

    view = memoryview(data)
    ends = np.cumsum(files["rows"].to_numpy().astype(np.int64))
    starts = ends - files["rows"].to_numpy()
    names = files["file_name"].to_list()
    hashes: list[str] = []
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=root))
    try:
        for fname, start, end in zip(names, starts, ends, strict=True):
            chunk = view[start * LINE_BYTES : end * LINE_BYTES]
            write_private_new(staging / fname, chunk)  # the staging folder is private
            hashes.append(hashlib.sha256(chunk).hexdigest())
        fsync_dir(staging)
        for fname in names:  # whole files only, and only once all of them are written
            os.replace(staging / fname, folder / fname)
        fsync_dir(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    pnrs = parts.frame["pnr"]
    files = files.with_columns(
        sha256=pl.Series(hashes, dtype=pl.String),
        first_pnr=pnr.mask(pnrs.gather(starts)),
        last_pnr=pnr.mask(pnrs.gather(ends - 1)),
    )

    manifest: dict[str, Any] = {
        "manifest_version": MANIFEST_VERSION,
        "campaign": name,
        "created": created,
        # when the campaign is to go out: the frequency cap of later campaigns dates it so
        "planned_send_start": (
            campaign.planned_send_start.isoformat()
            if hasattr(campaign, "planned_send_start")
            else None
        ),
        "format": {
            "line": "YYYYMMDD-NNNN",
            "encoding": "UTF-8 without BOM",
            "line_ending": "CRLF after every line",
            "max_rows_per_file": MAX_PART_SIZE,
        },
        "split": {
            "part_size": parts.part_size,
            "balance": parts.balance,
            "order": parts.order,
            "group_by": parts.group_by,
            "seed": parts.seed,
        },
        "totals": {
            "files": files.height,
            "rows": parts.rows,
            "groups": files["group_slug"].n_unique(),
            "people_in_several_groups": summary["in_several_groups"],
        },
        "source_summary": summary,
        "campaign_check": None
        if report is None
        else {
            "errors": [f.check for f in report.errors],
            "warnings": [f.check for f in report.warnings],
        },
        "override": override_record,
        "unchecked_reason": unchecked,
        "files": [
            {
                "file_name": row["file_name"],
                "group": row["group"],
                "part": row["part"],
                "part_count": row["part_count"],
                "rows": row["rows"],
                "sha256": row["sha256"],
                "first_pnr": row["first_pnr"],
                "last_pnr": row["last_pnr"],
            }
            for row in files.iter_rows(named=True)
        ],
    }
    # Last: the CSV, then the JSON that package and verify trust.
    write_private_text(folder / MANIFEST_CSV, manifest_csv(manifest))
    write_private_text(
        folder / MANIFEST_JSON, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
    )
    return Delivery(run_dir=root, folder=folder, manifest=manifest, files=files)
