"""The policy model: immutable values built from a document that passed the grammar.

Rules and the evaluator see only this; every element keeps its JSON path so a
finding can be located in the document it came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# PolicyKind lives with the document (the grammar needs it, below the model); re-exported.
from iamgate.document import Document, JsonPath, PolicyKind

__all__ = [
    "Condition",
    "Policy",
    "PolicyKind",
    "Statement",
    "build_policy",
    "policy_from_data",
    "statement_from_json",
]


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    items = value if isinstance(value, list) else [value]
    if set(map(type, items)) <= _TEXT:  # the usual list of strings: nothing to convert
        return tuple(items)
    return tuple(map(_scalar, items))


_TEXT = {str}


def _scalar(value: Any) -> str:
    # IAM compares condition values as text; JSON true/1 arrive as "true"/"1".
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class Condition:
    """One key of one operator block: ``"StringEquals": {"aws:SourceIp": [...]}``."""

    operator: str  # as written, e.g. "ForAnyValue:StringLikeIfExists"
    key: str  # as written; compare case-insensitively
    values: tuple[str, ...]
    path: JsonPath  # of the key inside the operator block


@dataclass(frozen=True)
class Statement:
    """One statement, its elements as lists of strings (None when absent)."""

    index: int
    sid: str | None
    effect: str  # "Allow" | "Deny"
    action: tuple[str, ...] | None
    not_action: tuple[str, ...] | None
    resource: tuple[str, ...] | None
    not_resource: tuple[str, ...] | None
    conditions: tuple[Condition, ...]
    path: JsonPath

    @property
    def allows(self) -> bool:
        return self.effect == "Allow"


@dataclass(frozen=True)
class Policy:
    """A policy file's statements, with the document they came from."""

    name: str
    file: str
    kind: PolicyKind
    version: str | None
    statements: tuple[Statement, ...]
    document: Document | None = None

    def line_of(self, path: JsonPath) -> int:
        return self.document.locate(path)[0] if self.document else 1


def build_policy(doc: Document, name: str, kind: PolicyKind) -> Policy:
    """Build the model from a document that already passed the grammar."""
    data = doc.data
    raw = data.get("Statement", [])
    paths: list[JsonPath]
    if isinstance(raw, dict):
        items, paths = [raw], [("Statement",)]
    else:
        items, paths = raw, [("Statement", i) for i in range(len(raw))]
    statements = tuple(
        statement_from_json(item, index, path)
        for index, (item, path) in enumerate(zip(items, paths, strict=True))
    )
    version = data.get("Version")
    return Policy(
        name, doc.display, kind, version if isinstance(version, str) else None, statements, doc
    )


def statement_from_json(item: dict[str, Any], index: int, path: JsonPath) -> Statement:
    conditions: list[Condition] = []
    for operator, block in (item.get("Condition") or {}).items():
        for key, values in block.items():
            conditions.append(
                Condition(operator, key, _strings(values), (*path, "Condition", operator, key))
            )
    sid = item.get("Sid")
    return Statement(
        index=index,
        sid=sid if isinstance(sid, str) else None,
        effect=item.get("Effect", "Allow"),
        action=_strings(item["Action"]) if "Action" in item else None,
        not_action=_strings(item["NotAction"]) if "NotAction" in item else None,
        resource=_strings(item["Resource"]) if "Resource" in item else None,
        not_resource=_strings(item["NotResource"]) if "NotResource" in item else None,
        conditions=tuple(conditions),
        path=path,
    )


def policy_from_data(
    data: dict[str, Any], name: str = "inline", kind: PolicyKind = "identity"
) -> Policy:
    """A model straight from parsed JSON, for callers that hold no file (tests, the pipeline)."""
    import json

    from iamgate.document import parse_text

    return build_policy(parse_text(json.dumps(data, indent=2), name), name, kind)
