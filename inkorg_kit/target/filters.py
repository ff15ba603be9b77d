"""The person-level filters of a spec, in order, and the funnel they make.

Why apart: the funnel is the promise that every input row is accounted for. Its steps are, in
order: ``rows_in``; ``blank_rows`` (wholly blank rows, when there are any); one
``rejected_<reason>`` step per reason a personnummer is refused (always
listed, so runs compare); ``duplicate``; then the filters in the order of the
:class:`~inkorg_kit.config.target_spec.TargetSpec` fields (age and sex, units, diagnosis, last
contact, include lists, exclude lists one step per file, the exclusions deceased, protected
identity and opted out, the frequency cap); and ``target_group``. :class:`Filters` builds the
filters as keep-expressions with their Swedish labels and notes; :func:`apply_filters` counts
what each removes in one pass; :func:`funnel_frame` checks that the counts add up.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from inkorg_kit import pnr
from inkorg_kit.config.target_spec import ListFile, TargetSpec, list_column, list_path
from inkorg_kit.errors import TargetError
from inkorg_kit.target.extract import resolve_path
from inkorg_kit.target.frequency_cap import messaged_in_earlier_runs
from inkorg_kit.target.lists import ListRead, read_list
from inkorg_kit.target.people import epoch_days
from inkorg_kit.target.result import FUNNEL_COLUMNS

__all__ = [
    "Filters",
    "apply_filters",
    "blank_step",
    "funnel_frame",
    "funnel_row",
    "rejection_steps",
]


def funnel_row(step: str, label: str, removed: int, note: str | None = None) -> dict[str, Any]:
    """One step of the funnel (``remaining`` is added by :func:`funnel_frame`)."""
    return {"step": step, "label": label, "removed": int(removed), "note": note}


@dataclass
class Filters:
    """The person-level filters of a spec, in order: (funnel row, keep-expression) pairs."""

    spec: TargetSpec
    reference: dt.date
    age_date: dt.date
    base: Path
    columns: Sequence[str]
    this_run_dir: str | os.PathLike[str] | None = None
    people: pl.Series | None = None  # everyone in the extract (to count unmatched list entries)
    conditions: list[tuple[dict[str, Any], pl.Expr]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, step: str, label: str, keep: pl.Expr, note: str | None = None) -> None:
        self.conditions.append((funnel_row(step, label, 0, note), keep))

    def build(self) -> Filters:
        self.demographics()
        self.contacts()
        self.lists()
        self.exclusions()
        self.frequency_cap()
        return self

    def demographics(self) -> None:
        age, sex = self.spec.age, self.spec.sex
        if age is not None and (age.min is not None or age.max is not None):
            low = age.min if age.min is not None else 0
            high = age.max if age.max is not None else 200
            if age.min is not None and age.max is not None:
                shown = f"{low}–{high} år"
            else:
                shown = f"minst {low} år" if age.max is None else f"högst {high} år"
            keep = pl.col("age").is_between(low, high).fill_null(False)
            self.add("age", f"ålder {shown} den {self.age_date}", keep)
        if sex is not None:
            label = "kön: kvinnor" if sex == "F" else "kön: män"
            self.add("sex", label, (pl.col("sex") == sex).fill_null(False))

    def contacts(self) -> None:
        spec = self.spec
        if spec.units:
            self.add("units", f"kontakt med enhet {', '.join(spec.units)}", pl.col("_at_unit"))
        at_unit = " vid enheten" if spec.units else ""
        with_unit = " med enheten" if spec.units else ""
        if spec.diagnosis_prefixes:
            label = f"diagnos{at_unit}: {', '.join(spec.diagnosis_prefixes)}"
            self.add("diagnosis", label, pl.col("_diagnosis"))
        if spec.last_contact_within_days is not None:
            days = spec.last_contact_within_days
            cutoff = self.reference - dt.timedelta(days=days)
            self.add(
                "last_contact_within_days",
                f"senaste kontakt{with_unit} inom {days} dagar (från {cutoff})",
                (pl.col("_last_days") >= epoch_days(cutoff)).fill_null(False),
            )
        if spec.last_contact_between is not None:
            start, end = spec.last_contact_between
            self.add(
                "last_contact_between",
                f"kontakt{with_unit} mellan {start} och {end}",
                pl.col("_between").fill_null(False),
            )

    def _read(self, entry: str | ListFile, what: str) -> ListRead:
        return read_list(
            resolve_path(list_path(entry), self.base),
            self.reference,
            what,
            column=list_column(entry),
            header_row=entry.header_row if isinstance(entry, ListFile) else None,
        )

    def _unmatched(self, read: ListRead) -> int:
        """Entries of a list that match nobody in the extract."""
        if self.people is None:
            return 0
        return int((~read.numbers.is_in(self.people.implode())).sum())

    def _matched_note(self, read: ListRead, name: str | None = None) -> str:
        """How the list's entries add up: in the extract, and matched nobody."""
        unmatched = self._unmatched(read)
        total = read.numbers.len()
        where = f"{name}: " if name else ""
        return (
            f"{where}{total} personnummer på listan: {total - unmatched} finns i utdraget,"
            f" {unmatched} matchade ingen i utdraget"
        )

    def lists(self) -> None:
        spec = self.spec
        if spec.include_lists:
            read = [(name, self._read(name, "include list")) for name in spec.include_lists]
            wanted = pl.concat([r.numbers for _, r in read]).unique()
            notes = []
            for entry, r in read:
                shown = Path(list_path(entry)).name
                notes.append(r.note(shown))
                notes.append(self._matched_note(r, shown))
            names = ", ".join(Path(list_path(n)).name for n in spec.include_lists)
            self.add(
                "include_lists",
                f"finns på inkluderingslista ({names})",
                pl.col("personnummer").is_in(wanted.implode()),
                "; ".join(n for n in notes if n) or None,
            )
        for index, entry in enumerate(spec.exclude_lists, start=1):
            read = self._read(entry, "exclude list")
            name = list_path(entry)
            matched = self._matched_note(read)
            unusable = self._unusable(read, name)
            if self._unmatched(read):
                self.notes.append(f"exkluderingslista {Path(name).name}: {matched}")
            self.add(
                f"exclude_list_{index}",
                f"på exkluderingslista {Path(name).name}",
                ~pl.col("personnummer").is_in(read.numbers.implode()),
                "; ".join(n for n in (unusable, matched) if n),
            )

    def _unusable(self, read: ListRead, name: str) -> str | None:
        """The note on a list's unusable rows; invalid rows of a list that removes people are
        residents who slip through, so they also go to the notes shown under the funnel."""
        note = read.note()
        if read.invalid:
            self.notes.append(
                f"{Path(name).name}: {read.note()}; de på de raderna räknas inte bort"
            )
        return note

    def exclusions(self) -> None:
        """Deceased, protected identity, opted out: from a column of the extract and/or lists.

        :func:`select` has checked that each exclusion that is on has a column or a list.
        """
        spec = self.spec
        for flag, label in (
            ("deceased", "avlidna"),
            ("protected_identity", "skyddad folkbokföring"),
            ("opted_out", "har avböjt meddelanden"),
        ):
            if not getattr(spec, f"exclude_{flag}"):
                continue
            column = getattr(spec, f"{flag}_column")
            flagged: pl.Expr = pl.lit(False)
            origin = []
            if f"_{flag}" in self.columns:
                flagged = pl.col(f"_{flag}").fill_null(False)
                origin.append(f"kolumnen '{column}'")
            for entry in getattr(spec, f"{flag}_lists"):
                read = self._read(entry, f"{flag} list")
                name = list_path(entry)
                flagged = flagged | pl.col("personnummer").is_in(read.numbers.implode())
                unusable = self._unusable(read, name)
                origin.append(f"listan {Path(name).name}" + (f" ({unusable})" if unusable else ""))
            self.add(flag, label, ~flagged, "enligt " + " och ".join(origin))

    def frequency_cap(self) -> None:
        spec = self.spec
        if spec.frequency_cap_days is None:
            return
        if spec.earlier_runs is None:  # TargetSpec refuses this; model_copy does not validate
            raise TargetError(
                "frequency_cap_days needs earlier_runs: the folder holding earlier campaigns'"
                " run folders (e.g. earlier_runs: out)"
            )
        label = f"fått meddelande de senaste {spec.frequency_cap_days} dagarna"
        messaged, notes = messaged_in_earlier_runs(
            resolve_path(spec.earlier_runs, self.base),
            since=self.reference - dt.timedelta(days=spec.frequency_cap_days),
            reference_date=self.reference,
            skip=self.this_run_dir,
        )
        self.notes.extend(notes)
        keep = ~pl.col("personnummer").is_in(messaged.implode())
        self.add("frequency_cap", label, keep, "; ".join(notes))


