"""The outcome follow-up's figures in the disclosure audit: unknowns, structure and targets.

Why apart from :mod:`inkorg_kit.report.audit`: the uptake tables split the residents of each
read status (read, unread, letter, reminder) into those who did the outcome within the horizon
and those who did not, by age band, sex and unit, and the did by the published days. The audit
must see them linked to the group tables (the read of an age band is the uptake table's "n" of
*read* in that band) so that nothing 1-4 can be worked out from all tables together.

Unknowns: per margin (age band, sex, site) level, per (outcome, status group) pair the data
can hold, and per did/did not, a count; they add up to the margin's outcome count (the
*unknown* outcome keeps a remainder for those outside every published group) and agree across
margins (one total per pair and did). The did of each status group is split at the published
days. Figures: ``("uptake", status, dimension, group, "n" | "did")`` and ``("uptake_within",
status, tag)``; targets also ``"not"`` (n - did) and every run of the day intervals.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import polars as pl

from inkorg_kit.followup.uptake import UPTAKE_GROUPS

__all__ = ["PAIRS", "add_uptake", "day_tag"]

#: Which outcome (index of ``OUTCOMES4``: read, unread, unknown, failed) each status group's
#: residents can have.
PAIRS = ((0, "read"), (1, "unread"), (3, "letter"), (0, "reminder"), (1, "reminder"),
         (2, "reminder"))  # fmt: skip


def day_tag(days: float) -> str:
    """A published day's tag: ``7d``."""
    return f"{days:g}d"


def add_uptake(
    *,
    v: Any,
    figure: Callable[..., Any],
    structure: list[tuple[np.ndarray, np.ndarray]],
    targets: list[Any],
    make_figure: Callable[[tuple[str, ...], np.ndarray, int], Any],
    people: pl.DataFrame,
    margin_cols: dict[str, tuple[list[Any], np.ndarray]],
    sites: pl.DataFrame,
    uptake_people: pl.DataFrame,
    points: Sequence[float],
    dimensions: Sequence[str],
    overall: str,
) -> None:
    """Add the uptake unknowns, structure, figures and targets to a linked-table build
    (``people`` as :func:`inkorg_kit.report.audit.linked_tables` has them, with ``pnr``,
    ``o`` and ``site``)."""
    joined = people.join(
        uptake_people.select("pnr", "status_group", "did", "observed_days"),
        on="pnr",
        how="left",
        maintain_order="left",
    ).filter(pl.col("status_group").is_in(UPTAKE_GROUPS))
    groups = [s for s in UPTAKE_GROUPS if s in set(joined["status_group"].to_list())]
    pairs = [(o, s) for o, s in PAIRS if s in groups]
    if not pairs:
        return
    pair_index = {p: i for i, p in enumerate(pairs)}
    pair_expr = pl.lit(-1, pl.Int64)
    for (o, s), i in pair_index.items():
        pair_expr = (
            pl.when((pl.col("o") == o) & (pl.col("status_group") == s))
            .then(pl.lit(i, pl.Int64))
            .otherwise(pair_expr)
        )
    joined = joined.with_columns(pair_expr.alias("pair"), pl.col("did").cast(pl.Int64).alias("d"))
    if (joined["pair"] < 0).any():  # pragma: no cover - PAIRS covers every status group
        raise AssertionError("audit: a status group with an outcome it cannot have")
    npairs = len(pairs)
    totals = v.add(npairs * 2).reshape(npairs, 2)
    x: dict[str, tuple[list[Any], np.ndarray, np.ndarray]] = {}
    for margin in ("age_band", "sex", "site"):
        levels, cols = margin_cols[margin]
        xs = v.add(len(levels) * npairs * 2).reshape(len(levels), npairs, 2)
        truth = np.zeros((len(levels), npairs, 2), dtype=np.int64)
        pos = {lv: i for i, lv in enumerate(levels)}
        for level, p, d, n in joined.group_by(margin, "pair", "d").len().iter_rows():
            truth[pos[level], p, d] += n
        x[margin] = (levels, xs, truth)
        for i in range(len(levels)):
            for o in sorted({o for o, _ in pairs}):
                mine = [pair_index[p] for p in pairs if p[0] == o]
                plus = xs[i, mine, :].ravel()
                if o == 2:  # the unknown outside every published group: a remainder
                    plus = np.concatenate([plus, v.add(1)])
                structure.append((plus, cols[i : i + 1, o]))
        for p in range(npairs):
            for d in range(2):
                structure.append((xs[:, p, d], totals[p : p + 1, d]))
    truth_total = x["sex"][2].sum(axis=0)

    def group_cells(s: str, dim: str, group: str, cells: np.ndarray, values: np.ndarray) -> None:
        mine = [pair_index[p] for p in pairs if p[1] == s]
        n_cols = cells[:, mine, :].ravel()
        did_cols = cells[:, mine, 1].ravel()
        not_cols = cells[:, mine, 0].ravel()
        figure(("uptake", s, dim, group, "n"), n_cols, int(values[:, mine, :].sum()))
        figure(("uptake", s, dim, group, "did"), did_cols, int(values[:, mine, 1].sum()))
        targets.append(
            make_figure(("uptake", s, dim, group, "not"), not_cols, int(values[:, mine, 0].sum()))
        )

    for s in groups:
        group_cells(s, "overall", overall, totals[None, :, :], truth_total[None, :, :])
        for dim in dimensions:
            if dim in ("age_band", "sex"):
                levels, xs, truth = x[dim]
                for i, level in enumerate(levels):
                    group_cells(s, dim, str(level), xs[i : i + 1], truth[i : i + 1])
            elif dim in sites.columns:
                _, xs, truth = x["site"]
                values = sites[dim].to_list()
                for level in sorted({str(z) for z in values if z is not None}):
                    rows = [i for i, z in enumerate(values) if z is not None and str(z) == level]
                    group_cells(s, dim, level, xs[rows], truth[rows])

    # the did of each status group split at the published days
    k = len(points)
    if not k:
        return
    edges = list(points)
    for s in groups:
        mine = [pair_index[p] for p in pairs if p[1] == s]
        part = joined.filter((pl.col("status_group") == s) & pl.col("did"))
        t = part["observed_days"].to_numpy()
        bins = v.add(k)
        cum = np.searchsorted(np.sort(t), edges, side="right")  # did by each day, as the table
        counts = np.diff(np.concatenate([[0], cum]))
        structure.append((bins, totals[mine, 1]))
        done = int(truth_total[mine, 0].sum())
        cells = [np.array([b]) for b in bins] + [totals[mine, 0]]
        values = [*counts.astype(int).tolist(), done]
        for j, day in enumerate(edges):
            figure(
                ("uptake_within", s, day_tag(day)),
                np.concatenate(cells[: j + 1]),
                int(sum(values[: j + 1])),
                target=False,
            )
        for first in range(len(cells)):
            for last in range(first, len(cells)):
                targets.append(
                    make_figure(
                        ("uptake_time", s, str(first), str(last)),
                        np.concatenate(cells[first : last + 1]),
                        int(sum(values[first : last + 1])),
                    )
                )
