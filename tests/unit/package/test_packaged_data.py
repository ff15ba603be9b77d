"""Data the kit needs at run time ships inside the package; the tests need nothing outside the
repository.

Users have only the package (an installed kit may have no params/ folder beside it), and a
fresh clone has nothing beside the repository: the developers' folder of guideline texts is
read by the guideline-quote tests alone, which skip without it.
"""

from __future__ import annotations

import re

import polars as pl
import pytest
from support import PACKAGE_DATA, REFERENCE, REPO, SKATTEVERKET_PNR_CSV, SKATTEVERKET_SAMORDNING_CSV

# the developers' folder beside the repository, however a path to it is spelt
OUTSIDE = re.compile(r"\.\./shared|shared/reference|parent / \"shared\"|\"shared\" /")


def test_reach_defaults_copy_matches_params():
    assert (PACKAGE_DATA / "reach_defaults.yaml").read_bytes() == (
        REPO / "params" / "reach_defaults.yaml"
    ).read_bytes(), (
        "params/reach_defaults.yaml changed: copy it to inkorg_kit/data/reach_defaults.yaml"
    )


@pytest.mark.parametrize(
    ("path", "header", "rows"),
    [
        (SKATTEVERKET_PNR_CSV, "testpersonnummer", 41_493),
        (SKATTEVERKET_SAMORDNING_CSV, "testsamordningsnummer", 2_264),
    ],
    ids=["personnummer", "samordningsnummer"],
)
def test_shipped_test_numbers_are_what_their_sources_say(path, header, rows):
    """The counts of ``inkorg_kit/data/SOURCES.md``: 12 digits each, no duplicates."""
    column = pl.read_csv(path, infer_schema=False).to_series()
    assert column.name == header and column.len() == rows
    assert column.str.contains(r"^\d{12}$").all() and column.is_unique().all()
    assert f"{rows:,}" in (PACKAGE_DATA / "SOURCES.md").read_text(encoding="utf-8")


def test_reference_data_names_its_source_for_every_file():
    sources = (REFERENCE / "SOURCES.md").read_text(encoding="utf-8")
    files = sorted(p.name for p in REFERENCE.iterdir() if p.name != "SOURCES.md")
    assert files, f"no reference data in {REFERENCE}"
    assert [name for name in files if f"`{name}`" not in sources] == []


def test_library_code_does_not_read_shared():
    """The kit must not depend on the developers' folder beside the repository."""
    for path in (REPO / "inkorg_kit").rglob("*.py"):
        assert not OUTSIDE.search(path.read_text(encoding="utf-8")), path


def test_only_the_guideline_quote_tests_read_outside_the_repository():
    readers = [
        path.relative_to(REPO).as_posix()
        for path in sorted((REPO / "tests").rglob("*.py"))
        if OUTSIDE.search(path.read_text(encoding="utf-8")) and path.name != "test_packaged_data.py"
    ]
    assert readers in ([], ["tests/unit/guidelines/test_campaign.py"]), readers