def blank_step(blank: pl.Series | None) -> list[dict[str, Any]]:
    """The funnel row of wholly blank rows (every cell empty), listed only when there are
    any: they are no contact, not an empty personnummer."""
    if blank is None:
        return []
    count = int(blank.sum())
    return [funnel_row("blank_rows", "tomma rader (alla celler tomma)", count)] if count else []


def rejection_steps(per_raw: pl.DataFrame, allow_samordningsnummer: bool) -> list[dict[str, Any]]:
    """One funnel row per reject reason (always listed, so runs compare), counted in rows."""
    counts = dict(
        per_raw.filter(pl.col("status") == "rejected")
        .group_by(pl.col("reason").cast(pl.String))
        .agg(pl.col("_rows").sum())
        .iter_rows()
    )
    reasons = [  # a file cut short is an accident of one run: listed only when it happened
        r
        for r in pnr.REJECT_REASONS
        if r != "samordningsnummer_not_allowed" and (r != "truncated" or counts.get(r))
    ]
    if not allow_samordningsnummer:
        reasons.append("samordningsnummer_not_allowed")
    return [
        funnel_row(
            f"rejected_{reason}",
            f"ogiltigt personnummer: {pnr.REASON_LABELS[reason]}",
            counts.get(reason, 0),
        )
        for reason in reasons
    ]


