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

The reminder wave (follow-up strategy ``reminder``, :class:`ReminderWave`): each first-wave
file's still-unread residents get a 1177 reminder R working hours after the file was sent.
Their files are made in step 04 from a status export, so the plan holds placeholders
(``paminnelse_001``, ...) sized from the reach model: the parts due the same day fill files of
at most ``part_size`` in due order, as a handler splits the day's list (a part may continue in
the next file); each starts at or after the due time of its last part,
inside the send windows and the handlers' capacity, interleaved with the first wave (a handler
takes whichever file can start first, a due reminder before a first-wave file at the same
minute).

>>> p = plan({"file_name": ["a.txt", "b.txt"], "rows": [250, 100]}, handlers=1,
...          minutes_per_file=30, earliest_start="2026-03-06 16:15")
>>> [f"{t:%a %H:%M}" for t in p.files["start"]], p.check()
(['Fri 16:15', 'Mon 08:00'], [])
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from inkorg_kit._files import write_private_bytes
from inkorg_kit.config.windows import NIGHT_FROM, NIGHT_UNTIL, SendWindows, as_windows
from inkorg_kit.errors import ScheduleError
from inkorg_kit.hours.parse import epoch_us, from_epoch_us, parse_datetime
from inkorg_kit.hours.working import HOUR_US, interval_table, table_for, worked_before
from inkorg_kit.sending.checks import (
    as_file_table,
    check_plan,
    day_summary,
    handler_names,
    validate_files,
)
from inkorg_kit.sending.ical import calendar_bytes, handler_slug
from inkorg_kit.sending.plan_csv import (
    FIRST_WAVE,
    PLAN_COLUMNS,
    REMINDER_WAVE,
    WAVE_COLUMNS,
    write_plan_csv,
)
from inkorg_kit.vocab import MAX_PART_SIZE

__all__ = ["REMINDER_STEM", "ReminderWave", "SendPlan", "plan", "reminder_file_name"]

#: The placeholder name of the reminder files in the plan (the real files come from step 04).
REMINDER_STEM = "paminnelse"


def reminder_file_name(k: int) -> str:
    """The plan's placeholder name of the ``k``-th reminder file (1-based): ``paminnelse_001``.

    >>> reminder_file_name(7)
    'paminnelse_007'
    """
    return f"{REMINDER_STEM}_{k:03d}"


@dataclasses.dataclass(frozen=True)
class ReminderWave:
    """A 1177 reminder to each first-wave file's unread, ``after_working_hours`` (R) of open
    send window after the file was sent (its planned end: by then every message of it is out).

    ``share`` is the share of each first-wave file's rows the plan reserves for the reminder
    (its rows rounded up): the caller takes it from the reach model, as an upper bound (the
    plan must hold the handler time and the daily cap for a wave that may come out larger than
    expected; a reminder file that turns out smaller takes the same handler time).
    ``part_size`` caps the rows of a reminder file (and so does the daily cap of messages).
    """

    after_working_hours: float
    share: float
    part_size: int = MAX_PART_SIZE

    def __post_init__(self) -> None:
        hours, share = self.after_working_hours, self.share
        if isinstance(hours, bool) or not (isinstance(hours, int | float) and 0 < hours < 1e5):
            raise ScheduleError(
                f"reminder after_working_hours must be a number above 0, got {hours!r}"
            )
        if isinstance(share, bool) or not (isinstance(share, int | float) and 0 <= share <= 1):
            raise ScheduleError(f"reminder share must be a number from 0 to 1, got {share!r}")
        size = self.part_size
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_PART_SIZE:
            raise ScheduleError(
                f"reminder part_size must be a whole number from 1 to {MAX_PART_SIZE}, got {size!r}"
            )

    def rows_for(self, rows: int) -> int:
        """The reminder rows reserved for a first-wave file of ``rows`` (rounded up)."""
        return min(int(rows), math.ceil(rows * self.share - 1e-9))


