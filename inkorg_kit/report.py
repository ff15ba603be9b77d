"""The orderer's report: one self-contained HTML file, no personnummer, no small numbers.

Why: the orderer (seed 000: *beställare*) gets a follow-up after the sending. It goes out of
the locked folder, by e-mail or on a shared drive, and is opened on any computer, often in a
closed hospital network. So the report is one HTML file with everything inside: the charts are
inline SVG made locally by vl-convert, the styles are inline, there are no scripts and no links
to the network, and no code. It holds the campaign's facts, the counts (target group, sent,
failed, read, unread), the cumulative read curves, the read rates by group, and how many are to
be reached another way, but never a personnummer: before the file is written the whole text is
scanned with :func:`inkorg_kit.pnr.find_in_text`, and writing is refused if anything is found.
Its notes are Swedish and written for the orderer (:func:`orderer_notes`); the analyst's
warnings stay in the notebook.

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
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from string import Template
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from inkorg_kit import pnr as _pnr
from inkorg_kit._files import write_private_text
from inkorg_kit.errors import ReportLeakError
from inkorg_kit.tables import whole_number

__all__ = [
    "MIN_GROUP_SIZE",
    "ReportLeakError",
    "check_html",
    "counts_display",
    "group_display",
    "hidden_groups",
    "orderer_notes",
    "orderer_report",
    "protect_curves",
    "protect_totals",
    "render_report",
    "report_path",
    "suppress",
    "within_display",
    "write_report",
]

#: Counts below this (and above 0) are never shown, nor left to be worked out.
MIN_GROUP_SIZE = 5
TEMPLATE = Path(__file__).resolve().parent / "templates" / "orderer_report.html"
HIDDEN = "–"
OVERALL = "Alla"
#: The counts of a group-table row (all of them can be worked out from what a row shows).
GROUP_COUNTS = ("sent", "failed", "delivered", "read", "unread", "unknown")
_SHOWN_COLUMNS = ("sent", "failed", "delivered", "n", "read", "read_rate", "low", "high")
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
_EXTERNAL = re.compile(
    r"<script|<link|<iframe|<object|<embed|@import|url\(\s*['\"]?https?:|"
    r"(?:src|href)\s*=\s*['\"]?\s*(?:https?:|//)",
    re.IGNORECASE,
)
_HORIZON_LABELS = {1: "1 timme", 24: "1 dygn", 72: "3 dygn", 168: "7 dygn", 336: "14 dygn"}


# --------------------------------------------------------------------------- small numbers


def _small(values: np.ndarray, minimum: int) -> np.ndarray:
    return (values > 0) & (values < minimum)


def _protect_rows(
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


def _leak(values: Mapping[str, int], ties: Sequence, unseen: set[str], minimum: int):
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


def _total_values(counts: Mapping[str, Any], followup: Mapping[str, int] | None) -> dict:
    """The counts given (None and absent ones left out), follow-up counts by their names here."""
    values = {k: int(v) for k, v in counts.items() if v is not None and not isinstance(v, bool)}
    if followup is not None:
        f = dict(followup)
        names = {"unread": "list_unread", "unknown_closed": "unknown_closed"}
        names.update(unknown_other="unknown_other", not_yet_due="not_yet_due")
        names.update(waiting_unread="waiting_unread", waiting_unknown="waiting_unknown")
        values.update({ours: int(f.get(theirs, 0)) for theirs, ours in names.items()})
    return values


def _ties(values: Mapping[str, int]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The ties whose counts are all given."""
    return tuple(
        (whole, parts)
        for whole, parts in _TIES + _FOLLOWUP_TIES
        if whole in values and all(p in values for p in parts)
    )


