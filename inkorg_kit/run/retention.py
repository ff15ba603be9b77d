"""Retention (GDPR storage limitation): which files of a run folder hold personal data, when the
campaign's retention has passed, and the purge that deletes them and records it.

Why here: this layer knows every artefact and whether it holds personnummer
(:data:`~inkorg_kit.run.artefacts.ARTEFACTS`), so what is kept and what goes is derived from
that one table, not spelt again.

What is kept: the aggregates, which hold no personnummer: every artefact with
``holds_personnummer`` false except the working copies below, i.e. the orderer's report (also
each ``reports/<date>/`` copy), the manifests (counts, SHA-256 hashes, first and last number
masked, also each follow-up list's), the funnel, the guideline check, the send plan and its
calendars, the reach summary and fit, a recorded override, and the purge record itself. A kept
file whose text nevertheless holds a full personnummer (an override reason someone typed a
number into, which the manifest repeats) is rewritten with every personnummer masked; if it is
not UTF-8 text, or masking leaves one, it goes.

What goes: everything else in the run folder (an allow-list: a file the kit does not know may
hold anything). That is the artefacts that hold personnummer (the target group, the import
files, the archive, the status export, the follow-up lists and letters); the working copies,
masked but quoting the input (the executed notebooks under ``notebooks/`` and
``reports/<date>/``, the rejected-values fix list), kept for finding a failure and of no use
once the campaign is over; leftovers of interrupted writes (``.<name>.<random>.part``); and any
file an analyst put there.

Counted from the last follow-up: the newest of the follow-up manifest's ``exported_at`` (the
status export behind the lists of whom to reach by letter or phone, used in the weeks after)
and the recipient manifest's planned send start or creation time (a campaign re-run for a later
start is not purged by an older follow-up); with none of these, from the newest file's
modification time. The retention itself is the campaign's ``followup.retention_days``: the
campaign file given, else the one the executed notebooks ran with, else the previous purge's,
else :data:`~inkorg_kit.config.campaign_parts.DEFAULT_RETENTION_DAYS`.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import getpass
import html
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from inkorg_kit._files import write_private_bytes, write_private_text
from inkorg_kit.config.campaign import load_campaign
from inkorg_kit.config.campaign_parts import DEFAULT_RETENTION_DAYS
from inkorg_kit.errors import InkorgError
from inkorg_kit.privacy import find_in_text, mask_in_text
from inkorg_kit.run.artefacts import ARTEFACTS
from inkorg_kit.run.folder import RunFolder
from inkorg_kit.run.io import load_json_file, save_json
from inkorg_kit.vocab import TIME_ZONE

__all__ = [
    "BASIS_LABELS",
    "REASON_LABELS",
    "PurgeError",
    "PurgeFile",
    "PurgePlan",
    "Retention",
    "RetentionStart",
    "classify",
    "find_run_folders",
    "folder_campaign",
    "folder_retention",
    "is_run_folder",
    "plan_purge",
    "purge",
    "purge_note",
    "retention_start",
    "stamp_reports",
]

Basis = Literal["followup_exported_at", "planned_send_start", "manifest_created", "newest_file"]
Reason = Literal["personnummer", "working_copy", "unknown", "found_personnummer", "masked"]

#: What the retention is counted from, in Swedish.
BASIS_LABELS: dict[str, str] = {
    "followup_exported_at": "uppföljningen (statusexporten)",
    "planned_send_start": "planerad utskicksstart",
    "manifest_created": "mottagarfilerna skapades",
    "newest_file": "den senast ändrade filen i körmappen",
}
#: Why a file is purged, in Swedish.
REASON_LABELS: dict[str, str] = {
    "personnummer": "personnummer",
    "working_copy": "arbetskopia",
    "unknown": "okänd fil",
    "found_personnummer": "innehåller personnummer",
    "masked": "personnummer maskeras, filen behålls",
}

_RECORD = ARTEFACTS["purge_record"].path
_REPORTS = ARTEFACTS["reports_dir"].path  # "reports/"
_FOLLOWUP = ARTEFACTS["followup_dir"].path  # "followup/"
#: The artefacts that hold no personnummer but are working copies: purged with the rest.
_WORKING_COPIES = ("notebooks_dir", "reports_dir", "target_rejected_csv")
_MARK_START = "<!-- inkorg-kit:gallring -->"
_MARK_END = "<!-- /inkorg-kit:gallring -->"
_STAMP = re.compile(re.escape(_MARK_START) + r".*?" + re.escape(_MARK_END) + r"\n?", re.S)


class PurgeError(InkorgError):
    """Files that should have been purged could not be deleted (what was deleted is recorded)."""


def _glob(path: str) -> str:
    return path.replace("{campaign}", "*").replace("{handler}", "*")


def _patterns() -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Path patterns (relative, ``/``-separated; one ending in ``/`` covers a folder's contents)
    of the files kept, those holding personnummer and the working copies."""
    keep = [
        _glob(a.path)
        for a in ARTEFACTS.values()
        if not a.holds_personnummer and not a.is_folder and a.key not in _WORKING_COPIES
    ]
    # each follow-up list's manifests (followup/<list>/recipients/manifest.*) and each report run
    keep += [_FOLLOWUP + "*/" + ARTEFACTS[k].path for k in ("manifest_json", "manifest_csv")]
    keep.append(_REPORTS + "*/" + _glob(ARTEFACTS["report_html"].path))
    holding = [_glob(a.path) for a in ARTEFACTS.values() if a.holds_personnummer]
    working = [_glob(ARTEFACTS[k].path) for k in _WORKING_COPIES]
    return tuple(keep), tuple(holding), tuple(working)


