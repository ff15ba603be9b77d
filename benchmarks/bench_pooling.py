"""Do priors pooled from the region's own campaigns predict a new campaign better than the
national defaults? (issue 15: "Show with simulated histories that the pooled priors predict a
new campaign's reads better than the national defaults (interval coverage and error)".)

For each of ``--regions`` simulated regions (:func:`inkorg_kit.history.simulated.simulated_region`):
the region's true login shares are the national defaults shifted by one logit shift (drawn
from N(0, sd) with sd the defaults' own ``regional_level.login_sd_logit``, 0.35, so that the
national defaults are right on average over regions, a fair baseline; or fixed with
``--shift``), plus campaign-to-campaign noise (shared by a campaign's bands, sd 0.15, and per
band, sd 0.1). The region has ``--campaigns`` earlier campaigns, one every 60 days, 800 sends
per age band each, in its register. A new campaign (6,000 residents aged 16 and over) then
happens with its own true shares; its messageable and read-within-24-hour totals are one draw
of the reach model with those shares (the reading behaviour drawn from the national priors, as
nothing pools it). Both priors predict them with ``reach.simulate`` (1,000 draws, 90 %
intervals): "national defaults" (``params/reach_defaults.yaml``) and "pooled"
(:func:`inkorg_kit.history.pooled_assumptions`). Printed: the share of intervals that hold the
truth (coverage; 0.90 is right), the mean absolute error of the expected count and the mean
interval width, each also as a ratio against the baseline "national defaults".

    .venv/bin/python benchmarks/bench_pooling.py [--regions 200] [--campaigns 6] [--shift X]
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import numpy as np
import polars as pl

from inkorg_kit import reach
from inkorg_kit.config.assumptions import load_assumptions
from inkorg_kit.history import pooled_assumptions
from inkorg_kit.history.simulated import simulated_region

BASELINE = "national defaults"
MEASURES = ("messageable", "read_24h")
#: The new campaign's target: residents aged 16 and over, older bands well represented.
TARGET = {"16-29": 800, "30-44": 900, "45-64": 1600, "65-74": 1300, "75-84": 1000, "85+": 400}
LAST = dt.date(2027, 1, 1)


def target_frame() -> pl.DataFrame:
    rows = [
        {"age_band": band, "sex": sex, "n": n // 2 + (n % 2 if sex == "F" else 0)}
        for band, n in TARGET.items()
        for sex in ("F", "M")
    ]
    return reach.target_strata(pl.DataFrame(rows))


def truth_assumptions(base: reach.Assumptions, shares: np.ndarray) -> reach.Assumptions:
    """The base assumptions with the new campaign's true login shares, known exactly."""
    bands = (*reach.AGE_BANDS, reach.UNKNOWN_BAND)
    fixed = {
        b: reach.Share(mean=float(p), strength=1e7, source="benchmark truth")
        for b, p in zip(bands, shares, strict=True)
    }
    data = base.with_overrides(login_share=fixed, note="benchmark truth").model_dump()
    data.pop("regional_level", None)  # the truth has no doubt about the region
    return reach.load_assumptions(data)


def predicted(a: reach.Assumptions, target: pl.DataFrame, seed: int) -> dict[str, tuple]:
    summary = reach.simulate(target, a, draws=1000, seed=seed, keep_draws=False).summary
    rows = summary.filter(pl.col("measure").cast(pl.String).is_in(MEASURES))
    return {
        str(m): (e, lo, hi)
        for m, e, lo, hi in rows.select("measure", "expected", "low", "high").iter_rows()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--regions", type=int, default=200)
    parser.add_argument("--campaigns", type=int, default=6)
    parser.add_argument("--shift", type=float, default=None, help="one fixed regional shift")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    national = load_assumptions()
    level = getattr(national, "regional_level", None)
    spread = level.login_sd_logit.value if level is not None else 0.35
    target = target_frame()
    rng = np.random.default_rng(args.seed)
    results: dict[str, dict[str, list]] = {
        name: {m: [] for m in MEASURES} for name in (BASELINE, "pooled")
    }
    start = time.perf_counter()
    for i in range(args.regions):
        shift = args.shift if args.shift is not None else float(rng.normal(0.0, spread))
        region = simulated_region(rng, args.campaigns, shift=shift, last=LAST)
        pooled = pooled_assumptions(region.register, national, as_of=LAST + dt.timedelta(30))
        assert pooled is not None
        truth_a = truth_assumptions(national, region.new_campaign_shares(rng))
        truth = reach.simulate(target, truth_a, draws=1, seed=10_000 + i).draws_frame()
        for name, a in ((BASELINE, national), ("pooled", pooled.assumptions)):
            for m, (e, lo, hi) in predicted(a, target, seed=i).items():
                t = float(truth[m][0])
                results[name][m].append((lo <= t <= hi, abs(e - t), hi - lo))
    seconds = time.perf_counter() - start

    which = f"shift {args.shift:+g}" if args.shift is not None else f"shift ~ N(0, {spread:g})"
    print(
        f"{args.regions} simulated regions ({which} logit), {args.campaigns} earlier campaigns"
        f" each; new campaign of {sum(TARGET.values()):,} residents; 90 % intervals;"
        f" {seconds:.1f} s"
    )
    header = (
        f"{'measure':<12} {'priors':<18} {'coverage':>8} {'MAE':>8} {'width':>8}"
        f" {'MAE ratio':>10} {'width ratio':>12}"
    )
    print(header)
    print("-" * len(header))
    for m in MEASURES:
        base = np.array(results[BASELINE][m], dtype=float)
        for name in (BASELINE, "pooled"):
            r = np.array(results[name][m], dtype=float)
            cover, mae, width = r[:, 0].mean(), r[:, 1].mean(), r[:, 2].mean()
            print(
                f"{m:<12} {name:<18} {cover:>8.3f} {mae:>8.1f} {width:>8.1f}"
                f" {mae / base[:, 1].mean():>10.2f} {width / base[:, 2].mean():>12.2f}"
            )
    print(f'(ratios against the baseline "{BASELINE}"; coverage should be about 0.90)')


if __name__ == "__main__":
    main()
