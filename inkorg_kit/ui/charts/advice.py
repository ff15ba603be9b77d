"""The send-time advice as a small heat map: start day by start hour, coloured by the share read
within 24 hours, the best start outlined.

Why a chart: the planner sees at a glance that a Friday-afternoon start loses reading time to
the weekend and which start of the week is best; the tooltip (and the page's sentence beside
it) gives the expected letters. Aggregates only (:class:`~inkorg_kit.reach.advice.SendTimeAdvice`
holds no people); drawn offline like the kit's other charts (SVG by vl-convert in the page).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import altair as alt
import polars as pl

if TYPE_CHECKING:
    from inkorg_kit.reach.advice import SendTimeAdvice

__all__ = ["send_time_heatmap"]


def send_time_heatmap(advice: SendTimeAdvice, chosen: dt.datetime | None = None) -> alt.LayerChart:
    """Day x hour cells coloured by the share read within 24 hours, each labelled with it and
    the expected letters (a static SVG shows no tooltip); the best start outlined in black,
    ``chosen`` (the plan's start) dashed grey when it is a cell."""
    best_day, best_time = advice.best.date(), f"{advice.best:%H:%M}"
    data = advice.cells.select(
        "day_label",
        "time",
        (pl.col("read_24h_share") * 100).round(1).alias("percent"),
        pl.col("read_24h").round(0).alias("read"),
        pl.col("letters").round(0),
        ((pl.col("day") == best_day) & (pl.col("time") == best_time)).alias("best"),
        (
            (pl.col("day") == chosen.date()) & (pl.col("time") == f"{chosen:%H:%M}")
            if chosen is not None
            else pl.lit(False)
        ).alias("chosen"),
    ).with_columns(  # "38,8 %" over "1 845 brev": a decimal comma, spaces in thousands
        (
            pl.col("percent").round(1).cast(pl.String).str.replace(".", ",", literal=True)
            + " %\n"
            + pl.col("letters")
            .cast(pl.Int64)
            .map_elements(lambda n: f"{n:,}".replace(",", " "), return_dtype=pl.String)
            + " brev"
        ).alias("text"),
    )
    days = list(dict.fromkeys(data["day_label"].to_list()))
    times = sorted(set(data["time"].to_list()))
    base = alt.Chart(data).encode(
        x=alt.X("time:O", sort=times, title="Starttid", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("day_label:O", sort=days, title=None),
    )
    low, high = float(data["percent"].min()), float(data["percent"].max())
    cells = base.mark_rect().encode(
        color=alt.Color(
            "percent:Q",
            title="Läst inom 24 h (%)",
            scale=alt.Scale(scheme="blues", domain=[low, max(high, low + 0.1)]),
            legend=alt.Legend(orient="bottom", format=".1f"),
        ),
        tooltip=[
            alt.Tooltip("day_label:N", title="Dag"),
            alt.Tooltip("time:N", title="Starttid"),
            alt.Tooltip("percent:Q", title="Läst inom 24 h (%)", format=".1f"),
            alt.Tooltip("read:Q", title="Läst inom 24 h (personer)", format=",.0f"),
            alt.Tooltip("letters:Q", title="Brev (förväntat)", format=",.0f"),
        ],
    )
    labels = base.mark_text(fontSize=10, lineBreak="\n").encode(
        text="text:N",
        color=alt.condition(
            alt.datum.percent > (low + high) / 2, alt.value("white"), alt.value("black")
        ),
    )
    chosen_mark = base.transform_filter(alt.datum.chosen).mark_rect(
        fill=None, stroke="#888888", strokeWidth=2, strokeDash=[4, 2]
    )
    best_mark = base.transform_filter(alt.datum.best).mark_rect(
        fill=None, stroke="black", strokeWidth=3
    )
    return (cells + labels + chosen_mark + best_mark).properties(
        title="Bästa starttid: andel som läser inom 24 timmar, och brev (svart ram = bäst)",
        width=max(240, 64 * len(times)),
        height=36 * len(days),
    )
