"""The one way tests build a run folder: artefact by artefact, as the steps leave it.

Why: tests used to write ``target_group.parquet``, the recipient files and the send plan by
hand, in several ways. Here every path comes from :class:`inkorg_kit.run.RunFolder` (the run
folder's contract) and the recipient files are written by the kit itself, so a test's run
folder is the one a step reads. The caller chooses the people; the builder writes them.

The scenarios at the end are the run folders several test modules share, each ready for the
step it is named after; they choose people from :mod:`support.people` and go through the
builder.

>>> builder = RunFolderBuilder(Path("/tmp/x/run"))
>>> builder.path("target_group").name, builder.path("archive").name
('target_group.parquet', 'blodtryck-solbacka-2027_recipients.7z')
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import polars as pl

from inkorg_kit import pnr, reach, recipients
from inkorg_kit.io.people_csv import write_people_csv
from inkorg_kit.run import RunFolder, save_frame, save_json

from .paths import DEMO_CAMPAIGN_NAME
from .people import (
    SEND_DAY,
    TWO_UNITS,
    as_target_group,
    panel_target_group,
    shuffled_adults,
    skatteverket_numbers,
)

__all__ = [
    "CAMPAIGN",
    "UNCHECKED",
    "RunFolderBuilder",
    "build_run_folder",
    "build_run_for_followup",
    "build_run_for_reach_plan",
    "build_run_for_recipient_files",
]

#: the demo campaign's name (``params/demo/campaign.yaml``)
CAMPAIGN = DEMO_CAMPAIGN_NAME
#: why a test's recipient files carry no guideline check
UNCHECKED = "a test run folder"
#: the units of :func:`build_run_for_followup`'s people
FOLLOWUP_UNITS = ("SE2321000032-VCSOLB", "SE2321000032-VCNORR")


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
        """Step 01's target group: one row per person (``personnummer`` and any of step 01's
        columns; the others filled in by :func:`as_target_group`)."""
        save_frame(self.folder, "target_group", as_target_group(people))
        return self

    def target_funnel(self, funnel: Mapping[str, object]) -> RunFolderBuilder:
        """Step 01's funnel record (``rows_in``, ``target_group``, ``steps``; the source, dates
        and notes filled in when not given)."""
        steps, remaining = [], funnel["rows_in"]
        for step in funnel["steps"]:  # type: ignore[attr-defined]
            remaining -= step["removed"]
            steps.append({"remaining": remaining, "note": None, **step})
        record = {
            "source": "a test extract",
            "reference_date": SEND_DAY,
            "age_date": SEND_DAY,
            "rows_in": funnel["rows_in"],
            "target_group": funnel["target_group"],
            "steps": steps,
            "notes": [],
        }
        save_json(self.folder, "target_funnel_json", {**record, **funnel, "steps": steps})
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
        write_people_csv(plan, self._file("send_plan_csv"))
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


# --------------------------------------------------------------------------- scenarios


def build_run_for_recipient_files(
    run_dir: Path, n: int = 300, *, funnel_group: int | None = None
) -> Path:
    """A run folder as notebook 01 leaves it, ready for step 02: ``n`` people (test numbers
    5000 onwards in file order, the two units of ``TWO_UNITS`` in turn) and a funnel of
    ``n + 700`` rows in. ``funnel_group`` sets the funnel's target group size when it should
    not match the file (a stale funnel). Returns ``run_dir``."""
    numbers = list(skatteverket_numbers()[5000 : 5000 + n])
    units = [TWO_UNITS[i % 2] for i in range(n)]
    people = pl.DataFrame({"personnummer": numbers, "unit_hsa_id": units})
    steps = [
        ("rows_in", "rader in", 0),
        ("rejected_bad_checksum", "ogiltigt personnummer: fel kontrollsiffra", 20),
        ("duplicate", "dubbletter", 180),
        ("age", "ålder 50–74 år", 500),
        ("opted_out", "har avböjt meddelanden", 0),
        ("target_group", "målgrupp", 0),
    ]
    funnel = {
        "rows_in": n + 700,
        "target_group": n if funnel_group is None else funnel_group,
        "steps": [{"step": a, "label": b, "removed": c} for a, b, c in steps],
    }
    RunFolderBuilder(run_dir).target_group(people).target_funnel(funnel)
    return run_dir


def build_run_for_reach_plan(run_dir: Path, campaign: str = CAMPAIGN) -> Path:
    """A run folder as notebooks 01 and 02 leave it, ready for step 03: the reach panel's
    target group (``support.people.panel_target_group``) and its recipient files. Returns
    ``run_dir``."""
    reason = "a test run folder for the reach panel"
    build_run_folder(run_dir, panel_target_group(), campaign=campaign, unchecked_reason=reason)
    return run_dir


def build_run_for_followup(
    run_dir: Path, n: int = 2000, *, seed: int = 1, target: bool = True
) -> pl.DataFrame:
    """A run folder as notebooks 01 and 02 leave it, ready for step 04: ``n`` shuffled adults
    (``seed``) with age, sex, age band and one of two units at random, as the target group
    (unless ``target`` is false) and the recipient files. Returns the people."""
    numbers = shuffled_adults(n, seed=seed)
    rng = np.random.default_rng(seed)
    frame = pl.DataFrame({"personnummer": numbers}).with_columns(
        pnr.age_at(pl.col("personnummer"), SEND_DAY).alias("age"),
        pnr.legal_sex(pl.col("personnummer")).alias("sex"),
        pl.Series("unit_hsa_id", rng.choice(FOLLOWUP_UNITS, n)),
    )
    frame = frame.with_columns(reach.age_band("age"))
    build_run_folder(run_dir, frame, campaign=CAMPAIGN, target=target)
    return frame
