"""The funnel: how every input row ended (rejected by reason, duplicate, excluded by a named
filter, or sent out), counted so that it adds up to the input.

Why: every input row is accounted for (DESIGN.md). The manifest records the funnel, from the
extract's first row to the files when notebook 01 selected the list
(:func:`with_target_funnel`), and charts and reports show it (:func:`funnel_frame`:
aggregates only). :func:`check_summary` refuses a funnel that does not add up.

>>> check_summary({"input_rows": 3, "rejected": {"checksum": 1}, "sent_out": 2})["duplicates"]
0
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

import polars as pl

from inkorg_kit.errors import InkorgError
from inkorg_kit.pnr import REASON_LABELS
from inkorg_kit.run import RunFolder
from inkorg_kit.run.io import load_json
from inkorg_kit.run.schemas import TargetFunnelRecord

__all__ = ["STEP_LABELS", "check_summary", "funnel_frame", "input_summary", "with_target_funnel"]

#: Funnel steps as analysts see them (Swedish).
STEP_LABELS = {
    "input_rows": "Inlästa rader",
    "rejected": "Avvisade",
    "duplicates": "Dubbletter",
    "excluded": "Undantagna",
    "sent_out": "Skickas ut",
}


def _counts(frame: pl.DataFrame, status: str, key: str) -> dict[str, int]:
    rows = (
        frame.filter(pl.col("status").cast(pl.String) == status)
        .group_by(pl.col(key).cast(pl.String).fill_null("(okänd)").alias("key"))
        .agg(pl.len().alias("n"))
        .sort("key")
    )
    return dict(zip(rows["key"].to_list(), rows["n"].to_list(), strict=True))


def input_summary(
    frame: pl.DataFrame, dropped: int, sent_out: int, in_several_groups: int = 0
) -> dict[str, Any]:
    """How every input row ended: rejected (by reason), duplicate, excluded, or sent out."""
    status = frame["status"].cast(pl.String)
    if "reason" in frame.columns:
        rejected = _counts(frame, "rejected", "reason")
    else:
        rejected = {"(okänd)": int((status == "rejected").sum())}
        rejected = {k: v for k, v in rejected.items() if v}
    other = frame.filter(~status.is_in(["ok", "duplicate", "rejected"]).fill_null(False))
    excluded: dict[str, int] = {}
    if other.height:  # a target frame with its own statuses: each is a named filter
        counts = (
            other.group_by(pl.col("status").cast(pl.String).fill_null("(okänd)").alias("status"))
            .agg(pl.len().alias("n"))
            .sort("status")
        )
        excluded = dict(zip(counts["status"].to_list(), counts["n"].to_list(), strict=True))
    return check_summary(
        {
            "input_rows": frame.height,
            "rejected": rejected,
            "duplicates": int((status == "duplicate").sum()) + dropped,
            "excluded": excluded,
            "sent_out": sent_out,
            "in_several_groups": in_several_groups,
        }
    )


def check_summary(summary: Mapping[str, Any]) -> dict[str, Any]:
    """The funnel must add up: input = rejected + duplicates + excluded + sent out.

    ``in_several_groups`` (people listed under more than one group, sent out once) is a part of
    the duplicates, not a step of its own: their extra rows are counted as duplicates.
    """
    try:
        out = {
            "input_rows": int(summary["input_rows"]),
            "rejected": {str(k): int(v) for k, v in dict(summary.get("rejected", {})).items()},
            "duplicates": int(summary.get("duplicates", 0)),
            "excluded": {str(k): int(v) for k, v in dict(summary.get("excluded", {})).items()},
            "sent_out": int(summary["sent_out"]),
            "in_several_groups": int(summary.get("in_several_groups", 0)),
        }
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(
            "source_summary must be a mapping with input_rows, rejected ({reason: count}),"
            f" duplicates, excluded ({{filter: count}}) and sent_out; got a problem: {exc}"
        ) from None
    if not 0 <= out["in_several_groups"] <= out["duplicates"]:
        raise ValueError(
            f"source_summary: in_several_groups {out['in_several_groups']} must be between 0 and"
            f" the duplicates ({out['duplicates']}): each such person's extra rows are duplicates"
        )
    accounted = (
        sum(out["rejected"].values())
        + out["duplicates"]
        + sum(out["excluded"].values())
        + out["sent_out"]
    )
    if accounted != out["input_rows"]:
        raise ValueError(
            f"source_summary does not add up: {out['input_rows']} input rows, but rejected"
            f" {sum(out['rejected'].values())} + duplicates {out['duplicates']} + excluded"
            f" {sum(out['excluded'].values())} + sent out {out['sent_out']} = {accounted}"
        )
    return out


def with_target_funnel(
    summary: Mapping[str, Any], source: str | os.PathLike[str]
) -> dict[str, Any]:
    """Prepend notebook 01's funnel when ``source`` is its target group, so the manifest counts
    from the extract's first row to the files: rejected by reason, duplicates, each filter.

    Reads ``target_funnel.json`` beside ``source`` through the run-folder contract
    (:class:`~inkorg_kit.run.schemas.TargetFunnelRecord`: ``rows_in``, ``target_group`` and
    steps ``rejected_<reason>``, ``duplicate`` and the named filters). Returns ``summary``
    unchanged when there is none, when it does not hold what step 01 writes, or when its
    ``target_group`` count is not this input's row count (the funnel belongs to another
    version of the file).
    """
    base = check_summary(summary)
    run = RunFolder(Path(source).parent)
    path = run.path("target_funnel_json")
    if Path(source).name != run.path("target_group").name or not path.is_file():
        return base
    try:
        funnel = cast(TargetFunnelRecord, load_json(run, "target_funnel_json"))
    except (OSError, InkorgError):  # unreadable, or not what step 01 writes: not vouched for
        return base
    rows_in, group = funnel.rows_in, funnel.target_group
    steps = [(x.step, x.label or x.step, x.removed) for x in funnel.steps]
    if group != base["input_rows"]:
        return base
    rejected = dict(base["rejected"])
    excluded: dict[str, int] = {}
    duplicates = base["duplicates"]
    for step, label, removed in steps:
        if step in ("rows_in", "target_group") or removed == 0:
            continue
        if step.startswith("rejected_"):
            reason = step.removeprefix("rejected_")
            rejected[reason] = rejected.get(reason, 0) + removed
        elif step == "duplicate":
            duplicates += removed
        else:
            excluded[label] = excluded.get(label, 0) + removed
    for name, n in base["excluded"].items():
        excluded[name] = excluded.get(name, 0) + n
    combined = {
        "input_rows": rows_in,
        "rejected": rejected,
        "duplicates": duplicates,
        "excluded": excluded,
        "sent_out": base["sent_out"],
        "in_several_groups": base["in_several_groups"],
    }
    try:
        return check_summary(combined)
    except ValueError:  # the 01 funnel does not add up: keep what this step can vouch for
        return base


def funnel_frame(summary: Mapping[str, Any]) -> pl.DataFrame:
    """The cleaning funnel as rows (step, reason, label, count): input, each rejection reason,
    duplicates, each exclusion, sent out. Aggregates only: safe for charts and reports.

    When people were listed under more than one group, the duplicates' label says how many
    (they are sent out once, with the group whose files come first)."""
    s = check_summary(summary)
    rows: list[tuple[str, str | None, str, int]] = [
        ("input_rows", None, STEP_LABELS["input_rows"], s["input_rows"])
    ]
    for reason, n in s["rejected"].items():
        label = REASON_LABELS.get(reason, reason)
        rows.append(("rejected", reason, f"{STEP_LABELS['rejected']}: {label}", n))
    duplicates = STEP_LABELS["duplicates"]
    if s["in_several_groups"]:
        duplicates += (
            f" (varav {s['in_several_groups']} personer i flera grupper:"
            " de får bara filen i den första gruppen)"
        )
    rows.append(("duplicates", None, duplicates, s["duplicates"]))
    for name, n in s["excluded"].items():
        rows.append(("excluded", name, f"{STEP_LABELS['excluded']}: {name}", n))
    rows.append(("sent_out", None, STEP_LABELS["sent_out"], s["sent_out"]))
    return pl.DataFrame(
        rows,
        schema={"step": pl.String, "reason": pl.String, "label": pl.String, "count": pl.Int64},
        orient="row",
    )
