"""Swedish public holidays and the eves people take off: one table for the whole kit.

Why one table: send windows block these days and the reach model's daily rhythm treats them
as weekend; computed twice, the two drifted. Ordinary Sundays are not counted as holidays
(``holidays.SE`` counts every Sunday unless told not to).

>>> import datetime as dt
>>> eves(2027)[dt.date(2027, 6, 25)], public_holidays(2027)[dt.date(2027, 6, 26)]
('Midsommarafton', 'Midsommardagen')
>>> dt.date(2027, 12, 24) in days_off([2027]), dt.date(2027, 3, 14) in days_off([2027])
(True, False)
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable

import holidays

__all__ = ["EVE_LABELS", "days_off", "eves", "midsommarafton", "public_holidays"]

#: The eves people take off, as Swedish labels.
EVE_LABELS = ("Midsommarafton", "Julafton", "Nyårsafton")


def midsommarafton(year: int) -> dt.date:
    """Midsummer Eve: the Friday between 19 and 25 June."""
    first = dt.date(year, 6, 19)
    return first + dt.timedelta(days=(4 - first.weekday()) % 7)


@functools.lru_cache(maxsize=256)
def public_holidays(year: int) -> dict[dt.date, str]:
    """Swedish public holidays of ``year``, Swedish names, Sundays not counted as holidays."""
    try:
        cal = holidays.SE(years=year, include_sundays=False, language="sv")
    except (NotImplementedError, ValueError, TypeError, KeyError):  # very old package
        cal = holidays.SE(years=year, include_sundays=False)
    return {day: str(name) for day, name in cal.items()}


@functools.lru_cache(maxsize=256)
def eves(year: int) -> dict[dt.date, str]:
    """The three eves people take off; the package's own entries first, missing ones added."""
    found: dict[dt.date, str] = {}
    try:
        cal = holidays.SE(
            years=year, include_sundays=False, language="sv", categories=("de_facto",)
        )
        wanted = {label.lower(): label for label in EVE_LABELS}
        for day, name in cal.items():
            for part in str(name).split(";"):
                label = wanted.get(part.strip().lower())
                if label:
                    found[day] = label
    except (NotImplementedError, ValueError, TypeError, KeyError, AttributeError):
        pass  # older holidays versions have no de_facto category: computed below
    computed = {
        midsommarafton(year): "Midsommarafton",
        dt.date(year, 12, 24): "Julafton",
        dt.date(year, 12, 31): "Nyårsafton",
    }
    have = set(found.values())
    for day, label in computed.items():
        if label not in have:
            found[day] = label
    return found


def days_off(years: Iterable[int]) -> set[dt.date]:
    """Every public holiday and eve in ``years`` (not ordinary Sundays)."""
    out: set[dt.date] = set()
    for year in sorted(set(years)):
        out |= set(public_holidays(year)) | set(eves(year))
    return out
