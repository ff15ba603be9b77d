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

from inkorg_kit.report.disclosure import HIDDEN
from inkorg_kit.report.tables import count_text, few_text, interval_text, percent_text
from inkorg_kit.ui.charts import cumulative_reads, read_rates, uptake_curves
from inkorg_kit.ui.display import chart_svg
from inkorg_kit.vocab import TIME_ZONE

if TYPE_CHECKING:
    from inkorg_kit.config.campaign import Campaign
    from inkorg_kit.report.published import Published

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


def _rule_text(minimum: int) -> str:
    """The small-number rule in Swedish, for the appendix."""
    small = f"1 och {minimum - 1}"
    items = [
        f"Inget antal mellan {small} visas. Ett dolt antal visas som {HIDDEN}, aldrig som"
        f" ”färre än {minimum}”, eftersom en gräns tillsammans med en summa kan avslöja det.",
        "En grupp i en tabell (åldersgrupp, kön, enhet, fil, veckodag eller timme för utskick)"
        f" där något antal ligger mellan {small} döljs helt. Fler grupper döljs tills de dolda"
        f" tillsammans har minst {minimum} i varje kolumn, så att summan minus de visade inte"
        " avslöjar dem.",
        "Alla tabeller skyddas tillsammans, inte var för sig: totalerna, varje indelning och de"
        " indelningar som ligger i varandra (en fil skickas inom en timme och en veckodag, och"
        " inom en enhet när filerna delas per enhet). En dold fil kan alltså inte räknas fram"
        " som timmens antal minus de andra filerna den timmen; då döljs fler celler.",
        "Andelen som läst inom 1 timme, 1, 3 och 7 dygn skyddas både som nivå och som ökning:"
        f" ingen skillnad mellan två visade tidpunkter, och inte heller antalet som läst senare,"
        f" får motsvara mellan {small} personer.",
        "Kurvorna över läsning ritas bara från de skyddade värdena i tabellen, vid samma"
        " tidpunkter och avrundade till en decimal i procent, så att diagrammet inte innehåller"
        " något som tabellen inte visar.",
        "Innan rapporten skrivs kontrolleras allt som visas tillsammans: för varje dolt tal"
        " räknas ut (med linjärprogrammering) det minsta och största värde det kan ha givet alla"
        f" visade tal. Rapporten skrivs inte om något dolt tal mellan {small} kan bestämmas"
        " exakt.",
    ]
    return (
        "<p class='note'>Skydd mot att enskilda pekas ut:</p><ul class='note'>"
        + "".join(f"<li>{_esc(item)}</li>" for item in items)
        + "</ul>"
    )


def _uptake_section(published: Published) -> list[str]:
    """The outcome follow-up: did residents do what the message asked, by read status (empty
    without one). Every figure comes from ``published`` (protected with the rest)."""
    figures = published.uptake
    table = published.uptake_table()
    if figures is None or table is None:
        return []
    event = figures.event
    parts = [
        "<section><h2>Gjorde mottagarna det meddelandet bad om?</h2>",
        f"<p>Andel som {_esc(event)} inom {figures.horizon_days} dagar efter meddelandet, efter"
        " lässtatus (läst, oläst, brev till dem som inte kunde nås via 1177).</p>",
    ]
    drawn = published.uptake_curves()
    if drawn is not None and drawn.height:
        parts.append(
            _figure(
                uptake_curves(drawn, event=event),
                "Kaplan–Meier-skattning: den som inte följts hela tiden räknas fram till uttaget"
                " (censurerad). Punkterna är tabellens dagar, avrundade som i tabellen. Streck:"
                " 95 % punktvisa intervall.",
            )
        )
    within = published.uptake_within_table()
    if within is not None and within.height:
        parts.append(
            _table(
                within,
                f"Andel som {event} inom en viss tid (95 % KI)",
                numeric=tuple(c for c in within.columns if c != "Status"),
            )
        )
    parts.append(
        _table(
            table,
            f"Andel som {event} inom {figures.horizon_days} dagar (95 % Wilson-intervall)",
            numeric=("Antal", "Gjort", "Andel", "95 % KI"),
        )
    )
    sentence = published.uptake_difference_text()
    if sentence:
        parts.append(f"<p>{_esc(sentence)}</p>")
    if figures.short_followup:
        parts.append(
            "<p class='note'>Några har följts kortare tid än tidsgränsen (uttaget togs för"
            " tidigt); deras andelar blir för låga, kurvorna tar hänsyn till det.</p>"
        )
    parts.append(
        f"<p class='note'>{HIDDEN} = dolt. Samma skydd som i resten av rapporten: inga tal"
        f" mellan 1 och {published.min_group_size - 1}, och inga som kan räknas fram ur"
        " tabellerna tillsammans.</p></section>"
    )
    return parts


