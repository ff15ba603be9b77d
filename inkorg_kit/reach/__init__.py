"""Reach: who can be reached in the 1177 inbox, who is notified, and when they read.

Why a package: the model has three concerns that change for different reasons: the target
aggregated to strata and the send plan read as send times (:mod:`~inkorg_kit.reach.strata`,
:mod:`~inkorg_kit.reach.sends`), the simulation with intervals
(:mod:`~inkorg_kit.reach.simulate`) and the calendar-time read curves
(:mod:`~inkorg_kit.reach.curves`). The assumptions they read are typed in
:mod:`inkorg_kit.config.assumptions` (every default in ``params/reach_defaults.yaml`` with a
``source:`` line). This module re-exports the public names, so ``from inkorg_kit import
reach; reach.simulate(...)`` keeps working.
"""

from inkorg_kit.config.assumptions import (
    DEFAULTS_PATH,
    FORMAT_VERSION,
    Assumptions,
    BandAssumptions,
    FittedFrom,
    Number,
    PopulationMix,
    ReadTiming,
    Rhythm,
    SexShares,
    Share,
    TimeToRead,
    default_assumptions_path,
    load_assumptions,
)
from inkorg_kit.errors import AssumptionsError, TargetError
from inkorg_kit.reach.curves import compare_send_times, eventual_read_share, read_curve
from inkorg_kit.reach.fit import (
    FIT_STRENGTH_CAP,
    TimingFit,
    compare_reach,
    fit_notes,
    fit_reach,
    write_fitted,
)
from inkorg_kit.reach.sends import send_label
from inkorg_kit.reach.simulate import MEASURE_LABELS, ReachResult, read_code, read_label, simulate
from inkorg_kit.reach.strata import target_strata
from inkorg_kit.vocab import (
    AGE_BAND,
    AGE_BANDS,
    BAND_OR_UNKNOWN,
    SEX,
    SEXES,
    UNKNOWN_BAND,
    age_band,
)

__all__ = [
    "AGE_BAND",
    "AGE_BANDS",
    "BAND_OR_UNKNOWN",
    "DEFAULTS_PATH",
    "FIT_STRENGTH_CAP",
    "FORMAT_VERSION",
    "MEASURE_LABELS",
    "SEX",
    "SEXES",
    "UNKNOWN_BAND",
    "Assumptions",
    "AssumptionsError",
    "BandAssumptions",
    "FittedFrom",
    "Number",
    "PopulationMix",
    "ReachResult",
    "ReadTiming",
    "Rhythm",
    "SexShares",
    "Share",
    "TargetError",
    "TimeToRead",
    "TimingFit",
    "age_band",
    "compare_reach",
    "compare_send_times",
    "default_assumptions_path",
    "eventual_read_share",
    "fit_notes",
    "fit_reach",
    "load_assumptions",
    "read_code",
    "read_curve",
    "read_label",
    "send_label",
    "simulate",
    "target_strata",
    "write_fitted",
]
