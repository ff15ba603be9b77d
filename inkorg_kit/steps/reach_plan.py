"""Step 03, reach and send plan: how many can be reached and read, and who sends which file when.

Why a step of its own: it is the first step that only counts. It reads the target group
(notebook 01) aggregated in the scan, by age and sex only, so no personnummer is loaded, and
the recipient files from the manifest (notebook 02); it computes reach, the send plan and the
read curves (:func:`inkorg_kit.ui.panel_outcome.compute`, the same computation the live panel
runs on every slider move) and writes the plan as CSV and as calendars for Outlook (one for
everyone, one per handler), the reach summary (aggregate numbers only) and the chosen
follow-up scenario (``plan_choice.json``: the strategy, its working hours, the assumptions
changed, costs, handlers, and the comparison's numbers for the strategy), which step 04
follows. The notebook's files hold the parameter values; the planner page's "Spara plan"
writes the same files from the scenario on its sliders (:func:`save_plan`).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import polars as pl

from inkorg_kit.config.assumptions import Assumptions
from inkorg_kit.config.campaign import Campaign, load_campaign
from inkorg_kit.errors import RunFolderError, ScheduleError
from inkorg_kit.history import register_path
from inkorg_kit.io.people_csv import write_people_csv
from inkorg_kit.reach import target_strata
from inkorg_kit.run import RunFolder
from inkorg_kit.run.artefacts import STEP_NAMES, StepContract
from inkorg_kit.run.io import load_json, save_json, scan_frame
from inkorg_kit.run.schemas import ManifestRecord
from inkorg_kit.ui.panel import show
from inkorg_kit.ui.panel_outcome import Outcome, compute
from inkorg_kit.ui.panel_state import PanelState

__all__ = [
    "CONTRACT",
    "FILE_SCHEMA",
    "load_files",
    "load_target",
    "panel_state",
    "plan_choice",
    "run",
    "save_plan",
    "show",
    "write_outputs",
]

CONTRACT = StepContract(
    step=STEP_NAMES[3],
    reads=("target_group", "manifest_json"),
    writes=(
        "send_plan_csv",
        "send_plan_ics",
        "send_plan_handler_ics",
        "reach_summary_csv",
        "plan_choice_json",
    ),
)

#: The manifest's file table as the plan takes it (no personnummer, not even masked ones).
FILE_SCHEMA = {
    "file_name": pl.String,
    "rows": pl.Int64,
    "part": pl.Int64,
    "part_count": pl.Int64,
    "group": pl.String,
}


# --------------------------------------------------------------------------- reading


def load_target(run_dir: str | os.PathLike[str]) -> pl.DataFrame:
    """The target group of a run folder, aggregated: ``age_band``, ``sex``, ``n``.

    Scans the target group through the run-folder contract (its columns checked against
    :data:`~inkorg_kit.run.schemas.FRAME_SCHEMAS` ``target_group``, naming the file and the
    column when one is missing) and reads only ``age_band`` and ``sex``, grouped in the scan,
    so no personnummer is loaded.
    """
    folder = RunFolder(run_dir)
    path = folder.path("target_group")
    if not path.is_file():
        raise RunFolderError(
            f"{path} not found: run notebook 01 (01_target_group.ipynb) with run_dir={run_dir!s} "
            "first; it writes the target group there"
        )
    counts = (
        scan_frame(folder, "target_group")
        .group_by("age_band", "sex")
        .agg(pl.len().cast(pl.Int64).alias("n"))
        .collect()
    )
    strata = target_strata(counts)
    if strata.is_empty():
        raise RunFolderError(f"{path} holds no one: the target group is empty")
    return strata


def load_files(run_dir: str | os.PathLike[str], campaign_name: str | None = None) -> pl.DataFrame:
    """The recipient files of a run folder (from the manifest), in file order.

    Columns ``file_name``, ``rows``, ``part``, ``part_count``, ``group``; no personnummer (the
    manifest's masked first/last numbers are left out too). The manifest is read as its
    schema says (:class:`~inkorg_kit.run.schemas.ManifestRecord`): a manifest that does not
    hold what step 02 writes is refused, naming the key.
    """
    folder = RunFolder(run_dir)
    if not folder.exists("manifest_json"):
        raise RunFolderError(
            f"{folder.path('manifest_json')} not found: run notebook 02 (02_recipient_files.ipynb)"
            f" with run_dir={run_dir!s} first; it writes the recipient files and their manifest"
        )
    manifest = cast(ManifestRecord, load_json(folder, "manifest_json"))
    if campaign_name is not None and manifest.campaign != campaign_name:
        raise RunFolderError(
            f"{run_dir}: the recipient files are for campaign {manifest.campaign!r}, "
            f"not {campaign_name!r}; use the run folder of this campaign or run notebook 02 again"
        )
    if not manifest.files:
        raise RunFolderError(f"{run_dir}: the manifest lists no files; run notebook 02 again")
    rows = [{k: getattr(f, k) for k in FILE_SCHEMA} for f in manifest.files]
    return pl.DataFrame(rows, schema=FILE_SCHEMA)


def panel_state(
    campaign: Campaign | str | os.PathLike[str],
    run_dir: str | os.PathLike[str],
    *,
    assumptions: Assumptions | str | os.PathLike[str] | None = None,
    earliest_start: Any = "",
    handlers: int = 0,
    minutes_per_file: float = 0,
    compare_send_times: Sequence[Any] = (),
    draws: int = 2000,
    seed: int | None = 2026,
    priors: str = "register",
    strategy: str = "",
) -> PanelState:
    """The panel's state for a campaign's run folder, with the notebook's parameters.

    ``campaign`` is a Campaign or its YAML path; the target group and the files are read from
    ``run_dir``; the parameters mean what :meth:`PanelState.for_campaign` says ("" and 0 take
    the campaign's values). ``priors="register"`` reads the region's campaign register beside
    the run folder unless the campaign or ``INKORG_REGISTER`` names another
    (:func:`inkorg_kit.history.register_path`).
    """
    if not isinstance(campaign, Campaign):
        campaign = load_campaign(campaign)
    return PanelState.for_campaign(
        campaign,
        load_target(run_dir),
        load_files(run_dir, campaign.name),
        assumptions=assumptions,
        earliest_start=earliest_start,
        handlers=handlers,
        minutes_per_file=minutes_per_file,
        compare_send_times=compare_send_times,
        draws=draws,
        seed=seed,
        priors=priors,
        register=register_path(campaign, run_dir),
        strategy=strategy,
    )


# --------------------------------------------------------------------------- writing


#: The version of ``plan_choice.json`` this module writes.
PLAN_CHOICE_VERSION = 1


def plan_choice(outcome: Outcome, *, saved_at: dt.datetime | None = None) -> dict[str, Any]:
    """The chosen scenario as ``plan_choice.json`` holds it
    (:class:`~inkorg_kit.run.schemas.PlanChoiceRecord`): aggregates only."""
    state, plan = outcome.state, outcome.plan
    comparison = outcome.strategies
    chosen: dict[str, dict[str, float | None]] = {}
    costs: dict[str, float] = {}
    if comparison is not None:
        rows = comparison.table.filter(pl.col("strategy") == state.strategy)
        chosen = {
            r["measure"]: {"expected": r["expected"], "low": r["low"], "high": r["high"]}
            for r in rows.iter_rows(named=True)
        }
        price = comparison.costs
        costs = {name: float(getattr(price, name).value) for name in type(price).model_fields}
    waves: dict[str, Any] = {}
    if plan is not None:
        first, reminders = plan.first_wave, plan.reminder_wave
        waves = {
            "first_wave_files": first.height,
            "first_wave_messages": int(first["rows"].sum()),
            "reminder_files": reminders.height,
            "reminder_messages": int(reminders["rows"].sum()),
            "first_send": plan.files["start"].min().isoformat(),
            "last_file_done": plan.end.isoformat(),
        }
    hours = state.window_hours
    return {
        "record_version": PLAN_CHOICE_VERSION,
        "campaign": state.campaign_name,
        "saved_at": (saved_at or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"),
        "strategy": state.strategy,
        "unread_after_working_hours": state.follow_up_working_hours,
        "reminder_after_working_hours": state.reminder_hours(),
        "assumptions_source": state.assumptions_source,
        "overrides": {
            "login_share": {k: float(v) for k, v in state.login_share.items()},
            "notification_share": {k: float(v) for k, v in state.notification_share.items()},
        },
        "window_hours": [f"{t:%H:%M}" for t in hours] if hours is not None else None,
        "costs": costs,
        "handlers": list(state.handler_list()),
        "minutes_per_file": state.minutes_per_file,
        "max_messages_per_day": state.max_messages_per_day,
        "earliest_start": state.earliest_start.isoformat(),
        "draws": state.draws,
        "seed": state.seed,
        "part_size": state.part_size,
        "reminder_share": outcome.reminder_share,
        "plan": waves,
        "chosen": chosen,
    }


def save_plan(outcome: Outcome, run_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Write the send plan as CSV and as a calendar, one calendar per handler (each imports
    only their own files), the reach summary and the chosen scenario (``plan_choice.json``)
    into the run folder: what step 03 writes, and what the planner's "Spara plan" writes.

    The plan files hold file names, row counts, handlers, times and waves; the reach summary
    and the scenario aggregate numbers only. Refuses a missing or failed plan rather than
    write a wrong one. A handler's calendar left from an earlier run with other handlers is
    removed. Keys: ``send_plan_csv``, ``send_plan_ics``, ``send_plan_ics:<handler>``,
    ``reach_summary``, ``plan_choice``.
    """
    if outcome.plan is None or outcome.problems:
        raise ScheduleError(
            "no send plan to write: " + "; ".join(outcome.problems or ("no plan was made",))
        )
    name = outcome.state.campaign_name
    folder = RunFolder(run_dir, name)
    summary = outcome.summary.with_columns(
        pl.col("expected").round(1),
        pl.col("low").round(0),
        pl.col("high").round(0),
        pl.col("share").round(4),
    )
    plan = outcome.plan
    written = {
        "send_plan_csv": plan.to_csv(folder.path("send_plan_csv")),
        "send_plan_ics": plan.to_ical(folder.path("send_plan_ics"), name),
    }
    for handler, part in plan.handler_file_parts().items():
        path = folder.path("send_plan_handler_ics", handler=part)
        written[f"send_plan_ics:{handler}"] = plan.to_ical(path, name, handler=handler)
    pattern = folder.path("send_plan_handler_ics", handler="*")
    for old in pattern.parent.glob(pattern.name):  # a handler of an earlier run: not theirs now
        if old not in written.values():
            old.unlink()
    written["reach_summary"] = write_people_csv(summary, folder.path("reach_summary_csv"))
    written["plan_choice"] = save_json(folder, "plan_choice_json", plan_choice(outcome))
    return written


#: The name step 03 and notebook 03 have used: the same function.
write_outputs = save_plan


def run(
    campaign: Campaign | str | os.PathLike[str],
    run_dir: str | os.PathLike[str],
    *,
    interactive: Any = False,
    **parameters: Any,
) -> Outcome:
    """Step 03 as the notebook runs it: the state (:func:`panel_state`, with ``parameters``),
    the panel or static view if ``interactive`` is not False (:func:`show`), and the files
    (:func:`save_plan`). Returns the outcome for the parameter values."""
    state = panel_state(campaign, run_dir, **parameters)
    outcome = compute(state) if interactive is False else show(state, interactive=interactive)
    save_plan(outcome, run_dir)
    return outcome
