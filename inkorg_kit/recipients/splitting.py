"""Cutting a cleaned list into parts of at most 250 personnummer, one import file each.

Why: Personalverktyget's "Importera från fil" takes at most 250 personnummer per file (seed
004), and a resident must get the message once: never twice (a number in two parts) and never
half a file. :func:`split` cuts the ``ok`` rows into parts filled to the limit or balanced
(sizes differ by at most one), ordered by personnummer, by a column or shuffled with a seed,
optionally one set of parts per group (sending unit). Each person is in exactly one part;
duplicates left in the input are dropped and counted. A person listed under two groups goes
out once, with the group whose files come first (file-name order), whatever the input order;
how many people that was is counted (``in_several_groups``).

The split is whole-column polars (part numbers by integer arithmetic on a row index within each
group); nothing loops over rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from inkorg_kit import pnr
from inkorg_kit.errors import ParameterError
from inkorg_kit.recipients.funnel import input_summary
from inkorg_kit.recipients.lines import PNR_PATTERN
from inkorg_kit.recipients.reading import as_polars
from inkorg_kit.vocab import MAX_PART_SIZE, slug

if TYPE_CHECKING:
    from inkorg_kit.config.campaign import Campaign

__all__ = [
    "MAX_GROUPS",
    "ORDER_CHOICES",
    "Parts",
    "check_part_size",
    "effective_part_size",
    "file_name",
    "group_slugs",
    "split",
]

#: ``order`` keywords; any other value names a column of the input.
ORDER_CHOICES = ("pnr", "shuffle")
#: Most distinct values a ``group_by`` column may have: a grouping is by sending unit (a region
#: has tens to a few hundred); a column with more is a value per person, not a grouping.
MAX_GROUPS = 1000

_GROUP_INSTEAD = (
    "group by the sending unit (e.g. its HSA-id) or another column without personal data, or"
    " '' for no grouping"
)


def check_part_size(part_size: object) -> int:
    """``part_size`` as a whole number from 1 to 250, else an error saying why."""
    if isinstance(part_size, bool) or not isinstance(part_size, (int, np.integer)):
        raise ValueError(
            f"part_size={part_size!r} must be a whole number from 1 to {MAX_PART_SIZE}"
        )
    if not 1 <= int(part_size) <= MAX_PART_SIZE:
        raise ValueError(
            f"part_size={part_size!r} is outside 1-{MAX_PART_SIZE}: Personalverktyget imports at"
            f" most {MAX_PART_SIZE} personnummer per file (seed 004)"
        )
    return int(part_size)


def effective_part_size(part_size: int, campaign: Campaign | None = None) -> int:
    """``part_size`` checked (1-250), capped by the campaign's ``sending.part_size`` if given.

    >>> effective_part_size(250)
    250
    """
    size = check_part_size(part_size)
    sending = getattr(campaign, "sending", None)
    cap = getattr(sending, "part_size", None)
    return min(size, check_part_size(cap)) if cap is not None else size


@dataclass(frozen=True)
class Parts:
    """The recipients cut into parts: one row per person, in file order.

    ``frame`` columns: ``pnr``, ``group`` (the group value as text, null without grouping),
    ``group_slug`` (its file-name form, ``""`` without grouping), ``part`` (1-based within the
    group) and ``part_count`` (parts in the group). ``source_summary`` says how every input row
    ended (it adds up to the input).
    """

    frame: pl.DataFrame
    part_size: int
    balance: bool
    order: str
    group_by: str | None
    seed: int | None
    source_summary: dict[str, Any] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return self.frame.height

    def table(self) -> pl.DataFrame:
        """One row per part: group, group_slug, part, part_count, rows (in file order)."""
        return (
            self.frame.group_by("group_slug", "part", maintain_order=True)
            .agg(
                pl.col("group").first(),
                pl.col("part_count").first(),
                pl.len().alias("rows"),
            )
            .select("group", "group_slug", "part", "part_count", "rows")
        )

    def files(self, campaign: str) -> pl.DataFrame:
        """:meth:`table` with each part's ``file_name`` for ``campaign``."""
        table = self.table()
        names = [
            file_name(campaign, g, p, n)
            for g, p, n in zip(
                table["group_slug"].to_list(),
                table["part"].to_list(),
                table["part_count"].to_list(),
                strict=True,
            )
        ]
        return table.with_columns(file_name=pl.Series(names, dtype=pl.String)).select(
            "file_name", "group", "group_slug", "part", "part_count", "rows"
        )


