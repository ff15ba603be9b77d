"""Planning parameters of the follow-up strategies: deadlines per message category, costs and
the reminder's effect, resolved from the reach defaults and the campaign's own keys.

Why here: the numbers live beside the reach assumptions in ``params/reach_defaults.yaml``
(``deadlines:``, ``costs:``, ``reminder:``, typed in :mod:`inkorg_kit.config.assumptions`, every
number with its source), and the campaign may override them (``followup.*_working_hours``, a
top-level ``costs:`` block). One place says which number wins, so the planner page, step 03 and
step 04 count with the same deadline. A fitted file without these blocks takes them from the
packaged defaults.

>>> d = category_deadlines("kallelse")
>>> d.unread_after_working_hours, d.reminder_after_working_hours
(24.0, 9.0)
>>> category_deadlines("rebooking").unread_after_working_hours
4.0
>>> resolve_costs(overrides=CostOverrides(postage_per_letter=10)).postage_per_letter.value
10.0
"""

from __future__ import annotations

import dataclasses
import functools

from pydantic import BaseModel, ConfigDict, Field

from inkorg_kit.config.assumptions import (
    Assumptions,
    CategoryDeadline,
    Costs,
    ReminderEffect,
    default_assumptions_path,
    load_assumptions,
)
from inkorg_kit.config.campaign_parts import FOLLOWUP_STRATEGIES, FollowupStrategy

__all__ = [
    "STRATEGIES",
    "STRATEGY_CODES",
    "CostOverrides",
    "Deadlines",
    "Strategy",
    "category_deadlines",
    "reminder_effect",
    "resolve_costs",
    "resolve_deadlines",
    "strategy_label",
]

Strategy = FollowupStrategy
#: The follow-up strategies, code -> Swedish label ({n}, {r}: the working hours).
STRATEGIES: dict[str, str] = {
    "letter": "Brev till olästa efter {n} arbetstimmar",
    "reminder": "Påminnelse i 1177 efter {r}, sedan brev",
    "letter_first": "Brev direkt till dem utan inloggning",
}
STRATEGY_CODES: tuple[str, ...] = tuple(FOLLOWUP_STRATEGIES)
_CAMPAIGN = "the campaign's followup.{key}"


def strategy_label(code: str, n: float, r: float) -> str:
    """The Swedish label of strategy ``code`` with its deadlines filled in.

    >>> strategy_label("reminder", 24, 9)
    'Påminnelse i 1177 efter 9 arbetstimmar, sedan brev efter 24'
    """
    if code == "reminder":
        return f"Påminnelse i 1177 efter {r:g} arbetstimmar, sedan brev efter {n:g}"
    if code == "letter_first":
        return f"Brev direkt till dem utan inloggning, övriga brev efter {n:g} arbetstimmar"
    return STRATEGIES[code].format(n=f"{n:g}", r=f"{r:g}")


class CostOverrides(BaseModel):
    """The campaign's own prices (top-level ``costs:``); an empty key keeps the default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    message_price: float | None = Field(
        None,
        ge=0,
        description="SEK per 1177 message (the region's price from Inera)",
        examples=[1.5],
    )
    postage_per_letter: float | None = Field(
        None, ge=0, description="SEK postage per letter", examples=[12]
    )
    handling_per_letter: float | None = Field(
        None, ge=0, description="SEK to print, envelope and post one letter", examples=[4]
    )
    handler_cost_per_hour: float | None = Field(
        None,
        ge=0,
        description="SEK per case-handler hour (salary, fees, overhead)",
        examples=[500],
    )
    letter_delivery_days: float | None = Field(
        None,
        ge=0,
        le=30,
        description="working days from posting to the letter's arrival",
        examples=[2],
    )


@dataclasses.dataclass(frozen=True)
class Deadlines:
    """The follow-up deadlines a campaign counts with, and where each comes from."""

    unread_after_working_hours: float
    reminder_after_working_hours: float
    unread_source: str
    reminder_source: str


@functools.lru_cache(maxsize=4)
def _defaults(path: str) -> Assumptions:
    return load_assumptions(path)


def _planning(assumptions: Assumptions | None) -> Assumptions:
    """``assumptions`` if it has the planning blocks, else the packaged defaults."""
    if assumptions is not None and None not in (
        assumptions.deadlines,
        assumptions.costs,
        assumptions.reminder,
    ):
        return assumptions
    defaults = _defaults(str(default_assumptions_path()))
    if assumptions is None:
        return defaults
    return assumptions.model_copy(
        update={
            "deadlines": assumptions.deadlines or defaults.deadlines,
            "costs": assumptions.costs or defaults.costs,
            "reminder": assumptions.reminder or defaults.reminder,
        }
    )


def category_deadlines(category: str, assumptions: Assumptions | None = None) -> Deadlines:
    """The default N and R of a message category (``deadlines:`` of the reach defaults)."""
    table = _planning(assumptions).deadlines
    assert table is not None
    if category not in table:
        raise KeyError(f"no deadlines for category {category!r}; known: {', '.join(table)}")
    entry: CategoryDeadline = table[category]
    return Deadlines(
        entry.unread_after_working_hours.value,
        entry.reminder_after_working_hours.value,
        entry.unread_after_working_hours.source,
        entry.reminder_after_working_hours.source,
    )


def resolve_deadlines(
    category: str,
    unread_after_working_hours: float | None = None,
    reminder_after_working_hours: float | None = None,
    assumptions: Assumptions | None = None,
) -> Deadlines:
    """The deadlines with a campaign's own values (None = the category's default).

    A default R that is not below a given N is scaled with it (the category's R/N), so that the
    reminder still comes before the letter; two given values must have R < N.
    """
    default = category_deadlines(category, assumptions)
    n, n_source = default.unread_after_working_hours, default.unread_source
    if unread_after_working_hours is not None:
        n = float(unread_after_working_hours)
        n_source = _CAMPAIGN.format(key="unread_after_working_hours")
    if reminder_after_working_hours is not None:
        r = float(reminder_after_working_hours)
        r_source = _CAMPAIGN.format(key="reminder_after_working_hours")
        if not 0 < r < n:
            raise ValueError(
                f"reminder_after_working_hours ({r:g}) must be above 0 and below"
                f" unread_after_working_hours ({n:g}): the reminder comes before the letter"
            )
    else:
        r, r_source = default.reminder_after_working_hours, default.reminder_source
        if r >= n:
            r = n * default.reminder_after_working_hours / default.unread_after_working_hours
            r_source = (
                f"the category's R/N ({default.reminder_after_working_hours:g}/"
                f"{default.unread_after_working_hours:g}) times the campaign's N"
            )
    return Deadlines(n, r, n_source, r_source)


def resolve_costs(
    assumptions: Assumptions | None = None, overrides: CostOverrides | None = None
) -> Costs:
    """The costs of the reach defaults (or ``assumptions``) with the campaign's own prices."""
    costs = _planning(assumptions).costs
    assert costs is not None
    if overrides is None:
        return costs
    data = costs.model_dump()
    for name, value in overrides.model_dump().items():
        if value is not None:
            data[name] = {"value": float(value), "source": "the campaign's costs." + name}
    return Costs.model_validate(data)


def reminder_effect(assumptions: Assumptions | None = None) -> ReminderEffect:
    """The reminder's effect (``reminder:`` of the reach defaults, or of ``assumptions``)."""
    effect = _planning(assumptions).reminder
    assert effect is not None
    return effect
