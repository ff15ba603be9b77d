"""Time the target-group selection and its funnel on a 2-million-person region.

Generates (at run time, in memory; numbers made by :func:`inkorg_kit.synth.generated_numbers`
logic, never written into the repository) a region of 2,000,000 people with about 10 million
care-contact rows, turns it into an extract as ``io.read_table`` returns a CSV (every column
text), then times :func:`inkorg_kit.target.select` with the demo campaign's filters (unit, age,
diagnosis, last contact, the three exclusions). Generation and selection are timed apart; the
target is selection under 10 s on a 2-core machine. With ``--parquet`` it also writes the
extract to ``out/bench/target_extract.parquet`` and times reading it back.

    .venv/bin/python benchmarks/bench_target.py [--people 2000000] [--contacts 5.0] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from inkorg_kit import synth, target
from inkorg_kit._files import write_private_text

OUT = Path(__file__).resolve().parents[1] / "out" / "bench"
REFERENCE = "2027-03-16"
SPEC = target.TargetSpec(
    units=["SE2321000032-VCSOLB"],
    age={"min": 50, "max": 74},
    diagnosis_prefixes=["I10"],
    last_contact_within_days=540,
)


def _timed(label: str, fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """Wall and CPU seconds: on a shared machine the CPU time is the steadier figure."""
    start, cpu = time.perf_counter(), time.process_time()
    value = fn()
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    print(
        f"  {label:<40s} {seconds:7.2f} s wall {cpu_seconds:7.2f} s CPU "
        f"(load {os.getloadavg()[0]:.1f})",
        flush=True,
    )
    return value, seconds, cpu_seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2_000_000)
    parser.add_argument("--contacts", type=float, default=5.0, help="mean rows per person")
    parser.add_argument("--repeat", type=int, default=3, help="timed selections")
    parser.add_argument("--parquet", action="store_true", help="also time a Parquet round trip")
    args = parser.parse_args(argv)

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"polars {pl.__version__}, {cpus} CPUs, {pl.thread_pool_size()} polars threads")
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    print("generation (not part of the target):")
    region, gen_s, _ = _timed(
        f"synth.region({args.people:,} people)",
        lambda: synth.region(args.people, contacts_per_person=args.contacts, seed=7),
    )
    extract, extract_s, _ = _timed("extract as text columns", region.extract)
    rows = extract.height
    print(f"  -> {rows:,} contact rows, {region.numbers} numbers")
    del region
    read_s = None
    if args.parquet:
        OUT.mkdir(parents=True, exist_ok=True)
        path = OUT / "target_extract.parquet"
        extract.write_parquet(path)
        os.chmod(path, 0o600)
        extract, read_s, _ = _timed(
            "read the extract back (Parquet)", lambda: pl.read_parquet(path)
        )

    print("selection (target.select: clean, dedupe, filters, funnel):")
    times, cpu_times = [], []
    result = None
    for i in range(args.repeat):
        result, seconds, cpu_seconds = _timed(
            f"run {i + 1}",
            lambda: target.select(SPEC, source=extract, reference_date=REFERENCE),
        )
        times.append(seconds)
        cpu_times.append(cpu_seconds)
    assert result is not None
    funnel = result.funnel
    assert int(funnel["removed"].sum()) + int(funnel["remaining"][-1]) == rows
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(funnel.select("step", "removed", "remaining"))
    summary = {
        "people": args.people,
        "rows": rows,
        "target_group": result.group.height,
        "generation_s": round(gen_s, 2),
        "extract_s": round(extract_s, 2),
        "parquet_read_s": None if read_s is None else round(read_s, 2),
        "select_s": [round(t, 2) for t in times],
        "select_best_s": round(min(times), 2),
        "select_median_s": round(statistics.median(times), 2),
        "select_cpu_s": [round(t, 2) for t in cpu_times],
        "rows_per_s": round(rows / min(times)),
        "peak_rss_mb": round(peak_mb),
        "cpus": cpus,
        "load_average_after": round(os.getloadavg()[0], 2),
        "target_s": 10,
    }
    print(json.dumps(summary, indent=2))
    write_private_text(OUT / "bench_target.json", json.dumps(summary, indent=2) + "\n")
    verdict = "meets" if summary["select_median_s"] < 10 else "MISSES"
    print(f"selection median {summary['select_median_s']} s: {verdict} the 10 s target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
