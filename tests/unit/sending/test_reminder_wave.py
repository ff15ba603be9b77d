"""The reminder wave of the send plan: placeholders due R working hours after their first-wave
files, inside the send windows and the handlers' capacity, checked against
:func:`inkorg_kit.hours.working.add_working_hours` (an independent computation of each due
time) and the plan checks."""

from __future__ import annotations

import datetime as dt
import math

import icalendar
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inkorg_kit.config.windows import SendWindows
from inkorg_kit.errors import ScheduleError
from inkorg_kit.hours.working import add_working_hours, outside_windows
from inkorg_kit.sending import ReminderWave, plan, read_plan_csv
from inkorg_kit.sending.plan_csv import FIRST_WAVE, REMINDER_WAVE

LUNCH = SendWindows(lunch_break=("12:00", "13:00"))


def files(n: int, rows: int | list[int] = 250) -> pl.DataFrame:
    sizes = rows if isinstance(rows, list) else [rows] * n
    return pl.DataFrame(
        {"file_name": [f"utskick_{i + 1:03d}.txt" for i in range(n)], "rows": sizes}
    )


def assert_reminder_wave_holds(p, wave: ReminderWave) -> None:
    """Every invariant of a plan with a reminder wave, computed independently where it can."""
    assert p.check() == []
    first, reminders = p.first_wave, p.reminder_wave
    assert first["file_name"].to_list() == sorted(first["file_name"].to_list())
    ends = dict(zip(first["file_name"], first["end"], strict=True))
    rows = dict(zip(first["file_name"], first["rows"], strict=True))
    covered: list[str] = []
    for r in reminders.iter_rows(named=True):
        names = r["covers"].split(", ")
        covered += names
        assert 1 <= r["rows"] <= min(wave.part_size, p.max_messages_per_day or 250)
        dues = add_working_hours(
            pl.Series([ends[n] for n in names]), wave.after_working_hours, p.windows
        )
        assert r["due"] == dues.max()  # the last part's due time, independently computed
        assert r["start"] >= r["due"]
        days = {d.astimezone(p.windows.zone).date() for d in dues}
        assert len(days) == 1  # parts of one day only
    # every first-wave file with a reminder share is reminded, in order, with all its rows;
    # a day's files are full but the last one planned (or one closed early: sent when due)
    wanted = {n: math.ceil(rows[n] * wave.share - 1e-9) for n in first["file_name"]}
    assert list(dict.fromkeys(covered)) == [n for n, r in wanted.items() if r > 0]
    assert reminders["rows"].sum() == sum(wanted.values())
    assert outside_windows(p.files["start"], p.windows) == [None] * p.files.height
    assert reminders["file_name"].to_list() == [
        f"paminnelse_{k:03d}" for k in range(1, reminders.height + 1)
    ]


def test_reminders_follow_their_files_after_r_working_hours_and_merge_per_day():
    wave = ReminderWave(after_working_hours=8, share=0.35)
    p = plan(
        files(12),
        handlers=2,
        minutes_per_file=30,
        earliest_start="2026-03-06 14:00",
        windows=LUNCH,
        reminders=wave,
    )
    assert_reminder_wave_holds(p, wave)
    assert p.first_wave.height == 12 and p.reminder_wave.height >= 1
    # 88 rows each: files are filled up to 250 within a day, the day's last file holds the rest
    per_day = p.reminder_wave.group_by(pl.col("due").dt.date()).agg(pl.col("rows"))
    for rows in per_day["rows"].to_list():
        assert all(r == 250 for r in rows[:-1]) and rows[-1] <= 250
    # the Friday afternoon files are due after the weekend (8 working hours = Monday)
    assert p.reminder_wave["due"].min().weekday() == 0
    assert p.files.columns[-3:] == ["wave", "due", "covers"]
    assert p.days["messages"].sum() == p.files["rows"].sum()


def test_reminders_share_the_handlers_and_the_daily_cap_with_the_first_wave():
    wave = ReminderWave(after_working_hours=2, share=0.5)
    p = plan(
        files(30, 200),
        handlers=1,
        minutes_per_file=20,
        earliest_start="2026-03-02 08:00",
        max_messages_per_day=2000,
        reminders=wave,
    )
    assert_reminder_wave_holds(p, wave)
    assert p.days["messages"].max() <= 2000
    # reminders are due while the first wave is still being sent: they are interleaved
    first_end = p.first_wave["start"].max()
    assert p.reminder_wave["start"].min() < first_end


