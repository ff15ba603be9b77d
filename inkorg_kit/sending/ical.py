"""The send plan as iCalendar for Outlook: one event per file, in the handlers' calendars.

Why: the case handlers work from Outlook. Each file becomes an event at its planned time with
what to do (import, check, add the text, send) and no personnummer: the file's name, row
count, part and unit. Event UIDs come from the campaign and file names only, so importing a
re-run plan moves the events instead of adding copies, and SEQUENCE grows with every export.
A reminder-wave event (``wave`` ``påminnelse``) says so in its title, its category and its
``X-INKORG-WAVE``, and that its file is made in step 04 from a status export once it is due.
The time zone is written as a VTIMEZONE with yearly rules (the EU summer-time rule), the form
Outlook reads correctly; a zone without that rule is written as UTC.

>>> handler_slug("Åsa Öberg"), handler_slug("???")
('asa-oberg', 'handlaggare')
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from inkorg_kit.errors import ScheduleError
from inkorg_kit.sending.plan_csv import FIRST_WAVE, REMINDER_WAVE
from inkorg_kit.vocab import slug

__all__ = ["calendar_bytes", "handler_slug"]


def handler_slug(name: str) -> str:
    """An ASCII file-name part for a handler's name: 'Åsa Öberg' -> 'asa-oberg'."""
    return slug(name) or "handlaggare"


def _uid(campaign_name: str, file_name: str) -> str:
    digest = hashlib.sha256(f"{campaign_name}\x1f{file_name}".encode()).hexdigest()[:32]
    return f"{digest}@inkorg-kit"


def _last_sunday(year: int, month: int) -> dt.date:
    last = dt.date(year, month + 1, 1) - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() + 1) % 7)


def _eu_offsets(tz: ZoneInfo, years: range) -> tuple[dt.timedelta, dt.timedelta] | None:
    """(standard, summer) offsets if ``tz`` follows the EU rule in every one of ``years``.

    The EU rule: summer time from 01:00 UTC on the last Sunday of March to 01:00 UTC on the
    last Sunday of October. None when the zone does not follow it (then write UTC instead).
    """
    second = dt.timedelta(seconds=1)
    found: set[tuple[dt.timedelta, dt.timedelta]] = set()
    for year in years:
        offsets = []
        for month in (3, 10):
            switch = dt.datetime.combine(_last_sunday(year, month), dt.time(1), tzinfo=dt.UTC)
            offsets += [
                (switch - second).astimezone(tz).utcoffset(),
                switch.astimezone(tz).utcoffset(),
            ]
        standard, summer, summer_again, standard_again = offsets
        if not (standard == standard_again and summer == summer_again and summer > standard):
            return None
        found.add((standard, summer))  # type: ignore[arg-type]
    return found.pop() if len(found) == 1 else None


def _vtimezone(tz: ZoneInfo, years: range) -> Any | None:
    """A VTIMEZONE with yearly rules (RRULE), as Outlook expects; None if the zone has none.

    Why not ``add_missing_timezones``: it lists every change date (RDATE), and Outlook is
    reported to shift summer events by an hour with that form.
    """
    import icalendar  # ~0.1 s to import: only the calendar writers need it

    offsets = _eu_offsets(tz, years)
    if offsets is None:
        return None
    standard, summer = offsets
    first = years.start
    component = icalendar.Timezone()
    component.add("tzid", str(tz.key))
    for kind, month, offset_from, offset_to in (
        (icalendar.TimezoneDaylight, 3, standard, summer),
        (icalendar.TimezoneStandard, 10, summer, standard),
    ):
        part = kind()
        onset = dt.datetime.combine(_last_sunday(first, month), dt.time(1)) + offset_from
        part.add("dtstart", onset)  # local time before the change, as RFC 5545 wants
        part.add("tzoffsetfrom", offset_from)
        part.add("tzoffsetto", offset_to)
        part.add("rrule", {"freq": "yearly", "bymonth": month, "byday": "-1su"})
        mid_season = dt.datetime(first, 7 if month == 3 else 1, 15, 12, tzinfo=tz)
        part.add("tzname", mid_season.tzname() or str(tz.key))  # CEST, CET
        component.add_component(part)
    return component


