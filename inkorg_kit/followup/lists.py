"""Follow-up lists: the residents to reach another way (paper letter, phone; seed 004), as
import files and a letter list.

Why: a kallelse that was not read must reach the resident some other way. Everyone not known
to have read goes on a list: the unread (and those of unknown status) after N working hours
of the campaign's send windows, every failed send, and everyone missing from the export (they
may never have got the message). The lists are written like recipient files (at most
:data:`~inkorg_kit.vocab.MAX_PART_SIZE` per file, with a manifest that
:func:`inkorg_kit.recipients.verify` checks), so the case handler can send again, and as a
CSV for letters and phone calls.

The lists follow the follow-up strategy (step 03's ``plan_choice.json``, else the campaign's
``followup.strategy``): ``letter`` as above; ``reminder`` adds the reminder list (1177 import
files): residents whose first message is unread R working hours after it and who have no
reminder yet; a resident who read the reminder is read, and the letter list is those still
unread N working hours after the first message; ``letter_first`` puts those whose send failed
for want of an active login on the letter list at once, flagged in their reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from inkorg_kit import recipients
from inkorg_kit._files import ensure_private_dir, write_private_text
from inkorg_kit.config.windows import SendWindows
from inkorg_kit.followup.codes import FAILURE_LABELS, OUTCOME_LABELS
from inkorg_kit.followup.reconcile import Outcomes
from inkorg_kit.hours.working import working_hours_between
from inkorg_kit.io.people_csv import write_people_csv
from inkorg_kit.run import RunFolder
from inkorg_kit.vocab import MAX_PART_SIZE

if TYPE_CHECKING:
    from inkorg_kit.config.campaign import Campaign

__all__ = [
    "DEFAULT_UNREAD_AFTER_WORKING_HOURS",
    "FAILED_LIST",
    "FOLLOWUP_KEYS",
    "NOT_IN_EXPORT_LIST",
    "FollowupLists",
    "followup_lists",
    "followup_reasons",
    "reminder_list_name",
    "unread_deadline",
    "unread_list_name",
    "write_followup_lists",
]

#: The list of failed sends, and of residents missing from the export (names and file stems).
FAILED_LIST = "failed"
NOT_IN_EXPORT_LIST = "not-in-export"
#: Why a resident is on a follow-up list, as codes (the counts the report shows).
FOLLOWUP_KEYS = (
    "unread",
    "unknown_closed",
    "unknown_other",
    "failed_no_login",
    "failed_locked",
    "failed_other",
    "not_in_export",
    "reminder_due",
)
#: The reason of a no-login failure on the letter list under strategy ``letter_first``.
LETTER_AT_ONCE = "brev direkt (strategi c)"
DEFAULT_UNREAD_AFTER_WORKING_HOURS = 24.0


def _hours_tag(hours: float) -> str:
    return f"{hours:g}".replace(".", "-")


def unread_list_name(hours: float) -> str:
    """The follow-up list's name (and file-name stem), e.g. ``unread-after-24h``.

    >>> unread_list_name(24), unread_list_name(3.5)
    ('unread-after-24h', 'unread-after-3-5h')
    """
    return f"unread-after-{_hours_tag(hours)}h"


def reminder_list_name(hours: float) -> str:
    """The reminder list's name (and file-name stem), e.g. ``reminder-after-9h``.

    >>> reminder_list_name(9)
    'reminder-after-9h'
    """
    return f"reminder-after-{_hours_tag(hours)}h"


def unread_deadline(
    campaign: Campaign | SendWindows | None = None, hours: float | None = None
) -> float:
    """Working hours after which an unread message goes on the follow-up list: ``hours`` when
    given and above 0, else the campaign's ``followup.unread_after_working_hours``, else 24."""
    if hours is not None and hours > 0:
        return float(hours)
    if hours is not None and hours < 0:
        raise ValueError(f"unread_after_working_hours must be 0 or more, got {hours}")
    value = getattr(getattr(campaign, "followup", None), "unread_after_working_hours", None)
    return float(value) if value else DEFAULT_UNREAD_AFTER_WORKING_HOURS


