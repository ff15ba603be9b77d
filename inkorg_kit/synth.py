"""The old import path of the demo region (:mod:`inkorg_kit.demo`), and its command.

Why kept: notebooks, tests and the README use ``inkorg_kit.synth.region(...)`` and
``python -m inkorg_kit.synth out/demo``; the code lives in :mod:`inkorg_kit.demo`. Re-exports
only.
"""

import sys

from inkorg_kit.demo import (
    DEFAULT_UNITS,
    EXTRACT_COLUMNS,
    GENERATED_WARNING,
    MAX_AGE,
    SQL_QUERY,
    SWEDEN_2024,
    Region,
    Unit,
    generated_numbers,
    main,
    max_people_from_test_numbers,
    messy_list,
    region,
    skatteverket_test_numbers,
)

__all__ = [
    "DEFAULT_UNITS",
    "EXTRACT_COLUMNS",
    "GENERATED_WARNING",
    "MAX_AGE",
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

if __name__ == "__main__":
    sys.exit(main())
