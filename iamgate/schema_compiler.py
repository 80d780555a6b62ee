"""A JSON Schema compiled into one yes/no check: the fast path of the configuration.

Importing jsonschema costs ~50 ms (more on a busy machine), more than the whole lint of a
small commit. So a configuration is first checked by the schema compiled here; only when the
check says no does the caller run jsonschema, which then says where and why. The check is
generated from the schema itself, keyword by keyword, each keyword meaning what it means to
jsonschema (Draft 2020-12 with its FormatChecker): ``true`` is not ``1``, a boolean is not an
integer, a date is ``YYYY-MM-DD`` and nothing else Python's ``fromisoformat`` reads. A keyword
this module does not know makes ``compile_schema`` raise ``Unsupported``; the caller then uses
jsonschema alone, so a schema change can make the check slower, never laxer.
"""

from __future__ import annotations

import datetime as dt
import numbers
import re
from collections.abc import Callable
from typing import Any

Check = Callable[[Any], bool]


class Unsupported(ValueError):
    """A keyword (or a value of one) the compiler does not translate."""


# Keywords that only annotate: they never make an instance invalid.
_ANNOTATIONS = frozenset(
    {"$schema", "$id", "$comment", "title", "description", "default", "examples", "deprecated"}
)
# jsonschema's own date check (jsonschema._format.is_date): ASCII digits in the RFC 3339
# full-date shape, then a real calendar day. fromisoformat alone also reads "2027-W10-1" and
# "20270301".
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)


def compile_schema(schema: Any) -> Check:
    """The check for ``schema`` (a JSON Schema as parsed from JSON). Raises Unsupported."""
    if schema is True or schema is False:
        return (lambda _value: True) if schema else (lambda _value: False)
    if not isinstance(schema, dict):
        raise Unsupported(f"a schema must be an object or a boolean, not {schema!r}")
    checks: list[Check] = []
    for keyword, argument in schema.items():
        if keyword in _ANNOTATIONS:
            continue
        build = _KEYWORDS.get(keyword)
        if build is None:
            raise Unsupported(f"the keyword {keyword!r}")
        checks.append(build(argument, schema))
    if len(checks) == 1:
        return checks[0]
    return lambda value: all(check(value) for check in checks)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, bool)


_TYPES: dict[str, Check] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": _is_number,
    # Draft 6 and later: 8.0 is an integer too; True never is.
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool))
        or (isinstance(v, float) and v.is_integer())
    ),
}


def _type(argument: Any, _schema: dict[str, Any]) -> Check:
    names = [argument] if isinstance(argument, str) else argument
    if not isinstance(names, list) or not all(name in _TYPES for name in names):
        raise Unsupported(f"the type {argument!r}")
    checks = [_TYPES[name] for name in names]
    return lambda value: any(check(value) for check in checks)


