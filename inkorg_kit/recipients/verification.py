"""Verification: re-read a delivery and check everything the case handler relies on.

Why: the files leave the kit for a system that sends a message to every number in them; a
number twice, a file changed after writing, a stray file in the folder or an archive that does
not hold what the run folder holds must be found before that. :func:`verify` checks hashes,
counts, the 250 limit, the format of every line, check digits, no personnummer twice across
the campaign's files, no file in ``recipients/`` that the manifest does not list and nothing
half-written left by a stopped run, owner-only modes, and the archive (decrypted and compared
member by member; by default, since a delivery is the archive). It never raises on a finding:
:meth:`Verification.require_ok` does.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from inkorg_kit import pnr
from inkorg_kit.errors import InkorgError, PasswordError, RunFolderError, VerificationError
from inkorg_kit.recipients.archive import DEFAULT_PASSWORD_ENV, archive_password
from inkorg_kit.recipients.funnel import check_summary
from inkorg_kit.recipients.lines import (
    BOM,
    LINE_BYTES,
    MANIFEST_CSV,
    MANIFEST_JSON,
    RECIPIENT_DIR,
    STAGING_PREFIX,
    archive_path,
    first_bad_line,
    line_matrix,
    lines_ok,
    sha256,
)
from inkorg_kit.recipients.manifest import manifest_csv, members, read_manifest
from inkorg_kit.run import RunFolder
from inkorg_kit.vocab import MAX_PART_SIZE

__all__ = ["CHECK_LABELS", "Verification", "verify"]

#: What :func:`verify` checks, in report order, as people see it (Swedish).
CHECK_LABELS = {
    "manifest": "Manifestet finns och är läsbart",
    "manifest_csv": "manifest.csv stämmer med manifest.json",
    "files_present": "Alla filer finns, inga okända filer",
    "permissions": "Endast ägaren kan läsa filerna",
    "hashes": "SHA-256 stämmer",
    "line_format": "Varje rad är YYYYMMDD-NNNN + CRLF, UTF-8 utan BOM",
    "rows": "Antal rader stämmer",
    "limit": f"Högst {MAX_PART_SIZE} per fil",
    "parts": "Delarna är numrerade utan lucka",
    "valid_numbers": "Giltiga personnummer (kontrollsiffra, datum)",
    "no_duplicates": "Ingen får två filer: inget personnummer två gånger",
    "totals": "Summorna går ihop (inläst = avvisat + dubbletter + utskick)",
    "archive": "7z-arkivet: krypterat, krypterade namn, samma filer",
}


@dataclass
class Verification:
    """The outcome of :func:`verify`: one row per check (check, label, ok, detail)."""

    run_dir: Path
    checks: pl.DataFrame

    @property
    def ok(self) -> bool:
        return bool(self.checks["ok"].all())

    @property
    def failures(self) -> pl.DataFrame:
        return self.checks.filter(~pl.col("ok"))

    def failed(self) -> list[str]:
        return self.failures["check"].to_list()

    def table(self) -> pl.DataFrame:
        """For people: result, what was checked, details."""
        return self.checks.select(
            pl.when(pl.col("ok")).then(pl.lit("OK")).otherwise(pl.lit("FEL")).alias("resultat"),
            pl.col("label").alias("kontroll"),
            pl.col("detail").alias("detaljer"),
        )

    def require_ok(self) -> Verification:
        """Raise :class:`VerificationError` listing every failed check; else return self."""
        if not self.ok:
            lines = [f"- {c}: {d}" for c, d in self.failures.select("check", "detail").rows()]
            raise VerificationError(
                f"{self.run_dir}: {len(lines)} check(s) failed; do not deliver these files:\n"
                + "\n".join(lines)
            )
        return self


class _Checks:
    def __init__(self) -> None:
        self.rows: dict[str, tuple[bool, str]] = {}

    def add(self, check: str, ok: bool, detail: str) -> None:
        previous = self.rows.get(check)
        if previous is not None and not previous[0]:
            return  # keep the first failure's detail
        self.rows[check] = (ok, pnr.mask_in_text(detail))  # names and values read from disk

    def frame(self) -> pl.DataFrame:
        names = [c for c in CHECK_LABELS if c in self.rows]
        return pl.DataFrame(
            {
                "check": names,
                "label": [CHECK_LABELS[c] for c in names],
                "ok": [self.rows[c][0] for c in names],
                "detail": [self.rows[c][1] for c in names],
            },
            schema={"check": pl.String, "label": pl.String, "ok": pl.Boolean, "detail": pl.String},
        )


def _half_written(root: Path) -> list[Path]:
    """Temporary files a stopped write left in the run folder (``.<name>.<random>.part``)."""
    return sorted(p for p in root.glob(".*.part") if p.is_file())


def _check_archive(
    checks: _Checks,
    root: Path,
    manifest: Mapping[str, Any],
    password_env: str,
    prompt: bool,
    stopped: list[Path],
) -> None:
    """Add the archive's finding: present, private, names hidden, members as in the folder;
    ``stopped``: what a packaging that was stopped (killed) left."""
    import py7zr  # heavy (~0.1 s, cryptography): loaded only when an archive is checked
    from py7zr.io import HashIOFactory

    target = archive_path(root, manifest["campaign"])
    if not target.is_file():
        detail = f"{target.name} is missing: run recipients.package"
        if stopped:
            detail = (
                f"{target.name} is missing and a stopped recipients.package left"
                f" {stopped[0].name} (half an archive): run recipients.package again"
            )
        checks.add("archive", False, detail)
        return
    if stopped:
        checks.add(
            "archive",
            False,
            f"a stopped recipients.package left {stopped[0].name} beside {target.name}: run"
            " recipients.package again (it removes it)",
        )
    if target.stat().st_mode & 0o077:
        checks.add("permissions", False, f"{target.name} can be read by others (chmod 600)")
    try:
        with py7zr.SevenZipFile(target, "r") as archive:
            archive.getnames()
        checks.add("archive", False, f"{target.name}: file names can be read without a password")
        return
    except py7zr.PasswordRequired:
        pass
    except Exception:
        checks.add(
            "archive",
            False,
            f"{target.name} cannot be opened: damaged or not a 7z archive; run"
            " recipients.package again",
        )
        return
    try:
        password = archive_password(password_env, prompt=prompt, new=False)
    except PasswordError as exc:
        checks.add("archive", False, str(exc))
        return
    try:
        factory = HashIOFactory()
        with py7zr.SevenZipFile(target, "r", password=password) as archive:
            names = archive.getnames()
            info = archive.archiveinfo()
            archive.extractall(factory=factory)
    except Exception:  # py7zr gives no telling error: a wrong key decrypts to garbage
        checks.add(
            "archive",
            False,
            f"{target.name} cannot be opened with the password in {password_env}: wrong password"
            " or damaged archive (check the password; if it is right, run recipients.package"
            " again)",
        )
        return
    expected = members(manifest)
    if sorted(names) != sorted(expected):
        extra = sorted(set(names) - set(expected))[:3]
        missing = sorted(set(expected) - set(names))[:3]
        checks.add("archive", False, f"members differ: missing {missing}, unexpected {extra}")
        return
    folder = RunFolder(root).path("recipients_dir")
    want = {f"{manifest['campaign']}/{f['file_name']}": f["sha256"] for f in manifest["files"]}
    for name in (MANIFEST_CSV, MANIFEST_JSON):
        path = folder / name
        if path.is_file():
            want[f"{manifest['campaign']}/{name}"] = sha256(path.read_bytes())
    for member, digest in want.items():
        got = factory.get(member).hash.hexdigest() if member in factory.products else None
        if got != digest:
            checks.add("archive", False, f"{member} in the archive differs from the run folder")
            return
    methods = [str(m) for m in getattr(info, "method_names", [])]
    aes = any("AES" in m.upper() for m in methods)
    checks.add(
        "archive",
        aes,
        f"{target.name}: {len(expected)} members match, methods {', '.join(methods) or '?'},"
        " names hidden without the password",
    )


def verify(
    run_dir: str | os.PathLike[str],
    *,
    password_env: str = DEFAULT_PASSWORD_ENV,
    archive: bool | None = True,
    prompt: bool = False,
) -> Verification:
    """Re-read a run folder and check everything a handler relies on; never raises on a finding.

    Checks the manifest (each entry well-formed; JSON and CSV agree), that every listed file exists
    and nothing else is in ``recipients/`` (any name, any extension) and no staging folder of a
    stopped run is left, owner-only permissions (files 0600, the folder 0700), SHA-256, row counts,
    the 250 limit and the part size, part numbering, the format of every line (``YYYYMMDD-NNNN`` +
    CRLF, no BOM), check digits and dates, that no personnummer is in two files (or twice in one),
    that the totals and the cleaning counts add up, and the archive: it must exist, refuse to list
    without a password, and hold exactly the files and manifest with the same hashes (password
    from ``password_env``, or asked for once when ``prompt`` is true and it is unset).

    The archive is checked unless ``archive`` is ``False`` (None, once "only if present", now
    checks it too): what is delivered is the archive, so a folder whose packaging never ran or
    was killed (no ``.7z``) is not deliverable, and a caller who forgets the argument must not
    be told OK. Pass ``archive=False`` only for a folder that is never packaged (the follow-up
    lists) or to check the files before :func:`~inkorg_kit.recipients.package`. A half-written
    ``.part`` file left in the run folder by a stopped write (the archive's, or any other) is a
    failure in either case. Call :meth:`Verification.require_ok` to stop on failures.
    """
    root = Path(run_dir)
    folder = RunFolder(root).path("recipients_dir")
    checks = _Checks()
    try:
        manifest = read_manifest(root)  # validated: manifest_problem's words name what is wrong
    except RunFolderError as exc:
        checks.add("manifest", False, str(exc))
        return Verification(run_dir=root, checks=checks.frame())
    except InkorgError as exc:
        checks.add("manifest", False, f"{MANIFEST_JSON} cannot be used: {exc}")
        return Verification(run_dir=root, checks=checks.frame())
    files = list(manifest["files"])
    campaign = manifest["campaign"]
    totals = manifest["totals"]
    part_size = int(manifest["split"]["part_size"])
    checks.add("manifest", True, f"{MANIFEST_JSON}: {len(files)} files for {campaign!r}")

    # manifest.csv agrees with the JSON
    csv_path = folder / MANIFEST_CSV
    try:
        expected_csv = manifest_csv(manifest).encode("utf-8")
        actual_csv = csv_path.read_bytes()
        checks.add(
            "manifest_csv",
            actual_csv == expected_csv,
            f"{MANIFEST_CSV} " + ("agrees" if actual_csv == expected_csv else "differs"),
        )
    except FileNotFoundError:
        checks.add("manifest_csv", False, f"{MANIFEST_CSV} is missing")
    except (KeyError, TypeError) as exc:
        checks.add("manifest_csv", False, f"{MANIFEST_CSV} cannot be compared: {exc}")

    # presence, strays, permissions
    listed = [f["file_name"] for f in files]
    listed_set = set(listed)
    missing = [n for n in listed if not (folder / n).is_file()]
    missing_set = set(missing)
    known = listed_set | {MANIFEST_JSON, MANIFEST_CSV}
    entries = sorted(folder.iterdir()) if folder.is_dir() else []
    strays = [p.name + ("/" if p.is_dir() else "") for p in entries if p.name not in known]
    leftovers = sorted(p for p in root.glob(f"{STAGING_PREFIX}*"))
    half_written = _half_written(root)
    target = archive_path(root, campaign)
    stopped_packaging = [p for p in half_written if p.name.startswith(f".{target.name}.")]
    detail = f"{len(listed) - len(missing)} of {len(listed)} files present"
    if missing:
        detail += f"; missing {missing[:3]}"
    if strays:
        detail += (
            f"; {len(strays)} file(s) in {RECIPIENT_DIR}/ not in the manifest (could be imported"
            f" by mistake; remove them or write again): {strays[:3]}"
        )
    if leftovers:
        detail += (
            f"; a stopped run left {leftovers[0].name}/ beside {RECIPIENT_DIR}/ (the next"
            " recipients.write removes it)"
        )
    if half_written:
        detail += (
            f"; a stopped run left {len(half_written)} half-written file(s) in the run folder:"
            f" {[p.name for p in half_written][:3]} ("
            + (
                "the archive's: run recipients.package again"
                if stopped_packaging == half_written
                else "remove them, or run the step that writes them again"
            )
            + ")"
        )
    checks.add(
        "files_present", not missing and not strays and not leftovers and not half_written, detail
    )
    open_to_others = [
        f"{p.name}/ (folder)"
        for p in [folder, *leftovers]
        if p.is_dir() and p.stat().st_mode & 0o077
    ] + [
        p.name
        for p in [folder / n for n in listed if n not in missing_set]
        + [folder / MANIFEST_JSON, folder / MANIFEST_CSV]
        if p.is_file() and p.stat().st_mode & 0o077
    ]
    checks.add(
        "permissions",
        not open_to_others,
        f"readable by others: {open_to_others[:3]}"
        if open_to_others
        else f"files 0600, {RECIPIENT_DIR}/ 0700",
    )

    # per file: hash, rows, limit, format
    blobs: list[bytes] = []
    owners: list[int] = []  # index into files for each good blob
    bad_hash: list[str] = []
    bad_rows: list[str] = []
    over: list[str] = []
    bad_format: list[str] = []
    for index, f in enumerate(files):
        if f["file_name"] in missing_set:
            continue
        data = (folder / f["file_name"]).read_bytes()
        if sha256(data) != f["sha256"]:
            bad_hash.append(f["file_name"])
        if int(f["rows"]) > MAX_PART_SIZE or int(f["rows"]) > part_size:
            over.append(f"{f['file_name']} (manifest: {f['rows']} rows)")
        if data.startswith(BOM) or len(data) % LINE_BYTES or not lines_ok(line_matrix(data)):
            bad_format.append(f"{f['file_name']}: {first_bad_line(data)}")
            lines = data.count(b"\n")
        else:
            lines = len(data) // LINE_BYTES
            blobs.append(data)
            owners.append(index)
        if lines != int(f["rows"]):
            bad_rows.append(f"{f['file_name']} has {lines} lines, manifest says {f['rows']}")
        if lines > MAX_PART_SIZE or lines > part_size:
            over.append(f"{f['file_name']} ({lines} lines)")
    present = len(files) - len(missing)
    detail = f"SHA-256 differs: {bad_hash[:3]}" if bad_hash else f"{present} of {len(files)} match"
    if missing:
        detail += f"; missing (nothing to compare): {missing[:3]}"
    checks.add("hashes", not bad_hash and not missing, detail)
    checks.add(
        "line_format",
        not bad_format,
        "; ".join(bad_format[:3]) if bad_format else "every line YYYYMMDD-NNNN + CRLF, no BOM",
    )
    row_sum = sum(int(f["rows"]) for f in files)
    checks.add(
        "rows",
        not bad_rows,
        "; ".join(bad_rows[:3]) if bad_rows else f"{row_sum} rows in {len(files)} files",
    )
    checks.add(
        "limit",
        not over and part_size <= MAX_PART_SIZE,
        f"over the limit: {over[:3]}" if over else f"at most {part_size} per file",
    )

    # part numbering per group
    gaps: list[str] = []
    by_group: dict[str, list[tuple[int, int]]] = {}
    for f in files:
        by_group.setdefault(str(f["group"]), []).append((int(f["part"]), int(f["part_count"])))
    for group, numbers in by_group.items():
        counts = {n for _, n in numbers}
        parts_seen = sorted(p for p, _ in numbers)
        if (
            len(counts) != 1
            or parts_seen != list(range(1, len(numbers) + 1))
            or counts != {len(numbers)}
        ):
            gaps.append(group)
    checks.add(
        "parts",
        not gaps,
        f"numbering broken in group(s) {gaps[:3]}" if gaps else f"{len(by_group)} group(s)",
    )

    # numbers: valid and never twice
    if blobs:
        matrix = line_matrix(b"".join(blobs))
        numbers = pl.Series("pnr", np.ascontiguousarray(matrix[:, :13]).view("S13").ravel()).cast(
            pl.String
        )
        cleaned = pnr.clean(numbers)
        file_of = np.repeat(
            np.array(owners), [len(b) // LINE_BYTES for b in blobs]
        )  # one entry per line
        invalid = cleaned.filter(pl.col("status") == "rejected")
        if invalid.height:
            first = invalid.row(0, named=True)
            where = files[int(file_of[first["row"]])]["file_name"]
            checks.add(
                "valid_numbers",
                False,
                f"{invalid.height} invalid number(s), e.g. {pnr.mask(numbers[first['row']])}"
                f" in {where} ({first['reason']})",
            )
        else:
            checks.add("valid_numbers", True, f"{numbers.len()} valid")
        dupes = cleaned.filter(pl.col("status") == "duplicate")
        if dupes.height:
            first = dupes.row(0, named=True)
            here = files[int(file_of[first["row"]])]["file_name"]
            there = files[int(file_of[first["duplicate_of"]])]["file_name"]
            checks.add(
                "no_duplicates",
                False,
                f"{dupes.height} personnummer appear twice, e.g. {pnr.mask(numbers[first['row']])}"
                f" in {there} and {here}",
            )
        else:
            checks.add("no_duplicates", True, f"{numbers.len()} distinct across {len(blobs)} files")
    elif files:
        checks.add("valid_numbers", False, "no readable file to check")
        checks.add("no_duplicates", False, "no readable file to check")

    # totals and the funnel
    problems: list[str] = []
    if int(totals.get("files", -1)) != len(files):
        problems.append(f"totals.files {totals.get('files')} but {len(files)} listed")
    if int(totals.get("rows", -1)) != row_sum:
        problems.append(f"totals.rows {totals.get('rows')} but files sum to {row_sum}")
    try:
        summary = check_summary(manifest.get("source_summary") or {})
        if summary["sent_out"] != row_sum:
            problems.append(f"source_summary sends out {summary['sent_out']}, files hold {row_sum}")
    except ValueError as exc:
        problems.append(str(exc))
    checks.add(
        "totals",
        not problems,
        "; ".join(problems) if problems else f"{len(files)} files, {row_sum} recipients",
    )

    if archive is not False:
        _check_archive(checks, root, manifest, password_env, prompt, stopped_packaging)
    return Verification(run_dir=root, checks=checks.frame())
