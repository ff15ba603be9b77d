"""A text file that ends in the middle of its last personnummer: that value is marked (and a
warning names the file and line) so that ``pnr.clean`` rejects the row as ``truncated``; files
that merely lack a final newline, and other columns, are read as they are."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from support import skatteverket_numbers

from inkorg_kit import pnr
from inkorg_kit.io import TruncatedInputWarning, read_pnr_column, read_table

REF = "2027-03-16"
NUMBERS = [n.replace("-", "") for n in skatteverket_numbers()[:6]]
MARK = pnr.TRUNCATED_MARK


def _write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _quietly(read, *args, **kwargs):
    """Read, failing on any warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return read(*args, **kwargs)


@pytest.mark.parametrize(
    ("name", "text", "encoding"),
    [
        ("bare.txt", "\n".join([*NUMBERS[:5], NUMBERS[5][:10]]), "utf-8"),
        ("header.csv", "personnummer\n" + "\n".join([*NUMBERS[:5], NUMBERS[5][:11]]), "utf-8"),
        ("crlf.csv", "\r\n".join([*NUMBERS[:5], NUMBERS[5][:9]]), "utf-8"),
        ("bom.csv", "\ufeff" + "\n".join([*NUMBERS[:5], NUMBERS[5][:10]]), "utf-8"),
        ("unicode.txt", "\r\n".join(["personnummer", *NUMBERS[:5], NUMBERS[5][:10]]), "utf-16"),
        ("cp1252.csv", "\n".join(["Personnummer", *NUMBERS[:5], "19900101-23"]), "cp1252"),
    ],
)
def test_a_one_column_file_cut_in_its_last_value_marks_it(tmp_path, name, text, encoding):
    path = _write(tmp_path, name, text, encoding)
    with pytest.warns(TruncatedInputWarning, match=r"rad \d+: filen slutar mitt i ett värde"):
        values = read_pnr_column(path)
    assert values.len() == 6 and values[-1].endswith(MARK)
    assert values.head(5).to_list() == NUMBERS[:5]
    cleaned = pnr.clean(values, reference_date=REF)
    assert cleaned["reason"].to_list()[-1] == "truncated"
    assert pnr.summary(cleaned)["count"].sum() == 6  # every row accounted for


def test_the_warning_names_the_line_an_editor_shows(tmp_path):
    path = _write(tmp_path, "l.csv", "sep=;\npersonnummer\n" + "\n".join([*NUMBERS[:3], "1990"]))
    with pytest.warns(TruncatedInputWarning, match="rad 6:"):
        read_pnr_column(path)


def test_a_status_export_with_the_personnummer_last_marks_it_too(tmp_path):
    rows = [f"2027-03-16 09:00;Läst;{n}" for n in [*NUMBERS[:4], NUMBERS[4][:10]]]
    path = _write(tmp_path, "e.csv", "\n".join(["Skickat;Status;Personnummer", *rows]), "cp1252")
    with pytest.warns(TruncatedInputWarning):
        frame = read_table(path, pnr_column="Personnummer")
    assert frame["Personnummer"][-1].endswith(MARK)
    assert frame["Status"].to_list() == ["Läst"] * 5


@pytest.mark.parametrize(
    ("name", "text", "kwargs"),
    [
        # a final newline: a short last value is just a value (pnr.clean says what it is)
        ("newline.txt", "\n".join([*NUMBERS[:5], NUMBERS[5][:10]]) + "\n", {}),
        ("crlf.txt", "\r\n".join([*NUMBERS[:5], NUMBERS[5][:10]]) + "\r\n", {}),
        # no final newline, but the last value is as long as the others
        ("whole.txt", "\n".join(NUMBERS), {}),
        ("mixed.txt", "\n".join([NUMBERS[0][2:], NUMBERS[1][2:], NUMBERS[2], NUMBERS[3][2:]]), {}),
        # one value: nothing to compare with
        ("one.txt", NUMBERS[0][:10], {}),
        # the last column is not the personnummer column
        (
            "unit.csv",
            "personnummer;enhet\n" + "\n".join(f"{n};VC12" for n in NUMBERS[:5]) + "\n1;VC1",
            {"column": "personnummer"},
        ),
        # a last value without digits, or a blank last line
        ("text.txt", "\n".join([*NUMBERS[:3], "okänd"]), {}),
        ("blank.txt", "\n".join([*NUMBERS[:3], "  "]), {}),
    ],
)
def test_files_that_are_not_cut_short_are_read_as_they_are(tmp_path, name, text, kwargs):
    path = _write(tmp_path, name, text)
    values = _quietly(read_pnr_column, path, **kwargs)
    assert not any(v.endswith(MARK) for v in values.drop_nulls().to_list())


def test_a_file_read_without_naming_its_personnummer_column_is_left_alone(tmp_path):
    """Only a one-column file, or the column asked for as personnummer, is judged."""
    text = "namn;nummer\n" + "\n".join(f"A;{n}" for n in NUMBERS[:4]) + "\nB;1990"
    frame = _quietly(read_table, _write(tmp_path, "n.csv", text))
    assert frame["nummer"][-1] == "1990"
