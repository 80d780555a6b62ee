"""iamgate.yaml against its JSON Schema (schemas/config.schema.json), and each mistake told
with its line and column.

A valid file (the common case) is accepted by the schema compiled to one check
(iamgate.schema_compiler), without importing jsonschema; only a file that check rejects is
validated by jsonschema, whose errors are turned into one message at the first mistake.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any


def position(data: Any, path: list[Any], *, at_value: bool = True) -> tuple[int | None, int]:
    """The 1-based line and column of the node at ``path`` in ruamel's round-trip tree: of a
    scalar value itself when ``at_value``, else of the key (or list item) that holds it."""
    node, place = data, None
    for n, part in enumerate(path):
        lc = getattr(node, "lc", None)
        last = n == len(path) - 1
        try:
            if lc is not None:
                if isinstance(node, dict) and part in node:
                    scalar = not isinstance(node[part], dict | list)
                    place = lc.value(part) if last and at_value and scalar else lc.key(part)
                elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                    place = lc.item(part)
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
    if place is None and hasattr(data, "lc"):
        place = (data.lc.line, data.lc.col)
    if place is None:
        return None, 0
    return place[0] + 1, place[1] + 1


@cache
def _schema() -> dict[str, Any]:
    # Beside this module, read without importlib.resources (and the zipfile it imports).
    schema: dict[str, Any] = json.loads(
        (Path(__file__).parent / "schemas" / "config.schema.json").read_bytes()
    )
    return schema


@cache
def _fast_check() -> Callable[[Any], bool] | None:
    """The schema compiled to one check (iamgate.schema_compiler); None when it uses a keyword
    the compiler does not translate, and jsonschema decides alone."""
    from iamgate.schema_compiler import Unsupported, compile_schema

    try:
        return compile_schema(_schema())
    except Unsupported:
        return None


def first_error(plain: Any, data: Any) -> tuple[str, int | None, int] | None:
    """None when ``plain`` (the file's JSON types) is valid; else the first mistake in the
    file, as a reader meets it: (message, line, column) located in ``data`` (ruamel's tree)."""
    fast = _fast_check()
    if fast is not None and fast(plain):
        return None
    import jsonschema

    validator = jsonschema.Draft202012Validator(
        _schema(), format_checker=jsonschema.FormatChecker()
    )
    located = [_located(error, data) for error in validator.iter_errors(plain)]
    if not located:
        return None
    return min(located, key=lambda item: (item[1] or 0, item[2]))


def _located(error: Any, data: Any) -> tuple[str, int | None, int]:
    """One jsonschema error as (message, line, column)."""
    if error.validator == "anyOf":
        # Of the options, the one the value is shaped for says what is wrong with it (a
        # waiver's bad date, rather than "not one of off, info, ...").
        by_option: dict[Any, list[Any]] = {}
        for inner in error.context or ():
            by_option.setdefault(inner.relative_schema_path[0], []).append(inner)
        shaped = [
            errors
            for errors in by_option.values()
            if not any(e.validator in ("type", "enum") and not e.relative_path for e in errors)
        ]
        if len(shaped) == 1:
            return min(
                (_located(inner, data) for inner in shaped[0]),
                key=lambda item: (item[1] or 0, item[2]),
            )
    where = list(error.absolute_path)
    dotted = ".".join(str(p) for p in where) or "(top level)"
    at_value = True
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        known = ", ".join(sorted(error.schema.get("properties", {})))
        key = extra[0] if extra else "?"
        message = f"unknown key '{key}' in {dotted}; known keys: {known}"
        where, at_value = [*where, key], False
    elif "propertyNames" in error.schema_path:
        # A key that is not allowed: jsonschema places the error at the mapping that holds it.
        where, at_value = [*where, error.instance], False
        if where[:2] == ["lint", "rules"]:
            message = f"lint.rules: {error.instance!r} is not a rule id or name" + _SEE_RULES
        else:
            message = f"{dotted}: {error.instance!r} is not allowed as a key here"
    elif (
        error.validator == "pattern"
        and where[:2] == ["lint", "exceptions"]
        and where[-1:] == ["rule"]
    ):
        message = f"{dotted}: {error.instance!r} is not a rule id or name" + _SEE_RULES
    elif error.validator == "enum":
        allowed = ", ".join(str(v) for v in error.validator_value)
        message = f"{dotted}: {error.instance!r} is not one of {allowed}"
    elif error.validator == "required":
        message = f"{dotted}: {error.message.replace(' is a required property', '')} is required"
        at_value = False
    elif error.validator == "format":
        message = f"{dotted}: {error.instance!r} is not a date (write YYYY-MM-DD)"
    elif error.validator == "type":
        message = (
            f"{dotted}: expected {error.validator_value}, found {type(error.instance).__name__}"
        )
    elif error.validator == "anyOf" and where[:2] == ["lint", "rules"]:
        message = (
            f"{dotted}: {error.instance!r} is not one of off, info, warning, error "
            "(or write {level: off, reason: ..., expires: YYYY-MM-DD})"
        )
    elif error.validator == "pattern":
        message = f"{dotted}: {error.instance!r} is not allowed here"
    else:
        message = f"{dotted}: {error.message}"
    line, column = position(data, where, at_value=at_value)
    return message, line, column


_SEE_RULES = " (see `iamgate rules` for the list)"
