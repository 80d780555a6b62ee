"""ARN syntax: why a Resource entry is not "*" or an ARN IAM accepts."""

from __future__ import annotations

import re

from iamgate.grammar.wording import _show

_VARIABLE = re.compile(r"\$\{[^}]*\}")
_ARN_PARTITION = re.compile(r"[a-z0-9*?-]+")
_ARN_SERVICE = re.compile(r"[A-Za-z0-9*?-]+")
_ARN_REGION = re.compile(r"[a-z0-9*?-]*")
_ARN_ACCOUNT = re.compile(r"[A-Za-z0-9*?-]*")


def arn_problem(resource: str) -> str | None:
    """Why ``resource`` is not "*" or an ARN IAM accepts, or None when it is fine."""
    if resource == "*":
        return None
    # A policy variable stands for any text, like a wildcard, and may hold colons itself.
    text = _VARIABLE.sub("*", resource)
    shape = "arn:partition:service:region:account:resource"
    if not text.startswith("arn:"):
        return f'a resource is "*" or an ARN, {shape}'
    parts = text.split(":", 5)
    if len(parts) < 6:
        return (
            f"an ARN has six colon-separated parts ({shape}) and this has {len(parts)}; "
            'region and account may be empty, as in "arn:aws:s3:::my-bucket"'
        )
    _, partition, service, region, account, rest = parts
    checks = (
        (_ARN_PARTITION, partition, "partition", '"aws", "aws-cn" or "aws-us-gov"'),
        (_ARN_SERVICE, service, "service", 'a service prefix such as "s3"'),
        (_ARN_REGION, region, "region", 'a region such as "us-east-1", or empty'),
        (_ARN_ACCOUNT, account, "account", "a 12-digit account id, or empty"),
    )
    for pattern, value, part, expected in checks:
        if not pattern.fullmatch(value):
            shown = f"the {part} part is empty" if not value else f"the {part} part {_show(value)}"
            return f"{shown} is not valid; it must be {expected}"
    if not rest:
        return 'the resource part is empty; name the resource, or write "*" for all'
    return None
