"""Policy variables: ``${aws:username}``, ``${aws:PrincipalTag/team, 'default'}``, ``${*}``.

A pattern from a policy is parsed once into pieces: literal text, the two wildcards, and
variables. Resolving a pattern against a request replaces each variable by its value from the
request context (always literal text, never a wildcard), or fails when the key is absent.

AWS semantics carried over (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html):
* variables exist only in policies with ``"Version": "2012-10-17"``; otherwise ``${...}`` is
  literal text;
* ``${*}``, ``${?}`` and ``${$}`` stand for a literal ``*``, ``?`` and ``$``;
* ``${key, 'default'}`` uses the default when the key has no value;
* a multivalued key cannot be a variable
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html,
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html),
  so it resolves like an absent key: a key the catalog types ArrayOf... (``${aws:TagKeys}``)
  never stands for a value, even when the request carries just one;
* a variable that cannot be resolved makes that pattern match nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, overload

VARIABLES_VERSION = "2012-10-17"


class Wildcard:
    """``*`` or ``?`` as written in a pattern (never produced by a variable)."""

    __slots__ = ("symbol",)

    def __init__(self, symbol: str) -> None:
        self.symbol = symbol

    def __repr__(self) -> str:
        return f"Wildcard({self.symbol!r})"

    def __reduce__(self) -> str:
        return "STAR" if self.symbol == "*" else "ONE"


STAR = Wildcard("*")
ONE = Wildcard("?")


@dataclass(frozen=True, slots=True)
class Variable:
    key: str  # lower case: keys are case-insensitive
    default: str | None = None


Piece = str | Wildcard | Variable
Resolved = str | Wildcard
Lookup = Callable[[str], "tuple[str, ...] | None"]

_SPECIAL = {"*": "*", "?": "?", "$": "$"}
_WILDCARD_SPLIT = re.compile(r"([*?])")


@overload
def parse(text: str, *, wildcards: bool, variables: Literal[False]) -> tuple[Resolved, ...]: ...
@overload
def parse(text: str, *, wildcards: bool, variables: bool) -> tuple[Piece, ...]: ...
@lru_cache(maxsize=32768)
def parse(text: str, *, wildcards: bool, variables: bool) -> tuple[Piece, ...]:
    """Split ``text`` into pieces; adjacent literal text is merged. Pieces are immutable, so
    each text is parsed once per run: a large corpus repeats the same patterns thousands of
    times."""
    if not (variables and "${" in text):
        # No variable can start here: the wildcards alone split the text (most patterns).
        if not (wildcards and ("*" in text or "?" in text)):
            return (text,) if text else ()
        return tuple(
            STAR if part == "*" else ONE if part == "?" else part
            for part in _WILDCARD_SPLIT.split(text)
            if part
        )
    return scan(text, wildcards=wildcards, variables=variables)


def scan(text: str, *, wildcards: bool, variables: bool) -> tuple[Piece, ...]:
    """``parse`` character by character, variables and all (uncached)."""
    pieces: list[Piece] = []
    pos = 0
    literal: list[str] = []

    def flush() -> None:
        if literal:
            pieces.append("".join(literal))
            literal.clear()

    while pos < len(text):
        if variables and text.startswith("${", pos):
            parsed = _variable_at(text, pos + 2)
            if parsed is not None:
                piece, pos = parsed
                if isinstance(piece, str):
                    literal.append(piece)
                else:
                    flush()
                    pieces.append(piece)
                continue
        char = text[pos]
        if wildcards and char in "*?":
            flush()
            pieces.append(STAR if char == "*" else ONE)
        else:
            literal.append(char)
        pos += 1
    flush()
    return tuple(pieces)


def _variable_at(text: str, start: int) -> tuple[str | Variable, int] | None:
    """The variable whose name starts at ``start`` (just after ``${``) and where it ends.

    None when the text there is not a well-formed variable: it then stays literal text.
    """
    end = start
    while end < len(text) and text[end] not in ",}":
        end += 1
    if end >= len(text):
        return None
    name = text[start:end].strip()
    if text[end] == "}":
        if name in _SPECIAL:
            return _SPECIAL[name], end + 1
        return (Variable(name.lower()), end + 1) if _is_key(name) else None
    # ", 'default'": a quoted default, with '' standing for one quote.
    pos = end + 1
    while pos < len(text) and text[pos] == " ":
        pos += 1
    if pos >= len(text) or text[pos] != "'" or not _is_key(name):
        return None
    pos += 1
    default: list[str] = []
    while pos < len(text):
        if text[pos] == "'":
            if text.startswith("''", pos):
                default.append("'")
                pos += 2
                continue
            pos += 1
            while pos < len(text) and text[pos] == " ":
                pos += 1
            if pos < len(text) and text[pos] == "}":
                return Variable(name.lower(), "".join(default)), pos + 1
            return None
        default.append(text[pos])
        pos += 1
    return None


def _is_key(name: str) -> bool:
    # A condition key is "prefix:name"; anything else is not a variable.
    prefix, colon, rest = name.partition(":")
    return bool(colon and prefix and rest) and "'" not in name and "$" not in prefix


def has_variables(pieces: tuple[Piece, ...]) -> bool:
    return any(isinstance(piece, Variable) for piece in pieces)


def static_pieces(pieces: tuple[Piece, ...]) -> tuple[Resolved, ...] | None:
    """The pieces as they are when none is a variable (nothing to resolve), else None."""
    resolved = tuple(piece for piece in pieces if not isinstance(piece, Variable))
    return resolved if len(resolved) == len(pieces) else None


def resolve(pieces: tuple[Piece, ...], lookup: Lookup) -> tuple[Resolved, ...] | None:
    """Replace each variable by its value; None when one has no value and no default."""
    out: list[Resolved] = []
    for piece in pieces:
        if isinstance(piece, Variable):
            values = lookup(piece.key)
            if values is not None and len(values) == 1 and not _array_key(piece.key):
                out.append(values[0])
            elif piece.default is not None:
                out.append(piece.default)
            else:
                return None
        else:
            out.append(piece)
    return tuple(out)


@lru_cache(maxsize=512)
def _array_key(key: str) -> bool:
    from iamgate.catalog import get_catalog

    return get_catalog().array_key(key)


def variables_in(pieces: tuple[Piece, ...]) -> list[Variable]:
    return [piece for piece in pieces if isinstance(piece, Variable)]


class Resolver:
    """Patterns holding variables, compiled once per distinct set of variable values.

    ``build`` turns resolved patterns (the unresolvable ones left out) into a matcher; the
    result is kept per tuple of the variables' request values, so a proof that asks thousands
    of questions with the same principal compiles each pattern once.
    """

    __slots__ = ("_build", "_cache", "_keys", "_patterns")

    _LIMIT = 256

    def __init__(
        self,
        patterns: tuple[tuple[Piece, ...], ...],
        build: Callable[[tuple[tuple[Resolved, ...], ...]], Callable[[str], bool]],
    ) -> None:
        self._patterns = patterns
        self._keys = tuple(sorted({v.key for pieces in patterns for v in variables_in(pieces)}))
        self._build = build
        self._cache: dict[tuple[tuple[str, ...] | None, ...], Callable[[str], bool]] = {}

    def matcher(self, lookup: Lookup) -> Callable[[str], bool]:
        bound = tuple(map(lookup, self._keys))
        found = self._cache.get(bound)
        if found is None:
            resolved = tuple(
                done for pieces in self._patterns if (done := resolve(pieces, lookup)) is not None
            )
            found = self._build(resolved)
            if len(self._cache) >= self._LIMIT:
                self._cache.clear()
            self._cache[bound] = found
        return found
