"""Charts of the follow-up (step 04 and the orderer's report): read rates by group and the
cumulative read curves.

Why aggregates only: they take :mod:`inkorg_kit.followup`'s group table and Kaplan-Meier
curves (ideally after the report's disclosure control), never person rows.
"""

from __future__ import annotations

import altair as alt
import polars as pl

__all__ = ["cumulative_reads", "read_rates"]

_CURVE_MAX_ROWS = 4000  # Altair stops at 5,000 rows


def read_rates(groups: pl.DataFrame) -> alt.VConcatChart:
    """Read rate by group with its interval: one panel per grouping (age band, sex, ...).

    Takes :func:`inkorg_kit.followup.group_table` (aggregates: one row per group), ideally
    after :func:`inkorg_kit.report.suppress`; rows without a rate (suppressed or empty) are left
    out. The x axis is 0-100 % in every panel so the panels compare.
    """
    frame = groups if isinstance(groups, pl.DataFrame) else pl.from_pandas(groups)
    data = frame.filter(pl.col("read_rate").is_not_null()).select(
        "dimension_label",
        pl.col("group_label").cast(pl.String),
        "n",
        "read",
        "read_rate",
        "low",
        "high",
    )
    panels = []
    for label in data["dimension_label"].unique(maintain_order=True).to_list():
        part = data.filter(pl.col("dimension_label") == label)
        order = part["group_label"].to_list()
        base = alt.Chart(part).encode(
            y=alt.Y("group_label:N", sort=order, title=label, axis=alt.Axis(labelLimit=260))
        )
        x = alt.X(
            "read_rate:Q",
            title="Andel lästa av lästa + olästa (95 % KI)",
            scale=alt.Scale(domain=[0, 1]),
            axis=alt.Axis(format="%"),
        )
        tooltip = [
            alt.Tooltip("group_label:N", title=label),
            alt.Tooltip("read_rate:Q", title="Andel lästa", format=".1%"),
            alt.Tooltip("low:Q", title="Lägre gräns", format=".1%"),
            alt.Tooltip("high:Q", title="Övre gräns", format=".1%"),
            alt.Tooltip("read:Q", title="Lästa", format=",d"),
            alt.Tooltip("n:Q", title="Med känd lässtatus", format=",d"),
        ]
        whiskers = base.mark_rule(color="#4c78a8").encode(
            x=alt.X("low:Q", scale=alt.Scale(domain=[0, 1])), x2="high:Q"
        )
        points = base.mark_point(filled=True, size=60, color="#4c78a8").encode(x=x, tooltip=tooltip)
        panels.append((whiskers + points).properties(width=420, height=max(24, 20 * part.height)))
    if not panels:
        empty = alt.Chart(pl.DataFrame({"text": ["Inga grupper att visa"]})).mark_text()
        panels.append(empty.encode(text="text:N").properties(width=420, height=40))
    return alt.vconcat(*panels).properties(title="Läsandel per grupp")


def cumulative_reads(curves: pl.DataFrame, *, title: str | None = None) -> alt.LayerChart:
    """Cumulative share read over days after sending (Kaplan-Meier), one line per group with
    its pointwise interval as a band. Takes :func:`inkorg_kit.followup.read_curves`
    (aggregates on an hour grid; for anyone but the analyst, the protected points of
    :meth:`inkorg_kit.report.Published.curves`); shares rounded to 0.1 %, thinned to stay
    under Altair's row limit."""
    frame = curves if isinstance(curves, pl.DataFrame) else pl.from_pandas(curves)
    # no more precision than a published share (0.1 %): an SVG path must not carry counts
    frame = frame.with_columns(pl.col("read_share", "low", "high").round(3))
    groups = frame["group"].unique(maintain_order=True).to_list()
    per_group = max(1, frame.height // max(len(groups), 1))
    step = max(1, per_group * len(groups) // _CURVE_MAX_ROWS + 1)
    data = (
        frame.filter(pl.int_range(pl.len()).over("group") % step == 0)
        .select(
            "group",
            (pl.col("hours") / 24).alias("days"),
            "hours",
            "read_share",
            "low",
            "high",
            "n",
        )
        .with_columns(pl.format("{} (n={})", pl.col("group"), pl.col("n")).alias("label"))
    )
    labels = data["label"].unique(maintain_order=True).to_list()
    colour = alt.Color("label:N", title=None, sort=labels, legend=alt.Legend(orient="bottom"))
    base = alt.Chart(data).encode(
        x=alt.X("days:Q", title="Dagar efter utskick"),
        color=colour,
    )
    band = base.mark_area(opacity=0.15).encode(y="low:Q", y2="high:Q")
    line = base.mark_line(interpolate="step-after").encode(
        y=alt.Y(
            "read_share:Q",
            title="Andel lästa (Kaplan–Meier)",
            axis=alt.Axis(format="%"),
            scale=alt.Scale(domain=[0, 1]),
        ),
        tooltip=[
            alt.Tooltip("group:N", title="Grupp"),
            alt.Tooltip("hours:Q", title="Timmar efter utskick", format=".0f"),
            alt.Tooltip("read_share:Q", title="Andel lästa", format=".1%"),
            alt.Tooltip("low:Q", title="Lägre gräns", format=".1%"),
            alt.Tooltip("high:Q", title="Övre gräns", format=".1%"),
        ],
    )
    return (band + line).properties(
        title=title or "Andel som läst, efter tid sedan utskicket", width=520, height=300
    )