@dataclass(frozen=True)
class FollowupLists:
    """Residents to reach another way (``people`` holds personnummer; ``summary`` does not).

    ``people``: ``pnr``, ``list`` (the unread list's name, ``failed`` or ``not-in-export``),
    ``key`` (a :data:`FOLLOWUP_KEYS` code), ``reason`` (Swedish), ``sent_at``,
    ``working_hours`` (since the send, up to the export), ``file_name``, ``unit``.
    ``waiting``: unread and unknown residents sent less than ``after_working_hours`` ago (and,
    with a reminder, not yet due for it or already reminded). ``strategy`` is the follow-up
    strategy the lists follow; ``reminder_after_working_hours`` its R (strategy ``reminder``).
    """

    people: pl.DataFrame
    after_working_hours: float
    waiting: Mapping[str, int]
    exported_at: dt.datetime
    strategy: str = "letter"
    reminder_after_working_hours: float | None = None

    @property
    def list_names(self) -> list[str]:
        """The lists these lists write, in order: the letter list, the reminder list (strategy
        ``reminder``), failed sends, missing from the export."""
        names = [unread_list_name(self.after_working_hours)]
        if self.reminder_after_working_hours is not None:
            names.append(reminder_list_name(self.reminder_after_working_hours))
        return [*names, FAILED_LIST, NOT_IN_EXPORT_LIST]

    @property
    def not_yet_due(self) -> int:
        """Unread (or unknown) residents sent less than ``after_working_hours`` ago."""
        return int(sum(self.waiting.values()))

    def counts(self) -> dict[str, int]:
        """Residents per :data:`FOLLOWUP_KEYS` code, ``not_yet_due`` and its parts
        ``waiting_unread``/``waiting_unknown`` (for the report's small-number rules)."""
        found = dict(self.people.group_by("key").len().iter_rows())
        out = {key: int(found.get(key, 0)) for key in FOLLOWUP_KEYS}
        out["not_yet_due"] = self.not_yet_due
        out.update({f"waiting_{k}": int(v) for k, v in self.waiting.items()})
        return out

    def summary(self) -> pl.DataFrame:
        """Count per list and reason (no personnummer), with those not yet due."""
        labels = followup_reasons(self.after_working_hours, self.reminder_after_working_hours)
        counts = self.counts()
        lists = dict(self.people.select("key", "list").unique().iter_rows())
        rows = [
            (
                key,
                lists.get(
                    key,
                    _default_list(key, self.after_working_hours, self.reminder_after_working_hours),
                ),
                labels[key],
            )
            for key in FOLLOWUP_KEYS
            if counts[key]
        ]
        rows.append(("not_yet_due", "(ej ännu)", labels["not_yet_due"]))
        return pl.DataFrame(
            {
                "key": [r[0] for r in rows],
                "list": [r[1] for r in rows],
                "reason": [r[2] for r in rows],
                "count": [counts[r[0]] for r in rows],
            },
            schema={"key": pl.String, "list": pl.String, "reason": pl.String, "count": pl.Int64},
        )


def _default_list(key: str, hours: float, reminder_hours: float | None = None) -> str:
    if key == "reminder_due":
        return reminder_list_name(reminder_hours or 0)
    if key.startswith("failed_"):
        return FAILED_LIST
    if key == "not_in_export":
        return NOT_IN_EXPORT_LIST
    return unread_list_name(hours)


def followup_reasons(hours: float, reminder_hours: float | None = None) -> dict[str, str]:
    """The Swedish reason of each :data:`FOLLOWUP_KEYS` code (and ``not_yet_due``)."""
    after = f"{hours:g}"
    remind = f" efter {reminder_hours:g} arbetstimmar" if reminder_hours else ""
    return {
        "reminder_due": f"Oläst{remind}: påminnelse i 1177",
        "unread": f"Oläst efter {after} arbetstimmar",
        "unknown_closed": f"Okänd lässtatus efter {after} arbetstimmar (stängt ärende)",
        "unknown_other": "Okänd lässtatus (felaktig rad i statusexporten)",
        "failed_no_login": FAILURE_LABELS["no_login"],
        "failed_locked": FAILURE_LABELS["locked"],
        "failed_other": FAILURE_LABELS["other"],
        "not_in_export": OUTCOME_LABELS["not_in_export"],
        "not_yet_due": f"Oläst, skickat för mindre än {after} arbetstimmar sedan",
    }


