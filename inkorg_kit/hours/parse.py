"""Reading dates and times as the kit does: Swedish local time unless an offset is given.

Why: campaigns, extracts and papermill parameters give times as text ("2027-03-16 09:00"),
naive datetimes, dates, numpy or pandas values; every one of them is read here, on the
Stockholm clock, so that "09:00" means the same in every step. Whole columns are parsed at
once (:func:`to_times`) and results given back in the shape they came in.

>>> parse_datetime("2027-03-16 09:00").isoformat()
'2027-03-16T09:00:00+01:00'
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from inkorg_kit.errors import ScheduleError
from inkorg_kit.privacy import mask_in_text
from inkorg_kit.vocab import TIME_ZONE_NAME

__all__ = [
    "Times",
    "epoch_us",
    "from_epoch_us",
    "give_back_numbers",
    "give_back_times",
    "parse_date",
    "parse_datetime",
    "to_times",
]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_US = dt.timedelta(microseconds=1)


def parse_date(value: dt.date | dt.datetime | str, name: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise ScheduleError(f"{name}: could not read {value!r} as a date; use 'YYYY-MM-DD'")


def parse_datetime(value: Any, zone: ZoneInfo | str = TIME_ZONE_NAME) -> dt.datetime:
    """A tz-aware datetime in ``zone`` from a datetime, a date (midnight) or an ISO string.

    Naive datetimes and strings without an offset are local time in ``zone``; papermill passes
    strings like "2026-03-02 08:00" or "2026-03-02".
    """
    tz = ZoneInfo(zone) if isinstance(zone, str) else zone
    original = value
    if isinstance(value, np.datetime64):
        value = value.astype("datetime64[us]").item()
    if isinstance(value, str):
        text = value.strip().replace("/", "-")
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError as exc:
            raise ScheduleError(
                f"could not read {mask_in_text(original)!r} as a date or time; "
                "use 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM' (local time)"
            ) from exc
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
            return value.replace(tzinfo=tz)
        return value.astimezone(tz)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(0), tzinfo=tz)
    raise ScheduleError(
        f"could not read {mask_in_text(repr(original))} ({type(original).__name__}) as a date "
        "or time; "
        "give a datetime, a date or a string 'YYYY-MM-DD HH:MM'"
    )


def epoch_us(moment: dt.datetime) -> int:
    return (moment - _EPOCH) // _US


def from_epoch_us(value: int, tz: ZoneInfo) -> dt.datetime:
    return (_EPOCH + dt.timedelta(microseconds=int(value))).astimezone(tz)


@dataclasses.dataclass(frozen=True)
class Times:
    """Instants as UTC epoch microseconds, with a validity mask and how to give results back."""

    us: np.ndarray  # int64, 0 where invalid
    valid: np.ndarray  # bool
    kind: str  # scalar | polars | numpy | pandas | list
    name: str = ""


def _parse_text_series(series: pl.Series, tz: ZoneInfo) -> pl.Series:
    """ISO strings to datetimes; the first value that is not one is named in the error."""
    text = series.str.strip_chars().str.replace_all("/", "-")
    try:
        return text.str.to_datetime(time_unit="us", strict=True)
    except pl.exceptions.PolarsError:
        pass
    # The error path only: find the culprit (or read mixed formats one by one).
    moments = []
    for i, value in enumerate(text.to_list()):
        if value is None:
            moments.append(None)
            continue
        try:
            moments.append(parse_datetime(value, tz))
        except ScheduleError:
            where = f" {series.name!r}" if series.name else ""
            raise ScheduleError(
                f"times{where}, value {i}: could not read {mask_in_text(value)!r} as a date or "
                "time; use 'YYYY-MM-DD HH:MM' (local time) or ISO 8601 with an offset"
            ) from None
    return pl.Series(series.name, moments, dtype=pl.Datetime("us", str(tz.key)))


def _series_to_us(series: pl.Series, tz: ZoneInfo) -> tuple[np.ndarray, np.ndarray]:
    if series.dtype == pl.String:
        series = _parse_text_series(series, tz)
    if series.dtype == pl.Date:
        series = series.cast(pl.Datetime("us"))
    if not isinstance(series.dtype, pl.Datetime):
        raise ScheduleError(
            f"times {series.name!r}: expected datetimes, dates or ISO strings, got {series.dtype}"
        )
    skipped = np.zeros(0, np.int64)
    naive = series
    if series.dtype.time_zone is None:  # type: ignore[union-attr]
        series = naive.dt.replace_time_zone(str(tz.key), ambiguous="earliest", non_existent="null")
        skipped = np.flatnonzero((series.is_null() & naive.is_not_null()).to_numpy())
    us = series.dt.epoch("us")
    valid = us.is_not_null().to_numpy().copy()
    out = us.fill_null(0).to_numpy().astype(np.int64)
    for i in skipped:  # wall-clock times skipped by spring DST (rare): read them as zoneinfo does
        out[i] = epoch_us(parse_datetime(naive[int(i)], tz))
        valid[i] = True
    return out, valid


def to_times(values: Any, tz: ZoneInfo, what: str = "times") -> Times:
    if isinstance(values, pl.Series):
        us, valid = _series_to_us(values, tz)
        return Times(us, valid, "polars", values.name)
    if type(values).__module__.startswith("pandas") and hasattr(values, "index"):
        us, valid = _series_to_us(pl.from_pandas(values), tz)
        return Times(us, valid, "pandas", str(getattr(values, "name", "") or ""))
    if isinstance(values, np.ndarray):
        if np.issubdtype(values.dtype, np.datetime64):
            us, valid = _series_to_us(pl.Series(values.astype("datetime64[us]")), tz)
            return Times(us, valid, "numpy")
        values = values.tolist()
    if isinstance(values, str | dt.date | np.datetime64):
        moment = parse_datetime(values, tz)
        return Times(np.array([epoch_us(moment)], np.int64), np.array([True]), "scalar")
    if isinstance(values, Iterable):
        items = list(values)
        us = np.zeros(len(items), np.int64)
        valid = np.zeros(len(items), bool)
        for i, item in enumerate(items):
            if item is None:
                continue
            us[i] = epoch_us(parse_datetime(item, tz))
            valid[i] = True
        return Times(us, valid, "list")
    raise ScheduleError(
        f"{what}: expected a datetime, a date, a string, or a list/Series/array of them; "
        f"got {type(values).__name__}"
    )


def give_back_times(us: np.ndarray, valid: np.ndarray, like: Times, tz: ZoneInfo) -> Any:
    if like.kind == "scalar":
        return from_epoch_us(int(us[0]), tz) if valid[0] else None
    series = (
        pl.Series(like.name, us, dtype=pl.Int64)
        .scatter(np.flatnonzero(~valid), None)
        .cast(pl.Datetime("us", "UTC"))
        .dt.convert_time_zone(str(tz.key))
    )
    if like.kind == "polars":
        return series
    if like.kind == "pandas":
        return series.to_pandas()
    if like.kind == "numpy":  # numpy has no zones: give local wall-clock time, as it came in
        return series.dt.replace_time_zone(None).to_numpy()
    return series.to_list()


def give_back_numbers(values: np.ndarray, like: Times, name: str) -> Any:
    if like.kind == "scalar":
        return float(values[0])
    if like.kind == "polars":
        return pl.Series(name, values, dtype=pl.Float64).fill_nan(None)
    if like.kind == "pandas":
        return pl.Series(name, values, dtype=pl.Float64).to_pandas()
    if like.kind == "numpy":
        return values
    return [None if np.isnan(v) else float(v) for v in values]
