"""``inkorg-kit history``: the register as a Swedish table, run as the user runs it."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
from support import REPO, assert_no_personnummer

from inkorg_kit.cli.history import HEADERS
from inkorg_kit.history import REGISTER_ENV
from inkorg_kit.history.register import SCHEMA
from inkorg_kit.history.simulated import simulated_region
from inkorg_kit.io.write import write_frame


def _history(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != REGISTER_ENV} | (env or {})
    return subprocess.run(
        [sys.executable, "-m", "inkorg_kit", "history", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=environment,
        check=False,
        timeout=120,
    )


def _register(folder: Path) -> None:
    """Two campaigns; the second had an outcome follow-up (6 of 10 did it)."""
    rows = simulated_region(np.random.default_rng(2), 2, shift=0.0, last=dt.date(2027, 3, 1))
    bands = rows.register.rows.with_columns(
        pl.lit("kallelse").alias("category"),
        pl.lit("Kallelse").alias("category_label"),
        pl.col("exported_at").alias("first_send"),
        (pl.col("login_ok") // 2).alias("read"),
        (pl.col("login_ok") - pl.col("login_ok") // 2).alias("unread"),
    )
    outcome = pl.DataFrame(
        {"outcome_group": ["read", "unread"], "n": [6, 4], "outcome_done": [5, 1]}
    ).with_columns(pl.lit("outcome").alias("section"))
    second = bands.filter(pl.col("campaign") == "kampanj-002")
    common = second.select("campaign", "category", "category_label", "first_send").head(1)
    outcome = outcome.join(common, how="cross").select(
        [
            pl.col(c).cast(t)
            if c in outcome.columns or c in common.columns
            else pl.lit(None, dtype=t).alias(c)
            for c, t in SCHEMA.items()
        ]
    )
    write_frame(bands.filter(pl.col("campaign") == "kampanj-001"), folder / "kampanj-001.parquet")
    write_frame(pl.concat([second, outcome]), folder / "kampanj-002.parquet")


def test_history_lists_the_register_in_swedish(tmp_path: Path) -> None:
    _register(tmp_path / "reg")
    done = _history("--register", str(tmp_path / "reg"))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert f"Kampanjregistret {tmp_path / 'reg'}: 2 kampanjer" in out
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("Kampanj "))
    assert header.split() == list(HEADERS)
    first = next(line for line in lines if line.startswith("kampanj-001"))
    second = next(line for line in lines if line.startswith("kampanj-002"))
    assert "Kallelse" in first and "2026-12-31" in first and "2027-03-01" in second
    assert first.rstrip().endswith("–")  # no outcome follow-up
    assert second.rstrip().endswith("60,0 %")  # 6 of 10
    assert " %" in first  # read and login shares as Swedish percentages
    assert_no_personnummer(out, "inkorg-kit history")


def test_history_of_an_empty_register_says_where_it_looked(tmp_path: Path) -> None:
    done = _history(env={REGISTER_ENV: str(tmp_path / "tom")})
    assert done.returncode == 0, done.stderr
    assert f"Kampanjregistret {tmp_path / 'tom'} är tomt" in done.stdout
