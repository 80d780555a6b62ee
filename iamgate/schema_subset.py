"""A fast yes/no check of an instance against the JSON Schema subset our schemas use.

Importing jsonschema costs ~50 ms, more than the whole lint of a small commit. A
valid configuration (the common case) is accepted here; only when this says no,
or meets a keyword it does not know, does the caller run jsonschema, which then
explains the error. It never accepts what jsonschema would reject: an unknown
keyword makes it answer no.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from typing import Any

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "boolean": (bool,),
    "null": (type(None),),
}
_KNOWN = {
    "$schema",
    "$id",  # an identifier only: our schemas use no $ref that it could resolve against
    "title",
    "description",
    "type",
    "properties",
    "additionalProperties",
    "required",
    "enum",
    "pattern",
    "items",
    "minimum",
    "maximum",
    "minLength",
    "format",
    "propertyNames",
    "anyOf",
}


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _is_type(value: Any, name: str) -> bool:
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, _TYPES.get(name, ()))


def conforms(value: Any, schema: dict[str, Any]) -> bool:
    if not _KNOWN.issuperset(schema):
        return False
    if "anyOf" in schema and not any(conforms(value, option) for option in schema["anyOf"]):
        return False
    kind = schema.get("type")
    if kind is not None and not _is_type(value, kind):
        return False
    if "enum" in schema and value not in schema["enum"]:
        return False
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            return False
        if "pattern" in schema and not _regex(schema["pattern"]).search(value):
            return False
        if schema.get("format") == "date":
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                return False
    if _is_type(value, "number"):
        if "minimum" in schema and value < schema["minimum"]:
            return False
        if "maximum" in schema and value > schema["maximum"]:
            return False
    if isinstance(value, list) and "items" in schema:
        return all(conforms(item, schema["items"]) for item in value)
    if isinstance(value, dict):
        return _object_conforms(value, schema)
    return True


def _object_conforms(value: dict[str, Any], schema: dict[str, Any]) -> bool:
    if any(key not in value for key in schema.get("required", ())):
        return False
    names = schema.get("propertyNames")
    if names is not None and not all(conforms(key, names) for key in value):
        return False
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    for key, item in value.items():
        if key in properties:
            if not conforms(item, properties[key]):
                return False
        elif extra is False or (isinstance(extra, dict) and not conforms(item, extra)):
            return False
    return True
