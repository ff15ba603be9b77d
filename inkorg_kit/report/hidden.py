"""Which published cells are hidden, and the rule for the read-within cells.

Why apart from :mod:`~inkorg_kit.report.published`: the pass there decides *what* to hide over
all the linked tables; this module holds the bookkeeping of what is hidden (every kind of cell
the report publishes: headline counts, groups, read-within cells, a file's missing count, the
outcome follow-up's cells) and the read-within rule, which is the longest of the table rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from inkorg_kit.report.audit import Key, LinkedTables, time_tag
from inkorg_kit.report.disclosure import OVERALL, protect_hour

__all__ = ["HiddenCells", "hide_within_cells"]


@dataclass
class HiddenCells:
    """What is hidden: headline counts, groups per grouping, read-within cells, missing files."""

    totals: set[str] = field(default_factory=set)
    rows: dict[str, set[str]] = field(default_factory=dict)
    within: set[tuple[str, str]] = field(default_factory=set)
    missing: set[str] = field(default_factory=set)
    uptake: set[tuple[str, str, str]] = field(default_factory=set)
    uptake_within: set[tuple[str, str]] = field(default_factory=set)

    def size(self) -> int:
        return (
            len(self.totals)
            + sum(len(v) for v in self.rows.values())
            + len(self.within)
            + len(self.missing)
            + len(self.uptake)
            + len(self.uptake_within)
        )

    def shown(self, tables: LinkedTables) -> list[Key]:
        out = []
        for key in tables.figures:
            kind = key[0]
            if kind == "total":
                ok = key[1] not in self.totals
            elif kind == "group":
                ok = key[2] not in self.rows.get(key[1], set())
            elif kind == "within":
                ok = (key[1], key[2]) not in self.within
            elif kind == "uptake":
                ok = (key[1], key[2], key[3]) not in self.uptake
            elif kind == "uptake_within":
                ok = (key[1], key[2]) not in self.uptake_within
            else:
                ok = key[1] not in self.missing
            if ok:
                out.append(key)
        return out

    def hide(self, key: Key) -> None:
        kind = key[0]
        if kind == "total":
            self.totals.add(key[1])
        elif kind == "group":
            self.rows.setdefault(key[1], set()).add(key[2])
        elif kind == "within":
            self.within.add((key[1], key[2]))
        elif kind == "uptake":
            self.uptake.add((key[1], key[2], key[3]))
        elif kind == "uptake_within":
            self.uptake_within.add((key[1], key[2]))
        else:
            self.missing.add(key[1])


def hide_within_cells(
    state: HiddenCells,
    within: pl.DataFrame,
    horizons: Sequence[float],
    groups: pl.DataFrame,
    minimum: int,
) -> None:
    """The read-within cells to hide: hidden age bands whole; per time point the rules of
    :func:`~inkorg_kit.report.disclosure.protect_hour`; per group the increments between the
    shown time points, and from the last shown one to the group's read total, not 1-4."""
    names = [str(g) for g in within["group"]]
    hidden_bands = state.rows.get("age_band", set())
    others = np.array([g != OVERALL for g in names])
    n = within["n"].to_numpy().astype(np.int64)
    for h in horizons:
        tag = time_tag(h)
        share = within[f"read_{tag}"]
        done = within[f"read_by_{tag}"].fill_null(0).to_numpy().astype(np.int64)
        blank = (
            np.array([g in hidden_bands or (g, tag) in state.within for g in names])
            | share.is_null().to_numpy()
        )
        for g, b in zip(names, blank, strict=True):
            if b and g != OVERALL:
                state.within.add((g, tag))
        overall = None
        if (~others).any() and not blank[~others][0]:
            i = int(np.flatnonzero(~others)[0])
            overall = (int(done[i]), int(n[i] - done[i]))
        gone, overall_shows = protect_hour(done[others], n[others], overall, blank[others], minimum)
        for g, out in zip(np.array(names, dtype=object)[others], gone, strict=True):
            if out:
                state.within.add((g, tag))
        if (~others).any() and not overall_shows:
            state.within.add((OVERALL, tag))
    read_total = {
        (OVERALL if d == "overall" else str(g)): r
        for d, g, r in groups.filter(pl.col("dimension").is_in(["overall", "age_band"]))
        .select("dimension", "group", "read")
        .iter_rows()
    }
    for i, g in enumerate(names):
        while True:
            last = 0
            shown_tags = []
            for h in horizons:
                tag = time_tag(h)
                if (g, tag) in state.within or within[f"read_{tag}"][i] is None:
                    continue
                level = int(within[f"read_by_{tag}"][i])
                if 0 < level - last < minimum:
                    state.within.add((g, tag))
                    continue
                last = level
                shown_tags.append(tag)
            total = read_total.get(g)
            if shown_tags and total is not None and 0 < total - last < minimum:
                state.within.add((g, shown_tags[-1]))
                continue
            break
