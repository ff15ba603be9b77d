"""Who was in the campaign: the residents of the recipient files and the target group, read
from the run folder that steps 01 and 02 wrote.

Why: the export only lists those the case handler sent to. Whoever was in a recipient file but
is missing from the export may never have got the message, so the follow-up starts from the
recipient files (checked against the manifest's hashes), and takes age band, sex and unit from
the target group where it has them.
"""

from __future__ import annotations

import hashlib
import os

import polars as pl

from inkorg_kit.recipients import read_manifest
from inkorg_kit.run import RunFolder
from inkorg_kit.vocab import age_band

__all__ = ["campaign_recipients", "load_target"]


def campaign_recipients(run_dir: str | os.PathLike[str]) -> tuple[pl.DataFrame, list[str]]:
    """Everyone in the campaign's recipient files: (pnr, file_name, group, part, part_count),
    and warnings (a file changed since the manifest was written, a person in two files)."""
    manifest = read_manifest(run_dir)
    folder = RunFolder(run_dir).path("recipients_dir")
    warnings: list[str] = []
    numbers: list[str] = []
    owners: list[int] = []
    files = list(manifest.get("files", []))
    for index, entry in enumerate(files):
        path = folder / entry["file_name"]
        if not path.is_file():
            raise FileNotFoundError(
                f"{path} is listed in the recipient manifest but missing: restore it from the"
                " delivered 7z archive, or the follow-up cannot tell who was in that file"
            )
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != entry.get("sha256"):
            warnings.append(f"{entry['file_name']} has changed since the manifest was written")
        lines = [line.strip() for line in data.decode("utf-8-sig").splitlines() if line.strip()]
        numbers.extend(lines)
        owners.extend([index] * len(lines))
    meta = pl.DataFrame(
        {
            "file_index": list(range(len(files))),
            "file_name": [f["file_name"] for f in files],
            "group": [f.get("group") for f in files],
            "part": [f.get("part") for f in files],
            "part_count": [f.get("part_count") for f in files],
        },
        schema={
            "file_index": pl.Int64,
            "file_name": pl.String,
            "group": pl.String,
            "part": pl.Int64,
            "part_count": pl.Int64,
        },
    )
    frame = pl.DataFrame(
        {"pnr": numbers, "file_index": owners}, schema={"pnr": pl.String, "file_index": pl.Int64}
    )
    twice = frame.height - frame["pnr"].n_unique()
    if twice:
        warnings.append(f"{twice} personnummer are in more than one recipient file (first kept)")
        frame = frame.unique("pnr", keep="first", maintain_order=True)
    out = frame.join(meta, on="file_index", how="left").drop("file_index")
    return out, warnings


def load_target(run_dir: str | os.PathLike[str]) -> pl.DataFrame | None:
    """The target group of notebook 01 (``target_group.parquet``): pnr, age_band, sex, unit;
    None when the run folder has none (then age and sex come from the personnummer)."""
    path = RunFolder(run_dir).path("target_group")
    if not path.is_file():
        return None
    frame = pl.read_parquet(path)
    column = next((c for c in ("personnummer", "pnr") if c in frame.columns), None)
    if column is None:
        raise ValueError(
            f"{path} has no personnummer column (personnummer or pnr); columns: {frame.columns}"
        )
    band: pl.Expr
    if "age_band" in frame.columns:
        band = pl.col("age_band").cast(pl.String)
    elif "age" in frame.columns:
        band = age_band("age").cast(pl.String)
    else:
        band = pl.lit(None, dtype=pl.String)
    unit_col = next((c for c in ("unit_hsa_id", "unit", "enhet") if c in frame.columns), None)
    return frame.select(
        pl.col(column).cast(pl.String).alias("pnr"),
        band.alias("age_band"),
        (
            pl.col("sex").cast(pl.String) if "sex" in frame.columns else pl.lit(None, pl.String)
        ).alias("sex"),
        (pl.col(unit_col).cast(pl.String) if unit_col else pl.lit(None, pl.String)).alias("unit"),
    ).unique("pnr", keep="first", maintain_order=True)