def render_report(
    *,
    campaign: Campaign | Mapping[str, str],
    published: Published,
    exported_at: dt.datetime | None = None,
    generated_at: dt.datetime | None = None,
    notes: Sequence[str] = (),
) -> str:
    """The report as HTML text (not yet checked;
    :func:`~inkorg_kit.report.write_report` checks, audits and writes).

    ``campaign``: a :class:`~inkorg_kit.config.campaign.Campaign` or a mapping of facts;
    ``published``: :func:`~inkorg_kit.report.disclose` of the outcomes (every figure shown is
    taken from it, protected together); ``notes``: Swedish notes for the orderer
    (:func:`~inkorg_kit.report.orderer_notes`). Aggregates only.
    """
    facts = _facts(campaign)
    title_text = getattr(campaign, "title", None) or facts.get("Kampanj", "Kampanj")
    name = getattr(campaign, "name", "")
    generated = generated_at or dt.datetime.now(TIME_ZONE)
    min_group_size = published.min_group_size
    c = dict(published.counts)
    hidden = set(published.hidden_totals)
    tiny = published.tiny
    shown = published.groups
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
    parts.append(_table(published.counts_table(), "Utfall", numeric=("Antal", "Andel")))
    parts.append("</section>")

    if not tiny:
        parts.append("<section><h2>Läsning över tid</h2>")
        drawn = published.curves()
        if drawn.height:
            parts.append(
                _figure(
                    cumulative_reads(drawn, title="Andel som läst, per åldersgrupp"),
                    "Kaplan–Meier-skattning: de som inte läst när exporten togs räknas som olästa"
                    " fram till exporten (censurerade). Kurvorna visar bara de tidpunkter som"
                    " tabellen nedan visar, avrundade som i tabellen. Skuggat fält: 95 % punktvisa"
                    " intervall. n = lästa (med lästid) och olästa i gruppen; misslyckade utskick"
                    " och okänd status räknas inte.",
                )
            )
        visible = published.within_table()
        if published.within is not None and visible.height:
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
        display = published.group_table()
        numbers = ("Skickade", "Misslyckade", "Levererade", "Lästa", "Läsandel", "95 % KI")
        for label in display["Indelning"].unique(maintain_order=True).to_list():
            part = display.filter(pl.col("Indelning") == label).drop("Indelning")
            parts.append(_table(part, label, numeric=numbers))
        parts.append(
            f"<p class='note'>{HIDDEN} = dolt. Inga tal mellan 1 och {min_group_size - 1} visas,"
            " och inga som kan räknas fram ur de tal som visas (se Så har siffrorna tagits"
            " fram).</p></section>"
        )

    parts.extend(_uptake_section(published))

    lists = published.followup
    if lists is not None:
        counts_f, _ = lists
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
        table = published.followup_table()
        if table is None:
            parts.append(f"<section><h2>Nås på annat sätt</h2><p>{_esc(text)}</p></section>")
        else:
            parts.append(
                f"<section><h2>Nås på annat sätt</h2><p>{_esc(text)}</p>"
                + _table(table, numeric=("Antal",))
                + "</section>"
            )

    remarks = list(notes)
    missing = published.missing if published.missing is not None else None
    if missing is not None and missing.height:
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
        files = published.missing_table()
        if files is not None:
            parts.append(_table(files, numeric=("Saknas i exporten",)))
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
        " samkörda med kampanjens mottagarfiler. Läsandelen är lästa delat med lästa + olästa:"
        " av dem som fick meddelandet i inkorgen och vars status är känd. Misslyckade utskick"
        " (ingen aktiv inloggning) och ärenden med okänd status räknas inte. 95 %"
        " Wilson-intervall. Tiden till läsning skattas med Kaplan–Meier, där de som ännu inte"
        " läst räknas till exporttiden. Stängda informationsärenden räknas som lästa bara om de"
        " har en lästid.</p>" + _rule_text(min_group_size) + "</section>"
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
