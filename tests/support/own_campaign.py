"""An analyst's own campaign, as issue 12 tried it: a flu-vaccination offer to people aged 65
and over at another unit, from an ``.xlsx`` extract with title rows above the header, Swedish
column names and personnummer in every shape a care system or Excel gives them.

Why here: the wheel test (the installed kit) and the README's "Din egen kampanj" test (the
editable kit) write the same extract, and both check the recipients against
:func:`expected_recipients`, which counts them without the kit: python-stdnum validates the
numbers, and the filters are applied by hand to the rows as written. Every number is one of
Skatteverket's test numbers (:func:`~support.people.skatteverket_numbers`), or one of them with
its check digit broken.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xlsxwriter
import yaml
from stdnum.se import personnummer as stdnum_pnr

from .people import skatteverket_numbers, with_wrong_check_digit

__all__ = [
    "LAST_CONTACT_DAYS",
    "SEND_DAY",
    "UNIT",
    "FluExtract",
    "apply_edits",
    "expected_recipients",
    "recipients_in",
    "write_flu_extract",
]

#: the README example's unit (synthetic, like the demo's)
UNIT = "SE2321000032-VCNORR"
OTHER_UNIT = "SE2321000032-VCSOLB"
SEND_DAY = dt.date(2027, 10, 5)  # a Tuesday
LAST_CONTACT_DAYS = 730
MIN_AGE = 65
HEADER = (
    "Personnummer",
    "Vårdenhet HSA-id",
    "Besöksdatum",
    "Diagnoskod",
    "Avliden",
    "Skyddad identitet",
    "Avböjt meddelanden",
)
TITLE_ROWS = (
    "Uttag ur journalsystemet: listade patienter",
    "Vårdcentralen Norrby",
    "Utskrivet 2027-09-20",
)


@dataclass(frozen=True)
class FluExtract:
    path: Path
    header_row: int  #: as Excel numbers it
    rows: list[dict[str, Any]]  #: the data rows as written (blank rows as empty dicts)


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _shape(number: str, k: int) -> object:
    """``number`` (``YYYYMMDD-NNNN``) as one of the shapes extracts hold: a cell value."""
    digits = number.replace("-", "")
    shapes: list[object] = [
        number,
        int(digits),  # a number cell, as Excel stores typed or pasted digits
        f"{digits[2:8]}-{digits[8:]}",  # ten digits (only people under 100 here)
        digits[2:],
        f"{digits[:2]} {digits[2:8]}-{digits[8:]}",  # Cosmic: a space inside the year
        f"{digits[:8]}\u2013{digits[8:]}",  # en dash from Word
        f" {number} ",
        f'="{number}"',  # Excel's text form, as a CSV copy keeps it
    ]
    return shapes[k % len(shapes)]


def write_flu_extract(path: Path, *, people: int = 160, seed: int = 12) -> FluExtract:
    """An ``.xlsx`` like a care system's export: three title rows and a blank row above the
    Swedish header (row 5), then one row per contact (1-3 per person, in mixed shapes), wholly
    blank rows, numbers with a broken check digit and junk. People are 60-99 on
    :data:`SEND_DAY`; some are at another unit only, some were last seen too long ago, some
    are flagged deceased, protected or opted out (on all their rows)."""
    rng = np.random.default_rng(seed)
    pool = [
        n
        for n in skatteverket_numbers()
        if 60 <= _age(dt.date(int(n[:4]), int(n[4:6]), int(n[6:8])), SEND_DAY) <= 99
    ]
    chosen = [pool[i] for i in rng.choice(len(pool), people + 8, replace=False)]
    rows: list[dict[str, Any]] = []
    shape_k = 0
    for i, number in enumerate(chosen[:people]):
        kind = rng.choice(
            ["ok", "other_unit", "old", "deceased", "protected", "opted_out"],
            p=[0.7, 0.08, 0.08, 0.05, 0.05, 0.04],
        )
        for _ in range(int(rng.integers(1, 4))):
            back = int(rng.integers(800, 1500) if kind == "old" else rng.integers(10, 700))
            rows.append(
                {
                    "Personnummer": _shape(number, shape_k),
                    "Vårdenhet HSA-id": OTHER_UNIT if kind == "other_unit" else UNIT,
                    "Besöksdatum": SEND_DAY - dt.timedelta(days=back),
                    "Diagnoskod": ["J11", "Z23.8", "I10", ""][i % 4],
                    "Avliden": (SEND_DAY - dt.timedelta(days=30)).isoformat()
                    if kind == "deceased"
                    else "",
                    "Skyddad identitet": "Ja" if kind == "protected" else "Nej",
                    "Avböjt meddelanden": "x" if kind == "opted_out" else "",
                }
            )
            shape_k += 1
    for number in chosen[people:]:  # numbers no person can have
        rows.append(
            {
                "Personnummer": with_wrong_check_digit(number),
                "Vårdenhet HSA-id": UNIT,
                "Besöksdatum": SEND_DAY - dt.timedelta(days=40),
            }
        )
    rows.append({"Personnummer": "okänd", "Vårdenhet HSA-id": UNIT})
    order = rng.permutation(len(rows))
    rows = [rows[i] for i in order]
    for at in (7, 40):  # wholly blank rows, as a sorted or edited sheet has
        rows.insert(at, {})

    header_row = len(TITLE_ROWS) + 2
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Uttag")
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    for r, title in enumerate(TITLE_ROWS):
        sheet.write_string(r, 0, title)
    for c, name in enumerate(HEADER):
        sheet.write_string(header_row - 1, c, name)
    for r, row in enumerate(rows, start=header_row):
        for c, name in enumerate(HEADER):
            value = row.get(name)
            if value is None or value == "":
                continue
            if isinstance(value, dt.date):
                sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), dates)
            elif isinstance(value, int):
                sheet.write_number(r, c, value)
            else:
                sheet.write_string(r, c, value)
    book.close()
    return FluExtract(path, header_row, rows)


def _twelve_digits(value: object) -> str | None:
    """The person's number as 12 digits, by python-stdnum (not the kit), or None if invalid."""
    if value is None:
        return None
    text = str(value).strip()
    if text.startswith('="') and text.endswith('"'):
        text = text[2:-1]
    text = re.sub(r"\s", "", text.replace("\u2013", "-"))
    if not stdnum_pnr.is_valid(text):
        return None
    birth = stdnum_pnr.get_birth_date(text)
    return f"{birth:%Y%m%d}{stdnum_pnr.compact(text)[-4:]}"


