"""Altair charts, one function per chart, each taking a library result (aggregates only).

Why aggregates only: an executed notebook stores every row behind every chart, so a chart fed
person-level rows would leak personnummer into the notebook file. Why SVG: Altair's default
renderer loads scripts from a CDN (blank on a closed hospital network) and JupyterLab 4's
built-in renderer does not show Vega-Lite 6. Importing this module switches every notebook to
the offline SVG renderer (vl-convert), which also gives stable outputs for nbval.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import altair as alt
import polars as pl

from inkorg_kit.tables import whole_number

if TYPE_CHECKING:
    from inkorg_kit.reach import ReachResult
    from inkorg_kit.schedule import SendPlan


def use_offline_renderer() -> None:
    """Render charts as inline SVG made locally by vl-convert: no network, no CDN."""
    alt.renderers.enable("svg")


use_offline_renderer()


# --- reach (inkorg_kit.reach) -------------------------------------------------------------

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


# --- recipient files (inkorg_kit.recipients) ----------------------------------------------

_FUNNEL_COLOURS = {
    "input_rows": "#4c78a8",
    "rejected": "#e45756",
    "duplicates": "#f58518",
    "excluded": "#b279a2",
    "sent_out": "#54a24b",
}


def recipient_parts(files: pl.DataFrame, part_size: int = 250) -> alt.LayerChart:
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


# --- send plan (inkorg_kit.schedule) ------------------------------------------------------

_WEEKDAYS_SHORT_SV = ("mån", "tis", "ons", "tor", "fre", "lör", "sön")
_GANTT_MAX_BARS = 4000  # Altair stops at 5,000 rows: merge bars beyond this
_GANTT_DAY_ROWS = 10  # up to this many send days: one row per day, clock time across


def _plan_bars(files: pl.DataFrame) -> tuple[pl.DataFrame, str]:
    """Bars for the Gantt chart: one per file, or merged runs, or one per handler and day.

    Returns the bars (``handler``, ``start``, ``end`` as naive local time, ``files``, ``rows``,
    ``label``) and what a bar is, in Swedish, for the title.
    """
    local = files.select(
        pl.col("handler").cast(pl.String),
        pl.col("file_name").cast(pl.String),
        pl.col("rows").cast(pl.Int64),
        pl.col("start").dt.replace_time_zone(None),
        pl.col("end").dt.replace_time_zone(None),
    ).sort("handler", "start")
    if local.height <= _GANTT_MAX_BARS:
        return local.select(
            "handler",
            "start",
            "end",
            pl.lit(1, dtype=pl.Int64).alias("files"),
            "rows",
            pl.col("file_name").alias("label"),
        ), "en stapel per fil"
    new_run = (pl.col("start") != pl.col("end").shift(1)).fill_null(True)
    bar = (  # one bar: from its first file's start to its last file's end
        pl.col("start").min(),
        pl.col("end").max(),
        pl.len().cast(pl.Int64).alias("files"),
        pl.col("rows").sum(),
        pl.col("file_name").first().alias("first"),
        pl.col("file_name").last().alias("last"),
    )
    runs = (
        local.with_columns(run=new_run.cast(pl.Int64).cum_sum().over("handler"))
        .group_by("handler", "run")
        .agg(*bar)
    )
    what = "en stapel per obruten följd av filer"
    if runs.height > _GANTT_MAX_BARS:
        runs = local.group_by("handler", pl.col("start").dt.date().alias("day")).agg(*bar)
        what = "en stapel per handläggare och dag"
    bars = runs.sort("handler", "start").select(
        "handler",
        "start",
        "end",
        "files",
        "rows",
        pl.concat_str(pl.col("first"), pl.lit(" … "), pl.col("last")).alias("label"),
    )
    return bars, what


def send_plan_gantt(plan: SendPlan | pl.DataFrame) -> alt.FacetChart | alt.Chart:
    """The send plan as a Gantt chart: one row per case handler, bars over time.

    Takes a :class:`inkorg_kit.schedule.SendPlan` (or its ``files`` frame: ``file_name``,
    ``rows``, ``handler``, ``start``, ``end``). The plan holds file names and row counts only,
    never personnummer. Up to ten send days are drawn one under the other with clock time
    across (nights and weekends would otherwise squeeze the bars to slivers); longer plans run
    along one calendar axis. Tooltips give the file name (or the first and last of a merged
    bar), the number of files and the rows.
    """
    files = plan.files if isinstance(getattr(plan, "files", None), pl.DataFrame) else plan
    if not isinstance(files, pl.DataFrame):
        files = pl.from_pandas(files)
    missing = [c for c in ("file_name", "rows", "handler", "start", "end") if c not in files]
    if missing:
        raise ValueError(
            f"send_plan_gantt needs a SendPlan or its files frame; missing columns {missing}"
        )
    if files.is_empty():
        raise ValueError("send_plan_gantt: the plan has no files")
    bars, what = _plan_bars(files)
    handlers = [str(h) for h in getattr(plan, "handlers", ())] or list(
        dict.fromkeys(files["handler"].cast(pl.String).to_list())
    )
    days = bars["start"].dt.date().unique().sort().to_list()
    end = files["end"].max()
    messages = f"{int(files['rows'].sum()):,}".replace(",", " ")
    title = (
        f"Sändplan: {files.height} filer, {messages} meddelanden, "
        f"sista fil klar {_WEEKDAYS_SHORT_SV[end.weekday()]} {end:%Y-%m-%d %H:%M}"
    )
    tooltip = [
        alt.Tooltip("handler:N", title="Handläggare"),
        alt.Tooltip("label:N", title="Fil"),
        alt.Tooltip("files:Q", title="Filer", format=",d"),
        alt.Tooltip("rows:Q", title="Rader", format=",d"),
        alt.Tooltip("start:T", title="Start", format="%Y-%m-%d %H:%M"),
        alt.Tooltip("end:T", title="Klar", format="%H:%M"),
    ]
    color = alt.Color("handler:N", title="Handläggare", sort=handlers, legend=None)
    y = alt.Y("handler:N", title=None, sort=handlers)
    if len(days) <= _GANTT_DAY_ROWS:
        day_labels = [f"{_WEEKDAYS_SHORT_SV[d.weekday()]} {d:%Y-%m-%d}" for d in days]
        clock = pl.datetime(2000, 1, 3)  # one fixed day, so that every row has the same axis
        data = bars.with_columns(
            pl.col("start")
            .dt.date()
            .replace_strict(dict(zip(days, day_labels, strict=True)), return_dtype=pl.String)
            .alias("day"),
            (clock + (pl.col("start") - pl.col("start").dt.truncate("1d"))).alias("from"),
            (clock + (pl.col("end") - pl.col("start").dt.truncate("1d"))).alias("to"),
        )
        # the x axis spans the send window (when known) and every bar
        first = min(data["from"].min(), data["to"].min())
        last = max(data["from"].max(), data["to"].max())
        windows = getattr(plan, "windows", None)
        if windows is not None:
            first = min(first, dt.datetime.combine(dt.date(2000, 1, 3), windows.start))
            last = max(last, dt.datetime.combine(dt.date(2000, 1, 3), windows.end))
        domain = [
            alt.DateTime(year=t.year, month=t.month, date=t.day, hours=t.hour, minutes=t.minute)
            for t in (first, last)
        ]
        return (
            alt.Chart(data)
            .mark_bar(stroke="white", strokeWidth=0.5)
            .encode(
                x=alt.X(
                    "from:T",
                    title="Klockslag",
                    axis=alt.Axis(format="%H:%M"),
                    scale=alt.Scale(domain=domain),
                ),
                x2="to:T",
                y=y,
                color=color,
                tooltip=tooltip,
            )
            .properties(width=520, height=max(20, 22 * len(handlers)))
            .facet(
                row=alt.Row(
                    "day:N",
                    sort=day_labels,
                    title=None,
                    header=alt.Header(labelAngle=0, labelAlign="left"),
                )
            )
            .properties(title=f"{title} ({what})")
        )
    return (
        alt.Chart(bars)
        .mark_bar()
        .encode(
            x=alt.X("start:T", title="Datum", axis=alt.Axis(format="%d/%m")),
            x2="end:T",
            y=y,
            color=color,
            tooltip=tooltip,
        )
        .properties(title=f"{title} ({what})", width=560, height=max(40, 24 * len(handlers)))
    )


# --- follow-up (inkorg_kit.followup) ------------------------------------------------------

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
            title="Andel lästa av levererade (95 % KI)",
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
    (aggregates on an hour grid); thinned to stay under Altair's row limit."""
    frame = curves if isinstance(curves, pl.DataFrame) else pl.from_pandas(curves)
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


# --- target groups (inkorg_kit.target) ----------------------------------------------------

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


def target_age_sex(counts: pl.DataFrame | object) -> alt.Chart:
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
