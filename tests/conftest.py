"""Shared test helpers: paths, the reference data, running notebooks, scanning for personnummer."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REFERENCE = SHARED / "reference"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    if not REFERENCE.is_dir():
        pytest.fail(
            f"reference data not found at {REFERENCE}: tests need ../shared/ beside the repo"
        )
    return REFERENCE


def run_notebook(
    name: str,
    output_dir: Path,
    *,
    params_file: Path | None = None,
    parameters: dict | None = None,
    env: dict[str, str] | None = None,
) -> Path:
    """Execute ``notebooks/<name>`` with papermill (cwd = repo root); return the executed copy."""
    import papermill as pm
    import yaml

    params: dict = {}
    if params_file is not None:
        params.update(yaml.safe_load(Path(params_file).read_text(encoding="utf-8")) or {})
        params = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in params.items()}
    params.update(parameters or {})
    output_dir.mkdir(parents=True, exist_ok=True)
    out = output_dir / name
    old_env = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        pm.execute_notebook(
            str(REPO / "notebooks" / name),
            str(out),
            parameters=params,
            cwd=str(REPO),
            kernel_name="python3",
            progress_bar=False,
        )
    finally:
        for key, value in old_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return out


def notebook_text(path: Path) -> str:
    """All sources and outputs of a notebook as one string, for scanning."""
    return json.dumps(json.loads(Path(path).read_text(encoding="utf-8")), ensure_ascii=False)


def assert_no_personnummer(text: str, where: str) -> None:
    """Fail if ``text`` holds a full, valid personnummer or samordningsnummer in any shape."""
    from inkorg_kit.pnr import find_in_text

    found = find_in_text(text)
    assert not found, f"{where} contains {len(found)} unmasked personnummer, e.g. {found[:3]}"


def committed_defaults(notebook: str, params_file: Path) -> dict:
    """The defaults of ``notebooks/<notebook>``'s parameters cell, after checking the shape
    every notebook must have: committed without outputs, one cell tagged ``parameters`` with a
    comment on each line, every parameter visible to papermill (its parser silently drops a
    line it cannot read, and then ``inkorg-kit`` cannot set it), and a demo params file that
    sets exactly those parameters."""
    import nbformat
    import papermill as pm
    import yaml

    path = REPO / "notebooks" / notebook
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata["kernelspec"] == {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1, f"{notebook}: needs exactly one cell tagged 'parameters'"
    assert all("#" in line for line in params[0].source.splitlines()), "a comment each"
    namespace: dict = {}
    exec(params[0].source, namespace)
    defaults = {k: v for k, v in namespace.items() if not k.startswith("__")}
    assert set(pm.inspect_notebook(str(path))) == set(defaults)
    assert set(yaml.safe_load(Path(params_file).read_text(encoding="utf-8"))) == set(defaults)
    return defaults
