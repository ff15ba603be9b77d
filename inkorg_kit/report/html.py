"""The orderer's report as HTML text: one self-contained page, aggregates only.

Why self-contained: the report leaves the locked folder (e-mail, a shared drive) and is opened
on any computer, often in a closed hospital network. So the charts are inline SVG made locally
(:func:`inkorg_kit.ui.display.chart_svg`), the styles are inline (the template), and there are
no scripts, no links to the network and no code. Every count goes through
:mod:`inkorg_kit.report.disclosure` first; the notes are Swedish and written for the orderer.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING, Any

import altair as alt
import polars as pl

from inkorg_kit.followup import FollowupLists
from inkorg_kit.report.disclosure import (
    HIDDEN,
    MIN_GROUP_SIZE,
    OVERALL,
    hidden_groups,
    protect_curves,
    protect_rows,
    protect_totals,
    suppress,
)
from inkorg_kit.report.tables import (
    count_text,
    counts_display,
    few_text,
    followup_counts,
    followup_display,
    group_display,
    interval_text,
    percent_text,
    within_display,
)
from inkorg_kit.ui.charts import cumulative_reads, read_rates
from inkorg_kit.ui.display import chart_svg
from inkorg_kit.vocab import TIME_ZONE

if TYPE_CHECKING:
    from inkorg_kit.config.campaign import Campaign

__all__ = ["TEMPLATE", "render_report"]

#: The page around the report: title, styles, meta line, body and footer.
TEMPLATE = Path(__file__).resolve().parent / "templates" / "orderer_report.html"


def _esc(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _table(frame: pl.DataFrame, caption: str | None = None, numeric: Sequence[str] = ()) -> str:
    head = "".join(f"<th scope='col'>{_esc(c)}</th>" for c in frame.columns)
    body = []
    for row in frame.iter_rows():
        cells = []
        for name, value in zip(frame.columns, row, strict=True):
            if isinstance(value, int | float) and not isinstance(value, bool):
                value = count_text(int(value)) if float(value).is_integer() else value
            cls = " class='num'" if name in numeric else ""
            cells.append(f"<td{cls}>{_esc(value)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{_esc(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _figure(chart: alt.TopLevelMixin, caption: str) -> str:
    return (
        f"<figure>{chart_svg(chart)}<figcaption class='note'>{_esc(caption)}</figcaption></figure>"
    )


def _facts(campaign: Campaign | Mapping[str, str]) -> dict[str, str]:
    if isinstance(campaign, Mapping):
        return {str(k): str(v) for k, v in campaign.items()}
    return dict(campaign.facts())


def _local(moment: dt.datetime | None) -> str:
    if moment is None:
        return "okänd tid"
    if moment.tzinfo is not None:
        moment = moment.astimezone(TIME_ZONE)
    return f"{moment:%Y-%m-%d %H:%M}"


def _summary(
    c: Mapping[str, int | None], hidden: set[str], overall: Mapping[str, Any] | None
) -> str:
    def say(key: str) -> str:
        return "ett dolt antal" if key in hidden else count_text(c.get(key))

    text = (
        f"Av {count_text(c.get('in_files'))} invånare i mottagarfilerna finns {say('attempted')} i"
        f" statusexporten. {say('delivered')} fick meddelandet i sin 1177-inkorg och"
        f" {say('read')} av dem hade läst det när exporten togs"
    )
    if overall is not None and overall.get("read_rate") is not None:
        text += (
            f" ({percent_text(overall['read_rate'])}, 95 % konfidensintervall"
            f" {interval_text(overall['low'], overall['high'])} %)"
        )
    failed = say("failed")
    return (
        f"<p>{text}. {failed} kunde inte nås via 1177 (ingen inloggning eller spärrat konto).</p>"
    )


def _missing_files(
    missing: pl.DataFrame, hidden: set[str], c: Mapping[str, int | None], minimum: int
) -> str:
    """The files with residents missing from the export, their counts protected like groups."""
    total = c.get("not_in_export") or 0
    counts = missing["not_in_export"].to_numpy().reshape(-1, 1)
    gone = protect_rows(counts, [total if total >= minimum else None], minimum)
    table = pl.DataFrame(
        {
            "Fil": missing["file_name"].fill_null("(okänd fil)").to_list(),
            "Saknas i exporten": [
                HIDDEN if g else count_text(v)
                for g, v in zip(gone, missing["not_in_export"], strict=True)
            ],
            "Hela filen saknas": ["nej" if sent else "ja" for sent in missing["file_sent"]],
        }
    )
    return _table(table, numeric=("Saknas i exporten",))


def render_report(
    *,
    campaign: Campaign | Mapping[str, str],
    counts: Mapping[str, int | None],
    groups: pl.DataFrame,
    curves: pl.DataFrame,
    read_within: pl.DataFrame | None = None,
    followup: FollowupLists | Mapping[str, float] | None = None,
    missing_by_file: pl.DataFrame | None = None,
    exported_at: dt.datetime | None = None,
    generated_at: dt.datetime | None = None,
    min_group_size: int = MIN_GROUP_SIZE,
    notes: Sequence[str] = (),
) -> str:
    """The report as HTML text (not yet checked;
    :func:`~inkorg_kit.report.write_report` checks and writes).

    ``campaign``: a :class:`~inkorg_kit.config.campaign.Campaign` or a mapping of facts; ``counts``:
    :meth:`inkorg_kit.followup.Outcomes.counts`; ``groups``: :func:`~inkorg_kit.followup.
    group_table` (raw: suppressed here); ``curves``: :func:`~inkorg_kit.followup.read_curves`
    by age band; ``read_within``: :func:`~inkorg_kit.followup.read_within` by age band;
    ``followup``: the :class:`~inkorg_kit.followup.FollowupLists`; ``missing_by_file``:
    :meth:`~inkorg_kit.followup.Outcomes.missing_by_file`; ``notes``: Swedish notes for the
    orderer (:func:`~inkorg_kit.report.orderer_notes`). Aggregates only; small numbers hidden here.
    """
    facts = _facts(campaign)
    title_text = getattr(campaign, "title", None) or facts.get("Kampanj", "Kampanj")
    name = getattr(campaign, "name", "")
    generated = generated_at or dt.datetime.now(TIME_ZONE)
    c = dict(counts)
    lists = followup_counts(followup)
    hidden = protect_totals(c, lists[0] if lists else None, min_group_size)
    tiny = (c.get("attempted") or 0) < min_group_size
    shown = suppress(groups, min_group_size, hidden)
    parts: list[str] = []

    parts.append("<section><h2>Sammanfattning</h2>")
    if tiny:
        parts.append(
            f"<p>Färre än {min_group_size} av kampanjens invånare finns i statusexporten. För"
            " att ingen ska kunna pekas ut visar rapporten bara hur många som fanns i"
            " målgruppen och i mottagarfilerna, inga utfall.</p>"
        )
    elif (c.get("read") or 0) + (c.get("unread") or 0):
        overall = shown.filter(pl.col("dimension") == "overall")
        parts.append(_summary(c, hidden, overall.row(0, named=True) if overall.height else None))
    else:
        parts.append("<p>Ingen i kampanjen har levererats enligt statusexporten ännu.</p>")
    table = counts_display(c, min_group_size, hidden)
    if tiny:
        table = table.head(2)
    parts.append(_table(table, "Utfall", numeric=("Antal", "Andel")))
    parts.append("</section>")

    if not tiny:
        age_hidden = hidden_groups(shown, "age_band")
        parts.append("<section><h2>Läsning över tid</h2>")
        drawn = protect_curves(curves, age_hidden, min_group_size)
        delivered = {
            (OVERALL if r["dimension"] == "overall" else r["group"]): r["delivered"]
            for r in shown.filter(pl.col("dimension").is_in(["overall", "age_band"])).iter_rows(
                named=True
            )
        }
        drawn = drawn.filter(pl.col("read_share").is_not_null().any().over("group"))
        if drawn.height:
            drawn = drawn.with_columns(
                pl.col("group")
                .replace_strict({g: count_text(v) for g, v in delivered.items()}, default=HIDDEN)
                .alias("n")
            )
            parts.append(
                _figure(
                    cumulative_reads(drawn, title="Andel som läst, per åldersgrupp"),
                    "Kaplan–Meier-skattning: de som inte läst när exporten togs räknas som olästa"
                    " fram till exporten (censurerade). Skuggat fält: 95 % punktvisa intervall."
                    " n = levererade i gruppen. En kurva slutar där gruppens uppföljning slutar.",
                )
            )
        if read_within is not None and read_within.height:
            visible = within_display(read_within, min_group_size, age_hidden)
            parts.append(
                _table(
                    visible,
                    "Andel som läst inom en viss tid (95 % KI)",
                    numeric=tuple(col for col in visible.columns if col != "Grupp"),
                )
            )
        parts.append("</section>")

        parts.append("<section><h2>Läsandel per grupp</h2>")
        chart_rows = shown.filter(
            pl.col("dimension").is_in(["age_band", "sex", "unit", "send_weekday", "send_hour"])
        )
        if chart_rows.filter(pl.col("read_rate").is_not_null()).height:
            parts.append(
                _figure(
                    read_rates(chart_rows),
                    "Andel lästa av dem som fick meddelandet, med 95 % Wilson-intervall.",
                )
            )
        display = group_display(shown, min_group_size)
        numbers = ("Skickade", "Misslyckade", "Levererade", "Lästa", "Läsandel", "95 % KI")
        for label in display["Indelning"].unique(maintain_order=True).to_list():
            part = display.filter(pl.col("Indelning") == label).drop("Indelning")
            parts.append(_table(part, label, numeric=numbers))
        parts.append(
            f"<p class='note'>{HIDDEN} = dolt. Inga tal mellan 1 och {min_group_size - 1} visas."
            " En grupp där något tal är så litet döljs helt, och fler grupper döljs tills de"
            f" dolda tillsammans har minst {min_group_size} i varje kolumn, så att inget dolt tal"
            " kan räknas fram ur summan.</p></section>"
        )

    if lists is not None:
        counts_f, hours = lists
        missing_count = (
            ""
            if tiny
            else " (ett dolt antal)"
            if "not_in_export" in hidden
            else f" ({count_text(counts_f.get('not_in_export', 0))})"
        )
        text = (
            f"De som inte kunde nås via 1177, de som saknas i statusexporten{missing_count} och"
            " de som inte läst inom tidsgränsen finns på uppföljningslistor hos beslutsstöd (inte"
            " i den här rapporten), för brev eller telefon."
        )
        if tiny:
            parts.append(f"<section><h2>Nås på annat sätt</h2><p>{_esc(text)}</p></section>")
        else:
            table = followup_display(counts_f, hidden, hours)
            parts.append(
                f"<section><h2>Nås på annat sätt</h2><p>{_esc(text)}</p>"
                + _table(table, numeric=("Antal",))
                + "</section>"
            )

    remarks = list(notes)
    missing = missing_by_file if missing_by_file is not None and missing_by_file.height else None
    if missing is not None:
        remarks.append(
            f"{missing.height} mottagarfil(er) har invånare som saknas i statusexporten"
            " (filen kanske inte är skickad ännu, eller exporten togs för tidigt). De finns på"
            " uppföljningslistan för dem som saknas i statusexporten."
        )
    if c.get("not_in_campaign"):
        remarks.append(
            f"{few_text(c['not_in_campaign'], min_group_size)} invånare i exporten fanns inte i"
            " kampanjens mottagarfiler (andra meddelanden från enheten); de räknas inte in ovan."
        )
    if remarks:
        parts.append(
            "<section><h2>Att notera</h2><ul>"
            + "".join(f"<li>{_esc(r)}</li>" for r in remarks)
            + "</ul>"
        )
        if missing is not None and not tiny:
            parts.append(_missing_files(missing, hidden, c, min_group_size))
        parts.append("</section>")

    parts.append("<section><h2>Kampanjen</h2>")
    facts_frame = pl.DataFrame(
        {"Uppgift": list(facts), "Värde": [" ".join(v.split()) for v in facts.values()]}
    )
    parts.append(_table(facts_frame))
    parts.append("</section>")

    parts.append(
        "<section><h2>Så har siffrorna tagits fram</h2><p class='note'>Underlaget är"
        " Personalverktygets lista över skickade ärenden och listan över misslyckade utskick,"
        " samkörda med kampanjens mottagarfiler. Läsandelen är lästa av levererade, med 95 %"
        " Wilson-intervall. Tiden till läsning skattas med Kaplan–Meier, där de som ännu inte"
        " läst räknas till exporttiden. Stängda informationsärenden räknas som lästa bara om de"
        f" har en lästid. Tal mellan 1 och {min_group_size - 1} visas inte, och inte heller tal"
        " som skulle låta dem räknas fram.</p></section>"
    )

    meta = f"Statusexport {_local(exported_at)} · rapport {_local(generated)}" + (
        f" · {_esc(name)}" if name else ""
    )
    footer = (
        "Skapad av inkorg-kit. Rapporten innehåller inga personnummer; uppföljningslistorna med"
        " personnummer finns bara i beslutsstödets låsta mapp."
    )
    template = Template(TEMPLATE.read_text(encoding="utf-8"))
    return template.substitute(
        title=_esc(f"Uppföljning: {title_text}"),
        meta=meta,
        body="\n".join(parts),
        footer=_esc(footer),
    )
