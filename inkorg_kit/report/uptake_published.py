"""The outcome follow-up's published tables: their table-by-table rules and their displays.

Why apart from :mod:`inkorg_kit.report.published`: the uptake tables (did the residents do
what the message asked, by read status) are optional and have their own shape; the one pass
of :func:`~inkorg_kit.report.published.disclose` calls :func:`uptake_rules` with the other
rules and audits everything together (:mod:`inkorg_kit.report.uptake_audit`).

Rules, per status group: a row (a group of a grouping, or "Alla") is hidden whole when its
did or did not is 1-4, or when the group table hides that group (its "n" is the group
table's count), or when the headline count behind "Alla" is hidden; the hidden rows of a
grouping hold at least ``min_group_size`` of the did and of the did not (else "Alla" minus
the shown gives them away). A "gjort inom" cell is blank when 1-4 had done it by then or had
not; the steps between shown days are not 1-4; all are blank when "Alla" is hidden.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from inkorg_kit.followup.codes import OVERALL
from inkorg_kit.followup.uptake import UPTAKE_GROUP_LABELS, Uptake
from inkorg_kit.followup.uptake_stats import (
    UPTAKE_DIMENSIONS,
    difference_sentence,
    uptake_difference,
    uptake_table,
    uptake_within,
)
from inkorg_kit.report.disclosure import HIDDEN, protect_rows
from inkorg_kit.report.tables import count_text, interval_text, percent_text
from inkorg_kit.report.uptake_audit import day_tag

__all__ = ["UptakeFigures", "difference_text", "uptake_rules", "uptake_shown"]

#: The headline count behind each status group's "Alla" n.
_HEADLINE = {"read": ("read",), "unread": ("unread",), "letter": ("failed",)}


@dataclass(frozen=True)
class UptakeFigures:
    """The uptake figures before hiding: the table (:func:`uptake_table`), the did by the
    published days (:func:`uptake_within`), and the uptake's facts."""

    table: pl.DataFrame
    within: pl.DataFrame
    days: tuple[float, ...]
    event: str
    horizon_days: int
    people: pl.DataFrame
    short_followup: int

    @classmethod
    def of(cls, u: Uptake) -> UptakeFigures:
        within = uptake_within(u)
        return cls(
            table=uptake_table(u, UPTAKE_DIMENSIONS),
            within=within,
            days=tuple(sorted(set(within["days"].to_list()))),
            event=u.event,
            horizon_days=u.horizon_days,
            people=u.people.select("pnr", "status_group", "did", "observed_days"),
            short_followup=u.short_followup(),
        )


def _small(values: np.ndarray, minimum: int) -> np.ndarray:
    return (values > 0) & (values < minimum)


def uptake_rules(
    hidden: set[tuple[str, str, str]],
    hidden_within: set[tuple[str, str]],
    figures: UptakeFigures,
    group_rows: Mapping[str, set[str]],
    hidden_totals: set[str],
    minimum: int,
) -> None:
    """Add to ``hidden`` (status, dimension, group) and ``hidden_within`` (status, day tag)
    what the module's rules hide (they only add)."""
    table = figures.table
    for status in table["status_group"].unique(maintain_order=True).to_list():
        part = table.filter(pl.col("status_group") == status)
        top = part.filter(pl.col("dimension") == "overall")
        did = int(top["did"][0]) if top.height else 0
        n = int(top["n"][0]) if top.height else 0
        if _small(np.array([did, n - did]), minimum).any() or any(
            t in hidden_totals for t in _HEADLINE.get(status, ())
        ):
            hidden.add((status, "overall", OVERALL))
        totals = [did if did >= minimum else None, (n - did) if n - did >= minimum else None]
        if (status, "overall", OVERALL) in hidden:
            totals = [None, None]
        for dim in part["dimension"].unique(maintain_order=True).to_list():
            if dim == "overall":
                continue
            rows = part.filter(pl.col("dimension") == dim)
            names = [str(g) for g in rows["group"]]
            counts = np.column_stack([rows["did"].to_numpy(), (rows["n"] - rows["did"]).to_numpy()])
            already = np.array(
                [(status, dim, g) in hidden or g in group_rows.get(dim, set()) for g in names]
            )
            out = protect_rows(counts, totals, minimum, already, size=rows["n"].to_numpy())
            hidden.update((status, dim, g) for g, o in zip(names, out, strict=True) if o)
        # the did by the published days, "Alla" only
        within = figures.within.filter(pl.col("status_group") == status).sort("days")
        last = 0
        for day, done, share in within.select("days", "did_by", "share").iter_rows():
            tag = day_tag(day)
            if (
                (status, "overall", OVERALL) in hidden
                or share is None
                or _small(np.array([done, n - done]), minimum).any()
                or 0 < done - last < minimum
            ):
                hidden_within.add((status, tag))
            if (status, tag) not in hidden_within:
                last = int(done)