def _matches(relative: str, pattern: str) -> bool:
    """``relative`` matches ``pattern`` component by component (``*`` never crosses ``/``);
    a pattern ending in ``/`` matches everything under that folder."""
    if pattern.endswith("/"):
        parts, wanted = relative.split("/"), pattern.rstrip("/").split("/")
        return len(parts) > len(wanted) and all(
            fnmatch.fnmatchcase(p, w) for p, w in zip(parts, wanted, strict=False)
        )
    parts, wanted = relative.split("/"), pattern.split("/")
    return len(parts) == len(wanted) and all(
        fnmatch.fnmatchcase(p, w) for p, w in zip(parts, wanted, strict=True)
    )


def _holds_personnummer(path: Path) -> bool:
    try:
        return bool(find_in_text(path.read_bytes().decode("utf-8", errors="replace")))
    except OSError:
        return True  # unreadable here: it cannot be vouched for


def _maskable(path: Path) -> bool:
    """A text file whose personnummer :func:`mask_in_text` masks all of."""
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return not find_in_text(mask_in_text(text))


def _mask_file(path: Path) -> None:
    """Rewrite a text file with every personnummer masked (bytes otherwise as they were)."""
    text = path.read_bytes().decode("utf-8")
    write_private_bytes(path, mask_in_text(text).encode("utf-8"))


@dataclass(frozen=True)
class PurgeFile:
    """A file to purge: its path relative to the run folder (``/``-separated) and why."""

    path: str
    reason: Reason

    @property
    def shown(self) -> str:
        """The path as printed and recorded: any personnummer in a file name masked."""
        return mask_in_text(self.path)


def _entries(root: Path) -> list[str]:
    """Every file (and symbolic link) under ``root``, relative, without following links."""
    found = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        here = Path(folder)
        links = [d for d in dirs if (here / d).is_symlink()]
        dirs[:] = sorted(d for d in dirs if d not in links)
        for name in (*files, *links):
            found.append((here / name).relative_to(root).as_posix())
    return sorted(found)


def classify(run_dir: str | os.PathLike[str]) -> tuple[list[PurgeFile], list[str]]:
    """The files of the run folder to purge, and those kept (relative paths); see the module
    docstring for the rules."""
    root = Path(run_dir)
    keep, holding, working = _patterns()
    purged: list[PurgeFile] = []
    kept: list[str] = []
    for relative in _entries(root):
        path = root / relative
        if any(_matches(relative, p) for p in keep) and not path.is_symlink():
            if _holds_personnummer(path):
                reason: Reason = "masked" if _maskable(path) else "found_personnummer"
                purged.append(PurgeFile(relative, reason))
            else:
                kept.append(relative)
        elif any(_matches(relative, p) for p in holding):
            purged.append(PurgeFile(relative, "personnummer"))
        elif any(_matches(relative, p) for p in working):
            purged.append(PurgeFile(relative, "working_copy"))
        else:
            purged.append(PurgeFile(relative, "unknown"))
    return purged, kept


