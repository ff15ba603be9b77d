"""What each machine-readable artefact of a run folder holds: column names and dtypes for the
tables (Parquet, CSV), a pydantic model for the JSON files, the required keys of the YAML.

Why: a reader that guesses (``personnummer`` or ``pnr``? ``unit_hsa_id``, ``unit`` or
``enhet``? ``manifest.get("files", [])``) silently computes nonsense when a writer changes.
Here the layout of every artefact is written down once, as the writers produce it today, so
:mod:`inkorg_kit.run.io` can refuse a file that does not match and readers can rely on it.

The CSV schemas describe the file as stored (times stay ISO 8601 text, as the writer formats
them). Every CSV is for people and has the one dialect Swedish Excel opens by double-click
(:mod:`inkorg_kit.io.people_csv`: ``;``, a BOM, CRLF, decimal comma, data rows only).

>>> FRAME_SCHEMAS["target_group"].columns["age_band"]
Enum(categories=['0-15', '16-29', '30-44', '45-64', '65-74', '75-84', '85+'])
>>> FRAME_SCHEMAS["manifest_csv"].csv
CsvDialect(separator=';', bom=True, line_terminator='\\r\\n')
>>> sorted(JSON_MODELS)[:3]
['campaign_check_json', 'followup_manifest', 'manifest_json']
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, model_validator

from inkorg_kit.io.people_csv import (
    PEOPLE_CSV_BOM,
    PEOPLE_CSV_LINE_TERMINATOR,
    PEOPLE_CSV_SEPARATOR,
)
from inkorg_kit.run.artefacts import ARTEFACTS
from inkorg_kit.vocab import AGE_BAND, NAME_RE, SEX

__all__ = [
    "FRAME_SCHEMAS",
    "JSON_MODELS",
    "YAML_KEYS",
    "CampaignCheckRecord",
    "CheckFindingRecord",
    "CsvDialect",
    "FollowupListRecord",
    "FollowupManifestRecord",
    "FrameSchema",
    "FunnelStepRecord",
    "ManifestFileRecord",
    "ManifestRecord",
    "OverrideRecord",
    "PlanChoiceRecord",
    "PurgeEntry",
    "PurgeRecord",
    "TargetFunnelRecord",
    "manifest_problem",
]


@dataclass(frozen=True)
class CsvDialect:
    """How a CSV artefact is written: separator, a UTF-8 BOM (for Excel), line ending; the
    defaults are the one dialect of every CSV for people (:mod:`inkorg_kit.io.people_csv`)."""

    separator: str = PEOPLE_CSV_SEPARATOR
    bom: bool = PEOPLE_CSV_BOM
    line_terminator: str = PEOPLE_CSV_LINE_TERMINATOR


@dataclass(frozen=True)
class FrameSchema:
    """A table artefact: its columns in order with their dtypes; ``csv`` is None for Parquet."""

    columns: pl.Schema
    csv: CsvDialect | None = None


#: The one dialect of every CSV artefact (all are for people, opened in Swedish Excel).
_PEOPLE = CsvDialect()

#: Tables by artefact key.
FRAME_SCHEMAS: dict[str, FrameSchema] = {
    "target_group": FrameSchema(
        pl.Schema(
            {
                "personnummer": pl.String,
                "kind": pl.String,
                "age": pl.Int32,
                "age_band": AGE_BAND,
                "sex": SEX,
                "unit_hsa_id": pl.String,
                "last_contact": pl.Date,
                "contacts": pl.Int64,
                "first_row": pl.Int64,
            }
        )
    ),
    "target_funnel_csv": FrameSchema(
        pl.Schema(
            {
                "step": pl.String,
                "label": pl.String,
                "removed": pl.Int64,
                "remaining": pl.Int64,
                "note": pl.String,
            }
        ),
        _PEOPLE,
    ),
    "target_rejected_csv": FrameSchema(
        pl.Schema(
            {
                "first_row": pl.Int64,
                "rows": pl.Int64,
                "reason": pl.String,
                "value_masked": pl.String,
            }
        ),
        _PEOPLE,
    ),
    "campaign_check_csv": FrameSchema(
        pl.Schema(
            {
                "check": pl.String,
                "label": pl.String,
                "severity": pl.String,
                "passed": pl.Boolean,
                "status": pl.String,
                "message": pl.String,
                "seed": pl.String,
                "document": pl.String,
                "quote": pl.String,
            }
        ),
        _PEOPLE,
    ),
    # one row per import file; the totals are in manifest.json
    "manifest_csv": FrameSchema(
        pl.Schema(
            {
                "campaign": pl.String,
                "file_name": pl.String,
                "group": pl.String,
                "part": pl.Int64,
                "part_count": pl.Int64,
                "rows": pl.Int64,
                "sha256": pl.String,
                "first_pnr": pl.String,
                "last_pnr": pl.String,
            }
        ),
        _PEOPLE,
    ),
    # start and end: ISO 8601 with the offset, 2027-03-16T09:00:00+01:00
    "send_plan_csv": FrameSchema(
        pl.Schema(
            {
                "file_name": pl.String,
                "rows": pl.Int64,
                "handler": pl.String,
                "start": pl.String,
                "end": pl.String,
                "part": pl.Int64,
                "part_count": pl.Int64,
                "group": pl.String,
                # första | påminnelse; a reminder file's due time (ISO) and first-wave files
                "wave": pl.String,
                "due": pl.String,
                "covers": pl.String,
            }
        ),
        _PEOPLE,
    ),
    "reach_summary_csv": FrameSchema(
        pl.Schema(
            {
                "measure": pl.String,
                "label": pl.String,
                "expected": pl.Float64,
                "low": pl.Float64,
                "high": pl.Float64,
                "share": pl.Float64,
            }
        ),
        _PEOPLE,
    ),
    # skickat: local time, YYYY-MM-DD HH:MM
    "followup_letters_csv": FrameSchema(
        pl.Schema(
            {
                "personnummer": pl.String,
                "lista": pl.String,
                "orsak": pl.String,
                "skickat": pl.String,
                "fil": pl.String,
                "enhet": pl.String,
            }
        ),
        _PEOPLE,
    ),
}


class _Document(BaseModel):
    """A whole JSON artefact: every top-level key is known, so a misspelt one is refused."""

    model_config = ConfigDict(extra="forbid")


class _Part(BaseModel):
    """A record inside an artefact: the keys readers use are typed, more are allowed."""

    model_config = ConfigDict(extra="allow")


class OverrideRecord(_Part):
    """A written decision to go ahead despite guideline errors (``Override.to_dict``)."""

    campaign: str
    reason: str
    errors: list[str]
    messages: list[str] = []
    overridden_at: str = Field(description="ISO 8601 time of the decision")


class CheckFindingRecord(_Part):
    """One guideline check and its outcome, with the guideline it comes from."""

    check: str
    label: str
    severity: str
    passed: bool
    status: str
    message: str
    seed: str
    document: str
    quote: str


class CampaignCheckRecord(_Document):
    """``campaign_check.json`` (step 00)."""

    campaign: str
    title: str
    checked_at: str
    ok: bool
    counts: dict[str, int]
    override: OverrideRecord | None
    findings: list[CheckFindingRecord]


class FunnelStepRecord(_Part):
    """One step of the target funnel: how many it removed and how many remain."""

    step: str
    label: str
    removed: int
    remaining: int
    note: str | None


class TargetFunnelRecord(_Document):
    """``target_funnel.json`` (step 01): from rows in to the target group."""

    source: str
    reference_date: str = Field(description="YYYY-MM-DD the group is for")
    age_date: str = Field(description="YYYY-MM-DD the ages are counted on")
    rows_in: int
    target_group: int
    steps: list[FunnelStepRecord]
    notes: list[str]


class ManifestFileRecord(_Part):
    """One import file of a manifest: name, place in the split, rows, hash, masked ends."""

    file_name: str
    group: str | None
    part: int
    part_count: int
    rows: int
    sha256: str
    first_pnr: str
    last_pnr: str


_SHA256_RE = re.compile(r"[0-9a-f]{64}")
_RECIPIENT_DIR = ARTEFACTS["recipients_dir"].path.rstrip("/")
_MANIFEST_FILES = {
    PurePosixPath(ARTEFACTS[key].path).name for key in ("manifest_json", "manifest_csv")
}


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def manifest_problem(manifest: object) -> str | None:
    """What makes a manifest unusable, in words (entry and field); None when it can be used.

    Why: a manifest names the files that are read, packed and sent, so what its entries must
    be (a plain file name in the recipients folder, listed once; whole counts; a SHA-256) is
    said here, once: :class:`ManifestRecord` refuses a manifest with these words, and the
    verification reports them as a finding instead of raising.
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
            or name in (".", "..", *_MANIFEST_FILES)
        ):
            folder = _RECIPIENT_DIR
            return f"{where}.file_name is {name!r}, expected the name of a file in {folder}/"
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