@dataclasses.dataclass
class _Group:
    """Reminder parts due the same day, merged into one file (while they fit)."""

    parts: list[int]
    rows: int
    due: int
    day: dt.date


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
    reminders: ReminderWave | None = None

    def check(self) -> list[str]:
        """Problems with the plan (empty when fine): files outside windows, overlaps, caps,
        reminder files before their due time or over their part size."""
        problems = check_plan(self.files, self.windows, self.max_messages_per_day)
        if self.reminders is not None:
            size = self.reminders.part_size
            big = self.reminder_wave.filter(pl.col("rows") > size)
            problems += [
                f"{name}: {rows} rows, above the reminder part size {size}"
                for name, rows in big.select("file_name", "rows").iter_rows()
            ]
        return problems

    @property
    def first_wave(self) -> pl.DataFrame:
        """The first wave's files (the recipient files of step 02)."""
        return self.files.filter(pl.col("wave") == FIRST_WAVE)

    @property
    def reminder_wave(self) -> pl.DataFrame:
        """The reminder wave's placeholder files (empty without a reminder wave)."""
        return self.files.filter(pl.col("wave") == REMINDER_WAVE)

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


def _covers(names: list[str]) -> str:
    """The first-wave files a reminder file is made from, every one named (step 04 and the
    handler read it: no "…")."""
    return ", ".join(names)