def file_name(campaign: str, group_slug: str, part: int, part_count: int) -> str:
    """``<campaign>[_<group>]_007-of-012.txt``; numbers padded so the names sort.

    >>> file_name("blodtryck-2027", "se2321000032-vcsolb", 7, 12)
    'blodtryck-2027_se2321000032-vcsolb_007-of-012.txt'
    >>> file_name("blodtryck-2027", "", 12, 1200)
    'blodtryck-2027_0012-of-1200.txt'
    """
    width = max(3, len(str(part_count)))
    group = f"_{group_slug}" if group_slug else ""
    return f"{campaign}{group}_{part:0{width}d}-of-{part_count:0{width}d}.txt"


def check_group_column(frame: pl.DataFrame, group_by: str) -> None:
    """Refuse a ``group_by`` column whose values must not go into file names: the personnummer
    column, a column whose values hold personnummer (in any shape, anywhere in the text), or
    one with more than :data:`MAX_GROUPS` distinct values (a value per person, not a grouping).

    Why: the group's value goes into every file name, and so into ``send_plan.csv``, the
    ``.ics`` files for Outlook and the manifest, which leave the locked folder. Whole-column:
    the distinct values are found by polars and only they (a real grouping has few) are
    scanned, in one :func:`~inkorg_kit.pnr.mask_in_texts`.
    """
    if group_by == "pnr":
        raise ParameterError(
            f"group_by={group_by!r} is the personnummer column: a group per person would put"
            " each number into a file name (and so into the send plan, the calendar files and"
            f" the manifest); {_GROUP_INSTEAD}"
        )
    distinct = frame.get_column(group_by).drop_nulls().unique()
    texts = distinct.head(MAX_GROUPS + 1).cast(pl.String, strict=False).drop_nulls().to_list()
    masked = pnr.mask_in_texts(texts)
    holding = [m for t, m in zip(texts, masked, strict=True) if m != t]
    if holding:
        at_least = "at least " if distinct.len() > len(texts) else ""
        raise ParameterError(
            f"group_by={group_by!r}: the column holds personnummer ({at_least}{len(holding)} of"
            f" its values, e.g. {holding[0]!r}); its values would go into the file names, and so"
            f" into the send plan, the calendar files and the manifest; {_GROUP_INSTEAD}"
        )
    if distinct.len() > MAX_GROUPS:
        raise ParameterError(
            f"group_by={group_by!r}: the column has {distinct.len()} distinct values, more than"
            f" the {MAX_GROUPS} groups a grouping can have (one set of files each): a value per"
            f" person is no grouping, and would name people in the file names; {_GROUP_INSTEAD}"
        )


def group_slugs(values: pl.Series, group_by: str) -> pl.DataFrame:
    """Distinct group values with their slugs; refuses empty or colliding slugs (the values
    quoted masked)."""
    distinct = values.unique().sort().to_list()
    slugs = [slug(v) for v in distinct]
    empty = [v for v, s in zip(distinct, slugs, strict=True) if not s]
    if empty:
        shown = pnr.mask_in_text(", ".join(map(repr, empty[:5])))
        raise ParameterError(
            f"group_by={group_by!r}: the value(s) {shown} give no letters or digits for a file"
            " name; fix the column or group by another one"
        )
    seen: dict[str, str] = {}
    for value, s in zip(distinct, slugs, strict=True):
        if s in seen:
            raise ParameterError(
                pnr.mask_in_text(
                    f"group_by={group_by!r}: the values {seen[s]!r} and {value!r} give the same"
                    f" file name part {s!r} (case and punctuation are dropped); make them"
                    " distinct"
                )
            )
        seen[s] = value
    return pl.DataFrame(
        {"group": distinct, "group_slug": slugs},
        schema={"group": pl.String, "group_slug": pl.String},
    )


