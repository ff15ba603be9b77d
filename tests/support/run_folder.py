"""The one way tests build a run folder: artefact by artefact, as the steps leave it.

Why: tests used to write ``target_group.parquet``, the recipient files and the send plan by
hand, in several ways. Here every path comes from :class:`inkorg_kit.run.RunFolder` (the run
folder's contract) and the recipient files are written by the kit itself, so a test's run
folder is the one a step reads. The caller chooses the people; the builder writes them.

>>> builder = RunFolderBuilder(Path("/tmp/x/run"))
>>> builder.path("target_group").name, builder.path("archive").name
('target_group.parquet', 'blodtryck-solbacka-2027_recipients.7z')
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import polars as pl

from inkorg_kit import recipients
from inkorg_kit.run import RunFolder

__all__ = ["CAMPAIGN", "UNCHECKED", "RunFolderBuilder", "build_run_folder"]

#: the demo campaign's name (``params/demo/campaign.yaml``)
CAMPAIGN = "blodtryck-solbacka-2027"
#: why a test's recipient files carry no guideline check
UNCHECKED = "a test run folder"


class RunFolderBuilder:
    """A run folder at ``root`` for the campaign named ``campaign``, written step by step."""

    def __init__(self, root: Path, campaign: str = CAMPAIGN) -> None:
        self.folder = RunFolder(root, campaign)

    @property
    def root(self) -> Path:
        return self.folder.root

    def path(self, key: str, **fields: str) -> Path:
        """Where artefact ``key`` lives (see ``inkorg_kit.run.ARTEFACTS``)."""
        return self.folder.path(key, **fields)

    def _file(self, key: str) -> Path:
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def target_group(self, people: pl.DataFrame) -> RunFolderBuilder:
        """Step 01's target group: one row per person (``personnummer`` and any columns)."""
        people.write_parquet(self._file("target_group"))
        return self

    def target_funnel(self, funnel: Mapping[str, object]) -> RunFolderBuilder:
        """Step 01's funnel record (``rows_in``, ``target_group``, ``steps``)."""
        self._file("target_funnel_json").write_text(json.dumps(funnel), encoding="utf-8")
        return self

    def recipients(
        self,
        people: pl.DataFrame,
        *,
        pnr_column: str = "personnummer",
        unchecked_reason: str = UNCHECKED,
    ) -> RunFolderBuilder:
        """Step 02's import files and manifest for ``people``, written by the kit (no archive:
        that needs a password; tests of the archive write it themselves)."""
        parts = recipients.split(recipients.prepare(people, pnr_column=pnr_column))
        self.root.mkdir(parents=True, exist_ok=True)
        recipients.write(parts, self.root, self.folder.campaign, unchecked_reason=unchecked_reason)
        return self

    def send_plan(self, plan: pl.DataFrame) -> RunFolderBuilder:
        """Step 03's send plan (``file_name``, ``rows``, ``handler``, ``start``, ``end``)."""
        plan.write_csv(self._file("send_plan_csv"))
        return self


def build_run_folder(
    root: Path,
    people: pl.DataFrame,
    *,
    campaign: str = CAMPAIGN,
    target: bool = True,
    unchecked_reason: str = UNCHECKED,
) -> RunFolder:
    """A run folder as notebooks 01 and 02 leave it: the target group (unless ``target`` is
    false) and the recipient files of ``people``."""
    builder = RunFolderBuilder(root, campaign)
    if target:
        builder.target_group(people)
    builder.recipients(people, unchecked_reason=unchecked_reason)
    return builder.folder