# --------------------------------------------------------------------------- when


def _read(path: Path) -> Any:
    """A JSON file's content, None when it is missing or unreadable (a hint, never required)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _moment(value: object) -> dt.datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment.replace(tzinfo=TIME_ZONE) if moment.tzinfo is None else moment


@dataclass(frozen=True)
class RetentionStart:
    """When the retention starts counting, and from what (a key of :data:`BASIS_LABELS`)."""

    at: dt.datetime
    basis: Basis

    @property
    def label(self) -> str:
        return BASIS_LABELS[self.basis]


def retention_start(run_dir: str | os.PathLike[str]) -> RetentionStart | None:
    """When the run folder's retention starts (see the module docstring); None for a folder
    with nothing in it."""
    run = RunFolder(run_dir)
    events: list[RetentionStart] = []
    followup = _read(run.path("followup_manifest"))
    if isinstance(followup, dict) and (at := _moment(followup.get("exported_at"))):
        events.append(RetentionStart(at, "followup_exported_at"))
    manifest = _read(run.path("manifest_json"))
    if isinstance(manifest, dict):
        for key in ("planned_send_start", "created"):
            if at := _moment(manifest.get(key)):
                basis: Basis = (
                    "planned_send_start" if key == "planned_send_start" else ("manifest_created")
                )
                events.append(RetentionStart(at, basis))
    if events:
        return max(events, key=lambda e: e.at)
    times = [(run.root / p).lstat().st_mtime for p in _entries(run.root) if p != _RECORD]
    if not times:
        return None
    return RetentionStart(dt.datetime.fromtimestamp(max(times), TIME_ZONE), "newest_file")


# --------------------------------------------------------------------------- how long


@dataclass(frozen=True)
class Retention:
    """Days personal data is kept after :func:`retention_start`, and where that came from (in
    Swedish, e.g. "kampanjfilen params/x/campaign.yaml")."""

    days: int
    source: str


def folder_campaign(run_dir: str | os.PathLike[str]) -> str | None:
    """The campaign name the run folder's own records give (manifest, check, follow-up or
    purge record); None when none does."""
    run = RunFolder(run_dir)
    for key in ("manifest_json", "campaign_check_json", "followup_manifest", "purge_record"):
        data = _read(run.path(key))
        if isinstance(data, dict) and isinstance(data.get("campaign"), str):
            return data["campaign"]
    return None


def _executed_campaign_files(root: Path) -> list[str]:
    """The ``campaign_file`` parameters the executed notebooks ran with, newest first."""
    notebooks = [root / p for p in _entries(root) if p.endswith(".ipynb")]
    notebooks.sort(key=lambda p: p.lstat().st_mtime, reverse=True)
    found: list[str] = []
    for notebook in notebooks:
        data = _read(notebook)
        try:
            value = data["metadata"]["papermill"]["parameters"]["campaign_file"]
        except (TypeError, KeyError):
            continue
        if isinstance(value, str) and value and value not in found:
            found.append(value)
    return found


def folder_retention(run_dir: str | os.PathLike[str]) -> Retention:
    """The run folder's retention when no campaign file is given: the campaign file its
    executed notebooks ran with (if it still loads and names this folder's campaign), else the
    previous purge's, else the default."""
    root = Path(run_dir)
    name = folder_campaign(root)
    for given in _executed_campaign_files(root):
        # relative to where the command ran: here, or the folder above out/
        for path in dict.fromkeys((Path(given), root.parent.parent / given)):
            if not path.is_file():
                continue
            try:
                campaign = load_campaign(path)
            except (InkorgError, OSError):
                continue
            if name is None or campaign.name == name:
                return Retention(campaign.followup.retention_days, f"kampanjfilen {path}")
    record = _read(root / _RECORD)
    if isinstance(record, dict) and isinstance(record.get("retention_days"), int):
        return Retention(record["retention_days"], "förra gallringen")
    return Retention(DEFAULT_RETENTION_DAYS, "standard")


# --------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class PurgePlan:
    """What a purge of one run folder would do: the retention, when it has passed, the files
    to purge and those kept."""

    run_dir: Path
    campaign: str | None
    retention: Retention
    start: RetentionStart | None
    now: dt.datetime
    files: tuple[PurgeFile, ...] = ()
    kept: tuple[str, ...] = field(default=())

    @property
    def due_at(self) -> dt.datetime | None:
        """When the retention has passed (None: nothing to count from)."""
        if self.start is None:
            return None
        # days on the calendar, in Swedish local time (across a change to or from summer time)
        return self.start.at.astimezone(TIME_ZONE) + dt.timedelta(days=self.retention.days)

    @property
    def due(self) -> bool:
        """The retention has passed (personal data must go)."""
        return self.due_at is not None and self.now >= self.due_at

    def counts(self) -> dict[str, int]:
        """Files to purge by reason, and in all."""
        counts = {reason: 0 for reason in REASON_LABELS}
        for file in self.files:
            counts[file.reason] += 1
        return {**counts, "total": len(self.files)}


def plan_purge(
    run_dir: str | os.PathLike[str],
    *,
    retention: Retention | None = None,
    now: dt.datetime | None = None,
) -> PurgePlan:
    """What purging ``run_dir`` would do now (nothing is changed). ``retention``: the campaign's
    (default: :func:`folder_retention`)."""
    root = Path(run_dir)
    if root.is_symlink() or not root.is_dir():
        raise PurgeError(
            f"{root} är ingen körmapp (en mapp, inte en symbolisk länk); inget gallrades"
        )
    now = now or dt.datetime.now(TIME_ZONE)
    files, kept = classify(root)
    return PurgePlan(
        run_dir=root,
        campaign=folder_campaign(root),
        retention=retention or folder_retention(root),
        start=retention_start(root),
        now=now if now.tzinfo else now.replace(tzinfo=TIME_ZONE),
        files=tuple(files),
        kept=tuple(kept),
    )


#: The records that make a folder a run folder: each names its campaign (the purge deletes
#: every file it does not know, so a folder is taken for a run folder only on this evidence).
_RUN_RECORDS = (
    "manifest_json",
    "campaign_check_json",
    "target_funnel_json",
    "followup_manifest",
    "purge_record",
)


def is_run_folder(path: str | os.PathLike[str]) -> bool:
    """``path`` is a run folder the kit wrote: a real folder holding one of its records (the
    recipient manifest, the check, the funnel, the follow-up manifest, the purge record) as a
    JSON object."""
    root = Path(path)
    if root.is_symlink() or not root.is_dir():
        return False
    run = RunFolder(root)
    return any(isinstance(_read(run.path(key)), dict) for key in _RUN_RECORDS)


def find_run_folders(path: str | os.PathLike[str]) -> tuple[list[Path], list[Path]]:
    """The run folders at ``path`` (:func:`is_run_folder`): ``path`` itself when it is one,
    else the folders in it that are (``out/<campaign>/``); and the symbolic links skipped."""
    root = Path(path)
    if is_run_folder(root):
        return [root], []
    folders, links = [], []
    for child in sorted(root.iterdir()):
        if child.is_symlink():
            links.append(child)
        elif is_run_folder(child):
            folders.append(child)
    return folders, links


# --------------------------------------------------------------------------- the purge


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"


def _remove_empty_folders(root: Path, files: list[str]) -> None:
    """Remove the folders the purge emptied, deepest first (never the run folder)."""
    folders = {
        PurePosixPath(f).parents[i] for f in files for i in range(len(PurePosixPath(f).parents) - 1)
    }
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        path = root / folder
        try:
            if path.is_dir() and not path.is_symlink() and not any(path.iterdir()):
                path.rmdir()
        except OSError:
            continue


def purge(plan: PurgePlan, *, user: str | None = None) -> Path | None:
    """Delete the plan's files (mask those kept) if the retention has passed, record it in
    ``purge_record.json`` and stamp :func:`purge_note` into the kept reports; the record's
    path, or None when nothing was due or nothing was left to purge.

    Raises :class:`PurgeError` (after recording what was deleted) if a file could not be
    deleted."""
    if not plan.due or not plan.files:
        return None
    assert plan.start is not None  # due implies a start
    root = plan.run_dir
    deleted: list[PurgeFile] = []
    failed: list[str] = []
    for file in plan.files:
        path = root / file.path
        try:
            if file.reason == "masked":
                _mask_file(path)
                if not _holds_personnummer(path):
                    deleted.append(file)
                    continue
                file = PurgeFile(file.path, "found_personnummer")
            path.unlink()
        except FileNotFoundError:
            deleted.append(file)
        except OSError as error:
            failed.append(f"{file.shown} ({error.strerror or error})")
        else:
            deleted.append(file)
    _remove_empty_folders(root, [f.path for f in deleted if f.reason != "masked"])
    record_path = _record(plan, deleted, user or _user())
    note = purge_note(root)
    if note:
        stamp_reports(root, note)
    if failed:
        raise PurgeError(
            f"{root}: {len(failed)} fil(er) kunde inte tas bort: {', '.join(failed[:5])}. Resten"
            f" är gallrat och noterat i {record_path}; rätta behörigheterna och kör"
            " `inkorg-kit purge` igen"
        )
    return record_path


def _record(plan: PurgePlan, deleted: list[PurgeFile], user: str) -> Path:
    assert plan.start is not None
    previous = _read(plan.run_dir / _RECORD)
    purges = previous.get("purges", []) if isinstance(previous, dict) else []
    counts = {reason: 0 for reason in REASON_LABELS}
    for file in deleted:
        counts[file.reason] += 1
    entry = {
        "purged_at": plan.now.astimezone(TIME_ZONE).isoformat(timespec="seconds"),
        "purged_by": mask_in_text(user),
        "files": [f.shown for f in deleted if f.reason != "masked"],
        "masked": [f.shown for f in deleted if f.reason == "masked"],
        "counts": {**counts, "total": len(deleted)},
    }
    record = {
        "record_version": 1,
        "campaign": plan.campaign,
        "retention_days": plan.retention.days,
        "retention_from": mask_in_text(plan.retention.source),
        "counted_from": plan.start.at.isoformat(timespec="seconds"),
        "counted_from_what": plan.start.basis,
        "purges": [*purges, entry],
    }
    return save_json(plan.run_dir, "purge_record", record)


# --------------------------------------------------------------------------- the report


def _local(text: str) -> str:
    moment = _moment(text)
    return moment.astimezone(TIME_ZONE).strftime("%Y-%m-%d kl. %H:%M") if moment else text


def purge_note(run_dir: str | os.PathLike[str]) -> str | None:
    """One Swedish sentence for the orderer's report saying when the personal data behind it
    was purged; None when the run folder has no purge record."""
    path = Path(run_dir) / _RECORD
    if not path.is_file():
        return None
    record = load_json_file(path, "purge_record").model_dump()
    if not record["purges"]:
        return None
    last = record["purges"][-1]
    basis = BASIS_LABELS.get(record["counted_from_what"], record["counted_from_what"])
    return (
        f"Personuppgifterna bakom rapporten (målgruppen, mottagarfilerna, statusexporten och"
        f" uppföljningslistorna) gallrades {_local(last['purged_at'])}, när lagringstiden på"
        f" {record['retention_days']} dagar efter {basis} hade gått ut. Rapportens siffror finns"
        " kvar; listorna med personnummer finns inte längre."
    )


def stamp_reports(run_dir: str | os.PathLike[str], note: str) -> list[Path]:
    """Put ``note`` into every kept orderer's report in the run folder (at the top, under the
    title; a previous note is replaced); the reports changed.

    Why here and not when the report is made: the report is written by step 04 before the
    purge, and after it step 04 cannot run again (its inputs are gone)."""
    root = Path(run_dir)
    pattern = _glob(ARTEFACTS["report_html"].path)
    reports = [
        root / p
        for p in _entries(root)
        if _matches(p, pattern) or _matches(p, _REPORTS + "*/" + pattern)
    ]
    block = f'{_MARK_START}\n<p class="meta">{html.escape(note)}</p>\n{_MARK_END}\n'
    changed = []
    for report in reports:
        if report.is_symlink():
            continue
        text = _STAMP.sub("", report.read_text(encoding="utf-8"))
        if "</header>" in text:  # the report's template: under the title and its meta line
            at = text.index("</header>")
            text = text[:at] + block + text[at:]
        elif "<body>" in text:
            at = text.index("<body>") + len("<body>")
            text = text[:at] + "\n" + block + text[at:]
        else:
            continue
        write_private_text(report, text)
        changed.append(report)
    return changed
