"""The report's tables as people read them: Swedish headings, Swedish numbers, text cells,
small numbers hidden as "–" (by :mod:`inkorg_kit.report.disclosure`).

Why a module of its own: the notebook shows the same tables as the orderer's HTML, so both take
them from here; the number forms (119\xa0716, 45,2\xa0%, 40,0–60,0) are defined once.

>>> count_text(119716), percent_text(0.4523), interval_text(0.4, 0.6), count_text(None)
('119\xa0716', '45,2\xa0%', '40,0–60,0', '–')
>>> few_text(3, 5), few_text(12, 5)
('färre än 5', '12')
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import numpy as np
import polars as pl

from inkorg_kit.followup import FOLLOWUP_KEYS, FollowupLists, followup_reasons
from inkorg_kit.report.disclosure import (
    HIDDEN,
    MIN_GROUP_SIZE,
    OVERALL,
    protect_hour,
    protect_rows,
    protect_totals,
    suppress,
)
from inkorg_kit.vocab import whole_number

__all__ = [
    "COUNT_ROWS",
    "count_text",
    "counts_display",
    "few_text",
    "followup_counts",
    "followup_display",
    "group_display",
    "horizon_label",
    "interval_text",
    "percent_text",
    "within_display",
]

#: The headline counts' rows: (Mått, the count's name, the count it is a share of).
COUNT_ROWS: tuple[tuple[str, str, str | None], ...] = (
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
)
_HORIZON_LABELS = {1: "1 timme", 24: "1 dygn", 72: "3 dygn", 168: "7 dygn", 336: "14 dygn"}


def horizon_label(hours: float) -> str:
    """A published time point in words: 1 timme, 1 dygn, 3 dygn, 7 dygn, else N timmar.

    >>> horizon_label(72), horizon_label(5)
    ('3 dygn', '5 timmar')
    """
    if float(hours) in _HORIZON_LABELS:
        return _HORIZON_LABELS[float(hours)]
    return f"{float(hours):g} timmar"


def count_text(value: int | None) -> str:
    """A count as text: Swedish whole number, or "–" when hidden (None)."""
    return HIDDEN if value is None else whole_number(int(value))


def percent_text(value: float | None, digits: int = 1) -> str:
    """A share as a Swedish percentage (decimal comma, no-break space before %), or "–"."""
    if value is None:
        return HIDDEN
    return f"{100 * value:.{digits}f}".replace(".", ",") + "\u00a0%"


def interval_text(low: float | None, high: float | None) -> str:
    """An interval of shares as Swedish percentages without the sign (40,0–60,0), or "–"."""
    if low is None or high is None:
        return HIDDEN
    return f"{100 * low:.1f}–{100 * high:.1f}".replace(".", ",")


def few_text(value: int | None, minimum: int) -> str:
    """A count for running text: the number, or "färre än N" when it is small."""
    if value is not None and 0 < value < minimum:
        return f"färre än {minimum}"
    return count_text(value)


def group_display(groups: pl.DataFrame, min_group_size: int = MIN_GROUP_SIZE) -> pl.DataFrame:
    """The group table as people read it (Swedish headings, text cells, small numbers hidden
    as "–"): Indelning, Grupp, Skickade, Misslyckade, Levererade, Lästa, Läsandel, 95 % KI."""
    table = suppress(groups, min_group_size) if "suppressed" not in groups.columns else groups
    rows = [
        {
            "Indelning": row["dimension_label"],
            "Grupp": row["group_label"],
            "Skickade": count_text(row["sent"]),
            "Misslyckade": count_text(row["failed"]),
            "Levererade": count_text(row["delivered"]),
            "Lästa": count_text(row["read"]),
            "Läsandel": percent_text(row["read_rate"]),
            "95 % KI": interval_text(row["low"], row["high"]),
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
    with its interval. ``hidden``: the groups the group table hid
    (:func:`~inkorg_kit.report.disclosure.hidden_groups`);
    default: worked out from the counts here. Cells are hidden by the rules of
    :func:`~inkorg_kit.report.disclosure.protect_curves`."""
    tags = [c.removeprefix("read_") for c in within.columns if re.fullmatch(r"read_[\d.]+h", c)]
    groups = within["group"].to_list()
    others = np.array([g != OVERALL for g in groups])
    n = within["n"].to_numpy().astype(np.int64)
    if hidden is None:  # no group table at hand: hide by the sizes here
        total = int(n[~others].sum())
        gone = protect_rows(
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
        gone, overall_shows = protect_hour(
            done[others], n[others], overall, blank[others], min_group_size
        )
        visible = np.zeros(len(groups), bool)
        visible[others] = ~gone
        visible[~others] = overall_shows
        label = horizon_label(float(tag.removesuffix("h")))
        low, high = within[f"low_{tag}"], within[f"high_{tag}"]
        shown[f"Läst inom {label}"] = [
            f"{percent_text(s)} ({interval_text(lo, hi)})" if ok and s is not None else HIDDEN
            for ok, s, lo, hi in zip(visible, share, low, high, strict=True)
        ]
    return pl.DataFrame(shown, schema=dict.fromkeys(shown, pl.String))


def counts_display(
    counts: Mapping[str, int | None],
    min_group_size: int = MIN_GROUP_SIZE,
    hidden: set[str] | None = None,
    *,
    followup: FollowupLists | Mapping[str, float] | None = None,
) -> pl.DataFrame:
    """The headline counts (:meth:`inkorg_kit.followup.Outcomes.counts`) as the report shows
    them: Mått, Antal, Andel (text, Swedish number format), small numbers hidden by
    :func:`~inkorg_kit.report.disclosure.protect_totals` (with the follow-up lists' counts
    when ``followup`` is given, as the report does) or as ``hidden`` says; a share shows only
    when both its numbers do."""
    c = dict(counts)
    if hidden is None:
        lists = followup_counts(followup)
        hidden = protect_totals(c, lists[0] if lists else None, min_group_size)

    def value(key: str) -> int | None:
        return None if key in hidden else c.get(key)

    def share(key: str, of: str) -> str:
        v, whole = value(key), value(of)
        if key in hidden or of in hidden:
            return HIDDEN
        return percent_text(v / whole) if v is not None and whole else ""

    out = []
    for label, key, of in COUNT_ROWS:
        if key == "unknown" and not c.get(key):
            continue
        if key in ("target",) and c.get(key) is None:
            out.append((label, "ej känt", ""))
            continue
        out.append((label, count_text(value(key)), share(key, of) if of else ""))
    return pl.DataFrame(
        out, schema={"Mått": pl.String, "Antal": pl.String, "Andel": pl.String}, orient="row"
    )


def followup_counts(
    followup: FollowupLists | Mapping[str, float] | None,
) -> tuple[dict[str, int], float] | None:
    """(counts, working hours of the deadline) from :class:`~inkorg_kit.followup.FollowupLists`
    or its :meth:`~inkorg_kit.followup.FollowupLists.counts` (with ``after_working_hours``)."""
    if followup is None:
        return None
    if hasattr(followup, "counts") and hasattr(followup, "after_working_hours"):
        return followup.counts(), float(followup.after_working_hours)
    data = dict(followup)
    hours = float(data.pop("after_working_hours", 24))
    return {k: int(v) for k, v in data.items()}, hours


def followup_display(followup: Mapping[str, int], hidden: set[str], hours: float) -> pl.DataFrame:
    """Residents per reason to reach another way (Orsak, Antal): ``followup`` from
    :func:`followup_counts`, ``hidden`` from :func:`~inkorg_kit.report.disclosure.protect_totals`
    (the unread on the list as ``list_unread``), ``hours`` the deadline in working hours."""
    labels = followup_reasons(hours)
    names = {"unread": "list_unread"}  # the headline has its own "unread"
    rows = []
    for key in (*FOLLOWUP_KEYS, "not_yet_due"):
        count = int(followup.get(key, 0))
        if count == 0 and key != "not_yet_due":
            continue
        shown = None if names.get(key, key) in hidden else count
        rows.append((labels[key], count_text(shown)))
    return pl.DataFrame(rows, schema={"Orsak": pl.String, "Antal": pl.String}, orient="row")
