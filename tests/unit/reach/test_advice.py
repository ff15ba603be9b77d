"""Send-time advice: the candidates follow the send windows, the read-within-24-hours share is
what ``compare_send_times`` gives at 24 hours, the letters are what ``simulate`` expects for the
same start, and the default rhythm ranks a Friday-afternoon start below a Tuesday morning."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from inkorg_kit.config.assumptions import load_assumptions
from inkorg_kit.config.windows import SendWindows
from inkorg_kit.reach import compare_send_times, simulate
from inkorg_kit.reach.advice import candidate_starts, send_time_advice

ZONE = ZoneInfo("Europe/Stockholm")
TARGET = pl.DataFrame(
    {
        "age_band": ["45-64", "45-64", "65-74", "65-74", "75-84"],
        "sex": ["F", "M", "F", "M", "F"],
        "n": [300, 250, 200, 150, 100],
    }
)
WINDOWS = SendWindows(lunch_break=("12:00", "13:00"))
WEEK = dt.datetime(2027, 3, 16, 9, 0)  # a Tuesday; no holiday that week


def _means_only():
    """The defaults at their prior means: without the regional login level, whose shift makes
    ``simulate``'s expected login share differ from the band means the advice uses."""
    a = load_assumptions(None)
    if getattr(a, "regional_level", None) is not None:
        a = a.model_copy(update={"regional_level": None})
    return a


def _at(day: int, hour: int) -> dt.datetime:
    return dt.datetime(2027, 3, day, hour, tzinfo=ZONE)


def test_candidates_follow_the_windows_and_skip_holidays() -> None:
    starts = candidate_starts(WINDOWS, WEEK)
    assert {s.weekday() for s in starts} == {0, 1, 2, 3, 4}
    assert sorted({s.hour for s in starts}) == [8, 9, 10, 11, 13, 14, 15, 16]  # no lunch
    assert len(starts) == 5 * 8
    easter = candidate_starts(WINDOWS, dt.date(2027, 3, 29))  # Easter Monday's week
    assert dt.date(2027, 3, 29) not in {s.date() for s in easter}
    assert len({s.date() for s in easter}) == 4
    saturdays = SendWindows(weekdays=["sat"])
    assert [s.weekday() for s in candidate_starts(saturdays, WEEK)] == [5] * 9


def test_friday_afternoon_ranks_below_tuesday_morning() -> None:
    advice = send_time_advice(TARGET, None, WINDOWS, week_of=WEEK)
    tuesday, friday = advice.row(_at(16, 9)), advice.row(_at(19, 15))
    assert tuesday is not None and friday is not None
    assert friday["read_24h_share"] < tuesday["read_24h_share"] - 0.005
    assert advice.best.weekday() < 4  # the weekend costs Friday its first day
    worst = advice.worst()
    assert worst["start"].weekday() == 4 and worst["start"].hour >= 15
    assert advice.row(advice.best)["read_24h_share"] == advice.cells["read_24h_share"].max()


@pytest.mark.parametrize("moment", [_at(16, 9), _at(19, 15), _at(17, 13), _at(15, 8)])
def test_read_within_24h_matches_compare_send_times(moment: dt.datetime) -> None:
    a = _means_only()
    advice = send_time_advice(TARGET, a, WINDOWS, week_of=WEEK)
    curve = compare_send_times(a, [moment], hours=24, mix=TARGET)
    expected = curve.filter(pl.col("hours") == 24)["read_share"].item()
    assert advice.row(moment)["read_24h_share"] == pytest.approx(expected, abs=1e-5)


@pytest.mark.parametrize("moment", [_at(16, 9), _at(19, 15), _at(18, 16)])
@pytest.mark.parametrize("hours", [9.0, 24.0])
def test_letters_match_what_simulate_expects(moment: dt.datetime, hours: float) -> None:
    a = _means_only()
    advice = send_time_advice(TARGET, a, WINDOWS, week_of=WEEK, follow_up_working_hours=hours)
    result = simulate(
        TARGET,
        a,
        draws=20,
        seed=1,
        sent_at=moment,
        follow_up_working_hours=hours,
        windows=WINDOWS,
    )
    expected = result.summary.filter(pl.col("measure") == "other_channel_total")
    assert advice.row(moment)["letters"] == pytest.approx(expected["expected"].item(), rel=1e-9)


def test_the_advice_follows_the_rhythm_of_the_assumptions() -> None:
    """A region whose residents read as much at weekends (a fit's rhythm) loses nothing on a
    Friday: 24 hours hold a whole day's rhythm wherever they start."""
    flat = _means_only().with_overrides(weekend_factor=1.0)
    advice = send_time_advice(TARGET, flat, WINDOWS, week_of=WEEK)
    shares = advice.cells["read_24h_share"]
    assert shares.max() - shares.min() < 1e-6


def test_a_week_without_an_allowed_day_is_refused() -> None:
    closed = SendWindows(weekdays=["mon"], blocked_dates=[dt.date(2027, 3, 15)])
    with pytest.raises(ValueError, match="no allowed start"):
        send_time_advice(TARGET, None, closed, week_of=WEEK)
