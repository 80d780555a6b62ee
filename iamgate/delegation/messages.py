"""The words of a delegation finding: the request, the statements, the counterexample."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from iamgate.delegation.actions import BOUNDARY, _catalog, _supports

if TYPE_CHECKING:
    from iamgate.delegation.search import Proof
    from iamgate.evaluator import Request
    from iamgate.model import Policy, Statement


def statement_label(policy: Policy, statements: Sequence[Statement]) -> str:
    def one(statement: Statement) -> str:
        name = f'"{statement.sid}"' if statement.sid else f"#{statement.index + 1}"
        return f"{name} (line {policy.line_of(statement.path)})"

    labels = [one(s) for s in statements]
    if len(labels) == 1:
        return f"statement {labels[0]}"
    return "statements " + ", ".join(labels[:-1]) + " and " + labels[-1]


def listing(names: Sequence[str], limit: int = 6) -> str:
    """``a, b, c`` or ``a, b, c and 12 more``: findings stay readable for ``iam:*``."""
    if len(names) <= limit:
        return ", ".join(names)
    return ", ".join(names[: limit - 1]) + f" and {len(names) - limit + 1} more"


def _values_text(values: tuple[str, ...]) -> str:
    return values[0] if len(values) == 1 else "[" + ", ".join(values) + "]"


def describe_request(request: Request, proof: Proof) -> str:
    """``iam:CreateRole on arn:... with no permissions boundary``: the request in words,
    naming each key the policy's conditions read, present or absent."""
    action = _catalog().lookup(request.action)
    keys = list(proof.signature(action)[1]) if action is not None else []
    base = {k.lower() for k in proof.base_context}
    spelled = {k.lower(): k for k in request.context}
    for key in spelled:
        if key not in base and key not in keys:
            keys.append(key)
    lowered = {k.lower(): v for k, v in request.context.items()}
    parts: list[str] = []
    for key in keys:
        values = lowered.get(key)
        if key == BOUNDARY:
            parts.append(
                f"permissions boundary {_values_text(values)}"
                if values
                else "no permissions boundary"
            )
        else:
            name = proof.spelling.get(key) or spelled.get(key, key)
            parts.append(f"{name} = {_values_text(values)}" if values else f"no {name}")
    text = f"{request.action} on {request.resource}"
    return f"{text} with {' and '.join(parts)}" if parts else text


def counterexample(request: Request, policy: Policy) -> dict[str, Any]:
    """The request as a finding carries it, naming as absent (``[]``) every key the
    policy's conditions test that the request lacks: a reader must see that the
    escape works precisely because ``iam:PermissionsBoundary`` is missing."""
    out = request.to_dict()
    context = out["context"]
    present = {key.lower() for key in context}
    for statement in policy.statements:
        for condition in statement.conditions:
            key = condition.key
            if key.lower() in present or not _supports(request.action, key):
                continue
            present.add(key.lower())
            context[key] = []
    return out
