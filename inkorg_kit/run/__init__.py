"""The run folder, ``out/<campaign>/``: every artefact a step writes or reads, defined once.

Steps never spell a file name: they ask :class:`RunFolder` for an artefact by key, and
:data:`ARTEFACTS` says where it lives, who writes it, what it holds and whether it holds
personnummer. Each step declares what it reads and writes (:class:`StepContract`).
"""

from inkorg_kit.run.artefacts import ARTEFACTS, STEP_NAMES, Artefact, StepContract
from inkorg_kit.run.folder import RunFolder

__all__ = ["ARTEFACTS", "STEP_NAMES", "Artefact", "RunFolder", "StepContract"]
