"""Where the tests find the repository and their data: all of it inside the repository.

Why: the suite must pass on a fresh clone with nothing beside it. The public reference data
the tests need is copied into ``tests/data/reference/`` (its sources in ``SOURCES.md`` there);
Skatteverket's test numbers are read from the copy the package ships, not a second copy.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "DEMO_CAMPAIGN",
    "DEMO_CAMPAIGN_NAME",
    "PACKAGE_DATA",
    "REFERENCE",
    "REPO",
    "SKATTEVERKET_PNR_CSV",
    "SKATTEVERKET_SAMORDNING_CSV",
    "TEST_DATA",
]

REPO = Path(__file__).resolve().parents[2]
TEST_DATA = REPO / "tests" / "data"
#: personnummer/meta's cross-language test suite (JSON), see ``SOURCES.md`` there
REFERENCE = TEST_DATA / "reference"
PACKAGE_DATA = REPO / "inkorg_kit" / "data"
#: Skatteverket's published test personnummer (12 digits, header ``testpersonnummer``)
SKATTEVERKET_PNR_CSV = PACKAGE_DATA / "testpersonnummer.csv"
#: Skatteverket's published test samordningsnummer (header ``testsamordningsnummer``)
SKATTEVERKET_SAMORDNING_CSV = PACKAGE_DATA / "testsamordningsnummer.csv"
#: the demo campaign every notebook's committed parameters point at
DEMO_CAMPAIGN = REPO / "params" / "demo" / "campaign.yaml"
#: the demo campaign's name (its ``name:``), which names its run folder and files
DEMO_CAMPAIGN_NAME = "blodtryck-solbacka-2027"
