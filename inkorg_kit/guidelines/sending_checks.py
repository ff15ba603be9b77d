"""The checks of how a campaign goes out: at a fitting time, by named case handlers, with
another channel for those who do not read.

Why: messages notify residents' phones, so they must go out at fitting times, never at night
(seed 003), and not in the evening, at weekends or early in the morning (seed 004); calls
that go unread must reach the resident another way (seed 004); and the order names who sends
(seed 000). Each check takes a campaign and returns an :data:`Outcome`;
:mod:`inkorg_kit.guidelines.rules` names them.
"""

from __future__ import annotations

from inkorg_kit.config.campaign import Campaign
from inkorg_kit.config.windows import SendWindows
from inkorg_kit.guidelines.findings import Outcome, short_text
from inkorg_kit.guidelines.sources import G003_TIMES, G004_EVENINGS
from inkorg_kit.hours.working import outside_window_codes, outside_windows
from inkorg_kit.vocab import WEEKDAYS_SV

__all__ = ["NEEDS_OTHER_CHANNEL", "case_handlers", "other_channel", "send_time"]

#: Calls and similar: unread ones must reach the resident another way (seed 004).
NEEDS_OTHER_CHANNEL = frozenset(
    {"kallelse", "rebooking", "cancellation", "screening", "vaccination"}
)


def send_time(c: Campaign) -> Outcome:
    when = c.planned_send_start
    shown = f"{WEEKDAYS_SV[when.weekday()]} {when:%Y-%m-%d %H:%M}"
    windows = c.send_windows
    reason = outside_windows([when], windows)[0]
    if reason is not None:
        code = outside_window_codes([when], windows)[0]
        return (
            False,
            f"Planerad start {shown} ligger utanför sändfönstret: {reason}"
            f" (sändfönster {windows.describe()})."
            " Aviseringar plingar i mottagarnas telefoner.",
            G003_TIMES if code == "night" else G004_EVENINGS,
        )
    # The configured window may be wider than the guideline allows (evenings, weekends).
    fitting = SendWindows(timezone=windows.timezone)
    reason = outside_windows([when], fitting)[0]
    if reason is not None:
        code = outside_window_codes([when], fitting)[0]
        return (
            False,
            f"Planerad start {shown} ligger inom det inställda sändfönstret men utanför passande"
            f" tider: {reason} (passande: {fitting.describe()}).",
            G003_TIMES if code == "night" else G004_EVENINGS,
        )
    return True, f"Planerad start {shown} ligger inom sändfönstret: {windows.describe()}."


def other_channel(c: Campaign) -> Outcome:
    if c.followup.other_channel:
        return True, f"Annan kanal: {short_text(c.followup.other_channel)}"
    if c.category not in NEEDS_OTHER_CHANNEL:
        return True, "Ej tillämpligt: inte en kallelse eller liknande."
    return (
        False,
        f"{c.category_label}: bestäm hur den som inte läser (eller saknar inloggning) nås på annat"
        " sätt; ange followup.other_channel.",
    )


def case_handlers(c: Campaign) -> Outcome:
    if c.case_handlers:
        return True, f"Ärendehanterare: {', '.join(c.case_handlers)}."
    return False, "Inga ärendehanterare angivna: vem skickar? Ange case_handlers."