def expected_recipients(extract: FluExtract) -> set[str]:
    """The campaign's recipients counted without the kit: valid numbers (python-stdnum) of
    people aged :data:`MIN_AGE` or more on :data:`SEND_DAY`, seen at :data:`UNIT` within
    :data:`LAST_CONTACT_DAYS` days, and not flagged on any row."""
    seen: dict[str, dt.date] = {}
    flagged: set[str] = set()
    for row in extract.rows:
        number = _twelve_digits(row.get("Personnummer"))
        if number is None:
            continue
        if any(row.get(k) for k in ("Avliden", "Avböjt meddelanden")) or (
            row.get("Skyddad identitet") == "Ja"
        ):
            flagged.add(number)
        if row.get("Vårdenhet HSA-id") == UNIT and row.get("Besöksdatum"):
            seen[number] = max(seen.get(number, dt.date.min), row["Besöksdatum"])
    earliest = SEND_DAY - dt.timedelta(days=LAST_CONTACT_DAYS)
    return {
        number
        for number, last in seen.items()
        if number not in flagged
        and last >= earliest
        and _age(dt.date(int(number[:4]), int(number[4:6]), int(number[6:8])), SEND_DAY) >= MIN_AGE
    }


def recipients_in(run_dir: Path) -> list[str]:
    """The numbers in the run folder's import files (``recipients/*.txt``), as 12 digits."""
    numbers = []
    for path in sorted((run_dir / "recipients").glob("*.txt")):
        lines = path.read_bytes().decode("utf-8").split("\r\n")
        numbers += [line.replace("-", "") for line in lines if line]
    return numbers


def _merge(base: Any, edits: Any) -> Any:
    if isinstance(base, Mapping) and isinstance(edits, Mapping):
        out = dict(base)
        for key, value in edits.items():
            out[key] = _merge(base.get(key), value) if key in base else value
        return out
    return edits


def apply_edits(campaign_file: Path, edits: Mapping[str, Any]) -> None:
    """``campaign_file`` with ``edits`` (keys as in the YAML, blocks merged key by key) in
    place, as the analyst edits it (the comments are not kept)."""
    data = yaml.safe_load(campaign_file.read_text(encoding="utf-8"))
    text = yaml.safe_dump(_merge(data, edits), allow_unicode=True, sort_keys=False)
    campaign_file.write_text(text, encoding="utf-8")