def test_no_reminders_when_none_are_expected_and_a_reminder_row_is_refused():
    p = plan(
        files(3),
        earliest_start="2026-03-02 08:00",
        reminders=ReminderWave(after_working_hours=24, share=0.0),
    )
    assert p.reminder_wave.is_empty() and p.check() == []
    again = plan(
        files(3),
        earliest_start="2026-03-02 08:00",
        reminders=ReminderWave(after_working_hours=24, share=0.5),
    )
    with pytest.raises(ScheduleError, match="first-wave files only"):
        plan(again.files, earliest_start="2026-03-02 08:00")
    assert plan(again.first_wave, earliest_start="2026-03-02 08:00").files.height == 3
    with pytest.raises(ScheduleError, match="share"):
        ReminderWave(after_working_hours=24, share=1.5)
    with pytest.raises(ScheduleError, match="above 0"):
        ReminderWave(after_working_hours=0, share=0.5)
    capped = plan(
        files(3, 90),
        earliest_start="2026-03-02 08:00",
        max_messages_per_day=100,
        reminders=ReminderWave(after_working_hours=8, share=0.9),
    )
    assert capped.reminder_wave["rows"].max() <= 100  # the cap, not 250, bounds a file
    assert capped.reminder_wave["rows"].sum() == 3 * 81
    assert capped.check() == []


def test_a_reminder_moved_before_its_due_time_fails_the_check():
    p = plan(
        files(4),
        earliest_start="2026-03-02 08:00",
        reminders=ReminderWave(after_working_hours=4, share=0.5),
    )
    moved = p.files.with_columns(
        pl.when(pl.col("wave") == REMINDER_WAVE)
        .then(pl.col("due") - dt.timedelta(hours=1))
        .otherwise(pl.col("start"))
        .alias("start")
    )
    from inkorg_kit.sending.checks import check_plan

    assert any("before it is due" in problem for problem in check_plan(moved, p.windows, None))


def test_csv_and_calendars_carry_the_wave(tmp_path):
    p = plan(
        files(6),
        handlers=["Lena Holm", "Amir Haddad"],
        minutes_per_file=30,
        earliest_start="2026-03-02 08:00",
        reminders=ReminderWave(after_working_hours=6, share=0.4),
    )
    back = read_plan_csv(p.to_csv(tmp_path / "plan.csv"))
    assert back.equals(p.files)
    assert back["wave"].to_list().count(REMINDER_WAVE) == p.reminder_wave.height > 0
    header = (tmp_path / "plan.csv").read_bytes().split(b"\r\n")[0].decode("utf-8-sig")
    assert header == "file_name;rows;handler;start;end;wave;due;covers"
    cal = icalendar.Calendar.from_ical(p.to_ical(tmp_path / "plan.ics", "Kampanj").read_bytes())
    events = cal.walk("VEVENT")
    assert [str(e["X-INKORG-WAVE"]) for e in events] == p.files["wave"].to_list()
    reminder = next(e for e in events if str(e["X-INKORG-WAVE"]) == REMINDER_WAVE)
    assert "påminnelse paminnelse_" in str(reminder["SUMMARY"])
    assert "steg 04" in str(reminder["DESCRIPTION"])
    first = next(e for e in events if str(e["X-INKORG-WAVE"]) == FIRST_WAVE)
    assert "Utskick: första" in str(first["DESCRIPTION"])
    per_handler = p.to_ical_by_handler(tmp_path, "Kampanj")
    waves = [
        str(e["X-INKORG-WAVE"])
        for path in per_handler.values()
        for e in icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT")
    ]
    assert sorted(waves) == sorted(p.files["wave"].to_list())


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 250), min_size=1, max_size=25),
    handlers=st.integers(1, 3),
    minutes=st.sampled_from([5, 15, 40]),
    hours=st.sampled_from([0.5, 3, 8, 24, 30]),
    share=st.floats(0.0, 1.0),
    part_size=st.integers(1, 250),
    start=st.sampled_from(["2026-03-02 08:00", "2026-12-23 16:30", "2026-03-27 15:00"]),
)
def test_reminder_wave_invariants(sizes, handlers, minutes, hours, share, part_size, start):
    wave = ReminderWave(after_working_hours=hours, share=share, part_size=part_size)
    p = plan(
        files(len(sizes), sizes),
        handlers=handlers,
        minutes_per_file=minutes,
        earliest_start=start,
        windows=LUNCH,
        reminders=wave,
    )
    assert_reminder_wave_holds(p, wave)