def followup_lists(
    outcomes: Outcomes,
    windows: Campaign | SendWindows | None = None,
    *,
    unread_after_working_hours: float | None = None,
    strategy: str = "letter",
    reminder_after_working_hours: float | None = None,
) -> FollowupLists:
    """Campaign residents to reach another way: unread after N working hours (working hours
    of the campaign's send windows, :func:`inkorg_kit.hours.working.working_hours_between`, up
    to the export), cases of unknown read status alike, every failed send, and every resident
    missing from the export (they may never have got the message).

    ``windows``: the campaign (its send windows, and its
    ``followup.unread_after_working_hours`` when ``unread_after_working_hours`` is None) or
    :class:`~inkorg_kit.config.windows.SendWindows`. An unread case without a sent time (a row
    with a problem) cannot be timed, so it is due at once: the safe side.

    ``strategy`` (see the module): ``reminder`` needs ``reminder_after_working_hours`` (R,
    below N) and outcomes reconciled with it (:func:`~inkorg_kit.followup.reconcile` with the
    same R), so a reminded resident who read the reminder is read.
    """
    if strategy not in ("letter", "reminder", "letter_first"):
        raise ValueError(f"strategy={strategy!r}: choose letter, reminder or letter_first")
    remind_hours: float | None = None
    if strategy == "reminder":
        if reminder_after_working_hours is None or not reminder_after_working_hours > 0:
            raise ValueError(
                "strategy 'reminder' needs reminder_after_working_hours (R) above 0, "
                f"got {reminder_after_working_hours!r}"
            )
        remind_hours = float(reminder_after_working_hours)
    if unread_after_working_hours is None:
        hours = unread_deadline(windows)
    elif unread_after_working_hours < 0:
        raise ValueError(
            f"unread_after_working_hours must be 0 or more, got {unread_after_working_hours}"
        )
    else:
        hours = float(unread_after_working_hours)
    send_windows = SendWindows() if windows is None else getattr(windows, "send_windows", windows)
    people = outcomes.people.filter(pl.col("in_campaign"))
    open_ = people.filter(pl.col("outcome").is_in(["unread", "unknown"]))
    worked = working_hours_between(open_["sent_at"], outcomes.exported_at, send_windows)
    open_ = open_.with_columns(pl.Series("working_hours", worked, dtype=pl.Float64))
    due = pl.col("working_hours").is_null() | (pl.col("working_hours") >= hours)
    name = unread_list_name(hours)
    labels = followup_reasons(hours, remind_hours)
    if remind_hours is not None:
        if remind_hours >= hours:
            raise ValueError(
                f"reminder_after_working_hours ({remind_hours:g}) must be below the letter's "
                f"{hours:g} working hours: the reminder comes first"
            )
        reminded = (
            pl.col("reminder_sent_at").is_not_null()
            if "reminder_sent_at" in open_.columns
            else pl.lit(False)
        )
        remind_due = ~due & (pl.col("working_hours") >= remind_hours) & ~reminded
    else:
        remind_due = pl.lit(False)
    to_remind = open_.filter(remind_due).select(
        "pnr",
        pl.lit(reminder_list_name(remind_hours or 0)).alias("list"),
        pl.lit("reminder_due").alias("key"),
        pl.lit(labels["reminder_due"]).alias("reason"),
        "sent_at",
        "working_hours",
        "file_name",
        "unit",
    )
    key = (
        pl.when(pl.col("outcome") == "unread")
        .then(pl.lit("unread"))
        .when(pl.col("closed") & pl.col("problem").is_null())
        .then(pl.lit("unknown_closed"))
        .otherwise(pl.lit("unknown_other"))
    )
    unread = (
        open_.filter(due)
        .with_columns(key.alias("key"))
        .select(
            "pnr",
            pl.lit(name).alias("list"),
            "key",
            pl.when(pl.col("working_hours").is_null())
            .then(
                pl.when(pl.col("key") == "unread")
                .then(pl.lit("Oläst (skickat okänd tid: felaktig rad i statusexporten)"))
                .otherwise(pl.lit(labels["unknown_other"]))
            )
            .otherwise(pl.col("key").replace_strict(labels, default=None))
            .alias("reason"),
            "sent_at",
            "working_hours",
            "file_name",
            "unit",
        )
    )
    waiting = open_.filter(~due & ~remind_due)
    at_once = (pl.col("failure") == "no_login").fill_null(False) & (strategy == "letter_first")
    reason = (
        pl.col("failure")
        .cast(pl.String)
        .replace_strict(FAILURE_LABELS, default=FAILURE_LABELS["other"])
    )
    failed = people.filter(pl.col("outcome") == "failed").select(
        "pnr",
        pl.when(at_once).then(pl.lit(name)).otherwise(pl.lit(FAILED_LIST)).alias("list"),
        pl.concat_str(
            pl.lit("failed_"), pl.col("failure").cast(pl.String).fill_null("other")
        ).alias("key"),
        pl.when(at_once)
        .then(pl.concat_str(reason, pl.lit(f": {LETTER_AT_ONCE}")))
        .otherwise(reason)
        .alias("reason"),
        "sent_at",
        pl.lit(None, pl.Float64).alias("working_hours"),
        "file_name",
        "unit",
    )
    missing = people.filter(pl.col("outcome") == "not_in_export").select(
        "pnr",
        pl.lit(NOT_IN_EXPORT_LIST).alias("list"),
        pl.lit("not_in_export").alias("key"),
        pl.lit(labels["not_in_export"]).alias("reason"),
        "sent_at",
        pl.lit(None, pl.Float64).alias("working_hours"),
        "file_name",
        "unit",
    )
    return FollowupLists(
        people=pl.concat([unread, to_remind, failed, missing]).sort("list", "pnr"),
        after_working_hours=float(hours),
        waiting={
            "unread": int((waiting["outcome"] == "unread").sum()),
            "unknown": int((waiting["outcome"] == "unknown").sum()),
        },
        exported_at=outcomes.exported_at,
        strategy=strategy,
        reminder_after_working_hours=remind_hours,
    )