class ManifestRecord(_Document):
    """``recipients/manifest.json`` (step 02), and each follow-up list's manifest (step 04).

    Checked first as a whole by :func:`manifest_problem` (its words name the entry and field),
    then key by key.
    """

    @model_validator(mode="before")
    @classmethod
    def usable_as_a_whole(cls, data: Any) -> Any:
        problem = manifest_problem(data)
        if problem is not None:
            raise ValueError(problem)
        return data

    manifest_version: int
    campaign: str
    created: str | None
    planned_send_start: str | None
    format: dict[str, Any]
    split: dict[str, Any]
    totals: dict[str, int]
    source_summary: dict[str, Any]
    campaign_check: dict[str, Any] | None
    override: OverrideRecord | None
    unchecked_reason: str | None
    files: list[ManifestFileRecord]


class FollowupListRecord(_Part):
    """One follow-up list: people, the folder of its import files (none when empty), files."""

    rows: int
    folder: str | None = None
    files: list[dict[str, Any]]


class FollowupManifestRecord(_Document):
    """``followup/followup_manifest.json`` (step 04): lists, counts, files; no personnummer."""

    campaign: str | None
    exported_at: str
    unread_after_working_hours: float
    strategy: str = Field("letter", description="the follow-up strategy the lists follow")
    reminder_after_working_hours: float | None = Field(
        None, description="R of strategy reminder: the reminder list's working hours"
    )
    not_yet_due: int
    lists: dict[str, FollowupListRecord]
    letters_csv: dict[str, Any]
    counts: list[dict[str, Any]]


