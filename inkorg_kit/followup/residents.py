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
from typing import cast

import polars as pl

from inkorg_kit.run import RunFolder
from inkorg_kit.run.io import load_frame, load_json
from inkorg_kit.run.schemas import ManifestRecord

__all__ = ["campaign_recipients", "load_target"]


def campaign_recipients(run_dir: str | os.PathLike[str]) -> tuple[pl.DataFrame, list[str]]:
    """Everyone in the campaign's recipient files: (pnr, file_name, group, part, part_count),
    and warnings (a file changed since the manifest was written, a person in two files).

    The manifest is read through the run-folder contract
    (:class:`~inkorg_kit.run.schemas.ManifestRecord`): one that does not hold what step 02
    writes is refused, naming the file and the field."""
    run = RunFolder(run_dir)
    manifest = cast(ManifestRecord, load_json(run, "manifest_json"))
    folder = run.path("recipients_dir")
    warnings: list[str] = []
    numbers: list[str] = []
    owners: list[int] = []
    files = manifest.files
    for index, entry in enumerate(files):
        path = folder / entry.file_name
        if not path.is_file():
            raise FileNotFoundError(
                f"{path} is listed in the recipient manifest but missing: restore it from the"
                " delivered 7z archive, or the follow-up cannot tell who was in that file"
            )
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != entry.sha256:
            warnings.append(f"{entry.file_name} has changed since the manifest was written")
        lines = [line.strip() for line in data.decode("utf-8-sig").splitlines() if line.strip()]
        numbers.extend(lines)
        owners.extend([index] * len(lines))
    meta = pl.DataFrame(
        {
            "file_index": list(range(len(files))),
            "file_name": [f.file_name for f in files],
            "group": [f.group for f in files],
            "part": [f.part for f in files],
            "part_count": [f.part_count for f in files],
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
    None when the run folder has none (then age and sex come from the personnummer).

    Read through the run-folder contract (:data:`~inkorg_kit.run.schemas.FRAME_SCHEMAS`
    ``target_group``): a file without the columns step 01 writes is refused, naming the file
    and the column.
    """
    run = RunFolder(run_dir)
    if not run.exists("target_group"):
        return None
    frame = load_frame(run, "target_group")
    return frame.select(
        pl.col("personnummer").alias("pnr"),
        pl.col("age_band").cast(pl.String),
        pl.col("sex").cast(pl.String),
        pl.col("unit_hsa_id").alias("unit"),
    ).unique("pnr", keep="first", maintain_order=True)
