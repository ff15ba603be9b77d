"""A synthetic region for the demo and the tests: people, care contacts, units and flags.

Why: the kit must be shown and tested on data that looks like a real care-system extract
without holding a single real resident. Every person in a default region carries one of
Skatteverket's published **test** personnummer (shipped in ``inkorg_kit/data``, CC0; a small
share carry a test samordningsnummer). Around them the generator lays what extracts really
have: a few units with HSA-ids, care contacts with dates and ICD-10 codes, the population
register's flags (deceased, protected identity) and the region's opt-out register, and the
mess (many rows per person, personnummer in the shapes Excel and journal systems leave,
invalid numbers, reserve numbers, blanks).

The age pyramid: test numbers are skewed by birth year (about 3,700 per five years for ages
0-49, about 25 a year for ages 50-74, and thousands born 1890-1911). The people are sampled
with weights so that each five-year band gets its Swedish share (:data:`SWEDEN_2024`); bands
with too few test numbers are *capped* (all their test numbers are used) and the remaining
people are spread over the other bands in proportion to their shares. Ages above 104 are never
used. With test numbers a region holds at most :func:`max_people_from_test_numbers` people
(about 34,000; the default region has 30,000), and it is young: only about 1,600 test
numbers are aged 50-74 (most born 1976-77), which caps any target group of that age.

Larger populations (benchmarks) use :func:`generated_numbers`: check-digit-valid numbers made
at run time with a Swedish age pyramid. They may coincide with real residents' numbers, so they
are never written into the repository; only under ``out/`` (git-ignored) or a temporary folder.
The command line (``python -m inkorg_kit.synth out/demo``) uses test numbers only; a larger
region needs ``--generated``, which warns that the numbers may be real people's.

Everything is whole-column numpy/polars and deterministic for a seed: two million people and
ten million contacts generate in seconds.

>>> r = region(300, seed=1, numbers="test")
>>> r.people.height, r.units.height
(300, 5)
>>> r.people.columns[:5]
['personnummer', 'kind', 'birth_date', 'age', 'sex']
>>> r.contacts.height > 3 * r.people.height  # an extract: many rows per person
True
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import importlib.resources
import math
import os
import sqlite3
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl

from inkorg_kit import pnr
from inkorg_kit._files import atomic_private_path, ensure_private_dir

__all__ = [
    "DEFAULT_UNITS",
    "EXTRACT_COLUMNS",
    "SQL_QUERY",
    "SWEDEN_2024",
    "Region",
    "Unit",
    "generated_numbers",
    "max_people_from_test_numbers",
    "messy_list",
    "region",
    "skatteverket_test_numbers",
]

#: Sweden's population on 31 December 2024 by five-year age band (lower bound → thousands).
#: Source: SCB, Statistikdatabasen, "Folkmängd efter ålder och kön. År 1860-2024" (table
#: BE0101N1), 31 Dec 2024; rounded to thousands and approximate (sums to 10.54 million against
#: SCB's 10,587,710). Only the shape matters here: it weights the sampling of test numbers.
SWEDEN_2024: dict[int, float] = {
    0: 535, 5: 600, 10: 640, 15: 620, 20: 580, 25: 660, 30: 720, 35: 720, 40: 650, 45: 640,
    50: 660, 55: 670, 60: 610, 65: 560, 70: 540, 75: 510, 80: 350, 85: 180, 90: 75, 95: 20,
    100: 2.5,
}  # fmt: skip
#: Share of women per band (approximate, same SCB table): more boys are born, women live longer.
_FEMALE_SHARE = {0: 0.486, 20: 0.49, 65: 0.51, 75: 0.54, 85: 0.62, 95: 0.75}
MAX_AGE = 104  # older test numbers (born 1890-1911) would make 115-year-olds

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

_REFERENCE_DATE = "2026-11-21"
_WINDOW_DAYS = 3 * 365  # the extract covers three years of contacts before the reference date


@dataclass(frozen=True)
class Unit:
    """A care unit: ``role`` is ``health_centre`` (people are listed there), ``child_health``
    (children under 6) or ``clinic`` (hospital outpatient clinics)."""

    name: str
    hsa_id: str
    role: Literal["health_centre", "child_health", "clinic"] = "clinic"


#: Synthetic units (names invented; HSA-id shape ``SE`` + 10 digits + ``-`` + letters/digits).
#: The first health centre is the demo campaign's sender (params/demo/campaign.yaml).
DEFAULT_UNITS = (
    Unit("Vårdcentralen Solbacka", "SE2321000032-VCSOLB", "health_centre"),
    Unit("Vårdcentralen Ekdalen", "SE2321000032-VCEKDA", "health_centre"),
    Unit("Barnavårdscentralen Solbacka", "SE2321000032-BVCSOL", "child_health"),
    Unit("Medicinmottagningen, Exempelstads sjukhus", "SE2321000032-MEDEXS", "clinic"),
    Unit("Hjärtmottagningen, Exempelstads sjukhus", "SE2321000032-HJAEXS", "clinic"),
)

# Chronic conditions: (code as written, prevalence by age as interpolation points).
_HYPERTENSION = ((0, 0.0), (30, 0.01), (40, 0.06), (50, 0.18), (60, 0.32), (70, 0.45), (80, 0.55))
_DIABETES = ((0, 0.0), (30, 0.01), (50, 0.05), (70, 0.13), (90, 0.15))
_ASTHMA = ((0, 0.09), (20, 0.07), (90, 0.06))
# Acute and other codes for the remaining contacts (ICD-10-SE, written with a dot as most
# Swedish systems export them), with weights; a tenth of contacts carry no code at all.
_OTHER_CODES = (
    ("J06.9", 14), ("M54.5", 9), ("N39.0", 6), ("Z00.0", 6), ("R50.9", 4), ("H66.9", 4),
    ("F32.9", 5), ("F41.1", 4), ("L20.9", 3), ("K21.9", 4), ("R10.4", 4), ("S93.4", 3),
    ("J20.9", 4), ("I48.9", 3), ("E78.0", 3), ("Z76.0", 6),
)  # fmt: skip
_NO_CODE_SHARE = 0.10

# Personnummer shapes in the extract (valid, just messy), with the share of rows each gets:
# about 12 % of rows are not ``YYYYMMDD-NNNN`` (an extract merged from several systems).
_SHAPES = (
    ("canonical", 0.0),  # the rest
    ("twelve_digits", 0.05),  # YYYYMMDDNNNN: Excel and many exports
    ("ten_hyphen", 0.03),  # YYMMDD-NNNN
    ("ten_digits", 0.01),  # YYMMDDNNNN
    ("cosmic_space", 0.01),  # YY YYMMDD-NNNN: copied from Cosmic
    ("en_dash", 0.004),
    ("nbsp", 0.003),
    ("padded", 0.005),
    ("apostrophe", 0.003),  # '199001012385: Excel's text marker
    ("full_width", 0.001),
)
# Values that cannot be used, with the share of rows each replaces.
_BROKEN = (
    ("blank", 0.003),
    ("bad_checksum", 0.004),
    ("bad_date", 0.001),
    ("reserve", 0.004),
    ("scientific", 0.001),  # 1,99001E+11: Excel's number format, digits lost
    ("lost_zero", 0.001),  # born 2000-2009, saved as a number: the leading 0 is gone
    ("impossible_samordning", 0.0005),  # a test samordningsnummer with a date that cannot exist
)


# --------------------------------------------------------------------------- test numbers


def _read_packaged(name: str, column: str) -> pl.Series:
    resource = importlib.resources.files("inkorg_kit.data").joinpath(name)
    with resource.open("rb") as handle:
        frame = pl.read_csv(handle, schema={column: pl.String})
    return frame[column]


@functools.cache
def _test_pool(reference_date: dt.date) -> pl.DataFrame:
    """Shipped test numbers with a real birth date, aged 0..MAX_AGE at the reference date."""
    pins = _read_packaged("testpersonnummer.csv", "testpersonnummer")
    cons = _read_packaged("testsamordningsnummer.csv", "testsamordningsnummer")
    raw = pl.concat([pins, cons]).alias("raw")
    cleaned = pnr.clean(raw, reference_date=reference_date)
    return (
        cleaned.filter(pl.col("status") == "ok")
        .select(
            personnummer=pl.col("pnr"),
            kind=pl.col("kind").cast(pl.String),
            birth_date=pnr.birth_date(pl.col("pnr")),
            age=pnr.age_at(pl.col("pnr"), reference_date),
            sex=pnr.legal_sex(pl.col("pnr")),
        )
        .filter(pl.col("age").is_between(0, MAX_AGE))
        .sort("personnummer")
    )


def skatteverket_test_numbers() -> pl.Series:
    """Every shipped test number (personnummer and samordningsnummer), normalised.

    Includes the 24 test samordningsnummer whose dates cannot exist, normalised only in shape
    (they are not valid): use it to check that a region holds nothing else.
    """
    pins = _read_packaged("testpersonnummer.csv", "testpersonnummer")
    cons = _read_packaged("testsamordningsnummer.csv", "testsamordningsnummer")
    both = pl.concat([pins, cons])
    return (both.str.slice(0, 8) + "-" + both.str.slice(8, 4)).alias("personnummer")


def _split_pool(reference: dt.date) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Test personnummer, and test samordningsnummer of adults (ages 16+: mostly workers)."""
    pool = _test_pool(reference)
    pins = pool.filter(pl.col("kind") == "personnummer")
    cons = pool.filter((pl.col("kind") == "samordningsnummer") & (pl.col("age") >= 16))
    return pins, cons


