"""Every key of a campaign YAML, read from the typed models: the reference (``docs/campaign.md``)
and the commented ``campaign.yaml`` template a new campaign folder starts from.

Why generated: the models (:class:`~inkorg_kit.config.campaign.Campaign` and its blocks) are
what the loader accepts, so a reference or template written by hand would drift from them.
Here both are derived from the models alone (no file is read, so an installed wheel gives the
same text as a checkout): every key path, its type in plain words, whether it is required or
its default, its meaning (the field's ``description``) and an example (the field's
``examples``, else its default, else one derived from its type). A test regenerates
``docs/campaign.md`` and compares it with the committed file (``make docs`` rewrites it), and
loads the template as a campaign.

``python -m inkorg_kit.config.reference`` prints the reference; ``--template`` the template.

>>> keys = {key.path: key for key in campaign_keys()}
>>> keys["target.age.min"].kind, keys["sending.handlers"].default
('whole number, 0–130, or null', 1)
>>> "name: blodtryck-solbacka-2027" in campaign_template()
True
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import sys
import textwrap
import types
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from inkorg_kit.config.campaign import Campaign
from inkorg_kit.errors import InkorgError

__all__ = [
    "TEMPLATE_FILLED",
    "Key",
    "campaign_keys",
    "campaign_template",
    "main",
    "reference_markdown",
]

#: Optional keys the template writes out with their example (not commented out): those a
#: campaign needs to load with the other examples (an orderer is reached by e-mail or phone; a
#: ``questions`` template needs ``close_after_days``) or to pass the guideline check (who
#: approved the text, who sends, ongoing contact, another channel for those who do not read),
#: and the extract itself (and, in the SQL form commented out beside it, the environment
#: variable holding the database URL). Every other optional key is written commented out, with
#: its default.
TEMPLATE_FILLED: tuple[str, ...] = (
    "orderer.email",
    "case_handlers",
    "message.close_after_days",
    "message.approved_by",
    "message.answer_form",
    "message.accessibility_checked",
    "target.source",
    "target.source.url_env",
    "target.units",
    "target.age.min",
    "target.age.max",
    "target.diagnosis_prefixes",
    "target.last_contact_within_days",
    "followup.other_channel",
)

_MISSING: Any = object()


@dataclass(frozen=True)
class Key:
    """One key of a campaign YAML, as the reference and the template show it."""

    path: str  #: dotted path, e.g. ``target.age.min``
    kind: str  #: its type in plain words, e.g. ``whole number, 0–130``
    required: bool  #: must be present (it may still be ``null`` if its type allows)
    default: Any  #: the value when left out, as YAML writes it (meaningless when required)
    description: str  #: what it means
    example: Any  #: a value that loads, as YAML writes it
    block: bool = False  #: a block of keys (its keys follow it)
    alternative: str | None = None  #: set for keys of an alternative form, e.g. "SQL block"
    children: tuple[Key, ...] = field(default=(), repr=False)

    @property
    def name(self) -> str:
        return self.path.rsplit(".", 1)[-1]

    @property
    def depth(self) -> int:
        return self.path.count(".")


# --------------------------------------------------------------------------- reading the models


def _unwrap(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _union_args(annotation: Any) -> tuple[Any, ...]:
    annotation = _unwrap(annotation)
    if get_origin(annotation) in (Union, types.UnionType):
        return tuple(_unwrap(arg) for arg in get_args(annotation))
    return (annotation,)


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _range(metadata: Sequence[Any]) -> str:
    low = high = None
    low_open = high_open = False
    for item in metadata:
        if isinstance(item, annotated_types.Ge):
            low = item.ge
        elif isinstance(item, annotated_types.Gt):
            low, low_open = item.gt, True
        elif isinstance(item, annotated_types.Le):
            high = item.le
        elif isinstance(item, annotated_types.Lt):
            high, high_open = item.lt, True
    if low is not None and high is not None and not low_open and not high_open:
        return f"{low}–{high}"
    parts = []
    if low is not None:
        parts.append(f"{'>' if low_open else '≥'} {low}")
    if high is not None:
        parts.append(f"{'<' if high_open else '≤'} {high}")
    return ", ".join(parts)


_PLURAL = {
    "text": "texts",
    "whole number": "whole numbers",
    "number": "numbers",
    "date (YYYY-MM-DD)": "dates (YYYY-MM-DD)",
    "time of day ('HH:MM')": "times of day ('HH:MM')",
}


def _kind(annotation: Any, metadata: Sequence[Any] = ()) -> str:
    """The type of a value in plain words, with its range where the model bounds it."""
    args = _union_args(annotation)
    nullable = type(None) in args
    args = tuple(arg for arg in args if arg is not type(None))
    words = [_one_kind(arg, metadata) for arg in args]
    text = " or ".join(words)
    return f"{text}, or null" if nullable else text


def _one_kind(annotation: Any, metadata: Sequence[Any]) -> str:
    annotation = _unwrap(annotation)
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (Union, types.UnionType):
        return f"({_kind(annotation)})"
    if origin is Literal:
        return "one of: " + ", ".join(str(arg) for arg in args)
    if _is_model(annotation):
        return "block"
    if origin in (list, tuple) and (origin is list or (len(args) == 2 and args[1] is Ellipsis)):
        item = _unwrap(args[0])
        if get_origin(item) is tuple and len(get_args(item)) == 2:
            key, value = (_one_kind(arg, ()) for arg in get_args(item))
            return f"mapping of {key} to {value}"
        inner = _one_kind(item, ())
        return f"list of {_PLURAL.get(inner, inner)}"
    if origin is tuple:
        inner = [_one_kind(arg, ()) for arg in args]
        if len(set(inner)) == 1:
            return f"list of {len(inner)} {_PLURAL.get(inner[0], inner[0])}"
        return "list of [" + ", ".join(inner) + "]"
    bounds = _range(metadata)
    simple = {
        bool: "true or false",
        int: "whole number",
        float: "number",
        str: "text",
        dt.datetime: "date and time ('YYYY-MM-DD HH:MM')",
        dt.date: "date (YYYY-MM-DD)",
        dt.time: "time of day ('HH:MM')",
    }
    if annotation in simple:
        word = simple[annotation]
        return f"{word}, {bounds}" if bounds and annotation in (int, float) else word
    return getattr(annotation, "__name__", str(annotation))


def _plain(value: Any) -> Any:
    """A model value as the YAML a person writes (times 'HH:MM', tuples as lists)."""
    if isinstance(value, BaseModel):
        return _plain(value.model_dump())
    if isinstance(value, dt.time):
        return f"{value:%H:%M}" if not value.second else f"{value:%H:%M:%S}"
    if isinstance(value, dt.datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _pairs_as_mapping(annotation: Any, value: Any) -> Any:
    """A tuple of (key, value) pairs that the model reads from a mapping, as that mapping."""
    kind = _kind(annotation)
    if kind.startswith("mapping of") and isinstance(value, list):
        return {k: v for k, v in value}
    return value


def _from_type(annotation: Any, metadata: Sequence[Any]) -> Any:
    """An example derived from the type alone, where one says something (never for text)."""
    args = [arg for arg in _union_args(annotation) if arg is not type(None)]
    if len(args) != 1:
        raise ValueError("no example")
    arg = args[0]
    if get_origin(arg) is Literal:
        return get_args(arg)[0]
    if arg in (int, float):
        bounds = [getattr(m, name, None) for m in metadata for name in ("ge", "gt")]
        return max([1, *(int(v) for v in bounds if v is not None)])
    derived = {bool: True, dt.date: "2027-03-16", dt.time: "08:00"}
    if arg in derived:
        return derived[arg]
    raise ValueError("no example")  # the caller names the field


def _example(info: FieldInfo, annotation: Any, default: Any) -> Any:
    """The field's first ``examples``, else its default (if not empty), else from its type."""
    if info.examples:
        return _plain(info.examples[0])
    if default is not _MISSING and default not in (None, [], {}):
        return default
    return _from_type(annotation, info.metadata)


