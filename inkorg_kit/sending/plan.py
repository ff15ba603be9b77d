"""The send plan: which handler imports, checks and sends which recipient file, and when.

Why: a campaign of 40,000 residents is 160 files of at most 250, each imported into
Personalverktyget, checked and sent by a case handler, inside the send windows. The planner
puts the files in order (none starts before an earlier one), each with the handler who can
start it first; a file starts only if it fits before its window or lunch break ends (a file
is never split over a window edge), and a day's messages over all handlers stay within the
cap, so the unit can answer the replies. The working time comes from the send windows'
interval table (:mod:`inkorg_kit.hours.working`); the checks of the inputs and of the plan
from :mod:`inkorg_kit.sending.checks`; the CSV and calendar files from
:mod:`~inkorg_kit.sending.plan_csv` and :mod:`~inkorg_kit.sending.ical`.

>>> p = plan({"file_name": ["a.txt", "b.txt"], "rows": [250, 100]}, handlers=1,
...          minutes_per_file=30, earliest_start="2026-03-06 16:15")
>>> [f"{t:%a %H:%M}" for t in p.files["start"]], p.check()
(['Fri 16:15', 'Mon 08:00'], [])
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from inkorg_kit._files import write_private_bytes
from inkorg_kit.config.windows import NIGHT_FROM, NIGHT_UNTIL, SendWindows, as_windows
from inkorg_kit.errors import ScheduleError
from inkorg_kit.hours.parse import epoch_us, from_epoch_us, parse_datetime
from inkorg_kit.hours.working import HOUR_US, interval_table, table_for
from inkorg_kit.sending.checks import (
    as_file_table,
    check_plan,
    day_summary,
    handler_names,
    validate_files,
)
from inkorg_kit.sending.ical import calendar_bytes, handler_slug
from inkorg_kit.sending.plan_csv import PLAN_COLUMNS, write_plan_csv

__all__ = ["SendPlan", "plan"]


@dataclasses.dataclass(frozen=True, eq=False)
class SendPlan:
    """Who sends which file when. ``files`` keeps the input order and any extra columns."""

    files: pl.DataFrame
    end: dt.datetime
    days: pl.DataFrame
    windows: SendWindows
    handlers: tuple[str, ...]
    minutes_per_file: float
    max_messages_per_day: int | None
    earliest_start: dt.datetime

    def check(self) -> list[str]:
        """Problems with the plan (empty when fine): files outside windows, overlaps, caps."""
        return check_plan(self.files, self.windows, self.max_messages_per_day)

    def warnings(self) -> list[str]:
        """Swedish warnings that do not make the plan wrong but go against the guidelines.

        A send window reaching into the night (before 06:00, after 22:00, seed 003), and how
        many files the plan puts there. :meth:`check` passes such a plan: it is inside the
        windows as configured.
        """
        found = self.windows.warnings()
        if self.files.height:
            local = self.files.select(
                pl.col("start", "end").dt.convert_time_zone(self.windows.timezone)
            )
            at_night = local.filter(
                (pl.col("start").dt.time() < NIGHT_UNTIL)
                | (pl.col("start").dt.time() >= NIGHT_FROM)
                | (pl.col("end").dt.time() > NIGHT_FROM)
                | (pl.col("end").dt.date() > pl.col("start").dt.date())
            ).height
            if at_night:
                found.append(
                    f"{at_night} av {self.files.height} filer skickas nattetid (före 06:00 eller "
                    "efter 22:00)."
                )
        return found

    def to_csv(self, path: str | Path) -> Path:
        """Write the plan as CSV for Excel (``;``, BOM); times as ISO 8601 with the offset."""
        return write_plan_csv(self.files, path)

    def to_ical(
        self,
        path: str | Path,
        campaign_name: str,
        *,
        handler: str | None = None,
        stamp: dt.datetime | None = None,
    ) -> Path:
        """Write an iCalendar file (one event per file) for Outlook; optionally one handler's.

        UIDs come from the campaign name and file name only, so importing a re-run plan moves
        the events instead of adding copies. No personnummer: name, row count, part, unit.
        """
        data = calendar_bytes(
            self.files,
            self.handlers,
            self.windows.zone,
            campaign_name,
            handler=handler,
            stamp=stamp,
        )
        return write_private_bytes(path, data)

    def handler_file_parts(self) -> dict[str, str]:
        """Each handler with files -> the ASCII part of their calendar's file name, unique
        (``Lena Holm`` -> ``lena-holm``; a second ``lena-holm`` -> ``lena-holm-2``)."""
        out: dict[str, str] = {}
        planned = set(self.files["handler"].to_list())
        for handler in self.handlers:
            if handler not in planned:
                continue
            slug = handler_slug(handler)
            name, k = slug, 1
            while name in out.values():
                k += 1
                name = f"{slug}-{k}"
            out[handler] = name
        return out

    def to_ical_by_handler(
        self,
        folder: str | Path,
        campaign_name: str,
        *,
        stem: str = "send_plan",
        stamp: dt.datetime | None = None,
    ) -> dict[str, Path]:
        """One iCalendar file per handler, ``<stem>_<handler>.ics``, so each imports only theirs.

        The handler part of the name is ASCII (``Lena Holm`` -> ``lena-holm``); returns
        handler -> path. Handlers without files get no file.
        """
        folder = Path(folder)
        out: dict[str, Path] = {}
        for handler, part in self.handler_file_parts().items():
            out[handler] = self.to_ical(
                folder / f"{stem}_{part}.ics", campaign_name, handler=handler, stamp=stamp
            )
        return out


def plan(
    files: Any,
    *,
    handlers: int | Sequence[str] = 1,
    minutes_per_file: float = 10,
    max_messages_per_day: int | None = None,
    earliest_start: dt.datetime | dt.date | str,
    windows: SendWindows | Mapping[str, Any] | None = None,
) -> SendPlan:
    """Plan when each recipient file is imported, checked and sent, and by whom.

    Files go in the given order (no file starts before an earlier one); each goes to the
    handler who can start it first. A file starts only if it fits before its window (or lunch)
    ends, and only if the day's messages, counted over all handlers, stay within
    ``max_messages_per_day``; otherwise it moves to the next interval or day.
    """
    windows = as_windows(windows)
    tz = windows.zone
    frame = validate_files(as_file_table(files))
    if frame.height == 0:
        raise ScheduleError("files is empty: there is nothing to plan")
    names = handler_names(handlers)
    try:
        minutes = float(minutes_per_file)
    except (TypeError, ValueError) as exc:
        raise ScheduleError(f"minutes_per_file must be a number, got {minutes_per_file!r}") from exc
    if not (np.isfinite(minutes) and minutes > 0):
        raise ScheduleError(f"minutes_per_file must be above 0, got {minutes_per_file!r}")
    duration = round(minutes * 60_000_000)
    longest = max(
        (dt.datetime.combine(dt.date(2001, 1, 1), b) - dt.datetime.combine(dt.date(2001, 1, 1), a))
        for a, b in windows.segments()
    )
    if dt.timedelta(microseconds=duration) > longest:
        raise ScheduleError(
            f"minutes_per_file={minutes:g} does not fit in the longest send interval of a day "
            f"({longest.total_seconds() / 60:g} minutes: {windows.describe()}); "
            "a file is never split over a window edge"
        )
    cap = None
    if max_messages_per_day is not None:
        if isinstance(max_messages_per_day, bool) or int(max_messages_per_day) < 1:
            raise ScheduleError(
                f"max_messages_per_day must be 1 or more (or empty for no cap), "
                f"got {max_messages_per_day!r}"
            )
        cap = int(max_messages_per_day)
        too_big = frame.filter(pl.col("rows") > cap)
        if too_big.height:
            example = too_big.row(0, named=True)
            raise ScheduleError(
                f"max_messages_per_day={cap} is smaller than {too_big.height} file(s), e.g. "
                f"{example['file_name']!r} with {example['rows']} rows; a file is sent whole, so "
                f"raise the cap to at least {int(too_big['rows'].max())} or cut smaller files"
            )
    earliest = parse_datetime(earliest_start, tz)
    earliest_us = epoch_us(earliest)

    table = table_for(windows, earliest_us, earliest_us)
    used: dict[int, int] = {}

    def fit(t0: int, rows: int) -> tuple[int, int]:
        nonlocal table
        i = int(np.searchsorted(table.ends, t0, side="right"))
        limit = t0 + 20 * 366 * 24 * HOUR_US
        while True:
            while i >= table.starts.size:
                span = table.last_year - table.first_year + 1
                table = interval_table(windows, table.first_year, table.last_year + span)
            s = max(t0, int(table.starts[i]))
            if s > limit:
                raise ScheduleError(
                    f"no send window within 20 years after {from_epoch_us(t0, tz):%Y-%m-%d}: "
                    f"check send_windows ({windows.describe()})"
                )
            if s + duration > int(table.ends[i]):
                i += 1
                continue
            day = int(table.days[i])
            if cap is not None and used.get(day, 0) + rows > cap:
                i = int(np.searchsorted(table.days, day, side="right"))
                continue
            return s, day

    free = [earliest_us] * len(names)
    last_start = earliest_us
    rows_list = frame["rows"].to_list()
    starts = np.zeros(frame.height, np.int64)
    chosen: list[str] = []
    for k, rows in enumerate(rows_list):  # a loop over files (hundreds), not people
        best: tuple[int, int, int] | None = None
        for h in range(len(names)):
            s, day = fit(max(free[h], last_start), rows)
            if best is None or s < best[0]:
                best = (s, day, h)
        assert best is not None
        s, day, h = best
        starts[k] = s
        free[h] = s + duration
        last_start = s
        used[day] = used.get(day, 0) + rows
        chosen.append(names[h])

    zone = str(tz.key)
    start_col = pl.Series("start", starts, dtype=pl.Int64).cast(pl.Datetime("us", "UTC"))
    end_col = pl.Series("end", starts + duration, dtype=pl.Int64).cast(pl.Datetime("us", "UTC"))
    passthrough = [c for c in frame.columns if c not in PLAN_COLUMNS]
    planned = frame.select("file_name", "rows").with_columns(
        pl.Series("handler", chosen, dtype=pl.String),
        start_col.dt.convert_time_zone(zone),
        end_col.dt.convert_time_zone(zone),
    )
    planned = pl.concat([planned, frame.select(passthrough)], how="horizontal")
    return SendPlan(
        files=planned,
        end=from_epoch_us(int((starts + duration).max()), tz),
        days=day_summary(planned),
        windows=windows,
        handlers=names,
        minutes_per_file=minutes,
        max_messages_per_day=cap,
        earliest_start=earliest,
    )
