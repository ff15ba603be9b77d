"""inkorg_kit.io: reading the extracts analysts really get, and writing files privately.

Fixtures are written at test time under tmp_path; the only personnummer used are
Skatteverket's published test numbers, read at run time from the package's copy.
"""

from __future__ import annotations

import csv
import io as stdio
import sqlite3
import stat
import string

import polars as pl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from support import SKATTEVERKET_PNR_CSV, assert_no_personnummer

from inkorg_kit import _files, pnr
from inkorg_kit import io as kio
from inkorg_kit.io import InputError, read_pnr_column, read_table
from inkorg_kit.io import text as io_text


@pytest.fixture(scope="module")
def numbers() -> list[str]:
    """Test personnummer (12 digits, no hyphen), a spread over the file."""
    column = pl.read_csv(SKATTEVERKET_PNR_CSV, infer_schema=False).to_series()
    return column.gather_every(max(1, column.len() // 40)).head(40).to_list()


@pytest.fixture(scope="module")
def zero_numbers() -> list[str]:
    """Test numbers born in 2000, whose 10-digit form starts with zeros (``000101…``)."""
    column = pl.read_csv(SKATTEVERKET_PNR_CSV, infer_schema=False).to_series()
    return column.filter(column.str.starts_with("200001")).head(3).str.slice(2).to_list()


def write(path, text: str, encoding: str = "utf-8", newline: str = "\n"):
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    return path


def hyphen(number: str) -> str:
    return f"{number[:8]}-{number[8:]}"


def assert_all_text(frame: pl.DataFrame) -> None:
    assert all(dtype == pl.String for dtype in frame.dtypes), frame.schema


# --------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("pnr;belopp\n199001010017;1,5\n199001010025;2,0\n", ";"),  # decimal commas
        ("pnr,namn\n1,a\n2,b\n", ","),
        ("pnr\tnamn\n1\ta;b\n2\tc,d\n", "\t"),
        ('pnr,namn\n1,"Berg; Anna"\n2,"Ek; Bo"\n', ","),  # delimiter inside quotes
        ('pnr;adress\n1;"Storgatan 1,\nVäxjö"\n2;x\n', ";"),  # newline inside quotes
        ("sep=,\npnr;namn\n1;2\n", ","),  # Excel's hint wins
        ('"sep=\t"\npnr;namn\n1;2\n', "\t"),
        ("\ufeffpnr;namn\n1;2\n", ";"),
        ("personnummer\n19900101-0017\n", ","),  # one column: nothing to find
        ("", ","),
    ],
)
def test_sniff_delimiter(sample, expected):
    assert kio.sniff_delimiter(sample) == expected


def test_detect_encoding_names_each_encoding():
    text = "Förnamn;Ort\nÅsa;Växjö\n"
    assert kio.detect_encoding(text.encode("utf-8")) == "utf-8"
    assert kio.detect_encoding(text.encode("utf-8-sig")) == "utf-8-sig"
    assert kio.detect_encoding(text.encode("cp1252")) == "cp1252"
    assert kio.detect_encoding(text.encode("latin-1")) == "cp1252"  # same bytes for åäö
    assert kio.detect_encoding(text.encode("utf-16")) == "utf-16"
    assert kio.detect_encoding(text.encode("utf-16-le")) == "utf-16-le"
    assert kio.detect_encoding(b"pnr\n1\n") == "utf-8"


