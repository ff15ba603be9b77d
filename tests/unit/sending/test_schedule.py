"""Send windows, Swedish holidays, working-hours arithmetic and the send plan."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from zoneinfo import ZoneInfo

import holidays
import icalendar
import numpy as np
import polars as pl
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import REPO, assert_no_personnummer

from inkorg_kit import schedule
from inkorg_kit.schedule import (
    REASONS,
    ScheduleError,
    SendWindows,
    add_working_hours,
    blocked_days,
    outside_window_codes,
    outside_windows,
    plan,
    read_plan_csv,
    window_intervals,
    working_hours_between,
)
from inkorg_kit.sending.checks import check_plan

STHLM = ZoneInfo("Europe/Stockholm")
UTC = dt.UTC
LUNCH = SendWindows(lunch_break=("12:00", "13:00"))


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=STHLM)


def elapsed(a: dt.datetime, b: dt.datetime) -> dt.timedelta:
    """Real time from a to b (Python subtracts wall clocks when both share one tzinfo)."""
    return b.astimezone(UTC) - a.astimezone(UTC)


def files_frame(n: int, rows: int | list[int] = 250) -> pl.DataFrame:
    sizes = rows if isinstance(rows, list) else [rows] * n
    return pl.DataFrame(
        {
            "file_name": [f"utskick_{i + 1:03d}.txt" for i in range(n)],
            "rows": sizes,
            "part": [i // 10 + 1 for i in range(n)],
            "unit": ["SE2321000057-1234"] * n,
        }
    )


# --------------------------------------------------------------------------- SendWindows


def test_windows_from_yaml_like_strings():
    w = SendWindows.model_validate(
        {
            "weekdays": ["mon", "Tuesday", "wed"],
            "start": "09:00",
            "end": "15:30",
            "lunch_break": ["11:30", "12:15"],
            "blocked_dates": ["2026-03-04"],
            "blocked_reasons": {"2026-03-03": "Personaldag"},
        }
    )
    assert w.weekdays == (0, 1, 2)
    assert w.segments() == [(dt.time(9), dt.time(11, 30)), (dt.time(12, 15), dt.time(15, 30))]
    assert hash(w) == hash(SendWindows.model_validate(w.model_dump()))  # usable as a cache key
    days = blocked_days(w, "2026-03-02", "2026-03-08")
    assert days == {
        dt.date(2026, 3, 3): "Stängt: Personaldag",
        dt.date(2026, 3, 4): "Stängt: blockerat datum",
        dt.date(2026, 3, 5): "Torsdag",
        dt.date(2026, 3, 6): "Fredag",
        dt.date(2026, 3, 7): "Lördag",
        dt.date(2026, 3, 8): "Söndag",
    }
    assert "mån–ons 09:00–15:30" in w.describe()


@pytest.mark.parametrize(
    "bad",
    [
        {"weekdays": []},
        {"weekdays": ["funday"]},
        {"start": "17:00", "end": "08:00"},
        {"lunch_break": ["07:00", "09:00"]},
        {"timezone": "Europe/Stockhlm"},
        {"extra": 1},
    ],
)
def test_windows_reject_bad_settings(bad):
    with pytest.raises(ValueError):
        SendWindows.model_validate(bad)


@pytest.mark.parametrize(
    "text",
    [
        'start: "08:00"\nend: "16:30"\nlunch_break: ["12:00", "12:30"]',
        "start: 08:00\nend: 16:30\nlunch_break: [12:00, 12:30]",  # 16:30 unquoted: 990
        "start: 8:00\nend: 16:30\nlunch_break: [12:00, 12:30]",  # 8:00 unquoted: 480
        'start: "8.00"\nend: "16.30"\nlunch_break: ["12.00", "12.30"]',
        'start: "08:00:00"\nend: "16:30"\nlunch_break: ["12:00", "12:30"]',
    ],
)
def test_window_times_as_people_write_them_in_yaml(text):
    """YAML 1.1 reads unquoted 8:00 as the base-60 integer 480: minutes, not seconds."""
    w = SendWindows.model_validate(yaml.safe_load(text))
    assert (w.start, w.end) == (dt.time(8), dt.time(16, 30))
    assert w.lunch_break == (dt.time(12), dt.time(12, 30))
    assert w.start.tzinfo is None and w.end.tzinfo is None
    assert w.segments()[0] == (dt.time(8), dt.time(12))
    assert outside_windows(["2027-03-16 08:00", "2027-03-16 00:10"], w) == [None, "natt"]


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("start: 8", "start"),  # which 8? 08:00 or 00:08
        ("start: 8.30", "start"),  # YAML: the float 8.3
        ("end: 17:00:00", "end"),  # YAML: 61200 seconds
        ("start: 30", "start"),
        ('end: "25:00"', "end"),
        ('start: "kl 8"', "start"),
        ("lunch_break: [12, 13]", r"lunch_break\[0\]"),
    ],
)
def test_window_times_refuse_other_numbers_naming_field_and_form(text, field):
    with pytest.raises(ValueError, match=rf"{field}: .*'HH:MM', e\.g\. '08:00'"):
        SendWindows.model_validate(yaml.safe_load(text))
    with pytest.raises(ValueError, match=r"lunch_break: '12-13' is not two times"):
        SendWindows.model_validate({"lunch_break": "12-13"})


def test_unquoted_window_times_in_a_campaign_give_the_right_plan():
    from inkorg_kit import campaign as cp

    data = yaml.safe_load((REPO / "params" / "demo" / "campaign.yaml").read_text("utf-8"))
    data["send_windows"] = yaml.safe_load(
        "weekdays: [mon, tue, wed, thu, fri]\nstart: 8:00\nend: 16:30\nlunch_break: [12:00, 12:30]"
    )
    c = cp.parse_campaign(data, "unquoted.yaml")
    assert c.send_windows.segments() == [
        (dt.time(8), dt.time(12)),
        (dt.time(12, 30), dt.time(16, 30)),
    ]
    p = plan(
        files_frame(40), minutes_per_file=30, earliest_start="2027-03-16", windows=c.send_windows
    )
    assert p.files["start"].min() == local(2027, 3, 16, 8)
    assert p.check() == [] and p.warnings() == []
    with pytest.raises(cp.CampaignError, match=r"send_windows\.start"):
        cp.parse_campaign(data | {"send_windows": {"start": 8}}, "eight.yaml")


def test_a_window_reaching_into_the_night_warns_but_plans():
    assert SendWindows().warnings() == [] and LUNCH.warnings() == []
    assert SendWindows(start="06:00", end="22:00").warnings() == []
    early = SendWindows(start="05:00", end="22:30")
    warned = early.warnings()
    assert len(warned) == 2 and "05:00, före 06:00" in warned[0] and "22:30" in warned[1]
    p = plan(files_frame(4), minutes_per_file=30, earliest_start="2027-03-16 05:00", windows=early)
    assert p.check() == []  # inside the windows as configured ...
    assert "2 av 4 filer skickas nattetid" in p.warnings()[-1]  # ... but not as the guidelines say
    daytime = plan(
        files_frame(4), minutes_per_file=30, earliest_start="2027-03-16 09:00", windows=early
    )
    assert daytime.warnings() == warned


# --------------------------------------------------------------------------- holidays


def test_sundays_are_weekdays_not_holidays():
    """holidays.SE counts every Sunday as a holiday unless told not to."""
    days = blocked_days(SendWindows(), "2026-03-01", "2026-03-01")
    assert days == {dt.date(2026, 3, 1): "Söndag"}
    every_day = SendWindows(weekdays=range(7))
    assert blocked_days(every_day, "2026-03-01", "2026-03-08") == {}


def test_midsommar_2026():
    days = blocked_days(SendWindows(), "2026-06-18", "2026-06-22")
    assert days == {
        dt.date(2026, 6, 19): "Midsommarafton",
        dt.date(2026, 6, 20): "Midsommardagen",
        dt.date(2026, 6, 21): "Söndag",
    }


def test_christmas_and_new_year_2026():
    days = blocked_days(SendWindows(), "2026-12-21", "2027-01-08")
    for day, label in [
        ((2026, 12, 24), "Julafton"),
        ((2026, 12, 25), "Juldagen"),
        ((2026, 12, 26), "Annandag jul"),
        ((2026, 12, 31), "Nyårsafton"),
        ((2027, 1, 1), "Nyårsdagen"),
        ((2027, 1, 6), "Trettondedag jul"),
    ]:
        assert days[dt.date(*day)] == label
    for open_day in [(2026, 12, 21), (2026, 12, 22), (2026, 12, 23), (2026, 12, 28), (2027, 1, 5)]:
        assert dt.date(*open_day) not in days
    assert blocked_days(SendWindows(), "2026-01-01", "2026-01-06").keys() >= {
        dt.date(2026, 1, 1),
        dt.date(2026, 1, 6),
    }


def test_easter_and_ascension_2026():
    days = blocked_days(SendWindows(), "2026-04-01", "2026-05-15")
    assert days[dt.date(2026, 4, 3)] == "Långfredagen"
    assert days[dt.date(2026, 4, 6)] == "Annandag påsk"
    assert days[dt.date(2026, 5, 1)] == "Första maj"
    assert days[dt.date(2026, 5, 14)] == "Kristi himmelsfärdsdag"
    assert dt.date(2026, 4, 2) not in days  # skärtorsdag is a working day
    assert dt.date(2026, 4, 7) not in days
    assert dt.date(2026, 5, 15) not in days  # klämdag: not blocked by default


def test_eves_and_holidays_can_be_switched_off():
    only_eves = SendWindows(public_holidays=False)
    days = blocked_days(only_eves, "2026-12-24", "2026-12-25")
    assert days == {dt.date(2026, 12, 24): "Julafton"}
    no_eves = SendWindows(block_eves=False)
    assert blocked_days(no_eves, "2026-06-19", "2026-06-19") == {}
    assert blocked_days(no_eves, "2026-12-25", "2026-12-25") == {dt.date(2026, 12, 25): "Juldagen"}


@pytest.mark.parametrize("year", range(2024, 2036))
def test_eves_every_year(year):
    """The three eves are blocked each year, whether or not the package lists them."""
    days = blocked_days(SendWindows(weekdays=range(7)), f"{year}-01-01", f"{year}-12-31")
    midsommar = [d for d, label in days.items() if label == "Midsommarafton"]
    assert len(midsommar) == 1
    assert midsommar[0].weekday() == 4 and 19 <= midsommar[0].day <= 25
    assert midsommar[0].month == 6
    assert days[dt.date(year, 12, 24)] == "Julafton"
    assert days[dt.date(year, 12, 31)] == "Nyårsafton"
    # Where the package does list them (de_facto category), it agrees with us.
    try:
        listed = holidays.SE(
            years=year, include_sundays=False, language="sv", categories=("de_facto",)
        )
    except Exception:  # older package: no such category, our own dates stand
        return
    for day, name in listed.items():
        if name in ("Midsommarafton", "Julafton", "Nyårsafton"):
            assert days[day] == name


# --------------------------------------------------------------------------- intervals & DST


def test_dst_spring_2026_keeps_local_clock():
    intervals = window_intervals(SendWindows(), "2026-03-27", "2026-03-31")
    assert [(a.isoformat(), b.isoformat()) for a, b in intervals] == [
        ("2026-03-27T08:00:00+01:00", "2026-03-27T17:00:00+01:00"),
        ("2026-03-30T08:00:00+02:00", "2026-03-30T17:00:00+02:00"),
    ]
    assert [a.astimezone(UTC).hour for a, _ in intervals] == [7, 6]
    assert all(elapsed(a, b) == dt.timedelta(hours=9) for a, b in intervals)
    assert working_hours_between("2026-03-27 08:00", "2026-03-30 17:00", SendWindows()) == 18.0


def test_dst_autumn_2026_keeps_local_clock():
    intervals = window_intervals(LUNCH, "2026-10-23", "2026-10-27")
    starts = [a.strftime("%Y-%m-%d %H:%M%z") for a, _ in intervals]
    assert starts == [
        "2026-10-23 08:00+0200",
        "2026-10-23 13:00+0200",
        "2026-10-26 08:00+0100",
        "2026-10-26 13:00+0100",
    ]
    assert [elapsed(a, b) for a, b in intervals] == [dt.timedelta(hours=4)] * 4
    assert working_hours_between("2026-10-23 08:00", "2026-10-26 17:00", LUNCH) == 16.0


def test_interval_lengths_on_the_change_nights_are_real_time():
    """A (silly) window across 02:00-03:00 on the change Sundays is 3 h in spring, 5 h in autumn."""
    night = SendWindows(weekdays=range(7), start="01:00", end="05:00")
    spring = window_intervals(night, "2026-03-29", "2026-03-30")
    autumn = window_intervals(night, "2026-10-25", "2026-10-26")
    assert [elapsed(a, b) for a, b in spring] == [dt.timedelta(hours=3)]
    assert [elapsed(a, b) for a, b in autumn] == [dt.timedelta(hours=5)]
    assert working_hours_between("2026-10-25 00:00", "2026-10-26 00:00", night) == 5.0


def test_window_intervals_clip_and_remove_lunch():
    got = window_intervals(LUNCH, local(2026, 3, 2, 10, 30), "2026-03-02 14:00")
    assert got == [
        (local(2026, 3, 2, 10, 30), local(2026, 3, 2, 12)),
        (local(2026, 3, 2, 13), local(2026, 3, 2, 14)),
    ]
    assert window_intervals(LUNCH, "2026-03-07", "2026-03-08") == []  # weekend
    assert window_intervals(LUNCH, "2026-03-03", "2026-03-02") == []


def test_dst_spring_2027_on_easter_sunday():
    """28 March 2027 is Påskdagen: Långfredagen before and Annandag påsk after are closed too."""
    days = blocked_days(LUNCH, "2027-03-25", "2027-03-30")
    assert days == {
        dt.date(2027, 3, 26): "Långfredagen",
        dt.date(2027, 3, 27): "Lördag",
        dt.date(2027, 3, 28): "Påskdagen",
        dt.date(2027, 3, 29): "Annandag påsk",
    }
    intervals = window_intervals(LUNCH, "2027-03-25", "2027-03-31")
    assert [(a.isoformat(), b.isoformat()) for a, b in intervals] == [
        ("2027-03-25T08:00:00+01:00", "2027-03-25T12:00:00+01:00"),
        ("2027-03-25T13:00:00+01:00", "2027-03-25T17:00:00+01:00"),
        ("2027-03-30T08:00:00+02:00", "2027-03-30T12:00:00+02:00"),
        ("2027-03-30T13:00:00+02:00", "2027-03-30T17:00:00+02:00"),
    ]
    assert working_hours_between("2027-03-25 16:00", "2027-03-30 09:00", LUNCH) == 2.0
    assert add_working_hours("2027-03-25 16:30", 1, LUNCH) == local(2027, 3, 30, 8, 30)
    assert add_working_hours("2027-03-25 16:30", 1, LUNCH).utcoffset() == dt.timedelta(hours=2)
    p = plan(files_frame(6), minutes_per_file=90, earliest_start="2027-03-25 13:00", windows=LUNCH)
    assert [t.isoformat() for t in p.files["start"].to_list()] == [
        "2027-03-25T13:00:00+01:00",
        "2027-03-25T14:30:00+01:00",
        "2027-03-30T08:00:00+02:00",
        "2027-03-30T09:30:00+02:00",
        "2027-03-30T13:00:00+02:00",
        "2027-03-30T14:30:00+02:00",
    ]
    assert all(
        elapsed(a, b) == dt.timedelta(minutes=90) for a, b in p.files.select("start", "end").rows()
    )
    assert p.check() == []


def test_dst_autumn_2027_on_the_last_sunday_of_october():
    intervals = window_intervals(SendWindows(), "2027-10-29", "2027-11-02")
    assert [(a.isoformat(), b.isoformat()) for a, b in intervals] == [
        ("2027-10-29T08:00:00+02:00", "2027-10-29T17:00:00+02:00"),
        ("2027-11-01T08:00:00+01:00", "2027-11-01T17:00:00+01:00"),
    ]
    assert [a.astimezone(UTC).hour for a, _ in intervals] == [6, 7]
    assert add_working_hours("2027-10-29 16:30", 1, SendWindows()) == local(2027, 11, 1, 8, 30)
    assert working_hours_between("2027-10-29 08:00", "2027-11-01 17:00", SendWindows()) == 18.0
    # 02:30 happens twice that night; either way it is a Sunday night
    twice = [
        dt.datetime(2027, 10, 31, 0, 30, tzinfo=UTC),
        dt.datetime(2027, 10, 31, 1, 30, tzinfo=UTC),
    ]
    assert [t.astimezone(STHLM).strftime("%H:%M") for t in twice] == ["02:30", "02:30"]
    assert outside_windows(twice, SendWindows()) == ["helg, natt", "helg, natt"]


def test_midsommarafton_2027():
    days = blocked_days(SendWindows(), "2027-06-24", "2027-06-28")
    assert days == {
        dt.date(2027, 6, 25): "Midsommarafton",
        dt.date(2027, 6, 26): "Midsommardagen",
        dt.date(2027, 6, 27): "Söndag",
    }
    assert outside_windows(["2027-06-25 10:00"], SendWindows()) == ["helgdag: Midsommarafton"]
    p = plan(files_frame(2), minutes_per_file=45, earliest_start="2027-06-24 16:00")
    assert p.files["start"].to_list() == [local(2027, 6, 24, 16), local(2027, 6, 28, 8)]


def test_kristi_himmelsfard_2027():
    days = blocked_days(SendWindows(), "2027-05-05", "2027-05-07")
    assert days == {dt.date(2027, 5, 6): "Kristi himmelsfärdsdag"}  # the Friday is open
    assert outside_windows(["2027-05-06 10:00"], SendWindows()) == [
        "helgdag: Kristi himmelsfärdsdag"
    ]
    assert working_hours_between("2027-05-05 16:00", "2027-05-07 09:00", SendWindows()) == 2.0


# --------------------------------------------------------------------------- outside_windows


def test_outside_window_reasons():
    times = [
        "2026-03-02 02:00",
        "2026-03-02 06:30",
        "2026-03-02 19:00",
        "2026-03-07 10:00",  # Saturday
        "2026-12-25 10:00",
        "2026-03-02 12:30",
        "2026-03-02 10:00",
        "2026-03-02 08:00",
        "2026-03-02 13:00",
        "2026-03-02 17:00",
        "2026-03-02 23:30",
        "2026-06-19 10:00",
        None,
    ]
    assert outside_windows(times, LUNCH) == [
        "natt",
        "tidig morgon",
        "kväll",
        "helg",
        "helgdag: Juldagen",
        "lunch",
        None,
        None,
        None,
        "kväll",
        "natt",
        "helgdag: Midsommarafton",
        None,
    ]
    assert outside_window_codes(times[:6], LUNCH) == [
        "night",
        "early_morning",
        "evening",
        "weekend",
        "holiday",
        "lunch",
    ]


def test_outside_windows_zone_aware_and_campaign_use():
    # 18:00 UTC is 19:00 in Stockholm in winter: evening.
    assert outside_windows([dt.datetime(2026, 3, 2, 18, tzinfo=UTC)], SendWindows()) == ["kväll"]
    assert outside_windows([dt.datetime(2026, 3, 2, 9, tzinfo=UTC)], SendWindows()) == [None]
    assert outside_windows(dt.datetime(2026, 3, 2, 10), SendWindows()) == [None]  # naive = local
    narrow = SendWindows(start="10:00", end="15:00", blocked_dates=["2026-03-03"])
    got = outside_windows(["2026-03-02 09:30", "2026-03-02 15:30", "2026-03-03 11:00"], narrow)
    assert got == ["före sändfönstret", "efter sändfönstret", "blockerat datum"]
    four_days = SendWindows(weekdays=["mon", "tue", "wed", "thu"])
    assert outside_windows(["2026-03-06 10:00"], four_days) == ["ej sändningsdag"]
    assert set(REASONS) >= set(outside_window_codes(["2026-03-06 10:00"], four_days))


def test_closed_days_name_a_night_too_and_blocked_dates_their_reason():
    w = SendWindows(blocked_reasons={"2027-03-17": "Personaldag"}, blocked_dates=["2027-03-18"])
    times = [
        "2027-03-21 02:30",  # an ordinary Sunday night
        "2027-03-28 02:30",  # Påskdagen, in the spring-forward gap: read as 03:30 CEST
        "2027-03-20 19:00",  # Saturday evening
        "2027-03-20 10:00",
        "2027-03-17 10:00",
        "2027-03-18 10:00",
        "2027-03-17 23:00",
    ]
    assert outside_windows(times, w) == [
        "helg, natt",
        "helgdag: Påskdagen, natt",
        "helg, kväll",
        "helg",
        "blockerat datum: Personaldag",
        "blockerat datum",
        "blockerat datum: Personaldag, natt",
    ]
    # night is the code whatever the day (seed 003), so the campaign check cites the right rule
    assert outside_window_codes(times, w) == [
        "night",
        "night",
        "weekend",
        "weekend",
        "blocked_date",
        "blocked_date",
        "night",
    ]


def test_times_that_are_not_times_are_named():
    series = pl.Series("start", ["2027-03-16 09:00", "igår kväll", None])
    with pytest.raises(ScheduleError, match=r"times 'start', value 1: could not read 'igår kväll'"):
        outside_windows(series, SendWindows())
    with pytest.raises(ScheduleError, match="'nästa vecka'"):
        outside_windows(["2027-03-16 09:00", "nästa vecka"], SendWindows())
    with pytest.raises(ScheduleError, match="'x'"):
        working_hours_between(pl.Series(["x"]), "2027-03-16 09:00", SendWindows())
    # mixed but valid ISO forms are read one by one rather than refused
    mixed = pl.Series(["2027-03-16 09:00", "2027-03-16T20:00:00+01:00"])
    assert outside_windows(mixed, SendWindows()) == [None, "kväll"]


def test_outside_windows_is_vectorised_over_series():
    times = pl.datetime_range(dt.datetime(2026, 3, 1), dt.datetime(2026, 3, 15), "7m", eager=True)
    got = outside_windows(times, LUNCH)
    assert len(got) == times.len()
    # Agrees with the interval list: allowed exactly when inside one of the intervals.
    intervals = window_intervals(LUNCH, "2026-03-01", "2026-03-16")
    local_times = times.dt.replace_time_zone("Europe/Stockholm").to_list()
    expected = [any(a <= t < b for a, b in intervals) for t in local_times]
    assert [g is None for g in got] == expected


# --------------------------------------------------------------------------- working hours


def test_working_hours_across_a_weekend():
    w = SendWindows()
    assert working_hours_between("2026-03-06 16:00", "2026-03-09 09:00", w) == 2.0
    assert working_hours_between("2026-03-06 18:00", "2026-03-09 07:00", w) == 0.0
    assert working_hours_between("2026-03-09 09:00", "2026-03-06 16:00", w) == -2.0
    assert add_working_hours("2026-03-06 16:00", 2, w) == local(2026, 3, 9, 9)
    assert add_working_hours("2026-03-06 16:00", 1, w) == local(2026, 3, 6, 17)  # ends at the edge
    assert add_working_hours("2026-03-07 11:00", 0, w) == local(2026, 3, 7, 11)  # zero: unchanged
    assert add_working_hours("2026-03-07 11:00", 0.5, w) == local(2026, 3, 9, 8, 30)


def test_working_hours_across_holidays_and_lunch():
    # Thursday before Easter 16:00 -> Tuesday after Easter 09:00: Good Friday, the weekend and
    # Easter Monday do not count.
    assert working_hours_between("2026-04-02 16:00", "2026-04-07 09:00", LUNCH) == 2.0
    assert add_working_hours("2026-04-02 16:30", 1, LUNCH) == local(2026, 4, 7, 8, 30)
    assert add_working_hours("2026-05-13 16:00", 2, LUNCH) == local(2026, 5, 15, 9)  # Ascension
    assert add_working_hours("2026-03-02 11:30", 1, LUNCH) == local(2026, 3, 2, 13, 30)
    assert working_hours_between("2026-03-02 08:00", "2026-03-02 17:00", LUNCH) == 8.0
    # A whole Christmas: 21-23 Dec, 28-30 Dec, 2 and 5 Jan, at 8 h each.
    assert working_hours_between("2026-12-21", "2027-01-06", LUNCH) == 8 * 8


def test_working_hours_vectorised_inputs():
    rng = np.random.default_rng(7)
    base = np.datetime64("2026-01-01T00:00", "us")
    offsets = rng.integers(0, 365 * 24 * 60, size=3000).astype("timedelta64[m]")
    naive = base + offsets
    series = pl.Series("sent", naive)
    hours = rng.uniform(0, 60, size=3000)
    later = add_working_hours(series, hours, LUNCH)
    assert later.dtype == pl.Datetime("us", "Europe/Stockholm")
    back = working_hours_between(series, later, LUNCH)
    np.testing.assert_allclose(back.to_numpy(), hours, atol=1e-6)
    # numpy in -> numpy (local wall clock) out; same answers as one-at-a-time.
    as_numpy = add_working_hours(naive[:50], 24, LUNCH)
    assert as_numpy.dtype == np.dtype("datetime64[us]")
    for t, got in zip(naive[:50], as_numpy, strict=True):
        one = add_working_hours(t.astype(dt.datetime), 24, LUNCH)
        assert one.replace(tzinfo=None) == got.astype(dt.datetime)
    # Nulls stay null.
    with_null = pl.Series("t", [dt.datetime(2026, 3, 2, 9), None])
    assert add_working_hours(with_null, 1, LUNCH).to_list()[1] is None
    assert working_hours_between(with_null, "2026-03-02 12:00", LUNCH).to_list() == [3.0, None]


def _minutes_open_brute_force(windows: SendWindows, start: dt.datetime, end: dt.datetime) -> int:
    """Count whole minutes that outside_windows allows: an independent route to the answer."""
    grid = pl.datetime_range(start, end, "1m", eager=True, closed="left", time_zone=None)
    return sum(r is None for r in outside_windows(grid, windows))


@settings(max_examples=25, deadline=None)
@given(
    day=st.integers(0, 700),
    minute=st.integers(0, 24 * 60 - 1),
    span_minutes=st.integers(0, 6 * 24 * 60),
    lunch=st.booleans(),
)
def test_working_hours_match_brute_force(day, minute, span_minutes, lunch):
    windows = LUNCH if lunch else SendWindows()
    start = dt.datetime(2026, 1, 1) + dt.timedelta(days=day, minutes=minute)
    end = start + dt.timedelta(minutes=span_minutes)
    # Wall-clock minutes; the windows never contain the DST change hour, so this is real time.
    expected = _minutes_open_brute_force(windows, start, end) / 60
    assert working_hours_between(start, end, windows) == pytest.approx(expected, abs=1e-9)
    hours = span_minutes / 60
    later = add_working_hours(start, hours, windows)
    assert working_hours_between(start, later, windows) == pytest.approx(hours, abs=1e-6)
    if hours > 0:
        assert outside_windows([later - dt.timedelta(microseconds=1)], windows) == [None]


def test_working_hours_bad_input():
    with pytest.raises(ScheduleError, match="zero or more"):
        add_working_hours("2026-03-02 08:00", -1)
    with pytest.raises(ScheduleError, match="YYYY-MM-DD"):
        working_hours_between("2 mars", "2026-03-03")


# --------------------------------------------------------------------------- the plan


def test_plan_packs_files_without_splitting_over_lunch():
    files = files_frame(7)
    p = plan(files, minutes_per_file=50, earliest_start="2026-03-02", windows=LUNCH)
    starts = [t.strftime("%d %H:%M") for t in p.files["start"].to_list()]
    assert starts == [
        "02 08:00",
        "02 08:50",
        "02 09:40",
        "02 10:30",
        "02 13:00",
        "02 13:50",
        "02 14:40",
    ]
    assert p.files["handler"].unique().to_list() == ["Handläggare 1"]
    assert p.end == local(2026, 3, 2, 15, 30)
    assert p.check() == []
    assert p.files.columns == [
        *("file_name", "rows", "handler", "start", "end", "part", "unit"),
        *("wave", "due", "covers"),  # the wave columns end every plan
    ]
    assert p.files["wave"].unique().to_list() == ["första"] and p.reminder_wave.is_empty()


def test_plan_day_cap_and_holidays():
    files = files_frame(5)
    p = plan(
        files,
        handlers=["Anna", "Bo"],
        minutes_per_file=10,
        max_messages_per_day=500,
        earliest_start=dt.date(2026, 6, 18),
        windows=SendWindows(),
    )
    assert p.days.to_dicts() == [
        {"date": dt.date(2026, 6, 18), "files": 2, "messages": 500},
        {"date": dt.date(2026, 6, 22), "files": 2, "messages": 500},  # 19 June: midsommarafton
        {"date": dt.date(2026, 6, 23), "files": 1, "messages": 250},
    ]
    assert p.files["handler"].to_list() == ["Anna", "Bo", "Anna", "Bo", "Anna"]
    assert p.check() == []


def test_plan_across_dst_starts_at_local_eight():
    p = plan(
        files_frame(6),
        minutes_per_file=60,
        max_messages_per_day=750,
        earliest_start="2026-03-27 08:00",
        windows=SendWindows(),
    )
    starts = [t.isoformat() for t in p.files["start"].to_list()]
    assert starts[0] == "2026-03-27T08:00:00+01:00"
    assert starts[3] == "2026-03-30T08:00:00+02:00"


def test_plan_starts_late_in_a_window_and_parses_strings():
    p = plan(files_frame(2), minutes_per_file=30, earliest_start="2026-03-02 16:45")
    assert p.files["start"].to_list() == [local(2026, 3, 3, 8), local(2026, 3, 3, 8, 30)]
    p2 = plan(files_frame(1), minutes_per_file=30, earliest_start="2026-03-02T16:00:00+00:00")
    assert p2.files["start"].to_list() == [local(2026, 3, 3, 8)]  # 17:00 local: evening


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"files": pl.DataFrame({"file_name": ["a"]})}, "missing column"),
        ({"files": files_frame(2, [250, 251])}, "rows outside 1-250"),
        ({"files": files_frame(2, [0, 10])}, "rows outside 1-250"),
        ({"files": files_frame(0)}, "nothing to plan"),
        ({"max_messages_per_day": 200}, "utskick_001.txt"),
        ({"minutes_per_file": 600}, "does not fit"),
        ({"minutes_per_file": 0}, "above 0"),
        ({"handlers": 0}, "1 or more"),
        ({"handlers": ["Anna", "Anna"]}, "unique"),
        ({"earliest_start": "nästa måndag"}, "YYYY-MM-DD"),
        (
            {"files": pl.DataFrame({"file_name": ["a", "a"], "rows": [1, 2]})},
            "must be unique",
        ),
    ],
)
def test_plan_errors_say_what_is_wrong(kwargs, message):
    args = {"files": files_frame(3), "earliest_start": "2026-03-02"} | kwargs
    files = args.pop("files")
    with pytest.raises(ScheduleError, match=message):
        plan(files, **args)


@st.composite
def windows_strategy(draw):
    start = draw(st.integers(6, 10))
    end = draw(st.integers(13, 19))
    lunch = None
    if draw(st.booleans()):
        lunch_start = draw(st.integers(start + 1, 12))
        lunch = (dt.time(lunch_start), dt.time(lunch_start, draw(st.sampled_from([30, 45]))))
    days = draw(st.sets(st.integers(0, 6), min_size=1, max_size=7))
    blocked = draw(st.lists(st.dates(dt.date(2026, 1, 1), dt.date(2026, 12, 31)), max_size=5))
    return SendWindows(
        weekdays=tuple(days),
        start=dt.time(start),
        end=dt.time(end),
        lunch_break=lunch,
        blocked_dates=tuple(blocked),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    windows=windows_strategy(),
    sizes=st.lists(st.integers(1, 250), min_size=1, max_size=30),
    handlers=st.integers(1, 4),
    minutes=st.floats(1, 150, allow_nan=False).map(lambda m: round(m, 2)),
    cap_extra=st.one_of(st.none(), st.integers(0, 800)),
    earliest=st.datetimes(dt.datetime(2026, 1, 1), dt.datetime(2026, 12, 31)),
)
def test_plan_properties(windows, sizes, handlers, minutes, cap_extra, earliest):
    longest = max(
        (dt.datetime.combine(dt.date.min, b) - dt.datetime.combine(dt.date.min, a))
        for a, b in windows.segments()
    )
    cap = None if cap_extra is None else max(sizes) + cap_extra
    files = files_frame(len(sizes), sizes)
    if dt.timedelta(minutes=minutes) > longest:
        with pytest.raises(ScheduleError, match="does not fit"):
            plan(
                files,
                handlers=handlers,
                minutes_per_file=minutes,
                earliest_start=earliest,
                windows=windows,
            )
        return
    p = plan(
        files,
        handlers=handlers,
        minutes_per_file=minutes,
        max_messages_per_day=cap,
        earliest_start=earliest,
        windows=windows,
    )
    out = p.files
    assert out["file_name"].to_list() == files["file_name"].to_list()
    assert out["rows"].to_list() == sizes
    assert p.check() == []
    starts, ends = out["start"].to_list(), out["end"].to_list()
    duration = dt.timedelta(microseconds=round(minutes * 60_000_000))
    earliest_local = earliest.replace(tzinfo=STHLM)
    for s, e in zip(starts, ends, strict=True):
        assert elapsed(s, e) == duration
        assert s >= earliest_local
        # Inside a window: the allowed intervals within [s, e] are exactly [s, e].
        assert window_intervals(windows, s, e) == [(s, e)]
    assert outside_windows(starts, windows) == [None] * len(starts)
    # In order: no file starts before an earlier one.
    assert starts == sorted(starts)
    # No handler does two files at once.
    for _, group in out.sort("start").group_by("handler"):
        g_starts, g_ends = group["start"].to_list(), group["end"].to_list()
        assert all(b >= a for a, b in zip(g_ends[:-1], g_starts[1:], strict=True))
    assert set(out["handler"].to_list()) <= {f"Handläggare {i}" for i in range(1, handlers + 1)}
    # Caps, and the day summary adds up.
    assert p.days["messages"].sum() == sum(sizes)
    assert p.days["files"].sum() == len(sizes)
    if cap is not None:
        assert p.days["messages"].max() <= cap
    assert p.end == max(ends)
    # The first file starts at the first moment it fits.
    first = next(
        a
        for a, b in window_intervals(
            windows, earliest_local, earliest_local + dt.timedelta(days=40)
        )
        if elapsed(a, b) >= duration
    )
    assert starts[0] == first


def test_check_flags_a_broken_plan():
    p = plan(
        files_frame(3),
        handlers=1,
        minutes_per_file=30,
        max_messages_per_day=750,
        earliest_start="2026-03-02",
    )
    starts = [local(2026, 3, 2, 8), local(2026, 3, 7, 10), local(2026, 3, 2, 8, 20)]
    # file 2 on a Saturday; file 3 starts while file 1 is still being sent
    broken = p.files.with_columns(
        pl.Series("start", starts).dt.convert_time_zone("Europe/Stockholm"),
        pl.Series("end", [t + dt.timedelta(minutes=30) for t in starts]).dt.convert_time_zone(
            "Europe/Stockholm"
        ),
    )
    problems = check_plan(broken, p.windows, 250)
    text = "\n".join(problems)
    assert "utskick_002.txt" in text and "helg" in text
    assert "before the previous file ends" in text
    assert "above the cap" in text


# --------------------------------------------------------------------------- export


def test_csv_round_trip(tmp_path):
    p = plan(
        files_frame(12),
        handlers=3,
        minutes_per_file=20,
        earliest_start="2026-10-23 15:00",
        windows=LUNCH,
    )
    path = p.to_csv(tmp_path / "plan.csv")
    assert os.stat(path).st_mode & 0o777 == 0o600
    back = read_plan_csv(path)
    assert back.equals(p.files)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbffile_name;rows;handler;start;end;") and b"\r\n" in data
    assert "2026-10-23T15:00:00+02:00" in data.decode("utf-8")


def test_ical_parses_back_with_stable_uids(tmp_path):
    files = files_frame(9)
    first = plan(files, handlers=2, minutes_per_file=15, earliest_start="2026-03-02")
    second = plan(files, handlers=3, minutes_per_file=25, earliest_start="2026-03-09")
    a = first.to_ical(
        tmp_path / "a.ics", "Vaccination 65+", stamp=dt.datetime(2026, 2, 1, tzinfo=UTC)
    )
    b = second.to_ical(tmp_path / "b.ics", "Vaccination 65+")
    assert os.stat(a).st_mode & 0o777 == 0o600
    cal_a = icalendar.Calendar.from_ical(a.read_bytes())
    cal_b = icalendar.Calendar.from_ical(b.read_bytes())
    events_a, events_b = cal_a.walk("VEVENT"), cal_b.walk("VEVENT")
    assert len(events_a) == len(events_b) == 9
    uids_a = [str(e["UID"]) for e in events_a]
    assert len(set(uids_a)) == 9
    assert uids_a == [str(e["UID"]) for e in events_b]  # re-import updates, never duplicates
    assert int(events_b[0]["SEQUENCE"]) > int(events_a[0]["SEQUENCE"])
    for event, row in zip(events_a, first.files.iter_rows(named=True), strict=True):
        assert row["file_name"] in str(event["SUMMARY"])
        assert event.decoded("DTSTART") == row["start"]
        assert event.decoded("DTEND") == row["end"]
        assert event["DTSTART"].params.get("TZID") in ("Europe/Stockholm", None)
        assert f"Antal mottagare (rader): {row['rows']}" in str(event["DESCRIPTION"])
    assert_no_personnummer(a.read_text(encoding="utf-8"), "the iCalendar file")
    # Another campaign with the same file names gets other UIDs.
    other = first.to_ical(tmp_path / "c.ics", "Screening")
    uids_other = {
        str(e["UID"]) for e in icalendar.Calendar.from_ical(other.read_bytes()).walk("VEVENT")
    }
    assert uids_other.isdisjoint(uids_a)


def test_ical_for_one_handler(tmp_path):
    p = plan(
        files_frame(5), handlers=["Anna", "Bo"], minutes_per_file=15, earliest_start="2026-03-02"
    )
    path = p.to_ical(tmp_path / "anna.ics", "Kallelse", handler="Anna")
    events = icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT")
    assert len(events) == p.files.filter(pl.col("handler") == "Anna").height == 3
    with pytest.raises(ScheduleError, match="choose one of"):
        p.to_ical(tmp_path / "x.ics", "Kallelse", handler="Cecilia")


def _event_instants(path) -> tuple[list[dt.datetime], list[str]]:
    """Event starts as UTC, read through the file's own VTIMEZONE (not the system's zone)."""
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    zones = cal.walk("VTIMEZONE")
    assert len(zones) == 1
    text = zones[0].to_ical().decode()
    assert "RRULE:FREQ=YEARLY" in text and "RDATE" not in text  # yearly rules, as Outlook wants
    own = zones[0].to_tz(lookup_tzid=False)
    starts = []
    for event in cal.walk("VEVENT"):
        prop = event["DTSTART"]
        assert prop.params["TZID"] == "Europe/Stockholm"
        wall = prop.dt.replace(tzinfo=None)
        starts.append(wall.replace(tzinfo=own).astimezone(UTC))
    return starts, [str(e["SUMMARY"]) for e in cal.walk("VEVENT")]


@pytest.mark.parametrize(
    "earliest", ["2027-03-25 13:00", "2027-10-29 13:00"], ids=["spring 2027", "autumn 2027"]
)
def test_ical_times_are_right_on_both_sides_of_a_dst_change(tmp_path, earliest):
    p = plan(
        files_frame(12), handlers=["Anna Ås", "Bo"], minutes_per_file=60, earliest_start=earliest
    )
    days = {t.date() for t in p.files["start"].to_list()}
    offsets = {t.utcoffset() for t in p.files["start"].to_list()}
    assert len(days) >= 2 and offsets == {dt.timedelta(hours=1), dt.timedelta(hours=2)}
    path = p.to_ical(tmp_path / "plan.ics", "Kallelse", stamp=dt.datetime(2027, 1, 1, tzinfo=UTC))
    starts, summaries = _event_instants(path)
    assert starts == [t.astimezone(UTC) for t in p.files["start"].to_list()]
    # parsed the ordinary way (TZID looked up) the times are the same
    events = icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT")
    assert [e.decoded("DTEND") for e in events] == p.files["end"].to_list()
    assert summaries[0] == "Anna Ås: skicka utskick_001.txt – Kallelse"
    assert [s.split(":")[0] for s in summaries] == p.files["handler"].to_list()


def test_ical_without_a_yearly_rule_is_written_in_utc(tmp_path):
    tokyo = SendWindows(timezone="Asia/Tokyo")  # no daylight saving: no EU rule to describe
    p = plan(files_frame(2), minutes_per_file=30, earliest_start="2027-03-16 09:00", windows=tokyo)
    path = p.to_ical(tmp_path / "tokyo.ics", "Kallelse")
    text = path.read_text(encoding="utf-8")
    assert "VTIMEZONE" not in text and "DTSTART:20270316T000000Z" in text
    events = icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT")
    assert [e.decoded("DTSTART") for e in events] == p.files["start"].to_list()


def test_ical_one_file_per_handler_and_an_escaped_calendar_name(tmp_path):
    p = plan(
        files_frame(5),
        handlers=["Åsa Öberg", "Bo", "Cecilia"],
        minutes_per_file=15,
        earliest_start="2027-03-16",
    )
    p = dataclasses.replace(p, files=p.files.filter(pl.col("handler") != "Cecilia"))
    paths = p.to_ical_by_handler(tmp_path, "Vaccination; vår, 65+")
    assert {h: path.name for h, path in paths.items()} == {
        "Åsa Öberg": "send_plan_asa-oberg.ics",
        "Bo": "send_plan_bo.ics",
    }  # Cecilia has no files: no file
    for handler, path in paths.items():
        assert os.stat(path).st_mode & 0o777 == 0o600
        cal = icalendar.Calendar.from_ical(path.read_bytes())
        summaries = [str(e["SUMMARY"]) for e in cal.walk("VEVENT")]
        mine = p.files.filter(pl.col("handler") == handler)
        assert len(summaries) == mine.height
        assert all(s.startswith(f"{handler}: skicka ") for s in summaries)
        name = str(cal["X-WR-CALNAME"])  # an X- property: icalendar leaves it escaped
        assert name.replace("\\", "") == f"Utskick: Vaccination; vår, 65+ ({handler})"
        raw = path.read_text(encoding="utf-8")
        assert "X-WR-CALNAME:Utskick: Vaccination\\; vår\\, 65+" in raw
    assert schedule.handler_slug("  ") == "handlaggare"


def test_module_docstring_examples():
    import doctest

    result = doctest.testmod(schedule)
    assert result.attempted >= 3 and result.failed == 0


def test_weekdays_may_be_written_in_swedish_as_the_report_writes_them():
    """The report prints "mån–tor"; the campaign may say so too."""
    assert SendWindows(weekdays=["mån", "Tisdag", "ons.", "tor"]).weekdays == (0, 1, 2, 3)
    assert SendWindows(weekdays=["monday", "fri", 6]).weekdays == (0, 4, 6)
    with pytest.raises(ValueError, match=r"'xyz' is not one of: mon, .*mån, tis"):
        SendWindows(weekdays=["xyz"])
