"""The reminder's deadline in reach.simulate: a second moment counted like the follow-up one."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import pytest

from inkorg_kit import reach
from inkorg_kit.reach import AGE_BANDS
from inkorg_kit.schedule import SendWindows, add_working_hours

ZONE = ZoneInfo("Europe/Stockholm")
FRIDAY_1530 = dt.datetime(2025, 3, 14, 15, 30, tzinfo=ZONE)
TUESDAY_0900 = dt.datetime(2025, 3, 11, 9, 0, tzinfo=ZONE)
SIZES = (4000, 6000, 9000, 12000, 5000, 3500, 1200)


@pytest.fixture(scope="module")
def assumptions() -> reach.Assumptions:
    return reach.load_assumptions()


def _target() -> pl.DataFrame:
    return pl.DataFrame({"age_band": list(AGE_BANDS), "n": list(SIZES)})


def _rows(result: reach.ReachResult) -> dict[str, dict]:
    return {r["measure"]: r for r in result.summary.iter_rows(named=True)}


def test_reminder_is_counted_in_working_hours_after_each_message(assumptions):
    windows = SendWindows()
    result = reach.simulate(
        _target(),
        assumptions,
        draws=400,
        sent_at=FRIDAY_1530,
        follow_up_working_hours=24,
        reminder_working_hours=8,
        windows=windows,
    )
    s = _rows(result)
    # 8 working hours after Fri 15:30 in weekdays 08-17: Mon 14:30 (an independent path: the
    # read curve at that many calendar hours)
    deadline = add_working_hours(FRIDAY_1530, 8, windows)
    assert deadline == dt.datetime(2025, 3, 17, 14, 30, tzinfo=ZONE)
    hours = (deadline - FRIDAY_1530).total_seconds() / 3600
    curve = reach.read_curve(
        pl.DataFrame({"start": [FRIDAY_1530], "rows": [sum(SIZES)]}),
        assumptions,
        mix=_target(),
        hours=hours,
    )
    assert s["unread_at_reminder"]["expected"] == pytest.approx(
        s["messageable"]["expected"] - curve["expected_reads"][-1], rel=1e-6
    )
    label = "Oläst vid påminnelsen (8 arbetstimmar i sändfönstren)"
    assert s["unread_at_reminder"]["label"] == label
    assert result.reminder_working_hours == 8 and result.reminder_in_working_hours
    order = result.summary["measure"].cast(pl.String).to_list()
    assert order.index("unread_at_reminder") == order.index("unread_at_follow_up") - 1
    # by band and per draw too, and ordered with the other moments in every draw
    assert result.by_band.filter(pl.col("measure") == "unread_at_reminder").height == len(SIZES)
    d = result.draws_frame()
    assert (d["unread_at_reminder"] >= d["unread_at_follow_up"]).all()  # Mon 14:30 < Wed 12:30
    assert (d["unread_at_reminder"] <= d["messageable"] - d["read_24h"]).all()  # 71 h > 24 h
    assert (d["unread_at_reminder"] >= d["messageable"] - d["read_72h"]).all()
    # the other measures are the same as without a reminder except for the random stream
    plain = reach.simulate(
        _target(), assumptions, draws=400, sent_at=FRIDAY_1530, follow_up_working_hours=24,
        windows=windows,
    )  # fmt: skip
    plain_rows = _rows(plain)
    for code, row in plain_rows.items():
        assert s[code]["expected"] == pytest.approx(row["expected"], rel=1e-12), code
    assert "unread_at_reminder" not in plain_rows and plain.reminder_working_hours is None


def test_reminder_over_a_plan_and_without_a_send_time(assumptions):
    sends = pl.DataFrame(
        {"start": [TUESDAY_0900, TUESDAY_0900 + dt.timedelta(hours=8), FRIDAY_1530],
         "rows": [500, 250, 250]}
    )  # fmt: skip
    windows = SendWindows()
    result = reach.simulate(
        _target(), assumptions, draws=300, sends=sends, follow_up_working_hours=24,
        reminder_working_hours=24, windows=windows,
    )  # fmt: skip
    d = result.draws_frame()
    # the same deadline as the follow-up: the same count in every draw
    assert (d["unread_at_reminder"] == d["unread_at_follow_up"]).all()

    # no send time: clock hours (active hours), like follow_up_after_hours
    clock = reach.simulate(_target(), assumptions, draws=300, reminder_working_hours=72)
    s = _rows(clock)
    assert s["unread_at_reminder"]["label"] == "Oläst vid påminnelsen (72 klocktimmar)"
    assert not clock.reminder_in_working_hours
    assert s["unread_at_reminder"]["expected"] == pytest.approx(
        s["messageable"]["expected"] - s["read_72h"]["expected"], rel=1e-12
    )
    d = clock.draws_frame()
    assert (d["unread_at_reminder"] == d["messageable"] - d["read_72h"]).all()
    for bad in (0, -1, float("nan")):
        with pytest.raises(ValueError, match="reminder_working_hours"):
            reach.simulate(_target(), assumptions, draws=10, reminder_working_hours=bad)


@pytest.mark.parametrize("reminder", [0.5, 5, 30, 100, 400])
def test_reminder_is_monotone_with_every_other_moment(assumptions, reminder):
    result = reach.simulate(
        _target(), assumptions, draws=300, seed=4, sent_at=TUESDAY_0900,
        follow_up_working_hours=24, reminder_working_hours=reminder, windows=SendWindows(),
    )  # fmt: skip
    d = result.draws_frame()
    read_by = {c: d[c].to_numpy() for c in d.columns if c.startswith("read_")}
    read_by["reminder"] = (d["messageable"] - d["unread_at_reminder"]).to_numpy()
    read_by["follow_up"] = (d["messageable"] - d["unread_at_follow_up"]).to_numpy()
    for a, b in itertools.permutations(read_by, 2):
        assert (read_by[a] <= read_by[b]).all() or (read_by[a] >= read_by[b]).all(), (a, b)
    assert np.all(read_by["reminder"] <= d["messageable"].to_numpy())
