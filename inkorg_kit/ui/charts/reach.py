"""Charts of the reach estimate (step 03): the reach funnel and the expected read curves.

Why here: the reach model (:mod:`inkorg_kit.reach`) computes aggregates; this module only
draws them, in Swedish, so that a notebook never holds person rows behind a chart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import altair as alt
import polars as pl

if TYPE_CHECKING:
    from inkorg_kit.reach import ReachResult

__all__ = ["reach_funnel", "read_over_time"]

_OTHER_CHANNEL = ("no_login", "unread_at_follow_up", "other_channel_total")


def reach_funnel(result: ReachResult) -> alt.LayerChart:
    """Expected counts per reach measure as bars, the simulation interval as whiskers.

    Takes a :class:`inkorg_kit.reach.ReachResult` (its ``summary``: about ten rows).
    """
    low, high = (round(q * 100) for q in result.interval)
    data = result.summary.select(
        pl.col("measure").cast(pl.String),
        "label",
        pl.col("expected").round(0),
        pl.col("low").round(0),
        pl.col("high").round(0),
        (pl.col("share") * 100).round(1).alias("percent"),
        pl.when(pl.col("measure").cast(pl.String).is_in(_OTHER_CHANNEL))
        .then(pl.lit("Annan kanal behövs"))
        .otherwise(pl.lit("Via 1177-inkorgen"))
        .alias("group"),
    )
    order = data["label"].to_list()
    base = alt.Chart(data).encode(
        y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=360))
    )
    tooltip = [
        alt.Tooltip("label:N", title="Mått"),
        alt.Tooltip("expected:Q", title="Förväntat", format=",.0f"),
        alt.Tooltip("low:Q", title=f"{low} %", format=",.0f"),
        alt.Tooltip("high:Q", title=f"{high} %", format=",.0f"),
        alt.Tooltip("percent:Q", title="Andel av målgruppen (%)"),
    ]
    bars = base.mark_bar().encode(
        x=alt.X("expected:Q", title="Antal personer (förväntat)", axis=alt.Axis(format=",.0f")),
        color=alt.Color(
            "group:N",
            title=None,
            scale=alt.Scale(
                domain=["Via 1177-inkorgen", "Annan kanal behövs"], range=["#4c78a8", "#e45756"]
            ),
            legend=alt.Legend(orient="bottom"),
        ),
        tooltip=tooltip,
    )
    whiskers = base.mark_rule(color="black").encode(x="low:Q", x2="high:Q")
    caps = base.mark_tick(color="black", thickness=1, size=10)
    return (bars + whiskers + caps.encode(x="low:Q") + caps.encode(x="high:Q")).properties(
        title=f"Räckvidd: förväntat antal med {low}–{high} %-intervall", width=460
    )


def read_over_time(curve: pl.DataFrame) -> alt.Chart:
    """Expected share read over time, from :func:`inkorg_kit.reach.read_curve` (the campaign:
    read and sent over calendar time) or :func:`~inkorg_kit.reach.compare_send_times` (one line
    per send time, over hours after the send)."""
    frame = curve if isinstance(curve, pl.DataFrame) else pl.from_pandas(curve)
    percent = alt.Axis(format="%")
    if "send" in frame.columns:
        data = frame.select(pl.col("send").cast(pl.String), "hours", "read_share")
        step = max(1, data.height // 4000 + 1)
        data = data.filter(pl.int_range(pl.len()).over("send") % step == 0)
        return (
            alt.Chart(data)
            .mark_line()
            .encode(
                x=alt.X("hours:Q", title="Timmar efter utskick"),
                y=alt.Y("read_share:Q", title="Andel lästa (förväntat)", axis=percent),
                color=alt.Color("send:N", title="Skickat", sort=None),
                tooltip=[
                    alt.Tooltip("send:N", title="Skickat"),
                    alt.Tooltip("hours:Q", title="Timmar"),
                    alt.Tooltip("read_share:Q", title="Andel lästa", format=".1%"),
                ],
            )
            .properties(title="Lästa över tid efter utskickstid", width=520)
        )
    step = max(1, frame.height // 2000 + 1)
    data = (
        frame.gather_every(step)
        .select(
            pl.col("time").dt.replace_time_zone(None).alias("time"),
            pl.col("read_share").alias("Lästa (förväntat)"),
            pl.col("sent_share").alias("Skickade"),
        )
        .unpivot(index="time", variable_name="series", value_name="share")
    )
    return (
        alt.Chart(data)
        .mark_line()
        .encode(
            x=alt.X("time:T", title="Tid (svensk tid)", axis=alt.Axis(format="%d/%m")),
            y=alt.Y("share:Q", title="Andel av utskicket", axis=percent),
            color=alt.Color("series:N", title=None, sort=["Skickade", "Lästa (förväntat)"]),
            tooltip=[
                alt.Tooltip("time:T", title="Tid", format="%Y-%m-%d %H:%M"),
                alt.Tooltip("series:N", title="Serie"),
                alt.Tooltip("share:Q", title="Andel", format=".1%"),
            ],
        )
        .properties(title="Kampanjens förväntade läskurva", width=560)
    )
