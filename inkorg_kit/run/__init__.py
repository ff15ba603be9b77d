"""The run folder, ``out/<campaign>/``: every artefact a step writes or reads, defined once.

Steps never spell a file name: they ask :class:`RunFolder` for an artefact by key, and
:data:`ARTEFACTS` says where it lives, who writes it, what it holds and whether it holds
personnummer. Each step declares what it reads and writes (:class:`StepContract`).
:mod:`~inkorg_kit.run.schemas` holds each artefact's columns or model, and
:mod:`~inkorg_kit.run.io` the typed ``load_…``/``save_…`` helpers; those two need polars and
pydantic, so they are imported on first use of their names here, and ``import inkorg_kit.run``
stays light for the command line.
"""

from __future__ import annotations

import importlib
from typing import Any

from inkorg_kit.run.artefacts import ARTEFACTS, STEP_NAMES, Artefact, StepContract
from inkorg_kit.run.folder import RunFolder

__all__ = [
    "ARTEFACTS",
    "FRAME_SCHEMAS",
    "JSON_MODELS",
    "STEP_NAMES",
    "YAML_KEYS",
    "Artefact",
    "RunFolder",
    "StepContract",
    "check_frame",
    "load_frame",
    "load_json",
    "load_json_file",
    "load_yaml",
    "save_frame",
    "save_json",
    "scan_frame",
]

_LAZY = {
    "FRAME_SCHEMAS": "inkorg_kit.run.schemas",
    "JSON_MODELS": "inkorg_kit.run.schemas",
    "YAML_KEYS": "inkorg_kit.run.schemas",
    "check_frame": "inkorg_kit.run.io",
    "load_frame": "inkorg_kit.run.io",
    "load_json": "inkorg_kit.run.io",
    "load_json_file": "inkorg_kit.run.io",
    "load_yaml": "inkorg_kit.run.io",
    "save_frame": "inkorg_kit.run.io",
    "save_json": "inkorg_kit.run.io",
    "scan_frame": "inkorg_kit.run.io",
}


def __getattr__(name: str) -> Any:
    """The typed helpers and schemas, imported on first use (they need polars and pydantic)."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
