"""The disclosure audit: from everything a report publishes together, can anyone work out a
count from 1 to ``min_group_size - 1``?

Why a module of its own: table-by-table rules miss what tables give away together (a file
hidden, but its send hour and the other file of that hour shown: one minus the other). The
audit is the proof the rules are judged by, and the report's writer runs it before anything is
written (:func:`inkorg_kit.report.write_report`).

How. The unknowns are the true counts of the finest cells the published tables are sums of:
per outcome (read, unread, unknown status, failed) the residents of each age band, each sex
and each *site*, a combination of file, unit and send weekday and hour that occurs in the data
(so a file sent within one hour, or files grouped by unit, nest as they do); the read by age
band split into the intervals between the published time points ("Läst inom 1/3/7 dygn"); the
failed by reason; the unread and unknown by follow-up list; the missing by file. Only one-way
groupings are published, so the counts per age band, sex and site need not be crossed: any
margins with equal totals come from some table (an exact reduction, also in whole numbers).
Every shown figure is an equality over these unknowns (a share read within a time is taken as
giving its count exactly, the safe side), the structure is more (parts add up to their whole,
everything is 0 or more, a file listed as having missing residents has at least 1). For every
*target* (each table cell, shown or not, each count read between two published time points
or after the last, each count not read by one) whose true value is from 1 to
``min_group_size - 1``, two linear programs (:func:`scipy.optimize.linprog`, whole numbers
relaxed) give the least and the most it can be. The rule: a shown figure is never 1-4, and no
target's interval holds only one whole number from 1 to 4. A target of value 0 or 5 and more
can never be pinned to 1-4 (the truth is always feasible), so only the small ones are solved.

>>> pinned(2.0, 2.0, 5), pinned(1.5, 2.4, 5), pinned(1.0, 2.0, 5), pinned(5.0, 5.0, 5)
(2, 2, None, None)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from inkorg_kit.followup.codes import UNKNOWN
from inkorg_kit.report.uptake_audit import add_uptake
from inkorg_kit.vocab import WEEKDAY_LABELS_SV

if TYPE_CHECKING:
    from inkorg_kit.followup import Outcomes

__all__ = [
    "COUNT_PARTS",
    "OUTCOMES4",
    "Audit",
    "Figure",
    "Interval",
    "LinkedTables",
    "audit",
    "linked_tables",
    "pinned",
    "time_tag",
]

#: The outcomes of a resident in the export, as the group tables count them.
OUTCOMES4 = ("read", "unread", "unknown", "failed")
#: Each count of a group-table row as a sum of outcomes ("n": read + unread, the rate's base).
COUNT_PARTS = {
    "sent": (0, 1, 2, 3),
    "failed": (3,),
    "delivered": (0, 1, 2),
    "read": (0,),
    "unread": (1,),
    "unknown": (2,),
    "n": (0, 1),
}
#: The groupings of a site (the rest, age band and sex, have margins of their own).
_SITE_DIMS = ("file_name", "unit", "send_weekday", "send_hour")
_TOTAL_PARTS = {
    "attempted": (0, 1, 2, 3),
    "delivered": (0, 1, 2),
    "read": (0,),
    "unread": (1,),
    "unknown": (2,),
    "failed": (3,),
}
_FAILURES = ("failed_no_login", "failed_locked", "failed_other")
_TOL = 1e-6

Key = tuple[str, ...]


def time_tag(hours: float) -> str:
    """A published time point's tag, as :func:`inkorg_kit.followup.read_within` names it."""
    return f"{hours:g}h"


def pinned(low: float, high: float, minimum: int) -> int | None:
    """The one whole number from 1 to ``minimum - 1`` in [low, high] (with a small tolerance),
    if that is the only whole number there; else None."""
    first, last = math.ceil(low - _TOL), math.floor(high + _TOL)
    if first == last and 0 < first < minimum:
        return first
    return None


@dataclass(frozen=True)
class Figure:
    """A published figure or a target: a sum of unknowns (``cols``) with its true ``value``.

    ``key``: ``("total", name)``, ``("group", dimension, group, count)``, ``("within", group,
    tag)``, ``("missing", file)`` or, for targets only, ``("time", group, first, last)`` (read
    in the intervals ``first``..``last`` after sending; the last but one is "later or without a
    time", the last is "unread")."""

    key: Key
    cols: np.ndarray
    value: int


@dataclass(frozen=True)
class Interval:
    """What the published figures leave open for a target: [low, high]; ``basis``: the shown
    figures the bounds rest on (the linear programs' nonzero duals)."""

    target: Figure
    low: float
    high: float
    basis: tuple[Key, ...] = ()


