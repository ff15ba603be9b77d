"""One strict YAML loader for every YAML file the kit reads (campaigns, reach assumptions,
fitted reach).

Why strict: PyYAML keeps the last of two equal keys, so ``category: marketing`` followed by
``category: kallelse`` would pass unseen; we refuse it and name both lines. Why safe: a
campaign file comes from a shared folder and must never build Python objects. Every error
names the file, the line and the column.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from inkorg_kit.errors import InkorgError

__all__ = ["StrictLoader", "parse_yaml", "read_yaml"]

#: Makes the error to raise from a message (a class, or e.g. a lambda adding fields).
ErrorFactory = Callable[[str], Exception]


class StrictLoader(yaml.SafeLoader):
    """YAML's safe loader that refuses a key given twice in one block."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            line = key_node.start_mark.line + 1
            if isinstance(key, str | int | float | bool) and key in seen:
                raise yaml.constructor.ConstructorError(
                    "while reading a block",
                    node.start_mark,
                    f"the key {key!r} is given twice (lines {seen[key]} and {line}); keep one",
                    key_node.start_mark,
                )
            if isinstance(key, str | int | float | bool):
                seen[key] = line
        return super().construct_mapping(node, deep=deep)


def parse_yaml(text: str, source: str, error: ErrorFactory = InkorgError) -> Any:
    """The data in ``text``; a syntax error or a repeated key becomes ``error`` naming
    ``source``, the line and the column."""
    try:
        return yaml.load(text, Loader=StrictLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise error(f"{source}: not valid YAML{where}: {problem}") from None


def read_yaml(path: str | os.PathLike[str], error: ErrorFactory = InkorgError) -> Any:
    """The data in the YAML file ``path`` (UTF-8); every problem becomes ``error`` naming it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{path}: file not found (working directory {Path.cwd()})") from None
    except UnicodeDecodeError as exc:
        raise error(
            f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8"
        ) from None
    return parse_yaml(text, str(path), error)
