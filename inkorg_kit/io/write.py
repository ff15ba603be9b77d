"""Writing polars frames as CSV or Parquet, atomically and owner-only.

Why: any frame may hold personnummer, and a half-written file must never be picked up; the
writes go through :mod:`inkorg_kit._files`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from inkorg_kit._files import atomic_private_path

__all__ = ["write_frame"]

_WRITERS: dict[str, Callable[[pl.DataFrame, Path], None]] = {
    ".csv": lambda frame, tmp: frame.write_csv(tmp),
    ".txt": lambda frame, tmp: frame.write_csv(tmp),
    ".tsv": lambda frame, tmp: frame.write_csv(tmp, separator="\t"),
    ".parquet": lambda frame, tmp: frame.write_parquet(tmp),
    ".pq": lambda frame, tmp: frame.write_parquet(tmp),
}


def write_frame(df: pl.DataFrame | Any, path: str | os.PathLike[str]) -> Path:
    """Write a frame as CSV (UTF-8, header) or Parquet, chosen by suffix: atomic, mode 0600.

    Why: any frame may hold personnummer, and a half-written file must never be picked up.
    """
    target = Path(path)
    writer = _WRITERS.get(target.suffix.lower())
    if writer is None:
        raise ValueError(
            f"cannot write '{target.name}': the suffix must be one of {', '.join(_WRITERS)}"
        )
    frame = df if isinstance(df, pl.DataFrame) else pl.DataFrame(df)
    with atomic_private_path(target) as tmp:
        writer(frame, tmp)
    return target
