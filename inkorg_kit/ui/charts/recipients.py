"""Charts of the recipient files (step 02): personnummer per file and the cleaning funnel.

Why here: :mod:`inkorg_kit.recipients` splits and writes the files; these charts show only
their counts (one row per file or per funnel step), never a personnummer.
"""

from __future__ import annotations

import altair as alt
import polars as pl

from inkorg_kit.vocab import MAX_PART_SIZE

__all__ = ["recipient_funnel", "recipient_parts"]

_FUNNEL_COLOURS = {
    "input_rows": "#4c78a8",
    "rejected": "#e45756",
    "duplicates": "#f58518",
    "excluded": "#b279a2",
    "sent_out": "#54a24b",
}


def recipient_parts(files: pl.DataFrame, part_size: int = MAX_PART_SIZE) -> alt.LayerChart:
    """Personnummer per import file as bars, with the file limit as a red line.

    Takes :attr:`inkorg_kit.recipients.Delivery.files` or :meth:`~inkorg_kit.recipients.Parts.table`
    (one row per file: counts only). Over 60 files, shows how many files have each size instead.
    """
    frame = files if isinstance(files, pl.DataFrame) else pl.from_pandas(files)
    grouped = "group" in frame.columns and frame["group"].drop_nulls().len() > 0
    limit = alt.Chart(pl.DataFrame({"limit": [part_size]})).mark_rule(
        color="#e45756", strokeDash=[4, 3]
    )
    if frame.height > 60:
        data = frame.group_by("rows").agg(pl.len().alias("files")).sort("rows")
        bars = (
            alt.Chart(data)
            .mark_bar()
            .encode(
                x=alt.X("rows:Q", title="Personnummer i filen", scale=alt.Scale(domainMin=0)),
                y=alt.Y("files:Q", title="Antal filer"),
                tooltip=[
                    alt.Tooltip("rows:Q", title="Personnummer per fil"),
                    alt.Tooltip("files:Q", title="Filer", format=",d"),
                ],
            )
        )
        return (bars + limit.encode(x="limit:Q")).properties(
            title=f"{frame.height} filer: storlek (gräns {part_size})", width=520
        )
    label = pl.format("del {}/{}", pl.col("part"), pl.col("part_count"))
    if grouped:
        label = pl.format("{} · {}", pl.col("group"), label)
    data = frame.select(
        label.alias("file"),
        pl.col("group").fill_null("") if grouped else pl.lit("").alias("group"),
        "rows",
    )
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("rows:Q", title="Personnummer i filen", scale=alt.Scale(domainMin=0)),
            y=alt.Y("file:N", sort=None, title=None, axis=alt.Axis(labelLimit=320)),
            color=alt.Color("group:N", title="Grupp", legend=alt.Legend(orient="bottom"))
            if grouped
            else alt.value("#4c78a8"),
            tooltip=[
                alt.Tooltip("file:N", title="Fil"),
                alt.Tooltip("rows:Q", title="Personnummer"),
            ],
        )
    )
    return (bars + limit.encode(x="limit:Q")).properties(
        title=f"Personnummer per fil (gräns {part_size})", width=460
    )


def recipient_funnel(funnel: pl.DataFrame) -> alt.LayerChart:
    """The cleaning funnel from :func:`inkorg_kit.recipients.funnel_frame`: input, rejected by
    reason, duplicates, sent out (counts only), each bar labelled with its count."""
    frame = funnel if isinstance(funnel, pl.DataFrame) else pl.from_pandas(funnel)
    data = frame.select("step", "label", "count")
    steps = [s for s in _FUNNEL_COLOURS if s in set(data["step"].to_list())]
    base = alt.Chart(data).encode(
        x=alt.X("count:Q", title="Rader", axis=alt.Axis(format=",d")),
        y=alt.Y("label:N", sort=None, title=None, axis=alt.Axis(labelLimit=360)),
    )
    bars = base.mark_bar().encode(
        color=alt.Color(
            "step:N",
            legend=None,
            scale=alt.Scale(domain=steps, range=[_FUNNEL_COLOURS[s] for s in steps]),
        ),
        tooltip=[
            alt.Tooltip("label:N", title="Steg"),
            alt.Tooltip("count:Q", title="Rader", format=",d"),
        ],
    )
    counts = base.mark_text(align="left", dx=4).encode(text=alt.Text("count:Q", format=",d"))
    return (bars + counts).properties(title="Från inläst lista till mottagarfiler", width=460)
