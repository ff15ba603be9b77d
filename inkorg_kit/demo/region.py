"""The synthetic region's builder: people around care units, their conditions, register flags
and care contacts with ICD-10 codes.

Why: the kit must be shown and tested on data that looks like a real care-system extract
without holding a single real resident. Around people carrying test numbers
(:mod:`inkorg_kit.demo.numbers`) the generator lays what extracts really have: a few units
with HSA-ids, care contacts over three years with dates and ICD-10 codes (chronic conditions
come back at follow-ups), the population register's flags (deceased, protected identity) and
the region's opt-out register, and the mess of the personnummer column
(:mod:`inkorg_kit.demo.messy`). Everything is whole-column numpy/polars and deterministic for a
seed: two million people and ten million contacts generate in seconds.

>>> r = region(300, seed=1, numbers="test")
>>> r.people.height, r.units.height
(300, 5)
>>> r.people.columns[:5]
['personnummer', 'kind', 'birth_date', 'age', 'sex']
>>> r.contacts.height > 3 * r.people.height  # an extract: many rows per person
True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl

from inkorg_kit import pnr
from inkorg_kit.config.campaign_parts import is_hsa_id
from inkorg_kit.demo.extract import Region
from inkorg_kit.demo.messy import messy_numbers
from inkorg_kit.demo.numbers import (
    REFERENCE_DATE,
    generated_people,
    max_people_from_test_numbers,
    people_from_test_numbers,
)

__all__ = ["DEFAULT_UNITS", "Unit", "region"]

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
    reference_date: dt.date | str = REFERENCE_DATE,
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
    reference = pnr.as_date(reference_date)
    unit_list = _as_units(units)
    rng = np.random.default_rng(seed)
    if numbers == "auto":
        numbers = "test" if n_people <= max_people_from_test_numbers(reference) else "generated"
    if numbers == "test":
        people = people_from_test_numbers(n_people, reference, rng)
    else:
        people = generated_people(n_people, reference, rng).sort("personnummer")
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
    people: pl.DataFrame, units: list[Unit], reference: dt.date, rng: np.random.Generator
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
    rng: np.random.Generator,
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
    messy, recoverable = messy_numbers(flags["personnummer"], p_age, rng)
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


def _codes(
    hyper: np.ndarray, diab: np.ndarray, asthma: np.ndarray, rng: np.random.Generator
) -> pl.Series:
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
