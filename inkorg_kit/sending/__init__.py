"""Sending: the send plan (who sends which file when, inside the send windows and the
handlers' capacity; the reminder wave too), its checks, and its files for people (CSV,
iCalendar for Outlook)."""

from inkorg_kit.sending.checks import check_plan, day_summary, handler_names, validate_files
from inkorg_kit.sending.ical import calendar_bytes, handler_slug
from inkorg_kit.sending.plan import (
    REMINDER_STEM,
    ReminderWave,
    SendPlan,
    plan,
    reminder_file_name,
)
from inkorg_kit.sending.plan_csv import (
    FIRST_WAVE,
    PLAN_COLUMNS,
    REMINDER_WAVE,
    WAVE_COLUMNS,
    WAVES,
    read_plan_csv,
    write_plan_csv,
)

__all__ = [
    "FIRST_WAVE",
    "PLAN_COLUMNS",
    "REMINDER_STEM",
    "REMINDER_WAVE",
    "WAVES",
    "WAVE_COLUMNS",
    "ReminderWave",
    "SendPlan",
    "calendar_bytes",
    "check_plan",
    "day_summary",
    "handler_names",
    "handler_slug",
    "plan",
    "read_plan_csv",
    "reminder_file_name",
    "validate_files",
    "write_plan_csv",
]