def apply_filters(
    persons: pl.DataFrame, keeps: Sequence[pl.Expr]
) -> tuple[pl.DataFrame, list[int]]:
    """Apply the filters in order; count how many each removes (one pass, cheap sums)."""
    if not keeps:
        return persons, []
    so_far: pl.Expr = pl.lit(True)
    counts: list[pl.Expr] = []
    for index, keep in enumerate(keeps):
        counts.append((so_far & ~keep).sum().alias(f"_{index}"))
        so_far = so_far & keep
    removed = persons.select(counts).row(0)
    return persons.filter(so_far), [int(x or 0) for x in removed]


def funnel_frame(steps: list[dict[str, Any]], rows_in: int) -> pl.DataFrame:
    remaining = rows_in
    for row in steps:
        remaining -= row["removed"]
        row["remaining"] = remaining
    steps[0]["remaining"] = rows_in
    frame = pl.DataFrame(
        steps,
        schema={
            "step": pl.String,
            "label": pl.String,
            "removed": pl.Int64,
            "note": pl.String,
            "remaining": pl.Int64,
        },
    ).select(FUNNEL_COLUMNS)
    total = int(frame["removed"].sum()) + int(frame["remaining"][-1])
    if total != rows_in:  # pragma: no cover - the invariant itself
        raise AssertionError(f"funnel removes and keeps {total} rows but {rows_in} came in")
    return frame
