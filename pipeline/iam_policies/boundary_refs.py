"""Boundary ARNs that name another account than the one a delegation policy is deployed to.

``iam:PermissionsBoundary`` compares against the boundary's full ARN. A delegation
policy that hard-codes ``arn:aws:iam::111111111111:policy/Boundary`` and is deployed to
account 222222222222 requires a boundary that cannot exist there — delegates either
cannot create roles at all, or (with a negated operator) the condition never holds as
intended. ``${aws:PrincipalAccount}`` is the portable spelling.
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#ck_PermissionsBoundary
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

_KEY = "iam:permissionsboundary"
_ARN = re.compile(r"^arn:[\w-]+:iam::(\d{12}):policy/")


def _values(value: Any) -> Iterator[str]:
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str):
            yield item


def boundary_arns(document: dict[str, Any]) -> Iterator[str]:
    statements = document.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        if not isinstance(statement, dict):
            continue
        condition = statement.get("Condition")
        if not isinstance(condition, dict):
            continue
        for block in condition.values():
            if not isinstance(block, dict):
                continue
            for key, value in block.items():
                if key.lower() == _KEY:
                    yield from _values(value)


def foreign_boundaries(document: dict[str, Any], account_id: str) -> list[str]:
    """The literal boundary ARNs in ``document`` whose account is not ``account_id``."""
    out: list[str] = []
    for arn in boundary_arns(document):
        match = _ARN.match(arn)
        if match and match.group(1) != account_id and arn not in out:
            out.append(arn)
    return out