@pytest.mark.parametrize("bad", [b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d"])
def test_detect_encoding_rejects_bytes_undefined_in_cp1252(bad):
    data = "pnr;ort\n1;Växjö\n".encode("cp1252") + b"2;" + bad + b"\n"
    with pytest.raises(UnicodeDecodeError) as caught:
        kio.detect_encoding(data)
    assert caught.value.start == data.index(bad)


def test_detect_encoding_rejects_utf8_mixed_with_cp1252():
    data = "pnr;ort\n1;Växjö\n".encode() + "2;Åre\n".encode("cp1252")
    with pytest.raises(UnicodeDecodeError, match="mixes"):
        kio.detect_encoding(data)


# --------------------------------------------------------------------------- text files


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_each_encoding(tmp_path, numbers, encoding, newline):
    text = (
        f"Personnummer;Förnamn;Kommun\n{numbers[0]};Åsa;Växjö\n{hyphen(numbers[1])};Örjan;Ödeshög\n"
    )
    path = write(tmp_path / "lista.csv", text, encoding, newline)
    frame = read_table(path, pnr_column="Personnummer")
    assert frame.columns == ["Personnummer", "Förnamn", "Kommun"]
    assert frame.rows() == [
        (numbers[0], "Åsa", "Växjö"),
        (hyphen(numbers[1]), "Örjan", "Ödeshög"),
    ]
    assert_all_text(frame)


def test_excel_unicode_text_is_utf16_tab_separated(tmp_path, numbers):
    text = f"personnummer\tnamn\tbelopp\n{numbers[0]}\tÅsa\t1,5\n"
    path = write(tmp_path / "export.txt", text, "utf-16", "\r\n")
    assert read_table(path).rows() == [(numbers[0], "Åsa", "1,5")]


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_each_delimiter_is_sniffed(tmp_path, numbers, delimiter):
    rows = [("pnr", "namn", "ort"), (numbers[0], "Åsa", "Växjö"), (numbers[1], "Bo", "Lund")]
    path = write(tmp_path / "lista.csv", "\n".join(delimiter.join(r) for r in rows) + "\n")
    frame = read_table(path)
    assert frame.columns == list(rows[0])
    assert frame.rows() == rows[1:]
    assert read_table(path, delimiter=delimiter).equals(frame)


def test_excel_sep_line_sets_delimiter_and_is_skipped(tmp_path, numbers):
    # The rows would sniff as ',' (every line has one), but Excel's hint says ';'.
    text = f"sep=;\npnr;belopp\n{numbers[0]};1,5\n{numbers[1]};2,25\n"
    for encoding in ("utf-8-sig", "cp1252"):
        path = write(tmp_path / f"sep-{encoding}.csv", text, encoding, "\r\n")
        frame = read_table(path)
        assert frame.columns == ["pnr", "belopp"]
        assert frame.rows() == [(numbers[0], "1,5"), (numbers[1], "2,25")]


def test_quoted_fields_keep_delimiters_quotes_and_newlines(tmp_path, numbers):
    text = (
        "pnr,namn,adress\n"
        f'{numbers[0]},"Berg, Anna","Storgatan 1\nVäxjö"\n'
        f'{numbers[1]},"Ek ""Bosse"" Bo",Lund\n'
    )
    frame = read_table(write(tmp_path / "q.csv", text))
    assert frame.rows() == [
        (numbers[0], "Berg, Anna", "Storgatan 1\nVäxjö"),
        (numbers[1], 'Ek "Bosse" Bo', "Lund"),
    ]


def test_column_names_are_stripped_of_whitespace_and_bom(tmp_path, numbers):
    # Two files concatenated: the second BOM survives the decoder and sits in the header.
    text = f"\ufeff Personnummer ;\tNamn\n{numbers[0]};Åsa\n"
    path = write(tmp_path / "h.csv", text, "utf-8-sig")
    assert read_table(path, pnr_column="Personnummer").columns == ["Personnummer", "Namn"]


def test_utf8_bom_with_other_bytes_is_an_error_at_the_right_offset(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfpnr;ort\n1;\xc5re\n")
    with pytest.raises(InputError, match="0xC5 at byte offset 13") as caught:
        read_table(path)
    assert caught.value.row == 2


def test_leading_zeros_stay_text(tmp_path, zero_numbers):
    assert zero_numbers[0].startswith("00")
    text = "pnr;kod\n0001011234;007\n" + "".join(f"{n};0{i}\n" for i, n in enumerate(zero_numbers))
    frame = read_table(write(tmp_path / "z.csv", text))
    assert frame["pnr"].to_list() == ["0001011234", *zero_numbers]
    assert frame["kod"][0] == "007"
    assert_all_text(frame)


def test_explicit_encoding_and_delimiter(tmp_path, numbers):
    path = write(tmp_path / "x.txt", f"pnr|ort\n{numbers[0]}|Växjö\n", "latin-1")
    frame = read_table(path, encoding="latin-1", delimiter="|")
    assert frame.rows() == [(numbers[0], "Växjö")]
    with pytest.raises(ValueError, match="encoding"):
        read_table(path, encoding="no-such-codec")
    with pytest.raises(ValueError, match="delimiter"):
        read_table(path, delimiter=";;")


def test_utf8_is_read_by_polars_without_python_decoding(tmp_path, numbers, monkeypatch):
    """The speed contract: UTF-8 (with or without BOM) never goes through Python decoding."""

    def forbidden(*_args, **_kw):
        raise AssertionError("UTF-8 input was decoded in Python")

    monkeypatch.setattr(io_text, "decode", forbidden)
    for encoding in ("utf-8", "utf-8-sig"):
        path = write(tmp_path / f"{encoding}.csv", f"pnr;ort\n{numbers[0]};Växjö\n", encoding)
        assert read_table(path).rows() == [(numbers[0], "Växjö")]


def test_non_utf8_after_the_sniffed_head_falls_back_to_cp1252(tmp_path, numbers, monkeypatch):
    monkeypatch.setattr(io_text, "_HEAD_BYTES", 64)  # the head is ASCII; the tail is cp1252
    lines = [f"{n};Lund" for n in numbers[:20]] + [f"{numbers[20]};Växjö"]
    path = write(tmp_path / "late.csv", "pnr;ort\n" + "\n".join(lines) + "\n", "cp1252")
    frame = read_table(path)
    assert frame.height == 21
    assert frame.row(20) == (numbers[20], "Växjö")
    assert read_pnr_column(path).to_list() == numbers[:21]


# --------------------------------------------------------------------------- bare lists


def test_bare_list_has_no_header_and_keeps_blank_lines(tmp_path, numbers):
    lines = [numbers[0], "", hyphen(numbers[1]), "   ", "", f"'{numbers[2]}", numbers[3]]
    path = write(tmp_path / "lista.txt", "\n".join(lines) + "\n", newline="\r\n")
    frame = read_table(path)
    assert frame.columns == ["personnummer"]
    assert frame.height == len(lines)  # the final newline adds no row; blank lines do
    assert frame["personnummer"][0] == numbers[0]  # the first line is data, not a header
    result = pnr.clean(frame["personnummer"], reference_date="2026-01-01")
    assert (result["reason"] == "empty").sum() == 3  # reported, not silently dropped
    assert (result["status"] == "ok").sum() == 4


def test_bare_list_leading_blank_line_is_a_row(tmp_path, numbers):
    path = write(tmp_path / "l.txt", f"\n{numbers[0]}\n{numbers[1]}")  # no final newline
    assert read_pnr_column(path).to_list() == [None, numbers[0], numbers[1]]


def test_bare_list_in_other_shapes(tmp_path, numbers):
    shapes = [
        numbers[0][2:],
        f"{numbers[0][:2]} {hyphen(numbers[0])[2:]}",
        f"{numbers[0][2:8]}+{numbers[0][8:]}",
    ]
    for i, first in enumerate(shapes):
        path = write(tmp_path / f"s{i}.txt", f"{first}\n{numbers[1]}\n")
        assert read_pnr_column(path).to_list() == [first, numbers[1]]


def test_one_column_list_with_header(tmp_path, numbers):
    path = write(tmp_path / "h.csv", f"Personnummer\n{numbers[0]}\n\n{numbers[1]}\n")
    frame = read_table(path)
    assert frame.columns == ["Personnummer"]
    assert frame["Personnummer"].to_list() == [numbers[0], None, numbers[1]]


def test_bare_list_stray_quotes_keep_the_value(tmp_path, numbers):
    lines = [f'"{numbers[0]}"', f'{numbers[1]}"', "", f'"{numbers[2]}', numbers[3]]
    path = write(tmp_path / "q.txt", "\n".join(lines) + "\n")
    assert read_pnr_column(path).to_list() == [
        numbers[0],  # quoted whole: unquoted
        f'{numbers[1]}"',  # kept as is, so pnr.clean rejects it with a reason
        None,
        f'"{numbers[2]}',
        numbers[3],
    ]


def test_one_column_values_with_commas_are_kept_whole(tmp_path, numbers):
    path = write(tmp_path / "c.csv", f"pnr\n{numbers[0]}\n{numbers[1]},\n")
    assert read_pnr_column(path).to_list() == [numbers[0], f"{numbers[1]},"]


# --------------------------------------------------------------------------- Excel, Parquet


@pytest.fixture
def workbook(tmp_path, numbers):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Urval"
    sheet.append([" Personnummer ", "Namn", "Belopp"])
    sheet.append([int(numbers[0]), "Åsa", 1.5])  # typed as a number
    sheet.append([hyphen(numbers[1]), "Bo", 2])  # text
    sheet.append([float(numbers[2]), "Cecilia", None])  # a float, shown as 1,99E+11
    sheet.append([None, None, None])  # a blank row in the middle
    sheet.append([f"'{numbers[3]}", "Dan", 3])
    sheet.append([1011234, "Eva", 4])  # 0001011234 after Excel dropped its zeros
    bare = book.create_sheet("Lista")
    for value in (int(numbers[4]), None, hyphen(numbers[5])):
        bare.append([value])
    book.create_sheet("Tom")
    path = tmp_path / "urval.xlsx"
    book.save(path)
    return path


def test_xlsx_numbers_come_back_as_integer_digits(workbook, numbers):
    frame = read_table(workbook)
    assert frame.columns == ["Personnummer", "Namn", "Belopp"]
    assert_all_text(frame)
    assert frame["Personnummer"].to_list() == [
        numbers[0],
        hyphen(numbers[1]),
        numbers[2],
        None,
        f"'{numbers[3]}",
        "0001011234",
    ]
    assert not frame["Personnummer"].str.contains(r"\.0|E\+", literal=False).any()
    assert frame["Belopp"].to_list()[:2] == ["1.5", "2"]


def test_xlsx_sheets_and_bare_list(workbook, numbers):
    assert read_pnr_column(workbook).to_list()[0] == numbers[0]
    bare = read_table(workbook, sheet="lista")
    assert bare.columns == ["personnummer"]
    assert bare["personnummer"].to_list() == [numbers[4], None, hyphen(numbers[5])]
    assert read_table(workbook, sheet=1).equals(bare)
    with pytest.raises(InputError, match="'Urval', 'Lista', 'Tom'") as caught:
        read_table(workbook, sheet="Saknas")
    assert str(workbook) in str(caught.value)
    with pytest.raises(InputError, match="sheet 'Tom' is empty"):
        read_table(workbook, sheet="Tom")


def test_xlsx_with_a_csv_name_is_still_read_as_excel(workbook, tmp_path, numbers):
    renamed = tmp_path / "urval.csv"
    renamed.write_bytes(workbook.read_bytes())
    assert read_pnr_column(renamed, "Personnummer")[0] == numbers[0]


def test_parquet_int64_pnr_becomes_text(tmp_path, numbers, zero_numbers):
    path = tmp_path / "u.parquet"
    pl.DataFrame(
        {
            "PNR": [int(numbers[0]), int(zero_numbers[0])],
            "antal": [1, 2],
            "vikt": [0.5, 1.0],
        }
    ).write_parquet(path)
    frame = read_table(path)
    assert frame.schema == pl.Schema({"PNR": pl.String, "antal": pl.Int64, "vikt": pl.Float64})
    assert frame["PNR"].to_list() == [numbers[0], zero_numbers[0]]  # zeros restored
    assert read_table(path, pnr_column="antal")["antal"].to_list() == ["1", "2"]
    assert read_pnr_column(path).to_list() == [numbers[0], zero_numbers[0]]


# --------------------------------------------------------------------------- read_pnr_column


@pytest.mark.parametrize(
    "name", ["personnummer", "PNR", "Personnr", "Person nr", "patient_pnr", "SSN"]
)
def test_read_pnr_column_finds_the_column_by_name(tmp_path, numbers, name):
    path = write(tmp_path / "p.csv", f"id;{name};ort\n1;{numbers[0]};Lund\n")
    column = read_pnr_column(path)
    assert column.name == name
    assert column.to_list() == [numbers[0]]


def test_read_pnr_column_errors_list_the_columns(tmp_path, numbers):
    none = write(tmp_path / "none.csv", f"id;nummer\n1;{numbers[0]}\n")
    with pytest.raises(InputError, match="'id', 'nummer'") as caught:
        read_pnr_column(none)
    assert "column=" in str(caught.value)
    both = write(tmp_path / "both.csv", f"pnr;personnummer\n{numbers[0]};{numbers[0]}\n")
    with pytest.raises(InputError, match="several columns"):
        read_pnr_column(both)
    assert read_pnr_column(both, "pnr").to_list() == [numbers[0]]
    with pytest.raises(InputError, match="'Pnr' not found"):
        read_pnr_column(both, "Pnr")


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("zero.csv", b""),
        ("bom.csv", b"\xef\xbb\xbf"),
        ("space.csv", b" \r\n\t\n"),
        ("header.csv", b"personnummer;namn\r\n"),
        ("header-blank.csv", b"personnummer\n\n\n"),
        ("utf16.txt", "personnummer\tnamn\n".encode("utf-16")),
        ("sep.csv", b"sep=;\npnr;namn\n"),
    ],
)
def test_empty_files(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(InputError, match="is empty") as caught:
        read_table(path)
    assert str(path) in str(caught.value)
    assert caught.value.path == path


def test_empty_parquet_and_xlsx(tmp_path):
    import openpyxl

    parquet = tmp_path / "e.parquet"
    pl.DataFrame({"pnr": []}, schema={"pnr": pl.String}).write_parquet(parquet)
    book = openpyxl.Workbook()
    book.active.append(["pnr", "namn"])
    xlsx = tmp_path / "e.xlsx"
    book.save(xlsx)
    for path in (parquet, xlsx):
        with pytest.raises(InputError, match="is empty"):
            read_table(path)


def test_missing_columns_are_named_all_at_once_with_the_columns_found(tmp_path, numbers):
    path = write(tmp_path / "lista.csv", f"Personnummer;Namn;Ort\n{numbers[0]};Åsa;Lund\n")
    with pytest.raises(InputError) as caught:
        read_table(path, pnr_column="pnr", required_columns=["Namn", "kommun", "datum"])
    error = caught.value
    message = str(error)
    assert str(path) in message
    for missing in ("'pnr'", "'kommun'", "'datum'"):
        assert missing in message
    assert "'Personnummer', 'Namn', 'Ort'" in message
    assert error.column == "pnr"
    assert error.row is None
    assert error.missing == ("pnr", "kommun", "datum")
    assert error.found == ("Personnummer", "Namn", "Ort")
    with pytest.raises(InputError, match="Did you mean 'Personnummer' for 'personnummer'"):
        read_table(path, pnr_column="personnummer")


def test_bad_bytes_name_the_line_and_offset(tmp_path, numbers):
    data = f"pnr;ort\n{numbers[0]};Lund\n{numbers[1]};Växjö\n".encode("cp1252")
    data += f"{numbers[2]};".encode() + b"\x81\n"
    path = tmp_path / "bad.csv"
    path.write_bytes(data)
    with pytest.raises(InputError) as caught:
        read_table(path)
    error = caught.value
    assert error.row == 4
    assert error.path == path
    message = str(error)
    assert str(path) in message
    assert "line 4" in message
    offset = data.index(b"\x81")
    assert f"offset {offset}" in message
    assert "0x81" in message
    assert "UTF-8" in message


def test_bad_bytes_with_an_explicit_encoding(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"pnr;ort\n1;\xe5\n")
    with pytest.raises(InputError, match="line 2") as caught:
        read_table(path, encoding="utf-8")
    assert caught.value.row == 2


def test_ragged_line_and_open_quote_name_the_line(tmp_path, numbers):
    ragged = write(tmp_path / "r.csv", f"sep=;\npnr;ort\n{numbers[0]};Lund\n\n{numbers[1]};Ed;X\n")
    with pytest.raises(InputError, match="line 5: this line has 3 fields") as caught:
        read_table(ragged)
    assert caught.value.row == 5
    quote = write(tmp_path / "q.csv", f'pnr;ort\n{numbers[0]};Lund\n{numbers[1]};"Ed\n')
    with pytest.raises(InputError, match="line 3") as caught:
        read_table(quote)
    assert caught.value.row == 3
    assert_no_personnummer(str(caught.value), "InputError")


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"saknas\.csv"):
        read_table(tmp_path / "saknas.csv")
    with pytest.raises(InputError, match="folder"):
        read_table(tmp_path)


def test_error_messages_never_hold_a_full_personnummer(tmp_path, numbers):
    """Header-less extracts put personnummer where column names belong; errors mask them."""
    headerless = write(tmp_path / "u.csv", "".join(f"{hyphen(n)};{n};Lund\n" for n in numbers[:5]))
    bad_bytes = tmp_path / "b.csv"
    bad_bytes.write_bytes(f"{numbers[0]};{numbers[1]}\n{numbers[2]};".encode() + b"\x9d\n")
    ragged = write(tmp_path / "r.csv", f"pnr\tort\n{numbers[0]}\t{numbers[1]}\t{numbers[2]}\n")
    messages = []
    for call in (
        lambda: read_table(headerless, pnr_column="personnummer"),
        lambda: read_table(headerless, required_columns=["a", "b"]),
        lambda: read_pnr_column(headerless),
        lambda: read_table(bad_bytes),
        lambda: read_table(ragged),
    ):
        with pytest.raises(InputError) as caught:
            call()
        messages.append(str(caught.value))
    assert "looks like data" in messages[0]
    with pytest.raises(InputError) as caught:
        read_table(headerless, pnr_column="pnr")
    assert caught.value.found[0] == pnr.mask(hyphen(numbers[0]))  # the attributes too
    assert pnr.mask(hyphen(numbers[0])) in messages[0]  # shown masked, so it can be found
    for message in messages:
        assert_no_personnummer(message, "InputError message")
        for number in numbers[:5]:
            assert number not in message
            assert hyphen(number) not in message


# --------------------------------------------------------------------------- writing


def test_private_writers_are_re_exported():
    for name in (
        "write_private_bytes",
        "write_private_text",
        "atomic_private_file",
        "atomic_private_path",
        "ensure_private_dir",
    ):
        assert getattr(kio, name) is getattr(_files, name)


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".tsv"])
def test_write_frame_is_private_and_round_trips(tmp_path, numbers, zero_numbers, suffix):
    frame = pl.DataFrame({"personnummer": [numbers[0], zero_numbers[0]], "ort": ["Växjö", None]})
    path = kio.write_frame(frame, tmp_path / "ny" / f"urval{suffix}")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert read_table(path).equals(frame)
    if suffix == ".csv":
        assert path.read_bytes().startswith(b"personnummer,ort\n")  # UTF-8, header, no BOM
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_write_frame_leaves_the_old_file_and_no_temp_file_on_error(tmp_path, monkeypatch):
    path = tmp_path / "urval.csv"
    kio.write_frame(pl.DataFrame({"a": ["gammal"]}), path)

    def broken(self, file, **_kw):
        with open(file, "w") as handle:
            handle.write("halv")
        raise OSError("disk full")

    monkeypatch.setattr(pl.DataFrame, "write_csv", broken)
    with pytest.raises(OSError, match="disk full"):
        kio.write_frame(pl.DataFrame({"a": ["ny"]}), path)
    assert [p.name for p in tmp_path.iterdir()] == ["urval.csv"]
    assert path.read_text() == "a\ngammal\n"


