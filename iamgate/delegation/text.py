"""Small text helpers of the search: globs, wildcard filling, ARN names and shapes."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
# Compiled here, not left to re's own cache: the proofs compile thousands of patterns in a
# run, which push re's cache past its size and these out of it, to be compiled again.
_NAME_SEPARATORS = re.compile(r"[/:]")
_WORD_SEPARATORS = re.compile(r"[-_ ]")


@lru_cache(maxsize=4096)
def _glob(pattern: str) -> re.Pattern[str]:
    """A case-sensitive glob (``*``, ``?``) for ARN fields."""
    return re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    )


def _glob_matches(pattern: str, text: str) -> bool:
    """``_glob(pattern).fullmatch(text)``, without compiling the common fields: a field with
    no wildcard matches only itself (every character escaped), and ``*`` (``.*``, no DOTALL)
    any text without a newline. Most fields of a policy's ARNs are "iam", "*" or an account."""
    if "*" not in pattern and "?" not in pattern:
        return pattern == text
    if pattern == "*":
        return "\n" not in text
    return _glob(pattern).fullmatch(text) is not None


def _fill(text: str, filler: str) -> str:
    return text.replace("*", filler).replace("?", "x")


def has_wildcard(text: str) -> bool:
    return "*" in text or "?" in text


def _dedupe(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


@lru_cache(maxsize=4096)
def resource_name(arn: str) -> str:
    """The last name in an ARN's resource part: role/team/service-x -> service-x."""
    parts = arn.split(":", 5)
    return _NAME_SEPARATORS.split(parts[5] if len(parts) == 6 else arn)[-1]


@lru_cache(maxsize=1024)
def _template_regex(template: str) -> re.Pattern[str]:
    out: list[str] = []
    last = 0
    for match in _VARIABLE.finditer(template):
        out.append(re.escape(template[last : match.start()]))
        name = match.group(1).lower()
        out.append(
            "aws" if name == "partition" else "[^:]*" if name in ("region", "account") else ".+"
        )
        last = match.end()
    out.append(re.escape(template[last:]))
    return re.compile("".join(out))


def _camel(type_name: str) -> str:
    return "".join(part.capitalize() for part in _WORD_SEPARATORS.split(type_name))