def protect_totals(
    counts: Mapping[str, Any],
    followup: Mapping[str, int] | None = None,
    min_group_size: int = MIN_GROUP_SIZE,
) -> set[str]:
    """The headline counts (:meth:`inkorg_kit.followup.Outcomes.counts`) and follow-up counts
    (:meth:`inkorg_kit.followup.FollowupLists.counts`) to hide; see the module docstring.

    Names are the headline's, and for the follow-up ``list_unread`` (the unread on the list),
    ``unknown_closed``, ``unknown_other`` and ``not_yet_due`` (the failed and the missing are
    the headline's own counts). The target and recipient-file sizes are always shown. A tiny
    campaign (fewer than ``min_group_size`` in the export) hides everything else.
    """
    values = _total_values(counts, followup)
    ties = _ties(values)
    tied = {k for whole, parts in ties for k in (whole, *parts)}
    unshown = {"waiting_unread", "waiting_unknown"} & set(values)
    free = set(values) - unshown - set(_ALWAYS_SHOWN)
    if values.get("attempted", 0) < min_group_size:
        return free
    hidden = {k for k in free if 0 < values[k] < min_group_size}
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
    kept_totals = [
        total if (total := totals.get(_TOTAL_OF[k], 0)) >= min_group_size else None
        for k in GROUP_COUNTS
    ]
    frames = []
    for dimension in groups["dimension"].unique(maintain_order=True).to_list():
        part = groups.filter(pl.col("dimension") == dimension)
        if dimension == "overall":
            mask = [False] * part.height
        else:
            mask = _protect_rows(_group_counts(part), kept_totals, min_group_size).tolist()
        frames.append(part.with_columns(pl.Series("suppressed", mask, dtype=pl.Boolean)))
    out = pl.concat(frames) if frames else groups.with_columns(suppressed=pl.lit(False))
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