def test_write_frame_rejects_unknown_suffix(tmp_path):
    with pytest.raises(ValueError, match=r"\.csv"):
        kio.write_frame(pl.DataFrame({"a": [1]}), tmp_path / "x.xlsx")
    assert not list(tmp_path.iterdir())


# --------------------------------------------------------------------------- SQL


@pytest.fixture
def database(tmp_path, numbers):
    path = tmp_path / "målgrupp.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE patient (pnr INTEGER, pnr_text TEXT, kommun TEXT)")
        connection.executemany(
            "INSERT INTO patient VALUES (?, ?, ?)",
            [
                (int(n), hyphen(n), k)
                for n, k in zip(numbers[:4], ["Växjö", "Lund"] * 2, strict=True)
            ],
        )
    connection.close()
    return path


def test_read_sql_from_sqlite(database, numbers):
    frame = kio.read_sql(f"sqlite:///{database}", "SELECT * FROM patient ORDER BY rowid")
    assert frame.schema == pl.Schema({"pnr": pl.String, "pnr_text": pl.String, "kommun": pl.String})
    assert frame["pnr"].to_list() == numbers[:4]
    lund = kio.read_sql(
        f"sqlite:///{database}",
        "SELECT pnr AS id FROM patient WHERE kommun = :kommun",
        pnr_column="id",
        parameters={"kommun": "Lund"},
    )
    assert lund["id"].to_list() == [numbers[1], numbers[3]]


