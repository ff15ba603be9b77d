"""Recipient files for Personalverktyget: ≤250 personnummer per file, a manifest, an encrypted 7z.

Why: the case handler imports each file with "Importera från fil", which takes at most 250
personnummer, one ``YYYYMMDD-NNNN`` per line (seed 004). The files are delivered in a 7-Zip
archive with AES-256 and hidden file names, and kept in a locked folder. A resident must get the
message once: never twice (a number in two files) and never half a file.

The steps, each one call:

* :func:`prepare` reads a list or extract (through :mod:`inkorg_kit.io`) and cleans the
  personnummer (:func:`inkorg_kit.pnr.clean`), keeping the other columns (e.g. the unit).
  :func:`input_path` finds notebook 01's ``target_group.parquet`` in the run folder, and
  :func:`with_target_funnel` carries its funnel into the counts, so the manifest accounts for
  every row of the original extract.
* :func:`split` cuts the ``ok`` rows into parts of at most ``part_size`` (≤ 250): filled to the
  limit or balanced (sizes differ by at most one), ordered by personnummer, by a column or
  shuffled with a seed, optionally one set of parts per group (sending unit). Each person is in
  exactly one part; duplicates left in the input are dropped and counted. A person listed under
  two groups goes out once, with the group whose files come first (file-name order), whatever
  the input order; how many people that was is counted (``in_several_groups``).
* :func:`write` writes one text file per part into ``<run_dir>/recipients/`` (UTF-8 without BOM,
  CRLF after every line, mode 0600, folder 0700) named ``<campaign>[_<group>]_001-of-012.txt``, and
  then, last, ``manifest.csv`` and ``manifest.json`` (file, group, part, rows, SHA-256, totals, the
  cleaning counts and the guideline check or its override). The files are written into a private
  staging folder beside ``recipients/`` and renamed into place before the manifest, so a run that
  stops halfway leaves no manifest and no half file; the next run clears what a killed one left. The
  guideline check is required: pass the Campaign (or its CheckReport), or say in
  ``unchecked_reason`` why these files go out without it.
* :func:`package` puts files and manifest into ``<run_dir>/<campaign>_recipients.7z`` with
  AES-256 and encrypted headers (py7zr). The password comes from an environment variable or a
  prompt, never from a parameter, and is never printed.
* :func:`verify` re-reads everything: hashes, counts, the 250 limit, the format of every line,
  check digits, no personnummer twice across the campaign's files, no file in ``recipients/``
  that the manifest does not list, owner-only modes, and the archive.

Re-running with the same input gives byte-identical import files and manifest (an override of
the guideline check is recorded once in the run folder and reused, with its time). The 7z
archive itself differs on every run (a random salt and IV for AES, and the members' times), so
compare an archive by its members: :func:`verify` decrypts it and checks each member's SHA-256
against the run folder.

The split is whole-column polars (part numbers by integer arithmetic on a row index within each
group); only the writing loops, over files.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import getpass
import hashlib
import io as stdio
import json
import os
import re
import shutil
import sys
import tempfile
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from inkorg_kit import pnr as _pnr
from inkorg_kit._files import (
    atomic_private_path,
    ensure_private_dir,
    fsync_dir,
    write_private_new,
)
from inkorg_kit._files import write_private_text as _write_private_text
from inkorg_kit.errors import PasswordError, VerificationError

__all__ = [
    "MAX_PART_SIZE",
    "MIN_PASSWORD_LENGTH",
    "ORDER_CHOICES",
    "Delivery",
    "Parts",
    "PasswordError",
    "Verification",
    "VerificationError",
    "archive_path",
    "effective_part_size",
    "file_name",
    "funnel_frame",
    "input_path",
    "package",
    "prepare",
    "read_manifest",
    "sendable",
    "slug",
    "split",
    "verify",
    "with_target_funnel",
    "write",
]

#: Personalverktyget imports at most 250 personnummer per file (seed 004).
MAX_PART_SIZE = 250
#: Shortest archive password accepted: the archive leaves the locked folder by e-mail or share.
MIN_PASSWORD_LENGTH = 12
#: ``order`` keywords; any other value names a column of the input.
ORDER_CHOICES = ("pnr", "shuffle")
RECIPIENT_DIR = "recipients"
TARGET_FILE = "target_group.parquet"  # notebook 01's target group in the run folder
TARGET_FUNNEL_FILE = "target_funnel.json"  # … and how it was selected
MANIFEST_JSON = "manifest.json"
MANIFEST_CSV = "manifest.csv"
MANIFEST_VERSION = 1
#: An override of the guideline check given to notebook 02, kept so a re-run reuses it (and its
#: time) and the manifest stays byte-identical. Beside recipients/, never inside (verify).
OVERRIDE_FILE = "recipients_override.json"
#: write() stages a run's files in ``<run_dir>/.recipients.staging-*`` and renames them into place.
STAGING_PREFIX = ".recipients.staging-"
DEFAULT_PASSWORD_ENV = "INKORG_7Z_PASSWORD"

_LINE = 15  # b"YYYYMMDD-NNNN\r\n"
# LZMA2 level: 1 packs sorted numbers to about a fifth, five times faster than level 7 (a million
# numbers: ~6 s instead of ~30 s), and the archive stays small enough to send.
_LZMA_PRESET = 1
_PNR_RE = r"^\d{8}-\d{4}$"
_CAMPAIGN_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")  # the rule of campaign.Campaign.name
_SLUG_MAX = 40
_BOM = b"\xef\xbb\xbf"
_CLEAN_COLUMNS = ("row", "pnr", "kind", "status", "reason", "duplicate_of")

#: Funnel steps as analysts see them (Swedish).
STEP_LABELS = {
    "input_rows": "Inlästa rader",
    "rejected": "Avvisade",
    "duplicates": "Dubbletter",
    "excluded": "Undantagna",
    "sent_out": "Skickas ut",
}


# --------------------------------------------------------------------------- reading the input


def _as_polars(frame: Any, what: str = "frame") -> pl.DataFrame:
    if isinstance(frame, pl.DataFrame):
        return frame
    if isinstance(frame, pl.LazyFrame):
        return frame.collect()
    if type(frame).__module__.startswith("pandas") and hasattr(frame, "columns"):
        return pl.from_pandas(frame)
    raise TypeError(f"{what} must be a polars or pandas DataFrame, got {type(frame).__name__}")


def _guess_pnr_column(columns: Sequence[str]) -> str:
    from inkorg_kit.io import PNR_COLUMN_NAMES

    def norm(name: str) -> str:
        return re.sub(r"[\s\-]+", "_", name.strip().casefold())

    hits = [c for c in columns if norm(c) in PNR_COLUMN_NAMES]
    if len(hits) == 1:
        return hits[0]
    if len(columns) == 1:
        return columns[0]
    raise ValueError(
        f"cannot tell which column holds the personnummer among {', '.join(map(repr, columns))};"
        f" pass pnr_column= (one of the columns)"
    )


def input_path(input_file: str | os.PathLike[str], run_dir: str | os.PathLike[str]) -> Path:
    """The list to read: ``input_file``, or if empty ``<run_dir>/target_group.parquet`` (01).

    Why: each notebook picks up the previous one's artefacts from the run folder, so a run in
    another folder never reads a stale target group by accident.
    """
    if str(input_file).strip():
        return Path(input_file)
    path = Path(run_dir) / TARGET_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} not found: run notebook 01 (01_target_group.ipynb) with"
            f" run_dir={str(run_dir)!r} first, or set input_file to a list or extract"
        )
    return path


def prepare(
    source: Any,
    *,
    pnr_column: str | None = None,
    reference_date: dt.date | str | None = None,
    allow_samordningsnummer: bool = True,
    **read_options: Any,
) -> pl.DataFrame:
    """Read and clean a recipient list: one row per input row, ready for :func:`split`.

    ``source`` is a file path (CSV/TXT, Excel, Parquet, read by :func:`inkorg_kit.io.read_table`),
    a polars/pandas frame, or a column of values (Series or list). The result has the columns of
    :func:`inkorg_kit.pnr.clean` (``row``, ``pnr``, ``kind``, ``status``, ``reason``,
    ``duplicate_of``) followed by the input's other columns (e.g. a unit to group by); the raw
    personnummer column is dropped, the cleaned ``pnr`` replaces it. ``reference_date``
    (``""`` = today) decides the century of 10-digit numbers.
    """
    if isinstance(source, (str, os.PathLike)):
        from inkorg_kit.io import read_table

        frame = read_table(source, pnr_column=pnr_column or None, **read_options)
    elif isinstance(source, (pl.DataFrame, pl.LazyFrame)) or (
        type(source).__module__.startswith("pandas") and hasattr(source, "columns")
    ):
        frame = _as_polars(source, "source")
    else:
        values = _pnr.as_text(source)
        frame = pl.DataFrame({"personnummer": values})
        pnr_column = "personnummer"
    if not pnr_column:
        pnr_column = _guess_pnr_column(frame.columns)
    if pnr_column not in frame.columns:
        raise ValueError(
            f"pnr_column={pnr_column!r} is not a column of the input; columns found:"
            f" {', '.join(map(repr, frame.columns)) or '(none)'}"
        )
    cleaned = _pnr.clean(
        frame[pnr_column],
        reference_date=reference_date or None,
        allow_samordningsnummer=allow_samordningsnummer,
    )
    extra = frame.drop([pnr_column, *(c for c in _CLEAN_COLUMNS if c in frame.columns)])
    return pl.concat([cleaned, extra], how="horizontal")


# --------------------------------------------------------------------------- splitting


def slug(value: object) -> str:
    """A file-name-safe form of a group value: ``Vårdcentralen Öst`` → ``vardcentralen-ost``.

    Lowercase ASCII letters, digits and hyphens only (safe on Windows, where the handler works,
    and case-insensitive file systems), at most 40 characters.

    >>> slug("SE2321000032-VCSOLB"), slug("Vårdcentralen Öst / BVC")
    ('se2321000032-vcsolb', 'vardcentralen-ost-bvc')
    """
    text = unicodedata.normalize("NFKD", str(value))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return text[:_SLUG_MAX].rstrip("-")


def _check_part_size(part_size: object) -> int:
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


def effective_part_size(part_size: int, campaign: Any = None) -> int:
    """``part_size`` checked (1-250), capped by the campaign's ``sending.part_size`` if given.

    >>> effective_part_size(250)
    250
    """
    size = _check_part_size(part_size)
    sending = getattr(campaign, "sending", None)
    cap = getattr(sending, "part_size", None)
    return min(size, _check_part_size(cap)) if cap is not None else size


def _counts(frame: pl.DataFrame, status: str, key: str) -> dict[str, int]:
    rows = (
        frame.filter(pl.col("status").cast(pl.String) == status)
        .group_by(pl.col(key).cast(pl.String).fill_null("(okänd)").alias("key"))
        .agg(pl.len().alias("n"))
        .sort("key")
    )
    return dict(zip(rows["key"].to_list(), rows["n"].to_list(), strict=True))


def _source_summary(
    frame: pl.DataFrame, dropped: int, sent_out: int, in_several_groups: int = 0
) -> dict[str, Any]:
    """How every input row ended: rejected (by reason), duplicate, excluded, or sent out."""
    status = frame["status"].cast(pl.String)
    if "reason" in frame.columns:
        rejected = _counts(frame, "rejected", "reason")
    else:
        rejected = {"(okänd)": int((status == "rejected").sum())}
        rejected = {k: v for k, v in rejected.items() if v}
    other = frame.filter(~status.is_in(["ok", "duplicate", "rejected"]).fill_null(False))
    excluded: dict[str, int] = {}
    if other.height:  # a target frame with its own statuses: each is a named filter
        counts = (
            other.group_by(pl.col("status").cast(pl.String).fill_null("(okänd)").alias("status"))
            .agg(pl.len().alias("n"))
            .sort("status")
        )
        excluded = dict(zip(counts["status"].to_list(), counts["n"].to_list(), strict=True))
    return _check_summary(
        {
            "input_rows": frame.height,
            "rejected": rejected,
            "duplicates": int((status == "duplicate").sum()) + dropped,
            "excluded": excluded,
            "sent_out": sent_out,
            "in_several_groups": in_several_groups,
        }
    )


def _check_summary(summary: Mapping[str, Any]) -> dict[str, Any]:
    """The funnel must add up: input = rejected + duplicates + excluded + sent out.

    ``in_several_groups`` (people listed under more than one group, sent out once) is a part of
    the duplicates, not a step of its own: their extra rows are counted as duplicates.
    """
    try:
        out = {
            "input_rows": int(summary["input_rows"]),
            "rejected": {str(k): int(v) for k, v in dict(summary.get("rejected", {})).items()},
            "duplicates": int(summary.get("duplicates", 0)),
            "excluded": {str(k): int(v) for k, v in dict(summary.get("excluded", {})).items()},
            "sent_out": int(summary["sent_out"]),
            "in_several_groups": int(summary.get("in_several_groups", 0)),
        }
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(
            "source_summary must be a mapping with input_rows, rejected ({reason: count}),"
            f" duplicates, excluded ({{filter: count}}) and sent_out; got a problem: {exc}"
        ) from None
    if not 0 <= out["in_several_groups"] <= out["duplicates"]:
        raise ValueError(
            f"source_summary: in_several_groups {out['in_several_groups']} must be between 0 and"
            f" the duplicates ({out['duplicates']}): each such person's extra rows are duplicates"
        )
    accounted = (
        sum(out["rejected"].values())
        + out["duplicates"]
        + sum(out["excluded"].values())
        + out["sent_out"]
    )
    if accounted != out["input_rows"]:
        raise ValueError(
            f"source_summary does not add up: {out['input_rows']} input rows, but rejected"
            f" {sum(out['rejected'].values())} + duplicates {out['duplicates']} + excluded"
            f" {sum(out['excluded'].values())} + sent out {out['sent_out']} = {accounted}"
        )
    return out


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


def _group_slugs(values: pl.Series, group_by: str) -> pl.DataFrame:
    """Distinct group values with their slugs; refuses empty or colliding slugs."""
    distinct = values.unique().sort().to_list()
    slugs = [slug(v) for v in distinct]
    empty = [v for v, s in zip(distinct, slugs, strict=True) if not s]
    if empty:
        raise ValueError(
            f"group_by={group_by!r}: the value(s) {', '.join(map(repr, empty[:5]))} give no"
            " letters or digits for a file name; fix the column or group by another one"
        )
    seen: dict[str, str] = {}
    for value, s in zip(distinct, slugs, strict=True):
        if s in seen:
            raise ValueError(
                f"group_by={group_by!r}: the values {seen[s]!r} and {value!r} give the same file"
                f" name part {s!r} (case and punctuation are dropped); make them distinct"
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
      file-name order. A person listed under several groups (on ok rows or on rows pnr.clean
      marked as duplicates) goes out once, with the group that comes first; the summary's
      ``in_several_groups`` says how many people that was (their other rows are duplicates).

    Errors name the first offending row (0-based, as ``row`` from :func:`prepare`), masked.
    """
    df = _as_polars(frame)
    size = _check_part_size(part_size)
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
    well_formed = pl.col("pnr").str.contains(_PNR_RE).fill_null(False)
    rows = df.with_row_index("_pos").with_columns(pl.col("pnr").cast(pl.String))
    ok = rows.filter(status == "ok")
    bad_pnr = ok.filter(~well_formed)
    if bad_pnr.height:
        first = bad_pnr.row(0, named=True)
        shown = "null" if first["pnr"] is None else repr(_pnr.mask(first["pnr"]))
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
                f" column; the first is row {first['_pos']} (0-based, {_pnr.mask(first['pnr'])});"
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
            _group_slugs(groups, group_by)
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
        source_summary=_source_summary(df, dropped, out.height, several),
    )


