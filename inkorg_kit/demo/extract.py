"""A synthetic region as data, and the files a care-system extract arrives in.

Why: the kit reads extracts as regions deliver them, so the demo writes the same shapes: the
contact extract as Swedish Excel saves "CSV UTF-8" (``;``, BOM, CRLF), optionally XLSX (where
all-digit personnummer become numbers, as Excel makes them) and Parquet, a SQLite database
for the SQL source, and the population register's one-column lists. :class:`Region` also
keeps the ground truth the tests compare with; that is never written.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from inkorg_kit._files import atomic_private_path, ensure_private_dir

__all__ = ["EXTRACT_COLUMNS", "SQL_QUERY", "Region", "write_xlsx"]

#: Columns of the extract as written (``extract.csv``, the SQLite ``contacts`` table).
EXTRACT_COLUMNS = (
    "personnummer",
    "contact_date",
    "unit_hsa_id",
    "unit_name",
    "icd10",
    "deceased",
    "protected_identity",
    "opted_out",
)
#: The query that reads the SQLite ``contacts`` table as the CSV extract reads.
SQL_QUERY = f"SELECT {', '.join(EXTRACT_COLUMNS)} FROM contacts"


@dataclass
class Region:
    """A synthetic region: ``people`` (one row each), ``contacts`` (the extract), ``units``.

    ``contacts`` holds the extract's columns (:data:`EXTRACT_COLUMNS`; the personnummer as
    messy text, flags as booleans) plus two columns of ground truth that are never written:
    ``person`` (the true normalised personnummer) and ``recoverable`` (whether the written
    value still normalises to it). Tests compare the kit's results with these.
    """

    people: pl.DataFrame
    contacts: pl.DataFrame
    units: pl.DataFrame
    reference_date: dt.date
    seed: int
    numbers: str
    files: dict[str, Path] = field(default_factory=dict)

    def extract(self) -> pl.DataFrame:
        """The contacts as an extract has them: text columns, flags as ``1``/``0``."""
        return self.contacts.select(
            pl.col("personnummer"),
            pl.col("contact_date").dt.strftime("%Y-%m-%d"),
            "unit_hsa_id",
            "unit_name",
            "icd10",
            *(pl.col(c).cast(pl.Int8).cast(pl.String) for c in EXTRACT_COLUMNS[5:]),
        )

    def summary_line(self) -> str:
        """One line for logs: sizes and the kind of numbers (no personnummer)."""
        kind = "Skatteverket test numbers" if self.numbers == "test" else "generated numbers"
        return (
            f"{self.people.height:,} people, {self.contacts.height:,} contact rows, "
            f"{self.units.height} units, {kind}, seed {self.seed}, reference date "
            f"{self.reference_date}"
        )

    def flag_list(self, flag: str) -> pl.DataFrame:
        """People with ``flag`` (deceased, protected_identity, opted_out) as a one-column list."""
        return self.people.filter(pl.col(flag)).select("personnummer")

    def write(
        self,
        folder: str | os.PathLike[str],
        *,
        xlsx: bool = False,
        sqlite: bool = True,
        parquet: bool = False,
    ) -> dict[str, Path]:
        """Write the region's files into ``folder`` (private, atomic); return name → path.

        * ``extract.csv``: the care-contact extract as Swedish Excel saves "CSV UTF-8": ``;``
          between fields, UTF-8 with a BOM, CRLF line ends; columns :data:`EXTRACT_COLUMNS`.
        * ``extract.xlsx`` (``xlsx=True``): the same rows; personnummer that are all digits
          are stored as numbers, as Excel does when someone types or pastes them.
        * ``extract.parquet`` (``parquet=True``): the same rows, typed.
        * ``region.sqlite`` (``sqlite=True``): tables ``contacts`` (the extract's columns;
          :data:`SQL_QUERY` reads it), ``people_flags`` (personnummer, deceased,
          protected_identity, opted_out as 0/1) and ``units``.
        * ``deceased.csv``, ``protected.csv``, ``opt_out.csv``: one-column lists.
        * ``units.csv``: name, hsa_id, role.
        """
        out = ensure_private_dir(folder)
        extract = self.extract()
        paths: dict[str, Path] = {}
        with atomic_private_path(out / "extract.csv") as tmp:
            extract.write_csv(tmp, separator=";", line_terminator="\r\n", include_bom=True)
        paths["extract"] = out / "extract.csv"
        if xlsx:
            paths["extract_xlsx"] = write_xlsx(extract, out / "extract.xlsx")
        if parquet:
            with atomic_private_path(out / "extract.parquet") as tmp:
                self.contacts.select(EXTRACT_COLUMNS).write_parquet(tmp)
            paths["extract_parquet"] = out / "extract.parquet"
        if sqlite:
            paths["sqlite"] = self._write_sqlite(extract, out / "region.sqlite")
        for flag, name in (
            ("deceased", "deceased.csv"),
            ("protected_identity", "protected.csv"),
            ("opted_out", "opt_out.csv"),
        ):
            with atomic_private_path(out / name) as tmp:
                self.flag_list(flag).write_csv(tmp)
            paths[flag] = out / name
        with atomic_private_path(out / "units.csv") as tmp:
            self.units.write_csv(tmp)
        paths["units"] = out / "units.csv"
        self.files = paths
        return paths

    def _write_sqlite(self, extract: pl.DataFrame, path: Path) -> Path:
        flags = self.people.select(
            "personnummer", *(pl.col(c).cast(pl.Int8) for c in EXTRACT_COLUMNS[5:])
        )
        extract = extract.with_columns(pl.col(c).cast(pl.Int8) for c in EXTRACT_COLUMNS[5:])
        with atomic_private_path(path) as tmp:
            connection = sqlite3.connect(tmp)
            try:
                for name, frame in (
                    ("contacts", extract),
                    ("people_flags", flags),
                    ("units", self.units),
                ):
                    columns = ", ".join(
                        f"{c} {'INTEGER' if frame.schema[c].is_integer() else 'TEXT'}"
                        for c in frame.columns
                    )
                    connection.execute(f"CREATE TABLE {name} ({columns})")
                    marks = ", ".join("?" * frame.width)
                    connection.executemany(
                        f"INSERT INTO {name} VALUES ({marks})", frame.iter_rows()
                    )
                connection.commit()
            finally:
                connection.close()
        return path

    def sqlite_url(self) -> str:
        """The SQLAlchemy URL of the written ``region.sqlite`` (after :meth:`write`)."""
        if "sqlite" not in self.files:
            raise ValueError("write the region first: region.write(folder) makes region.sqlite")
        return f"sqlite:///{self.files['sqlite']}"


def write_xlsx(extract: pl.DataFrame, path: Path) -> Path:
    """Excel's view of the extract: all-digit personnummer become numbers (small regions)."""
    import xlsxwriter

    if extract.height >= 1_048_576:
        raise ValueError(
            f"{extract.height} rows do not fit an Excel sheet (1,048,575 rows); write xlsx only "
            "for small regions"
        )
    text = extract["personnummer"]
    numeric = text.str.contains(r"^\d{1,15}$").fill_null(False)
    as_number = text.cast(pl.Int64, strict=False)
    # Excel files are for small demos, so building rows in Python is fine at that size.
    first = [
        n if is_number else t for t, n, is_number in zip(text, as_number, numeric, strict=True)
    ]
    columns = [first, *(extract[c].to_list() for c in extract.columns[1:])]
    with atomic_private_path(path) as tmp:
        book = xlsxwriter.Workbook(str(tmp), {"constant_memory": True})
        sheet = book.add_worksheet("Kontakter")
        sheet.write_row(0, 0, extract.columns)
        for row, values in enumerate(zip(*columns, strict=True), start=1):
            sheet.write_row(row, 0, values)
        book.close()
    return path
