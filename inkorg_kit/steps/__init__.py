"""The campaign's steps, one notebook each: what each reads and writes, and its calls.

Why: a notebook shows and explains; the order of calls behind it, and the contract of what it
takes from and leaves in the run folder, belong in the library, where the CLI and the tests
can use them without a kernel. Each module has ``CONTRACT`` (a
:class:`~inkorg_kit.run.StepContract`) and ``run(campaign, run_dir, ...)``.

:data:`STEPS` holds the contract of every step module imported here, in run order:

>>> list(STEPS)[:2]
['00_campaign_check', '01_target_group']
>>> STEPS["01_target_group"].writes[0]
'target_group'
"""

from __future__ import annotations

from types import ModuleType

from inkorg_kit.run.artefacts import STEP_NAMES, StepContract

# One import per step module; adding a step (03: reach_plan) is adding it to this line.
from inkorg_kit.steps import (
    campaign_check,
    reach_plan,
    read_rates_followup,
    recipient_files,
    target_group,
)

__all__ = [
    "STEPS",
    "campaign_check",
    "reach_plan",
    "read_rates_followup",
    "recipient_files",
    "target_group",
]


def _in_order(modules: dict[str, object]) -> dict[str, StepContract]:
    """The contracts of the step modules among ``modules``, keyed by step, in run order."""
    contracts = {
        m.CONTRACT.step: m.CONTRACT
        for m in modules.values()
        if isinstance(m, ModuleType)
        and m.__name__.startswith(f"{__name__}.")
        and isinstance(getattr(m, "CONTRACT", None), StepContract)
    }
    return {name: contracts[name] for name in STEP_NAMES if name in contracts}


#: Step name -> contract, in run order (every step module imported above).
STEPS: dict[str, StepContract] = _in_order(globals())
