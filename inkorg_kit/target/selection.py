"""Selecting a target group: :func:`select` applies a spec to an extract.

Why apart: this is the order of the work, and the only place that knows it. Every column the
spec needs is checked first (:mod:`~inkorg_kit.target.extract`), so a wrong name fails before a
long read; then rows become people (:mod:`~inkorg_kit.target.people`), the filters run
(:mod:`~inkorg_kit.target.filters`), and the funnel must end where the group does.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import polars as pl

from inkorg_kit import pnr
from inkorg_kit.config.target_spec import TargetSpec
from inkorg_kit.errors import TargetError
from inkorg_kit.target.extract import (
    ExtractSource,
    load_extract,
    need_column,
    need_flag_sources,
    resolve_path,
)
from inkorg_kit.target.filters import (
    Filters,
    apply_filters,
    blank_step,
    funnel_frame,
    funnel_row,
    rejection_steps,
)
from inkorg_kit.target.frequency_cap import existing_runs_dir
from inkorg_kit.target.people import blank_rows, group_columns, people, rejected_values
from inkorg_kit.target.result import TargetResult

__all__ = ["resolve_reference_date", "select"]


def resolve_reference_date(value: str | dt.date | None, default: dt.date | dt.datetime) -> dt.date:
    """A notebook's ``reference_date`` parameter: ``""`` means ``default``; else YYYY-MM-DD."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default.date() if isinstance(default, dt.datetime) else default
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise TargetError(
            f"reference_date={value!r} is not a date: write it as YYYY-MM-DD (e.g. 2027-03-16), "
            "or leave it empty for the campaign's planned send date"
        ) from None


def select(
    spec: TargetSpec,
    *,
    source: ExtractSource | None = None,
    reference_date: dt.date | dt.datetime | str | None = None,
    lists_base_dir: str | os.PathLike[str] | None = None,
    this_run_dir: str | os.PathLike[str] | None = None,
) -> TargetResult:
    """Apply ``spec`` to an extract: the target group and its funnel.

    ``source`` overrides ``spec.source``: a file path, an :class:`SqlSource`, or a polars or
    pandas frame. ``reference_date`` (default today in Sweden; a notebook passes the planned
    send date) is the day the group is for: ages (unless ``spec.age.at``), contact recency and
    the frequency cap count from it, and it decides the century of 10-digit personnummer.
    Relative paths of the source and of list files count from ``lists_base_dir`` (default the
    working folder). ``this_run_dir`` is skipped by the frequency cap (this campaign's own run).

    Column keys that are not set find their column by its English or Swedish name
    (Personnummer, Besöksdatum, Vårdenhetens HSA-id, …). Wholly blank rows are counted apart
    (``blank_rows``, only when there are any). ``first_row`` in the group and the rejected
    values is the row as Excel or an editor shows it (header on row 1: the first data row is 2).
    """
    reference = pnr.as_date(reference_date)
    base = Path(lists_base_dir) if lists_base_dir is not None else Path.cwd()
    frame, described, first_row, spec = load_extract(spec, source, base)
    age_date = spec.age.at if spec.age is not None and spec.age.at is not None else reference

    need_column(frame, spec.pnr_column, "pnr_column", "reading personnummer")
    if spec.units:
        need_column(frame, spec.unit_column, "unit_column", "target.units")
    if spec.diagnosis_prefixes:
        need_column(frame, spec.diagnosis_column, "diagnosis_column", "target.diagnosis_prefixes")
    if spec.has_contact_recency_filter:
        need_column(
            frame, spec.contact_date_column, "contact_date_column", "the last-contact filter"
        )
    need_flag_sources(frame.columns, spec)
    if spec.frequency_cap_days is not None and spec.earlier_runs is not None:
        existing_runs_dir(resolve_path(spec.earlier_runs, base))  # before the work, not after

    blank = blank_rows(frame, spec.pnr_column)
    persons, per_raw = people(frame, spec, reference, first_row=first_row, blank=blank)
    valid_rows = int(per_raw.filter(pl.col("personnummer").is_not_null())["_rows"].sum())
    steps = [
        funnel_row("rows_in", "rader in", 0),
        *blank_step(blank),
        *rejection_steps(per_raw, spec.allow_samordningsnummer),
        funnel_row(
            "duplicate", "dubbletter: samma person på flera rader", valid_rows - persons.height
        ),
    ]
    # age and sex over everyone only when a filter needs them (else on the group, below)
    if spec.age is not None:
        persons = persons.with_columns(age=pnr.age_at(pl.col("personnummer"), age_date))
    if spec.sex is not None:
        persons = persons.with_columns(sex=pnr.legal_sex(pl.col("personnummer")))
    filters = Filters(
        spec, reference, age_date, base, persons.columns, this_run_dir, persons["personnummer"]
    ).build()
    group, removed = apply_filters(persons, [keep for _, keep in filters.conditions])
    for (row, _), count in zip(filters.conditions, removed, strict=True):
        row["removed"] = count
        steps.append(row)
    steps.append(funnel_row("target_group", "målgrupp", 0))
    funnel = funnel_frame(steps, frame.height)
    if int(funnel["remaining"][-1]) != group.height:  # pragma: no cover - the invariant
        raise AssertionError(
            f"funnel ends at {funnel['remaining'][-1]} but the group has {group.height} people"
        )
    return TargetResult(
        group=group_columns(group.sort("_first"), age_date, first_row),
        funnel=funnel,
        rejected=rejected_values(per_raw, first_row),
        reference_date=reference,
        age_date=age_date,
        source=described,
        notes=filters.notes,
    )
