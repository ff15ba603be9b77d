"""The package's shape: the README's layout table names every part, modules stay small, every
module says its concern, and no module reaches into another's private names."""

from __future__ import annotations

import ast
import re
import statistics

from support import REPO

PACKAGE = REPO / "inkorg_kit"
FACADES = {"campaign", "schedule", "widgets", "charts", "tables", "synth", "synth_status"}


def _modules() -> dict[str, str]:
    return {
        ".".join(p.relative_to(REPO).with_suffix("").parts): p.read_text(encoding="utf-8")
        for p in PACKAGE.rglob("*.py")
    }


def test_the_readme_table_names_every_top_level_part():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    table = text[text.index("## How the code is laid out") :]
    named = set(re.findall(r"`([a-z_]+)/?`", table))
    parts = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()}
    parts = {p for p in parts if not p.startswith("__") and p not in ("data",)}
    assert parts - FACADES <= named, sorted(parts - FACADES - named)
    assert named >= FACADES, sorted(FACADES - named)


def test_modules_are_small_and_say_their_concern():
    sizes = {}
    for name, source in _modules().items():
        tree = ast.parse(source)
        assert ast.get_docstring(tree), f"{name} has no module docstring"
        sizes[name] = len(source.splitlines())
    too_big = {n: s for n, s in sizes.items() if s > 600 and n != "inkorg_kit.pnr.rules"}
    assert not too_big, too_big
    assert statistics.median(sizes.values()) < 250


def test_no_module_uses_another_modules_private_names():
    found = []
    for name, source in _modules().items():
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("inkorg_kit"):
                for alias in node.names:
                    private = alias.name.startswith("_") and not alias.name.startswith("__")
                    if private and node.module != name:
                        found.append(f"{name} imports {node.module}.{alias.name}")
    assert not found, found