def split(
    frame: Any,
    *,
    part_size: int = MAX_PART_SIZE,
    balance: bool = True,
    order: str = "pnr",
    group_by: str | None = None,
    seed: int | None = None,
) -> Parts:
    """Cut the ``ok`` rows of a cleaned list into parts of at most ``part_size`` (≤ 250).

    ``frame`` needs ``pnr`` and ``status`` (as from :func:`prepare` or
    :func:`inkorg_kit.pnr.clean`; a target group where everyone is ``ok`` works too). A person
    left twice among the ok rows is kept once (the first row) and counted as a duplicate.

    * ``balance=False`` fills each part to ``part_size`` (the last takes the rest);
      ``balance=True`` uses as many parts, sized so they differ by at most one.
    * ``order``: ``"pnr"`` (by personnummer), ``"shuffle"`` (a random order fixed by ``seed``,
      the same for the same set of numbers however the input was sorted), or a column name
      (ties broken by personnummer).
    * ``group_by``: a column (e.g. the sending unit's HSA-id): parts are cut within each group,
      numbered from 1 per group, and the group's slug goes into the file names. Groups come in
      file-name order. A column whose values must not go into file names is refused
      (:func:`check_group_column`: the personnummer column, values holding personnummer, more
      than :data:`MAX_GROUPS` distinct values). A person listed under several groups (on ok
      rows or on rows pnr.clean marked as duplicates) goes out once, with the group that comes
      first; the summary's ``in_several_groups`` says how many people that was (their other
      rows are duplicates).

    Errors name the first offending row (0-based, as ``row`` from :func:`prepare`), masked.
    """
    df = as_polars(frame)
    size = check_part_size(part_size)
    if not isinstance(balance, bool):
        raise ValueError(f"balance={balance!r} must be True (even parts) or False (fill to limit)")
    missing = [c for c in ("pnr", "status") if c not in df.columns]
    if missing:
        raise ValueError(
            f"split needs the columns 'pnr' and 'status' (from recipients.prepare or pnr.clean);"
            f" missing {', '.join(map(repr, missing))}, found {', '.join(map(repr, df.columns))}"
        )
    if group_by is not None and group_by == "":
        group_by = None
    if group_by is not None and group_by not in df.columns:
        raise ValueError(
            f"group_by={group_by!r} is not a column; choose one of"
            f" {', '.join(map(repr, df.columns))}, or '' for no grouping"
        )
    if group_by is not None:
        check_group_column(df, group_by)
    if not isinstance(order, str) or not order:
        raise ValueError(f"order={order!r}: use 'pnr', 'shuffle' or a column name")
    if order not in ORDER_CHOICES and order not in df.columns:
        raise ValueError(
            f"order={order!r} is neither 'pnr' nor 'shuffle' nor a column; columns:"
            f" {', '.join(map(repr, df.columns))}"
        )
    if order == "shuffle" and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise ValueError(
            f"order='shuffle' needs a whole-number seed (got seed={seed!r}) so that a re-run"
            " gives the same files"
        )

    status = pl.col("status").cast(pl.String)
    well_formed = pl.col("pnr").str.contains(PNR_PATTERN).fill_null(False)
    rows = df.with_row_index("_pos").with_columns(pl.col("pnr").cast(pl.String))
    ok = rows.filter(status == "ok")
    bad_pnr = ok.filter(~well_formed)
    if bad_pnr.height:
        first = bad_pnr.row(0, named=True)
        shown = "null" if first["pnr"] is None else repr(pnr.mask(first["pnr"]))
        raise ValueError(
            f"{bad_pnr.height} ok row(s) have a pnr not written YYYYMMDD-NNNN; the first is row"
            f" {first['_pos']} (0-based) with {shown}; clean the list with recipients.prepare or"
            " pnr.clean first"
        )
    if group_by is not None:
        no_group = ok.filter(pl.col(group_by).is_null())
        if no_group.height:
            first = no_group.row(0, named=True)
            raise ValueError(
                f"group_by={group_by!r}: {no_group.height} recipient(s) have no value in that"
                f" column; the first is row {first['_pos']} (0-based, {pnr.mask(first['pnr'])});"
                " fill it in, or split without grouping"
            )
    keep = ["pnr"]
    if group_by is not None:
        keep.append(group_by)
    if order not in ORDER_CHOICES and order not in keep:
        keep.append(order)
    # YYYYMMDDNNNN as an integer: one int64 sorts and deduplicates far faster than text.
    key = (pl.col("pnr").str.slice(0, 8) + pl.col("pnr").str.slice(9, 4)).cast(pl.Int64)
    candidates = ok.select(*keep, _key=key)
    several = 0
    if group_by is not None:
        # A person's rows that pnr.clean marked as duplicates may name another group: all of a
        # person's groups compete, and the group whose files come first wins, whatever the
        # input order.
        again = rows.filter(
            (status == "duplicate") & well_formed & pl.col(group_by).is_not_null()
        ).select(*keep, _key=key)
        again = again.join(candidates.select("_key").unique(), on="_key", how="semi")
        candidates = pl.concat([candidates, again])
        groups = candidates[group_by].cast(pl.String)
        slugs = (
            group_slugs(groups, group_by)
            .sort(pl.col("group_slug") + "_")  # the file-name form: as `ls` lists the files
            .with_row_index("_code")
        )
        candidates = candidates.with_columns(groups.alias("_group")).join(
            slugs.rename({"group": "_group", "group_slug": "_slug"}), on="_group", how="left"
        )
        several = (
            candidates.group_by("_key")
            .agg(pl.col("_code").n_unique().alias("n"))
            .filter(pl.col("n") > 1)
            .height
        )
        tie = [order] if order not in ORDER_CHOICES else []
        candidates = candidates.sort("_code", "_key", *tie, nulls_last=True, maintain_order=True)
    else:
        candidates = candidates.with_columns(
            _group=pl.lit(None, dtype=pl.String), _slug=pl.lit(""), _code=pl.lit(0, pl.UInt32)
        )
    if candidates["_key"].n_unique() != candidates.height:
        candidates = candidates.filter(pl.col("_key").is_first_distinct())
    dropped = ok.height - candidates.height
    ok = candidates
    code = pl.col("_code").cast(pl.Int64)
    if order == "pnr":
        ok = ok.sort(code * 10**12 + pl.col("_key"))
    elif order == "shuffle":
        rng = np.random.default_rng(int(seed))  # type: ignore[arg-type]
        ok = ok.sort("_key").with_columns(_rand=pl.Series(rng.permutation(ok.height)))
        ok = ok.sort(code * ok.height + pl.col("_rand"))
    else:
        ok = ok.sort("_code", order, "_key", nulls_last=True)
    ok = ok.select("pnr", group="_group", group_slug="_slug")

    i = pl.int_range(pl.len()).over("group_slug")
    n = pl.len().over("group_slug")
    count = (n + size - 1) // size
    if balance:
        q = n // count
        r = n % count
        big = r * (q + 1)
        part = pl.when(i < big).then(i // (q + 1)).otherwise(r + (i - big) // q.clip(1)) + 1
    else:
        part = i // size + 1
    out = ok.select(
        "pnr",
        "group",
        "group_slug",
        part.cast(pl.Int32).alias("part"),
        count.cast(pl.Int32).alias("part_count"),
    )
    return Parts(
        frame=out,
        part_size=size,
        balance=balance,
        order=order,
        group_by=group_by,
        seed=int(seed) if order == "shuffle" else None,  # type: ignore[arg-type]
        source_summary=input_summary(df, dropped, out.height, several),
    )