def with_target_funnel(
    summary: Mapping[str, Any], source: str | os.PathLike[str]
) -> dict[str, Any]:
    """Prepend notebook 01's funnel when ``source`` is its target group, so the manifest counts
    from the extract's first row to the files: rejected by reason, duplicates, each filter.

    Reads ``target_funnel.json`` beside ``source`` (``rows_in``, ``target_group`` and steps
    ``rejected_<reason>``, ``duplicate`` and the named filters). Returns ``summary`` unchanged
    when there is none, or when its ``target_group`` count is not this input's row count (the
    funnel belongs to another version of the file).
    """
    base = _check_summary(summary)
    path = Path(source).parent / TARGET_FUNNEL_FILE
    if Path(source).name != TARGET_FILE or not path.is_file():
        return base
    try:
        funnel = json.loads(path.read_text(encoding="utf-8"))
        rows_in, group = int(funnel["rows_in"]), int(funnel["target_group"])
        steps = [
            (str(x["step"]), str(x.get("label") or x["step"]), int(x["removed"]))
            for x in funnel["steps"]
        ]
    except (OSError, ValueError, KeyError, TypeError):
        return base
    if group != base["input_rows"]:
        return base
    rejected = dict(base["rejected"])
    excluded: dict[str, int] = {}
    duplicates = base["duplicates"]
    for step, label, removed in steps:
        if step in ("rows_in", "target_group") or removed == 0:
            continue
        if step.startswith("rejected_"):
            reason = step.removeprefix("rejected_")
            rejected[reason] = rejected.get(reason, 0) + removed
        elif step == "duplicate":
            duplicates += removed
        else:
            excluded[label] = excluded.get(label, 0) + removed
    for name, n in base["excluded"].items():
        excluded[name] = excluded.get(name, 0) + n
    combined = {
        "input_rows": rows_in,
        "rejected": rejected,
        "duplicates": duplicates,
        "excluded": excluded,
        "sent_out": base["sent_out"],
        "in_several_groups": base["in_several_groups"],
    }
    try:
        return _check_summary(combined)
    except ValueError:  # the 01 funnel does not add up: keep what this step can vouch for
        return base