def calendar_bytes(
    files: pl.DataFrame,
    handlers: Sequence[str],
    zone: ZoneInfo,
    campaign_name: str,
    *,
    handler: str | None = None,
    stamp: dt.datetime | None = None,
) -> bytes:
    """An iCalendar of a planned file table (one event per file), optionally one handler's.

    ``handlers`` are the plan's handlers (``handler`` must be one of them), ``zone`` its send
    windows' zone. ``stamp`` (now if None) sets DTSTAMP and the SEQUENCE that grows per minute.
    """
    import icalendar  # ~0.1 s to import: only the calendar writers need it

    campaign_name = str(campaign_name).strip()
    if not campaign_name:
        raise ScheduleError("to_ical: campaign_name must not be empty (it makes the event ids)")
    if handler is not None:
        if handler not in handlers:
            raise ScheduleError(
                f"to_ical: handler {handler!r} is not in this plan; choose one of {list(handlers)}"
            )
        files = files.filter(pl.col("handler") == handler)
    stamp = (stamp or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    # Outlook updates an imported event when the UID matches and SEQUENCE has grown.
    sequence = int((stamp - dt.datetime(2020, 1, 1, tzinfo=dt.UTC)).total_seconds() // 60)
    cal = icalendar.Calendar()
    cal.add("prodid", "-//inkorg-kit//send plan//SV")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    calendar_name = f"Utskick: {campaign_name}" + (f" ({handler})" if handler else "")
    cal.add("x-wr-calname", icalendar.vText(calendar_name))
    tz = zone
    timezone = None
    if files.height:
        years = range(files["start"].min().year - 1, files["end"].max().year + 1)
        timezone = _vtimezone(tz, years)
    if timezone is not None:
        cal.add_component(timezone)
    for row in files.iter_rows(named=True):  # one event per file
        wave = row.get("wave") or FIRST_WAVE
        reminder = wave == REMINDER_WAVE
        event = icalendar.Event()
        event.add("uid", _uid(campaign_name, row["file_name"]))
        event.add("dtstamp", stamp)
        event.add("sequence", sequence)
        what = f"påminnelse {row['file_name']}" if reminder else row["file_name"]
        event.add("summary", f"{row['handler']}: skicka {what} – {campaign_name}")
        start, end = row["start"].astimezone(tz), row["end"].astimezone(tz)
        if timezone is None:  # no yearly rule to describe the zone: plain UTC
            start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
        event.add("dtstart", start)
        event.add("dtend", end)
        lines = [
            f"Kampanj: {campaign_name}",
            f"Utskick: {wave}",
            f"Fil: {row['file_name']}",
            f"Antal mottagare (rader): {row['rows']}"
            + (" (uppskattat, högst så många)" if reminder else ""),
        ]
        if row.get("part") is not None:
            lines.append(f"Del: {row['part']}")
        if row.get("unit") is not None:
            lines.append(f"Enhet: {row['unit']}")
        if reminder:
            due = row.get("due")
            lines += [
                f"Påminnelse till dem som inte läst första meddelandet i: {row.get('covers')}",
                "Filen är en platshållare: den riktiga filen görs i steg 04 (notebook 04) från "
                "en statusexport"
                + (f" tagen tidigast {due.astimezone(tz):%Y-%m-%d %H:%M}." if due else "."),
            ]
        lines += [
            f"Handläggare: {row['handler']}",
            "Importera filen i Personalverktyget, kontrollera mottagarna, lägg till texten "
            "och skicka.",
        ]
        event.add("description", "\n".join(lines))
        event.add("categories", ["1177-utskick", wave])
        event.add("x-inkorg-wave", wave)
        event.add("transp", "OPAQUE")
        cal.add_component(event)
    return cal.to_ical()