@dataclass
class LinkedTables:
    """The unknowns, their structure, and every figure a report may publish, with the truth.

    Made by :func:`linked_tables`. ``figures``: the published candidates (shown or hidden);
    ``targets``: what must not be pinned to 1-4 (the figures and the time increments);
    ``always_shown``: figures the orderer knows anyway (the size of the order)."""

    size: int
    low: np.ndarray
    structure: list[tuple[np.ndarray, np.ndarray]]
    figures: dict[Key, Figure]
    targets: list[Figure]
    always_shown: frozenset[Key] = frozenset()

    def _system(self, shown: Iterable[Key]) -> tuple[object, np.ndarray, list[Key]]:
        from scipy import sparse  # heavy: only when asked

        rows, cols, data, b, keys = [], [], [], [], []
        r = 0
        for plus, minus in self.structure:
            rows += [r] * (len(plus) + len(minus))
            cols += [*plus.tolist(), *minus.tolist()]
            data += [1.0] * len(plus) + [-1.0] * len(minus)
            b.append(0.0)
            keys.append(("structure",))
            r += 1
        for key in shown:
            fig = self.figures[key]
            rows += [r] * len(fig.cols)
            cols += fig.cols.tolist()
            data += [1.0] * len(fig.cols)
            b.append(float(fig.value))
            keys.append(key)
            r += 1
        matrix = sparse.csr_matrix((data, (rows, cols)), shape=(r, self.size))
        return matrix, np.array(b), keys

    def intervals(self, shown: Iterable[Key], targets: Sequence[Figure]) -> list[Interval]:
        """Each target's feasible interval given the ``shown`` figures (two LPs each)."""
        from scipy.optimize import linprog  # heavy: only when asked

        shown = [k for k in dict.fromkeys(shown) if k in self.figures]
        if not targets:
            return []
        matrix, b, keys = self._system(shown)
        bounds = np.column_stack([self.low, np.full(self.size, np.inf)])
        out = []
        for target in targets:
            c = np.zeros(self.size)
            c[target.cols] = 1.0
            ends, basis = [], set()
            for sign in (1.0, -1.0):
                res = linprog(sign * c, A_eq=matrix, b_eq=b, bounds=bounds, method="highs")
                if res.status != 0:  # pragma: no cover - the truth is always feasible
                    raise AssertionError(f"audit: the linear program failed: {res.message}")
                ends.append(sign * res.fun)
                duals = np.asarray(res.eqlin.marginals)
                basis |= {keys[i] for i in np.flatnonzero(np.abs(duals) > 1e-9)}
            basis.discard(("structure",))
            out.append(Interval(target, ends[0], ends[1], tuple(sorted(basis))))
        return out


@dataclass(frozen=True)
class Audit:
    """The audit's verdict: ``shown_small`` (shown figures from 1 to 4), ``pinned`` (targets
    whose interval holds a single whole number from 1 to 4), and how many were solved."""

    shown_small: tuple[Figure, ...]
    pinned: tuple[Interval, ...]
    solved: int
    minimum: int

    @property
    def ok(self) -> bool:
        return not self.shown_small and not self.pinned

    def problems(self) -> list[str]:
        """What fails, as text without numbers of people beyond the cells' names."""
        out = [f"{_name(f.key)} is shown and below {self.minimum}" for f in self.shown_small]
        out += [f"{_name(i.target.key)} can be worked out exactly" for i in self.pinned]
        return out


def _name(key: Key) -> str:
    return ":".join(str(k) for k in key)


def audit(
    tables: LinkedTables,
    shown: Iterable[Key],
    minimum: int,
    *,
    targets: Iterable[Key] | None = None,
) -> Audit:
    """Judge a publication: ``shown`` the keys of the figures it shows (the rest hidden)."""
    shown = [k for k in dict.fromkeys(shown) if k in tables.figures]
    small = tuple(
        tables.figures[k]
        for k in shown
        if k not in tables.always_shown and 0 < tables.figures[k].value < minimum
    )
    wanted = None if targets is None else set(targets)
    candidates = [
        t
        for t in tables.targets
        if 0 < t.value < minimum
        and t.key not in tables.always_shown
        and (wanted is None or t.key in wanted)
    ]
    found = tables.intervals(shown, candidates)
    bad = tuple(i for i in found if pinned(i.low, i.high, minimum) is not None)
    return Audit(small, bad, len(found), minimum)


class _Vars:
    def __init__(self) -> None:
        self.size = 0
        self.low: list[float] = []

    def add(self, n: int, low: float = 0.0) -> np.ndarray:
        out = np.arange(self.size, self.size + n)
        self.size += n
        self.low += [low] * n
        return out


