"""The run folder, ``out/<campaign>/``: every artefact a step writes or reads, defined once.

Steps never spell a file name: they ask :class:`RunFolder` for an artefact by key, and
:data:`ARTEFACTS` says where it lives, who writes it, what it holds and whether it holds
personnummer. Each step declares what it reads and writes (:class:`StepContract`).
:mod:`~inkorg_kit.run.schemas` holds each artefact's columns or model, and
:mod:`~inkorg_kit.run.io` the typed ``load_…``/``save_…`` helpers.
"""

from __future__ import annotations

from inkorg_kit.run.artefacts import ARTEFACTS, STEP_NAMES, Artefact, StepContract
from inkorg_kit.run.folder import RunFolder
from inkorg_kit.run.io import (
    check_frame,
    load_frame,
    load_json,
    load_json_file,
    load_yaml,
    save_frame,
    save_json,
    scan_frame,
)
from inkorg_kit.run.schemas import FRAME_SCHEMAS, JSON_MODELS, YAML_KEYS

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
