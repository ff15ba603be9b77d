"""The kit's shared words, defined once: time zone, weekdays, age bands, sex, the 250 limit,
names, and the environment variables the kit reads.

Why one place: the same word spelt twice drifts (a weekday list with ``mån`` in one module and
``Måndag`` in another, a limit of 250 in five modules). Every module takes these from here.

>>> MAX_PART_SIZE, WEEKDAY_NAMES[0], WEEKDAYS_SHORT_SV[0], WEEKDAY_LABELS_SV[0]
(250, 'mon', 'mån', 'Måndag')
>>> slug("Vårdcentralen Öst / BVC"), is_name("influensa-65plus"), is_name("Influensa 65+")
('vardcentralen-ost-bvc', True, False)
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

__all__ = [
    "AGE_BAND",
    "AGE_BANDS",
    "AGE_BAND_LOWER_BOUNDS",
    "BAND_OR_UNKNOWN",
    "DB_URL_ENV",
    "MAX_NAME_LENGTH",
    "MAX_PART_SIZE",
    "NAME_EXAMPLE",
    "NAME_RE",
    "PASSWORD_ENV",
    "RUNS_DIR",
    "SEX",
    "SEXES",
    "SEX_LABELS",
    "SEX_WORDS",
    "TIME_ZONE",
    "TIME_ZONE_NAME",
    "UNKNOWN_BAND",
    "WEEKDAYS_SHORT_SV",
    "WEEKDAYS_SV",
    "WEEKDAY_LABELS_SV",
    "WEEKDAY_NAMES",
    "age_band",
    "is_name",
    "slug",
    "whole_number",
]

# --------------------------------------------------------------------------- time

#: Swedish time: naive times in campaigns, extracts and exports are read on this clock.
TIME_ZONE_NAME = "Europe/Stockholm"
TIME_ZONE = ZoneInfo(TIME_ZONE_NAME)

#: Weekday keys accepted in YAML (Monday first, as ``datetime.weekday()`` counts).
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: Swedish weekday names: lower case in running text, capitalised as a label, short in tables.
WEEKDAYS_SV = ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag")
WEEKDAY_LABELS_SV = tuple(day.capitalize() for day in WEEKDAYS_SV)
WEEKDAYS_SHORT_SV = ("mån", "tis", "ons", "tor", "fre", "lör", "sön")

# --------------------------------------------------------------------------- people

#: Age bands of the reach model and every table grouped by age (closed list, in order).
AGE_BANDS = ("0-15", "16-29", "30-44", "45-64", "65-74", "75-84", "85+")
AGE_BAND_LOWER_BOUNDS = (0, 16, 30, 45, 65, 75, 85)
AGE_BAND = pl.Enum(AGE_BANDS)
#: The band of a person whose age is not known (a samordningsnummer without a real date).
UNKNOWN_BAND = "okänd"
BAND_OR_UNKNOWN = pl.Enum((*AGE_BANDS, UNKNOWN_BAND))

#: Legal sex as the personnummer gives it.
SEXES = ("F", "M")
SEX = pl.Enum(SEXES)
SEX_LABELS = {"F": "Kvinna", "M": "Man"}
_WOMEN = ("F", "K", "KVINNA", "KVINNOR", "KVINNLIG", "WOMAN", "WOMEN", "FEMALE")
_MEN = ("M", "MAN", "MÄN", "MANLIG", "MEN", "MALE")
#: Accepted spellings of the legal sex (Swedish and English), upper-cased.
SEX_WORDS = {**dict.fromkeys(_WOMEN, "F"), **dict.fromkeys(_MEN, "M")}


def age_band(age: pl.Expr | str) -> pl.Expr:
    """Map whole-year ages to the closed list :data:`AGE_BANDS` (negative, NaN or null -> null).

    NaN must be caught: polars orders it above every number, so it would land in 85+.

    >>> ages = pl.DataFrame({"age": [3, 16, 64, 85, -1, None]})
    >>> ages.select(age_band("age"))["age_band"].to_list()
    ['0-15', '16-29', '45-64', '85+', None, None]
    """
    expr = pl.col(age) if isinstance(age, str) else age
    expr = expr.cast(pl.Float64).fill_nan(None)
    chain: Any = pl
    for lower, label in zip(reversed(AGE_BAND_LOWER_BOUNDS), reversed(AGE_BANDS), strict=True):
        chain = chain.when(expr >= lower).then(pl.lit(label))
    return chain.otherwise(pl.lit(None)).cast(AGE_BAND).alias("age_band")


# --------------------------------------------------------------------------- files and names

#: Personalverktyget imports at most 250 personnummer per file (seed 004).
MAX_PART_SIZE = 250

#: A campaign name: lower-case letters, digits and single hyphens; it names the run folder,
#: the files and the archive, so it must be safe on every file system.
NAME_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
NAME_EXAMPLE = "blodtryck-2027-03"
MAX_NAME_LENGTH = 64

#: Run folders live under ``out/`` (git-ignored).
RUNS_DIR = "out"

_SLUG_MAX = 40


def is_name(value: object) -> bool:
    """True for a valid campaign name (see :data:`NAME_RE`)."""
    return (
        isinstance(value, str) and len(value) <= MAX_NAME_LENGTH and bool(NAME_RE.fullmatch(value))
    )


def slug(value: object) -> str:
    """A file-name-safe form of a group value: ``Vårdcentralen Öst`` → ``vardcentralen-ost``.

    Lowercase ASCII letters, digits and hyphens only (safe on Windows, where the handler works,
    and case-insensitive file systems), at most 40 characters.

    >>> slug("SE2321000032-VCSOLB"), slug("Vårdcentralen Öst / BVC")
    ('se2321000032-vcsolb', 'vardcentralen-ost-bvc')
    """
    text = unicodedata.normalize("NFKD", str(value))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return text[:_SLUG_MAX].rstrip("-")


# --------------------------------------------------------------------------- numbers


def whole_number(number: int) -> str:
    """A whole number in Swedish form, as every table, chart and report shows it: 119\xa0716
    (a no-break space between thousands).

    >>> whole_number(119716)
    '119\xa0716'
    """
    return f"{number:,}".replace(",", "\u00a0")


# --------------------------------------------------------------------------- environment

#: The environment variable holding the 7z archive's password (never a parameter).
PASSWORD_ENV = "INKORG_7Z_PASSWORD"
#: The environment variable that conventionally holds an extract database's URL.
DB_URL_ENV = "INKORG_DB_URL"
