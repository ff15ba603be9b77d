"""Clean 10.5 million personnummer from a CSV and compare with polars alone and python-stdnum.

Generates (at run time, under out/bench/) 10.5 million rows: valid numbers, 10 % in messy
shapes, 5 % duplicates, 1 % invalid. Then, in a fresh child process so that its peak memory is
the cleaning's own, it times: plain ``pl.read_csv``; ``io.read_pnr_column`` + ``pnr.clean``;
python-stdnum row by row on a sample. Prints the ratios the targets are stated in.

    .venv/bin/python benchmarks/bench_pnr.py [--rows 10500000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _gen import valid_numbers

from inkorg_kit._files import atomic_private_path

OUT = Path(__file__).resolve().parents[1] / "out" / "bench"


def messy_shapes(numbers: pl.Series, rng: np.random.Generator) -> pl.Series:
    """Rewrite a random 10 % of canonical numbers into shapes real extracts carry."""
    s = pl.col("p")
    date8, tail = s.str.slice(0, 8), s.str.slice(9, 4)
    shapes = [
        pl.concat_str(date8, tail),  # 12 digits, no hyphen (Excel integer)
        pl.concat_str(s.str.slice(2, 6), pl.lit("-"), tail),  # 10 digits with hyphen
        pl.concat_str(s.str.slice(2, 6), tail),  # 10 digits bare
        pl.concat_str(s.str.slice(0, 2), pl.lit(" "), s.str.slice(2)),  # Cosmic year space
        pl.concat_str(date8, pl.lit("\u2013"), tail),  # en dash
        pl.concat_str(date8, pl.lit("\u00a0"), tail),  # no-break space
        pl.concat_str(pl.lit("  "), s, pl.lit(" ")),  # padding
        s.str.replace_all("0", "\uff10").str.replace_all("1", "\uff11"),  # full-width digits
    ]
    which = rng.integers(0, 10 * len(shapes), numbers.len())  # 10 % get one of the shapes
    frame = pl.DataFrame({"p": numbers, "w": which})
    expr = pl.col("p")
    for i, shape in enumerate(shapes):
        expr = pl.when(pl.col("w") == i).then(shape).otherwise(expr)
    return frame.select(expr.alias("personnummer")).to_series()


def generate(path: Path, rows: int, seed: int = 42) -> None:
    """Distinct valid numbers, then exactly 5 % duplicates of them and 1 % invalid rows.

    Everyone is born less than 100 years ago, so that the 10-digit shapes (written with ``-``
    or no separator) name the same person as the 12-digit ones.
    """
    rng = np.random.default_rng(seed)
    n_dup, n_bad = int(rows * 0.05), int(rows * 0.01)
    first_year = dt.date.today().year - 99
    base = valid_numbers(rows - n_dup - n_bad, seed=seed, first_year=first_year)
    dups = base.gather(rng.integers(0, base.len(), n_dup))
    bad = valid_numbers(n_bad, seed=seed + 1).str.slice(0, 12) + pl.Series(
        rng.integers(0, 10, n_bad)
    ).cast(pl.String)  # about 90 % of these fail the check digit
    kind = rng.random(n_bad)
    bad = (  # 60 % bad check digit (or lucky), 20 % impossible date, 20 % reserve numbers
        bad.zip_with(pl.Series(kind < 0.6), pl.Series(["19901301-1235"] * n_bad)).zip_with(
            pl.Series(kind < 0.8), pl.Series(["19900101-T123"] * n_bad)
        )
    )
    allrows = pl.concat([base, dups, bad]).sample(fraction=1.0, shuffle=True, seed=seed)
    messy = messy_shapes(allrows, rng)
    with atomic_private_path(path) as tmp:  # personnummer-shaped: owner-only, like real lists
        pl.DataFrame({"personnummer": messy}).write_csv(tmp)


def measure(path: Path, stdnum_sample: int) -> dict:
    from stdnum.se import personnummer as stdnum_pnr

    from inkorg_kit import io, pnr

    t0 = time.perf_counter()
    plain = pl.read_csv(path, infer_schema=False)
    t_plain = time.perf_counter() - t0
    rows = plain.height
    sample = plain["personnummer"].head(stdnum_sample).to_list()
    del plain

    t0 = time.perf_counter()
    column = io.read_pnr_column(path, "personnummer")
    t_read = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = pnr.clean(column)
    t_clean = time.perf_counter() - t0
    counts = {
        f"{row['status']}:{row['reason'] or ''}": row["count"]
        for row in pnr.summary(result).iter_rows(named=True)
    }

    t0 = time.perf_counter()
    for value in sample:  # the baseline: how analysts' scripts do it today, row by row
        stdnum_pnr.is_valid(value)
    t_stdnum = time.perf_counter() - t0
    return {
        "rows": rows,
        "plain_read_s": t_plain,
        "read_s": t_read,
        "clean_s": t_clean,
        "stdnum_rows_per_s": stdnum_sample / t_stdnum,
        "clean_rows_per_s": rows / t_clean,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "counts": counts,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_500_000)
    parser.add_argument("--stdnum-sample", type=int, default=200_000)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--generate", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.stdnum_sample)))
        return

    if args.generate:
        generate(args.generate, args.rows)
        return

    path = OUT / f"pnr_{args.rows}.csv"
    if not path.exists():
        # In a process of its own: Linux hands a process's peak memory on to the programs it
        # starts, so a parent that held the generated rows would inflate the child's figure.
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, __file__, "--generate", str(path), "--rows", str(args.rows)],
            check=True,
        )
        print(f"generated {args.rows:,} rows in {time.perf_counter() - t0:.1f} s: {path}")
    child = subprocess.run(
        [
            sys.executable,
            __file__,
            "--measure",
            str(path),
            "--stdnum-sample",
            str(args.stdnum_sample),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    r = json.loads(child.stdout.strip().splitlines()[-1])
    speedup = r["clean_rows_per_s"] / r["stdnum_rows_per_s"]
    read_clean = r["read_s"] + r["clean_s"]
    print(f"rows                         {r['rows']:>14,}")
    print(f"polars read_csv alone        {r['plain_read_s']:>12.2f} s")
    print(f"io.read_pnr_column           {r['read_s']:>12.2f} s")
    print(
        f"pnr.clean                    {r['clean_s']:>12.2f} s"
        f"  ({r['clean_rows_per_s']:,.0f} rows/s)"
    )
    print(
        f"python-stdnum row by row     {r['stdnum_rows_per_s']:>12,.0f} rows/s"
        f" (sample of {args.stdnum_sample:,})"
    )
    print(f"clean vs stdnum              {speedup:>12.1f} x   (target >= 25 x)")
    print(
        f"read+clean vs polars read    {read_clean / r['plain_read_s']:>12.1f} x   (target <= 8 x)"
    )
    print(f"peak memory (child)          {r['peak_rss_mb']:>12,.0f} MB  (target < 3,000 MB)")
    print(
        "outcome counts               "
        + ", ".join(f"{k}={v:,}" for k, v in sorted(r["counts"].items()))
    )
    ok = speedup >= 25 and read_clean / r["plain_read_s"] <= 8 and r["peak_rss_mb"] < 3000
    print("targets met" if ok else "TARGETS MISSED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
