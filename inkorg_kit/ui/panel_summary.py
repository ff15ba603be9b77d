"""The reach-and-plan summary as HTML: a reach table and a plan table with Swedish labels.

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

__all__ = ["summary_html"]


def _when(moment: dt.datetime) -> str:
    return f"{WEEKDAYS_SHORT_SV[moment.weekday()]} {moment:%Y-%m-%d %H:%M}"


_PAD = "padding:2px 10px"


def _cell(text: str, value: float | None = None, align: str = "right") -> str:
    data = "" if value is None else f' data-value="{value:.6g}"'
    style = f"text-align:{align};{_PAD}" + (";white-space:nowrap" if align == "right" else "")
    return f'<td style="{style}"{data}>{html.escape(text)}</td>'


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
            for code in ("plan_files", "plan_messages", "plan_send_days")
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