def test_read_sql_url_from_environment(database, monkeypatch):
    monkeypatch.setenv("INKORG_TEST_DB", f"sqlite:///{database}")
    frame = kio.read_sql(query="SELECT kommun FROM patient", url_env="INKORG_TEST_DB")
    assert frame.height == 4
    monkeypatch.delenv("INKORG_TEST_DB")
    with pytest.raises(InputError, match="INKORG_TEST_DB is not set"):
        kio.read_sql(query="SELECT 1", url_env="INKORG_TEST_DB")
    with pytest.raises(ValueError, match="not both"):
        kio.read_sql("sqlite://", "SELECT 1", url_env="INKORG_TEST_DB")


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://analytiker:Hemligt-L0senord@127.0.0.1:1/region",
        "mssql+pyodbc://analytiker:Hemligt-L0senord@127.0.0.1:1/region?driver=ODBC+Driver+18",
    ],
)
def test_read_sql_errors_never_show_the_password(url, monkeypatch):
    for call in (
        lambda: kio.read_sql(url, "SELECT 1"),
        lambda: (
            monkeypatch.setenv("INKORG_TEST_DB", url),
            kio.read_sql(query="SELECT 1", url_env="INKORG_TEST_DB"),
        ),
    ):
        with pytest.raises(InputError) as caught:
            call()
        message = str(caught.value)
        assert "Hemligt-L0senord" not in message
        assert "analytiker:***@127.0.0.1" in message
        assert "Hemligt-L0senord" not in str(caught.value.path)


