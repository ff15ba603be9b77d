"""Send times as the reach model reads them: a send plan as a checked frame, and a short
Swedish label for one send time.

Why: "read within 24 hours" counts from each person's own message, so both the simulation and
the read curves need the plan's send times on the rhythm's clock. A plan comes as a
``SendPlan`` (its files' ``start``) or a frame with ``start`` and ``rows``; naive times are local
time, and a local time inside the spring daylight-saving gap is refused, not guessed.

>>> send_label(dt.datetime(2025, 3, 14, 15, 30))
'fre 2025-03-14 15:30'
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from inkorg_kit.reach.strata import as_frame, band_column
from inkorg_kit.vocab import BAND_OR_UNKNOWN, WEEKDAYS_SHORT_SV

__all__ = ["send_label", "send_times_frame"]


def send_label(when: dt.datetime) -> str:
    """A short Swedish label for a send time, e.g. ``fre 2025-03-14 15:30``."""
    return f"{WEEKDAYS_SHORT_SV[when.weekday()]} {when:%Y-%m-%d %H:%M}"


def send_times_frame(sends: Any, zone: ZoneInfo) -> pl.DataFrame:
    """A send plan as ``start`` (tz-aware, local in ``zone``), ``age_band`` and ``rows``,
    summed per send time and band and sorted; naive times are read as local time."""
    if isinstance(getattr(sends, "files", None), pl.DataFrame):  # a schedule.SendPlan
        sends = sends.files
    frame = as_frame(sends, "sends")
    missing = [c for c in ("start", "rows") if c not in frame.columns]
    if missing:
        raise ValueError(
            f"sends has columns {frame.columns}; it needs start (send time) and rows "
            f"(messages), optionally age_band; missing: {missing}"
        )
    if frame.schema["start"] == pl.String:
        frame = frame.with_columns(pl.col("start").str.to_datetime(time_unit="us"))
    start = pl.col("start")
    dtype = frame.schema["start"]
    if not isinstance(dtype, pl.Datetime):
        raise ValueError(f"sends: column start must be datetimes, got {dtype}")
    if getattr(dtype, "time_zone", None) is None:
        start = start.dt.replace_time_zone(str(zone), ambiguous="earliest", non_existent="null")
    else:
        start = start.dt.convert_time_zone(str(zone))
    if not frame.schema["rows"].is_integer() or frame.select((pl.col("rows") < 0).any()).item():
        raise ValueError("sends: column rows must hold whole numbers, 0 or more")
    band = (
        band_column(frame, "sends")
        if "age_band" in frame.columns
        else pl.lit(None, dtype=BAND_OR_UNKNOWN).alias("age_band")
    )
    out = frame.select(start.alias("start"), pl.col("rows").cast(pl.Int64), band)
    empty = frame["start"].null_count()
    if empty:
        raise ValueError(f"sends: column start has {empty} empty values")
    if out["start"].null_count():
        gap = frame.filter(out["start"].is_null())["start"].head(3).to_list()
        raise ValueError(
            f"sends: column start has local times that do not exist in {zone.key} (the spring "
            f"daylight-saving gap), e.g. {[str(t) for t in gap]}; give times with an offset"
        )
    return out.group_by("start", "age_band").agg(pl.col("rows").sum()).sort("start")