def _keys_of(model: type[BaseModel], prefix: str, alternative: str | None) -> Iterator[Key]:
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        annotation = info.annotation
        args = [arg for arg in _union_args(annotation) if arg is not type(None)]
        models = [arg for arg in args if _is_model(arg)]
        required = info.is_required()
        default = _MISSING if required else info.get_default(call_default_factory=True)
        description = (info.description or "").strip()
        if not description:
            raise InkorgError(f"{path}: the model gives no description; add description= to it")
        if models and len(args) == 1:  # a block of keys
            sub = models[0]
            children = tuple(_keys_of(sub, f"{path}.", alternative))
            yield Key(
                path=path,
                kind="block",
                required=required,
                default=None,
                description=description,
                example=None,
                block=True,
                alternative=alternative,
                children=children,
            )
            continue
        children = ()
        if models:  # a value or a block: the block's keys are an alternative form
            sub = models[0]
            form = f"{sub.__name__.removesuffix('Source')} block".replace("Sql", "SQL")
            children = tuple(_keys_of(sub, f"{path}.", form))
        plain_default = (
            _MISSING if default is _MISSING else _pairs_as_mapping(annotation, _plain(default))
        )
        try:
            example = _pairs_as_mapping(annotation, _example(info, annotation, plain_default))
        except ValueError:
            raise InkorgError(
                f"{path}: no example (its default is empty and its type says none); add"
                " examples=[…] to the field"
            ) from None
        kind = _kind(annotation, info.metadata)
        if models:
            kind = kind.replace("block", f"{children[0].alternative} (keys below)")
        yield Key(
            path=path,
            kind=kind,
            required=required,
            default=plain_default,
            description=description,
            example=example,
            alternative=alternative,
            children=children,
        )