def funnel_frame(summary: Mapping[str, Any]) -> pl.DataFrame:
    """The cleaning funnel as rows (step, reason, label, count): input, each rejection reason,
    duplicates, each exclusion, sent out. Aggregates only: safe for charts and reports.

    When people were listed under more than one group, the duplicates' label says how many
    (they are sent out once, with the group whose files come first)."""
    s = _check_summary(summary)
    rows: list[tuple[str, str | None, str, int]] = [
        ("input_rows", None, STEP_LABELS["input_rows"], s["input_rows"])
    ]
    for reason, n in s["rejected"].items():
        label = _pnr.REASON_LABELS.get(reason, reason)
        rows.append(("rejected", reason, f"{STEP_LABELS['rejected']}: {label}", n))
    duplicates = STEP_LABELS["duplicates"]
    if s["in_several_groups"]:
        duplicates += (
            f" (varav {s['in_several_groups']} personer i flera grupper:"
            " de får bara filen i den första gruppen)"
        )
    rows.append(("duplicates", None, duplicates, s["duplicates"]))
    for name, n in s["excluded"].items():
        rows.append(("excluded", name, f"{STEP_LABELS['excluded']}: {name}", n))
    rows.append(("sent_out", None, STEP_LABELS["sent_out"], s["sent_out"]))
    return pl.DataFrame(
        rows,
        schema={"step": pl.String, "reason": pl.String, "label": pl.String, "count": pl.Int64},
        orient="row",
    )


# --------------------------------------------------------------------------- campaign check


def sendable(
    campaign: Any,
    *,
    run_dir: str | os.PathLike[str] | None = None,
    override_reason: str | None = None,
) -> Any:
    """Check the campaign now and stop on guideline errors unless a written reason is given.

    ``campaign`` is a :class:`inkorg_kit.campaign.Campaign` or a campaign YAML path. Returns
    None (no errors) or the :class:`inkorg_kit.campaign.Override` to pass to :func:`write`;
    raises ``CampaignError``. An override already recorded in ``run_dir`` for this campaign and
    these errors is reused as it is, time included, so a re-run writes a byte-identical
    manifest: one given to notebook 00 (``campaign_check.json``), or one given here before
    (``recipients_override.json``). Without ``override_reason`` a recorded one that covers the
    errors is honoured; with it, the recorded one with the same reason and the same errors is
    reused, else a new one is recorded and kept in ``<run_dir>/recipients_override.json``.
    """
    from inkorg_kit import campaign as cp

    if not isinstance(campaign, cp.Campaign):
        campaign = cp.load_campaign(campaign)
    report = cp.check(campaign)
    if not report.errors:
        return None
    recorded = _recorded_overrides(run_dir, report)
    if not (override_reason or "").strip():
        for stored in recorded:
            if stored.covers(report.errors):
                return stored
        return report.require_ok(None)  # raises, listing the errors
    override = report.require_ok(override_reason)  # checks and normalises the reason
    errors = cp._error_keys(report.errors)
    for stored in recorded:
        given = set(zip(stored.errors, stored.messages, strict=False))
        if stored.reason == override.reason and given == errors:
            return stored  # the same decision: its time too, so the manifest is the same
    if run_dir is not None:
        text = json.dumps(override.to_dict(), ensure_ascii=False, indent=2) + "\n"
        _write_private_text(Path(run_dir) / OVERRIDE_FILE, text)
    return override


def _recorded_overrides(run_dir: str | os.PathLike[str] | None, report: Any) -> list[Any]:
    """This campaign's overrides recorded in a run folder: notebook 00's report, then
    notebook 02's own file."""
    from inkorg_kit import campaign as cp

    if run_dir is None:
        return []
    found = [cp._stored_override(Path(run_dir) / cp.REPORT_FILES["json"], report)]
    own = Path(run_dir) / OVERRIDE_FILE
    if own.is_file():
        with contextlib.suppress(ValueError, KeyError, TypeError):  # then recorded anew
            found.append(cp.Override.from_dict(json.loads(own.read_text(encoding="utf-8"))))
    return [o for o in found if o is not None and o.campaign == report.campaign]


def _override_dict(override: Any) -> dict[str, Any] | None:
    if override is None:
        return None
    if hasattr(override, "to_dict"):
        return dict(override.to_dict())
    if isinstance(override, Mapping):
        return dict(override)
    raise TypeError(
        f"override must be an inkorg_kit.campaign.Override (from ensure_sendable/require_ok),"
        f" got {type(override).__name__}"
    )


# --------------------------------------------------------------------------- writing


@dataclass(frozen=True)
class Delivery:
    """What :func:`write` produced: the folder, the manifest (as written) and one row per file."""

    run_dir: Path
    folder: Path
    manifest: dict[str, Any]
    files: pl.DataFrame

    @property
    def manifest_json(self) -> Path:
        return self.folder / MANIFEST_JSON

    @property
    def manifest_csv(self) -> Path:
        return self.folder / MANIFEST_CSV

    def table(self) -> pl.DataFrame:
        """Per file, for people: name, group, part, rows, masked first/last, short hash."""
        return self.files.select(
            pl.col("file_name").alias("fil"),
            pl.col("group").alias("grupp"),
            pl.col("part").alias("del"),
            pl.col("part_count").alias("av"),
            pl.col("rows").alias("antal"),
            pl.col("first_pnr").alias("första"),
            pl.col("last_pnr").alias("sista"),
            pl.col("sha256").str.slice(0, 12).alias("sha256 (början)"),
        )


