"""Data the kit needs at run time ships inside the package, identical to the reference copies.

Users have no ../shared/ folder, and an installed kit may have no params/ folder beside it.
"""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "inkorg_kit" / "data"
REPO = Path(__file__).resolve().parents[1]


def test_reach_defaults_copy_matches_params():
    assert (DATA / "reach_defaults.yaml").read_bytes() == (
        REPO / "params" / "reach_defaults.yaml"
    ).read_bytes(), (
        "params/reach_defaults.yaml changed: copy it to inkorg_kit/data/reach_defaults.yaml"
    )


def test_test_numbers_match_skatteverket_reference(reference_dir):
    for shipped, reference in (
        ("testpersonnummer.csv", "skatteverket-testpersonnummer.csv"),
        ("testsamordningsnummer.csv", "skatteverket-testsamordningsnummer.csv"),
    ):
        assert (DATA / shipped).read_bytes() == (reference_dir / reference).read_bytes()


def test_library_code_does_not_read_shared():
    """The kit must not depend on ../shared/ (developers only)."""
    for path in (REPO / "inkorg_kit").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "shared/reference" not in text and "../shared" not in text, path
