"""The fast conformance check: is a policy valid against the schema, without jsonschema?"""

from __future__ import annotations

from typing import Any

from iamgate.grammar.schema import _operator_pattern


def conforms(data: dict[str, Any], kind: str) -> bool:
    """Whether ``data`` is valid against the policy schema, decided without jsonschema.

    jsonschema costs a millisecond a policy; clean files are the common case, so they
    are decided here and jsonschema runs only to explain a failure. A property test
    holds this to the schema's verdict.
    """
    if not data.keys() <= _TOP_ELEMENTS or "Statement" not in data:
        return False
    if "Version" in data and data["Version"] not in _VERSIONS:
        return False
    if "Id" in data and not isinstance(data["Id"], str):
        return False
    raw = data["Statement"]
    statements = raw if isinstance(raw, list) else [raw]
    if not statements:
        return False
    require_resource = kind != "scp"
    for statement in statements:
        if not isinstance(statement, dict) or not statement.keys() <= _STATEMENT_ELEMENTS:
            return False
        if "Sid" in statement and not isinstance(statement["Sid"], str):
            return False
        if statement.get("Effect") not in _EFFECTS:
            return False
        if ("Action" in statement) == ("NotAction" in statement):
            return False
        has_resource, has_not_resource = "Resource" in statement, "NotResource" in statement
        if has_resource and has_not_resource:
            return False
        if require_resource and not (has_resource or has_not_resource):
            return False
        if "Principal" in statement and "NotPrincipal" in statement:
            return False
        for element, value in statement.items():
            if element in _LIST_ELEMENTS and not _string_or_list(value):
                return False
            if element in ("Principal", "NotPrincipal") and not _principal(value):
                return False
            if element == "Condition" and not _condition(value):
                return False
    return True


_TOP_ELEMENTS = frozenset({"Version", "Id", "Statement"})
_STATEMENT_ELEMENTS = frozenset(
    {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource"}
    | {"Principal", "NotPrincipal", "Condition"}
)
_LIST_ELEMENTS = frozenset({"Action", "NotAction", "Resource", "NotResource"})
_PRINCIPAL_TYPES = frozenset({"AWS", "Service", "Federated", "CanonicalUser"})
_VERSIONS = ("2012-10-17", "2008-10-17")
_TEXT = frozenset({str})
_CONDITION_VALUES = frozenset({str, int, float, bool})
_EFFECTS = ("Allow", "Deny")


def _string_or_list(value: Any) -> bool:
    if isinstance(value, str):
        return True
    # JSON's values are of its exact types: a set of them says what a list holds, in C.
    return isinstance(value, list) and bool(value) and set(map(type, value)) <= _TEXT


def _principal(value: Any) -> bool:
    if isinstance(value, str):
        return value == "*"
    return (
        isinstance(value, dict)
        and bool(value)
        and value.keys() <= _PRINCIPAL_TYPES
        and all(_string_or_list(v) for v in value.values())
    )


def _condition(value: Any) -> bool:
    if not isinstance(value, dict):
        return False
    operator = _operator_pattern()
    for name, block in value.items():
        if not operator.search(name) or not isinstance(block, dict):
            return False
        for item in block.values():
            items = item if isinstance(item, list) else (item,)
            # Booleans, numbers and strings are all condition values.
            if not set(map(type, items)) <= _CONDITION_VALUES:
                return False
    return True
