"""``pnr.find_in_text`` / ``mask_in_text`` / ``mask_in_texts`` against Skatteverket's test
numbers in every shape clean() reads (and floats, scientific notation), embedded in random
text with random neighbours and separators; and the ordinary numbers they leave alone."""

from __future__ import annotations

import base64
import functools
import json
import re
import unicodedata

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import SKATTEVERKET_PNR_CSV, SKATTEVERKET_SAMORDNING_CSV

from inkorg_kit import pnr

REF = "2026-11-21"
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


@functools.cache
def numbers() -> tuple[str, ...]:
    """Skatteverket's test personnummer and samordningsnummer (12 digits)."""
    people = pl.read_csv(SKATTEVERKET_PNR_CSV, infer_schema=False)["testpersonnummer"]
    coordination = pl.read_csv(SKATTEVERKET_SAMORDNING_CSV, infer_schema=False)
    return tuple(people.to_list() + coordination["testsamordningsnummer"].to_list())


def _full_width(text: str) -> str:
    return "".join(chr(ord(ch) - ord("0") + 0xFF10) if ch.isdigit() else ch for ch in text)


def _scientific(digits: str, comma: bool = False, upper: bool = False) -> str:
    """``digits`` as a float in scientific notation, every digit kept (as Python, pandas or
    Excel with enough decimals write it)."""
    value = int(digits)
    text = f"{float(value):.{len(str(value)) - 1}e}"
    text = text.replace(".", ",") if comma else text
    return text.upper() if upper else text


#: every shape of a 12-digit number d: the ones clean() reads, and floats
SHAPES = {
    "12": lambda d: d,
    "13": lambda d: f"{d[:8]}-{d[8:]}",
    "11": lambda d: f"{d[2:8]}-{d[8:]}",
    "10": lambda d: d[2:],
    "cosmic": lambda d: f"{d[:2]} {d[2:8]}-{d[8:]}",
    "space": lambda d: f"{d[:8]} {d[8:]}",
    "no-break space": lambda d: f"{d[:8]}\u00a0{d[8:]}",
    "spaces": lambda d: f"{d[:4]} {d[4:8]} {d[8:]}",
    "en dash": lambda d: f"{d[:8]}\u2013{d[8:]}",
    "minus": lambda d: f"{d[2:8]}\u2212{d[8:]}",
    "zero-width": lambda d: f"{d[:8]}\u200b{d[8:]}",
    "full-width": lambda d: _full_width(f"{d[:8]}-{d[8:]}"),
    "apostrophe": lambda d: f"'{d}",
    "float": lambda d: f"{d}.0",
    "float, ten digits": lambda d: f"{int(d[2:])}.0" if d[2] != "0" else f"{d[2:]}.0",
    "float, comma": lambda d: f"{d},0",
    "scientific": lambda d: _scientific(d),
    "scientific, comma, E": lambda d: _scientific(d, comma=True, upper=True),
    "scientific, ten digits": lambda d: _scientific(d[2:]),
}

LETTERS = "abcdefghijklmnopqrstuvwxyzåäöABCDEFGHIJKLMNOPQRSTUVWXYZÅÄÖ_"
PUNCTUATION = " \t\n.,;:!?()[]{}<>=/|*&%$#@~^\"'`+-"
ESCAPES = ["\\n", "\\t", "\\r", '\\"', "\\\\"]
neighbour = st.lists(
    st.one_of(st.sampled_from(LETTERS), st.sampled_from(PUNCTUATION), st.sampled_from(ESCAPES)),
    max_size=8,
).map("".join)
suffix = st.one_of(neighbour, st.sampled_from([".0", ",", ".0,", ".00", "\\n", '"']))
number = st.sampled_from(numbers())
shape = st.sampled_from(list(SHAPES))


def _no_number_left(masked: str, embedded: list[str]) -> None:
    """Neither the 12- nor the 10-digit form of an embedded number is left in ``masked``,
    once every character but digits and the mask's ``*`` is dropped; nothing is found."""
    digits = re.sub(r"[^\d*]", "", unicodedata.normalize("NFKC", masked))
    for number in embedded:
        assert number not in digits and number[2:] not in digits, (number, masked)
    assert pnr.find_in_text(masked, reference_date=REF) == [], masked


