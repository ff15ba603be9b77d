"""The step-03 panel (inkorg_kit.widgets: ui.panel*, steps.reach_plan): the callbacks really
recompute; the static path; the run folder."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import ipywidgets
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import (
    DEMO_CAMPAIGN,
    DEMO_CAMPAIGN_NAME,
    build_run_for_reach_plan,
    panel_target_group,
)
from support import PANEL_GROUP_SIZE as PEOPLE

from inkorg_kit import pnr, reach, schedule, widgets
from inkorg_kit.campaign import load_campaign
from inkorg_kit.charts import send_plan_gantt
from inkorg_kit.run import RunFolder, load_frame
from inkorg_kit.sending import ReminderWave
from inkorg_kit.sending.plan_csv import FIRST_WAVE, REMINDER_WAVE
from inkorg_kit.steps import reach_plan


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_run_for_reach_plan(tmp_path_factory.mktemp("run"))


@pytest.fixture(scope="module")
def state(run_dir: Path) -> widgets.PanelState:
    return reach_plan.panel_state(
        DEMO_CAMPAIGN,
        run_dir,
        compare_send_times=["2027-03-19 15:30", "2027-03-16 09:00"],
        draws=400,
        seed=7,
    )


@pytest.fixture(scope="module")
def uncapped(state: widgets.PanelState) -> widgets.PanelState:
    """The demo caps 1,500 messages a day, which hides handler capacity; lift it."""
    return state.replace(max_messages_per_day=None)


def expected(summary: pl.DataFrame, measure: str, column: str = "expected") -> float:
    return summary.filter(pl.col("measure") == measure)[column].item()


def spec(chart: object) -> str:
    return json.dumps(chart.to_dict(), sort_keys=True, default=str)  # type: ignore[attr-defined]


def slider(panel: widgets.ReachPanel, description: str) -> ipywidgets.Widget:
    found = [c for c in panel.controls.values() if c.description == description]
    assert len(found) == 1, [c.description for c in panel.controls.values()]
    return found[0]


# --------------------------------------------------------------------------- run folder


def test_run_folder_is_read_aggregated_and_without_personnummer(run_dir: Path) -> None:
    strata = widgets.load_target(run_dir)
    assert strata.columns == ["age_band", "sex", "n"]
    assert strata["n"].sum() == PEOPLE
    assert set(strata["age_band"].cast(pl.String)) == {"45-64", "65-74", "75-84"}
    files = widgets.load_files(run_dir, DEMO_CAMPAIGN_NAME)
    assert files.height == 20 and files["rows"].sum() == PEOPLE
    assert files["rows"].max() <= 250
    assert "first_pnr" not in files.columns and "last_pnr" not in files.columns


def test_missing_run_folder_parts_name_the_notebook_to_run(tmp_path: Path) -> None:
    with pytest.raises(widgets.RunFolderError, match="notebook 01"):
        widgets.load_target(tmp_path)
    with pytest.raises(widgets.RunFolderError, match="notebook 02"):
        widgets.load_files(tmp_path)
    panel_target_group().write_parquet(RunFolder(tmp_path).path("target_group"))
    with pytest.raises(widgets.RunFolderError, match="notebook 02"):
        reach_plan.panel_state(DEMO_CAMPAIGN, tmp_path)


def test_files_of_another_campaign_are_refused(run_dir: Path) -> None:
    with pytest.raises(widgets.RunFolderError, match=r"not 'x-2027'"):
        widgets.load_files(run_dir, "x-2027")


def test_parameters_default_to_the_campaign_and_bad_ones_are_named(run_dir: Path) -> None:
    campaign = load_campaign(DEMO_CAMPAIGN)
    state = reach_plan.panel_state(campaign, run_dir)
    assert state.handlers == campaign.sending.handlers == 2
    assert state.minutes_per_file == campaign.sending.minutes_per_file
    assert state.earliest_start == campaign.planned_send_start
    assert state.handler_names == ("Lena Holm", "Amir Haddad")
    assert state.follow_up_working_hours == campaign.followup.unread_after_working_hours == 24
    # no send times given: the planned start (Tue 09:00) against that week's Friday 15:30
    assert state.compare_send_times == ("2027-03-16 09:00", "2027-03-19 15:30")
    other = reach_plan.panel_state(
        campaign, run_dir, handlers=3, minutes_per_file=10, earliest_start="2027-04-06 10:00"
    )
    assert (other.handlers, other.minutes_per_file) == (3, 10.0)
    assert other.earliest_start == dt.datetime(2027, 4, 6, 10, tzinfo=campaign.send_windows.zone)
    for bad, name in (
        ({"draws": 0}, "draws=0"),
        ({"handlers": -1}, "handlers=-1"),
        ({"minutes_per_file": -5}, "minutes_per_file=-5"),
        ({"earliest_start": "next tuesday"}, "earliest_start='next tuesday'"),
        ({"compare_send_times": ["fredag"]}, "compare_send_times"),
    ):
        with pytest.raises(widgets.ParameterError, match=name):
            reach_plan.panel_state(campaign, run_dir, **bad)


def test_comparison_times_come_from_the_start() -> None:
    zone = load_campaign(DEMO_CAMPAIGN).send_windows.zone
    assert widgets.comparison_times(dt.datetime(2027, 6, 2, 10, tzinfo=zone)) == (
        "2027-06-02 10:00",
        "2027-06-04 15:30",
    )
    # a start on that Friday 15:30 is compared with the week's Tuesday morning instead
    assert widgets.comparison_times(dt.datetime(2027, 3, 19, 15, 30, tzinfo=zone)) == (
        "2027-03-19 15:30",
        "2027-03-16 09:00",
    )


# --------------------------------------------------------------------------- recompute


def test_recompute_lower_login_share_lowers_messageable(state: widgets.PanelState) -> None:
    summary, charts = widgets.recompute(state)
    lower, lower_charts = widgets.recompute(state.replace(login_share={"65-74": 0.40}))
    assert expected(lower, "messageable") < expected(summary, "messageable")
    assert expected(lower, "no_login") > expected(summary, "no_login")
    assert expected(lower, "target") == expected(summary, "target") == PEOPLE
    # only the 65-74 band moved: by exactly its expected change in login share
    n_65 = state.strata.filter(pl.col("age_band") == "65-74")["n"].sum()
    old = state.assumptions.band("65-74").login_share.mean
    assert expected(summary, "messageable") - expected(lower, "messageable") == pytest.approx(
        n_65 * (old - 0.40)
    )
    assert spec(lower_charts["funnel"]) != spec(charts["funnel"])
    assert spec(lower_charts["read_curve"]) != spec(charts["read_curve"])
    assert spec(lower_charts["gantt"]) == spec(charts["gantt"])  # the plan did not change


@settings(max_examples=12, deadline=None)
@given(
    band=st.sampled_from(["45-64", "65-74", "75-84"]),
    share=st.floats(0, 1).map(lambda x: round(x, 2)),
)
def test_recompute_messageable_moves_by_the_band_size_times_the_change(
    state: widgets.PanelState, band: str, share: float
) -> None:
    small = state.replace(draws=50, compare_send_times=())
    summary, _ = widgets.recompute(small)
    moved, moved_charts = widgets.recompute(small.replace(login_share={band: share}))
    n = small.strata.filter(pl.col("age_band") == band)["n"].sum()
    old = small.assumptions.band(band).login_share.mean
    change = expected(moved, "messageable") - expected(summary, "messageable")
    assert change == pytest.approx(n * (share - old), abs=1e-6)
    assert expected(moved, "messageable") + expected(moved, "no_login") == pytest.approx(PEOPLE)
    # the funnel chart shows the new number
    bars = next(iter(moved_charts["funnel"].to_dict()["datasets"].values()))
    shown = {row["measure"]: row["expected"] for row in bars}
    assert shown["messageable"] == round(expected(moved, "messageable"))


def test_recompute_plan_follows_handlers_minutes_and_start(uncapped: widgets.PanelState) -> None:
    state = uncapped
    base = widgets.compute(state)
    more = widgets.compute(state.replace(handlers=4))
    slower = widgets.compute(state.replace(minutes_per_file=30))
    later = widgets.compute(
        state.replace(earliest_start=dt.datetime(2027, 4, 13, 9, tzinfo=state.windows.zone))
    )
    assert base.plan is not None and more.plan is not None and slower.plan is not None
    assert more.plan.end < base.plan.end < slower.plan.end
    assert set(more.plan.files["handler"]) == {
        "Lena Holm",
        "Amir Haddad",
        "Handläggare 3",
        "Handläggare 4",
    }
    assert later.plan is not None and later.plan.files["start"].min().date() == dt.date(2027, 4, 13)
    assert expected(slower.summary, "plan_hours") > expected(base.summary, "plan_hours")
    assert spec(more.charts["gantt"]) != spec(base.charts["gantt"])
    # the reach numbers do not depend on handler capacity
    assert expected(more.summary, "messageable") == expected(base.summary, "messageable")


def test_recompute_window_hours_keep_every_file_inside(state: widgets.PanelState) -> None:
    narrow = state.replace(window_hours=(dt.time(10, 0), dt.time(12, 30)))
    outcome = widgets.compute(narrow)
    assert outcome.plan is not None and not outcome.problems
    windows = narrow.effective_windows
    assert (windows.start, windows.end, windows.lunch_break) == (
        dt.time(10),
        dt.time(12, 30),
        (dt.time(12), dt.time(12, 30)),  # the lunch break cut to the window
    )
    assert schedule.outside_windows(outcome.plan.files["start"], windows) == [None] * 20
    assert outcome.plan.files["end"].dt.hour().max() <= 12


def test_a_plan_that_cannot_be_made_is_reported_not_raised(state: widgets.PanelState) -> None:
    outcome = widgets.compute(
        state.replace(window_hours=(dt.time(8), dt.time(8, 30)), minutes_per_file=45)
    )
    assert outcome.plan is None and outcome.curve is None
    assert "Ingen sändplan" in outcome.problems[0]
    assert "messageable" in outcome.summary["measure"].to_list()  # reach still computed
    assert "gantt" not in outcome.charts
    assert "Ingen sändplan" in widgets.summary_html(outcome)
    with pytest.raises(schedule.ScheduleError, match="no send plan"):
        widgets.write_outputs(outcome, Path("/nonexistent"))


def test_friday_afternoon_reads_slower_than_tuesday_morning(state: widgets.PanelState) -> None:
    outcome = widgets.compute(state)
    assert outcome.comparison is not None
    day = outcome.comparison.filter(pl.col("hours") == 24)
    by_send = dict(zip(day["send"].cast(pl.String), day["read_share"], strict=True))
    assert by_send["fre 2027-03-19 15:30"] < by_send["tis 2027-03-16 09:00"]


def test_reach_table_counts_from_each_message_and_follows_up_in_working_hours(
    state: widgets.PanelState,
) -> None:
    """The table is what reach.simulate says over the plan's send times, with the campaign's
    follow-up deadline in working hours of the send windows, and its caption says so."""
    outcome = widgets.compute(state)
    assert outcome.plan is not None
    direct = reach.simulate(
        state.strata,
        outcome.assumptions,
        draws=state.draws,
        seed=state.seed,
        sends=outcome.plan,
        follow_up_working_hours=24,
        windows=state.windows,
    )
    for measure in ("read_24h", "read_168h", "unread_at_follow_up"):
        assert expected(outcome.summary, measure) == expected(direct.summary, measure)
    label = outcome.summary.filter(pl.col("measure") == "unread_at_follow_up")["label"].item()
    assert "24 arbetstimmar" in label and "sändfönstren" in label
    text = widgets.summary_html(outcome)
    assert "från första utskicket" not in text
    assert "eget meddelande enligt sändplanen" in text and "läskurvan visar hela kampanjen" in text
    # a later deadline leaves fewer unread
    later = widgets.compute(state.replace(follow_up_working_hours=72))
    assert expected(later.summary, "unread_at_follow_up") < expected(
        outcome.summary, "unread_at_follow_up"
    )
    assert expected(later.summary, "read_24h") == expected(outcome.summary, "read_24h")


def test_a_night_window_is_planned_with_a_warning(
    state: widgets.PanelState, tmp_path: Path
) -> None:
    night = state.replace(
        window_hours=(dt.time(5), dt.time(17)),
        earliest_start=dt.datetime(2027, 3, 16, 5, tzinfo=state.windows.zone),
    )
    outcome = widgets.compute(night)
    assert outcome.problems == () and outcome.plan is not None
    assert any("före 06:00" in w for w in outcome.warnings)
    assert any("skickas nattetid" in w for w in outcome.warnings)
    text = widgets.summary_html(outcome)
    assert 'class="inkorg-warnings"' in text and "före 06:00" in text
    assert widgets.write_outputs(outcome, tmp_path)["send_plan_csv"].is_file()  # not refused
    assert widgets.compute(state).warnings == ()


# --------------------------------------------------------------------------- the live panel


def test_panel_login_slider_recomputes_numbers_and_charts(state: widgets.PanelState) -> None:
    panel = widgets.show(state, interactive=True)  # returns the outcome of the parameters
    assert isinstance(panel, widgets.Outcome)
    live = widgets.ReachPanel(state)
    assert isinstance(live, ipywidgets.VBox)
    first = live.controls["login_share:45-64"]
    assert first.description == "Inloggade 45–64"
    login = slider(live, "Inloggade 65–74")
    before, html_before = live.summary, live.summary_html.value
    funnel_before = spec(live.charts["funnel"])
    login.value = 0.30
    assert expected(live.summary, "messageable") < expected(before, "messageable")
    assert live.current_state.login_share == {"65-74": 0.30}
    assert live.summary_html.value != html_before
    assert spec(live.charts["funnel"]) != funnel_before
    assert live.initial.summary.equals(before)  # the parameters' outcome is kept


def test_panel_notification_slider_lowers_notified(state: widgets.PanelState) -> None:
    live = widgets.ReachPanel(state)
    before = live.summary
    slider(live, "Avisering 45–64").value = 0.20
    assert expected(live.summary, "notified") < expected(before, "notified")
    assert expected(live.summary, "messageable") == expected(before, "messageable")


def test_panel_plan_controls_recompute_the_plan(state: widgets.PanelState) -> None:
    live = widgets.ReachPanel(state)
    capped_days = live.outcome.plan.days.height
    live.controls["max_messages_per_day"].value = 0  # no cap: all in one morning
    assert live.current_state.max_messages_per_day is None
    assert live.outcome.plan.days.height < capped_days
    end = live.outcome.plan.end
    gantt = spec(live.charts["gantt"])
    live.controls["handlers"].value = 1
    assert live.outcome.plan.end > end
    assert spec(live.charts["gantt"]) != gantt
    assert live.outcome.plan.handlers == ("Lena Holm",)
    live.controls["minutes_per_file"].value = 20
    slow_end = live.outcome.plan.end
    assert slow_end > end
    live.controls["window_hours"].value = (dt.time(8), dt.time(16))
    assert live.current_state.effective_windows.end == dt.time(16)
    assert live.outcome.plan.files["end"].dt.hour().max() <= 16
    live.controls["start_date"].value = dt.date(2027, 5, 4)
    assert live.outcome.plan.files["start"].min() == dt.datetime(
        2027, 5, 4, 9, tzinfo=state.windows.zone
    )


def test_panel_shows_a_problem_and_recovers(state: widgets.PanelState) -> None:
    live = widgets.ReachPanel(state)
    live.controls["window_hours"].value = (dt.time(8), dt.time(8, 30))
    live.controls["minutes_per_file"].value = 45
    assert "Ingen sändplan" in live.summary_html.value
    assert "gantt" not in live.charts
    live.controls["minutes_per_file"].value = 6
    assert live.outcome.plan is not None and "Ingen sändplan" not in live.summary_html.value


def test_summary_html_is_stable_and_findable(state: widgets.PanelState) -> None:
    outcome = widgets.compute(state)
    text = widgets.summary_html(outcome)
    assert text == widgets.summary_html(widgets.compute(state))  # same seed, same table
    assert 'data-testid="reach-summary"' in text and 'data-testid="send-plan-summary"' in text
    assert 'data-measure="messageable"' in text
    for label in ("Kan nås i 1177-inkorgen", "Får avisering", "Läst inom 24 timmar", "Mått"):
        assert label in text
    assert "Lena Holm" in text and "Sista fil klar" in text


def test_reach_panel_from_plain_arguments() -> None:
    people = panel_target_group().drop("personnummer")
    files = pl.DataFrame({"file_name": [f"f{i:02d}.txt" for i in range(6)], "rows": [200] * 6})
    panel = widgets.reach_panel(
        people,
        None,
        files=files,
        earliest_start="2027-03-16 09:00",
        handlers=2,
        minutes_per_file=5,
        draws=200,
    )
    assert expected(panel.summary, "target") == PEOPLE
    assert expected(panel.summary, "plan_files") == 6
    before = expected(panel.summary, "messageable")
    slider(panel, "Inloggade 65–74").value = 0.1
    assert expected(panel.summary, "messageable") < before


# --------------------------------------------------------------------------- static path


def test_auto_is_static_outside_a_jupyter_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    assert widgets.resolve_interactive("auto") is False
    monkeypatch.setenv("JPY_SESSION_NAME", "notebooks/03_reach_and_send_plan.ipynb")
    assert widgets.resolve_interactive("auto") is False  # no kernel in plain pytest
    assert widgets.resolve_interactive(True) is True
    assert widgets.resolve_interactive(False) is False
    assert widgets.resolve_interactive("False") is False  # as papermill -p may pass it
    with pytest.raises(widgets.ParameterError, match="accepted"):
        widgets.resolve_interactive("ja")


def test_static_view_shows_table_then_charts(state: widgets.PanelState) -> None:
    outcome = widgets.compute(state)
    items = widgets.static_view(outcome)
    assert 'data-testid="reach-summary"' in items[0].data
    assert [type(c).__name__ for c in items[1:]] == [
        type(c).__name__ for c in outcome.charts.values()
    ]
    assert list(outcome.charts) == ["funnel", "read_curve", "send_times", "gantt", "strategies"]
    assert 'data-testid="strategies"' in items[0].data


def test_write_outputs_plan_csv_ical_and_counts_only(
    state: widgets.PanelState, tmp_path: Path
) -> None:
    outcome = widgets.compute(state)
    paths = widgets.write_outputs(outcome, tmp_path)
    assert {p.name for p in paths.values()} == {
        "send_plan.csv",
        "send_plan.ics",
        "send_plan_lena-holm.ics",
        "send_plan_amir-haddad.ics",
        "reach_summary.csv",
        "plan_choice.json",
    }
    for path in paths.values():
        assert path.stat().st_mode & 0o077 == 0
        assert not pnr.find_in_text(path.read_text(encoding="utf-8"))
    plan = schedule.read_plan_csv(paths["send_plan_csv"])
    assert plan.height == 20 and plan["rows"].sum() == PEOPLE
    assert plan["file_name"].to_list() == outcome.plan.files["file_name"].to_list()
    ics = paths["send_plan_ics"].read_text(encoding="utf-8")
    assert ics.count("BEGIN:VEVENT") == 20
    for handler in ("Lena Holm", "Amir Haddad"):  # each handler can import only their own
        own = paths[f"send_plan_ics:{handler}"].read_text(encoding="utf-8")
        mine = plan.filter(pl.col("handler") == handler).height
        assert own.count("BEGIN:VEVENT") == own.count(f"SUMMARY:{handler}: skicka") == mine > 0
    alone = widgets.write_outputs(widgets.compute(state.replace(handlers=1)), tmp_path)
    assert sorted(p.name for p in tmp_path.glob("send_plan_*.ics")) == ["send_plan_lena-holm.ics"]
    assert "send_plan_ics:Amir Haddad" not in alone  # his old calendar is gone with him
    summary_numbers = load_frame(tmp_path, "reach_summary_csv").drop_nulls("low")
    assert (summary_numbers["low"] == summary_numbers["low"].round(0)).all()  # whole people
    summary = load_frame(tmp_path, "reach_summary_csv")
    assert summary.columns == ["measure", "label", "expected", "low", "high", "share"]
    assert expected(summary, "target") == PEOPLE
    assert expected(summary, "plan_messages") == PEOPLE


def test_gantt_aggregates_big_plans_below_altairs_row_limit() -> None:
    files = pl.DataFrame(
        {"file_name": [f"f{i:04d}.txt" for i in range(8000)], "rows": [250] * 8000}
    )
    plan = schedule.plan(files, handlers=3, minutes_per_file=5, earliest_start="2027-03-16 08:00")
    chart = send_plan_gantt(plan)
    data = next(iter(chart.to_dict()["datasets"].values()))
    assert 0 < len(data) < 5000
    assert sum(row["files"] for row in data) == 8000
    assert sum(row["rows"] for row in data) == 8000 * 250


def test_gantt_tells_the_reminder_wave_from_the_first() -> None:
    files = pl.DataFrame({"file_name": [f"f{i:02d}.txt" for i in range(8)], "rows": [250] * 8})
    single = schedule.plan(
        files, handlers=2, minutes_per_file=30, earliest_start="2027-03-16 08:00"
    )
    waves = schedule.plan(
        files,
        handlers=2,
        minutes_per_file=30,
        earliest_start="2027-03-16 08:00",
        reminders=ReminderWave(after_working_hours=8, share=0.4),
    )
    one, two = send_plan_gantt(single).to_dict(), send_plan_gantt(waves).to_dict()
    assert one["spec"]["encoding"]["color"]["field"] == "handler"  # one wave: by handler
    assert two["spec"]["encoding"]["color"]["field"] == "wave"
    data = next(iter(two["datasets"].values()))
    by_wave = {
        w: sum(r["rows"] for r in data if r["wave"] == w) for w in (FIRST_WAVE, REMINDER_WAVE)
    }
    assert (
        by_wave
        == {
            FIRST_WAVE: 2000,
            REMINDER_WAVE: int(waves.reminder_wave["rows"].sum()),
        }
        and by_wave[REMINDER_WAVE] > 0
    )