def archive_path(run_dir: str | os.PathLike[str], campaign: str) -> Path:
    """Where :func:`package` puts the archive: ``<run_dir>/<campaign>_recipients.7z``."""
    return Path(run_dir) / f"{campaign}_recipients.7z"


def _campaign_name(campaign: Any) -> str:
    name = getattr(campaign, "name", campaign)
    if not isinstance(name, str) or not _CAMPAIGN_RE.fullmatch(name) or len(name) > 64:
        raise ValueError(
            f"campaign={name!r} cannot go into file names: use lowercase a-z, 0-9 and hyphens,"
            " at most 64 characters, e.g. 'blodtryck-solbacka-2027'"
        )
    return name


def _guideline_check(
    campaign: Any, name: str, check_report: Any, override: Any, unchecked_reason: Any
) -> tuple[Any, Any, str | None]:
    """(report, override, unchecked reason) for the manifest; raises when the check is missing
    or has errors that no override covers."""
    from inkorg_kit import campaign as cp

    if unchecked_reason is not None and not isinstance(unchecked_reason, str):
        raise TypeError(f"unchecked_reason must be text, got {type(unchecked_reason).__name__}")
    unchecked = cp._reason_text(unchecked_reason) or None
    if check_report is None and isinstance(campaign, cp.Campaign):
        check_report = cp.check(campaign)
    if check_report is None:
        if unchecked is None:
            raise ValueError(
                f"recipients.write({name!r}): no guideline check. Pass the Campaign"
                " (campaign.load_campaign(...)) or check_report=campaign.check(...), so the"
                " files go out only if the campaign follows the guidelines; or, for files that"
                " need no check of their own (e.g. a follow-up list of a checked campaign), say"
                " why in unchecked_reason='...' (recorded in the manifest)"
            )
        if override is not None:
            raise ValueError("an override needs the check it overrides: pass check_report")
        return None, None, unchecked
    if unchecked is not None:
        raise ValueError(
            "unchecked_reason is for files written without a guideline check, but a check was"
            " given (a Campaign or check_report): leave unchecked_reason out"
        )
    if not isinstance(check_report, cp.CheckReport):
        raise TypeError(
            f"check_report must be an inkorg_kit.campaign.CheckReport (campaign.check(...)),"
            f" got {type(check_report).__name__}"
        )
    if check_report.campaign != name:
        raise ValueError(
            f"check_report is for campaign {check_report.campaign!r}, not {name!r}; check this"
            " campaign"
        )
    if override is None:
        return check_report, check_report.require_ok(None), None
    if isinstance(override, Mapping):  # as recorded in a run folder's JSON
        override = cp.Override.from_dict(override)
    errors = {f.check for f in check_report.errors}
    covered = set(override.errors)
    if not override.covers(check_report.errors):  # the same checks with the same messages
        raise cp.CampaignError(
            f"the override was given for the errors {sorted(covered)}, but the campaign check"
            f" now finds {sorted(errors)} (or the same checks with other messages); check the"
            " campaign again and give a reason for these errors"
        )
    return check_report, override, None


def _first_row(mask: pl.Series) -> int:
    """Position of the first True in a boolean column."""
    return int(mask.arg_true()[0])


def _parts_content(parts: Parts) -> bytes:
    """All numbers in file order as one ASCII buffer, 15 bytes a line (``YYYYMMDD-NNNN\\r\\n``),
    after checking, whole-column, what a hand-made :class:`Parts` could get wrong: the part
    size (≤ 250), parts in file order, every number well-formed and no number twice."""
    frame = parts.frame
    needed = ("pnr", "group", "group_slug", "part", "part_count")
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ValueError(
            f"parts.frame lacks the column(s) {', '.join(map(repr, missing))}; cut the parts"
            " with recipients.split"
        )
    size = _check_part_size(parts.part_size)
    sizes = frame.group_by("group_slug", "part").agg(pl.len().alias("rows"))
    if sizes.height and int(sizes["rows"].max()) > size:  # type: ignore[arg-type]
        worst = sizes.sort("rows", descending=True).row(0, named=True)
        raise ValueError(
            f"part {worst['part']} of group {worst['group_slug']!r} holds {worst['rows']}"
            f" personnummer, more than part_size={size} (Personalverktyget takes at most"
            f" {MAX_PART_SIZE}); cut the parts with recipients.split"
        )
    runs = frame.select(pl.struct("group_slug", "part").rle_id().max()).item()
    if frame.height and runs + 1 != sizes.height:
        raise ValueError(
            "parts.frame is not in file order: the rows of one part must be together (as"
            " recipients.split leaves them)"
        )
    if frame.is_empty():
        return b""
    pnrs = frame["pnr"].cast(pl.String)
    data = pl.select(pl.concat_str(pnrs, pl.lit("\r\n")).str.join("")).item().encode("utf-8")
    if len(data) != _LINE * frame.height or not _lines_ok(_line_matrix(data)):
        bad = ~pnrs.str.contains(_PNR_RE).fill_null(False)
        first = _first_row(bad)
        shown = "null" if pnrs[first] is None else repr(_pnr.mask(pnrs[first]))
        raise ValueError(
            f"{int(bad.sum())} personnummer in parts.frame are not written YYYYMMDD-NNNN; the"
            f" first is row {first} ({shown}); clean the list and cut it with recipients.split"
        )
    matrix = _line_matrix(data)
    key = np.zeros(frame.height, dtype=np.int64)
    for column in (*range(8), *range(9, 13)):
        key = key * 10 + (matrix[:, column] - 0x30)
    keys = pl.Series(key)
    if keys.n_unique() != frame.height:
        twice = keys.is_duplicated()
        first, again = (int(i) for i in np.flatnonzero(key == key[_first_row(twice)])[:2])
        raise ValueError(
            f"{int(twice.sum())} rows of parts.frame hold a personnummer that is in another row"
            f" too (e.g. {_pnr.mask(pnrs[first])} in rows {first} and {again}): a resident"
            " would get the message twice; cut the parts with recipients.split"
        )
    return data


def _clear_leftovers(root: Path, folder: Path) -> None:
    """Remove what a killed run left: staging folders beside recipients/, temporary files."""
    for staging in root.glob(f"{STAGING_PREFIX}*"):
        if staging.is_dir():
            shutil.rmtree(staging, ignore_errors=True)
    for temporary in folder.glob(".*.part"):
        temporary.unlink(missing_ok=True)


def _remove_stale(folder: Path, campaign: str, run_dir: Path) -> None:
    """A re-run starts clean: no old manifest, files or archive of this campaign are left."""
    for name in (MANIFEST_JSON, MANIFEST_CSV):  # the JSON first: package and verify trust it
        (folder / name).unlink(missing_ok=True)
    for old in folder.glob(f"{campaign}_*.txt"):
        old.unlink()
    archive_path(run_dir, campaign).unlink(missing_ok=True)


def _manifest_csv(manifest: Mapping[str, Any]) -> str:
    """The manifest as a table for Excel (``;``, UTF-8 with BOM) with a totals row."""
    buffer = stdio.StringIO()
    out = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    keys = ["file_name", "group", "part", "part_count", "rows", "sha256", "first_pnr", "last_pnr"]
    out.writerow(["campaign", *keys])
    campaign = manifest["campaign"]
    for f in manifest["files"]:
        out.writerow([campaign, *("" if f[k] is None else f[k] for k in keys)])
    totals = manifest["totals"]
    out.writerow([campaign, f"TOTALT: {totals['files']} filer", "", "", "", totals["rows"]])
    return "\ufeff" + buffer.getvalue()