def max_people_from_test_numbers(reference_date: dt.date | str = _REFERENCE_DATE) -> int:
    """How many people a region of test numbers can hold (aged 0-104 at the reference date)."""
    pins, cons = _split_pool(pnr._as_date(reference_date))
    return pins.height + min(cons.height, _samordning_budget(pins.height))


def _samordning_budget(n_people: int) -> int:
    """Samordningsnummer are about 1.5 % of people in care extracts (an assumption)."""
    return round(0.015 * n_people)


# --------------------------------------------------------------------------- sampling


def _band_of(age: np.ndarray) -> np.ndarray:
    return np.minimum(age // 5, 20).astype(np.int64)


def _female_share(band_lower: np.ndarray) -> np.ndarray:
    bounds = np.array(sorted(_FEMALE_SHARE))
    shares = np.array([_FEMALE_SHARE[b] for b in bounds])
    return shares[np.searchsorted(bounds, band_lower, side="right") - 1]


def _stratum_weights() -> np.ndarray:
    """Weight of each (band, sex) stratum, index band * 2 + (1 if male)."""
    lower = np.array(sorted(SWEDEN_2024))
    count = np.array([SWEDEN_2024[b] for b in lower], dtype=float)
    female = _female_share(lower)
    return np.column_stack([count * female, count * (1 - female)]).ravel()


def _water_fill(available: np.ndarray, weight: np.ndarray, n: int) -> np.ndarray:
    """Counts per stratum summing to ``n``: proportional to ``weight``, capped at ``available``.

    Strata that cannot take their share give all they have; the rest is spread over the others
    in proportion to their weights (the scale is found by bisection, rounding by largest
    remainder).
    """
    if n > available.sum():
        raise ValueError(f"cannot take {n} from {int(available.sum())} available")
    weight = np.where(available > 0, weight, 0.0)
    lo, hi = 0.0, float(n) / max(weight[weight > 0].min(), 1e-12) + 1.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if np.minimum(available, mid * weight).sum() < n:
            lo = mid
        else:
            hi = mid
    exact = np.minimum(available, hi * weight)
    counts = np.floor(exact).astype(np.int64)
    short = n - counts.sum()
    room = (counts < available) & (weight > 0)
    order = np.argsort(-(exact - counts) - room * 1.0, kind="stable")
    for index in order:  # loops over strata (42 of them), not people
        if short <= 0:
            break
        if counts[index] < available[index]:
            counts[index] += 1
            short -= 1
    return counts


def _pick(frame: pl.DataFrame, stratum: np.ndarray, counts: np.ndarray, rng: Any) -> pl.DataFrame:
    """Pick ``counts[s]`` rows at random from each stratum ``s`` (whole-column)."""
    key = rng.random(frame.height)
    ranked = pl.DataFrame({"s": stratum, "k": key}).select(
        pl.col("k").rank("ordinal").over("s").alias("r")
    )["r"]
    keep = ranked.to_numpy() <= counts[stratum]
    return frame.filter(pl.Series(keep))


def _people_from_test_numbers(n: int, reference: dt.date, rng: Any) -> pl.DataFrame:
    pins, cons = _split_pool(reference)
    capacity = max_people_from_test_numbers(reference)
    if n > capacity:
        raise ValueError(
            f"n_people={n} is more than the {capacity} people Skatteverket's test numbers can "
            f"give (ages 0-{MAX_AGE} at {reference}); ask for at most {capacity}, or pass "
            "numbers='generated' for a larger region made of generated numbers (benchmarks)"
        )
    n_con = max(min(cons.height, _samordning_budget(n)), n - pins.height)
    cons = cons.sample(n_con, seed=int(rng.integers(2**31)), shuffle=False)
    n_pin = n - n_con
    age = pins["age"].to_numpy()
    male = (pins["sex"] == "M").to_numpy()
    stratum = _band_of(age) * 2 + male
    available = np.bincount(stratum, minlength=42)
    counts = _water_fill(available, _stratum_weights(), n_pin)
    chosen = _pick(pins, stratum, counts, rng)
    return pl.concat([chosen, cons]).sort("personnummer")


def _luhn(nine: np.ndarray) -> np.ndarray:
    total = np.zeros(nine.shape, dtype=np.int64)
    for position in range(9):
        digit = (nine // 10 ** (8 - position)) % 10
        if position % 2 == 0:
            digit = digit * 2
            digit = digit - np.where(digit > 9, 9, 0)
        total += digit
    return (10 - total % 10) % 10


def _generated_frame(n: int, reference: dt.date, rng: Any) -> pl.DataFrame:
    """``n`` distinct generated numbers with a Swedish age pyramid and sex split."""
    weights = _stratum_weights()
    weights = weights / weights.sum()
    parts: list[pl.DataFrame] = []
    have = 0
    ref = np.datetime64(reference, "D")
    while have < n:  # once, rarely twice (collisions among a few million draws)
        m = int((n - have) * 1.02) + 16
        stratum = rng.choice(weights.size, size=m, p=weights)
        band, male = stratum // 2, stratum % 2
        years = band * 5 + rng.random(m) * 5  # band 20 (100+) means 100-104 here
        birth = ref - (years * 365.2425).astype(np.int64).astype("timedelta64[D]")
        year = birth.astype("datetime64[Y]").astype(np.int64) + 1970
        month = birth.astype("datetime64[M]").astype(np.int64) % 12 + 1
        day = (birth - birth.astype("datetime64[M]")).astype(np.int64) + 1
        yyyymmdd = year * 10_000 + month * 100 + day
        birth_no = rng.integers(0, 100, m) * 10 + rng.integers(0, 5, m) * 2 + male  # odd: men
        birth_no = np.where(birth_no == 0, 2, birth_no)  # 000 is never issued
        nine = (yyyymmdd % 1_000_000) * 1000 + birth_no
        before_birthday = month * 100 + day > reference.month * 100 + reference.day
        frame = pl.DataFrame(
            {
                "k": yyyymmdd * 10_000 + birth_no * 10 + _luhn(nine),
                "birth_date": pl.Series(birth).cast(pl.Date),
                "age": (reference.year - year - before_birthday).astype(np.int32),
                "sex": pl.Series(["F", "M"]).gather(male),
            }
        )
        if parts:
            frame = frame.filter(~pl.col("k").is_in(pl.concat(parts)["k"].implode()))
        frame = frame.unique("k", keep="first", maintain_order=True).head(n - have)
        parts.append(frame)
        have += frame.height
    out = pl.concat(parts)
    digits = out["k"].cast(pl.String)
    return out.select(
        personnummer=digits.str.slice(0, 8) + "-" + digits.str.slice(8, 4),
        kind=pl.lit("personnummer"),
        birth_date="birth_date",
        age="age",
        sex="sex",
    )


def generated_numbers(
    n: int, seed: int = 0, *, reference_date: dt.date | str = _REFERENCE_DATE
) -> pl.Series:
    """``n`` distinct check-digit-valid ``YYYYMMDD-NNNN`` numbers, made now, never stored.

    Birth dates follow the Swedish age pyramid at ``reference_date``; the birth number's last
    digit follows the sex split. They are not test numbers and may equal a real resident's:
    use them for benchmarks only, and write them only under ``out/`` or a temporary folder.
    """
    rng = np.random.default_rng(seed)
    return _generated_frame(n, pnr._as_date(reference_date), rng)["personnummer"]


# --------------------------------------------------------------------------- the region


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
            paths["extract_xlsx"] = _write_xlsx(extract, out / "extract.xlsx")
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


def _write_xlsx(extract: pl.DataFrame, path: Path) -> Path:
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


def _as_units(units: Sequence[Unit | tuple[str, str] | dict[str, str]] | None) -> list[Unit]:
    if units is None:
        return list(DEFAULT_UNITS)
    out: list[Unit] = []
    for index, unit in enumerate(units):
        if isinstance(unit, Unit):
            out.append(unit)
        elif isinstance(unit, dict):
            role = unit.get("role", "clinic")
            out.append(Unit(unit["name"], unit["hsa_id"], role))  # type: ignore[arg-type]
        else:
            name, hsa_id = unit
            out.append(Unit(name, hsa_id, "health_centre" if index == 0 else "clinic"))
    from inkorg_kit.campaign import is_hsa_id

    bad = [u.hsa_id for u in out if not is_hsa_id(u.hsa_id)]
    if bad:
        raise ValueError(
            f"units {bad} have no valid HSA-id: 'SE' + 10-digit organisation number + '-' + "
            "letters/digits, e.g. 'SE2321000032-ABC123'"
        )
    if not any(u.role == "health_centre" for u in out):
        raise ValueError("units need at least one with role='health_centre' (people list there)")
    return out


def _interp(points: tuple[tuple[int, float], ...], age: np.ndarray) -> np.ndarray:
    xs, ys = zip(*points, strict=True)
    return np.interp(age, xs, ys)


def region(
    n_people: int = 30_000,
    *,
    seed: int = 2026,
    reference_date: dt.date | str = _REFERENCE_DATE,
    units: Sequence[Unit | tuple[str, str] | dict[str, str]] | None = None,
    contacts_per_person: float = 4.0,
    numbers: Literal["auto", "test", "generated"] = "auto",
) -> Region:
    """Generate a synthetic region of ``n_people`` (deterministic for ``seed``).

    ``numbers="test"`` uses only Skatteverket's test numbers (at most
    :func:`max_people_from_test_numbers`, about 34,000 people); ``"generated"`` makes numbers
    at run time (any size; never commit them); ``"auto"`` takes test numbers when they suffice.
    ``contacts_per_person`` is the mean number of extract rows per person over the three
    years before ``reference_date``; people with no contact are not in the extract.
    ``units`` defaults to :data:`DEFAULT_UNITS`.
    """
    if n_people < 1:
        raise ValueError(f"n_people must be at least 1, got {n_people}")
    if contacts_per_person <= 0:
        raise ValueError(f"contacts_per_person must be above 0, got {contacts_per_person}")
    if numbers not in ("auto", "test", "generated"):
        raise ValueError(f"numbers={numbers!r}: use 'auto', 'test' or 'generated'")
    reference = pnr._as_date(reference_date)
    unit_list = _as_units(units)
    rng = np.random.default_rng(seed)
    if numbers == "auto":
        numbers = "test" if n_people <= max_people_from_test_numbers(reference) else "generated"
    if numbers == "test":
        people = _people_from_test_numbers(n_people, reference, rng)
    else:
        people = _generated_frame(n_people, reference, rng).sort("personnummer")
    people = _add_person_facts(people, unit_list, reference, rng)
    contacts = _contacts(people, unit_list, reference, contacts_per_person, rng)
    units_frame = pl.DataFrame(
        {
            "name": [u.name for u in unit_list],
            "hsa_id": [u.hsa_id for u in unit_list],
            "role": [u.role for u in unit_list],
        }
    )
    return Region(
        people=people.drop("_death_day", "_listed"),
        contacts=contacts,
        units=units_frame,
        reference_date=reference,
        seed=seed,
        numbers=numbers,
    )


def _add_person_facts(
    people: pl.DataFrame, units: list[Unit], reference: dt.date, rng: Any
) -> pl.DataFrame:
    n = people.height
    age = people["age"].to_numpy().astype(float)
    centres = [u for u in units if u.role == "health_centre"]
    shares = np.array([0.75] + [0.25 / max(len(centres) - 1, 1)] * (len(centres) - 1))
    listed = rng.choice(len(centres), size=n, p=shares / shares.sum())
    p_dead = _interp(((0, 0.002), (50, 0.004), (65, 0.02), (75, 0.06), (85, 0.18), (100, 0.4)), age)
    deceased = rng.random(n) < p_dead
    death_day = np.where(deceased, rng.integers(30, _WINDOW_DAYS, n), -1)  # days before reference
    centre_index = np.array([units.index(c) for c in centres])
    return people.with_columns(
        unit_hsa_id=pl.Series([c.hsa_id for c in centres]).gather(listed),
        _listed=pl.Series(centre_index[listed]),
        hypertension=pl.Series(rng.random(n) < _interp(_HYPERTENSION, age)),
        diabetes=pl.Series(rng.random(n) < _interp(_DIABETES, age)),
        asthma=pl.Series(rng.random(n) < _interp(_ASTHMA, age)),
        deceased=pl.Series(deceased),
        protected_identity=pl.Series(rng.random(n) < 0.003),
        opted_out=pl.Series(rng.random(n) < 0.02),
        _death_day=pl.Series(death_day),
    )


def _contacts(
    people: pl.DataFrame,
    units: list[Unit],
    reference: dt.date,
    per_person: float,
    rng: Any,
) -> pl.DataFrame:
    """One row per care contact, sorted by date as an extract is; whole-column numpy."""
    age = people["age"].to_numpy().astype(float)
    hyper = people["hypertension"].to_numpy()
    diab = people["diabetes"].to_numpy()
    rate = _interp(((0, 3.0), (6, 1.5), (20, 1.2), (50, 1.8), (70, 3.0), (85, 4.5)), age)
    rate = rate * (1 + 1.2 * (hyper.astype(float) + diab))
    rate = rate * per_person / rate.mean()
    who = np.repeat(np.arange(people.height), rng.poisson(rate))
    m = who.size

    # dates: uniform over the window, ending at death for the deceased; then date order
    death = people["_death_day"].to_numpy()[who]
    first_day = np.where(death >= 0, death, 0)
    days_back = first_day + (rng.random(m) * (_WINDOW_DAYS - first_day)).astype(np.int64)
    shuffle = rng.integers(0, 2**31, m)
    order = pl.Series((_WINDOW_DAYS - days_back) * 2**31 + shuffle).arg_sort().to_numpy()
    who, days_back = who[order], days_back[order]
    contact_date = np.datetime64(reference, "D") - days_back.astype("timedelta64[D]")
    p_age = age[who]

    # units: the listed health centre, child health for small children, clinics for some
    role = np.array([u.role for u in units])
    child = np.flatnonzero(role == "child_health")
    clinics = np.flatnonzero(role == "clinic")
    roll = rng.random(m)
    p_clinic = _interp(((0, 0.04), (50, 0.12), (80, 0.25)), p_age) * (clinics.size > 0)
    p_child = np.where(p_age < 6, 0.55, 0.0) * (child.size > 0)
    listed = people["_listed"].to_numpy()[who]
    unit = np.where(
        roll < p_child,
        child[rng.integers(0, max(child.size, 1), m) % max(child.size, 1)]
        if child.size
        else listed,
        np.where(
            roll < p_child + p_clinic,
            clinics[rng.integers(0, max(clinics.size, 1), m)] if clinics.size else listed,
            listed,
        ),
    )
    hsa = pl.Series([u.hsa_id for u in units]).gather(unit)
    name = pl.Series([u.name for u in units]).gather(unit)
    flags = people.select("deceased", "protected_identity", "opted_out", "personnummer")[who]
    messy, recoverable = _messy_numbers(flags["personnummer"], p_age, rng)
    return pl.DataFrame(
        {
            "personnummer": messy,
            "contact_date": pl.Series(contact_date).cast(pl.Date),
            "unit_hsa_id": hsa,
            "unit_name": name,
            "icd10": _codes(hyper[who], diab[who], people["asthma"].to_numpy()[who], rng),
            "deceased": flags["deceased"],
            "protected_identity": flags["protected_identity"],
            "opted_out": flags["opted_out"],
            "person": flags["personnummer"],
            "recoverable": recoverable,
        }
    )


def _codes(hyper: np.ndarray, diab: np.ndarray, asthma: np.ndarray, rng: Any) -> pl.Series:
    """One ICD-10 code per contact: the person's chronic conditions come back at follow-ups."""
    m = hyper.size
    roll = rng.random(m)
    other = [c for c, _ in _OTHER_CODES]
    weights = np.array([w for _, w in _OTHER_CODES], dtype=float)
    table = [None, "I10", "E11.9", "E119", "J45.9", "E11.9 I10", "E119 I10", *other]
    undotted = rng.integers(0, 2, m)  # E11.9 or E119: systems differ
    pick = np.select(
        [
            hyper & diab & (rng.random(m) < 0.1),  # a few rows list two codes
            hyper & (roll < 0.45),
            diab & (roll >= 0.45) & (roll < 0.75),
            asthma & (roll >= 0.75) & (roll < 0.85),
            roll >= 1 - _NO_CODE_SHARE,
        ],
        [5 + undotted, 1, 2 + undotted, 4, 0],
        default=7 + rng.choice(len(other), size=m, p=weights / weights.sum()),
    )
    return pl.Series("icd10", table, dtype=pl.String).gather(pick)


def _messy_numbers(
    canonical: pl.Series,
    age: np.ndarray,
    rng: Any,
    *,
    shape_scale: float = 1.0,
    broken_scale: float = 1.0,
) -> tuple[pl.Series, pl.Series]:
    """Rewrite numbers into the shapes extracts carry; break a few beyond repair.

    Ten-digit shapes carry no century, so they are used only for ages 5-89: a reader with a
    reference date up to ten years later still puts them in the right century. Each shape is
    computed only on the rows that get it (loops over the shapes, not the rows).
    """
    m = canonical.len()
    names = [name for name, _ in _SHAPES]
    probs = np.array([share for _, share in _SHAPES]) * shape_scale
    probs[0] = 1 - probs[1:].sum()
    code = rng.choice(len(names), size=m, p=probs)
    ten = np.isin(code, [names.index("ten_hyphen"), names.index("ten_digits")])
    ten_ok = (age >= 5) & (age <= 89)
    code = np.where(ten & ~ten_ok, names.index("twelve_digits"), code)

    broken_names = [name for name, _ in _BROKEN]
    edges = np.cumsum(np.array([share for _, share in _BROKEN]) * broken_scale)
    broken = np.searchsorted(edges, rng.random(m), side="right")  # len(_BROKEN): intact
    born_2000s = canonical.str.slice(0, 3).eq("200").fill_null(False).to_numpy()
    lost_zero = broken == broken_names.index("lost_zero")
    broken = np.where(lost_zero & ~born_2000s, broken_names.index("bad_checksum"), broken)
    intact = broken == len(_BROKEN)
    code = np.where(intact, code, len(names) + broken)  # one code per row: shape or breakage

    impossible = _impossible_samordning()
    s = pl.col("p")
    date8, tail, yymmdd = s.str.slice(0, 8), s.str.slice(9, 4), s.str.slice(2, 6)
    digits12 = pl.concat_str(date8, tail)
    check = s.str.slice(12, 1).cast(pl.Int32)
    rewrite = {
        "twelve_digits": digits12,
        "ten_hyphen": pl.concat_str(yymmdd, pl.lit("-"), tail),
        "ten_digits": pl.concat_str(yymmdd, tail),
        "cosmic_space": pl.concat_str(s.str.slice(0, 2), pl.lit(" "), s.str.slice(2)),
        "en_dash": pl.concat_str(date8, pl.lit("\u2013"), tail),
        "nbsp": pl.concat_str(date8, pl.lit("\u00a0"), tail),
        "padded": pl.concat_str(pl.lit(" "), s, pl.lit("  ")),
        "apostrophe": pl.concat_str(pl.lit("'"), digits12),
        "full_width": s.str.replace_all("0", "\uff10").str.replace_all("1", "\uff11"),
        "blank": pl.lit(""),
        "bad_checksum": pl.concat_str(
            s.str.slice(0, 12), ((check + pl.col("k")) % 10).cast(pl.String)
        ),
        "bad_date": pl.concat_str(s.str.slice(0, 4), pl.lit("13"), s.str.slice(6)),
        "reserve": pl.when(pl.col("k") % 2 == 0)
        .then(pl.concat_str(date8, pl.lit("-T"), s.str.slice(10, 3)))
        .otherwise(pl.concat_str(pl.lit("99"), s.str.slice(2, 6), s.str.slice(9, 4))),
        "scientific": pl.concat_str(
            s.str.slice(0, 1), pl.lit(","), s.str.slice(1, 5), pl.lit("E+11")
        ),
        "lost_zero": pl.concat_str(s.str.slice(3, 5), tail),
        "impossible_samordning": pl.col("imp"),
    }
    pieces: list[pl.DataFrame] = []
    for index, name in enumerate([*names, *broken_names]):
        rows = np.flatnonzero(code == index)
        if name == "canonical" or rows.size == 0:
            continue
        part = pl.DataFrame(
            {
                "row": rows,
                "p": canonical.gather(rows),
                "k": rng.integers(1, 10, rows.size),
                "imp": impossible.gather(rng.integers(0, impossible.len(), rows.size)),
            }
        )
        pieces.append(part.select("row", rewrite[name].cast(pl.String).alias("value")))
    messy = canonical.clone().alias("personnummer")
    if pieces:
        changed = pl.concat(pieces)
        messy = messy.scatter(changed["row"], changed["value"])
    return messy, pl.Series("recoverable", intact)


@functools.cache
def _impossible_samordning() -> pl.Series:
    """Test samordningsnummer whose dates cannot exist (30 February …): rejected as bad_date."""
    cons = _read_packaged("testsamordningsnummer.csv", "testsamordningsnummer")
    cleaned = pnr.clean(cons, reference_date="2100-01-01")
    return cons.filter((cleaned["reason"] == "bad_date").fill_null(False))


def messy_list(
    n: int, seed: int = 0, *, reference_date: dt.date | str = _REFERENCE_DATE
) -> pl.Series:
    """A bare list of ``n`` messy values (test numbers only), as pasted from several sources.

    About 10 % repeat an earlier number, 30 % are in other shapes than ``YYYYMMDD-NNNN``, and
    about 3 % are blank, invalid or reserve numbers; for demos of cleaning and recipient files.
    """
    if n < 0:
        raise ValueError(f"n must be 0 or more, got {n}")
    rng = np.random.default_rng(seed)
    reference = pnr._as_date(reference_date)
    pool = _test_pool(reference).filter(pl.col("kind") == "personnummer")
    distinct = max(1, min(pool.height, math.ceil(n * 0.9)))
    chosen = pool.sample(distinct, seed=int(rng.integers(2**31)))
    index = np.concatenate([np.arange(distinct), rng.integers(0, distinct, max(n - distinct, 0))])[
        :n
    ]
    rng.shuffle(index)
    people = chosen.gather(index)
    values, _ = _messy_numbers(
        people["personnummer"],
        people["age"].to_numpy(),
        rng,
        shape_scale=2.5,
        broken_scale=2.0,
    )
    return values.alias("personnummer")


# --------------------------------------------------------------------------- command line


GENERATED_WARNING = (
    "Warning: --generated makes check-digit-valid personnummer at run time. They are not"
    " Skatteverket's test numbers and may belong to real residents: keep the files under out/"
    " (git-ignored) or a temporary folder, and never commit, share or import them."
)


def _inside_repo_outside_out(folder: Path) -> bool:
    """True for a folder in this checkout but not under its ``out/`` (where files get committed)."""
    root = Path(__file__).resolve().parents[1]
    if not (root / "pyproject.toml").is_file():  # an installed package: no checkout to protect
        return False
    target = folder.resolve()
    return target.is_relative_to(root) and not target.is_relative_to(root / "out")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m inkorg_kit.synth out/demo``: write the demo region's files.

    Test numbers only, unless ``--generated`` is given (for benchmark-sized regions): then the
    numbers may be real people's, a warning says so, and the folder must not be in the checkout
    outside ``out/``.
    """
    parser = argparse.ArgumentParser(
        prog="python -m inkorg_kit.synth", description="Write a synthetic region's files."
    )
    parser.add_argument(
        "folder", help="output folder, e.g. out/demo (never inside the repo's code)"
    )
    capacity = max_people_from_test_numbers()
    parser.add_argument(
        "--people",
        type=int,
        default=30_000,
        help=f"number of people (at most {capacity:,} with test numbers)",
    )
    parser.add_argument("--seed", type=int, default=2026, help="random seed")
    parser.add_argument("--reference-date", default=_REFERENCE_DATE, help="YYYY-MM-DD")
    parser.add_argument("--xlsx", action="store_true", help="also write extract.xlsx")
    parser.add_argument(
        "--generated",
        action="store_true",
        help="use generated check-digit-valid numbers (any size; they may be real people's)",
    )
    args = parser.parse_args(argv)
    if args.generated:
        print(GENERATED_WARNING, file=sys.stderr)
        if _inside_repo_outside_out(Path(args.folder)):
            parser.error(
                f"{args.folder}: generated numbers may be real people's; write them under out/"
                " (git-ignored) or a temporary folder, not elsewhere in the repository"
            )
    numbers: Literal["test", "generated"] = "generated" if args.generated else "test"
    try:
        if numbers == "test" and args.people > max_people_from_test_numbers(args.reference_date):
            parser.error(
                f"--people {args.people}: Skatteverket's test numbers give at most"
                f" {max_people_from_test_numbers(args.reference_date):,} people at"
                f" {args.reference_date}; ask for fewer, or add --generated for a larger region"
                " of generated numbers (they may belong to real people)"
            )
        made = region(
            args.people, seed=args.seed, reference_date=args.reference_date, numbers=numbers
        )
    except ValueError as exc:
        parser.error(str(exc))
    paths = made.write(args.folder, xlsx=args.xlsx)
    print(
        f"{made.people.height} people, {made.contacts.height} contact rows "
        f"({made.numbers} numbers) written to {args.folder}: "
        + ", ".join(path.name for path in paths.values())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