def _people(outcomes: Outcomes, horizons: Sequence[float]) -> pl.DataFrame:
    """The campaign residents in the export with their groupings (as the tables key them), the
    outcome's index in :data:`OUTCOMES4` and, for the read, the interval of their read time."""
    base = outcomes.campaign_people()
    local = pl.col("sent_at").dt.convert_time_zone(outcomes.timezone)
    weekdays = dict(enumerate(WEEKDAY_LABELS_SV))
    t = pl.col("observed_hours").clip(lower_bound=0.0)
    edges = list(horizons)
    bin_expr = pl.lit(len(edges), dtype=pl.Int64)
    for j in reversed(range(len(edges))):
        bin_expr = pl.when(t <= edges[j]).then(pl.lit(j, dtype=pl.Int64)).otherwise(bin_expr)
    return base.select(
        "pnr",
        *(pl.col(d).cast(pl.String).fill_null(UNKNOWN).alias(d) for d in ("age_band", "sex")),
        *(pl.col(d).cast(pl.String).fill_null(UNKNOWN).alias(d) for d in ("file_name", "unit")),
        (local.dt.weekday() - 1)
        .replace_strict(weekdays, default=None, return_dtype=pl.String)
        .alias("send_weekday"),
        pl.when(pl.col("sent_at").is_not_null())
        .then(pl.format("{}:00", local.dt.hour().cast(pl.String).str.zfill(2)))
        .alias("send_hour"),
        pl.col("outcome")
        .cast(pl.String)
        .replace_strict(dict(zip(OUTCOMES4, range(4), strict=True)), return_dtype=pl.Int64)
        .alias("o"),
        pl.when((pl.col("outcome") == "read") & pl.col("event").fill_null(False))
        .then(bin_expr)
        .when(pl.col("outcome") == "read")
        .then(pl.lit(len(edges), dtype=pl.Int64))
        .alias("bin"),
    )


