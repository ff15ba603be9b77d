"""Everything the orderer's report and notebook 04 publish, protected in one pass and audited.

Why one pass: the tables are linked. The totals are the sums of every grouping; a file is sent
within one send hour and one weekday (and, when files are grouped by unit, within one unit);
the read within 1, 3 and 7 days are levels whose differences are counts too. Hidden table by
table, a count hidden in one table is the difference of two shown in others (file 001 hidden,
but the hour 09:00 and file 002 shown). So :func:`disclose` decides what to hide over all of
them together:

1. the rules of :mod:`~inkorg_kit.report.disclosure` table by table (a count 1-4 hides its
   cell or group; the hidden groups of a grouping hold at least ``min_group_size`` of every
   total; the tied headline counts; the read-within cells by hour, with "Alla" as the total),
   and the increments between the published time points (and from the last to the group's
   read total) are kept out of 1-4;
2. then the :mod:`~inkorg_kit.report.audit` over everything together: for each count from 1
   to 4 that the shown figures pin down, one of the figures its bound rests on is hidden too
   (a read-within cell first, then a file's missing count, a group, a total; the smallest), and
   the rules of step 1 are applied again, until nothing is pinned.

The curves are drawn from the read-within cells that are shown, at the published time points
only, with shares rounded as the table shows them (0.1 %), so a chart holds nothing the table
does not. :meth:`Published.audit` judges what the displays finally show (read back from the
display tables, not from the pass's own bookkeeping); the report's writer refuses a report
that fails it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from inkorg_kit.followup import (
    FollowupLists,
    Outcomes,
    followup_reasons,
    group_table,
    read_within,
    time_to_read_summary,
)
from inkorg_kit.followup.uptake import Uptake
from inkorg_kit.report.audit import (
    Audit,
    Key,
    LinkedTables,
    audit,
    linked_tables,
    pinned,
    time_tag,
)
from inkorg_kit.report.disclosure import (
    GROUP_COUNTS,
    HIDDEN,
    MIN_GROUP_SIZE,
    OVERALL,
    group_counts,
    hide_groups,
    kept_totals,
    protect_rows,
    protect_totals,
)
from inkorg_kit.report.hidden import HiddenCells, hide_within_cells
from inkorg_kit.report.tables import (
    COUNT_ROWS,
    count_text,
    counts_display,
    followup_counts,
    followup_display,
    group_display,
    horizon_label,
    interval_text,
    percent_text,
)
from inkorg_kit.report.uptake_published import (
    UptakeFigures,
    curves_to_draw,
    difference_text,
    display_table,
    display_within,
    uptake_rules,
    uptake_shown,
)

__all__ = ["HORIZONS", "Published", "disclose"]

#: The published time points (hours after sending): "Läst inom 1 timme/1/3/7 dygn".
HORIZONS = (1, 24, 72, 168)
_RANK = {"within": 0, "uptake_within": 0, "missing": 1, "group": 2, "uptake": 2, "total": 3}
_MAX_ROUNDS = 500


@dataclass(frozen=True)
class Published:
    """The figures of one report (and notebook 04), protected together. Build with
    :func:`disclose`; the tables are text, as people read them ("–" = hidden)."""

    min_group_size: int
    tiny: bool
    counts: dict[str, int | None]
    hidden_totals: frozenset[str]
    groups: pl.DataFrame
    within: pl.DataFrame | None
    hidden_within: frozenset[tuple[str, str]]
    horizons: tuple[float, ...]
    followup: tuple[dict[str, int], float] | None
    missing: pl.DataFrame | None
    hidden_missing: frozenset[str]
    time_to_read: pl.DataFrame | None
    tables: LinkedTables
    rounds: int = 0
    uptake: UptakeFigures | None = None
    hidden_uptake: frozenset[tuple[str, str, str]] = frozenset()
    hidden_uptake_within: frozenset[tuple[str, str]] = frozenset()

    # ----------------------------------------------------------------- the outcome follow-up

    def uptake_table(self) -> pl.DataFrame | None:
        """Who did what the message asked within the horizon, per status group and group
        (Status, Indelning, Grupp, Antal, Gjort, Andel, 95 % KI), or None without an outcome
        follow-up (or in a tiny campaign)."""
        if self.uptake is None or self.tiny:
            return None
        labels = {
            str(g): str(lbl)
            for g, lbl in self.groups.select("group", "group_label").iter_rows()
            if g is not None
        }
        return display_table(self.uptake, set(self.hidden_uptake), labels)

    def uptake_within_table(self) -> pl.DataFrame | None:
        """The share who had done it within each published day, per status group (Kaplan-Meier,
        95 % KI), or None."""
        if self.uptake is None or self.tiny:
            return None
        return display_within(self.uptake, set(self.hidden_uptake_within))

    def uptake_curves(self) -> pl.DataFrame | None:
        """The shown "gjort inom" cells as curve points (for
        :func:`inkorg_kit.ui.charts.uptake_curves`), or None."""
        if self.uptake is None or self.tiny:
            return None
        return curves_to_draw(self.uptake, set(self.hidden_uptake_within))

    def uptake_difference_text(self) -> str | None:
        """The Swedish sentence on read - unread (an association, not an effect), or None."""
        if self.uptake is None or self.tiny:
            return None
        return difference_text(self.uptake, set(self.hidden_uptake))

    # ----------------------------------------------------------------- the displays

    def counts_table(self) -> pl.DataFrame:
        """The headline counts (Mått, Antal, Andel); a tiny campaign shows only its size."""
        table = counts_display(self.counts, self.min_group_size, set(self.hidden_totals))
        return table.head(2) if self.tiny else table

    def hidden_groups(self, dimension: str) -> set[str]:
        """The groups hidden in one grouping (age band: also in the curves and read-within)."""
        part = self.groups.filter((pl.col("dimension") == dimension) & pl.col("suppressed"))
        return set(part["group"].to_list())

    def group_table(self) -> pl.DataFrame:
        """The group tables (Indelning, Grupp, Skickade, ...), hidden groups as "–"."""
        return group_display(self.groups, self.min_group_size)

    def _within_visible(self) -> dict[tuple[str, str], bool]:
        if self.within is None:
            return {}
        out = {}
        for row in self.within.iter_rows(named=True):
            g = str(row["group"])
            for h in self.horizons:
                tag = time_tag(h)
                out[(g, tag)] = (
                    not self.tiny
                    and row.get(f"read_{tag}") is not None
                    and (g, tag) not in self.hidden_within
                )
        return out

    def within_table(self) -> pl.DataFrame:
        """Share read within each published time (95 % KI), per age band and "Alla"."""
        if self.within is None:
            return pl.DataFrame(schema={"Grupp": pl.String})
        visible = self._within_visible()
        shown: dict[str, list[str]] = {"Grupp": [str(g) for g in self.within["group"]]}
        for h in self.horizons:
            tag = time_tag(h)
            cells = []
            for row in self.within.iter_rows(named=True):
                if visible[(str(row["group"]), tag)]:
                    share, lo, hi = row[f"read_{tag}"], row[f"low_{tag}"], row[f"high_{tag}"]
                    cells.append(f"{percent_text(share)} ({interval_text(lo, hi)})")
                else:
                    cells.append(HIDDEN)
            shown[f"Läst inom {horizon_label(h)}"] = cells
        return pl.DataFrame(shown, schema=dict.fromkeys(shown, pl.String))

    def curves(self) -> pl.DataFrame:
        """The read curves to draw: the shown read-within cells only, at the published times,
        shares rounded to 0.1 % (as the table); ``n`` the group's delivered as the group table
        shows it. Columns as :func:`inkorg_kit.followup.read_curves` (for
        :func:`inkorg_kit.ui.charts.cumulative_reads`)."""
        schema = {
            "group": pl.String,
            "n": pl.String,
            "hours": pl.Float64,
            "read_share": pl.Float64,
            "low": pl.Float64,
            "high": pl.Float64,
        }
        if self.within is None or self.tiny:
            return pl.DataFrame(schema=schema)
        delivered = {
            (OVERALL if d == "overall" else g): count_text(v)
            for d, g, v in self.groups.filter(pl.col("dimension").is_in(["overall", "age_band"]))
            .select("dimension", "group", "delivered")
            .iter_rows()
        }
        visible = self._within_visible()
        rows = []
        for row in self.within.iter_rows(named=True):
            g = str(row["group"])
            for h in self.horizons:
                tag = time_tag(h)
                if visible[(g, tag)]:
                    rows.append(
                        (
                            g,
                            delivered.get(g, HIDDEN),
                            float(h),
                            *(round(float(row[f"{c}_{tag}"]), 3) for c in ("read", "low", "high")),
                        )
                    )
        return pl.DataFrame(rows, schema=schema, orient="row")

    def missing_table(self) -> pl.DataFrame | None:
        """The files with residents missing from the export (Fil, Saknas i exporten, Hela
        filen saknas), or None when there are none (or the campaign is tiny)."""
        if self.missing is None or not self.missing.height or self.tiny:
            return None
        names = self.missing["file_name"].cast(pl.String).fill_null("(okänd fil)").to_list()
        return pl.DataFrame(
            {
                "Fil": names,
                "Saknas i exporten": [
                    HIDDEN if str(f) in self.hidden_missing else count_text(v)
                    for f, v in zip(
                        self.missing["file_name"].cast(pl.String).fill_null("(okänd fil)"),
                        self.missing["not_in_export"],
                        strict=True,
                    )
                ],
                "Hela filen saknas": ["nej" if s else "ja" for s in self.missing["file_sent"]],
            }
        )

    def followup_table(self) -> pl.DataFrame | None:
        """Residents per reason to reach another way (Orsak, Antal), or None."""
        if self.followup is None or self.tiny:
            return None
        counts, hours = self.followup
        return followup_display(counts, set(self.hidden_totals), hours)

    def time_to_read_table(self) -> pl.DataFrame:
        """Median hours from sending to reading (95 % KI) for "Alla" and the shown age bands;
        no counts (they are the group table's)."""
        schema = {"Grupp": pl.String, "Median (timmar)": pl.String, "95 % KI": pl.String}
        if self.time_to_read is None or self.tiny:
            return pl.DataFrame(schema=schema)
        hidden = self.hidden_groups("age_band")

        def hours(value: float | None) -> str:
            return HIDDEN if value is None else f"{value:.1f}".replace(".", ",")

        rows = [
            (
                str(r["group"]),
                hours(r["median_hours"]),
                f"{hours(r['low'])}–{hours(r['high'])}"
                if r["low"] is not None and r["high"] is not None
                else HIDDEN,
            )
            for r in self.time_to_read.iter_rows(named=True)
            if str(r["group"]) not in hidden
        ]
        return pl.DataFrame(rows, schema=schema, orient="row")

    # ----------------------------------------------------------------- the audit

    def shown_figures(self) -> list[Key]:
        """The figures the displays show, read back from the display tables."""
        shown: list[Key] = []
        labels = {label: key for label, key, _ in COUNT_ROWS}
        for label, antal in self.counts_table().select("Mått", "Antal").iter_rows():
            # the target's size and residents outside the campaign are tied to nothing
            if antal != HIDDEN and ("total", labels.get(label)) in self.tables.figures:
                shown.append(("total", labels[label]))
        if self.tiny:
            return [k for k in shown if k in self.tables.figures]
        table = self.group_table()
        columns = {
            "Skickade": "sent",
            "Misslyckade": "failed",
            "Levererade": "delivered",
            "Lästa": "read",
            "Läsandel": "n",
        }
        overall = {
            "sent": ("attempted",),
            "failed": ("failed",),
            "delivered": ("delivered",),
            "read": ("read",),
            "n": ("read", "unread"),
        }
        keys = self.groups.select("dimension", "group").iter_rows()
        for (dimension, group), row in zip(keys, table.iter_rows(named=True), strict=True):
            for column, count in columns.items():
                if row[column] == HIDDEN:
                    continue
                if dimension == "overall":
                    shown += [("total", name) for name in overall[count]]
                else:
                    shown.append(("group", dimension, str(group), count))
        if self.followup is not None:
            _, hours = self.followup
            reasons = followup_reasons(hours)
            names = {reasons[k]: ("list_unread" if k == "unread" else k) for k in reasons}
            for reason, antal in self.followup_table().iter_rows():
                if antal != HIDDEN and reason in names:
                    shown.append(("total", names[reason]))
        within = self.within_table()
        tags = {f"Läst inom {horizon_label(h)}": time_tag(h) for h in self.horizons}
        for row in within.iter_rows(named=True):
            for column, tag in tags.items():
                if row.get(column, HIDDEN) != HIDDEN:
                    shown.append(("within", row["Grupp"], tag))
        for g, h in self.curves().select("group", "hours").iter_rows():
            shown.append(("within", g, time_tag(h)))
        missing = self.missing_table()
        if missing is not None:
            for name, antal in missing.select("Fil", "Saknas i exporten").iter_rows():
                if antal != HIDDEN:
                    shown.append(("missing", name))
        if self.uptake is not None:
            shown += uptake_shown(
                self.uptake, set(self.hidden_uptake), set(self.hidden_uptake_within)
            )
        unknown = [k for k in dict.fromkeys(shown) if k not in self.tables.figures]
        if unknown:  # pragma: no cover - every display cell is a figure of the tables
            raise AssertionError(f"audit: shown cells without a figure: {unknown[:5]}")
        return list(dict.fromkeys(shown))

    def audit(self) -> Audit:
        """:func:`inkorg_kit.report.audit.audit` of what the displays show."""
        return audit(self.tables, self.shown_figures(), self.min_group_size)


def _rules(
    state: HiddenCells,
    *,
    counts: Mapping[str, int | None],
    followup: Mapping[str, int] | None,
    groups: pl.DataFrame,
    within: pl.DataFrame | None,
    horizons: Sequence[float],
    missing: pl.DataFrame | None,
    minimum: int,
    uptake: UptakeFigures | None = None,
) -> None:
    """Apply the table-by-table rules to ``state`` until they add nothing (they only add)."""
    guarded = kept_totals(groups, minimum)
    dims = [d for d in groups["dimension"].unique(maintain_order=True).to_list() if d != "overall"]
    while True:
        before = state.size()
        state.totals = protect_totals(counts, followup, minimum, hidden=state.totals)
        for dim in dims:
            part = groups.filter(pl.col("dimension") == dim)
            names = [str(g) for g in part["group"]]
            known = state.rows.setdefault(dim, set())
            hide = protect_rows(
                group_counts(part), guarded, minimum, np.array([g in known for g in names])
            )
            known.update(g for g, out in zip(names, hide, strict=True) if out)
        if within is not None:
            hide_within_cells(state, within, horizons, groups, minimum)
        if missing is not None and missing.height:
            total = int(counts.get("not_in_export") or 0)
            names = [str(f) for f in missing["file_name"]]
            hide = protect_rows(
                missing["not_in_export"].to_numpy().reshape(-1, 1),
                [total if total >= minimum else None],
                minimum,
                np.array([f in state.missing for f in names]),
            )
            state.missing.update(f for f, out in zip(names, hide, strict=True) if out)
        if uptake is not None:
            uptake_rules(
                state.uptake, state.uptake_within, uptake, state.rows, state.totals, minimum
            )
        if state.size() == before:
            return


def _choose(basis: Iterable[Key], tables: LinkedTables, sent: Mapping[Key, int]) -> Key | None:
    """The shown figure to hide to break a bound: the cheapest kind, then the smallest."""
    best, best_rank = None, None
    for key in basis:
        if key in tables.always_shown:
            continue
        size = sent.get(key[:3]) if key[0] == "group" else tables.figures[key].value
        rank = (_RANK[key[0]], size if size is not None else 0, key)
        if best_rank is None or rank < best_rank:
            best, best_rank = key, rank
    return best


def _check(tables: LinkedTables, groups: pl.DataFrame, within: pl.DataFrame | None) -> None:
    """The audit's truth must be the tables' own counts (else it would judge other tables)."""
    for row in groups.filter(pl.col("dimension") != "overall").iter_rows(named=True):
        for count in (*GROUP_COUNTS, "n"):
            key = ("group", row["dimension"], str(row["group"]), count)
            fig = tables.figures.get(key)
            if fig is None or fig.value != row[count]:
                raise AssertionError(f"audit: {key} is {fig and fig.value}, the table {row[count]}")
    if within is not None:
        for row in within.iter_rows(named=True):
            for key, fig in tables.figures.items():
                same = key[0] == "within" and key[1] == str(row["group"])
                if same and fig.value != row[f"read_by_{key[2]}"]:
                    raise AssertionError(f"audit: {key} differs from read_within")


def disclose(
    outcomes: Outcomes,
    lists: FollowupLists | Mapping[str, float] | None = None,
    min_group_size: int = MIN_GROUP_SIZE,
    *,
    horizons: Sequence[float] = HORIZONS,
    missing: bool = True,
    time_to_read: bool = True,
    uptake: Uptake | None = None,
) -> Published:
    """Protect everything a report on ``outcomes`` publishes, in one pass (module docstring).

    ``lists``: the :class:`~inkorg_kit.followup.FollowupLists` (or their counts with
    ``after_working_hours``) when their counts are shown; ``missing``: list the files with
    residents missing from the export; ``time_to_read``: the median time to read by age band;
    ``uptake``: the outcome follow-up (:func:`inkorg_kit.followup.load_uptake`), whose tables
    are protected in the same pass (:mod:`inkorg_kit.report.uptake_published`).
    """
    if min_group_size < 1:
        raise ValueError(f"min_group_size must be 1 or more, got {min_group_size}")
    counts = outcomes.counts()
    figures = UptakeFigures.of(uptake) if uptake is not None else None
    f = followup_counts(lists)
    groups = group_table(outcomes)
    within = read_within(outcomes, tuple(horizons), "age_band") if horizons else None
    if within is not None and not within.height:
        within = None
    gone = outcomes.missing_by_file() if missing else None
    if gone is not None:
        gone = gone.with_columns(pl.col("file_name").cast(pl.String).fill_null("(okänd fil)"))
    tables = linked_tables(
        outcomes,
        horizons=tuple(horizons) if within is not None else (),
        within=within,
        followup=f[0] if f else None,
        missing=gone if gone is not None and gone.height else None,
        uptake=figures.people if figures is not None else None,
        uptake_days=figures.days if figures is not None else (),
    )
    _check(tables, groups, within)
    tiny = (counts.get("attempted") or 0) < min_group_size
    state = HiddenCells()
    rounds = 0
    if tiny:
        state.totals = protect_totals(counts, f[0] if f else None, min_group_size)
        for key in tables.figures:
            if key not in tables.always_shown:
                state.hide(key)
    else:
        options: dict[str, Any] = {
            "counts": counts,
            "followup": f[0] if f else None,
            "groups": groups,
            "within": within,
            "horizons": tuple(horizons),
            "missing": gone,
            "minimum": min_group_size,
            "uptake": figures,
        }
        sent = {
            ("group", d, str(g)): int(s)
            for d, g, s in groups.select("dimension", "group", "sent").iter_rows()
        }
        pending = [
            t
            for t in tables.targets
            if 0 < t.value < min_group_size and t.key not in tables.always_shown
        ]
        while True:
            rounds += 1
            _rules(state, **options)
            found = tables.intervals(state.shown(tables), pending)
            bad = [i for i in found if pinned(i.low, i.high, min_group_size) is not None]
            if not bad:
                break
            pending = [i.target for i in bad]
            picks = {_choose(i.basis, tables, sent) for i in bad}
            if None in picks or rounds >= _MAX_ROUNDS:  # no way found: hide all (safe side)
                for key in tables.figures:
                    if key not in tables.always_shown:
                        state.hide(key)
                break
            for key in picks:
                state.hide(key)  # type: ignore[arg-type]
    shown_groups = hide_groups(groups, state.rows, state.totals, min_group_size)
    return Published(
        min_group_size=min_group_size,
        tiny=tiny,
        counts=counts,
        hidden_totals=frozenset(state.totals),
        groups=shown_groups,
        within=within,
        hidden_within=frozenset(state.within),
        horizons=tuple(float(h) for h in horizons),
        followup=f,
        missing=gone,
        hidden_missing=frozenset(state.missing),
        time_to_read=time_to_read_summary(outcomes) if time_to_read else None,
        tables=tables,
        rounds=rounds,
        uptake=figures,
        hidden_uptake=frozenset(state.uptake),
        hidden_uptake_within=frozenset(state.uptake_within),
    )
