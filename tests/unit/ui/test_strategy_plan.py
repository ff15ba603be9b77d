"""Step 03 follows the chosen follow-up strategy: the comparison in the outcome, the reminder
wave in the plan, and plan_choice.json written by save_plan (what the planner's "Spara plan"
writes) and read back through its schema."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from support import DEMO_CAMPAIGN, assert_no_personnummer, build_run_for_reach_plan

from inkorg_kit import schedule, widgets
from inkorg_kit.errors import ParameterError
from inkorg_kit.run import RunFolder
from inkorg_kit.run.io import load_json
from inkorg_kit.steps import reach_plan
from inkorg_kit.ui.panel_summary import strategy_html


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_run_for_reach_plan(tmp_path_factory.mktemp("run"))


@pytest.fixture(scope="module")
def reminder(run_dir: Path) -> widgets.Outcome:
    state = reach_plan.panel_state(
        DEMO_CAMPAIGN, run_dir, draws=300, seed=3, strategy="reminder", compare_send_times=[]
    )
    return widgets.compute(state)


def test_the_reminder_strategy_plans_its_wave_from_the_comparisons_upper_bound(reminder):
    plan, comparison = reminder.plan, reminder.strategies
    assert plan is not None and comparison is not None and not reminder.problems
    high = comparison.measure("reminder", "reminders")["high"]
    messages = int(plan.first_wave["rows"].sum())
    assert reminder.reminder_share == pytest.approx(high / messages)
    wave = plan.reminder_wave
    assert wave.height > 0 and plan.check() == []
    # every first-wave row's reminder part, rounded up, is planned
    parts = plan.first_wave["rows"].map_elements(plan.reminders.rows_for, return_dtype=pl.Int64)
    assert wave["rows"].sum() == parts.sum() >= high
    assert (wave["start"] >= wave["due"]).all()
    codes = reminder.summary["measure"].to_list()
    assert "plan_reminder_files" in codes and "strategies" in reminder.charts
    html = strategy_html(reminder)
    assert 'data-strategy="reminder" class="inkorg-chosen"' in html
    assert 'data-measure="letters"' in html and 'data-measure="cost_total"' in html


def test_the_letter_strategy_has_no_wave_and_fewer_files(run_dir, reminder):
    state = reminder.state.replace(strategy="letter")
    letter = widgets.compute(state)
    assert letter.plan.reminder_wave.is_empty() and letter.reminder_share is None
    assert letter.plan.files.height < reminder.plan.files.height
    with pytest.raises(ParameterError, match="reminder comes first"):
        state.replace(reminder_after_working_hours=state.follow_up_working_hours)
    with pytest.raises(ParameterError, match="strategy"):
        state.replace(strategy="sms")


def test_save_plan_writes_what_step_03_writes_and_plan_choice_reads_back(
    run_dir, reminder, tmp_path
):
    paths = reach_plan.save_plan(reminder, run_dir)
    folder = RunFolder(run_dir)
    for key in reach_plan.CONTRACT.writes:
        if key != "send_plan_handler_ics":
            assert folder.path(key).is_file(), key
    assert paths["plan_choice"] == folder.path("plan_choice_json")
    choice = load_json(run_dir, "plan_choice_json")  # validated against its schema
    state = reminder.state
    assert choice.strategy == "reminder" and choice.campaign == state.campaign_name
    assert choice.reminder_after_working_hours == state.reminder_hours()
    assert choice.unread_after_working_hours == state.follow_up_working_hours
    assert choice.handlers == list(state.handler_list())
    assert choice.plan["reminder_files"] == reminder.plan.reminder_wave.height
    assert choice.chosen["letters"] == reminder.strategies.measure("reminder", "letters")
    assert choice.costs["postage_per_letter"] >= 0
    assert_no_personnummer(folder.path("plan_choice_json").read_text(encoding="utf-8"), "choice")
    back = schedule.read_plan_csv(folder.path("send_plan_csv"))
    assert back["wave"].to_list().count("påminnelse") == reminder.plan.reminder_wave.height
    assert back.equals(reminder.plan.files)
    # write_outputs is the same function, for notebooks and callers of before
    assert reach_plan.write_outputs is reach_plan.save_plan
