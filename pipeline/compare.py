"""Semantic comparison of policy documents: the repository file against what IAM returns.

IAM hands documents back URL-encoded (RFC 3986) and re-serialised, and boto3 may
already have decoded them into dicts. Two documents are the same when IAM would
read them the same way: key order and whitespace never matter, a single string
equals a one-element list, the order of values inside Action/Resource/condition
lists does not matter, and condition keys are case-insensitive. Statement order
is kept: reordering statements is a (harmless) change a reviewer can see.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

# Elements whose value is a set of strings: "x" and ["x"] and ["x", "x"] mean the same.
_SET_ELEMENTS = frozenset({"Action", "NotAction", "Resource", "NotResource"})
_PRINCIPAL_ELEMENTS = frozenset({"Principal", "NotPrincipal"})


class DocumentError(ValueError):
    """A live document that is not JSON even after URL-decoding."""


def policy_size(document: dict[str, Any]) -> int:
    """Characters IAM (6,144 for a managed policy) and Organizations (5,120 for an SCP or RCP)
    count against their size limits: the document without any whitespace."""
    compact = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    return sum(1 for ch in compact if not ch.isspace())


def decode(raw: str | Mapping[str, Any]) -> dict[str, Any]:
    """A live document as a dict, whatever shape boto3 or IAM gave it."""
    if isinstance(raw, dict):
        return raw
    if not isinstance(raw, str):
        return dict(raw)
    text = raw.strip()
    # JSON text is decoded as is: unquoting it first would corrupt a literal "%41" in a value.
    if not text.startswith("{"):
        text = unquote(text)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DocumentError(f"the live document is not JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise DocumentError("the live document is not a JSON object")
    return data


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def _string_set(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return sorted({_text(item) for item in items})


def _principal(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _string_set(item) for key, item in value.items()}
    return _text(value)


def _condition(block: Any) -> Any:
    if not isinstance(block, dict):
        return _generic(block)
    out: dict[str, Any] = {}
    for operator, pairs in block.items():
        if isinstance(pairs, dict):
            out[operator] = {key.lower(): _string_set(values) for key, values in pairs.items()}
        else:
            out[operator] = _generic(pairs)
    return out


def _statement(item: Any) -> Any:
    if not isinstance(item, dict):
        return _generic(item)
    out: dict[str, Any] = {}
    for key, value in item.items():
        if key in _SET_ELEMENTS:
            out[key] = _string_set(value)
        elif key in _PRINCIPAL_ELEMENTS:
            out[key] = _principal(value)
        elif key == "Condition":
            out[key] = _condition(value)
        else:
            out[key] = _generic(value)
    return out


def _generic(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _generic(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_generic(item) for item in value]
    return value


def canonical(document: dict[str, Any]) -> dict[str, Any]:
    """The form two documents are compared in (and diffed in, so a diff shows only meaning)."""
    out: dict[str, Any] = {}
    for key, value in document.items():
        if key == "Statement":
            items = value if isinstance(value, list) else [value]
            out[key] = [_statement(item) for item in items]
        else:
            out[key] = _generic(value)
    return out


def same_document(left: str | dict[str, Any], right: str | dict[str, Any]) -> bool:
    return canonical(decode(left)) == canonical(decode(right))


def addition(text: str, label: str) -> str:
    """A new policy as a diff: the file exactly as reviewed, every line added."""
    body = [f"+{line}" for line in text.rstrip("\n").splitlines()]
    return "\n".join(["--- (none)", f"+++ {label}", f"@@ -0,0 +1,{len(body)} @@", *body])


def pretty(document: str | dict[str, Any]) -> str:
    return json.dumps(canonical(decode(document)), indent=2, sort_keys=True, ensure_ascii=False)


def unified_diff(
    live: str | dict[str, Any], desired: str | dict[str, Any], live_label: str, desired_label: str
) -> str:
    """A unified diff of the canonical forms: only what changes the policy's meaning shows."""
    lines = difflib.unified_diff(
        pretty(live).splitlines(),
        pretty(desired).splitlines(),
        fromfile=live_label,
        tofile=desired_label,
        lineterm="",
        n=2,
    )
    return "\n".join(lines)
