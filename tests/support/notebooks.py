"""Notebooks in tests: run with papermill as ``inkorg-kit run`` runs them, read, and checked
for the committed shape every notebook must have.

Why the kit's kernel manager: tests run notebooks on two workers at once, and kernels started
at the same moment collided over TCP ports (``Invalid Signature``, ``Kernel didn't respond``).
:func:`inkorg_kit.cli.local_kernel_manager` gives each kernel IPC sockets in a private folder
of its own, for the command and the tests alike.

Three kinds of test still start kernels over TCP, because what they test starts them: nbval,
the ``papermill`` command as the README writes it, and JupyterLab's own kernels. They carry
:data:`TCP_KERNELS`, one xdist group, so they run one after another on one worker (``make test``
runs ``--dist loadgroup``) and never start kernels at the same moment as each other.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

import pytest

from inkorg_kit.cli import local_kernel_manager

from .paths import REPO

__all__ = ["TCP_KERNELS", "committed_defaults", "notebook_text", "run_notebook"]

#: the mark of a test that starts kernels over TCP: all such tests share one xdist group
TCP_KERNELS = pytest.mark.xdist_group("tcp-kernels")

NOTEBOOKS = REPO / "notebooks"


def _yaml(path: Path) -> dict:
    import yaml

    return yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}


def run_notebook(
    name: str,
    output_dir: Path,
    *,
    params_file: Path | None = None,
    parameters: Mapping[str, object] | None = None,
    env: Mapping[str, str] | None = None,
) -> Path:
    """Execute ``notebooks/<name>`` with papermill (cwd = repo root); return the executed copy.

    ``params_file``'s values come first, ``parameters`` override them; ``env`` is set for the
    kernel (it inherits this process's environment) and restored afterwards.
    """
    import papermill as pm

    params = {
        k: (v.isoformat() if hasattr(v, "isoformat") else v)
        for k, v in (_yaml(params_file) if params_file is not None else {}).items()
    }
    params.update(parameters or {})
    output_dir.mkdir(parents=True, exist_ok=True)
    out = output_dir / name
    old_env = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        pm.execute_notebook(
            str(NOTEBOOKS / name),
            str(out),
            parameters=params,
            cwd=str(REPO),
            kernel_name="python3",
            progress_bar=False,
            kernel_manager_class=local_kernel_manager(),
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


def committed_defaults(notebook: str, params_file: Path) -> dict:
    """The defaults of ``notebooks/<notebook>``'s parameters cell, after checking the shape
    every notebook must have: committed without outputs, one cell tagged ``parameters`` with a
    comment on each line, every parameter visible to papermill (its parser silently drops a
    line it cannot read, and then ``inkorg-kit`` cannot set it), and a demo params file that
    sets exactly those parameters."""
    import nbformat
    import papermill as pm

    path = NOTEBOOKS / notebook
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
    assert set(_yaml(params_file)) == set(defaults)
    return defaults
