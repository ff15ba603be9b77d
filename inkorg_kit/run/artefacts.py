"""Every artefact of a run folder: its path, the step that writes it, its format and audience.

Why: before this table, ``target_group.parquet`` was spelt in four modules and ``send_plan.csv``
in three, and readers guessed. Paths may hold ``{campaign}`` (the campaign name) and
``{handler}`` (a handler's slug); a path ending in ``/`` is a folder.

Formats: artefacts that machines read between steps are Parquet, JSON or YAML; files that
people open are CSV (for Swedish Excel), Markdown, HTML, iCalendar, or the recipient files.

>>> ARTEFACTS["target_group"].path, ARTEFACTS["target_group"].step
('target_group.parquet', '01_target_group')
>>> sorted(a.key for a in ARTEFACTS.values() if a.holds_personnummer)[:3]
['archive', 'followup_dir', 'followup_letters_csv']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["ARTEFACTS", "STEP_NAMES", "Artefact", "StepContract"]

#: The steps, one notebook each, in order.
STEP_NAMES = (
    "00_campaign_check",
    "01_target_group",
    "02_recipient_files",
    "03_reach_and_send_plan",
    "04_read_rates_followup",
)

Format = Literal["parquet", "json", "yaml", "csv", "md", "html", "ics", "7z", "folder"]


@dataclass(frozen=True)
class Artefact:
    """One file (or folder) of a run folder."""

    key: str
    path: str  # relative to the run folder; may hold {campaign} and {handler}
    step: str  # the step that writes it ("" for inputs the kit does not write)
    format: Format
    holds_personnummer: bool
    description: str

    @property
    def is_folder(self) -> bool:
        return self.path.endswith("/")


@dataclass(frozen=True)
class StepContract:
    """What one step reads from and writes to the run folder (artefact keys).

    ``reads``: what the step needs (it stops when one is missing); ``optional_reads``: what it
    uses when present; ``writes``: what every successful run writes; ``optional_writes``: what
    it writes only in some cases (e.g. a new override). A folder artefact covers its contents.
    """

    step: str
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    optional_reads: tuple[str, ...] = ()
    optional_writes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.step not in STEP_NAMES:
            raise KeyError(f"unknown step {self.step!r}; steps: {', '.join(STEP_NAMES)}")
        keys = (*self.reads, *self.writes, *self.optional_reads, *self.optional_writes)
        unknown = [k for k in keys if k not in ARTEFACTS]
        if unknown:
            raise KeyError(f"{self.step}: unknown artefacts {unknown}; known: {sorted(ARTEFACTS)}")

    @property
    def all_reads(self) -> tuple[str, ...]:
        """Every artefact the step may read."""
        return (*self.reads, *self.optional_reads)

    @property
    def all_writes(self) -> tuple[str, ...]:
        """Every artefact the step may write."""
        return (*self.writes, *self.optional_writes)


_ALL = (
    # 00 campaign check
    Artefact(
        "campaign_check_json",
        "campaign_check.json",
        STEP_NAMES[0],
        "json",
        False,
        "the guideline check, for machines and for the manifest",
    ),
    Artefact(
        "campaign_check_md",
        "campaign_check.md",
        STEP_NAMES[0],
        "md",
        False,
        "the guideline check as a checklist for people",
    ),
    Artefact(
        "campaign_check_csv",
        "campaign_check.csv",
        STEP_NAMES[0],
        "csv",
        False,
        "the guideline check as a table for Excel",
    ),
    # 01 target group
    Artefact(
        "target_group",
        "target_group.parquet",
        STEP_NAMES[1],
        "parquet",
        True,
        "the target group: one row per person, with age band, sex and unit",
    ),
    Artefact(
        "target_funnel_json",
        "target_funnel.json",
        STEP_NAMES[1],
        "json",
        False,
        "the funnel from rows in to the target group, for later steps",
    ),
    Artefact(
        "target_funnel_csv",
        "target_funnel.csv",
        STEP_NAMES[1],
        "csv",
        False,
        "the funnel as a table for people",
    ),
    Artefact(
        "target_rejected_csv",
        "target_rejected.csv",
        STEP_NAMES[1],
        "csv",
        False,
        "rejected values (masked) with their first row: the analyst's fix list",
    ),
    # 02 recipient files
    Artefact(
        "recipients_dir",
        "recipients/",
        STEP_NAMES[2],
        "folder",
        True,
        "the import files (at most 250 personnummer each) and their manifest",
    ),
    Artefact(
        "manifest_json",
        "recipients/manifest.json",
        STEP_NAMES[2],
        "json",
        False,
        "the manifest: files, counts, hashes, the guideline check; written last",
    ),
    Artefact(
        "manifest_csv",
        "recipients/manifest.csv",
        STEP_NAMES[2],
        "csv",
        False,
        "the manifest as a table for the case handler",
    ),
    Artefact(
        "recipients_override",
        "recipients_override.json",
        STEP_NAMES[2],
        "json",
        False,
        "an override of guideline errors given to step 02, reused by re-runs",
    ),
    Artefact(
        "archive",
        "{campaign}_recipients.7z",
        STEP_NAMES[2],
        "7z",
        True,
        "the AES-256 encrypted 7z archive for the case handler",
    ),
    # 03 reach and send plan
    Artefact(
        "send_plan_csv",
        "send_plan.csv",
        STEP_NAMES[3],
        "csv",
        False,
        "when each file is sent, and by whom",
    ),
    Artefact(
        "send_plan_ics",
        "send_plan.ics",
        STEP_NAMES[3],
        "ics",
        False,
        "the send plan as a calendar for Outlook",
    ),
    Artefact(
        "send_plan_handler_ics",
        "send_plan_{handler}.ics",
        STEP_NAMES[3],
        "ics",
        False,
        "one handler's part of the send plan as a calendar",
    ),
    Artefact(
        "reach_summary_csv",
        "reach_summary.csv",
        STEP_NAMES[3],
        "csv",
        False,
        "expected reach with 5-95 % intervals",
    ),
    Artefact(
        "plan_choice_json",
        "plan_choice.json",
        STEP_NAMES[3],
        "json",
        False,
        "the follow-up strategy chosen and the scenario behind the plan, for step 04",
    ),
    # 04 follow-up (the status export is Personalverktyget's, put here by the analyst)
    Artefact(
        "status_export_dir",
        "status_export/",
        "",
        "folder",
        True,
        "Personalverktyget's status export: sent cases and failed sends",
    ),
    Artefact(
        "followup_dir",
        "followup/",
        STEP_NAMES[4],
        "folder",
        True,
        "follow-up lists as import files, one folder per list",
    ),
    Artefact(
        "followup_manifest",
        "followup/followup_manifest.json",
        STEP_NAMES[4],
        "json",
        False,
        "the follow-up lists: names, counts, files",
    ),
    Artefact(
        "followup_letters_csv",
        "followup/followup_letters.csv",
        STEP_NAMES[4],
        "csv",
        True,
        "residents to reach by letter or phone",
    ),
    Artefact(
        "fitted_reach",
        "fitted_reach.yaml",
        STEP_NAMES[4],
        "yaml",
        False,
        "reach parameters fitted to this campaign, for the next one",
    ),
    Artefact(
        "report_html",
        "{campaign}_uppfoljning.html",
        STEP_NAMES[4],
        "html",
        False,
        "the orderer's report: no personnummer, no small counts",
    ),
    # every step: the executed notebooks of `inkorg-kit run`
    Artefact(
        "notebooks_dir",
        "notebooks/",
        "",
        "folder",
        False,
        "executed notebooks of `inkorg-kit run`, masked",
    ),
    Artefact(
        "reports_dir",
        "reports/",
        "",
        "folder",
        False,
        "one dated folder per `inkorg-kit report` run: notebook 04 executed (masked), the report",
    ),
    # `inkorg-kit purge`, once the campaign's retention has passed (run/retention.py)
    Artefact(
        "purge_record",
        "purge_record.json",
        "",
        "json",
        False,
        "what was purged and when, by whom, and the retention counted; no personnummer",
    ),
)

#: Every artefact by key.
ARTEFACTS: dict[str, Artefact] = {a.key: a for a in _ALL}
