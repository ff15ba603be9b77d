"""Notebooks are committed without outputs, with a kernelspec and a tagged parameters cell.

Outputs can hold personal data, and a notebook without a kernelspec opens JupyterLab's
"Select Kernel" dialog, which blocks an analyst (and the browser test).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from support import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found in notebooks/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_clean(path: Path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    code_cells = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    dirty = [i for i, c in enumerate(code_cells) if c.get("outputs") or c.get("execution_count")]
    assert not dirty, f"{path.name}: code cells {dirty} have outputs; clear them before committing"
    assert notebook["metadata"].get("kernelspec", {}).get("name") == "python3", path.name
    tagged = [c for c in code_cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: needs exactly one cell tagged 'parameters'"
    assigned = {
        line.split("=", 1)[0].strip()
        for line in "".join(tagged[0]["source"]).splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    }
    import papermill as pm

    seen = set(pm.inspect_notebook(str(path)))
    assert assigned == seen, (
        f"{path.name}: papermill cannot see parameters {sorted(assigned - seen)} "
        "(its parser skips a line whose comment holds '=' or quotes)"
    )
    without_env_name = re.sub(
        r'password_env\s*=\s*"[A-Za-z0-9_]*"', "", "".join(tagged[0]["source"])
    )
    assert "password" not in without_env_name.lower(), (
        f"{path.name}: a password must never be a parameter (papermill writes parameters out)"
    )


def test_readme_explains_every_notebook_parameter() -> None:
    """The README's parameter table names each notebook's parameters, and no others."""
    import papermill as pm

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Parameters", 1)[1].split("\n## ", 1)[0]
    listed: dict[str, set[str]] = {}
    for which, name in re.findall(r"^\| (all|\d\d) \| `(\w+)` \|", table, re.M):
        listed.setdefault(which, set()).add(name)
    for notebook in NOTEBOOKS:
        declared = set(pm.inspect_notebook(str(notebook)))
        documented = listed.get(notebook.name[:2], set()) | listed.get("all", set())
        assert declared == documented, (
            f"README ## Parameters and {notebook.name} differ: "
            f"undocumented {sorted(declared - documented)}, stale {sorted(documented - declared)}"
        )
