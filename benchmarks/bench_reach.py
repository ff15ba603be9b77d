"""Time the reach model at region scale: the issue's target is "1,000+ draws for a 2-million
target group in about a second".

Generates (in memory, nothing written) a person-level target of 2 million: ages and legal
sexes drawn with numpy (no personnummer are needed by the reach model). Then times:

* ``reach.target_strata`` on the person-level frame (the aggregation the notebook does once);
* ``reach.simulate`` with 1,000 and 2,000 draws on the aggregated target, and once straight
  from the person-level frame (aggregation included);
* ``schedule.plan`` and ``reach.read_curve`` for 8,000 files of 250 (2 million messages);
* ``widgets.compute`` (what one slider move costs, charts built but not rendered) for the
  8,000-file plan.

    .venv/bin/python benchmarks/bench_reach.py [--people 2000000] [--files 8000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl

from inkorg_kit import reach, schedule, widgets


def person_level(people: int, seed: int = 1) -> pl.DataFrame:
    """A target group with Sweden's rough age mix: age (0-104) and sex, one row per person."""
    rng = np.random.default_rng(seed)
    bands = [(0, 15), (16, 29), (30, 44), (45, 64), (65, 74), (75, 84), (85, 104)]
    mix = np.array([0.18, 0.17, 0.20, 0.24, 0.105, 0.08, 0.025])
    which = rng.choice(len(bands), size=people, p=mix / mix.sum())
    low = np.array([b[0] for b in bands])[which]
    high = np.array([b[1] for b in bands])[which]
    age = rng.integers(low, high + 1)
    sex = np.where(rng.random(people) < 0.5, "F", "M")
    return pl.DataFrame({"age": age.astype(np.int32), "sex": sex})


def timed(label: str, repeat: int, call: Callable[[], Any]) -> Any:
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - start)
    print(
        f"{label:<58s} best {min(times):7.3f} s   median {statistics.median(times):7.3f} s"
        f"   ({repeat} runs)"
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2_000_000)
    parser.add_argument("--files", type=int, default=8000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    assumptions = reach.load_assumptions()
    t = time.perf_counter()
    people = person_level(args.people)
    print(f"generated {people.height:,} people in {time.perf_counter() - t:.2f} s")

    strata = timed(
        f"target_strata, {args.people:,} person rows",
        args.repeat,
        lambda: reach.target_strata(people),
    )
    print(f"  -> {strata.height} strata (age band x sex)")
    for draws in (1000, 2000):
        timed(
            f"simulate, {draws:,} draws, aggregated target",
            args.repeat,
            lambda d=draws: reach.simulate(strata, assumptions, draws=d, seed=1),
        )
    sent = schedule.parse_datetime("2027-03-16 09:00")
    timed(
        "simulate, 2,000 draws, sent_at (calendar hours)",
        args.repeat,
        lambda: reach.simulate(strata, assumptions, draws=2000, seed=1, sent_at=sent),
    )
    timed(
        f"simulate, 1,000 draws, from {args.people:,} person rows",
        args.repeat,
        lambda: reach.simulate(people, assumptions, draws=1000, seed=1),
    )

    files = pl.DataFrame(
        {
            "file_name": [
                f"utskick_{i:05d}-of-{args.files:05d}.txt" for i in range(1, args.files + 1)
            ],
            "rows": [250] * args.files,
        }
    )
    plan = timed(
        f"schedule.plan, {args.files:,} files, 4 handlers",
        args.repeat,
        lambda: schedule.plan(
            files, handlers=4, minutes_per_file=5, earliest_start="2027-03-16 09:00"
        ),
    )
    print(f"  -> {plan.days.height} send days, last file done {plan.end:%Y-%m-%d %H:%M}")
    curve = timed(
        f"read_curve, {args.files:,} files (hourly, plan + 14 days)",
        args.repeat,
        lambda: reach.read_curve(plan, assumptions, mix=strata),
    )
    print(f"  -> {curve.height:,} hourly points")

    state = widgets.PanelState(
        strata=strata,
        files=files,
        assumptions=assumptions,
        windows=schedule.SendWindows(),
        earliest_start=sent,
        handlers=4,
        minutes_per_file=5,
        draws=2000,
    )
    timed(
        f"widgets.compute (one slider move), {args.files:,} files",
        args.repeat,
        lambda: widgets.compute(state.replace(login_share={"65-74": 0.7})),
    )


if __name__ == "__main__":
    main()