def test_read_sql_driver_errors_are_cleaned(numbers, monkeypatch):
    """Whatever a driver puts in its error, the password and personnummer do not get out."""
    import sqlalchemy

    secret = "Hemligt-L0senord"

    class Engine:
        def connect(self):
            raise RuntimeError(f"login failed: password '{secret}', last row {numbers[0]}")

        def dispose(self):
            pass

    monkeypatch.setattr(sqlalchemy, "create_engine", lambda *_a, **_kw: Engine())
    with pytest.raises(InputError, match="login failed") as caught:
        kio.read_sql(f"postgresql://analytiker:{secret}@db.region.se/dw", "SELECT 1")
    message = str(caught.value)
    assert secret not in message
    assert numbers[0] not in message
    assert "postgresql://analytiker:***@db.region.se/dw" in message


def test_read_sql_query_errors_are_masked(database, numbers):
    with pytest.raises(InputError, match="query failed") as caught:
        kio.read_sql(f"sqlite:///{database}", f"SELECT * FROM patient WHERE pnr = {numbers[0]} x y")
    assert numbers[0] not in str(caught.value)
    with pytest.raises(InputError, match="does not exist"):
        kio.read_sql(f"sqlite:///{database.parent / 'saknas.db'}", "SELECT 1")
    assert not (database.parent / "saknas.db").exists()  # not created by asking


