"""The reach-and-plan summary as HTML: a reach table, a plan table and the follow-up
strategies side by side, with Swedish labels.

Why apart: the same HTML is the static view under papermill and the live panel's table, and a
browser test finds its rows by ``data-measure`` and its numbers by ``data-value`` (unrounded);
this module keeps that markup stable, in one place.
"""

from __future__ import annotations

import datetime as dt
import html

from inkorg_kit.ui.panel_outcome import PLAN_LABELS, Outcome
from inkorg_kit.ui.panel_state import count_text, percent_text
from inkorg_kit.vocab import WEEKDAYS_SHORT_SV

__all__ = ["strategy_html", "summary_html"]

#: The strategy table's rows, in order (codes of :data:`inkorg_kit.reach.strategies.MEASURES`).
STRATEGY_ROWS = (
    "read_1d",
    "read_3d",
    "read_7d",
    "letters",
    "reminders",
    "handler_hours",
    "cost_total",
    "saving_vs_letters",
)


def _when(moment: dt.datetime) -> str:
    return f"{WEEKDAYS_SHORT_SV[moment.weekday()]} {moment:%Y-%m-%d %H:%M}"


_PAD = "padding:2px 10px"


def _cell(text: str, value: float | None = None, align: str = "right") -> str:
    data = "" if value is None else f' data-value="{value:.6g}"'
    style = f"text-align:{align};{_PAD}" + (";white-space:nowrap" if align == "right" else "")
    return f'<td style="{style}"{data}>{html.escape(text)}</td>'


def hours_text(value: float | None) -> str:
    """Hours as the strategy table shows them: one decimal below 10 (a campaign of a few files
    takes part of an hour), whole hours above.

    >>> hours_text(0.4), hours_text(12.26)
    ('0,4', '12')
    """
    if value is None or value >= 10:
        return count_text(value)
    return f"{value:.1f}".replace(".", ",")


def _row_head(label: str) -> str:
    return f'<th scope="row" style="text-align:left;{_PAD}">{html.escape(label)}</th>'


def summary_html(outcome: Outcome) -> str:
    """The summary as stable HTML: a reach table and a plan table with Swedish labels.

    Rows carry ``data-measure`` (the measure code) and number cells ``data-value`` (the
    unrounded number), so a browser test can find them; the tables have ``data-testid``
    ``reach-summary`` and ``send-plan-summary``.
    """
    low, high = (round(q * 100) for q in outcome.result.interval)
    horizons_from = outcome.result.horizons_from
    reach_rows = []
    for row in outcome.summary.iter_rows(named=True):
        if row["measure"] in PLAN_LABELS:
            continue
        reach_rows.append(
            f'<tr data-measure="{html.escape(row["measure"])}">'
            + _row_head(row["label"])
            + _cell(count_text(row["expected"]), row["expected"])
            + _cell(count_text(row["low"]), row["low"])
            + _cell(count_text(row["high"]), row["high"])
            + _cell(percent_text(row["share"]), row["share"])
            + "</tr>"
        )
    parts = [
        '<div class="inkorg-summary">',
        '<table class="inkorg-reach-summary" data-testid="reach-summary">',
        '<caption style="text-align:left"><b>Räckvidd</b> (förväntat antal personer med '
        f"{low}–{high} %-intervall; läst inom en tid räknas {html.escape(horizons_from)}; "
        "läskurvan visar hela kampanjen i kalendertid)</caption>",
        "<thead><tr>"
        + "".join(
            f'<th style="{_PAD}">{head}</th>'
            for head in (
                "Mått",
                "Förväntat",
                f"Lågt ({low} %)",
                f"Högt ({high} %)",
                "Andel av målgruppen",
            )
        )
        + "</tr></thead>",
        "<tbody>",
        *reach_rows,
        "</tbody></table>",
    ]
    state, plan = outcome.state, outcome.plan
    facts: list[tuple[str, str, str, float | None]] = [
        (
            "handlers",
            "Handläggare",
            ", ".join(state.handler_list()),
            state.handlers,
        ),
        (
            "minutes_per_file",
            "Minuter per fil",
            f"{state.minutes_per_file:g}",
            state.minutes_per_file,
        ),
        ("windows", "Sändfönster", state.windows_text(), None),
        ("strategy", "Uppföljning", state.strategy_text(), None),
        (
            "max_messages_per_day",
            "Högst meddelanden per dag",
            count_text(state.max_messages_per_day) if state.max_messages_per_day else "inget tak",
            state.max_messages_per_day,
        ),
    ]
    if plan is not None:
        values = {r["measure"]: r for r in outcome.summary.iter_rows(named=True)}
        week = values["read_week_after_plan"]
        facts += [
            ("first_send", "Första utskick", _when(plan.files["start"].min()), None),
            ("plan_end", "Sista fil klar", _when(plan.end), None),
        ]
        facts += [
            (
                code,
                PLAN_LABELS[code],
                count_text(values[code]["expected"]),
                values[code]["expected"],
            )
            for code in (
                "plan_files",
                "plan_messages",
                "plan_reminder_files",
                "plan_reminder_messages",
                "plan_send_days",
            )
            if code in values
        ]
        facts.append(
            (
                "read_week_after_plan",
                PLAN_LABELS["read_week_after_plan"],
                f"{count_text(week['expected'])} ({percent_text(week['share'])} av meddelandena)",
                week["expected"],
            )
        )
    plan_rows = [
        f'<tr data-measure="{code}">' + _row_head(label) + _cell(text, value, "left") + "</tr>"
        for code, label, text, value in facts
    ]
    parts += [
        '<table class="inkorg-plan-summary" data-testid="send-plan-summary">',
        '<caption style="text-align:left"><b>Sändplan</b></caption>',
        "<tbody>",
        *plan_rows,
        "</tbody></table>",
    ]
    if plan is not None and plan.reminders is not None and plan.reminder_wave.height:
        parts.append(
            '<p class="inkorg-reminder-note">Påminnelsefilerna (paminnelse_001 …) är '
            "platshållare: de riktiga filerna görs i steg 04 från en statusexport, till dem som "
            "då ännu inte läst. Antalet rader är en övre uppskattning "
            f"({percent_text(outcome.reminder_share)} av varje fil).</p>"
        )
    if outcome.strategies is not None:
        parts.append(strategy_html(outcome))
    if outcome.problems:
        items = "".join(f"<li>{html.escape(p)}</li>" for p in outcome.problems)
        parts.append(
            f'<div class="inkorg-problems" style="color:#b00020"><b>Obs!</b><ul>{items}</ul></div>'
        )
    if outcome.warnings:
        items = "".join(f"<li>{html.escape(p)}</li>" for p in outcome.warnings)
        parts.append(
            f'<div class="inkorg-warnings" style="color:#8a5a00"><b>Observera:</b><ul>{items}'
            "</ul></div>"
        )
    parts.append("</div>")
    return "\n".join(parts)


