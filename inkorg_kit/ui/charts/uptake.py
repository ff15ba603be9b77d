"""Chart of the outcome follow-up: the share who had done what the message asked, by days
after the message, per read status.

Why aggregates only: it takes the protected points of
:meth:`inkorg_kit.report.Published.uptake_curves` (the shown "gjort inom" cells, shares
rounded to 0.1 %), never person rows.
"""

from __future__ import annotations

import altair as alt
import polars as pl

__all__ = ["uptake_curves"]


def uptake_curves(
    curves: pl.DataFrame, *, event: str = "gjort det", title: str | None = None
) -> alt.LayerChart:
    """Kaplan-Meier share who had done it (``event``, e.g. "bokat blodtryckskontroll") at
    each published day, one line per status (``status``, ``days``, ``share``, ``low``,
    ``high``), with the 95 % intervals as error bars."""
    data = curves.with_columns(pl.col("share", "low", "high").round(3))
    order = data["status"].unique(maintain_order=True).to_list()
    colour = alt.Color("status:N", title=None, sort=order, legend=alt.Legend(orient="bottom"))
    base = alt.Chart(data).encode(
        x=alt.X("days:Q", title="Dagar efter meddelandet", scale=alt.Scale(zero=True)),
        color=colour,
    )
    bars = base.mark_errorbar(ticks=True).encode(y="low:Q", y2="high:Q")
    line = base.mark_line(point=True).encode(
        y=alt.Y(
            "share:Q",
            title=f"Andel som {event}",
            axis=alt.Axis(format="%"),
            scale=alt.Scale(domain=[0, 1]),
        ),
        tooltip=[
            alt.Tooltip("status:N", title="Status"),
            alt.Tooltip("days:Q", title="Dagar"),
            alt.Tooltip("share:Q", title="Andel", format=".1%"),
            alt.Tooltip("low:Q", title="Lägre gräns", format=".1%"),
            alt.Tooltip("high:Q", title="Övre gräns", format=".1%"),
        ],
    )
    return (bars + line).properties(
        title=title or f"Andel som {event}, per lässtatus", width=520, height=300
    )