class PlanChoiceRecord(_Document):
    """``plan_choice.json`` (step 03): the follow-up strategy chosen and the scenario behind the
    send plan, so step 04 follows it; aggregates only, no personnummer.

    ``chosen`` holds the strategy comparison's numbers for the chosen strategy (measure code ->
    ``{expected, low, high}``), empty until the comparison can be computed.
    """

    record_version: int
    campaign: str
    saved_at: str = Field(description="ISO 8601 time the plan was saved")
    strategy: str = Field(description="letter | reminder | letter_first")
    unread_after_working_hours: float = Field(description="N: letter after N working hours")
    reminder_after_working_hours: float | None = Field(
        description="R: 1177 reminder after R working hours (strategy reminder)"
    )
    assumptions_source: str
    overrides: dict[str, dict[str, float]] = Field(
        description="slider changes: login_share / notification_share by age band"
    )
    window_hours: list[str] | None = Field(description="changed send-window hours, HH:MM")
    costs: dict[str, float] = Field(description="the costs used, SEK (and days)")
    handlers: list[str]
    minutes_per_file: float
    max_messages_per_day: int | None
    earliest_start: str
    draws: int
    seed: int | None
    part_size: int
    reminder_share: float | None = Field(
        description="share of each first-wave file planned for the reminder wave (upper bound)"
    )
    plan: dict[str, Any] = Field(description="files and messages per wave, first and last send")
    chosen: dict[str, dict[str, float | None]]


class PurgeEntry(_Part):
    """One purge: when, by whom, the files deleted (relative paths) and how many by kind."""

    purged_at: str = Field(description="ISO 8601 time of the purge")
    purged_by: str = Field(description="the user who ran `inkorg-kit purge`")
    files: list[str] = Field(description="the files deleted")
    masked: list[str] = Field([], description="kept files whose personnummer were masked")
    counts: dict[str, int]


class PurgeRecord(_Document):
    """``purge_record.json`` (``inkorg-kit purge``): the retention it counted and every purge,
    oldest first; no personnummer."""

    record_version: int
    campaign: str | None
    retention_days: int
    retention_from: str = Field(description="the retention's source, e.g. the campaign file")
    counted_from: str = Field(description="ISO 8601 time the retention is counted from")
    counted_from_what: str = Field(description="followup_exported_at, planned_send_start, …")
    purges: list[PurgeEntry]


#: JSON artefacts by key: the model a file must validate against.
JSON_MODELS: dict[str, type[BaseModel]] = {
    "campaign_check_json": CampaignCheckRecord,
    "target_funnel_json": TargetFunnelRecord,
    "manifest_json": ManifestRecord,
    "recipients_override": OverrideRecord,
    "followup_manifest": FollowupManifestRecord,
    "plan_choice_json": PlanChoiceRecord,
    "purge_record": PurgeRecord,
}

#: YAML artefacts by key: the top-level keys a file must have (the reach assumptions' own
#: model checks the values when the file is loaded as assumptions).
YAML_KEYS: dict[str, tuple[str, ...]] = {
    "fitted_reach": (
        "format_version",
        "description",
        "fitted_from",
        "follow_up_after_hours",
        "bands",
        "time_to_read",
    ),
}
