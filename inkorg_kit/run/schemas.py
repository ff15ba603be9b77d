"""What each machine-readable artefact of a run folder holds: column names and dtypes for the
tables (Parquet, CSV), a pydantic model for the JSON files, the required keys of the YAML.

Why: a reader that guesses (``personnummer`` or ``pnr``? ``unit_hsa_id``, ``unit`` or
``enhet``? ``manifest.get("files", [])``) silently computes nonsense when a writer changes.
Here the layout of every artefact is written down once, as the writers produce it today, so
:mod:`inkorg_kit.run.io` can refuse a file that does not match and readers can rely on it.

The CSV schemas describe the file as stored (times stay ISO 8601 text, as the writer formats
them), with the dialect people's programs need (``;`` and a BOM for Swedish Excel).

>>> FRAME_SCHEMAS["target_group"].columns["age_band"]
Enum(categories=['0-15', '16-29', '30-44', '45-64', '65-74', '75-84', '85+'])
>>> FRAME_SCHEMAS["manifest_csv"].csv
CsvDialect(separator=';', bom=True, line_terminator='\\r\\n')
>>> sorted(JSON_MODELS)[:3]
['campaign_check_json', 'followup_manifest', 'manifest_json']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from inkorg_kit.vocab import AGE_BAND, SEX

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
    "TargetFunnelRecord",
]


@dataclass(frozen=True)
class CsvDialect:
    """How a CSV artefact is written: separator, a UTF-8 BOM (for Excel), line ending."""

    separator: str = ","
    bom: bool = False
    line_terminator: str = "\n"


@dataclass(frozen=True)
class FrameSchema:
    """A table artefact: its columns in order with their dtypes; ``csv`` is None for Parquet."""

    columns: pl.Schema
    csv: CsvDialect | None = None


_COMMA = CsvDialect()
_EXCEL = CsvDialect(separator=";", bom=True, line_terminator="\r\n")

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
        _COMMA,
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
        _COMMA,
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
        CsvDialect(bom=True),
    ),
    # the last row is the total ("TOTALT: <n> filer"), with only campaign, file_name and rows
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
        _EXCEL,
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
            }
        ),
        _COMMA,
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
        _COMMA,
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
        _EXCEL,
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


class ManifestRecord(_Document):
    """``recipients/manifest.json`` (step 02), and each follow-up list's manifest (step 04)."""

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
    not_yet_due: int
    lists: dict[str, FollowupListRecord]
    letters_csv: dict[str, Any]
    counts: list[dict[str, Any]]


#: JSON artefacts by key: the model a file must validate against.
JSON_MODELS: dict[str, type[BaseModel]] = {
    "campaign_check_json": CampaignCheckRecord,
    "target_funnel_json": TargetFunnelRecord,
    "manifest_json": ManifestRecord,
    "recipients_override": OverrideRecord,
    "followup_manifest": FollowupManifestRecord,
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
