"""The scan every test that writes or prints something uses: no full personnummer in it.

Why here: one definition of "leaks a personnummer" for every test, the kit's own finder
(``inkorg_kit.pnr.find_in_text``: every shape, samordningsnummer too).
"""

from __future__ import annotations

from inkorg_kit.pnr import find_in_text

__all__ = ["assert_no_personnummer"]


def assert_no_personnummer(text: str, where: str) -> None:
    """Fail if ``text`` holds a full, valid personnummer or samordningsnummer in any shape."""
    found = find_in_text(text)
    assert not found, f"{where} contains {len(found)} unmasked personnummer, e.g. {found[:3]}"