def write(
    parts: Parts,
    run_dir: str | os.PathLike[str],
    campaign: Any,
    *,
    override: Any = None,
    check_report: Any = None,
    source_summary: Mapping[str, Any] | None = None,
    created: str | dt.datetime | dt.date | None = None,
    unchecked_reason: str | None = None,
) -> Delivery:
    """Write one import file per part and, last, the manifest, into ``<run_dir>/recipients/``.

    ``campaign`` is a :class:`~inkorg_kit.campaign.Campaign`, checked here against the
    guidelines, or the campaign name with ``check_report`` (its
    :class:`~inkorg_kit.campaign.CheckReport`). With errors, an ``override`` (from
    :func:`sendable`, ``ensure_sendable`` or ``require_ok``) is required. Files that need no
    check of their own (a follow-up list of a checked campaign, a benchmark) take the name and
    ``unchecked_reason``, a sentence saying why. The check, the override or the reason is
    recorded in the manifest. ``source_summary`` replaces the cleaning counts of ``parts`` (it
    must add up and send out exactly the rows written). ``created`` goes into the manifest as
    given; the default None keeps re-runs byte-identical.

    ``parts`` is checked first (at most ``part_size`` ≤ 250 per part, every number
    ``YYYYMMDD-NNNN``, none twice). Then the old manifest, files and archive of the campaign
    are removed, the files are written into a private staging folder beside ``recipients/``
    and renamed into place, and the manifest is written last: a run that stops halfway leaves
    no manifest and no half-written file, and the next run clears what a killed one left. One
    run at a time per run folder.
    """
    if not isinstance(parts, Parts):
        raise TypeError(f"parts must come from recipients.split, got {type(parts).__name__}")
    name = _campaign_name(campaign)
    report, override, unchecked = _guideline_check(
        campaign, name, check_report, override, unchecked_reason
    )
    override_record = _override_dict(override)
    if override_record is not None and override_record.get("campaign") not in (None, name):
        raise ValueError(
            f"the override is for campaign {override_record.get('campaign')!r}, not {name!r}"
        )
    given: Any = source_summary if source_summary is not None else parts.source_summary
    if isinstance(given, Mapping) and "in_several_groups" not in given:
        several = parts.source_summary.get("in_several_groups", 0)
        given = {**given, "in_several_groups": several}  # a summary of its own keeps the count
    summary = _check_summary(given)
    if summary["sent_out"] != parts.rows:
        raise ValueError(
            f"source_summary sends out {summary['sent_out']} but the parts hold {parts.rows}"
            " recipients; pass the summary of this split"
        )
    if parts.rows == 0:
        raise ValueError(
            f"no recipients to write: all {summary['input_rows']} input rows were rejected,"
            " duplicates or excluded (see source_summary)"
        )
    if isinstance(created, (dt.datetime, dt.date)):
        created = created.isoformat()
    data = _parts_content(parts)

    files = parts.files(name)
    root = Path(run_dir)
    folder = ensure_private_dir(root / RECIPIENT_DIR, tighten=True)
    _clear_leftovers(root, folder)
    _remove_stale(folder, name, root)

    view = memoryview(data)
    ends = np.cumsum(files["rows"].to_numpy().astype(np.int64))
    starts = ends - files["rows"].to_numpy()
    names = files["file_name"].to_list()
    hashes: list[str] = []
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=root))
    try:
        for fname, start, end in zip(names, starts, ends, strict=True):
            chunk = view[start * _LINE : end * _LINE]
            write_private_new(staging / fname, chunk)  # the staging folder is private
            hashes.append(hashlib.sha256(chunk).hexdigest())
        fsync_dir(staging)
        for fname in names:  # whole files only, and only once all of them are written
            os.replace(staging / fname, folder / fname)
        fsync_dir(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    pnrs = parts.frame["pnr"]
    files = files.with_columns(
        sha256=pl.Series(hashes, dtype=pl.String),
        first_pnr=_pnr.mask(pnrs.gather(starts)),
        last_pnr=_pnr.mask(pnrs.gather(ends - 1)),
    )

    manifest: dict[str, Any] = {
        "manifest_version": MANIFEST_VERSION,
        "campaign": name,
        "created": created,
        # when the campaign is to go out: the frequency cap of later campaigns dates it so
        "planned_send_start": (
            campaign.planned_send_start.isoformat()
            if hasattr(campaign, "planned_send_start")
            else None
        ),
        "format": {
            "line": "YYYYMMDD-NNNN",
            "encoding": "UTF-8 without BOM",
            "line_ending": "CRLF after every line",
            "max_rows_per_file": MAX_PART_SIZE,
        },
        "split": {
            "part_size": parts.part_size,
            "balance": parts.balance,
            "order": parts.order,
            "group_by": parts.group_by,
            "seed": parts.seed,
        },
        "totals": {
            "files": files.height,
            "rows": parts.rows,
            "groups": files["group_slug"].n_unique(),
            "people_in_several_groups": summary["in_several_groups"],
        },
        "source_summary": summary,
        "campaign_check": None
        if report is None
        else {
            "errors": [f.check for f in report.errors],
            "warnings": [f.check for f in report.warnings],
        },
        "override": override_record,
        "unchecked_reason": unchecked,
        "files": [
            {
                "file_name": row["file_name"],
                "group": row["group"],
                "part": row["part"],
                "part_count": row["part_count"],
                "rows": row["rows"],
                "sha256": row["sha256"],
                "first_pnr": row["first_pnr"],
                "last_pnr": row["last_pnr"],
            }
            for row in files.iter_rows(named=True)
        ],
    }
    # Last: the CSV, then the JSON that package and verify trust.
    _write_private_text(folder / MANIFEST_CSV, _manifest_csv(manifest))
    _write_private_text(
        folder / MANIFEST_JSON, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
    )
    return Delivery(run_dir=root, folder=folder, manifest=manifest, files=files)


def read_manifest(run_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The manifest of a run folder; a clear error when a run never finished writing."""
    path = Path(run_dir) / RECIPIENT_DIR / MANIFEST_JSON
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{path} does not exist: write the recipient files first (recipients.write); a run"
            " that stopped halfway leaves no manifest"
        ) from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON (line {exc.lineno}): {exc.msg}") from None


# --------------------------------------------------------------------------- the archive


def _in_kernel() -> bool:
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return getattr(shell, "kernel", None) is not None


def _ask_password(password_env: str, *, confirm: bool) -> str | None:
    """Prompt on a terminal or in a Jupyter kernel that takes input; None when neither can.

    A new password is typed twice (a typo would lock the case handler out of the archive).
    """
    can_tty = sys.stdin is not None and hasattr(sys.stdin, "isatty") and sys.stdin.isatty()
    if not (can_tty or _in_kernel()):
        return None
    try:
        first = getpass.getpass(f"Lösenord för 7z-arkivet ({password_env} är inte satt): ")
        again = getpass.getpass("Samma lösenord igen: ") if confirm and first else first
    except (EOFError, OSError):
        return None
    except Exception as exc:  # ipykernel without stdin (papermill): StdinNotImplementedError
        if type(exc).__name__ == "StdinNotImplementedError":
            return None
        raise
    if first != again:
        raise PasswordError("the two passwords typed differ; nothing was written, try again")
    return first


def _password(password_env: str, *, prompt: bool, new: bool = True) -> str:
    """The archive password from ``password_env`` or a prompt; ``new``: for a new archive
    (asked twice, at least 12 characters), else to open one (asked once)."""
    if not isinstance(password_env, str) or not re.fullmatch(
        r"[A-Za-z_][A-Za-z0-9_]*", password_env
    ):
        raise ValueError(
            f"password_env={password_env!r} must be the NAME of an environment variable"
            f" (e.g. {DEFAULT_PASSWORD_ENV!r}), not the password itself"
        )
    value = os.environ.get(password_env) or None
    if value is None and prompt:
        value = _ask_password(password_env, confirm=new)
    if not value or not value.strip():
        how = "no prompt is possible here" if prompt else "prompting is off"
        raise PasswordError(
            f"no archive password: the environment variable {password_env} is not set (or empty)"
            f" and {how}. Set it before starting Jupyter or papermill, e.g."
            f" `read -rs {password_env} && export {password_env}` in the shell. The password is"
            " never taken from a notebook parameter."
        )
    if new and len(value) < MIN_PASSWORD_LENGTH:
        raise PasswordError(
            f"the archive password in {password_env} is shorter than {MIN_PASSWORD_LENGTH}"
            f" characters; choose a longer one (e.g. four random words)"
        )
    return value


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_SHA256_RE = re.compile(r"[0-9a-f]{64}")


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _manifest_problem(manifest: object) -> str | None:
    """What makes a manifest unusable, in words (entry and field); None when it can be used.

    Why: :func:`verify` reports a broken manifest as a finding instead of raising on it.
    """
    if not isinstance(manifest, Mapping):
        return f"it holds {type(manifest).__name__}, not an object"
    missing = [k for k in ("campaign", "split", "totals", "files") if k not in manifest]
    if missing:
        return f"no {', '.join(missing)}"
    campaign = manifest["campaign"]
    if not isinstance(campaign, str) or not _CAMPAIGN_RE.fullmatch(campaign):
        return f"campaign is {campaign!r}, expected a campaign name such as 'blodtryck-2027'"
    split, totals = manifest["split"], manifest["totals"]
    if not isinstance(split, Mapping) or not _whole(split.get("part_size")):
        got = split.get("part_size") if isinstance(split, Mapping) else split
        return f"split.part_size is {got!r}, expected a whole number"
    if not isinstance(totals, Mapping):
        return f"totals is {totals!r}, expected an object"
    for key in ("files", "rows"):
        if not _whole(totals.get(key)):
            return f"totals.{key} is {totals.get(key)!r}, expected a whole number"
    files = manifest["files"]
    if not isinstance(files, list):
        return f"files is {type(files).__name__}, expected a list"
    seen: set[str] = set()
    for index, entry in enumerate(files):
        where = f"files[{index}]"
        if not isinstance(entry, Mapping):
            return f"{where} is {type(entry).__name__}, expected an object"
        name = entry.get("file_name")
        if (
            not isinstance(name, str)
            or not re.fullmatch(r"[^/\\\x00]+", name)
            or name in (".", "..", MANIFEST_JSON, MANIFEST_CSV)
        ):
            return f"{where}.file_name is {name!r}, expected the name of a file in {RECIPIENT_DIR}/"
        if name in seen:
            return f"{where}: {name} is listed twice"
        seen.add(name)
        for key in ("part", "part_count", "rows"):
            if not _whole(entry.get(key)):
                return f"{where} ({name}): {key} is {entry.get(key)!r}, expected a whole number"
        digest = entry.get("sha256")
        if not isinstance(digest, str) or not _SHA256_RE.fullmatch(digest):
            return f"{where} ({name}): sha256 is {digest!r}, expected 64 hexadecimal digits"
        if not isinstance(entry.get("group"), (str, type(None))):
            return f"{where} ({name}): group is {entry.get('group')!r}, expected text or null"
    return None


def _members(manifest: Mapping[str, Any]) -> list[str]:
    """Archive member names: the import files, then the manifest, in one folder per campaign."""
    campaign = manifest["campaign"]
    names = [f["file_name"] for f in manifest["files"]] + [MANIFEST_CSV, MANIFEST_JSON]
    return [f"{campaign}/{n}" for n in names]


def package(
    run_dir: str | os.PathLike[str],
    *,
    password_env: str = DEFAULT_PASSWORD_ENV,
    prompt: bool = True,
) -> Path:
    """Put the import files and the manifest into an AES-256 7z with encrypted headers.

    The password is read from the environment variable ``password_env``; if it is unset and
    ``prompt`` is true, it is asked for (twice) on a terminal or in JupyterLab. Under papermill
    there is no prompt: set the variable. At least 12 characters. Every file is checked against
    the manifest before it goes in. Returns ``<run_dir>/<campaign>_recipients.7z`` (mode 0600).
    """
    import py7zr

    root = Path(run_dir)
    manifest = read_manifest(root)
    problem = _manifest_problem(manifest)
    if problem is not None:
        raise ValueError(
            f"{root / RECIPIENT_DIR / MANIFEST_JSON} cannot be used:"
            f" {_pnr.mask_in_text(problem)}; run recipients.write again"
        )
    password = _password(password_env, prompt=prompt)
    folder = root / RECIPIENT_DIR
    payload: list[tuple[str, bytes]] = []
    for f, member in zip(manifest["files"], _members(manifest), strict=False):
        path = folder / f["file_name"]
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise FileNotFoundError(
                f"{path} is listed in the manifest but missing; run recipients.write again"
            ) from None
        if _sha256(data) != f["sha256"] or len(data) != _LINE * f["rows"]:
            raise ValueError(
                f"{path} differs from the manifest (SHA-256 or size); it was changed after"
                " writing: run recipients.write again"
            )
        payload.append((member, data))
    for name in (MANIFEST_CSV, MANIFEST_JSON):
        payload.append((f"{manifest['campaign']}/{name}", (folder / name).read_bytes()))

    target = archive_path(root, manifest["campaign"])
    filters = [
        {"id": py7zr.FILTER_LZMA2, "preset": _LZMA_PRESET},
        {"id": py7zr.FILTER_CRYPTO_AES256_SHA256},
    ]
    with atomic_private_path(target) as tmp:
        with py7zr.SevenZipFile(
            tmp, "w", password=password, header_encryption=True, filters=filters
        ) as archive:
            for member, data in payload:
                archive.writestr(data, member)
        with py7zr.SevenZipFile(tmp, "r", password=password) as archive:
            names = archive.getnames()
        expected = [m for m, _ in payload]
        if not set(expected) <= set(names):
            raise RuntimeError(f"{target}: the archive written does not list every file")
    return target


# --------------------------------------------------------------------------- verification

_CHECK_LABELS = {
    "manifest": "Manifestet finns och är läsbart",
    "manifest_csv": "manifest.csv stämmer med manifest.json",
    "files_present": "Alla filer finns, inga okända filer",
    "permissions": "Endast ägaren kan läsa filerna",
    "hashes": "SHA-256 stämmer",
    "line_format": "Varje rad är YYYYMMDD-NNNN + CRLF, UTF-8 utan BOM",
    "rows": "Antal rader stämmer",
    "limit": f"Högst {MAX_PART_SIZE} per fil",
    "parts": "Delarna är numrerade utan lucka",
    "valid_numbers": "Giltiga personnummer (kontrollsiffra, datum)",
    "no_duplicates": "Ingen får två filer: inget personnummer två gånger",
    "totals": "Summorna går ihop (inläst = avvisat + dubbletter + utskick)",
    "archive": "7z-arkivet: krypterat, krypterade namn, samma filer",
}


@dataclass
class Verification:
    """The outcome of :func:`verify`: one row per check (check, label, ok, detail)."""

    run_dir: Path
    checks: pl.DataFrame

    @property
    def ok(self) -> bool:
        return bool(self.checks["ok"].all())

    @property
    def failures(self) -> pl.DataFrame:
        return self.checks.filter(~pl.col("ok"))

    def failed(self) -> list[str]:
        return self.failures["check"].to_list()

    def table(self) -> pl.DataFrame:
        """For people: result, what was checked, details."""
        return self.checks.select(
            pl.when(pl.col("ok")).then(pl.lit("OK")).otherwise(pl.lit("FEL")).alias("resultat"),
            pl.col("label").alias("kontroll"),
            pl.col("detail").alias("detaljer"),
        )

    def require_ok(self) -> Verification:
        """Raise :class:`VerificationError` listing every failed check; else return self."""
        if not self.ok:
            lines = [f"- {c}: {d}" for c, d in self.failures.select("check", "detail").rows()]
            raise VerificationError(
                f"{self.run_dir}: {len(lines)} check(s) failed; do not deliver these files:\n"
                + "\n".join(lines)
            )
        return self


class _Checks:
    def __init__(self) -> None:
        self.rows: dict[str, tuple[bool, str]] = {}

    def add(self, check: str, ok: bool, detail: str) -> None:
        previous = self.rows.get(check)
        if previous is not None and not previous[0]:
            return  # keep the first failure's detail
        self.rows[check] = (ok, _pnr.mask_in_text(detail))  # names and values read from disk

    def frame(self) -> pl.DataFrame:
        names = [c for c in _CHECK_LABELS if c in self.rows]
        return pl.DataFrame(
            {
                "check": names,
                "label": [_CHECK_LABELS[c] for c in names],
                "ok": [self.rows[c][0] for c in names],
                "detail": [self.rows[c][1] for c in names],
            },
            schema={"check": pl.String, "label": pl.String, "ok": pl.Boolean, "detail": pl.String},
        )


def _first_bad_line(data: bytes) -> str:
    """Where a file breaks the line format, in words (the line is masked)."""
    if data.startswith(_BOM):
        return "starts with a BOM (UTF-8 without BOM is required)"
    if not data:
        return "is empty"
    if not data.endswith(b"\r\n"):
        return "does not end with CRLF"
    lines = data[:-2].split(b"\r\n")
    pattern = re.compile(rb"\d{8}-\d{4}")
    for number, line in enumerate(lines, start=1):
        if not pattern.fullmatch(line):
            shown = _pnr.mask(line.decode("utf-8", errors="replace"))
            return f"line {number} is {shown!r}, not YYYYMMDD-NNNN followed by CRLF"
    return "has lines of the wrong length"  # pragma: no cover - the fast check found a problem


def _line_matrix(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=np.uint8).reshape(-1, _LINE)


def _lines_ok(matrix: np.ndarray) -> bool:
    digits = np.r_[0:8, 9:13]
    body = matrix[:, digits]
    return bool(
        ((body >= 0x30) & (body <= 0x39)).all()
        and (matrix[:, 8] == 0x2D).all()
        and (matrix[:, 13] == 0x0D).all()
        and (matrix[:, 14] == 0x0A).all()
    )


def _check_archive(
    checks: _Checks, root: Path, manifest: Mapping[str, Any], password_env: str, prompt: bool
) -> None:
    import py7zr

    target = archive_path(root, manifest["campaign"])
    if not target.is_file():
        checks.add("archive", False, f"{target.name} is missing: run recipients.package")
        return
    if target.stat().st_mode & 0o077:
        checks.add("permissions", False, f"{target.name} can be read by others (chmod 600)")
    try:
        with py7zr.SevenZipFile(target, "r") as archive:
            archive.getnames()
        checks.add("archive", False, f"{target.name}: file names can be read without a password")
        return
    except py7zr.PasswordRequired:
        pass
    except Exception:
        checks.add(
            "archive",
            False,
            f"{target.name} cannot be opened: damaged or not a 7z archive; run"
            " recipients.package again",
        )
        return
    try:
        password = _password(password_env, prompt=prompt, new=False)
    except PasswordError as exc:
        checks.add("archive", False, str(exc))
        return
    from py7zr.io import HashIOFactory

    try:
        factory = HashIOFactory()
        with py7zr.SevenZipFile(target, "r", password=password) as archive:
            names = archive.getnames()
            info = archive.archiveinfo()
            archive.extractall(factory=factory)
    except Exception:  # py7zr gives no telling error: a wrong key decrypts to garbage
        checks.add(
            "archive",
            False,
            f"{target.name} cannot be opened with the password in {password_env}: wrong password"
            " or damaged archive (check the password; if it is right, run recipients.package"
            " again)",
        )
        return
    expected = _members(manifest)
    if sorted(names) != sorted(expected):
        extra = sorted(set(names) - set(expected))[:3]
        missing = sorted(set(expected) - set(names))[:3]
        checks.add("archive", False, f"members differ: missing {missing}, unexpected {extra}")
        return
    folder = root / RECIPIENT_DIR
    want = {f"{manifest['campaign']}/{f['file_name']}": f["sha256"] for f in manifest["files"]}
    for name in (MANIFEST_CSV, MANIFEST_JSON):
        path = folder / name
        if path.is_file():
            want[f"{manifest['campaign']}/{name}"] = _sha256(path.read_bytes())
    for member, digest in want.items():
        got = factory.get(member).hash.hexdigest() if member in factory.products else None
        if got != digest:
            checks.add("archive", False, f"{member} in the archive differs from the run folder")
            return
    methods = [str(m) for m in getattr(info, "method_names", [])]
    aes = any("AES" in m.upper() for m in methods)
    checks.add(
        "archive",
        aes,
        f"{target.name}: {len(expected)} members match, methods {', '.join(methods) or '?'},"
        " names hidden without the password",
    )


def verify(
    run_dir: str | os.PathLike[str],
    *,
    password_env: str = DEFAULT_PASSWORD_ENV,
    archive: bool | None = None,
    prompt: bool = False,
) -> Verification:
    """Re-read a run folder and check everything a handler relies on; never raises on a finding.

    Checks the manifest (each entry well-formed; JSON and CSV agree), that every listed file exists
    and nothing else is in ``recipients/`` (any name, any extension) and no staging folder of a
    stopped run is left, owner-only permissions (files 0600, the folder 0700), SHA-256, row counts,
    the 250 limit and the part size, part numbering, the format of every line (``YYYYMMDD-NNNN`` +
    CRLF, no BOM), check digits and dates, that no personnummer is in two files (or twice in one),
    that the totals and the cleaning counts add up, and the archive: it must exist when ``archive``
    is True (None: checked if present), refuse to list without a password, and hold exactly the
    files and manifest with the same hashes (password from ``password_env``, or asked for once when
    ``prompt`` is true and it is unset). Call :meth:`Verification.require_ok` to stop on failures.
    """
    root = Path(run_dir)
    folder = root / RECIPIENT_DIR
    checks = _Checks()
    try:
        manifest = read_manifest(root)
    except (FileNotFoundError, ValueError) as exc:
        checks.add("manifest", False, str(exc))
        return Verification(run_dir=root, checks=checks.frame())
    problem = _manifest_problem(manifest)
    if problem is not None:
        checks.add("manifest", False, f"{MANIFEST_JSON} cannot be used: {problem}")
        return Verification(run_dir=root, checks=checks.frame())
    files = list(manifest["files"])
    campaign = manifest["campaign"]
    totals = manifest["totals"]
    part_size = int(manifest["split"]["part_size"])
    checks.add("manifest", True, f"{MANIFEST_JSON}: {len(files)} files for {campaign!r}")

    # manifest.csv agrees with the JSON
    csv_path = folder / MANIFEST_CSV
    try:
        expected_csv = _manifest_csv(manifest).encode("utf-8")
        actual_csv = csv_path.read_bytes()
        checks.add(
            "manifest_csv",
            actual_csv == expected_csv,
            f"{MANIFEST_CSV} " + ("agrees" if actual_csv == expected_csv else "differs"),
        )
    except FileNotFoundError:
        checks.add("manifest_csv", False, f"{MANIFEST_CSV} is missing")
    except (KeyError, TypeError) as exc:
        checks.add("manifest_csv", False, f"{MANIFEST_CSV} cannot be compared: {exc}")

    # presence, strays, permissions
    listed = [f["file_name"] for f in files]
    listed_set = set(listed)
    missing = [n for n in listed if not (folder / n).is_file()]
    missing_set = set(missing)
    known = listed_set | {MANIFEST_JSON, MANIFEST_CSV}
    entries = sorted(folder.iterdir()) if folder.is_dir() else []
    strays = [p.name + ("/" if p.is_dir() else "") for p in entries if p.name not in known]
    leftovers = sorted(p for p in root.glob(f"{STAGING_PREFIX}*"))
    detail = f"{len(listed) - len(missing)} of {len(listed)} files present"
    if missing:
        detail += f"; missing {missing[:3]}"
    if strays:
        detail += (
            f"; {len(strays)} file(s) in {RECIPIENT_DIR}/ not in the manifest (could be imported"
            f" by mistake; remove them or write again): {strays[:3]}"
        )
    if leftovers:
        detail += (
            f"; a stopped run left {leftovers[0].name}/ beside {RECIPIENT_DIR}/ (the next"
            " recipients.write removes it)"
        )
    checks.add("files_present", not missing and not strays and not leftovers, detail)
    open_to_others = [
        f"{p.name}/ (folder)"
        for p in [folder, *leftovers]
        if p.is_dir() and p.stat().st_mode & 0o077
    ] + [
        p.name
        for p in [folder / n for n in listed if n not in missing_set]
        + [folder / MANIFEST_JSON, folder / MANIFEST_CSV]
        if p.is_file() and p.stat().st_mode & 0o077
    ]
    checks.add(
        "permissions",
        not open_to_others,
        f"readable by others: {open_to_others[:3]}"
        if open_to_others
        else f"files 0600, {RECIPIENT_DIR}/ 0700",
    )

    # per file: hash, rows, limit, format
    blobs: list[bytes] = []
    owners: list[int] = []  # index into files for each good blob
    bad_hash: list[str] = []
    bad_rows: list[str] = []
    over: list[str] = []
    bad_format: list[str] = []
    for index, f in enumerate(files):
        if f["file_name"] in missing_set:
            continue
        data = (folder / f["file_name"]).read_bytes()
        if _sha256(data) != f["sha256"]:
            bad_hash.append(f["file_name"])
        if int(f["rows"]) > MAX_PART_SIZE or int(f["rows"]) > part_size:
            over.append(f"{f['file_name']} (manifest: {f['rows']} rows)")
        if data.startswith(_BOM) or len(data) % _LINE or not _lines_ok(_line_matrix(data)):
            bad_format.append(f"{f['file_name']}: {_first_bad_line(data)}")
            lines = data.count(b"\n")
        else:
            lines = len(data) // _LINE
            blobs.append(data)
            owners.append(index)
        if lines != int(f["rows"]):
            bad_rows.append(f"{f['file_name']} has {lines} lines, manifest says {f['rows']}")
        if lines > MAX_PART_SIZE or lines > part_size:
            over.append(f"{f['file_name']} ({lines} lines)")
    present = len(files) - len(missing)
    detail = f"SHA-256 differs: {bad_hash[:3]}" if bad_hash else f"{present} of {len(files)} match"
    if missing:
        detail += f"; missing (nothing to compare): {missing[:3]}"
    checks.add("hashes", not bad_hash and not missing, detail)
    checks.add(
        "line_format",
        not bad_format,
        "; ".join(bad_format[:3]) if bad_format else "every line YYYYMMDD-NNNN + CRLF, no BOM",
    )
    row_sum = sum(int(f["rows"]) for f in files)
    checks.add(
        "rows",
        not bad_rows,
        "; ".join(bad_rows[:3]) if bad_rows else f"{row_sum} rows in {len(files)} files",
    )
    checks.add(
        "limit",
        not over and part_size <= MAX_PART_SIZE,
        f"over the limit: {over[:3]}" if over else f"at most {part_size} per file",
    )

    # part numbering per group
    gaps: list[str] = []
    by_group: dict[str, list[tuple[int, int]]] = {}
    for f in files:
        by_group.setdefault(str(f["group"]), []).append((int(f["part"]), int(f["part_count"])))
    for group, numbers in by_group.items():
        counts = {n for _, n in numbers}
        parts_seen = sorted(p for p, _ in numbers)
        if (
            len(counts) != 1
            or parts_seen != list(range(1, len(numbers) + 1))
            or counts != {len(numbers)}
        ):
            gaps.append(group)
    checks.add(
        "parts",
        not gaps,
        f"numbering broken in group(s) {gaps[:3]}" if gaps else f"{len(by_group)} group(s)",
    )

    # numbers: valid and never twice
    if blobs:
        matrix = _line_matrix(b"".join(blobs))
        numbers = pl.Series("pnr", np.ascontiguousarray(matrix[:, :13]).view("S13").ravel()).cast(
            pl.String
        )
        cleaned = _pnr.clean(numbers)
        file_of = np.repeat(
            np.array(owners), [len(b) // _LINE for b in blobs]
        )  # one entry per line
        invalid = cleaned.filter(pl.col("status") == "rejected")
        if invalid.height:
            first = invalid.row(0, named=True)
            where = files[int(file_of[first["row"]])]["file_name"]
            checks.add(
                "valid_numbers",
                False,
                f"{invalid.height} invalid number(s), e.g. {_pnr.mask(numbers[first['row']])}"
                f" in {where} ({first['reason']})",
            )
        else:
            checks.add("valid_numbers", True, f"{numbers.len()} valid")
        dupes = cleaned.filter(pl.col("status") == "duplicate")
        if dupes.height:
            first = dupes.row(0, named=True)
            here = files[int(file_of[first["row"]])]["file_name"]
            there = files[int(file_of[first["duplicate_of"]])]["file_name"]
            checks.add(
                "no_duplicates",
                False,
                f"{dupes.height} personnummer appear twice, e.g. {_pnr.mask(numbers[first['row']])}"
                f" in {there} and {here}",
            )
        else:
            checks.add("no_duplicates", True, f"{numbers.len()} distinct across {len(blobs)} files")
    elif files:
        checks.add("valid_numbers", False, "no readable file to check")
        checks.add("no_duplicates", False, "no readable file to check")

    # totals and the funnel
    problems: list[str] = []
    if int(totals.get("files", -1)) != len(files):
        problems.append(f"totals.files {totals.get('files')} but {len(files)} listed")
    if int(totals.get("rows", -1)) != row_sum:
        problems.append(f"totals.rows {totals.get('rows')} but files sum to {row_sum}")
    try:
        summary = _check_summary(manifest.get("source_summary") or {})
        if summary["sent_out"] != row_sum:
            problems.append(f"source_summary sends out {summary['sent_out']}, files hold {row_sum}")
    except ValueError as exc:
        problems.append(str(exc))
    checks.add(
        "totals",
        not problems,
        "; ".join(problems) if problems else f"{len(files)} files, {row_sum} recipients",
    )

    target = archive_path(root, campaign)
    if archive or (archive is None and target.exists()):
        _check_archive(checks, root, manifest, password_env, prompt)
    elif archive is None:
        checks.add("archive", True, "no archive yet (not required here)")
    return Verification(run_dir=root, checks=checks.frame())
