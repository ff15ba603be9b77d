"""Sending: the send plan (who sends which file when, inside the send windows and the
handlers' capacity), its checks, and its files for people (CSV, iCalendar for Outlook)."""

from inkorg_kit.sending.checks import check_plan, day_summary, handler_names, validate_files
from inkorg_kit.sending.ical import calendar_bytes, handler_slug
from inkorg_kit.sending.plan import SendPlan, plan
from inkorg_kit.sending.plan_csv import PLAN_COLUMNS, read_plan_csv, write_plan_csv

__all__ = [
    "PLAN_COLUMNS",
    "SendPlan",
    "calendar_bytes",
    "check_plan",
    "day_summary",
    "handler_names",
    "handler_slug",
    "plan",
    "read_plan_csv",
    "validate_files",
    "write_plan_csv",
]