def _row_key(row: Mapping[str, Any]) -> tuple[str, str, str]:
    return str(row["status_group"]), str(row["dimension"]), str(row["group"])


def shown_table(figures: UptakeFigures, hidden: set[tuple[str, str, str]]) -> pl.DataFrame:
    """:attr:`UptakeFigures.table` with hidden rows' counts and shares null."""
    keys = [_row_key(r) for r in figures.table.iter_rows(named=True)]
    mask = pl.Series("suppressed", [k in hidden for k in keys], dtype=pl.Boolean)
    return figures.table.with_columns(mask).with_columns(
        pl.when(~pl.col("suppressed")).then(pl.col(c)).alias(c)
        for c in ("n", "did", "share", "low", "high")
    )


def display_table(
    figures: UptakeFigures, hidden: set[tuple[str, str, str]], group_labels: Mapping[str, str]
) -> pl.DataFrame:
    """Status, Indelning, Grupp, Antal, Gjort, Andel, 95 % KI; hidden rows as "–"."""
    shown = shown_table(figures, hidden)
    rows = []
    for r in shown.iter_rows(named=True):
        hid = r["suppressed"]
        rows.append(
            (
                str(r["status_label"]),
                str(r["dimension_label"]),
                group_labels.get(str(r["group"]), str(r["group"])),
                HIDDEN if hid else count_text(r["n"]),
                HIDDEN if hid else count_text(r["did"]),
                HIDDEN if hid else percent_text(r["share"]),
                HIDDEN if hid else interval_text(r["low"], r["high"]),
            )
        )
    columns = ["Status", "Indelning", "Grupp", "Antal", "Gjort", "Andel", "95 % KI"]
    return pl.DataFrame(rows, schema=dict.fromkeys(columns, pl.String), orient="row")


def display_within(figures: UptakeFigures, hidden_within: set[tuple[str, str]]) -> pl.DataFrame:
    """Status and the share who had done it within each published day (95 % KI)."""
    out: dict[str, list[str]] = {"Status": []}
    for day in figures.days:
        out[f"Inom {day:g} dagar"] = []
    for status in figures.within["status_group"].unique(maintain_order=True).to_list():
        part = figures.within.filter(pl.col("status_group") == status).sort("days")
        out["Status"].append(UPTAKE_GROUP_LABELS[status])
        for day, share, low, high in part.select("days", "share", "low", "high").iter_rows():
            cell = (
                HIDDEN
                if (status, day_tag(day)) in hidden_within or share is None
                else f"{percent_text(share)} ({interval_text(low, high)})"
            )
            out[f"Inom {day:g} dagar"].append(cell)
    return pl.DataFrame(out, schema=dict.fromkeys(out, pl.String))


def curves_to_draw(figures: UptakeFigures, hidden_within: set[tuple[str, str]]) -> pl.DataFrame:
    """The shown "gjort inom" cells as curve points (shares rounded as the table shows them),
    for :func:`inkorg_kit.ui.charts.uptake_curves`."""
    rows = []
    for status, day, share, low, high in figures.within.select(
        "status_group", "days", "share", "low", "high"
    ).iter_rows():
        if (status, day_tag(day)) in hidden_within or share is None:
            continue
        rows.append(
            (
                UPTAKE_GROUP_LABELS[status],
                float(day),
                *(round(float(x), 3) for x in (share, low, high)),
            )
        )
    schema = {
        "status": pl.String,
        "days": pl.Float64,
        "share": pl.Float64,
        "low": pl.Float64,
        "high": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


def difference_text(figures: UptakeFigures, hidden: set[tuple[str, str, str]]) -> str:
    """The Swedish sentence on read - unread "Alla", from the shown counts only."""
    diff = uptake_difference(shown_table(figures, hidden))
    top = diff.filter(pl.col("dimension") == "overall")
    if not top.height:
        return difference_sentence(figures.event, None, None, None, figures.horizon_days)
    r = top.row(0, named=True)
    return difference_sentence(
        figures.event, r["difference"], r["low"], r["high"], figures.horizon_days
    )


def uptake_shown(
    figures: UptakeFigures,
    hidden: set[tuple[str, str, str]],
    hidden_within: set[tuple[str, str]],
) -> list[tuple[str, ...]]:
    """The audit keys of what the uptake displays show (read back from the shown table)."""
    shown: list[tuple[str, ...]] = []
    table = shown_table(figures, hidden)
    for r in table.iter_rows(named=True):
        if r["n"] is not None:
            shown.append(("uptake", *_row_key(r), "n"))
        if r["did"] is not None:
            shown.append(("uptake", *_row_key(r), "did"))
    for status, day, share in figures.within.select("status_group", "days", "share").iter_rows():
        if share is not None and (status, day_tag(day)) not in hidden_within:
            shown.append(("uptake_within", status, day_tag(day)))
    return shown
