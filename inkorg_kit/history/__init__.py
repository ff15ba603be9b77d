"""The region's own history: a register of finished campaigns, and priors pooled from it.

Why a package above reach: step 04 records each finished campaign's aggregates in the
register (:mod:`~inkorg_kit.history.register`), and step 03 and the planner pool them into
reach priors for the next campaign (:mod:`~inkorg_kit.history.pooling`), with a shared
regional level so that intervals on totals include the region's own uncertainty. It reads the
follow-up's outcomes and the reach model's assumptions; steps, the panel and the command line
(``inkorg-kit history``) use it.
"""

from inkorg_kit.history.pooling import (
    DEFAULT_HALF_LIFE_DAYS,
    PooledFit,
    PooledPriors,
    fit_login,
    pooled_assumptions,
    recency_weights,
)
from inkorg_kit.history.register import (
    REGISTER_DIR,
    REGISTER_ENV,
    Register,
    load_register,
    record_campaign,
    record_frame,
    register_path,
    shown_path,
)

__all__ = [
    "DEFAULT_HALF_LIFE_DAYS",
    "REGISTER_DIR",
    "REGISTER_ENV",
    "PooledFit",
    "PooledPriors",
    "Register",
    "fit_login",
    "load_register",
    "pooled_assumptions",
    "recency_weights",
    "record_campaign",
    "record_frame",
    "register_path",
    "shown_path",
]
