"""The manifest of a delivery: what :func:`~inkorg_kit.recipients.write` writes last, and what
packaging, verification and the follow-up read back.

Why: ``recipients/manifest.json`` lists every import file with its group, part, rows and
SHA-256, the totals, the funnel and the guideline check or its override; ``manifest.csv`` is
the same for the case handler in Excel. Readers do not guess: :func:`read_manifest` gives a
clear error when a run never finished, and :func:`manifest_problem` says in words what makes a
manifest unusable (entry and field), so :func:`~inkorg_kit.recipients.verify` can report it.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Mapping
from typing import Any

from inkorg_kit.recipients.lines import MANIFEST_CSV, MANIFEST_JSON, RECIPIENT_DIR
from inkorg_kit.run import RunFolder
from inkorg_kit.vocab import NAME_RE

__all__ = ["MANIFEST_VERSION", "manifest_csv", "manifest_problem", "members", "read_manifest"]

MANIFEST_VERSION = 1


def manifest_csv(manifest: Mapping[str, Any]) -> str:
    """The manifest as a table for Excel (``;``, UTF-8 with BOM) with a totals row."""
    buffer = io.StringIO()
    out = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    keys = ["file_name", "group", "part", "part_count", "rows", "sha256", "first_pnr", "last_pnr"]
    out.writerow(["campaign", *keys])
    campaign = manifest["campaign"]
    for f in manifest["files"]:
        out.writerow([campaign, *("" if f[k] is None else f[k] for k in keys)])
    totals = manifest["totals"]
    out.writerow([campaign, f"TOTALT: {totals['files']} filer", "", "", "", totals["rows"]])
    return "\ufeff" + buffer.getvalue()


def read_manifest(run_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The manifest of a run folder; a clear error when a run never finished writing."""
    path = RunFolder(run_dir).path("manifest_json")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{path} does not exist: write the recipient files first (recipients.write); a run"
            " that stopped halfway leaves no manifest"
        ) from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON (line {exc.lineno}): {exc.msg}") from None


_SHA256_RE = re.compile(r"[0-9a-f]{64}")


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def manifest_problem(manifest: object) -> str | None:
    """What makes a manifest unusable, in words (entry and field); None when it can be used.

    Why: :func:`~inkorg_kit.recipients.verify` reports a broken manifest as a finding instead
    of raising on it.
    """
    if not isinstance(manifest, Mapping):
        return f"it holds {type(manifest).__name__}, not an object"
    missing = [k for k in ("campaign", "split", "totals", "files") if k not in manifest]
    if missing:
        return f"no {', '.join(missing)}"
    campaign = manifest["campaign"]
    if not isinstance(campaign, str) or not NAME_RE.fullmatch(campaign):
        return f"campaign is {campaign!r}, expected a campaign name such as 'blodtryck-2027'"
    split, totals = manifest["split"], manifest["totals"]
    if not isinstance(split, Mapping) or not _whole(split.get("part_size")):
        got = split.get("part_size") if isinstance(split, Mapping) else split
        return f"split.part_size is {got!r}, expected a whole number"
    if not isinstance(totals, Mapping):
        return f"totals is {totals!r}, expected an object"
    for key in ("files", "rows"):
        if not _whole(totals.get(key)):
            return f"totals.{key} is {totals.get(key)!r}, expected a whole number"
    files = manifest["files"]
    if not isinstance(files, list):
        return f"files is {type(files).__name__}, expected a list"
    seen: set[str] = set()
    for index, entry in enumerate(files):
        where = f"files[{index}]"
        if not isinstance(entry, Mapping):
            return f"{where} is {type(entry).__name__}, expected an object"
        name = entry.get("file_name")
        if (
            not isinstance(name, str)
            or not re.fullmatch(r"[^/\\\x00]+", name)
            or name in (".", "..", MANIFEST_JSON, MANIFEST_CSV)
        ):
            return f"{where}.file_name is {name!r}, expected the name of a file in {RECIPIENT_DIR}/"
        if name in seen:
            return f"{where}: {name} is listed twice"
        seen.add(name)
        for key in ("part", "part_count", "rows"):
            if not _whole(entry.get(key)):
                return f"{where} ({name}): {key} is {entry.get(key)!r}, expected a whole number"
        digest = entry.get("sha256")
        if not isinstance(digest, str) or not _SHA256_RE.fullmatch(digest):
            return f"{where} ({name}): sha256 is {digest!r}, expected 64 hexadecimal digits"
        if not isinstance(entry.get("group"), (str, type(None))):
            return f"{where} ({name}): group is {entry.get('group')!r}, expected text or null"
    return None


def members(manifest: Mapping[str, Any]) -> list[str]:
    """Archive member names: the import files, then the manifest, in one folder per campaign."""
    campaign = manifest["campaign"]
    names = [f["file_name"] for f in manifest["files"]] + [MANIFEST_CSV, MANIFEST_JSON]
    return [f"{campaign}/{n}" for n in names]