def _protect_hour(
    read_by: np.ndarray, n: np.ndarray, overall: tuple[int, int] | None, blank: np.ndarray, m: int
) -> tuple[np.ndarray, bool]:
    """(groups to blank, whether the overall cell shows) at one hour: ``read_by`` and ``n``
    per group, ``overall`` (read by then, not read) or None, ``blank`` the groups already out.
    The overall cell shows unless it is small; then the hidden groups must not hold 1-4."""
    counts = np.column_stack([read_by, n - read_by])
    overall_shows = overall is not None and not _small(np.array(overall), m).any()
    totals = [t if t >= m else None for t in overall] if overall is not None else [None, None]
    return _protect_rows(counts, totals, m, blank, size=n), overall_shows


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
        gone, overall_keep[i] = _protect_hour(
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


def _number(value: int | None) -> str:
    return HIDDEN if value is None else whole_number(int(value))


def _percent(value: float | None, digits: int = 1) -> str:
    if value is None:
        return HIDDEN
    return f"{100 * value:.{digits}f}".replace(".", ",") + "\u00a0%"


def _interval(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return HIDDEN
    return f"{100 * low:.1f}–{100 * high:.1f}".replace(".", ",")


def group_display(groups: pl.DataFrame, min_group_size: int = MIN_GROUP_SIZE) -> pl.DataFrame:
    """The group table as people read it (Swedish headings, text cells, small numbers hidden
    as "–"): Indelning, Grupp, Skickade, Misslyckade, Levererade, Lästa, Läsandel, 95 % KI."""
    table = suppress(groups, min_group_size) if "suppressed" not in groups.columns else groups
    rows = [
        {
            "Indelning": row["dimension_label"],
            "Grupp": row["group_label"],
            "Skickade": _number(row["sent"]),
            "Misslyckade": _number(row["failed"]),
            "Levererade": _number(row["delivered"]),
            "Lästa": _number(row["read"]),
            "Läsandel": _percent(row["read_rate"]),
            "95 % KI": _interval(row["low"], row["high"]),
        }
        for row in table.iter_rows(named=True)
    ]
    names = ["Indelning", "Grupp", "Skickade", "Misslyckade", "Levererade", "Lästa", "Läsandel"]
    return pl.DataFrame(rows, schema=dict.fromkeys([*names, "95 % KI"], pl.String))


def within_display(
    within: pl.DataFrame,
    min_group_size: int = MIN_GROUP_SIZE,
    hidden: Iterable[str] | None = None,
) -> pl.DataFrame:
    """:func:`inkorg_kit.followup.read_within` as text: the share read within each horizon
    with its interval. ``hidden``: the groups the group table hid (:func:`hidden_groups`);
    default: worked out from the counts here. Cells are hidden by the rules of
    :func:`protect_curves`."""
    tags = [c.removeprefix("read_") for c in within.columns if re.fullmatch(r"read_[\d.]+h", c)]
    groups = within["group"].to_list()
    others = np.array([g != OVERALL for g in groups])
    n = within["n"].to_numpy().astype(np.int64)
    if hidden is None:  # no group table at hand: hide by the sizes here
        total = int(n[~others].sum())
        gone = _protect_rows(
            n[others].reshape(-1, 1), [total if total >= min_group_size else None], min_group_size
        )
        hidden = set(np.array(groups, dtype=object)[others][gone].tolist())
    hidden = set(hidden)
    shown: dict[str, list[str]] = {"Grupp": groups}
    for tag in tags:
        share = within[f"read_{tag}"]
        done = within[f"read_by_{tag}"].fill_null(0).to_numpy()
        blank = np.array([g in hidden for g in groups]) | share.is_null().to_numpy()
        overall = None
        if (~others).any() and not blank[~others][0]:
            overall = (int(done[~others][0]), int(n[~others][0] - done[~others][0]))
        gone, overall_shows = _protect_hour(
            done[others], n[others], overall, blank[others], min_group_size
        )
        visible = np.zeros(len(groups), bool)
        visible[others] = ~gone
        visible[~others] = overall_shows
        hours = float(tag.removesuffix("h"))
        label = _HORIZON_LABELS.get(int(hours), f"{tag.removesuffix('h')} timmar")
        low, high = within[f"low_{tag}"], within[f"high_{tag}"]
        shown[f"Läst inom {label}"] = [
            f"{_percent(s)} ({_interval(lo, hi)})" if ok and s is not None else HIDDEN
            for ok, s, lo, hi in zip(visible, share, low, high, strict=True)
        ]
    return pl.DataFrame(shown, schema=dict.fromkeys(shown, pl.String))


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


def counts_display(
    counts: Mapping[str, int | None],
    min_group_size: int = MIN_GROUP_SIZE,
    hidden: set[str] | None = None,
    *,
    followup: Any = None,
) -> pl.DataFrame:
    """The headline counts (:meth:`inkorg_kit.followup.Outcomes.counts`) as the report shows
    them: Mått, Antal, Andel (text, Swedish number format), small numbers hidden by
    :func:`protect_totals` (with the follow-up lists' counts when ``followup`` is given, as
    the report does) or as ``hidden`` says; a share shows only when both its numbers do."""
    c = dict(counts)
    if hidden is None:
        lists = _followup_counts(followup)
        hidden = protect_totals(c, lists[0] if lists else None, min_group_size)

    def value(key: str) -> int | None:
        return None if key in hidden else c.get(key)

    def share(key: str, of: str) -> str:
        v, whole = value(key), value(of)
        if key in hidden or of in hidden:
            return HIDDEN
        return _percent(v / whole) if v is not None and whole else ""

    rows = [
        ("I målgruppen", "target", None),
        ("I mottagarfilerna", "in_files", None),
        ("Skickade (finns i statusexporten)", "attempted", "in_files"),
        ("Misslyckades (nås inte via 1177)", "failed", "attempted"),
        ("– saknar inloggning", "failed_no_login", "attempted"),
        ("– kontot är spärrat", "failed_locked", "attempted"),
        ("– annan orsak", "failed_other", "attempted"),
        ("Levererade till 1177-inkorgen", "delivered", "attempted"),
        ("Lästa", "read", "delivered"),
        ("Olästa", "unread", "delivered"),
        ("Okänd lässtatus", "unknown", "delivered"),
        ("Saknas i statusexporten", "not_in_export", "in_files"),
        ("I exporten men inte i kampanjen", "not_in_campaign", None),
    ]
    out = []
    for label, key, of in rows:
        if key == "unknown" and not c.get(key):
            continue
        if key in ("target",) and c.get(key) is None:
            out.append((label, "ej känt", ""))
            continue
        out.append((label, _number(value(key)), share(key, of) if of else ""))
    return pl.DataFrame(
        out, schema={"Mått": pl.String, "Antal": pl.String, "Andel": pl.String}, orient="row"
    )


def _followup_counts(followup: Any) -> tuple[dict[str, int], float] | None:
    """(counts, working hours of the deadline) from :class:`~inkorg_kit.followup.FollowupLists`
    or its :meth:`~inkorg_kit.followup.FollowupLists.counts` (with ``after_working_hours``)."""
    if followup is None:
        return None
    if hasattr(followup, "counts") and hasattr(followup, "after_working_hours"):
        return followup.counts(), float(followup.after_working_hours)
    data = dict(followup)
    hours = float(data.pop("after_working_hours", 24))
    return {k: int(v) for k, v in data.items()}, hours


def _followup_table(followup: Mapping[str, int], hidden: set[str], hours: float) -> pl.DataFrame:
    """Residents per reason to reach another way (Orsak, Antal), small numbers hidden."""
    from inkorg_kit.followup import FOLLOWUP_KEYS, followup_reasons

    labels = followup_reasons(hours)
    names = {"unread": "list_unread"}  # the headline has its own "unread"
    rows = []
    for key in (*FOLLOWUP_KEYS, "not_yet_due"):
        count = int(followup.get(key, 0))
        if count == 0 and key != "not_yet_due":
            continue
        shown = None if names.get(key, key) in hidden else count
        rows.append((labels[key], _number(shown)))
    return pl.DataFrame(rows, schema={"Orsak": pl.String, "Antal": pl.String}, orient="row")


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


def _few(value: int | None, minimum: int) -> str:
    """A count for running text: the number, or "färre än N" when it is small."""
    if value is not None and 0 < value < minimum:
        return f"färre än {minimum}"
    return _number(value)


def _summary(c: Mapping[str, Any], hidden: set[str], overall: Mapping[str, Any] | None) -> str:
    def say(key: str) -> str:
        return "ett dolt antal" if key in hidden else _number(c.get(key))

    text = (
        f"Av {_number(c.get('in_files'))} invånare i mottagarfilerna finns {say('attempted')} i"
        f" statusexporten. {say('delivered')} fick meddelandet i sin 1177-inkorg och"
        f" {say('read')} av dem hade läst det när exporten togs"
    )
    if overall is not None and overall.get("read_rate") is not None:
        text += (
            f" ({_percent(overall['read_rate'])}, 95 % konfidensintervall"
            f" {_interval(overall['low'], overall['high'])} %)"
        )
    failed = say("failed")
    return (
        f"<p>{text}. {failed} kunde inte nås via 1177 (ingen inloggning eller spärrat konto).</p>"
    )


def _missing_files(missing: pl.DataFrame, hidden: set[str], c: Mapping, minimum: int) -> str:
    """The files with residents missing from the export, their counts protected like groups."""
    total = c.get("not_in_export") or 0
    counts = missing["not_in_export"].to_numpy().reshape(-1, 1)
    gone = _protect_rows(counts, [total if total >= minimum else None], minimum)
    table = pl.DataFrame(
        {
            "Fil": missing["file_name"].fill_null("(okänd fil)").to_list(),
            "Saknas i exporten": [
                HIDDEN if g else _number(v)
                for g, v in zip(gone, missing["not_in_export"], strict=True)
            ],
            "Hela filen saknas": ["nej" if sent else "ja" for sent in missing["file_sent"]],
        }
    )
    return _table(table, numeric=("Saknas i exporten",))


def render_report(
    *,
    campaign: Any,
    counts: Mapping[str, int | None],
    groups: pl.DataFrame,
    curves: pl.DataFrame,
    read_within: pl.DataFrame | None = None,
    followup: Any = None,
    missing_by_file: pl.DataFrame | None = None,
    exported_at: dt.datetime | None = None,
    generated_at: dt.datetime | None = None,
    min_group_size: int = MIN_GROUP_SIZE,
    notes: Sequence[str] = (),
) -> str:
    """The report as HTML text (not yet checked; :func:`write_report` checks and writes).

    ``campaign``: a :class:`~inkorg_kit.campaign.Campaign` or a mapping of facts; ``counts``:
    :meth:`inkorg_kit.followup.Outcomes.counts`; ``groups``: :func:`~inkorg_kit.followup.
    group_table` (raw: suppressed here); ``curves``: :func:`~inkorg_kit.followup.read_curves`
    by age band; ``read_within``: :func:`~inkorg_kit.followup.read_within` by age band;
    ``followup``: the :class:`~inkorg_kit.followup.FollowupLists`; ``missing_by_file``:
    :meth:`~inkorg_kit.followup.Outcomes.missing_by_file`; ``notes``: Swedish notes for the
    orderer (:func:`orderer_notes`). Aggregates only; small numbers hidden here.
    """
    from inkorg_kit import charts

    facts = _facts(campaign)
    title_text = getattr(campaign, "title", None) or facts.get("Kampanj", "Kampanj")
    name = getattr(campaign, "name", "")
    generated = generated_at or dt.datetime.now(ZoneInfo("Europe/Stockholm"))
    c = dict(counts)
    lists = _followup_counts(followup)
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
                .replace_strict({g: _number(v) for g, v in delivered.items()}, default=HIDDEN)
                .alias("n")
            )
            parts.append(
                _figure(
                    charts.cumulative_reads(drawn, title="Andel som läst, per åldersgrupp"),
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
            else f" ({_number(counts_f.get('not_in_export', 0))})"
        )
        text = (
            f"De som inte kunde nås via 1177, de som saknas i statusexporten{missing_count} och"
            " de som inte läst inom tidsgränsen finns på uppföljningslistor hos beslutsstöd (inte"
            " i den här rapporten), för brev eller telefon."
        )
        if tiny:
            parts.append(f"<section><h2>Nås på annat sätt</h2><p>{_esc(text)}</p></section>")
        else:
            table = _followup_table(counts_f, hidden, hours)
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
            f"{_few(c['not_in_campaign'], min_group_size)} invånare i exporten fanns inte i"
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


def orderer_notes(outcomes: Any, min_group_size: int = MIN_GROUP_SIZE) -> list[str]:
    """Swedish notes for the orderer about the export itself (the analyst's English warnings
    in ``outcomes.warnings`` stay in the notebook)."""
    notes = []
    if not getattr(outcomes, "failures_listed", True):
        notes.append(
            "Listan över misslyckade utskick fanns inte med i statusexporten. De vars utskick"
            " misslyckades syns därför som att de saknas i statusexporten, och de finns på"
            " uppföljningslistan för dem."
        )
    summary = outcomes.export_summary
    rejected = int(summary.get("rejected", 0))
    if rejected:
        notes.append(
            f"{_few(rejected, min_group_size)} rader i statusexporten saknade ett giltigt"
            " personnummer och kunde inte räknas med."
        )
    flawed = int(summary.get("with_problems", 0))
    if flawed:
        notes.append(
            f"{_few(flawed, min_group_size)} rader i statusexporten hade felaktiga uppgifter"
            " (till exempel en okänd status eller en lästid före sändtiden). De räknas med, men"
            " inte i tiden till läsning, och den som har okänd lässtatus följs upp som oläst."
        )
    return notes


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
        followup=lists,
        missing_by_file=outcomes.missing_by_file(),
        exported_at=outcomes.exported_at,
        generated_at=generated_at,
        min_group_size=min_group_size,
        notes=orderer_notes(outcomes, min_group_size),
    )
