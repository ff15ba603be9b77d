"""Attack 5 of issue 13: ``group_by`` on a column that holds personnummer (notebook 02).

The group's value goes into every file name, and so into ``send_plan.csv``, the ``.ics``
files for Outlook and the manifest: grouping by a column of personnummer published them in
full. ``group_by='pnr'`` failed with a polars ``DuplicateError``, and the error for two values
with the same file-name form quoted both raw. Now :func:`recipients.split` refuses a grouping
column that is the personnummer column, whose values hold personnummer (in any shape), or that
has so many distinct values that it cannot be a grouping; and its errors mask the values.
"""

from __future__ import annotations

import polars as pl
import pytest
from support import TWO_UNITS, assert_no_personnummer, skatteverket_numbers

from inkorg_kit import recipients as rc
from inkorg_kit.errors import InkorgError
from inkorg_kit.recipients import splitting

NUMBERS = list(skatteverket_numbers()[:40])


def _frame(**columns: list) -> pl.DataFrame:
    return pl.DataFrame({"pnr": NUMBERS, "status": ["ok"] * len(NUMBERS), **columns})


def _refused(frame: pl.DataFrame, group_by: str) -> str:
    with pytest.raises(InkorgError) as refused:
        rc.split(frame, group_by=group_by, part_size=10)
    message = str(refused.value)
    assert_no_personnummer(message, "the refusal")
    assert f"group_by={group_by!r}" in message
    assert "unit" in message  # says what to group by instead
    return message


def test_grouping_by_the_personnummer_column_is_refused_with_a_message() -> None:
    message = _refused(_frame(), "pnr")
    assert "personnummer" in message


@pytest.mark.parametrize(
    "values",
    [
        NUMBERS[::-1],  # another column of personnummer (a contact, a guardian)
        [n.replace("-", "") for n in NUMBERS],  # twelve digits
        [int(n.replace("-", "")) for n in NUMBERS],  # read as numbers from Excel
        [TWO_UNITS[0]] * 39 + [f"BVC, kontakt {NUMBERS[5]}"],  # one unit's name holds one
    ],
    ids=["pnr-text", "digits", "integers", "one-value"],
)
def test_grouping_by_a_column_holding_personnummer_is_refused(values: list) -> None:
    message = _refused(_frame(kontakt=values), "kontakt")
    assert "personnummer" in message and "file names" in message


def test_a_column_with_a_value_per_person_is_no_grouping() -> None:
    numbers = list(skatteverket_numbers()[:3000])
    frame = pl.DataFrame(
        {"pnr": numbers, "status": ["ok"] * len(numbers), "rad": [f"r{i}" for i in range(3000)]}
    )
    with pytest.raises(InkorgError, match="distinct values") as refused:
        rc.split(frame, group_by="rad")
    assert "unit" in str(refused.value)


def test_the_file_name_collision_error_masks_the_values() -> None:
    values = pl.Series([f"Kontakt {NUMBERS[1]}", f"kontakt-{NUMBERS[1]}"])
    with pytest.raises(InkorgError, match="same file") as refused:
        splitting.group_slugs(values, "kontakt")
    assert_no_personnummer(str(refused.value), "the collision error")
    empty = pl.Series(["---", "a"])
    with pytest.raises(InkorgError, match="no letters or digits"):
        splitting.group_slugs(empty, "enhet")


def test_units_still_group(tmp_path) -> None:
    units = [TWO_UNITS[i % 2] for i in range(len(NUMBERS))]
    parts = rc.split(_frame(enhet=units), group_by="enhet", part_size=10)
    assert sorted(set(parts.frame["group"].to_list())) == sorted(TWO_UNITS)
