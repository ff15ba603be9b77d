"""Attack 3 of issue 13: personnummer in shapes the text scanner missed.

``pnr.find_in_text`` / ``mask_in_text`` refused a number with letters straight before it, a
``.`` or ``,`` and a digit after it, and never decoded scientific notation: a float from Excel or
pandas (``199308152389.0``, ``1.99308152389e+11``), two numbers joined by a comma, ``pnr`` glued
to the number, or an escape (``\\n``) before it went out in full. A status export whose ``Läst``
cells hold such floats put every one of them into the error of ``load_status`` (and so into the
stderr of ``inkorg-kit report`` and the executed notebook).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support import shuffled_adults, write_excel_export

from inkorg_kit import followup as fu
from inkorg_kit import pnr

REF = "2026-11-21"
A, B = "199308152389", "199001012385"  # Skatteverket test numbers
TEN = "9001012385"  # B in its ten-digit form

# (text, the digits that must not survive masking)
ATTACKS = {
    "float from Excel or pandas": (f"Läst: {A}.0", [A]),
    "float, Swedish decimal comma": (f"Läst: {A},0", [A]),
    "scientific notation": ("value 1.99308152389e+11 in cell", [A]),
    "scientific notation, comma and E": ("1,99308152389E+11", [A]),
    "scientific notation, ten digits": ("9.001012385e+09", [TEN]),
    "two numbers joined by a comma": (f"{A},{B}", [A, B]),
    "letters straight before": (f"pnr{A}", [A]),
    "letters straight before and after": (f"pnr{A}x", [A]),
    "escape before (repr of a string)": (f"'\\n{A}\\t'", [A]),
    "JSON with numbers": (f'{{"pnr":{A}.0,"b":[{A},{B}]}}', [A, B]),
    "ten digits after letters": (f"id:x{TEN}", [TEN]),
}


def _digit_runs(masked: str) -> list[str]:
    """Runs of digits once every character but digits and the mask's ``*`` is dropped."""
    return re.findall(r"\d+", re.sub(r"[^\d*]", "", masked))


@pytest.mark.parametrize("case", list(ATTACKS))
def test_each_shape_is_found_and_masked(case: str) -> None:
    text, numbers = ATTACKS[case]
    found = pnr.find_in_text(text, reference_date=REF)
    assert found, f"{case}: nothing found in {text!r}"
    masked = pnr.mask_in_text(text, reference_date=REF)
    for number in numbers:
        assert number not in masked, masked
    assert all(len(run) < 10 for run in _digit_runs(masked)), masked
    assert pnr.find_in_text(masked, reference_date=REF) == []


def test_many_texts_at_once_mask_every_shape() -> None:
    texts = [text for text, _ in ATTACKS.values()]
    masked = pnr.mask_in_texts(texts, reference_date=REF)
    assert all(m != t for m, t in zip(masked, texts, strict=True))
    assert masked == [pnr.mask_in_text(t, reference_date=REF) for t in texts]
    assert not any(pnr.find_in_text(m, reference_date=REF) for m in masked)


def test_scientific_notation_is_masked_as_a_whole_token() -> None:
    masked = pnr.mask_in_text("x 1.99308152389e+11 y", reference_date=REF)
    assert masked == "x 1.9930815****e+** y"  # the birth date, nothing of the rest
    assert pnr.mask_in_text("9.001012385e+09", reference_date=REF) == "9.00101****e+**"


def test_a_status_export_with_float_read_times_stops_without_a_full_number(
    tmp_path: Path,
) -> None:
    """The ``Läst`` cells hold the personnummer as floats (``<12 digits>.0``): a wrongly
    mapped column. The run stops, quoting some cells; none may be a full number."""
    numbers = shuffled_adults(3).to_list()
    floats = [n.replace("-", "") + ".0" for n in numbers]
    rows = [f"{n};2027-03-16 09:00;Läst;{x}" for n, x in zip(numbers, floats, strict=True)]
    path = write_excel_export(tmp_path / "e.csv", "Personnummer;Skickat;Status;Läst", rows)
    with pytest.raises(fu.StatusExportError) as raised:
        fu.load_status(path)
    message = str(raised.value)
    assert "a time that cannot be read" in message  # the cells are quoted ...
    for x in floats:
        assert x[:-2] not in message  # ... masked
    assert pnr.find_in_text(message) == []