def plan(
    files: Any,
    *,
    handlers: int | Sequence[str] = 1,
    minutes_per_file: float = 10,
    max_messages_per_day: int | None = None,
    earliest_start: dt.datetime | dt.date | str,
    windows: SendWindows | Mapping[str, Any] | None = None,
    reminders: ReminderWave | None = None,
) -> SendPlan:
    """Plan when each recipient file is imported, checked and sent, and by whom.

    Files go in the given order (no file starts before an earlier one); each goes to the
    handler who can start it first. A file starts only if it fits before its window (or lunch)
    ends, and only if the day's messages, counted over all handlers, stay within
    ``max_messages_per_day``; otherwise it moves to the next interval or day. ``reminders``
    adds the reminder wave (:class:`ReminderWave`; see the module), counted in the same
    windows, handlers and daily cap.
    """
    windows = as_windows(windows)
    tz = windows.zone
    frame = as_file_table(files)
    if "wave" in frame.columns:
        if frame.filter(pl.col("wave") == REMINDER_WAVE).height:
            raise ScheduleError(
                "files holds reminder placeholders (wave 'påminnelse'): give the first-wave "
                "files only; the reminder wave is planned again from reminders="
            )
        frame = frame.drop([c for c in WAVE_COLUMNS if c in frame.columns])
    frame = validate_files(frame)
    if frame.height == 0:
        raise ScheduleError("files is empty: there is nothing to plan")
    if reminders is not None and not isinstance(reminders, ReminderWave):
        raise ScheduleError(f"reminders must be a ReminderWave or None, got {reminders!r}")
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
    # the window table as Python lists: the loop below looks up one moment at a time, where
    # bisect on a list is several times faster than numpy's searchsorted on one value
    starts, ends, days = table.starts.tolist(), table.ends.tolist(), table.days.tolist()

    def grow() -> None:
        nonlocal table, starts, ends, days
        span = table.last_year - table.first_year + 1
        table = interval_table(windows, table.first_year, table.last_year + span)
        starts, ends, days = table.starts.tolist(), table.ends.tolist(), table.days.tolist()

    def fit(t0: int, rows: int) -> tuple[int, int]:
        i = bisect.bisect_right(ends, t0)
        limit = t0 + 20 * 366 * 24 * HOUR_US
        while True:
            while i >= len(starts):
                grow()
            s = max(t0, starts[i])
            if s > limit:
                raise ScheduleError(
                    f"no send window within 20 years after {from_epoch_us(t0, tz):%Y-%m-%d}: "
                    f"check send_windows ({windows.describe()})"
                )
            if s + duration > ends[i]:
                i += 1
                continue
            day = days[i]
            if cap is not None and used.get(day, 0) + rows > cap:
                i = bisect.bisect_right(days, day)
                continue
            return s, day

    def after_working(t0: int, add: int) -> int:
        """The moment ``add`` microseconds of open window have passed after ``t0``."""
        while True:
            target = int(worked_before(table, np.array([t0], np.int64))[0]) + add
            if table.cum_end.size and target <= int(table.cum_end[-1]):
                break
            if table.last_year - table.first_year > 40:
                raise ScheduleError(
                    f"no reminder due time within 20 years: check send_windows "
                    f"({windows.describe()})"
                )
            grow()
        j = int(np.searchsorted(table.cum_end, target, side="left"))
        return int(table.starts[j]) + target - int(table.cum[j])

    def best(release: int, rows: int) -> tuple[int, int, int]:
        """(start, day, handler) of the handler who can start a file first."""
        found: tuple[int, int, int] | None = None
        for h in range(len(names)):
            s, day = fit(max(free[h], release), rows)
            if found is None or s < found[0]:
                found = (s, day, h)
        assert found is not None
        return found

    free = [earliest_us] * len(names)
    last_start = earliest_us
    rows_list = frame["rows"].to_list()
    file_names = frame["file_name"].to_list()
    first_starts = np.zeros(frame.height, np.int64)
    first_handlers: list[str] = [""] * frame.height
    # the reminder wave: one entry per planned reminder file
    reminder_rows: list[int] = []
    reminder_starts: list[int] = []
    reminder_handlers: list[str] = []
    reminder_due: list[int] = []
    reminder_covers: list[str] = []
    add_us = round(reminders.after_working_hours * HOUR_US) if reminders is not None else 0
    # a reminder file is sent whole, so it is no larger than the daily cap either
    size = min(reminders.part_size, cap or MAX_PART_SIZE) if reminders is not None else 0
    closed: list[_Group] = []  # full or of an earlier day: waiting for a handler
    open_group: _Group | None = None
    k = 0
    # a loop over files (hundreds), not people: each step plans the file that can start first
    while k < len(rows_list) or closed or open_group is not None:
        first = best(last_start, rows_list[k]) if k < len(rows_list) else None
        group = closed[0] if closed else open_group
        second = best(group.due, group.rows) if group is not None else None
        if second is not None and (first is None or second[0] <= first[0]):
            assert group is not None
            s, day, h = second
            if closed:
                closed.pop(0)
            else:
                open_group = None
            reminder_rows.append(group.rows)
            reminder_starts.append(s)
            reminder_handlers.append(names[h])
            reminder_due.append(group.due)
            reminder_covers.append(_covers([file_names[j] for j in group.parts]))
            rows = group.rows
        else:
            assert first is not None
            s, day, h = first
            first_starts[k] = s
            first_handlers[k] = names[h]
            last_start = s
            rows = rows_list[k]
            wanted = reminders.rows_for(rows) if reminders is not None else 0
            if wanted > 0:
                due = after_working(s + duration, add_us)
                due_day = from_epoch_us(due, tz).date()
                # the day's unread fill files of ``size`` in due order, as the handler splits
                # the day's list; a file's part may continue in the next reminder file
                while wanted > 0:
                    if open_group is None or open_group.day != due_day or open_group.rows >= size:
                        if open_group is not None:
                            closed.append(open_group)
                        open_group = _Group([], 0, due, due_day)
                    take = min(wanted, size - open_group.rows)
                    open_group.parts.append(k)
                    open_group.rows += take
                    open_group.due = max(open_group.due, due)
                    wanted -= take
            k += 1
        free[h] = s + duration
        used[day] = used.get(day, 0) + rows

    zone = str(tz.key)

    def times(values: Sequence[int] | np.ndarray, name: str) -> pl.Series:
        series = pl.Series(name, np.asarray(values, np.int64), dtype=pl.Int64)
        return series.cast(pl.Datetime("us", "UTC")).dt.convert_time_zone(zone)

    passthrough = [c for c in frame.columns if c not in PLAN_COLUMNS]
    planned = frame.select("file_name", "rows").with_columns(
        pl.Series("handler", first_handlers, dtype=pl.String),
        times(first_starts, "start"),
        times(first_starts + duration, "end"),
    )
    planned = pl.concat([planned, frame.select(passthrough)], how="horizontal").with_columns(
        pl.lit(FIRST_WAVE).alias("wave"),
        pl.lit(None, pl.Datetime("us", zone)).alias("due"),
        pl.lit(None, pl.String).alias("covers"),
    )
    if reminder_rows:
        starts = np.asarray(reminder_starts, np.int64)
        wave = pl.DataFrame(
            {
                "file_name": [reminder_file_name(j + 1) for j in range(len(reminder_rows))],
                "rows": pl.Series(reminder_rows, dtype=planned.schema["rows"]),
                "handler": reminder_handlers,
                "start": times(starts, "start"),
                "end": times(starts + duration, "end"),
                "wave": [REMINDER_WAVE] * len(reminder_rows),
                "due": times(reminder_due, "due"),
                "covers": reminder_covers,
            }
        )
        planned = pl.concat([planned, wave], how="diagonal_relaxed").select(planned.columns)
    ends = planned["end"]
    return SendPlan(
        files=planned,
        end=ends.max().astimezone(tz),  # type: ignore[union-attr]
        days=day_summary(planned),
        windows=windows,
        handlers=names,
        minutes_per_file=minutes,
        max_messages_per_day=cap,
        earliest_start=earliest,
        reminders=reminders,
    )