def _flatten(keys: Sequence[Key]) -> Iterator[Key]:
    for key in keys:
        yield key
        yield from _flatten(key.children)


def campaign_keys() -> list[Key]:
    """Every key of a campaign YAML, blocks before their keys, in the models' order.

    Raises :class:`~inkorg_kit.errors.InkorgError` naming a field of the models that has no
    ``description`` (or no example: neither ``examples`` nor a non-empty default).
    """
    return list(_flatten(_tree()))


@functools.cache
def _tree() -> tuple[Key, ...]:
    return tuple(_keys_of(Campaign, "", None))


# --------------------------------------------------------------------------- writing YAML


_CLOCK = re.compile(r"\d{1,2}:\d{2}(:\d{2})?")


class _Dumper(yaml.SafeDumper):
    """Safe YAML, with times of day always quoted (``'08:00'``, as the send windows ask)."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "'" if _CLOCK.fullmatch(value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def _yaml(value: Any) -> str:
    """One value as inline YAML that loads back as ``value``."""
    text = yaml.dump(
        value,
        Dumper=_Dumper,
        default_flow_style=True,
        allow_unicode=True,
        width=10_000,
        sort_keys=False,
    )
    return text.removesuffix("\n").removesuffix("\n...").strip()


def _sentence(text: str) -> str:
    """A description as a sentence: capitalised (unless it starts with a code such as
    ``established_contact``) and ending in a full stop."""
    text = " ".join(text.split())
    first = text.split(" ", 1)[0]
    if "_" not in first:
        text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else f"{text}."


# --------------------------------------------------------------------------- the reference


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code(value: Any) -> str:
    return f"`{_yaml(value)}`".replace("|", "\\|")


_HEADER = """\
# Campaign keys (`campaign.yaml`)

