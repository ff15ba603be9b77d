"""Charts of the target group (step 01): the selection funnel and the group by age and sex.

Why here: :mod:`inkorg_kit.target` counts who fell out at each step and why; these charts draw
those counts (about fifteen funnel rows, a few dozen age-sex cells), never person rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import altair as alt
import polars as pl

from inkorg_kit.vocab import whole_number

if TYPE_CHECKING:
    from inkorg_kit.target import TargetResult

__all__ = ["target_age_sex", "target_funnel"]

_TARGET_KINDS = {
    "in": ("Rader in", "#4c78a8"),
    "rejected": ("Ogiltigt personnummer", "#e45756"),
    "duplicate": ("Dubbletter", "#f58518"),
    "filter": ("Urval", "#72b7b2"),
    "exclusion": ("Undantag", "#b279a2"),
    "group": ("Målgrupp", "#54a24b"),
}
_TARGET_EXCLUSIONS = ("deceased", "protected_identity", "opted_out", "frequency_cap")


def _target_kind(step: pl.Expr) -> pl.Expr:
    return (
        pl.when(step == "rows_in")
        .then(pl.lit("in"))
        .when(step.str.starts_with("rejected_"))
        .then(pl.lit("rejected"))
        .when(step == "duplicate")
        .then(pl.lit("duplicate"))
        .when(step == "target_group")
        .then(pl.lit("group"))
        .when(step.is_in(_TARGET_EXCLUSIONS) | step.str.starts_with("exclude_list_"))
        .then(pl.lit("exclusion"))
        .otherwise(pl.lit("filter"))
    )


def target_funnel(funnel: pl.DataFrame) -> alt.LayerChart:
    """The target-group funnel (:attr:`inkorg_kit.target.TargetResult.funnel`): how many are
    left after each step (bars, log scale: rows in and the group differ a hundredfold), each
    labelled with what the step removed. Rejection reasons that removed nobody are left out."""
    frame = funnel if isinstance(funnel, pl.DataFrame) else pl.from_pandas(funnel)
    step = pl.col("step")
    data = (
        frame.filter(~step.str.starts_with("rejected_") | (pl.col("removed") > 0))
        .select("step", "label", "removed", "remaining")
        .with_columns(kind=_target_kind(step))
    )
    # about fifteen rows: formatting them in Python is fine
    text = [
        whole_number(kept) if kind in ("in", "group") else f"−{whole_number(gone)}"
        for kind, kept, gone in data.select("kind", "remaining", "removed").iter_rows()
    ]
    data = data.with_columns(
        text=pl.Series(text, dtype=pl.String),
        shown=pl.max_horizontal(pl.col("remaining"), 1),
        kind=pl.col("kind").replace_strict({k: v[0] for k, v in _TARGET_KINDS.items()}),
    )
    present = set(data["kind"].to_list())
    kinds = [label for label, _ in _TARGET_KINDS.values() if label in present]
    colours = [colour for label, colour in _TARGET_KINDS.values() if label in present]
    base = alt.Chart(data).encode(
        y=alt.Y("label:N", sort=None, title=None, axis=alt.Axis(labelLimit=380)),
        x=alt.X(
            "shown:Q",
            title="Kvar efter steget (logaritmisk skala)",
            scale=alt.Scale(type="log", domainMin=1),
            axis=alt.Axis(format="~s"),
        ),
    )
    bars = base.mark_bar().encode(
        x2=alt.datum(1),  # a log scale has no 0: bars start at 1
        color=alt.Color(
            "kind:N",
            title=None,
            scale=alt.Scale(domain=kinds, range=colours),
            legend=alt.Legend(orient="bottom"),
        ),
        tooltip=[
            alt.Tooltip("label:N", title="Steg"),
            alt.Tooltip("removed:Q", title="Borttagna", format=",d"),
            alt.Tooltip("remaining:Q", title="Kvar", format=",d"),
        ],
    )
    labels = base.mark_text(align="left", dx=4).encode(text="text:N")
    return (bars + labels).properties(title="Tratt: från utdrag till målgrupp", width=420)


def target_age_sex(counts: pl.DataFrame | TargetResult) -> alt.Chart:
    """The target group by age band and sex: bars side by side per band.

    Takes :meth:`inkorg_kit.target.TargetResult.by_age_sex` (age_band, sex, n) or the result
    itself; never person rows.
    """
    if hasattr(counts, "by_age_sex"):
        counts = counts.by_age_sex()
    frame = counts if isinstance(counts, pl.DataFrame) else pl.from_pandas(counts)
    bands = frame["age_band"].cast(pl.String).unique(maintain_order=True).to_list()
    names = {"F": "Kvinnor", "M": "Män"}
    data = frame.select(
        pl.col("age_band").cast(pl.String),
        pl.col("sex").cast(pl.String).replace_strict(names, default="Okänt").alias("kön"),
        pl.col("n").cast(pl.Int64),
    )
    colours = {"Kvinnor": "#e45756", "Män": "#4c78a8", "Okänt": "#9d9d9d"}
    shown = [k for k in colours if k in set(data["kön"].to_list())]
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("age_band:N", sort=bands, title="Åldersgrupp", axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("kön:N", sort=shown),
            y=alt.Y("n:Q", title="Personer", axis=alt.Axis(format=",d")),
            color=alt.Color(
                "kön:N",
                title=None,
                sort=shown,
                scale=alt.Scale(domain=shown, range=[colours[k] for k in shown]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("age_band:N", title="Åldersgrupp"),
                alt.Tooltip("kön:N", title="Kön"),
                alt.Tooltip("n:Q", title="Personer", format=",d"),
            ],
        )
        .properties(title="Målgruppen efter ålder och kön", width=420)
    )
