"""Disclosure control: which published counts to hide so that no count 1-4 shows or can be
worked out from everything published together.

Why a module of its own: the rules are the report's promise to the residents, and they are
subtle (sums, complements, nested groupings); they are tested here, apart from the HTML.

**Small numbers** (``min_group_size``, default 5). No count from 1 to 4 is shown, and none can
be worked out from the counts that are:

* *Group tables* (age band, sex, unit, file, send weekday and hour). A group is hidden whole
  when any of its counts (sent, failed, delivered, read, unread, read status unknown) is 1-4.
  Then, for every count whose total is shown (and is not 0), the hidden groups together must
  hold at least ``min_group_size``: else the total minus the shown groups gives them away (3
  residents 75+ and no one of them read). The next smallest group is hidden until that holds
  for every count. One hidden set per grouping: the read-within table and the curves by age
  band use the age-band table's.
* *Read within a time, and the curves*: a (group, hour) is blank when 1-4 had read by then, or
  1-4 had not; per hour, the same complement rule, with "Alla" as the total. A group's curve
  also stops at its own longest follow-up (:func:`inkorg_kit.followup.read_curves`).
* *The headline counts, the follow-up counts and the files missing from the export* are tied
  together (sent = delivered + failed, ...): a count 1-4 is hidden, and further counts are
  hidden until no sum of hidden counts that the shown ones determine is 1-4 (checked with the
  linear algebra of those ties, :func:`protect_totals`).
* *A tiny campaign* (fewer than ``min_group_size`` residents in the export): only the size of
  the target group and of the recipient files is shown, with a note saying why.

Hidden numbers show "–", never "<5": a bound and a sum together can pin a number down.

These rules are table by table; the tables a report publishes together are linked (a file lies
within one send hour, the read within 3 days within the read within 7), so the report applies
them in one pass over all of them and proves the result with linear programs
(:mod:`inkorg_kit.report.published`, :mod:`inkorg_kit.report.audit`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import polars as pl

__all__ = [
    "GROUP_COUNTS",
    "HIDDEN",
    "MIN_GROUP_SIZE",
    "OVERALL",
    "group_counts",
    "hidden_groups",
    "hide_groups",
    "kept_totals",
    "protect_curves",
    "protect_hour",
    "protect_rows",
    "protect_totals",
    "suppress",
]

#: Counts below this (and above 0) are never shown, nor left to be worked out.
MIN_GROUP_SIZE = 5
#: What a hidden number shows (never "<5": a bound and a sum can pin a number down).
HIDDEN = "–"
#: The group of everyone, in curves and read-within tables.
OVERALL = "Alla"
#: The counts of a group-table row (all of them can be worked out from what a row shows).
GROUP_COUNTS = ("sent", "failed", "delivered", "read", "unread", "unknown")
#: The headline count behind each group-table column (the "overall" row).
_TOTAL_OF = {
    "sent": "attempted",
    "failed": "failed",
    "delivered": "delivered",
    "read": "read",
    "unread": "unread",
    "unknown": "unknown",
}
#: How the headline and follow-up counts are tied: (whole, its parts).
_Tie = tuple[str, tuple[str, ...]]
_TIES = (
    ("in_files", ("attempted", "not_in_export")),
    ("attempted", ("delivered", "failed")),
    ("delivered", ("read", "unread", "unknown")),
    ("failed", ("failed_no_login", "failed_locked", "failed_other")),
)
_FOLLOWUP_TIES = (
    ("unread", ("list_unread", "waiting_unread")),
    ("unknown", ("unknown_closed", "unknown_other", "waiting_unknown")),
    ("not_yet_due", ("waiting_unread", "waiting_unknown")),
)
_ALWAYS_SHOWN = ("target", "in_files")  # the order's own size, known to the orderer
_MAX_SEARCH = 16  # hidden counts whose sums are searched; beyond it, hide every tied count


def _small(values: np.ndarray, minimum: int) -> np.ndarray:
    return (values > 0) & (values < minimum)


def protect_rows(
    counts: np.ndarray,
    totals: Sequence[int | None],
    minimum: int,
    hidden: np.ndarray | None = None,
    size: np.ndarray | None = None,
) -> np.ndarray:
    """Rows to hide so that no count 1 to ``minimum - 1`` shows or can be worked out.

    ``counts``: one row per group, one column per count; ``totals``: each column's total, or
    None where no subtraction needs guarding (a total of 0, or one itself small and hidden).
    ``hidden``: rows already out. A row with a small count is hidden; then, while the hidden
    rows of a column with a total hold fewer than ``minimum`` together (0 too: it would say
    that none of them has it), the smallest row (by ``size``, default the first column) with
    something in that column is hidden too.
    """
    counts = np.asarray(counts, dtype=np.int64).reshape(len(counts), len(totals))
    hide = np.zeros(len(counts), bool) if hidden is None else np.asarray(hidden, bool).copy()
    hide |= _small(counts, minimum).any(axis=1)
    order_by = counts[:, 0] if size is None else np.asarray(size)
    changed = True
    while changed and hide.any():
        changed = False
        for j, total in enumerate(totals):
            if not total or counts[hide, j].sum() >= minimum:
                continue
            free = np.flatnonzero(~hide & (counts[:, j] > 0))
            if len(free):
                hide[free[np.lexsort((counts[free, j], order_by[free]))[0]]] = True
                changed = True
    return hide


def _leak(
    values: Mapping[str, int], ties: Sequence[_Tie], unseen: set[str], minimum: int
) -> set[str] | None:
    """A set of unseen counts whose sum the seen ones determine and that is 1 to minimum-1."""
    names = sorted(unseen)
    if not names:
        return None
    index = {k: i for i, k in enumerate(names)}
    rows = []
    for whole, parts in ties:
        row = np.zeros(len(names))
        if whole in index:
            row[index[whole]] = 1.0
        for part in parts:
            if part in index:
                row[index[part]] -= 1.0
        if row.any():
            rows.append(row)
    if not rows:
        return None
    tie = np.array(rows)
    projector = np.linalg.pinv(tie) @ tie
    subsets = (np.arange(1, 2 ** len(names))[:, None] >> np.arange(len(names))) & 1
    subsets = subsets.astype(float)
    known = np.abs(subsets - subsets @ projector).max(axis=1) < 1e-9
    sums = subsets @ np.array([values[k] for k in names], dtype=float)
    bad = np.flatnonzero(known & (sums > 0) & (sums < minimum))
    if not len(bad):
        return None
    return {names[i] for i in np.flatnonzero(subsets[bad[0]])}


def _total_values(
    counts: Mapping[str, int | None], followup: Mapping[str, int] | None
) -> dict[str, int]:
    """The counts given (None and absent ones left out), follow-up counts by their names here."""
    values = {k: int(v) for k, v in counts.items() if v is not None and not isinstance(v, bool)}
    if followup is not None:
        f = dict(followup)
        names = {"unread": "list_unread", "unknown_closed": "unknown_closed"}
        names.update(unknown_other="unknown_other", not_yet_due="not_yet_due")
        names.update(waiting_unread="waiting_unread", waiting_unknown="waiting_unknown")
        values.update({ours: int(f.get(theirs, 0)) for theirs, ours in names.items()})
    return values


def _ties(values: Mapping[str, int]) -> tuple[_Tie, ...]:
    """The ties whose counts are all given."""
    return tuple(
        (whole, parts)
        for whole, parts in _TIES + _FOLLOWUP_TIES
        if whole in values and all(p in values for p in parts)
    )


def protect_totals(
    counts: Mapping[str, int | None],
    followup: Mapping[str, int] | None = None,
    min_group_size: int = MIN_GROUP_SIZE,
    hidden: Iterable[str] = (),
) -> set[str]:
    """The headline counts (:meth:`inkorg_kit.followup.Outcomes.counts`) and follow-up counts
    (:meth:`inkorg_kit.followup.FollowupLists.counts`) to hide; see the module docstring.

    Names are the headline's, and for the follow-up ``list_unread`` (the unread on the list),
    ``unknown_closed``, ``unknown_other`` and ``not_yet_due`` (the failed and the missing are
    the headline's own counts). The target and recipient-file sizes are always shown. A tiny
    campaign (fewer than ``min_group_size`` in the export) hides everything else. ``hidden``:
    counts already hidden (by the linked-table pass), kept hidden.
    """
    values = _total_values(counts, followup)
    ties = _ties(values)
    tied = {k for whole, parts in ties for k in (whole, *parts)}
    unshown = {"waiting_unread", "waiting_unknown"} & set(values)
    free = set(values) - unshown - set(_ALWAYS_SHOWN)
    if values.get("attempted", 0) < min_group_size:
        return free
    hidden = {k for k in free if 0 < values[k] < min_group_size} | (set(hidden) & free)
    for _ in range(len(free) + 1):
        unseen = (hidden | unshown) & tied
        if len(unseen) > _MAX_SEARCH:
            break
        leak = _leak(values, ties, unseen, min_group_size)
        if leak is None:
            return hidden
        near = {k for whole, parts in ties if {whole, *parts} & leak for k in (whole, *parts)}
        pool = sorted((k for k in (free & tied) - hidden if values[k] > 0), key=values.get)
        pick = [k for k in pool if k in near] or pool
        if not pick:
            break
        hidden.add(pick[0])
    return hidden | (free & tied)  # no way found: hide every tied count (the safe side)


def _group_counts(part: pl.DataFrame) -> np.ndarray:
    cols = [part[name].fill_null(0).to_numpy() for name in GROUP_COUNTS]
    return np.column_stack(cols).astype(np.int64)


def _overall_totals(groups: pl.DataFrame) -> dict[str, int]:
    overall = groups.filter(pl.col("dimension") == "overall")
    if not overall.height:
        return {}
    row = dict(zip(GROUP_COUNTS, _group_counts(overall)[0].tolist(), strict=True))
    return {_TOTAL_OF[k]: v for k, v in row.items()}


def suppress(
    groups: pl.DataFrame,
    min_group_size: int = MIN_GROUP_SIZE,
    hidden_totals: set[str] | None = None,
) -> pl.DataFrame:
    """A :func:`inkorg_kit.followup.group_table` with small numbers hidden (module docstring).

    Adds ``suppressed`` (the row is hidden) and ``below_minimum`` (it has fewer than
    ``min_group_size`` sent); hidden rows' counts and rates become null. In the overall row,
    the cells in ``hidden_totals`` (from :func:`protect_totals`; default: worked out from the
    overall row) are null, and the rate with them when read or unread is hidden.
    """
    if min_group_size < 1:
        raise ValueError(f"min_group_size must be 1 or more, got {min_group_size}")
    totals = _overall_totals(groups)
    if hidden_totals is None:
        hidden_totals = protect_totals(totals, None, min_group_size)
    # A total of 1-4 is itself hidden, and so is every group holding part of it; any other
    # total may be shown or worked out from the headline, so the hidden groups must not be
    # left with 1-4 of it: the rule holds whether or not the total itself shows.
    guarded = kept_totals(groups, min_group_size)
    rows: dict[str, set[str]] = {}
    for dimension in groups["dimension"].unique(maintain_order=True).to_list():
        part = groups.filter(pl.col("dimension") == dimension)
        if dimension != "overall":
            mask = protect_rows(_group_counts(part), guarded, min_group_size)
            rows[dimension] = set(np.array(part["group"].to_list(), dtype=object)[mask].tolist())
    return hide_groups(groups, rows, hidden_totals, min_group_size)


def kept_totals(groups: pl.DataFrame, min_group_size: int = MIN_GROUP_SIZE) -> list[int | None]:
    """Each group count's total where the hidden groups must hold at least ``min_group_size``
    of it (None: a total below it, itself hidden with every group holding part of it)."""
    totals = _overall_totals(groups)
    return [
        total if (total := totals.get(_TOTAL_OF[k], 0)) >= min_group_size else None
        for k in GROUP_COUNTS
    ]


def group_counts(part: pl.DataFrame) -> np.ndarray:
    """The :data:`GROUP_COUNTS` of a group table's rows, as a matrix (nulls as 0)."""
    return _group_counts(part)


def hide_groups(
    groups: pl.DataFrame,
    rows: Mapping[str, Iterable[str]],
    hidden_totals: Iterable[str],
    min_group_size: int = MIN_GROUP_SIZE,
) -> pl.DataFrame:
    """A group table with the groups in ``rows`` (per dimension) and the totals in
    ``hidden_totals`` hidden, as :func:`suppress` returns it."""
    hidden_totals = set(hidden_totals)
    gone = {d: set(g) for d, g in rows.items()}
    mask = [
        d != "overall" and g in gone.get(d, set())
        for d, g in groups.select("dimension", "group").iter_rows()
    ]
    out = groups.with_columns(pl.Series("suppressed", mask, dtype=pl.Boolean))
    overall = pl.col("dimension") == "overall"

    def total_hidden(*columns: str) -> pl.Expr:
        return pl.lit(any(_TOTAL_OF[c] in hidden_totals for c in columns))

    cells = {c: (c,) for c in ("sent", "failed", "delivered", "read", "unread", "unknown")}
    cells.update(n=("read", "unread"), read_rate=("read", "unread"))
    cells.update(low=("read", "unread"), high=("read", "unread"))
    return out.with_columns(
        ((pl.col("sent") < min_group_size) & ~overall).alias("below_minimum"),
        *(
            pl.when(~pl.col("suppressed") & ~(overall & total_hidden(*cells[c])))
            .then(pl.col(c))
            .alias(c)
            for c in cells
            if c in out.columns
        ),
    )


def hidden_groups(shown: pl.DataFrame, dimension: str) -> set[str]:
    """The groups :func:`suppress` hid in one grouping (to hide them in its curves too)."""
    part = shown.filter((pl.col("dimension") == dimension) & pl.col("suppressed"))
    return set(part["group"].to_list())


def protect_hour(
    read_by: np.ndarray, n: np.ndarray, overall: tuple[int, int] | None, blank: np.ndarray, m: int
) -> tuple[np.ndarray, bool]:
    """(groups to blank, whether the overall cell shows) at one hour: ``read_by`` and ``n``
    per group, ``overall`` (read by then, not read) or None, ``blank`` the groups already out.
    The overall cell shows unless it is small; then the hidden groups must not hold 1-4."""
    counts = np.column_stack([read_by, n - read_by])
    overall_shows = overall is not None and not _small(np.array(overall), m).any()
    totals = [t if t >= m else None for t in overall] if overall is not None else [None, None]
    return protect_rows(counts, totals, m, blank, size=n), overall_shows


def protect_curves(
    curves: pl.DataFrame, hidden: Iterable[str] = (), min_group_size: int = MIN_GROUP_SIZE
) -> pl.DataFrame:
    """:func:`inkorg_kit.followup.read_curves` for showing: the groups in ``hidden`` left out,
    and each hour's share blank where 1 to ``min_group_size - 1`` had read or had not (or the
    overall curve and the shown ones would give a hidden count away)."""
    hidden = set(hidden)
    order = curves["group"].unique(maintain_order=True).to_list()
    if not order:
        return curves
    parts = {g: curves.filter(pl.col("group") == g).sort("hours") for g in order}
    steps = len(parts[order[0]])
    if any(len(p) != steps for p in parts.values()):
        raise ValueError("the curves must share one hour grid, as read_curves makes them")
    others = [g for g in order if g != OVERALL]

    def grid(column: str) -> np.ndarray:
        cols = [parts[g][column].to_numpy() for g in others]
        return np.column_stack(cols) if cols else np.zeros((steps, 0))

    done = grid("read_by").astype(np.int64)
    n = grid("n").astype(np.int64)
    empty = np.column_stack(
        [parts[g]["read_share"].is_null().to_numpy() for g in others] or [np.zeros((steps, 0))]
    )
    left_out = np.array([g in hidden for g in others], bool)
    keep = np.zeros((steps, len(others)), bool)
    overall_keep = np.zeros(steps, bool)
    total = parts.get(OVERALL)
    for i in range(steps):
        overall = None
        if total is not None and total["read_share"][i] is not None:
            overall = (int(total["read_by"][i]), int(total["n"][i] - total["read_by"][i]))
        gone, overall_keep[i] = protect_hour(
            done[i], n[i], overall, left_out | empty[i].astype(bool), min_group_size
        )
        keep[i] = ~gone
    values = ("read_share", "low", "high")
    out = []
    for g in order:
        if g in hidden:
            continue
        mask = overall_keep if g == OVERALL else keep[:, others.index(g)]
        out.append(
            parts[g].with_columns(pl.when(pl.Series(mask)).then(pl.col(c)).alias(c) for c in values)
        )
    return pl.concat(out) if out else curves.clear()
