"""Benchmark: split, write, package and verify 1 and 10 million personnummer (4,000 / 40,000
files), against writing the same numbers as one plain text file.

The numbers are made fresh at run time (``_gen.valid_numbers``: check-digit-valid, synthetic)
and written only under ``out/bench/``. The archive password is a random one made for the run
(or ``INKORG_7Z_PASSWORD`` if set); it is never printed.

    .venv/bin/python benchmarks/bench_recipients.py                  # 1M and 10M
    .venv/bin/python benchmarks/bench_recipients.py --sizes 1000000  # only 1M
"""

from __future__ import annotations

import argparse
import os
import resource
import secrets
import shutil
import sys
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _gen import valid_numbers

from inkorg_kit import recipients as rc
from inkorg_kit._files import atomic_private_file

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "out" / "bench"
PASSWORD_ENV = "INKORG_7Z_PASSWORD"


def timed(label: str, results: dict[str, float], fn, *args, **kwargs):
    start = time.perf_counter()
    value = fn(*args, **kwargs)
    results[label] = time.perf_counter() - start
    return value


def write_plain(numbers: pl.Series, path: Path) -> None:
    """The baseline: the same numbers, CRLF, as one file, written the same safe way."""
    text = pl.select(pl.concat_str(numbers, pl.lit("\r\n")).str.join("")).item()
    with atomic_private_file(path) as handle:
        handle.write(text.encode("ascii"))


def run(n: int) -> dict[str, float]:
    results: dict[str, float] = {}
    folder = OUT / f"recipients_{n}"
    shutil.rmtree(folder, ignore_errors=True)
    numbers = timed("generate", results, valid_numbers, n, seed=n % 9973)
    frame = pl.DataFrame({"pnr": numbers}).with_columns(status=pl.lit("ok"))

    timed("plain_file", results, write_plain, numbers.sort(), folder / "plain.txt")
    parts = timed("split", results, rc.split, frame, part_size=250, balance=True, order="pnr")
    delivery = timed(
        "write",
        results,
        rc.write,
        parts,
        folder / "run",
        f"bench-{n}",
        unchecked_reason="benchmark of synthetic numbers: never sent, no campaign to check",
    )
    timed("package", results, rc.package, folder / "run", password_env=PASSWORD_ENV, prompt=False)
    check = timed(
        "verify", results, rc.verify, folder / "run", password_env=PASSWORD_ENV, archive=True
    )
    if not check.ok:
        raise RuntimeError(f"verification failed: {check.failed()}")
    archive = rc.archive_path(folder / "run", f"bench-{n}")
    results["files"] = delivery.files.height
    results["archive_mb"] = archive.stat().st_size / 1e6
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    args = parser.parse_args()
    os.environ.setdefault(PASSWORD_ENV, "bench-" + secrets.token_urlsafe(18))
    print(
        f"{'numbers':>11} {'files':>7} {'plain s':>8} {'split s':>8} {'write s':>8}"
        f" {'7z s':>8} {'verify s':>9} {'s+w+7z':>8} {'ratio':>7} {'7z MB':>7}"
    )
    for n in args.sizes:
        r = run(n)
        total = r["split"] + r["write"] + r["package"]
        print(
            f"{n:>11,} {int(r['files']):>7,} {r['plain_file']:>8.2f} {r['split']:>8.2f}"
            f" {r['write']:>8.2f} {r['package']:>8.2f} {r['verify']:>9.2f} {total:>8.2f}"
            f" {total / r['plain_file']:>6.0f}x {r['archive_mb']:>7.1f}",
            flush=True,
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("ratio = (split + write + package) / writing the same numbers as one plain file")
    print(f"peak memory (RSS): {peak:,.0f} MB; output under {OUT}")


if __name__ == "__main__":
    main()
