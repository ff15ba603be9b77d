"""One formatter of validation errors for every typed model the kit reads from YAML.

Why: pydantic's own messages name Python types and internal tags; users need the key's path
as they wrote it, what was wrong, what is expected (the field's description), and for an
unknown key the keys that are known there. A value that holds a personnummer or a password is
never echoed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError

from inkorg_kit.privacy import find_in_text, redact_secrets

__all__ = ["problems", "short_value"]


def _models_in(annotation: object) -> list[type[BaseModel]]:
    """The pydantic models inside an annotation (through Optional, list, Annotated, unions)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    if get_origin(annotation) is not None:
        for arg in get_args(annotation):
            found.extend(_models_in(arg))
    return found


def _resolve(
    root: type[BaseModel], loc: Sequence[Any], unknown_key: bool = False
) -> tuple[type[BaseModel] | None, Any, str]:
    """Walk an error location through the model.

    Returns the model holding the last key (for an unknown key: the model it was found in),
    that key's FieldInfo (None if unknown), and the path to show, e.g. ``message.purpose``,
    ``case_handlers[0]`` or ``target.source[SqlSource].query`` (a union member in brackets).
    """
    candidates: list[type[BaseModel]] = [root]
    model: type[BaseModel] | None = root
    info = None
    path = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            path += f"[{part}]"
            continue
        match = [m for m in candidates if part in m.model_fields]
        if match:
            model = match[0]
            info = model.model_fields[part]
            candidates = _models_in(info.annotation)
            path += f".{part}" if path else str(part)
            continue
        named = [m for m in candidates if m.__name__ == part]
        if named:  # a union member tag that pydantic puts into the location
            candidates = named
            path += f"[{part}]"
            continue
        if unknown_key and i == len(loc) - 1 and candidates:  # a key the model does not know
            model, info = candidates[0], None
            path += f".{part}" if path else str(part)
            candidates = []
            continue
        path += f"[{part}]"  # a tag for a plain type, e.g. 'str' in str | SqlSource
        info = None
    return model, info, path


def short_value(value: object, limit: int = 60) -> str:
    """A value for an error message, shortened; never a personnummer or a password in full."""
    text = redact_secrets(repr(value))
    if find_in_text(text):
        return "a value holding a personnummer (not shown)"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def problems(exc: ValidationError, root: type[BaseModel], prefix: str = "") -> list[str]:
    """Pydantic errors as lines: field path (after ``prefix``), what was wrong, what is expected.

    ``root`` is the model that was validated; ``prefix`` the path of that model in its file,
    e.g. ``followup.status_export.``.
    """
    lines = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        model, info, path = _resolve(root, loc, unknown_key=err["type"] == "extra_forbidden")
        path = prefix + path if path else (prefix.rstrip(".") or "(top level)")
        hint = info.description if info is not None else None
        kind = err["type"]
        msg = str(err["msg"]).removeprefix("Value error, ")
        if kind == "missing":
            lines.append(f"{path}: field required — {hint or 'add this key'}")
        elif kind == "extra_forbidden":
            parent = path.rpartition(".")[0] or "the top level"
            known = ", ".join(model.model_fields) if model is not None else "?"
            lines.append(f"{path}: unknown key; the keys known at {parent} are: {known}")
        elif kind.startswith("value_error") or kind == "assertion_error":
            lines.append(f"{path}: {msg}")
        else:
            got = f" (got {short_value(err.get('input'))})" if "input" in err else ""
            expected = f" — expected: {hint}" if hint else ""
            lines.append(f"{path}: {msg}{got}{expected}")
        if find_in_text(lines[-1]):  # never echo a personnummer typed into the YAML
            where = path if not find_in_text(path) else path.rpartition(".")[0] or "(top level)"
            expected = f" — expected: {hint}" if hint else ""
            lines[-1] = f"{where}: a value holding a personnummer (not shown){expected}"
    return lines
