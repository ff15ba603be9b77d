"""Attack 7 of issue 13: a truncated one-column list.

A list of 12-digit numbers whose last line was cut to 10 digits (a copy that stopped short, a
file saved while still being written) read the cut value as another valid number: a 2010 birth
became a 2020 one, and the wrong person could be messaged or left unexcluded, silently. The last
value of a file that does not end in a newline, with fewer digits than the values before it, is
now rejected as ``truncated``, with a warning; it is still counted.
"""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import polars as pl
import pytest
from support import skatteverket_numbers

from inkorg_kit import pnr, recipients, target
from inkorg_kit.io import TruncatedInputWarning, read_pnr_column
from inkorg_kit.target import TargetSpec
from inkorg_kit.target.lists import read_list

REF = dt.date(2027, 3, 16)
NO_FLAGS = {
    "exclude_deceased": False,
    "exclude_protected_identity": False,
    "exclude_opted_out": False,
}


def _cut_list(tmp_path: Path, name: str = "lista.txt") -> tuple[Path, list[str], str]:
    """Five 12-digit test numbers; the last (born 2010) cut to 10 digits, no final newline.
    Returns the file, the numbers, and the number the cut value reads as (born 2020)."""
    born_2010 = [n.replace("-", "") for n in skatteverket_numbers() if n.startswith("2010")]
    last = next(n for n in born_2010 if pnr.is_valid(n[:10], reference_date=REF))
    others = [n.replace("-", "") for n in skatteverket_numbers()[:4]]
    path = tmp_path / name
    path.write_text("\n".join([*others, last[:10]]), encoding="utf-8")
    misread = pnr.normalise(last[:10], reference_date=REF)
    assert misread.startswith("2020")  # the danger: another valid number
    return path, [*others, last], misread


def test_a_list_cut_in_its_last_value_rejects_that_row_as_truncated(tmp_path: Path) -> None:
    path, numbers, misread = _cut_list(tmp_path)
    with pytest.warns(TruncatedInputWarning, match="avkortad") as caught:
        values = read_pnr_column(path)
    cleaned = pnr.clean(values, reference_date=REF)
    assert cleaned.height == 5  # rejected, not dropped
    assert cleaned["status"].to_list() == ["ok"] * 4 + ["rejected"]
    assert cleaned["reason"][-1] == "truncated"
    assert misread not in cleaned["pnr"].to_list()
    message = str(caught[0].message)
    assert "rad 5" in message and str(path) in message
    assert numbers[-1][:10] not in message  # the cut value is masked
    assert pnr.find_in_text(message) == []


def test_an_exclusion_list_cut_short_does_not_exclude_the_wrong_person(tmp_path: Path) -> None:
    path, _, misread = _cut_list(tmp_path)
    with pytest.warns(TruncatedInputWarning):
        read = read_list(path, REF, "exclude_lists")
    assert read.invalid == 1 and misread not in read.numbers.to_list()
    assert "avkortad sista rad" in (read.note() or "")


def test_a_recipient_list_cut_short_counts_the_row_as_rejected(tmp_path: Path) -> None:
    path, _, misread = _cut_list(tmp_path)
    with pytest.warns(TruncatedInputWarning):
        frame = recipients.prepare(path, reference_date=REF)
    assert frame.height == 5
    assert frame.filter(pl.col("status") == "rejected")["reason"].to_list() == ["truncated"]
    assert misread not in frame["pnr"].to_list()


def test_a_target_extract_cut_short_has_a_funnel_step_for_it(tmp_path: Path) -> None:
    path, _, misread = _cut_list(tmp_path, "utdrag.csv")
    with pytest.warns(TruncatedInputWarning):
        result = target.select(TargetSpec(**NO_FLAGS), source=path, reference_date=REF)
    removed = dict(result.funnel.select("step", "removed").iter_rows())
    assert removed["rejected_truncated"] == 1
    labels = dict(result.funnel.select("step", "label").iter_rows())
    assert "avkortad sista rad" in labels["rejected_truncated"]
    assert misread not in result.group["personnummer"].to_list()


def test_a_whole_list_without_a_final_newline_is_read_as_it_is(tmp_path: Path) -> None:
    numbers = [n.replace("-", "") for n in skatteverket_numbers()[:5]]
    path = tmp_path / "hel.txt"
    path.write_text("\n".join(numbers), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = read_pnr_column(path)
    assert values.to_list() == numbers
    assert pnr.clean(values, reference_date=REF)["status"].to_list() == ["ok"] * 5
