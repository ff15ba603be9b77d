"""The send plan as a Gantt chart (step 03): one row per case handler, bars over time.

Why a module of its own: a plan can hold thousands of files, and Altair stops at 5,000 rows,
so the bars are merged (runs of files, then handler-days) before drawing; and a short plan is
drawn one send day under the other, with clock time across.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import altair as alt
import polars as pl

from inkorg_kit.sending.plan_csv import FIRST_WAVE, REMINDER_WAVE
from inkorg_kit.vocab import WEEKDAYS_SHORT_SV

if TYPE_CHECKING:
    from inkorg_kit.sending import SendPlan

__all__ = ["send_plan_gantt"]

_GANTT_MAX_BARS = 4000  # Altair stops at 5,000 rows: merge bars beyond this
_GANTT_DAY_ROWS = 10  # up to this many send days: one row per day, clock time across


def _plan_bars(files: pl.DataFrame) -> tuple[pl.DataFrame, str]:
    """Bars for the Gantt chart: one per file, or merged runs, or one per handler and day.

    Returns the bars (``handler``, ``wave``, ``start``, ``end`` as naive local time, ``files``,
    ``rows``, ``label``) and what a bar is, in Swedish, for the title. A bar never mixes the
    first wave with the reminder wave.
    """
    wave = pl.col("wave").cast(pl.String) if "wave" in files.columns else pl.lit(FIRST_WAVE)
    local = files.select(
        pl.col("handler").cast(pl.String),
        wave.fill_null(FIRST_WAVE).alias("wave"),
        pl.col("file_name").cast(pl.String),
        pl.col("rows").cast(pl.Int64),
        pl.col("start").dt.replace_time_zone(None),
        pl.col("end").dt.replace_time_zone(None),
    ).sort("handler", "start")
    if local.height <= _GANTT_MAX_BARS:
        return local.select(
            "handler",
            "wave",
            "start",
            "end",
            pl.lit(1, dtype=pl.Int64).alias("files"),
            "rows",
            pl.col("file_name").alias("label"),
        ), "en stapel per fil"
    new_run = (
        (pl.col("start") != pl.col("end").shift(1)) | (pl.col("wave") != pl.col("wave").shift(1))
    ).fill_null(True)
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
        .group_by("handler", "wave", "run")
        .agg(*bar)
    )
    what = "en stapel per obruten följd av filer"
    if runs.height > _GANTT_MAX_BARS:
        runs = local.group_by("handler", "wave", pl.col("start").dt.date().alias("day")).agg(*bar)
        what = "en stapel per handläggare och dag"
    bars = runs.sort("handler", "start").select(
        "handler",
        "wave",
        "start",
        "end",
        "files",
        "rows",
        pl.concat_str(pl.col("first"), pl.lit(" … "), pl.col("last")).alias("label"),
    )
    return bars, what


def send_plan_gantt(plan: SendPlan | pl.DataFrame) -> alt.FacetChart | alt.Chart:
    """The send plan as a Gantt chart: one row per case handler, bars over time.

    Takes a :class:`inkorg_kit.sending.SendPlan` (or its ``files`` frame: ``file_name``,
    ``rows``, ``handler``, ``start``, ``end``). The plan holds file names and row counts only,
    never personnummer. Up to ten send days are drawn one under the other with clock time
    across (nights and weekends would otherwise squeeze the bars to slivers); longer plans run
    along one calendar axis. Tooltips give the file name (or the first and last of a merged
    bar), the number of files and the rows; with a reminder wave, the bars are coloured by
    wave (first message, reminder).
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
        f"sista fil klar {WEEKDAYS_SHORT_SV[end.weekday()]} {end:%Y-%m-%d %H:%M}"
    )
    tooltip = [
        alt.Tooltip("handler:N", title="Handläggare"),
        alt.Tooltip("wave:N", title="Utskick"),
        alt.Tooltip("label:N", title="Fil"),
        alt.Tooltip("files:Q", title="Filer", format=",d"),
        alt.Tooltip("rows:Q", title="Rader", format=",d"),
        alt.Tooltip("start:T", title="Start", format="%Y-%m-%d %H:%M"),
        alt.Tooltip("end:T", title="Klar", format="%H:%M"),
    ]
    color = alt.Color("handler:N", title="Handläggare", sort=handlers, legend=None)
    if bars["wave"].n_unique() > 1:  # the reminder wave planned: the two waves told apart
        color = alt.Color(
            "wave:N",
            title="Utskick",
            sort=[FIRST_WAVE, REMINDER_WAVE],
            scale=alt.Scale(domain=[FIRST_WAVE, REMINDER_WAVE], range=["#4c78a8", "#f58518"]),
            legend=alt.Legend(orient="bottom"),
        )
    y = alt.Y("handler:N", title=None, sort=handlers)
    if len(days) <= _GANTT_DAY_ROWS:
        day_labels = [f"{WEEKDAYS_SHORT_SV[d.weekday()]} {d:%Y-%m-%d}" for d in days]
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
