"""One strict YAML loader for every YAML file the kit reads (campaigns, reach assumptions,
fitted reach).

Why strict: PyYAML keeps the last of two equal keys, so ``category: marketing`` followed by
``category: kallelse`` would pass unseen; we refuse it and name both lines. Why safe: a
campaign file comes from a shared folder and must never build Python objects. Why bounded: an
alias repeats a value, so nine anchors of ten aliases each (a "billion laughs") are a few lines
that expand to 10**9 values and gigabytes; none of the kit's files needs an alias, so every
alias is refused where it stands (write the value out instead). A file over
:data:`MAX_YAML_BYTES` is refused before it is read, nesting deeper than
:data:`MAX_YAML_DEPTH` or more than :data:`MAX_YAML_NODES` values where the limit is passed, so
reading any file ends within about a second, without growing memory. Every error names the
file, the line and the column.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from inkorg_kit.errors import InkorgError

__all__ = [
    "MAX_YAML_BYTES",
    "MAX_YAML_DEPTH",
    "MAX_YAML_NODES",
    "StrictLoader",
    "parse_yaml",
    "read_yaml",
    "read_yaml_text",
]

#: The largest YAML file the kit reads: a campaign is a few kB, fitted reach about 30 kB; even
#: a file of blank lines this size is read within a second.
MAX_YAML_BYTES = 500_000
#: The deepest nesting of lists and mappings the kit reads; its files need four or five.
MAX_YAML_DEPTH = 32
#: The most values (lists, mappings and scalars) in one file: fitted reach has about 600, and
#: the pure-Python parser needs about 50 µs for each, so 10 000 stay within half a second.
MAX_YAML_NODES = 10_000

#: Makes the error to raise from a message (a class, or e.g. a lambda adding fields).
ErrorFactory = Callable[[str], Exception]


class StrictLoader(yaml.SafeLoader):
    """YAML's safe loader that refuses a key given twice in one block, any alias, nesting
    deeper than :data:`MAX_YAML_DEPTH` and more than :data:`MAX_YAML_NODES` values."""

    _depth = 0
    _nodes = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            anchored = self.anchors.get(event.anchor)
            where = f" anchored at line {anchored.start_mark.line + 1}" if anchored else ""
            raise yaml.composer.ComposerError(
                None,
                None,
                f"an alias (*{event.anchor}) repeats the value{where}; aliases are not allowed"
                " in the kit's files: write the value out",
                event.start_mark,
            )
        if self._depth >= MAX_YAML_DEPTH:
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None,
                None,
                f"lists and mappings nested more than {MAX_YAML_DEPTH} deep; the kit's files"
                " need a few levels: check the indentation and the brackets",
                event.start_mark,
            )
        self._nodes += 1
        if self._nodes > MAX_YAML_NODES:
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None,
                None,
                f"more than {MAX_YAML_NODES:,} values; the kit's files hold a few hundred:"
                " check that this is the right file",
                event.start_mark,
            )
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

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


def _too_big(source: str, size: int | None) -> str:
    what = f"{size:,} bytes is" if size is not None else "it holds"
    return (
        f"{source}: {what} more than the {MAX_YAML_BYTES:,} bytes"
        f" ({MAX_YAML_BYTES // 1_000} kB) the kit reads from one YAML file; a campaign is a"
        " few kB: check that this is the right file"
    )


def parse_yaml(text: str, source: str, error: ErrorFactory = InkorgError) -> Any:
    """The data in ``text``; a syntax error, a repeated key, an alias, deep nesting or text
    over :data:`MAX_YAML_BYTES` becomes ``error`` naming ``source``, the line and the column."""
    if len(text) > MAX_YAML_BYTES // 4 and (size := len(text.encode("utf-8"))) > MAX_YAML_BYTES:
        raise error(_too_big(source, size))
    try:
        return yaml.load(text, Loader=StrictLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise error(f"{source}: not valid YAML{where}: {problem}") from None


def read_yaml_text(
    path: str | os.PathLike[str], error: ErrorFactory = InkorgError, kind: str = "file"
) -> str:
    """The UTF-8 text of the YAML file ``path``, read only if it is within
    :data:`MAX_YAML_BYTES` (and never more than that, even from a pipe or a device); every
    problem becomes ``error`` naming it (``kind`` says what the file is)."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > MAX_YAML_BYTES:
                raise error(_too_big(str(path), size))
            data = handle.read(MAX_YAML_BYTES + 1)
    except FileNotFoundError:
        raise error(f"{path}: {kind} not found (working directory {Path.cwd()})") from None
    if len(data) > MAX_YAML_BYTES:
        raise error(_too_big(str(path), None))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(
            f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8"
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_yaml(path: str | os.PathLike[str], error: ErrorFactory = InkorgError) -> Any:
    """The data in the YAML file ``path`` (UTF-8); every problem becomes ``error`` naming it."""
    return parse_yaml(read_yaml_text(path, error), str(path), error)
