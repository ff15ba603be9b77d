"""The demo: a synthetic region (people, care contacts, units, register flags) written as the
files a care-system extract arrives in, built on Skatteverket's test personnummer.

Why a package: the test-number pool and its age pyramid (:mod:`~inkorg_kit.demo.numbers`), the
mess of real extracts (:mod:`~inkorg_kit.demo.messy`), the region's builder
(:mod:`~inkorg_kit.demo.region`), its files (:mod:`~inkorg_kit.demo.extract`) and the command
(:mod:`~inkorg_kit.demo.region_cli`) change for different reasons. This module re-exports the
public names; ``inkorg_kit.synth`` is the old import path and ``python -m inkorg_kit.synth``
the command.
"""

from inkorg_kit.demo.extract import EXTRACT_COLUMNS, SQL_QUERY, Region
from inkorg_kit.demo.messy import messy_list
from inkorg_kit.demo.numbers import (
    MAX_AGE,
    REFERENCE_DATE,
    SWEDEN_2024,
    generated_numbers,
    max_people_from_test_numbers,
    skatteverket_test_numbers,
)
from inkorg_kit.demo.region import DEFAULT_UNITS, Unit, region
from inkorg_kit.demo.region_cli import GENERATED_WARNING, main

__all__ = [
    "DEFAULT_UNITS",
    "EXTRACT_COLUMNS",
    "GENERATED_WARNING",
    "MAX_AGE",
    "REFERENCE_DATE",
    "SQL_QUERY",
    "SWEDEN_2024",
    "Region",
    "Unit",
    "generated_numbers",
    "main",
    "max_people_from_test_numbers",
    "messy_list",
    "region",
    "skatteverket_test_numbers",
]
