"""Typed load and save of run-folder artefacts, checked against :mod:`inkorg_kit.run.schemas`.

Why: a step that reads what an earlier step wrote should get exactly the columns and keys the
contract promises, or a clear error naming the file and the column (or key) — never a frame it
has to second-guess. Saving goes through the same check, so a writer cannot drift from what
readers expect. Every save is atomic and owner-only (:mod:`inkorg_kit._files`): the run folder
holds personnummer, and a half-written file must never be read by the next step. CSV tables
are for people: written and read in their one dialect (:mod:`inkorg_kit.io.people_csv`).

>>> import tempfile, polars as pl
>>> folder = tempfile.mkdtemp()
>>> funnel = pl.DataFrame({"step": ["rows_in"], "label": ["rader in"], "removed": [0],
...                        "remaining": [3], "note": [None]}, schema_overrides={"note": pl.String})
>>> save_frame(folder, "target_funnel_csv", funnel).name
'target_funnel.csv'
>>> load_frame(folder, "target_funnel_csv").equals(funnel)
True
>>> save_frame(folder, "target_funnel_csv", funnel.drop("note"))  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
inkorg_kit.errors.InkorgError: target_funnel.csv (target_funnel_csv): column 'note' is missing; ...
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import BaseModel, ValidationError

from inkorg_kit._files import atomic_private_path, ensure_private_dir, write_private_bytes
from inkorg_kit.config.validation import problems
from inkorg_kit.config.yaml import read_yaml
from inkorg_kit.errors import InkorgError
from inkorg_kit.io.people_csv import read_people_csv, write_people_csv
from inkorg_kit.run.folder import RunFolder
from inkorg_kit.run.schemas import FRAME_SCHEMAS, JSON_MODELS, YAML_KEYS, FrameSchema

__all__ = [
    "check_frame",
    "load_frame",
    "load_json",
    "load_json_file",
    "load_yaml",
    "save_frame",
    "save_json",
    "scan_frame",
]

_FolderLike = RunFolder | str | os.PathLike[str]


def _folder(folder: _FolderLike) -> RunFolder:
    return folder if isinstance(folder, RunFolder) else RunFolder(folder)


def _schema(key: str) -> FrameSchema:
    try:
        return FRAME_SCHEMAS[key]
    except KeyError:
        raise KeyError(
            f"{key!r} is not a table artefact; tables: {sorted(FRAME_SCHEMAS)}"
        ) from None


def _where(path: Path, key: str) -> str:
    return f"{path.name} ({key})"


def check_frame(frame: pl.DataFrame, key: str, where: str | None = None) -> pl.DataFrame:
    """``frame`` if its columns and dtypes are those of artefact ``key``, in order; else an
    :class:`~inkorg_kit.errors.InkorgError` naming ``where`` (the file) and the column."""
    expected = _schema(key).columns
    where = where or key
    names = list(expected)
    missing = [c for c in names if c not in frame.columns]
    if missing:
        raise InkorgError(
            f"{where}: column {missing[0]!r} is missing; expected columns: {', '.join(names)}"
        )
    extra = [c for c in frame.columns if c not in expected]
    if extra:
        raise InkorgError(
            f"{where}: unexpected column {extra[0]!r}; expected columns: {', '.join(names)}"
        )
    for name, dtype in expected.items():
        if frame.schema[name] != dtype:
            raise InkorgError(f"{where}: column {name!r} is {frame.schema[name]}, expected {dtype}")
    return frame.select(names)


def load_frame(folder: _FolderLike, key: str) -> pl.DataFrame:
    """Artefact ``key`` (a Parquet or CSV table) of the run folder, with its schema's columns
    and dtypes; a missing file names the step that writes it."""
    schema = _schema(key)
    path = _folder(folder).require(key)
    where = _where(path, key)
    if schema.csv is None:
        return check_frame(pl.read_parquet(path), key, where)
    return check_frame(read_people_csv(path, schema.columns, where=where), key, where)


def scan_frame(folder: _FolderLike, key: str) -> pl.LazyFrame:
    """Artefact ``key`` (a Parquet table) as a lazy scan, its columns and dtypes checked from
    the file's schema before anything is read: a reader that needs a few columns (e.g. counts
    by age band and sex) loads only those, never the personnummer."""
    schema = _schema(key)
    if schema.csv is not None:
        raise KeyError(f"{key!r} is a CSV table, not Parquet; use load_frame")
    path = _folder(folder).require(key)
    scan = pl.scan_parquet(path)
    check_frame(pl.DataFrame(schema=scan.collect_schema()), key, _where(path, key))
    return scan.select(list(schema.columns))


def save_frame(folder: _FolderLike, key: str, frame: pl.DataFrame) -> Path:
    """Write ``frame`` as artefact ``key`` after checking its schema; atomic and owner-only."""
    run = _folder(folder)
    path = run.path(key)
    schema = _schema(key)
    frame = check_frame(frame, key, _where(path, key))
    ensure_private_dir(path.parent)
    if schema.csv is None:
        with atomic_private_path(path) as tmp:
            frame.write_parquet(tmp)
        return path
    return write_people_csv(frame, path)


def _model(key: str) -> type[BaseModel]:
    try:
        return JSON_MODELS[key]
    except KeyError:
        raise KeyError(f"{key!r} is not a JSON artefact; JSON: {sorted(JSON_MODELS)}") from None


def _validate(key: str, data: Any, where: str) -> BaseModel:
    model = _model(key)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        lines = "\n".join(f"  - {p}" for p in problems(exc, model))
        raise InkorgError(f"{where} does not hold what step files promise:\n{lines}") from None


def load_json(folder: _FolderLike, key: str) -> BaseModel:
    """Artefact ``key`` (JSON), validated: an instance of its model in
    :data:`~inkorg_kit.run.schemas.JSON_MODELS` (``.model_dump()`` for a plain dict)."""
    _model(key)
    return _read_json(_folder(folder).require(key), key)


def load_json_file(path: str | os.PathLike[str], key: str) -> BaseModel:
    """A JSON file that holds artefact ``key`` wherever it lies (e.g. a ``campaign_check.json``
    a user names), validated as :func:`load_json` does; a missing file is FileNotFoundError."""
    _model(key)
    return _read_json(Path(path), key)


def _read_json(path: Path, key: str) -> BaseModel:
    where = _where(path, key)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InkorgError(f"{where} is not valid JSON (line {exc.lineno}): {exc.msg}") from None
    return _validate(key, data, where)


def save_json(folder: _FolderLike, key: str, data: Mapping[str, Any] | BaseModel) -> Path:
    """Write artefact ``key`` (JSON) after validating it; a mapping is written as given (key
    order kept), two-space indented, UTF-8 unescaped, atomic and owner-only."""
    run = _folder(folder)
    path = run.path(key)
    _model(key)
    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json")
    _validate(key, data, _where(path, key))
    ensure_private_dir(path.parent)
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    return write_private_bytes(path, text.encode("utf-8"))


def load_yaml(folder: _FolderLike, key: str) -> dict[str, Any]:
    """Artefact ``key`` (YAML) read by the one strict loader, with its required top-level keys
    (:data:`~inkorg_kit.run.schemas.YAML_KEYS`)."""
    try:
        required = YAML_KEYS[key]
    except KeyError:
        raise KeyError(f"{key!r} is not a YAML artefact; YAML: {sorted(YAML_KEYS)}") from None
    path = _folder(folder).require(key)
    data = read_yaml(path)
    where = _where(path, key)
    if not isinstance(data, dict):
        raise InkorgError(f"{where}: expected a mapping of keys at the top level")
    missing = [k for k in required if k not in data]
    if missing:
        raise InkorgError(
            f"{where}: key {missing[0]!r} is missing; required keys: {', '.join(required)}"
        )
    return data