<!-- Generated from the typed models (inkorg_kit/config/) by `make docs`, which runs
`python -m inkorg_kit.config.reference` (the same text as `inkorg-kit schema`).
Do not edit by hand: change the models' descriptions, then run `make docs`; a test fails
while this file differs from what the models give. -->

Every key a campaign YAML may hold, block by block. A dotted key such as `target.age.min` is
written nested:

```yaml
target:
  age:
    min: 65
```

**Required** keys must be present; a required key whose type says "or null" may be left
empty (`null`) while it is undecided, and the guideline check (notebook 00) then reports it.
Any other key may be left out, and then has its default. An unknown or misspelt key is an
error that names the keys known there. `inkorg-kit init FOLDER` writes a `campaign.yaml` with
every key below, commented where it is optional.
"""


def _table(keys: Sequence[Key]) -> list[str]:
    lines = ["| Key | Type | Default | Meaning | Example |", "| --- | --- | --- | --- | --- |"]
    for key in keys:
        meaning = _sentence(key.description)
        if key.alternative:
            meaning = f"({key.alternative} only) {meaning}"
        if key.block:
            kind = "block (its keys: section below)"
            default = "**required**" if key.required else "its keys' defaults"
            example = ""
        else:
            kind = key.kind
            default = "**required**" if key.required else _code(key.default)
            example = _code(key.example)
        lines.append(f"| `{key.path}` | {_cell(kind)} | {default} | {_cell(meaning)} | {example} |")
    return lines


def reference_markdown() -> str:
    """The reference of every campaign key, as Markdown (the text of ``docs/campaign.md``)."""
    sections: list[tuple[str, str, list[Key]]] = []

    def collect(title: str, intro: str, keys: Sequence[Key]) -> None:
        sections.append((title, intro, list(keys)))
        for key in keys:
            if key.block:
                collect(key.path, _sentence(key.description), key.children)
            elif key.children:
                intro = (
                    f"Instead of a value, `{key.path}` may be an {key.children[0].alternative}"
                    " with these keys."
                )
                collect(f"{key.path} ({key.children[0].alternative})", intro, key.children)

    collect(
        "Top level", "The keys at the top of the file; each block has its own section.", _tree()
    )
    out = [_HEADER]
    for title, intro, rows in sections:
        out += [f"## {title}", "", intro, ""]
        out += _table(rows)
        out.append("")
    return "\n".join(out)


# --------------------------------------------------------------------------- the template

_TEMPLATE_HEADER = """\
# A campaign: one bulk message to residents' 1177 inbox. Written by `inkorg-kit init` from the
# kit's typed models; docs/campaign.md (or `inkorg-kit schema`) explains every key.
#
# Above each key: what it means, then whether it is required (or its default) and an example.
# Keys that are not commented out hold an example: replace each with your campaign's value.
# Keys commented out (`# key: value`) are optional and show their default: remove the `# ` to
# set one. A required text may be left empty (null) while it is undecided: the guideline
# check (`inkorg-kit run`, notebook 00) reports it until it is answered.
"""


#: Optional blocks that switch a feature on (an outcome follow-up needs its own extract): the
#: template shows them whole, commented out, even where a key inside them is required.
SWITCH_BLOCKS = ("followup.outcome",)


def _filled(key: Key) -> bool:
    """Written out (not commented out) in the template."""
    if key.path in SWITCH_BLOCKS:
        return False
    if key.block:
        return any(_filled(child) for child in key.children)
    return key.required or key.path in TEMPLATE_FILLED


@dataclass(frozen=True)
class _Line:
    level: int  # indentation in YAML levels (two spaces each)
    text: str
    is_key: bool = False


#: Width of the template's comment lines (the meaning of a key may take several).
_WIDTH = 96
#: A line that YAML (or a reader uncommenting it) takes as a key: never a line of prose.
_KEY_LINE = re.compile(r"[a-z_][a-z0-9_]*:(\s|$)")
#: Texts longer than this are written as a folded block (``>-``) over several lines.
_FOLD_AFTER = 72


def _prose(text: str, width: int) -> list[str]:
    """``text`` wrapped to ``width``, no line starting like a key (``word:``)."""
    while True:
        lines = textwrap.wrap(text, max(width, 40), break_on_hyphens=False)
        if not any(_KEY_LINE.match(line) for line in lines) or width < 40:
            return lines
        width -= 1


def _value_lines(name: str, value: Any, level: int) -> list[_Line]:
    """``name: value`` as YAML; a long text as a folded block over several lines."""
    if isinstance(value, str) and len(value) > _FOLD_AFTER and "\n" not in value:
        body = textwrap.wrap(value, _WIDTH - 2 * (level + 1), break_on_hyphens=False)
        if yaml.safe_load(">-\n" + "\n".join(f"  {line}" for line in body)) == value:
            return [
                _Line(level, f"{name}: >-", is_key=True),
                *(_Line(level + 1, line) for line in body),
            ]
    return [_Line(level, f"{name}: {_yaml(value)}", is_key=True)]


def _key_lines(key: Key, level: int, undecided: bool) -> list[tuple[_Line, int | None]]:
    """The lines of one key (its meaning, required/default and example, then the key itself)
    with, for each, the level from which it is commented out (None: not commented out)."""
    out: list[tuple[_Line, int | None]] = []
    width = _WIDTH - 2 * level - 2

    def add(line: _Line, comment_at: int | None = None) -> None:
        out.append((line, comment_at))

    def note(text: str) -> None:
        for line in _prose(text, width):
            add(_Line(level, f"# {line}"))

    filled = _filled(key)
    note(_sentence(key.description))
    if key.block:
        note("Required block." if key.required else "Optional block; left out, all its defaults.")
    else:
        state = "Required." if key.required else f"Optional; default: {_yaml(key.default)}."
        if not filled and key.example != key.default:
            state += f" Example: {_yaml(key.example)}"
        note(state)
    own = None if filled else level
    if key.block:
        add(_Line(level, f"{key.name}:", is_key=True), own)
        for child in key.children:
            for line, at in _key_lines(child, level + 1, undecided):
                add(line, own if own is not None else at)
        return out
    value = key.example if filled else key.default
    if undecided and key.required and key.kind.endswith("or null"):
        value = None
    for line in _value_lines(key.name, value, level):
        add(line, own)
    if key.children:  # the alternative form, commented out as a whole
        note(f"Or, instead of the value above ({key.children[0].alternative}):")
        add(_Line(level, f"{key.name}:", is_key=True), level)
        for child in key.children:
            for line, _ in _key_lines(child, level + 1, undecided):
                add(line, level)
    return out


def _render(line: _Line, comment_at: int | None) -> str:
    if comment_at is None:
        return "  " * line.level + line.text
    return "  " * comment_at + "# " + "  " * (line.level - comment_at) + line.text


def campaign_template(*, undecided: bool = False) -> str:
    """A commented ``campaign.yaml`` with every key of :func:`campaign_keys`.

    Required keys (and the optional ones in :data:`TEMPLATE_FILLED`) are written with an
    example value; every other key is commented out with its default (remove the ``# `` to set
    it); above each, a comment gives its meaning, whether it is required or its default, and an
    example. As written it loads as a valid campaign. With ``undecided``, the required texts
    that may be left empty (the order form's open questions: unit, purpose, answer use,
    contact, relation basis) are written ``null``, so the guideline check reports each until it
    is answered.
    """
    out = [_TEMPLATE_HEADER]
    for key in _tree():
        out += [_render(line, at) for line, at in _key_lines(key, 0, undecided)]
        out.append("")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m inkorg_kit.config.reference [--template]``: print the reference (or the
    template) to standard output."""
    args = list(sys.argv[1:] if argv is None else argv)
    text = campaign_template() if "--template" in args else reference_markdown()
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
