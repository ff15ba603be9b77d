r"""The personnummer of the demo region: Skatteverket's test numbers, sampled to a Swedish
age pyramid, and generated check-digit-valid numbers for benchmark-sized regions.

Why: the kit must be shown and tested without holding a single real resident. Every person in
a default region carries one of Skatteverket's published **test** personnummer (shipped in
``inkorg_kit/data``, CC0; a small share carry a test samordningsnummer).

The age pyramid: test numbers are skewed by birth year (about 3,700 per five years for ages
0-49, about 25 a year for ages 50-74, and thousands born 1890-1911). The people are sampled
with weights so that each five-year band gets its Swedish share (:data:`SWEDEN_2024`); bands
with too few test numbers are *capped* (all their test numbers are used) and the remaining
people are spread over the other bands in proportion to their shares. Ages above 104 are never
used. With test numbers a region holds at most :func:`max_people_from_test_numbers` people
(about 34,000), and it is young: only about 1,600 test numbers are aged 50-74.

Larger populations (benchmarks) use :func:`generated_numbers`: check-digit-valid numbers made
at run time with a Swedish age pyramid. They may coincide with real residents' numbers, so they
are never written into the repository; only under ``out/`` (git-ignored) or a temporary folder.

>>> max_people_from_test_numbers() > 30_000
True
>>> generated_numbers(3, seed=1).str.contains(r"^\d{8}-\d{4}$").all()
True
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.resources

import numpy as np
import polars as pl

from inkorg_kit import pnr

__all__ = [
    "MAX_AGE",
    "REFERENCE_DATE",
    "SWEDEN_2024",
    "generated_numbers",
    "generated_people",
    "impossible_samordningsnummer",
    "max_people_from_test_numbers",
    "people_from_test_numbers",
    "skatteverket_test_numbers",
    "test_number_pool",
]

SWEDEN_2024: dict[int, float] = {
    0: 535, 5: 600, 10: 640, 15: 620, 20: 580, 25: 660, 30: 720, 35: 720, 40: 650, 45: 640,
    50: 660, 55: 670, 60: 610, 65: 560, 70: 540, 75: 510, 80: 350, 85: 180, 90: 75, 95: 20,
    100: 2.5,
}  # fmt: skip
#: Share of women per band (approximate, same SCB table): more boys are born, women live longer.
_FEMALE_SHARE = {0: 0.486, 20: 0.49, 65: 0.51, 75: 0.54, 85: 0.62, 95: 0.75}
MAX_AGE = 104  # older test numbers (born 1890-1911) would make 115-year-olds

#: The reference date of the demo region (ages are counted at it).
REFERENCE_DATE = "2026-11-21"


def _read_packaged(name: str, column: str) -> pl.Series:
    resource = importlib.resources.files("inkorg_kit.data").joinpath(name)
    with resource.open("rb") as handle:
        frame = pl.read_csv(handle, schema={column: pl.String})
    return frame[column]


@functools.cache
def test_number_pool(reference_date: dt.date) -> pl.DataFrame:
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
    pool = test_number_pool(reference)
    pins = pool.filter(pl.col("kind") == "personnummer")
    cons = pool.filter((pl.col("kind") == "samordningsnummer") & (pl.col("age") >= 16))
    return pins, cons


def max_people_from_test_numbers(reference_date: dt.date | str = REFERENCE_DATE) -> int:
    """How many people a region of test numbers can hold (aged 0-104 at the reference date)."""
    pins, cons = _split_pool(pnr.as_date(reference_date))
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


def _pick(
    frame: pl.DataFrame, stratum: np.ndarray, counts: np.ndarray, rng: np.random.Generator
) -> pl.DataFrame:
    """Pick ``counts[s]`` rows at random from each stratum ``s`` (whole-column)."""
    key = rng.random(frame.height)
    ranked = pl.DataFrame({"s": stratum, "k": key}).select(
        pl.col("k").rank("ordinal").over("s").alias("r")
    )["r"]
    keep = ranked.to_numpy() <= counts[stratum]
    return frame.filter(pl.Series(keep))


def people_from_test_numbers(n: int, reference: dt.date, rng: np.random.Generator) -> pl.DataFrame:
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


def generated_people(n: int, reference: dt.date, rng: np.random.Generator) -> pl.DataFrame:
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
    n: int, seed: int = 0, *, reference_date: dt.date | str = REFERENCE_DATE
) -> pl.Series:
    """``n`` distinct check-digit-valid ``YYYYMMDD-NNNN`` numbers, made now, never stored.

    Birth dates follow the Swedish age pyramid at ``reference_date``; the birth number's last
    digit follows the sex split. They are not test numbers and may equal a real resident's:
    use them for benchmarks only, and write them only under ``out/`` or a temporary folder.
    """
    rng = np.random.default_rng(seed)
    return generated_people(n, pnr.as_date(reference_date), rng)["personnummer"]


@functools.cache
def impossible_samordningsnummer() -> pl.Series:
    """Test samordningsnummer whose dates cannot exist (30 February …): rejected as bad_date."""
    cons = _read_packaged("testsamordningsnummer.csv", "testsamordningsnummer")
    cleaned = pnr.clean(cons, reference_date="2100-01-01")
    return cons.filter((cleaned["reason"] == "bad_date").fill_null(False))