# --------------------------------------------------------------------------- round trip

_LETTERS = "abcdefåäöÅÄÖé"
_VALUE_CHARS = _LETTERS + string.digits + " -+;,\t\"'\n"


@st.composite
def frames(draw):
    names = draw(
        st.lists(st.text(_LETTERS, min_size=1, max_size=6), min_size=1, max_size=4, unique=True)
    )
    rows = draw(
        st.lists(
            st.tuples(*[st.text(_VALUE_CHARS, max_size=8) for _ in names]), min_size=1, max_size=6
        )
    )
    return names, rows


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("roundtrip")


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    frame=frames(),
    delimiter=st.sampled_from([";", ",", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
    terminator=st.sampled_from(["\n", "\r\n"]),
)
def test_round_trip_through_csv(scratch, frame, delimiter, encoding, terminator):
    """Whatever Python's csv writer (Excel dialect) produces, read_table reads back exactly."""
    names, rows = frame
    # A header above nothing but whitespace is an empty file (tested above).
    assume(any(value.strip() for row in rows for value in row))
    buffer = stdio.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=terminator)
    writer.writerow(names)
    writer.writerows(rows)
    path = scratch / "roundtrip.csv"
    path.write_bytes(buffer.getvalue().encode(encoding))
    result = read_table(path)
    assert result.columns == names
    expected = [tuple(value or None for value in row) for row in rows]
    assert [tuple(value or None for value in row) for row in result.rows()] == expected