def _remove_list(folder: Path, name: str) -> None:
    """Remove a list's import files and manifest (and nothing else we did not write)."""
    written = RunFolder(folder / name)  # a list is written like a run's recipient files
    inner = written.path("recipients_dir")
    if not inner.is_dir():
        return
    manifests = [written.path("manifest_json"), written.path("manifest_csv")]
    for path in [*manifests, *inner.glob(f"{name}_*.txt")]:
        path.unlink(missing_ok=True)
    for empty in (inner, inner.parent):
        if empty.is_dir() and not any(empty.iterdir()):
            shutil.rmtree(empty)


def write_followup_lists(
    lists: FollowupLists, run_dir: str | os.PathLike[str], *, campaign: str | None = None
) -> dict[str, Any]:
    """Write the follow-up lists into ``<run_dir>/followup/``; returns the manifest written.

    Each list (``unread-after-<N>h``, ``failed``, ``not-in-export``) is written by
    :func:`inkorg_kit.recipients.write` into ``followup/<list>/recipients/`` as import files of
    at most 250 (``<list>_001-of-00k.txt``, one ``YYYYMMDD-NNNN`` per line, CRLF) with its own
    manifest, so :func:`inkorg_kit.recipients.verify` checks them like recipient files. For
    letters and phone calls, ``followup_letters.csv`` (``;``, UTF-8 with BOM for Excel) lists
    personnummer, list, reason, sent time, file and unit. ``followup_manifest.json`` (counts,
    files, hashes; no personnummer) is written last. All atomic, mode 0600. Lists of an
    earlier run that are not written now are removed, so only current lists remain.
    """
    root = Path(run_dir)
    run = RunFolder(root)
    folder = ensure_private_dir(run.path("followup_dir"), tighten=True)
    manifest_path = run.path("followup_manifest")
    letters_path = run.path("followup_letters_csv")
    manifest_path.unlink(missing_ok=True)
    created = lists.exported_at.isoformat()
    current = lists.list_names
    for stale in [*folder.glob("unread-after-*h"), *folder.glob("reminder-after-*h")]:
        if stale.name not in current:
            _remove_list(folder, stale.name)
    written: dict[str, Any] = {}
    for name in current:
        part = lists.people.filter(pl.col("list") == name)
        if part.height == 0:
            _remove_list(folder, name)
            written[name] = {"rows": 0, "files": []}
            continue
        parts = recipients.split(
            part.select("pnr", pl.lit("ok").alias("status")), part_size=MAX_PART_SIZE, balance=True
        )
        delivery = recipients.write(
            parts,
            folder / name,
            name,
            created=created,
            unchecked_reason=f"follow-up list of campaign {campaign or '(unnamed)'}, whose"
            " recipient files were checked against the guidelines when they were written",
        )
        written[name] = {
            "rows": part.height,
            "folder": str(delivery.folder.relative_to(root)),
            "files": [
                {"file_name": f["file_name"], "rows": f["rows"], "sha256": f["sha256"]}
                for f in delivery.manifest["files"]
            ],
        }
    # the reminder list goes out in 1177 (its import files); letters and calls are the rest
    letters = lists.people.filter(pl.col("key") != "reminder_due").select(
        pl.col("pnr").alias("personnummer"),
        pl.col("list").alias("lista"),
        pl.col("reason").alias("orsak"),
        pl.col("sent_at")
        .dt.convert_time_zone(str(lists.exported_at.tzinfo))
        .dt.strftime("%Y-%m-%d %H:%M")
        .alias("skickat"),
        pl.col("file_name").alias("fil"),
        pl.col("unit").alias("enhet"),
    )
    data = write_people_csv(letters, letters_path).read_bytes()
    manifest = {
        "campaign": campaign,
        "exported_at": created,
        "unread_after_working_hours": lists.after_working_hours,
        "strategy": lists.strategy,
        "reminder_after_working_hours": lists.reminder_after_working_hours,
        "not_yet_due": lists.not_yet_due,
        "lists": written,
        "letters_csv": {
            "file_name": letters_path.name,
            "rows": letters.height,
            "sha256": hashlib.sha256(data).hexdigest(),
        },
        "counts": lists.summary().to_dicts(),
    }
    write_private_text(manifest_path, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    return manifest
