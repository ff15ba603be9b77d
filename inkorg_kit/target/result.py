"""The result of a selection: the target group, its funnel, and the rejected values.

Why apart from the selection: the notebook, the charts and later steps use the result (its
counts, its Swedish summary, the files it writes) without caring how it was computed. The
files go where the run-folder contract says (:mod:`inkorg_kit.run`: ``target_group``,
``target_funnel_csv``, ``target_funnel_json``, ``target_rejected_csv``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from inkorg_kit._files import atomic_private_path, ensure_private_dir, write_private_text
from inkorg_kit.io.people_csv import write_people_csv
from inkorg_kit.run import RunFolder
from inkorg_kit.vocab import AGE_BAND, SEX, whole_number

__all__ = ["FUNNEL_COLUMNS", "GROUP_COLUMNS", "TargetResult"]

FUNNEL_COLUMNS = ("step", "label", "removed", "remaining", "note")
GROUP_COLUMNS = (
    "personnummer",
    "kind",
    "age",
    "age_band",
    "sex",
    "unit_hsa_id",
    "last_contact",
    "contacts",
    "first_row",
)


@dataclass
class TargetResult:
    """The target group (one row per person) and the funnel that explains it.

    ``group`` columns: :data:`GROUP_COLUMNS` (``personnummer`` normalised ``YYYYMMDD-NNNN``;
    ``age`` at the age date; ``age_band`` as :data:`inkorg_kit.vocab.AGE_BANDS`; ``sex`` F/M;
    ``unit_hsa_id`` and ``last_contact`` of the latest counted contact; ``contacts`` rows in
    the extract; ``first_row`` the row where the person first appears, numbered as Excel or a
    text editor shows the file: header on row 1, the first data row is 2, title rows count).
    ``funnel`` columns: :data:`FUNNEL_COLUMNS`. ``rejected`` lists each distinct rejected
    value, masked, with its reason, row count and first row, so the analyst can find it.
    """

    group: pl.DataFrame
    funnel: pl.DataFrame
    rejected: pl.DataFrame
    reference_date: dt.date
    age_date: dt.date
    source: str
    notes: list[str] = field(default_factory=list)

    @property
    def rows_in(self) -> int:
        return int(self.funnel["remaining"][0])

    def by_age_sex(self) -> pl.DataFrame:
        """People per age band and sex (every combination, zeros included): chart data."""
        grid = pl.DataFrame({"age_band": AGE_BAND.categories}).join(
            pl.DataFrame({"sex": SEX.categories}), how="cross"
        )
        counts = self.group.group_by(
            pl.col("age_band").cast(pl.String), pl.col("sex").cast(pl.String)
        ).agg(n=pl.len())
        return (
            grid.join(counts, on=["age_band", "sex"], how="left")
            .with_columns(pl.col("n").fill_null(0).cast(pl.Int64))
            .with_columns(pl.col("age_band").cast(AGE_BAND), pl.col("sex").cast(SEX))
        )

    def summary(self) -> str:
        """One Swedish sentence for the notebook."""
        rejected = int(
            self.funnel.filter(pl.col("step").str.starts_with("rejected_"))["removed"].sum()
        )
        n = whole_number
        return (
            f"{n(self.rows_in)} rader in, {n(rejected)} med ogiltigt personnummer; "
            f"målgruppen är {n(self.group.height)} personer "
            f"(ålder räknad {self.age_date}, kontakter räknade till {self.reference_date})."
        )

    def funnel_record(self) -> dict[str, Any]:
        """The funnel as JSON-ready data: counts, labels and notes only (no personnummer)."""
        return {
            "source": self.source,
            "reference_date": self.reference_date.isoformat(),
            "age_date": self.age_date.isoformat(),
            "rows_in": self.rows_in,
            "target_group": self.group.height,
            "steps": self.funnel.to_dicts(),
            "notes": list(self.notes),
        }

    def write(self, run_dir: str | os.PathLike[str]) -> dict[str, Path]:
        """Write ``target_group.parquet``, ``target_funnel.csv`` and ``.json``, and
        ``target_rejected.csv`` (each distinct rejected value, masked, with its reason, row
        count and first row, numbered as Excel or a text editor shows the extract: the
        analyst's list of what to fix in the source).

        All are written atomically with owner-only permissions (the funnel holds counts only,
        but it sits in a folder of sensitive files). Returns the paths under the keys
        ``target_group``, ``funnel_csv``, ``funnel_json`` and ``rejected_csv``.
        """
        run = RunFolder(ensure_private_dir(run_dir, tighten=True))
        paths = {
            "target_group": run.path("target_group"),
            "funnel_csv": run.path("target_funnel_csv"),
            "funnel_json": run.path("target_funnel_json"),
            "rejected_csv": run.path("target_rejected_csv"),
        }
        with atomic_private_path(paths["target_group"]) as tmp:
            self.group.write_parquet(tmp)
        write_people_csv(self.funnel, paths["funnel_csv"])
        write_people_csv(self.rejected, paths["rejected_csv"])
        write_private_text(
            paths["funnel_json"],
            json.dumps(self.funnel_record(), ensure_ascii=False, indent=2) + "\n",
        )
        return paths
