"""The Kaplan-Meier median on an exact 0.5 plateau: the midpoint, as R's survival and SAS."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from lifelines import KaplanMeierFitter
from statsmodels.duration.survfunc import SurvfuncRight

from inkorg_kit.followup.timing import km_quantile, time_to_read_summary


def _fit(times, events) -> SurvfuncRight:
    return SurvfuncRight(np.asarray(times, dtype=float), np.asarray(events, dtype=int))


def _lifelines_median(times, events) -> float:
    return float(KaplanMeierFitter().fit(times, events).median_survival_time_)


@pytest.mark.parametrize(
    "times,events,t1,t2",
    [
        # four reads at 1, 2, 3, 4 h: unread share exactly 0.5 from 2 h until 3 h
        ([1, 2, 3, 4], [1, 1, 1, 1], 2.0, 3.0),
        # with a censored resident inside the plateau: (1 - 1/4) x (1 - 1/3) = 0.5 at 2 h,
        # then the next read at 5 h (the one censored at 2.5 h does not end the plateau)
        ([1, 2, 2.5, 5], [1, 1, 0, 1], 2.0, 5.0),
        # the demo's shape: 0.5 from 76.7 - 17.5 to 76.7 + 17.5 hours
        ([10, 59.2, 94.2, 120], [1, 1, 1, 1], 59.2, 94.2),
    ],
)
def test_median_on_a_plateau_is_its_midpoint(times, events, t1, t2):
    fit = _fit(times, events)
    prob = np.asarray(fit.surv_prob)
    i = int(np.flatnonzero(prob <= 0.5 + 1e-9)[0])
    assert prob[i] == pytest.approx(0.5, abs=1e-12), "the example has an exact plateau"
    assert (fit.surv_times[i], fit.surv_times[i + 1]) == (t1, t2)
    got = km_quantile(fit, 0.5, max(times))
    assert got == pytest.approx((t1 + t2) / 2)
    # statsmodels takes the plateau's end, lifelines its start: ours is between
    assert fit.quantile(0.5) == pytest.approx(t2)
    assert _lifelines_median(times, events) == pytest.approx(t1)


def test_without_a_plateau_all_agree():
    rng = np.random.default_rng(4)
    for _ in range(20):
        times = rng.exponential(30, 41).round(1) + 0.1
        events = (rng.random(41) < 0.8).astype(int)
        fit = _fit(times, events)
        got = km_quantile(fit, 0.5, float(times.max()))
        prob = np.asarray(fit.surv_prob)
        if np.any(np.abs(prob - 0.5) < 1e-9):
            continue  # a plateau by chance: covered above
        if prob.min() > 0.5:
            assert got is None
            continue
        assert got == pytest.approx(fit.quantile(0.5))
        assert got == pytest.approx(_lifelines_median(times, events))


def test_other_quantiles_and_a_plateau_to_the_end():
    fit = _fit([1, 2, 3, 4], [1, 1, 1, 1])
    assert km_quantile(fit, 0.25, 4) == pytest.approx(1.5)  # 0.75 exactly from 1 to 2 h
    assert km_quantile(fit, 0.6, 4) == pytest.approx(3.0)  # no plateau at 0.4: strict
    # two read, two never read (censored at 10 h): 0.5 from 2 h to the end of observation
    censored = _fit([1, 2, 10, 10], [1, 1, 0, 0])
    assert km_quantile(censored, 0.5, 10) == pytest.approx(6.0)
    assert km_quantile(censored, 0.75, 10) is None


class _Outcomes:
    """What time_to_read_summary reads from the follow-up's outcomes."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self._frame = frame

    def campaign_people(self) -> pl.DataFrame:
        return self._frame


def test_time_to_read_summary_reports_the_midpoint():
    frame = pl.DataFrame(
        {
            "age_band": ["65-74"] * 4 + ["30-44"] * 3,
            "event": [True, True, True, True, True, True, True],
            "observed_hours": [10.0, 59.2, 94.2, 120.0, 1.0, 2.0, 3.0],
        }
    )
    summary = time_to_read_summary(_Outcomes(frame))
    median = dict(zip(summary["group"], summary["median_hours"], strict=True))
    assert median["65-74"] == pytest.approx((59.2 + 94.2) / 2)  # 76.7, not 94.2 or 59.2
    assert median["30-44"] == pytest.approx(2.0)  # 2/3 then 1/3: no plateau at 0.5