# --------------------------------------------------------------------------- old Mac, no header


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_lines_ending_in_cr_alone_are_lines(tmp_path, numbers, encoding):
    """Excel for Mac's "CSV (Macintosh)" ends lines in CR alone: three rows, not one."""
    table = write(
        tmp_path / "mac.csv",
        f"personnummer;namn\n{numbers[0]};Åsa\n{numbers[1]};Bo\n",
        encoding,
        "\r",
    )
    frame = read_table(table)
    assert frame["personnummer"].to_list() == numbers[:2]
    assert frame["namn"].to_list() == ["Åsa", "Bo"]
    bare = write(tmp_path / "mac.txt", "".join(f"{n}\n" for n in numbers[:3]), encoding, "\r")
    assert read_pnr_column(bare).to_list() == numbers[:3]


def test_a_headerless_file_of_several_columns_is_refused_not_shortened(tmp_path, numbers):
    """Without a header the first person would become column names and vanish from the data."""
    headerless = write(tmp_path / "h.csv", f"{numbers[0]};Anna\n{numbers[1]};Bo\n")
    with pytest.raises(InputError, match="looks like data") as caught:
        read_table(headerless)
    assert caught.value.row == 1
    assert numbers[0] not in str(caught.value)


def test_sql_errors_hide_every_kind_of_database_password(monkeypatch):
    monkeypatch.setenv("INKORG_TEST_DB", "sqlite:////nowhere/x.db?password=hemligt1")
    with pytest.raises(InputError) as caught:
        kio.read_sql(url_env="INKORG_TEST_DB", query="select 1")
    odbc = "mssql+pyodbc:///?odbc_connect=DSN%3Dvard%3BUID%3Dan%3BPWD%3Dhemligt2%3B"
    with pytest.raises(InputError) as caught_odbc:
        kio.read_sql(url=odbc, query="select 1")
    for error in (caught.value, caught_odbc.value):
        assert "hemligt" not in str(error) and "hemligt" not in str(error.path)
        assert "***" in str(error)
