"""The follow-up strategies side by side: a chart (letters, reads by day, cost, each with its
interval) and a Swedish table, both pure functions of a
:class:`~inkorg_kit.reach.strategies.StrategyComparison`.

Why here: the comparison (:mod:`inkorg_kit.reach.strategies`) computes aggregates; this module
only shows them, in Swedish, with no data beyond the comparison's table (a dozen rows per
strategy), so a notebook or the planner page never holds person rows behind a chart. Altair
with inline data only: the offline SVG renderer draws it, and nothing is fetched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import altair as alt
import polars as pl

from inkorg_kit.vocab import WEEKDAYS_SHORT_SV, whole_number

if TYPE_CHECKING:
    from inkorg_kit.reach.strategies import StrategyComparison

__all__ = ["TABLE_MEASURES", "strategy_chart", "strategy_table"]

#: The measures the table shows, in order (codes of :data:`inkorg_kit.reach.strategies.MEASURES`).
TABLE_MEASURES = (
    "read_1d",
    "read_3d",
    "read_7d",
    "letters",
    "letters_no_login",
    "letters_unread",
    "reminders",
    "messages_1177",
    "handler_hours",
    "cost_total",
    "saving_vs_letters",
)
_PANELS = {
    "letters": ("letters",),
    "reads": ("read_1d", "read_3d", "read_7d"),
    "cost": ("cost_total",),
}


def _panel_data(comparison: StrategyComparison, measures: tuple[str, ...]) -> pl.DataFrame:
    return comparison.table.filter(pl.col("measure").is_in(measures)).select(
        "strategy_label", "label", pl.col("expected", "low", "high").round(0)
    )


def _bars(
    data: pl.DataFrame, order: list[str], title: str, axis: str, *, grouped: bool = False
) -> alt.LayerChart:
    low, high = "low:Q", "high:Q"
    base = alt.Chart(data).encode(
        y=alt.Y("strategy_label:N", sort=order, title=None, axis=alt.Axis(labelLimit=320)),
        yOffset=alt.YOffset("label:N") if grouped else alt.YOffset(),
    )
    tooltip = [
        alt.Tooltip("strategy_label:N", title="Strategi"),
        alt.Tooltip("label:N", title="Mått"),
        alt.Tooltip("expected:Q", title="Förväntat", format=",.0f"),
        alt.Tooltip(low, title="Lägst (5 %)", format=",.0f"),
        alt.Tooltip(high, title="Högst (95 %)", format=",.0f"),
    ]
    bars = base.mark_bar().encode(
        x=alt.X("expected:Q", title=axis, axis=alt.Axis(format=",.0f")),
        color=alt.Color("label:N", title=None, legend=alt.Legend(orient="bottom"))
        if grouped
        else alt.value("#4c78a8"),
        tooltip=tooltip,
    )
    whiskers = base.mark_rule(color="black").encode(x=low, x2=high)
    return (bars + whiskers).properties(title=title, width=260)


def strategy_chart(comparison: StrategyComparison) -> alt.VConcatChart:
    """Letters to print, reads in 1177 by 1, 3 and 7 days, and total cost per strategy, bars
    for the expected value and whiskers for the interval; the cost panel includes the
    all-by-letter baseline."""
    low, high = (round(q * 100) for q in comparison.interval)
    order = list(dict.fromkeys(comparison.table["strategy_label"].to_list()))
    strategies_only = [label for label in order if label != comparison.label("all_letters")]
    letters = _bars(
        _panel_data(comparison, _PANELS["letters"]),
        order,
        "Brev att skriva ut",
        "Antal brev (förväntat)",
    )
    reads = _bars(
        _panel_data(comparison, _PANELS["reads"]).filter(
            pl.col("strategy_label").is_in(strategies_only)
        ),
        strategies_only,
        "Läst i 1177",
        "Antal lästa (förväntat)",
        grouped=True,
    )
    cost = _bars(
        _panel_data(comparison, _PANELS["cost"]), order, "Kostnad totalt", "Kronor (förväntat)"
    )
    return alt.vconcat(letters, reads, cost).properties(
        title=f"Uppföljningsstrategier: förväntat värde med {low}–{high} %-intervall"
    )


def _number(value: float, measure: str) -> str:
    if measure == "handler_hours":
        return f"{value:.1f}".replace(".", ",")
    return whole_number(round(value))


def _cell(expected: float, low: float, high: float, measure: str) -> str:
    text = _number(expected, measure)
    if high > low:
        text += f" ({_number(low, measure)}–{_number(high, measure)})"
    return text


def _when(value: object) -> str:
    if value is None:
        return "–"
    day = f"{WEEKDAYS_SHORT_SV[value.weekday()]} {value:%Y-%m-%d}"  # type: ignore[attr-defined]
    return f"{day} {value:%H:%M}" if hasattr(value, "hour") else day


def strategy_table(comparison: StrategyComparison) -> pl.DataFrame:
    """The comparison as a Swedish table: one row per measure, one column per strategy, each
    cell "förväntat (lägst–högst)"; then the dates (first and last letter, the last letter's
    arrival, the handlers done). Costs in kronor, rounded to whole kronor."""
    table = comparison.table.filter(pl.col("measure").is_in(TABLE_MEASURES))
    labels = {s: comparison.label(s) for s in (*comparison.strategies, "all_letters")}
    rows: dict[str, dict[str, str]] = {}
    names: dict[str, str] = {}
    for r in table.iter_rows(named=True):
        names[r["measure"]] = r["label"]
        cell = _cell(r["expected"], r["low"], r["high"], r["measure"])
        rows.setdefault(r["measure"], {})[labels[r["strategy"]]] = cell
    columns = list(labels.values())
    out = [
        {"Mått": names[m], **{c: rows[m].get(c, "–") for c in columns}}
        for m in TABLE_MEASURES
        if m in rows
    ]
    dates = {r["strategy"]: r for r in comparison.dates.iter_rows(named=True)}
    for key, title in (
        ("first_letter_at", "Första brevet skickas"),
        ("last_letter_at", "Sista brevet skickas"),
        ("last_letter_delivered", "Sista brevet framme (PostNord)"),
        ("sending_done_at", "Handläggarnas utskick klart"),
    ):
        out.append(
            {
                "Mått": title,
                **{labels[s]: _when(dates[s][key]) for s in comparison.strategies},
                labels["all_letters"]: "–",
            }
        )
    return pl.DataFrame(out, schema={"Mått": pl.String, **dict.fromkeys(columns, pl.String)})