def equal(one: Any, two: Any) -> bool:
    """JSON equality as jsonschema decides it (enum, const): ``true`` is not ``1``, ``1`` is
    ``1.0``, lists and objects compare item by item with the same rule."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, list) and isinstance(two, list):
        return len(one) == len(two) and all(equal(a, b) for a, b in zip(one, two, strict=True))
    if isinstance(one, dict) and isinstance(two, dict):
        return one.keys() == two.keys() and all(equal(one[k], two[k]) for k in one)
    if isinstance(one, bool) or isinstance(two, bool):
        return False  # two booleans that are equal are the same object, caught above
    if isinstance(one, list | dict) or isinstance(two, list | dict):
        return False
    return bool(one == two)


def _enum(argument: Any, _schema: dict[str, Any]) -> Check:
    if not isinstance(argument, list):
        raise Unsupported("enum must be a list")
    return lambda value: any(equal(value, option) for option in argument)


def _const(argument: Any, _schema: dict[str, Any]) -> Check:
    return lambda value: equal(value, argument)


def _pattern(argument: Any, _schema: dict[str, Any]) -> Check:
    regex = re.compile(argument)  # what jsonschema runs: re.search, Python's syntax
    return lambda value: not isinstance(value, str) or regex.search(value) is not None


def _date(value: str) -> bool:
    if not _DATE.fullmatch(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _format(argument: Any, _schema: dict[str, Any]) -> Check:
    if argument != "date":
        raise Unsupported(f"the format {argument!r}")
    return lambda value: not isinstance(value, str) or _date(value)


def _bound(test: Callable[[Any, Any], bool], applies: Check) -> Callable[..., Check]:
    """A keyword that compares the instance with its argument, on the instances it applies to."""

    def build(argument: Any, _schema: dict[str, Any]) -> Check:
        if not _is_number(argument):
            raise Unsupported(f"a bound of {argument!r}")
        return lambda value: not applies(value) or test(value, argument)

    return build


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_list(value: Any) -> bool:
    return isinstance(value, list)


def _is_dict(value: Any) -> bool:
    return isinstance(value, dict)


def _items(argument: Any, schema: dict[str, Any]) -> Check:
    if "prefixItems" in schema:
        raise Unsupported("prefixItems")
    check = compile_schema(argument)
    return lambda value: not isinstance(value, list) or all(check(item) for item in value)


def _unique_items(argument: Any, _schema: dict[str, Any]) -> Check:
    if not argument:
        return lambda _value: True

    def unique(value: Any) -> bool:
        if not isinstance(value, list):
            return True
        return not any(equal(a, b) for i, a in enumerate(value) for b in value[i + 1 :])

    return unique


def _properties(argument: Any, _schema: dict[str, Any]) -> Check:
    if not isinstance(argument, dict):
        raise Unsupported("properties must be an object")
    checks = {name: compile_schema(sub) for name, sub in argument.items()}

    def properties(value: Any) -> bool:
        if not isinstance(value, dict):
            return True
        return all(check(value[name]) for name, check in checks.items() if name in value)

    return properties


def _additional_properties(argument: Any, schema: dict[str, Any]) -> Check:
    if "patternProperties" in schema:
        raise Unsupported("patternProperties")
    known = frozenset(schema.get("properties", {}))
    check = compile_schema(argument)

    def additional(value: Any) -> bool:
        if not isinstance(value, dict):
            return True
        return all(check(item) for key, item in value.items() if key not in known)

    return additional


def _required(argument: Any, _schema: dict[str, Any]) -> Check:
    names = tuple(argument)
    return lambda value: not isinstance(value, dict) or all(name in value for name in names)


def _property_names(argument: Any, _schema: dict[str, Any]) -> Check:
    check = compile_schema(argument)
    return lambda value: not isinstance(value, dict) or all(check(key) for key in value)


def _any_of(argument: Any, _schema: dict[str, Any]) -> Check:
    checks = [compile_schema(sub) for sub in argument]
    return lambda value: any(check(value) for check in checks)


def _all_of(argument: Any, _schema: dict[str, Any]) -> Check:
    checks = [compile_schema(sub) for sub in argument]
    return lambda value: all(check(value) for check in checks)


def _one_of(argument: Any, _schema: dict[str, Any]) -> Check:
    checks = [compile_schema(sub) for sub in argument]
    return lambda value: sum(1 for check in checks if check(value)) == 1


def _not(argument: Any, _schema: dict[str, Any]) -> Check:
    check = compile_schema(argument)
    return lambda value: not check(value)


_KEYWORDS: dict[str, Callable[[Any, dict[str, Any]], Check]] = {
    "type": _type,
    "enum": _enum,
    "const": _const,
    "pattern": _pattern,
    "format": _format,
    "minLength": _bound(lambda v, n: len(v) >= n, _is_str),
    "maxLength": _bound(lambda v, n: len(v) <= n, _is_str),
    # jsonschema fails ``value < minimum``: a NaN passes a bound there, and here alike.
    "minimum": _bound(lambda v, n: not v < n, _is_number),
    "maximum": _bound(lambda v, n: not v > n, _is_number),
    "exclusiveMinimum": _bound(lambda v, n: not v <= n, _is_number),
    "exclusiveMaximum": _bound(lambda v, n: not v >= n, _is_number),
    "items": _items,
    "minItems": _bound(lambda v, n: len(v) >= n, _is_list),
    "maxItems": _bound(lambda v, n: len(v) <= n, _is_list),
    "uniqueItems": _unique_items,
    "properties": _properties,
    "additionalProperties": _additional_properties,
    "required": _required,
    "propertyNames": _property_names,
    "minProperties": _bound(lambda v, n: len(v) >= n, _is_dict),
    "maxProperties": _bound(lambda v, n: len(v) <= n, _is_dict),
    "anyOf": _any_of,
    "allOf": _all_of,
    "oneOf": _one_of,
    "not": _not,
}
