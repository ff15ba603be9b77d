"""Real extracts as care systems give them (issue 12, point 3): title rows above the header,
Swedish column names, list files with a named column, Excel's ``="…"`` and ``….0``, wholly
blank rows, and one row numbering (the row Excel or a text editor shows) everywhere.

Every personnummer here is one of Skatteverket's test numbers (``tests/support/people.py``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from support import assert_no_personnummer, shuffled_adults

from inkorg_kit import pnr, target
from inkorg_kit.config.target_spec import ListFile, TargetSpec
from inkorg_kit.errors import InkorgError
from inkorg_kit.io import read_extract, read_pnr_column, read_table
from inkorg_kit.run import load_frame

REFERENCE = dt.date(2027, 3, 16)
UNIT = "SE2321000032-VCSOLB"
OTHER = "SE2321000032-VCEKDA"
TITLE = ["Rapport: Besökslista", "Utskriven 2027-03-01", ""]
HEADER = [
    "Personnummer",
    "Besöksdatum",
    "Vårdenhetens HSA-id",
    "Diagnoskod",
    "Avliden datum",
    "Skyddad identitet",
    "Avböjt",
]


def people(count: int = 9) -> list[str]:
    return shuffled_adults(count, seed=12).to_list()


def digits(number: str) -> str:
    return number.replace("-", "")


class Extract:
    """An extract as a Cosmic/TakeCare export: title rows, Swedish headers, mixed shapes of
    personnummer, a wholly blank row, a date without its last four, flags in Swedish."""

    def __init__(self) -> None:
        p = people()
        self.p = p
        # (personnummer cell, csv text of it); the xlsx writes the python value
        self.rows: list[list[object]] = [
            [p[0], "2027-01-10", UNIT, "J10", "", "Nej", ""],
            [int(digits(p[1])), "2027-01-11", UNIT, "I10", "", "", ""],
            [f'="{digits(p[2])}"', "2027-01-12", UNIT, "E11", "", "", ""],
            [f"{digits(p[3])}.0", "2027-01-13", UNIT, "J10", "", "", ""],
            [None, None, None, None, None, None, None],  # wholly blank (Excel keeps these)
            [p[4], "2027-01-14", UNIT, "J10", "2027-02-01", "", ""],  # deceased: a date
            [p[5], "2027-01-15", UNIT, "J10", "", "Ja", ""],  # protected identity
            [p[6], "2027-01-16", UNIT, "J10", "", "", "x"],  # opted out
            [p[7], "2027-01-17", OTHER, "J10", "", "", ""],  # another unit
            [digits(p[8])[:8], "2027-01-18", UNIT, "J10", "", "", ""],  # 8 characters
        ]
        self.group = {p[0], p[1], p[2], p[3]}
        self.header_line = len(TITLE) + 1  # line 4

    def line_of(self, index: int) -> int:
        """The line (row in Excel) of data row ``index`` as an editor shows it."""
        return self.header_line + 1 + index

    def csv(self, path: Path, *, encoding: str = "cp1252") -> Path:
        lines = [*TITLE, ";".join(HEADER)]
        for row in self.rows:
            lines.append(";".join("" if c is None else str(c) for c in row))
        path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
        return path

    def xlsx(self, path: Path) -> Path:
        import xlsxwriter

        book = xlsxwriter.Workbook(str(path))
        sheet = book.add_worksheet("Besök")
        for r, title in enumerate(TITLE):
            if title:
                sheet.write_string(r, 0, title)
        sheet.write_row(len(TITLE), 0, HEADER)
        for i, row in enumerate(self.rows):
            r = len(TITLE) + 1 + i
            for c, cell in enumerate(row):
                if cell is None or cell == "":
                    continue
                if isinstance(cell, int):
                    sheet.write_number(r, c, cell)
                else:
                    sheet.write_string(r, c, str(cell))
        book.close()
        return path


@pytest.fixture
def extract() -> Extract:
    return Extract()


def write(extract: Extract, folder: Path, kind: str) -> Path:
    return (
        extract.csv(folder / "besok.csv") if kind == "csv" else extract.xlsx(folder / "besok.xlsx")
    )


# --------------------------------------------------------------------------- 1 and 2, 4, 5


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_title_rows_swedish_headers_and_excel_quirks(extract, tmp_path, kind):
    """Title rows are skipped, every column is found by its Swedish name, ``="…"`` and
    ``….0`` read as their digits, the blank row is a blank row, the 8-character value is
    ``bad_format`` from CSV and XLSX alike, and ``first_row`` is the row people see."""
    path = write(extract, tmp_path, kind)
    spec = TargetSpec(units=[UNIT], diagnosis_prefixes=["J10", "I10", "E11"],
                      last_contact_within_days=365)  # fmt: skip
    result = target.select(spec, source=path, reference_date=REFERENCE)
    assert set(result.group["personnummer"]) == extract.group  # independent count
    removed = dict(result.funnel.select("step", "removed").iter_rows())
    assert removed["blank_rows"] == 1
    assert removed["rejected_empty"] == 0
    assert removed["rejected_bad_format"] == 1 and removed["rejected_bad_date"] == 0
    assert removed["deceased"] == removed["protected_identity"] == removed["opted_out"] == 1
    assert removed["units"] == 1
    notes = result.funnel["note"].drop_nulls().to_list()
    assert any("Avliden datum" in note for note in notes)
    # one row numbering: the rejected value's row is its line (row) in the file
    rejected = result.rejected.row(0, named=True)
    assert rejected["reason"] == "bad_format"
    assert rejected["first_row"] == extract.line_of(9) == 14
    first = dict(result.group.select("personnummer", "first_row").iter_rows())
    assert first[extract.p[0]] == extract.line_of(0) == 5


def test_the_same_extract_in_utf8_with_a_sep_line_numbers_its_lines(extract, tmp_path):
    path = extract.csv(tmp_path / "besok.csv", encoding="utf-8-sig")
    path.write_bytes(b"sep=;\r\n" + path.read_bytes().removeprefix(b"\xef\xbb\xbf"))
    table = read_extract(path)
    assert table.header_row == extract.header_line + 1 and table.first_row == 6
    assert table.pnr_column == "Personnummer"


def test_rejected_csv_and_the_date_error_say_the_line_the_editor_shows(extract, tmp_path):
    path = extract.csv(tmp_path / "besok.csv")
    spec = TargetSpec(units=[UNIT])
    result = target.select(spec, source=path, reference_date=REFERENCE)
    result.write(tmp_path / "run")
    written = load_frame(tmp_path / "run", "target_rejected_csv")
    lines = path.read_text(encoding="cp1252").splitlines()
    first_row = written["first_row"][0]
    assert lines[first_row - 1].startswith(digits(extract.p[8])[:8] + ";")
    # a contact date that is not a date: the message names the same line
    text = path.read_text(encoding="cp1252").replace("2027-01-13", "13/1 2027")
    bad = tmp_path / "datum.csv"
    bad.write_text(text, encoding="cp1252")
    with pytest.raises(InkorgError, match=rf"first at row {extract.line_of(3)} "):
        target.select(TargetSpec(last_contact_within_days=30), source=bad, reference_date=REFERENCE)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_header_row_key_when_no_row_names_a_personnummer_column(extract, tmp_path, kind):
    path = write(extract, tmp_path, kind)
    if kind == "csv":
        text = path.read_text(encoding="cp1252").replace("Personnummer;", "Patient;", 1)
        path.write_text(text, encoding="cp1252")
    else:
        import openpyxl

        book = openpyxl.load_workbook(path)
        book.active["A4"] = "Patient"
        book.save(path)
    with pytest.raises(InkorgError) as raised:
        target.select(TargetSpec(), source=path, reference_date=REFERENCE)
    message = str(raised.value)
    assert str(path) in message
    assert "Rapport: Besökslista" in message and "Utskriven 2027-03-01" in message
    assert "target.header_row" in message and "target.pnr_column" in message
    assert "Pass column=" not in message
    assert_no_personnummer(message, "the header error")
    spec = TargetSpec(header_row=4, pnr_column="Patient", units=[UNIT])
    result = target.select(spec, source=path, reference_date=REFERENCE)
    assert set(result.group["personnummer"]) == extract.group
    assert result.rejected["first_row"][0] == 14


def test_a_header_row_that_is_blank_says_so(extract, tmp_path):
    path = extract.csv(tmp_path / "besok.csv")
    with pytest.raises(InkorgError, match="header row is set to 3, but line 3 is blank"):
        read_table(path, header_row=3)


# --------------------------------------------------------------------------- 2: Swedish names

SWEDISH = {
    "pnr_column": ["Personnummer", "Pnr", "Personnr", "Person-nr", "PERSON NR"],
    "contact_date_column": ["Besöksdatum", "Kontaktdatum"],
    "unit_column": ["Vårdenhet", "Enhet", "HSA-id", "Vårdenhetens HSA-id"],
    "diagnosis_column": ["Diagnos", "Diagnoskod"],
    "deceased_column": ["Avliden", "Avliden datum"],
    "protected_identity_column": [
        "Skyddad identitet", "Sekretessmarkering", "Skyddad folkbokföring",
    ],
    "opted_out_column": ["Avböjt", "Reservation"],
}  # fmt: skip
_ENGLISH = {
    "pnr_column": "personnummer",
    "contact_date_column": "contact_date",
    "unit_column": "unit_hsa_id",
    "diagnosis_column": "icd10",
    "deceased_column": "deceased",
    "protected_identity_column": "protected_identity",
    "opted_out_column": "opted_out",
}
_CASES = [(key, name) for key, names in SWEDISH.items() for name in names]


def _small_extract(tmp_path: Path, rename: dict[str, str]) -> tuple[Path, list[str]]:
    p = people(4)
    frame = pl.DataFrame(
        {
            "personnummer": p,
            "contact_date": ["2027-01-10", "2027-01-11", "2025-01-12", "2027-01-13"],
            "unit_hsa_id": [UNIT, UNIT, UNIT, OTHER],
            "icd10": ["I10", "I10", "I10", "I10"],
            "deceased": ["", "", "", ""],
            "protected_identity": ["", "", "", ""],
            "opted_out": ["ja", "", "", ""],
        }
    ).rename(rename)
    path = tmp_path / "x.csv"
    frame.write_csv(path, separator=";")
    return path, p


@pytest.mark.parametrize(("key", "name"), _CASES)
def test_each_column_key_finds_its_swedish_name(tmp_path, key, name):
    path, p = _small_extract(tmp_path, {_ENGLISH[key]: name})
    spec = TargetSpec(units=[UNIT], diagnosis_prefixes=["I10"], last_contact_within_days=365)
    result = target.select(spec, source=path, reference_date=REFERENCE)
    assert set(result.group["personnummer"]) == {p[1]}  # p0 opted out, p2 old, p3 elsewhere


def test_a_key_that_is_set_names_its_column_exactly(tmp_path):
    path, _ = _small_extract(tmp_path, {"unit_hsa_id": "Enhet"})
    spec = TargetSpec(units=[UNIT], unit_column="Vårdenhet")
    with pytest.raises(InkorgError) as raised:
        target.select(spec, source=path, reference_date=REFERENCE)
    message = str(raised.value)
    assert "target.unit_column" in message and "'Vårdenhet'" in message
    assert "'Enhet'" in message and "'personnummer'" in message  # the columns found
    assert_no_personnummer(message, "the missing-column error")


# --------------------------------------------------------------------------- 3: list files


def test_list_files_take_a_column_and_count_entries_that_matched_nobody(extract, tmp_path):
    path = extract.csv(tmp_path / "besok.csv")
    outside = people(12)[10:]  # test numbers that are not in the extract
    listed = tmp_path / "avbojt.csv"
    listed.write_text(
        "Utdrag: avböjt\n\nPatient;Kommentar\n"
        + "".join(f"{n};x\n" for n in [extract.p[0], *outside]),
        encoding="utf-8",
    )
    plain = TargetSpec(units=[UNIT], exclude_lists=["avbojt.csv"])
    with pytest.raises(InkorgError) as raised:
        target.select(plain, source=path, reference_date=REFERENCE, lists_base_dir=tmp_path)
    message = str(raised.value)
    assert "column" in message and "path: avbojt.csv" in message
    assert "Pass column=" not in message
    spec = TargetSpec.model_validate(
        {"units": [UNIT], "exclude_lists": [{"path": "avbojt.csv", "column": "Patient"}]}
    )
    assert spec.exclude_lists == [ListFile(path="avbojt.csv", column="Patient")]
    result = target.select(spec, source=path, reference_date=REFERENCE, lists_base_dir=tmp_path)
    assert set(result.group["personnummer"]) == extract.group - {extract.p[0]}
    note = result.funnel.filter(pl.col("step") == "exclude_list_1")["note"][0]
    assert note == "3 personnummer på listan: 1 finns i utdraget, 2 matchade ingen i utdraget"
    assert any("avbojt.csv" in n and "2 matchade ingen" in n for n in result.notes)
    # an include list: the same count, per file
    spec = TargetSpec.model_validate(
        {"units": [UNIT], "include_lists": [{"path": "avbojt.csv", "column": "Patient"}]}
    )
    result = target.select(spec, source=path, reference_date=REFERENCE, lists_base_dir=tmp_path)
    note = result.funnel.filter(pl.col("step") == "include_lists")["note"][0]
    assert "avbojt.csv: 3 personnummer på listan: 1 finns i utdraget, 2 matchade ingen" in note


def test_a_list_with_title_rows_names_the_rows_people_see(extract, tmp_path):
    path = extract.csv(tmp_path / "besok.csv")
    listed = tmp_path / "lista.csv"
    listed.write_text(
        f"Lista\n\nPersonnummer\n{extract.p[0]}\nfel\n", encoding="utf-8"
    )  # header on line 3, the bad value on line 5
    spec = TargetSpec(units=[UNIT], exclude_lists=["lista.csv"])
    result = target.select(spec, source=path, reference_date=REFERENCE, lists_base_dir=tmp_path)
    note = result.funnel.filter(pl.col("step") == "exclude_list_1")["note"][0]
    assert "rad 5: **** (fel format)" in note


def test_list_entries_are_validated(tmp_path):
    with pytest.raises(ValueError, match="unknown key 'kolumn'"):
        TargetSpec.model_validate({"exclude_lists": [{"path": "a.csv", "kolumn": "Pnr"}]})
    assert TargetSpec(deceased_lists=["a.csv"]).deceased_lists == ["a.csv"]


# --------------------------------------------------------------------------- 4: Excel's forms


def test_excel_text_forms_read_as_the_digits_they_hold(tmp_path):
    import xlsxwriter

    p = people(5)
    shapes = [f'="{digits(p[0])}"', f"{digits(p[1])}.0", f"{digits(p[2])},0", p[3]]
    text = tmp_path / "lista.csv"
    text.write_text("Personnummer\n" + "\n".join(shapes) + "\n", encoding="utf-8")
    cleaned = [digits(n) for n in p[:4]]  # pnr.clean reads the forms (io leaves them)
    assert _clean_digits(read_pnr_column(text)) == cleaned
    book_path = tmp_path / "lista.xlsx"
    book = xlsxwriter.Workbook(str(book_path))
    sheet = book.add_worksheet()
    sheet.write_string(0, 0, "Personnummer")
    for r, shape in enumerate(shapes, start=1):
        sheet.write_string(r, 0, shape)
    sheet.write_number(5, 0, float(digits(p[4])))
    book.close()
    assert _clean_digits(read_pnr_column(book_path)) == [*cleaned, digits(p[4])]


def _clean_digits(values: pl.Series) -> list[str]:
    return [v.replace("-", "") for v in pnr.clean(values, reference_date=REFERENCE)["pnr"]]


def test_an_eight_digit_value_is_bad_format_from_csv_and_from_xlsx(tmp_path):
    import xlsxwriter

    value = digits(people(1)[0])[:8]
    text = tmp_path / "x.csv"
    text.write_text(f"personnummer\n{value}\n", encoding="utf-8")
    book_path = tmp_path / "x.xlsx"
    book = xlsxwriter.Workbook(str(book_path))
    sheet = book.add_worksheet()
    sheet.write_string(0, 0, "personnummer")
    sheet.write_number(1, 0, int(value))
    book.close()
    reasons = [
        pnr.clean(read_pnr_column(path), reference_date=REFERENCE)["reason"].cast(pl.String)[0]
        for path in (text, book_path)
    ]
    assert reasons == ["bad_format", "bad_format"]
    # a ten-digit number that lost its leading zero in Excel still gets it back
    assert pnr.as_text(pl.Series([101012385])).to_list() == ["0101012385"]
