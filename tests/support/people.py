"""The tests' people: Skatteverket's published test personnummer, read once, and the few ways
the tests draw from them.

Why one pool: no real person may appear in a test, so every personnummer a test writes is one
of Skatteverket's test numbers (the copy the package ships) or one made invalid on purpose.
The file is read here only; each variant below is a small function on top of
:func:`skatteverket_numbers`.
"""

from __future__ import annotations

import functools

import numpy as np
import polars as pl

from inkorg_kit import pnr, reach
from inkorg_kit.run import FRAME_SCHEMAS, check_frame

from .paths import SKATTEVERKET_PNR_CSV

__all__ = [
    "PANEL_GROUP_SIZE",
    "SEND_DAY",
    "TWO_UNITS",
    "messy_list",
    "panel_target_group",
    "shuffled_adults",
    "skatteverket_numbers",
    "with_wrong_check_digit",
]

#: the demo campaign's planned send day: ages are counted on it
SEND_DAY = "2027-03-16"
#: two care units; the second's name has a space and an Ö, which file names must cope with
TWO_UNITS = ("SE2321000032-VCSOLB", "SE2321000032-BVC Öst")
#: people in :func:`panel_target_group`: 20 files of 240 (balanced parts of at most 250)
PANEL_GROUP_SIZE = 4800


@functools.cache
def skatteverket_numbers() -> tuple[str, ...]:
    """Skatteverket's test personnummer as ``YYYYMMDD-NNNN``, in file order (all of them
    valid). Formatted by hand, not by the kit: the kit is what the tests check."""
    lines = SKATTEVERKET_PNR_CSV.read_text(encoding="utf-8").splitlines()
    assert lines[0].strip() == "testpersonnummer", lines[0]
    digits = [line.strip() for line in lines[1:] if line.strip()]
    return tuple(f"{d[:8]}-{d[8:]}" for d in digits)


def shuffled_adults(count: int | None = None, *, at: str = SEND_DAY, seed: int = 0) -> pl.Series:
    """The test numbers of people aged 16-99 on ``at``, shuffled with ``seed``; the first
    ``count`` of them (all when ``count`` is None)."""
    numbers = pl.Series("personnummer", skatteverket_numbers())
    adults = numbers.filter(pnr.age_at(numbers, at).is_between(16, 99))
    picked = adults.gather(np.random.default_rng(seed).permutation(adults.len()))
    return picked if count is None else picked.head(count)


def panel_target_group() -> pl.DataFrame:
    """Step 03's reach panel's target group: everyone aged 65-84, then 45-64 up to
    :data:`PANEL_GROUP_SIZE`, in one unit.

    The shape notebook 01 writes (:func:`as_target_group`).
    """
    people = (
        pl.DataFrame({"personnummer": skatteverket_numbers()})
        .with_columns(age=pnr.age_at("personnummer", SEND_DAY), sex=pnr.legal_sex("personnummer"))
        .with_columns(reach.age_band("age"))
        .filter(pl.col("age").is_between(45, 84))
        .sort(pl.col("age") < 65, "personnummer")  # the older first, so all 65-84 are kept
        .head(PANEL_GROUP_SIZE)
        .with_columns(unit_hsa_id=pl.lit("SE2321000032-VCSOLB"))
    )
    assert people.height == PANEL_GROUP_SIZE
    return as_target_group(people)


def as_target_group(people: pl.DataFrame) -> pl.DataFrame:
    """``people`` (``personnummer`` and any of step 01's columns) as step 01 writes its target
    group: the run-folder contract's columns in order (``FRAME_SCHEMAS["target_group"]``);
    age, sex and age band from the personnummer on :data:`SEND_DAY` when missing, one contact
    each, no unit or last contact unless given."""
    frame = people
    if "age" not in frame.columns:
        frame = frame.with_columns(age=pnr.age_at("personnummer", SEND_DAY))
    if "sex" not in frame.columns:
        frame = frame.with_columns(sex=pnr.legal_sex("personnummer"))
    if "age_band" not in frame.columns:
        frame = frame.with_columns(reach.age_band("age"))
    defaults = {
        "kind": pl.lit("personnummer"),
        "unit_hsa_id": pl.lit(None),
        "last_contact": pl.lit(None),
        "contacts": pl.lit(1),
        "first_row": pl.int_range(pl.len()),
    }
    frame = frame.with_columns(**{k: v for k, v in defaults.items() if k not in frame.columns})
    schema = FRAME_SCHEMAS["target_group"].columns
    return check_frame(frame.select(pl.col(n).cast(t) for n, t in schema.items()), "target_group")


def with_wrong_check_digit(number: str) -> str:
    """``number`` with its last digit changed: a personnummer no person can have."""
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def messy_list(n_ok: int = 600, *, seed: int = 0) -> tuple[pl.DataFrame, dict]:
    """A list as analysts get it: ``n_ok`` good numbers in mixed formats, duplicates, blanks,
    bad numbers, the two units of :data:`TWO_UNITS`.

    Returns the frame (columns ``personnummer``, ``enhet``) and the expected funnel.
    """
    rng = np.random.default_rng(seed)
    pool = skatteverket_numbers()
    chosen = [pool[i] for i in rng.choice(len(pool), n_ok + 5, replace=False)]
    good, spare = chosen[:n_ok], chosen[n_ok:]

    def shape(number: str, k: int) -> str:
        digits = number.replace("-", "")
        return [
            number,
            digits,
            f"{digits[:2]} {digits[2:8]}-{digits[8:]}",  # Cosmic: a space inside the year
            f"{digits[:8]}\u2013{digits[8:]}",  # en dash from Word
            f" {number} ",
        ][k % 5]

    values = [shape(p, i) for i, p in enumerate(good)]
    duplicates = [shape(good[i], i + 1) for i in range(0, min(40, n_ok), 2)]
    bad = [with_wrong_check_digit(p) for p in spare]
    junk = ["", "  ", "19000101-T220", "1.99E+11", "okänd"]
    values += duplicates + bad + junk
    order = rng.permutation(len(values))
    values = [values[i] for i in order]
    units = [TWO_UNITS[i % 2] for i in range(len(values))]
    frame = pl.DataFrame({"personnummer": values, "enhet": units})
    expected = {
        "input_rows": len(values),
        "sent_out": n_ok,
        "duplicates": len(duplicates),
        "rejected_total": len(bad) + len(junk),
    }
    return frame, expected
