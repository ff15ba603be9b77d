"""Reading Parquet files: types kept, except that a personnummer column becomes text.

Why apart: Parquet knows its columns and types, so its plan needs no sniffing; only a
personnummer column stored as an integer must come back as digits without ``.0``.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from inkorg_kit.io.messages import first_line, input_error
from inkorg_kit.io.plan import Plan, pnr_as_text

__all__ = ["parquet_plan"]


def parquet_plan(file: Path) -> Plan:
    try:
        raw = list(pl.read_parquet_schema(file))
    except Exception as exc:  # pyarrow/polars raise varied errors
        raise input_error(
            file,
            f"it is not a readable Parquet file ({first_line(exc)})",
            "Check that the export finished, or export the data again",
        ) from None

    def load(indices: list[int] | None, pnr_names: set[str]) -> pl.DataFrame:
        columns = None if indices is None else [raw[i] for i in indices]
        frame = pl.read_parquet(file, columns=columns)
        return pnr_as_text(frame, pnr_names)

    return Plan(file, "parquet", raw, load)