def linked_tables(
    outcomes: Outcomes,
    *,
    horizons: Sequence[float] = (),
    within: pl.DataFrame | None = None,
    followup: Mapping[str, int] | None = None,
    missing: pl.DataFrame | None = None,
    overall: str = "Alla",
    dimensions: Sequence[str] = ("file_name", "age_band", "sex", "unit"),
    send_dimensions: Sequence[str] = ("send_weekday", "send_hour"),
    uptake: pl.DataFrame | None = None,
    uptake_days: Sequence[float] = (),
) -> LinkedTables:
    """The unknowns and figures of a report on ``outcomes`` (see the module docstring).

    ``horizons``: the published time points in hours, ``within``: their
    :func:`~inkorg_kit.followup.read_within` by age band (a cell is a figure where its share is
    not empty); ``followup``: :meth:`~inkorg_kit.followup.FollowupLists.counts` when the
    report shows them; ``missing``: :meth:`~inkorg_kit.followup.Outcomes.missing_by_file` when
    the report lists the files with residents missing from the export; ``uptake``: the
    :class:`~inkorg_kit.followup.uptake.Uptake` people when the report shows the outcome
    follow-up, ``uptake_days`` its published days (:mod:`inkorg_kit.report.uptake_audit`).
    """
    people = _people(outcomes, horizons)
    counts = outcomes.counts()
    v = _Vars()
    figures: dict[Key, Figure] = {}
    targets: list[Figure] = []
    structure: list[tuple[np.ndarray, np.ndarray]] = []

    def figure(key: Key, cols: np.ndarray, value: int, target: bool = True) -> Figure:
        fig = Figure(key, np.asarray(cols, dtype=np.int64), int(value))
        figures[key] = fig
        if target:
            targets.append(fig)
        return fig

    # margins: per outcome, the residents of each age band, sex and site; their totals agree
    totals = v.add(4)
    sites = people.select(*_SITE_DIMS).unique(maintain_order=True).sort(_SITE_DIMS, nulls_last=True)
    site_index = {row: i for i, row in enumerate(sites.iter_rows())}
    people = people.with_columns(
        pl.Series("site", [site_index[r] for r in people.select(*_SITE_DIMS).iter_rows()])
    )
    margin_cols: dict[str, tuple[list[str], np.ndarray]] = {}
    for margin in ("age_band", "sex", "site"):
        levels = (
            list(range(sites.height))
            if margin == "site"
            else sorted(people[margin].unique().to_list())
        )
        cols = v.add(len(levels) * 4).reshape(len(levels), 4)
        margin_cols[margin] = (levels, cols)
        for o in range(4):
            structure.append((cols[:, o], np.array([totals[o]])))
    truth: dict[str, np.ndarray] = {}
    for margin, (levels, _) in margin_cols.items():
        grid = np.zeros((len(levels), 4), dtype=np.int64)
        pos = {lv: i for i, lv in enumerate(levels)}
        for level, o, n in people.group_by(margin, "o").len().iter_rows():
            grid[pos[level], o] += n
        truth[margin] = grid
    total_truth = truth["sex"].sum(axis=0)

    for name, parts in _TOTAL_PARTS.items():
        figure(("total", name), totals[list(parts)], total_truth[list(parts)].sum())

    def group_figures(dim: str, group: str, cols: np.ndarray, grid: np.ndarray) -> None:
        for count, parts in COUNT_PARTS.items():
            figure(("group", dim, group, count), cols[:, list(parts)].ravel(), grid[:, parts].sum())

    for dim in (*dimensions, *send_dimensions):
        if dim in ("age_band", "sex"):
            levels, cols = margin_cols[dim]
            for i, level in enumerate(levels):
                group_figures(dim, level, cols[i : i + 1], truth[dim][i : i + 1])
            continue
        _, cols = margin_cols["site"]
        values = sites[dim].to_list()
        for level in sorted({x for x in values if x is not None}):
            rows = [i for i, x in enumerate(values) if x == level]
            group_figures(dim, level, cols[rows], truth["site"][rows])

    if uptake is not None:
        add_uptake(
            v=v,
            figure=figure,
            structure=structure,
            targets=targets,
            make_figure=lambda key, cols, value: Figure(key, np.asarray(cols, np.int64), value),
            people=people,
            margin_cols=margin_cols,
            sites=sites,
            uptake_people=uptake,
            points=uptake_days,
            dimensions=("age_band", "sex", "unit"),
            overall=overall,
        )

    # the failed by reason, the open by follow-up list, the missing (by file)
    failed = v.add(3)
    structure.append((failed, np.array([totals[3]])))
    for name, col in zip(_FAILURES, failed, strict=True):
        figure(("total", name), np.array([col]), counts[name] or 0)
    if followup is not None:
        f = dict(followup)
        lu, wu, uc, uo, wk = v.add(5)
        structure.append((np.array([lu, wu]), np.array([totals[1]])))
        structure.append((np.array([uc, uo, wk]), np.array([totals[2]])))
        figure(("total", "list_unread"), np.array([lu]), f.get("unread", 0))
        figure(("total", "unknown_closed"), np.array([uc]), f.get("unknown_closed", 0))
        figure(("total", "unknown_other"), np.array([uo]), f.get("unknown_other", 0))
        figure(("total", "not_yet_due"), np.array([wu, wk]), f.get("not_yet_due", 0))
    gone = v.add(1)
    figure(("total", "not_in_export"), gone, counts["not_in_export"] or 0)
    figure(("total", "in_files"), np.concatenate([totals, gone]), counts["in_files"] or 0)
    if missing is not None and missing.height:
        files = v.add(missing.height, low=1.0)
        structure.append((files, gone))
        for col, (name, value) in zip(
            files, missing.select("file_name", "not_in_export").iter_rows(), strict=True
        ):
            figure(("missing", str(name)), np.array([col]), value)

    # the read by age band split at the published time points
    k = len(horizons)
    if k:
        bands, band_cols = margin_cols["age_band"]
        bins = v.add(len(bands) * (k + 1)).reshape(len(bands), k + 1)
        bin_truth = np.zeros((len(bands), k + 1), dtype=np.int64)
        pos = {b: i for i, b in enumerate(bands)}
        read = people.filter(pl.col("o") == 0)
        for band, b, n in read.group_by("age_band", "bin").len().iter_rows():
            bin_truth[pos[band], b] += n
        for i in range(len(bands)):
            structure.append((bins[i], band_cols[i : i + 1, 0]))
        sequences = {
            overall: (
                [bins[:, j] for j in range(k + 1)] + [band_cols[:, 1]],
                [*bin_truth.sum(axis=0).tolist(), int(truth["age_band"][:, 1].sum())],
            ),
        }
        for i, band in enumerate(bands):
            sequences[band] = (
                [bins[i : i + 1, j] for j in range(k + 1)] + [band_cols[i : i + 1, 1]],
                [*bin_truth[i].tolist(), int(truth["age_band"][i, 1])],
            )
        published: dict[tuple[str, str], bool] = {}
        if within is not None:
            for row in within.iter_rows(named=True):
                for h in horizons:
                    published[(str(row["group"]), time_tag(h))] = (
                        row.get(f"read_{time_tag(h)}") is not None
                    )
        for group, (cells, values) in sequences.items():
            for j, h in enumerate(horizons):
                if published.get((group, time_tag(h))):
                    figure(
                        ("within", group, time_tag(h)),
                        np.concatenate(cells[: j + 1]),
                        sum(values[: j + 1]),
                        target=False,
                    )
            for first in range(len(cells)):
                for last in range(first, len(cells)):
                    targets.append(
                        Figure(
                            ("time", group, str(first), str(last)),
                            np.concatenate(cells[first : last + 1]),
                            int(sum(values[first : last + 1])),
                        )
                    )
    always = frozenset({("total", "in_files")})
    return LinkedTables(
        size=v.size,
        low=np.array(v.low),
        structure=structure,
        figures=figures,
        targets=targets,
        always_shown=always,
    )
