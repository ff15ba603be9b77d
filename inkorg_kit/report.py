"""The orderer's report: one self-contained HTML file, no personnummer, small groups hidden.

Why: the orderer (seed 000: *beställare*) gets a follow-up after the sending. It goes out of
the locked folder, by e-mail or on a shared drive, and is opened on any computer, often in a
closed hospital network. So the report is one HTML file with everything inside: the charts are
inline SVG made locally by vl-convert, the styles are inline, there are no scripts and no links
to the network, and no code. It holds the campaign's facts, the counts (target group, sent,
failed, read, unread), the cumulative read curves, the read rates by group, and how many are to
be reached another way, but never a personnummer: before the file is written the whole text is
scanned with :func:`inkorg_kit.pnr.find_in_text`, and writing is refused if anything is found.

Small groups are suppressed in every group table: a group with fewer than ``min_group_size``
(default 5) residents whose read status is known shows ``<5`` and no rate, so that no one can
be singled out. When exactly one group of a grouping is hidden, the next smallest is hidden too
(complementary suppression), since the hidden one could otherwise be worked out from the total.
Curves are drawn only for groups that are not hidden.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from string import Template
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from inkorg_kit import pnr as _pnr
from inkorg_kit._private import write_private_text

__all__ = [
    "MIN_GROUP_SIZE",
    "ReportLeakError",
    "check_html",
    "counts_display",
    "group_display",
    "orderer_report",
    "render_report",
    "report_path",
    "suppress",
    "within_display",
    "write_report",
]

#: Groups with fewer residents than this are hidden in group tables.
MIN_GROUP_SIZE = 5
TEMPLATE = Path(__file__).resolve().parent / "templates" / "orderer_report.html"
HIDDEN = "–"
_COUNT_COLUMNS = ("sent", "failed", "delivered", "n", "read", "read_rate", "low", "high")
_EXTERNAL = re.compile(
    r"<script|<link|<iframe|<object|<embed|@import|url\(\s*['\"]?https?:|"
    r"(?:src|href)\s*=\s*['\"]?\s*(?:https?:|//)",
    re.IGNORECASE,
)
_HORIZON_LABELS = {1: "1 timme", 24: "1 dygn", 72: "3 dygn", 168: "7 dygn", 336: "14 dygn"}


class ReportLeakError(ValueError):
    """The report text holds something it must not (a personnummer, a script, a network link);
    it was not written. The message shows masked numbers only."""


# --------------------------------------------------------------------------- suppression


def _hidden_mask(counts: Sequence[int | None], minimum: int) -> list[bool]:
    """Primary (count < minimum) and complementary suppression for one grouping."""
    hidden = [c is None or c < minimum for c in counts]
    if sum(hidden) == 1 and len(counts) > 1:
        shown = [(c, i) for i, (c, h) in enumerate(zip(counts, hidden, strict=True)) if not h]
        if shown:
            hidden[min(shown)[1]] = True
    return hidden


def suppress(groups: pl.DataFrame, min_group_size: int = MIN_GROUP_SIZE) -> pl.DataFrame:
    """A :func:`inkorg_kit.followup.group_table` with small groups hidden.

    Adds ``suppressed`` (True where hidden) and ``below_minimum`` (the group itself is small);
    the counts and rates of hidden rows become null. The overall row is never hidden.
    """
    if min_group_size < 1:
        raise ValueError(f"min_group_size must be 1 or more, got {min_group_size}")
    frames = []
    for dimension in groups["dimension"].unique(maintain_order=True).to_list():
        part = groups.filter(pl.col("dimension") == dimension)
        if dimension == "overall":
            mask = [False] * part.height
        else:
            mask = _hidden_mask(part["n"].to_list(), min_group_size)
        frames.append(part.with_columns(pl.Series("suppressed", mask, dtype=pl.Boolean)))
    out = pl.concat(frames) if frames else groups.with_columns(suppressed=pl.lit(False))
    return out.with_columns(
        ((pl.col("n") < min_group_size) & (pl.col("dimension") != "overall")).alias(
            "below_minimum"
        ),
        *(pl.when(~pl.col("suppressed")).then(pl.col(c)).alias(c) for c in _COUNT_COLUMNS),
    )


def _number(value: int | None) -> str:
    return HIDDEN if value is None else f"{int(value):,}".replace(",", "\u00a0")


def _percent(value: float | None, digits: int = 1) -> str:
    if value is None:
        return HIDDEN
    return f"{100 * value:.{digits}f}".replace(".", ",") + "\u00a0%"


def _interval(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return HIDDEN
    return f"{100 * low:.1f}–{100 * high:.1f}".replace(".", ",")


def group_display(groups: pl.DataFrame, min_group_size: int = MIN_GROUP_SIZE) -> pl.DataFrame:
    """The group table as people read it (Swedish headings, text cells, small groups hidden):
    Indelning, Grupp, Skickade, Misslyckade, Levererade, Lästa, Läsandel, 95 % KI."""
    table = suppress(groups, min_group_size) if "suppressed" not in groups.columns else groups
    rows = []
    for row in table.iter_rows(named=True):
        small = row.get("below_minimum")
        rows.append(
            {
                "Indelning": row["dimension_label"],
                "Grupp": row["group_label"],
                "Skickade": _number(row["sent"]),
                "Misslyckade": _number(row["failed"]),
                "Levererade": f"<{min_group_size}" if small else _number(row["delivered"]),
                "Lästa": _number(row["read"]),
                "Läsandel": _percent(row["read_rate"]),
                "95 % KI": _interval(row["low"], row["high"]),
            }
        )
    return pl.DataFrame(
        rows,
        schema=dict.fromkeys(
            [
                "Indelning",
                "Grupp",
                "Skickade",
                "Misslyckade",
                "Levererade",
                "Lästa",
                "Läsandel",
                "95 % KI",
            ],
            pl.String,
        ),
    )


def within_display(within: pl.DataFrame, min_group_size: int = MIN_GROUP_SIZE) -> pl.DataFrame:
    """:func:`inkorg_kit.followup.read_within` as text: share read within each horizon with its
    interval; groups (other than "Alla") with fewer than ``min_group_size`` hidden."""
    horizons = [c.removeprefix("read_").removesuffix("h") for c in within.columns]
    horizons = [h for h in horizons if f"read_{h}h" in within.columns]
    groups = within["group"].to_list()
    ns = within["n"].to_list()
    mask = [False] * len(groups)
    others = [i for i, g in enumerate(groups) if g != "Alla"]
    for i, hide in zip(others, _hidden_mask([ns[i] for i in others], min_group_size), strict=True):
        mask[i] = hide
    rows = []
    for i, row in enumerate(within.iter_rows(named=True)):
        out = {
            "Grupp": row["group"],
            "Levererade": f"<{min_group_size}"
            if mask[i] and ns[i] < min_group_size
            else (HIDDEN if mask[i] else _number(ns[i])),
        }
        for h in horizons:
            label = _HORIZON_LABELS.get(int(float(h)), f"{h} timmar")
            share = row[f"read_{h}h"]
            if mask[i] or share is None:
                out[f"Läst inom {label}"] = HIDDEN
            else:
                out[f"Läst inom {label}"] = (
                    f"{_percent(share)} ({_interval(row[f'low_{h}h'], row[f'high_{h}h'])})"
                )
        rows.append(out)
    return pl.DataFrame(rows)


# --------------------------------------------------------------------------- HTML


def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _table(frame: pl.DataFrame, caption: str | None = None, numeric: Sequence[str] = ()) -> str:
    head = "".join(f"<th scope='col'>{_esc(c)}</th>" for c in frame.columns)
    body = []
    for row in frame.iter_rows():
        cells = []
        for name, value in zip(frame.columns, row, strict=True):
            if isinstance(value, int | float) and not isinstance(value, bool):
                value = _number(int(value)) if float(value).is_integer() else value
            cls = " class='num'" if name in numeric else ""
            cells.append(f"<td{cls}>{_esc(value)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{_esc(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _svg(chart: Any) -> str:
    import vl_convert as vlc

    text = vlc.vegalite_to_svg(chart.to_json())
    return re.sub(r"^<\?xml[^>]*>\s*", "", text)


def _figure(chart: Any, caption: str) -> str:
    return f"<figure>{_svg(chart)}<figcaption class='note'>{_esc(caption)}</figcaption></figure>"


def counts_display(counts: Mapping[str, int | None]) -> pl.DataFrame:
    """The headline counts (:meth:`inkorg_kit.followup.Outcomes.counts`) as the report shows
    them: Mått, Antal, Andel (text, Swedish number format)."""
    c = dict(counts)
    attempted = c.get("attempted") or 0
    delivered = c.get("delivered") or 0

    def share(value: int | None, of: int | None) -> str:
        return _percent(value / of) if value is not None and of else ""

    files, failed, unknown = c.get("in_files"), c.get("failed"), c.get("unknown")
    rows = [
        ("I målgruppen", c.get("target"), ""),
        ("I mottagarfilerna", files, ""),
        ("Skickade (finns i statusexporten)", attempted, share(attempted, files)),
        ("Misslyckades (nås inte via 1177)", failed, share(failed, attempted)),
    ]
    for key, label in (
        ("failed_no_login", "– saknar inloggning"),
        ("failed_locked", "– kontot är spärrat"),
        ("failed_other", "– annan orsak"),
    ):
        rows.append((label, c.get(key), share(c.get(key), attempted)))
    rows += [
        ("Levererade till 1177-inkorgen", delivered, share(delivered, attempted)),
        ("Lästa", c.get("read"), share(c.get("read"), delivered)),
        ("Olästa", c.get("unread"), share(c.get("unread"), delivered)),
    ]
    if unknown:
        rows.append(("Okänd lässtatus (stängt utan lästid)", unknown, share(unknown, delivered)))
    rows += [
        ("Saknas i statusexporten", c.get("not_in_export"), share(c.get("not_in_export"), files)),
        ("I exporten men inte i kampanjen", c.get("not_in_campaign"), ""),
    ]
    return pl.DataFrame(
        [(label, _number(v) if v is not None else "ej känt", s) for label, v, s in rows],
        schema={"Mått": pl.String, "Antal": pl.String, "Andel": pl.String},
        orient="row",
    )


def _facts(campaign: Any) -> dict[str, str]:
    if isinstance(campaign, Mapping):
        return {str(k): str(v) for k, v in campaign.items()}
    return dict(campaign.facts())


def _local(moment: dt.datetime | None, zone: str = "Europe/Stockholm") -> str:
    if moment is None:
        return "okänd tid"
    if moment.tzinfo is not None:
        moment = moment.astimezone(ZoneInfo(zone))
    return f"{moment:%Y-%m-%d %H:%M}"


def render_report(
    *,
    campaign: Any,
    counts: Mapping[str, int | None],
    groups: pl.DataFrame,
    curves: pl.DataFrame,
    read_within: pl.DataFrame | None = None,
    followup: pl.DataFrame | None = None,
    missing_by_file: pl.DataFrame | None = None,
    exported_at: dt.datetime | None = None,
    generated_at: dt.datetime | None = None,
    min_group_size: int = MIN_GROUP_SIZE,
    notes: Sequence[str] = (),
) -> str:
    """The report as HTML text (not yet checked; :func:`write_report` checks and writes).

    ``campaign``: a :class:`~inkorg_kit.campaign.Campaign` or a mapping of facts; ``counts``:
    :meth:`inkorg_kit.followup.Outcomes.counts`; ``groups``: :func:`~inkorg_kit.followup.
    group_table` (raw: suppressed here); ``curves``: :func:`~inkorg_kit.followup.read_curves`;
    ``read_within``: :func:`~inkorg_kit.followup.read_within`; ``followup``:
    :meth:`~inkorg_kit.followup.FollowupLists.summary`; ``missing_by_file``:
    :meth:`~inkorg_kit.followup.Outcomes.missing_by_file`. Aggregates only.
    """
    from inkorg_kit import charts

    facts = _facts(campaign)
    title_text = getattr(campaign, "title", None) or facts.get("Kampanj", "Kampanj")
    name = getattr(campaign, "name", "")
    generated = generated_at or dt.datetime.now(ZoneInfo("Europe/Stockholm"))
    shown = suppress(groups, min_group_size)
    c = dict(counts)
    parts: list[str] = []

    parts.append("<section><h2>Sammanfattning</h2>")
    delivered, read = c.get("delivered") or 0, c.get("read") or 0
    known = read + (c.get("unread") or 0)
    overall = shown.filter(pl.col("dimension") == "overall")
    if known and overall.height:
        row = overall.row(0, named=True)
        parts.append(
            f"<p>Av {_number(c.get('in_files'))} invånare i mottagarfilerna finns"
            f" {_number(c.get('attempted'))} i statusexporten. {_number(delivered)} fick"
            f" meddelandet i sin 1177-inkorg och {_number(read)} av dem hade läst det när"
            f" exporten togs ({_percent(row['read_rate'])}, 95 % konfidensintervall"
            f" {_interval(row['low'], row['high'])} %). {_number(c.get('failed'))} kunde inte"
            " nås via 1177 (ingen inloggning eller spärrat konto).</p>"
        )
    else:
        parts.append("<p>Ingen i kampanjen har levererats enligt statusexporten ännu.</p>")
    parts.append(_table(counts_display(c), "Utfall", numeric=("Antal", "Andel")))
    parts.append("</section>")

    visible = (
        within_display(read_within, min_group_size)
        if read_within is not None and read_within.height
        else None
    )
    parts.append("<section><h2>Läsning över tid</h2>")
    keep = {"Alla"}
    if visible is not None:
        keep |= {
            g
            for g, n in zip(visible["Grupp"], visible["Levererade"], strict=True)
            if n != HIDDEN and not n.startswith("<")
        }
    else:
        keep |= set(curves["group"].unique().to_list())
    drawn = curves.filter(pl.col("group").is_in(sorted(keep)) & (pl.col("n") >= min_group_size))
    if drawn.height:
        parts.append(
            _figure(
                charts.cumulative_reads(drawn, title="Andel som läst, per åldersgrupp"),
                "Kaplan–Meier-skattning: de som inte läst när exporten togs räknas som olästa"
                " fram till exporten (censurerade). Skuggat fält: 95 % punktvisa intervall.",
            )
        )
    if visible is not None:
        parts.append(
            _table(
                visible,
                "Andel som läst inom en viss tid (95 % KI)",
                numeric=tuple(c for c in visible.columns if c != "Grupp"),
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
                charts.read_rates(chart_rows),
                "Andel lästa av dem som fick meddelandet, med 95 % Wilson-intervall.",
            )
        )
    display = group_display(shown, min_group_size)
    numbers = ("Skickade", "Misslyckade", "Levererade", "Lästa", "Läsandel", "95 % KI")
    for label in display["Indelning"].unique(maintain_order=True).to_list():
        part = display.filter(pl.col("Indelning") == label).drop("Indelning")
        parts.append(_table(part, label, numeric=numbers))
    parts.append(
        f"<p class='note'>{HIDDEN} = dolt. Grupper med färre än {min_group_size} invånare med"
        " känd lässtatus visas inte (&lt;"
        f"{min_group_size}); är bara en grupp dold döljs också den näst minsta, så att den"
        " dolda inte kan räknas fram.</p></section>"
    )

    if followup is not None and followup.height:
        table = followup.select(
            pl.col("reason").alias("Orsak"),
            pl.col("count").cast(pl.Int64).alias("Antal"),
        )
        parts.append(
            "<section><h2>Nås på annat sätt</h2><p>De som inte kunde nås via 1177 och de som"
            " inte läst inom tidsgränsen finns på uppföljningslistor hos beslutsstöd (inte i"
            " den här rapporten), för brev eller telefon.</p>"
            + _table(table, numeric=("Antal",))
            + "</section>"
        )

    remarks = list(notes)
    if missing_by_file is not None and missing_by_file.height:
        remarks.append(
            f"{missing_by_file.height} mottagarfil(er) har invånare som saknas i statusexporten"
            " (filen kanske inte är skickad ännu, eller exporten togs för tidigt)."
        )
    if c.get("not_in_campaign"):
        remarks.append(
            f"{_number(c['not_in_campaign'])} invånare i exporten fanns inte i kampanjens"
            " mottagarfiler (andra meddelanden från enheten); de räknas inte in ovan."
        )
    if remarks:
        parts.append(
            "<section><h2>Att notera</h2><ul>"
            + "".join(f"<li>{_esc(r)}</li>" for r in remarks)
            + "</ul>"
        )
        if missing_by_file is not None and missing_by_file.height:
            parts.append(
                _table(
                    missing_by_file.select(
                        pl.col("file_name").alias("Fil"),
                        pl.col("in_file").alias("I filen"),
                        pl.col("not_in_export").alias("Saknas i exporten"),
                    ),
                    numeric=("I filen", "Saknas i exporten"),
                )
            )
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
        " har en lästid. Grupper med färre än"
        f" {min_group_size} invånare döljs.</p></section>"
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


def check_html(text: str) -> list[str]:
    """What is wrong with a report text: masked personnummer found, scripts or network links."""
    problems = [f"personnummer {p}" for p in _pnr.find_in_text(text)]
    for match in _EXTERNAL.finditer(text):
        problems.append(f"external or active content {match.group(0)!r}")
    return problems


def write_report(path: str | os.PathLike[str], html_text: str | None = None, **parts: Any) -> Path:
    """Check and write the report (atomic, owner-only; the owner shares it on purpose).

    Give the HTML text, or the keyword arguments of :func:`render_report`. Raises
    :class:`ReportLeakError`, writing nothing, if the text holds a personnummer (shown masked),
    a script or a network link.
    """
    text = html_text if html_text is not None else render_report(**parts)
    problems = check_html(text)
    if problems:
        raise ReportLeakError(
            f"the report was not written to {path}: it holds {len(problems)} thing(s) that must"
            f" not leave the kit: {', '.join(problems[:5])}"
        )
    return write_private_text(path, text)


def report_path(report_dir: str | os.PathLike[str], campaign: Any) -> Path:
    """Where the report goes: ``<report_dir>/<campaign>_uppfoljning.html``."""
    name = getattr(campaign, "name", None) or str(campaign)
    return Path(report_dir) / f"{name}_uppfoljning.html"


def orderer_report(
    report_dir: str | os.PathLike[str],
    campaign: Any,
    outcomes: Any,
    lists: Any = None,
    *,
    min_group_size: int = MIN_GROUP_SIZE,
    generated_at: dt.datetime | None = None,
) -> Path:
    """Compute the report's figures from :class:`inkorg_kit.followup.Outcomes` (and the
    :class:`~inkorg_kit.followup.FollowupLists`), write it to :func:`report_path`, return it."""
    from inkorg_kit import followup as fu

    return write_report(
        report_path(report_dir, campaign),
        campaign=campaign,
        counts=outcomes.counts(),
        groups=fu.group_table(outcomes),
        curves=fu.read_curves(outcomes, "age_band"),
        read_within=fu.read_within(outcomes, (1, 24, 72, 168), "age_band"),
        followup=lists.summary() if lists is not None else None,
        missing_by_file=outcomes.missing_by_file(),
        exported_at=outcomes.exported_at,
        generated_at=generated_at,
        min_group_size=min_group_size,
        notes=[w for w in outcomes.warnings if not _pnr.find_in_text(w)],
    )