@SETTINGS
@given(number=number, shape=shape, before=neighbour, after=suffix)
def test_one_number_is_found_and_masked_whatever_stands_around_it(number, shape, before, after):
    text = f"{before}{SHAPES[shape](number)}{after}"
    found = pnr.find_in_text(text, reference_date=REF)
    assert len(found) == 1, (text, found)
    assert "*" in found[0]
    masked = pnr.mask_in_text(text, reference_date=REF)
    assert masked.startswith(before) and masked.endswith(after)
    _no_number_left(masked, [number])


@SETTINGS
@given(
    items=st.lists(st.tuples(number, shape, neighbour, suffix), min_size=1, max_size=5),
    joiners=st.lists(st.sampled_from([",", ", ", ";", "\n", "\t", '","', " | ", "\r\n"])),
)
def test_many_numbers_joined_in_any_way_are_all_masked(items, joiners):
    parts = [f"{before}{SHAPES[s](n)}{after}" for n, s, before, after in items]
    text = parts[0]
    for i, part in enumerate(parts[1:]):
        text += (joiners[i] if i < len(joiners) else ",") + part
    assert pnr.find_in_text(text, reference_date=REF)
    _no_number_left(pnr.mask_in_text(text, reference_date=REF), [n for n, *_ in items])


@SETTINGS
@given(
    items=st.lists(st.tuples(number, shape, neighbour), min_size=1, max_size=4),
    as_float=st.booleans(),
)
def test_numbers_in_json_are_masked(items, as_float):
    record = {
        "rows": [{"pnr": SHAPES[s](n), "note": note} for n, s, note in items],
        "values": [float(n) if as_float else int(n) for n, _, _ in items],
    }
    for text in (json.dumps(record), json.dumps(record, ensure_ascii=False, indent=1)):
        assert pnr.find_in_text(text, reference_date=REF)
        _no_number_left(pnr.mask_in_text(text, reference_date=REF), [n for n, *_ in items])


@SETTINGS
@given(texts=st.lists(st.tuples(number, shape, neighbour, suffix), max_size=6))
def test_masking_a_column_of_texts_masks_each_as_alone(texts):
    column = [None if not b else f"{b}{SHAPES[s](n)}{a}" for n, s, b, a in texts] + ["inget"]
    masked = pnr.mask_in_texts(column, reference_date=REF)
    assert masked == [
        None if t is None else pnr.mask_in_text(t, reference_date=REF) for t in column
    ]
    for m, (n, *_) in zip(masked, texts, strict=False):
        if m is not None:
            _no_number_left(m, [n])


def test_a_number_escaped_in_a_repr_or_json_is_still_one_number():
    number = "199308152389"  # Skatteverket test number
    spaced = f"{number[:8]}\u00a0{number[8:]}"  # a no-break space: \xa0 in a repr, \u00a0 in JSON
    for text in (repr(spaced), json.dumps(spaced)):
        assert pnr.find_in_text(text, reference_date=REF), text
        assert "2389" not in pnr.mask_in_text(text, reference_date=REF), text
    # an escape ending in a hex digit does not join the number after it
    assert pnr.find_in_text(json.dumps(f"Göran{number}"), reference_date=REF) == ["19930815****"]


@pytest.mark.parametrize(
    "text",
    [
        "belopp 1234567890123 kr",  # 13 digits: an amount, not a personnummer
        "tid 1700000000123 ms",  # a timestamp in milliseconds
        "id 19930815238900",  # 14 digits: a number glued to more digits is not cut apart
        "konto 1234567890",  # 10 digits, no date
        "ordning 9999999999",  # 10 digits, no date
        "x 1.199001012385",  # the fraction of a decimal number (a drawing's coordinates)
        "1.5e+06 2.5E-3 1e10",  # scientific notation of ordinary numbers
        "tel 08-123 456 78",  # a phone number with no date in it
        "2027-03-16 09:00:00",  # a time
    ],
)
def test_ordinary_numbers_are_left_alone(text):
    assert pnr.find_in_text(text, reference_date=REF) == []
    assert pnr.mask_in_text(text, reference_date=REF) == text


def test_a_base64_image_is_not_read_as_numbers():
    """A notebook's images are base64: a run of digits in one is chance, not a number."""
    blob = base64.b64encode(b"\x89PNG" + bytes(range(256)) * 4).decode()
    blob = blob[:100] + "199308152389" + blob[100:]  # a test number, by chance, in the image
    text = f'"image/png": "{blob}"'
    assert pnr.find_in_text(text, reference_date=REF) == []
    assert pnr.mask_in_text(text, reference_date=REF) == text