def strategy_html(outcome: Outcome) -> str:
    """The follow-up strategies side by side: one column per strategy (the chosen one marked),
    expected with the interval below it; rows carry ``data-measure``, cells ``data-strategy``
    and ``data-value`` (unrounded expected); the table has ``data-testid`` ``strategies``."""
    comparison = outcome.strategies
    if comparison is None:
        return ""
    low, high = (round(q * 100) for q in comparison.interval)
    table = comparison.table
    codes = list(comparison.strategies)
    chosen = outcome.state.strategy
    heads = "".join(
        f'<th style="{_PAD}" data-strategy="{code}"'
        + (' class="inkorg-chosen"' if code == chosen else "")
        + f">{html.escape(comparison.label(code))}{' (vald)' if code == chosen else ''}</th>"
        for code in codes
    )
    values = {(r["strategy"], r["measure"]): r for r in table.iter_rows(named=True)}
    rows = []
    for measure in STRATEGY_ROWS:
        cells = []
        label = None
        for code in codes:
            row = values.get((code, measure))
            if row is None:
                cells.append(_cell("–"))
                continue
            label = row["label"]
            show = hours_text if measure == "handler_hours" else count_text
            text = f"{show(row['expected'])} ({show(row['low'])}–{show(row['high'])})"
            cell = _cell(text, row["expected"])
            cells.append(cell.replace("<td ", f'<td data-strategy="{code}" ', 1))
        if label is not None:
            rows.append(
                f'<tr data-measure="{measure}">' + _row_head(label) + "".join(cells) + "</tr>"
            )
    dates = {r["strategy"]: r for r in comparison.dates.iter_rows(named=True)}
    cells = "".join(
        f'<td data-strategy="{code}" style="text-align:right;{_PAD}">'
        + html.escape(f"{dates[code]['last_letter_at']:%Y-%m-%d}" if code in dates else "–")
        + "</td>"
        for code in codes
    )
    rows.append(
        '<tr data-measure="last_letter_at">' + _row_head("Sista brevet skickas") + cells + "</tr>"
    )
    return "\n".join(
        [
            '<table class="inkorg-strategies" data-testid="strategies">',
            '<caption style="text-align:left"><b>Uppföljning: strategier sida vid sida</b> '
            f"(förväntat, {low}–{high} %-intervall inom parentes; kostnad i kr)</caption>",
            f'<thead><tr><th style="{_PAD}">Mått</th>{heads}</tr></thead>',
            "<tbody>",
            *rows,
            "</tbody></table>",
        ]
    )
