"""Wildcard matching of actions, resource ARNs and ``*Like`` condition values.

Patterns arrive as pieces (see ``variables.parse``): literal text and the wildcards ``*`` (any
run of characters) and ``?`` (one character). Each list of patterns is compiled once into one
matcher: a set lookup for exact patterns, ``str.startswith`` for a single trailing ``*`` and
one regular expression for the rest, so matching a request costs a few C calls.

Two flavours:

* plain — ``Action``/``NotAction`` and ``StringLike``: ``*`` spans anything. Actions are
  compared in lower case on both sides (action names and service prefixes are
  case-insensitive: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html).
* ARN — ``Resource``/``NotResource`` and ``ArnLike``/``ArnEquals``: case-sensitive. In the
  first five colon-separated segments (partition, service, region, account) a wildcard stays
  inside its segment; in the resource part (after the fifth colon) ``*`` spans ``/`` and
  ``:``; a ``*`` that ends the whole pattern spans the remaining segments ("If the * wildcard
  is the last character of a resource ARN segment, it can expand to match beyond the colon
  boundaries": https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html;
  ArnLike "checks each of the six colon-delimited components separately":
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache

from iamgate.evaluator.variables import ONE, STAR, Resolved, Wildcard

Matcher = Callable[[str], bool]


def always(_: str) -> bool:
    return True


def never(_: str) -> bool:
    return False


def _literal(pieces: tuple[Resolved, ...]) -> str:
    """The text of pieces that hold no wildcard."""
    return "".join(piece for piece in pieces if isinstance(piece, str))


@lru_cache(maxsize=32768)  # the same pattern recurs in many statements' lists
def _fragment(pieces: tuple[Resolved, ...], arn: bool) -> tuple[str, str, str]:
    """Classify one pattern: ("all", "", "") | ("exact", text, "") | ("prefix", text, "") |
    ("regex", src, the literal text it starts with): src matches what follows that text."""
    if pieces == (STAR,):
        return "all", "", ""
    wilds = [i for i, piece in enumerate(pieces) if isinstance(piece, Wildcard)]
    if not wilds:
        return "exact", _literal(pieces), ""
    if wilds == [len(pieces) - 1] and pieces[-1] is STAR:
        # A trailing * spans everything in both flavours, so a prefix test is exact.
        return "prefix", _literal(pieces[:-1]), ""
    parts: list[str] = []
    colons = 0
    last = len(pieces) - 1
    for index, piece in enumerate(pieces):
        if isinstance(piece, str):
            parts.append(re.escape(piece))
            colons += piece.count(":")
            continue
        bounded = arn and colons < 5
        if piece is STAR:
            parts.append("[^:]*" if bounded and index != last else ".*")
        else:
            parts.append("[^:]" if bounded else ".")
    # The literal start is tested with str.startswith before the regex runs, so the regex
    # starts after it: a shorter expression is cheaper to compile, and patterns that differ
    # only in their start share one.
    return "regex", "".join(parts[wilds[0] :]), _literal(pieces[: wilds[0]])


def compile_patterns(patterns: Iterable[tuple[Resolved, ...]], *, arn: bool) -> Matcher:
    """One matcher that is true when any of ``patterns`` matches the whole string."""
    exact: set[str] = set()
    prefixes: list[str] = []
    regexes: list[tuple[str, str]] = []
    for pieces in patterns:
        kind, text, head = _fragment(pieces, arn)
        if kind == "all":
            return always
        if kind == "exact":
            exact.add(text)
        elif kind == "prefix":
            prefixes.append(text)
        else:
            regexes.append((head, text))
    return _combine(frozenset(exact), tuple(prefixes), tuple(regexes))


def _combine(
    exact: frozenset[str], prefixes: tuple[str, ...], regexes: tuple[tuple[str, str], ...]
) -> Matcher:
    # Specialised closures: the evaluator calls these millions of times in a proof.
    if not regexes:
        if not prefixes:
            return exact.__contains__ if exact else never
        if not exact:
            return lambda text: text.startswith(prefixes)
        return lambda text: text in exact or text.startswith(prefixes)

    # One regular expression per pattern, each behind the literal text it starts with and
    # compiled on first use (once per run: patterns recur across a corpus). A statement's
    # patterns joined into one alternation cost more to compile than every question a proof
    # asks of it, and most patterns are ruled out by their literal start alone.
    def full(text: str) -> bool:
        for head, src in regexes:
            if text.startswith(head) and _fullmatch(src)(text, len(head)) is not None:
                return True
        return False

    if not exact and not prefixes:
        return full
    return lambda text: (
        text in exact or (bool(prefixes) and text.startswith(prefixes)) or full(text)
    )


@lru_cache(maxsize=16384)
def _fullmatch(source: str) -> Callable[[str, int], re.Match[str] | None]:
    return re.compile(source, re.DOTALL).fullmatch


@lru_cache(maxsize=32768)
def _action_pieces(text: str) -> tuple[Resolved, ...]:
    from iamgate.evaluator.variables import parse

    return lowered(parse(text, wildcards=True, variables=False))


def _literal_start(text: str) -> str:
    """The text before the first wildcard: ``parse``'s first piece (variables aside)."""
    for wildcard in "*?":
        cut = text.find(wildcard)
        if cut >= 0:
            text = text[:cut]
    return text


def compile_actions(patterns: Iterable[str]) -> Matcher:
    """``compile_patterns`` for an Action/NotAction element (plain, lower case), with each
    pattern whose literal start names a service filed under it: a query parses, compiles
    and runs only its own service's patterns, when that service is first asked about. A
    managed policy's statement lists dozens of services' globs, the evaluator compiles every
    statement of a policy it is asked about, and a proof asks about a handful of services.

    Filed from the raw text, as the parsed pieces would be: the first piece is the text
    before the first ``*`` or ``?``, lowered (``lowered``); when it holds a ':' every
    action the pattern matches starts with it, so with its part before the ':'. ``*``
    alone matches every action; any other pattern is read for every service.
    """
    by_service: dict[str, list[str]] = {}
    anywhere: list[str] = []
    for text in patterns:
        if text == "*":
            return always
        start = _literal_start(text)
        if ":" in start:
            # Only an action whose service part is this one can start with "service:".
            by_service.setdefault(start.lower().partition(":")[0], []).append(text)
        else:
            anywhere.append(text)
    rest = compile_patterns(map(_action_pieces, anywhere), arn=False) if anywhere else never
    if not by_service:
        return rest
    if len(by_service) == 1 and not anywhere:
        # One service: every pattern starts with "service:", so an action of another
        # service (not starting so) matches none of them and compiles nothing.
        ((only, listed),) = by_service.items()
        head = only + ":"
        single: list[Matcher] = []

        def one_service(action: str) -> bool:
            if not action.startswith(head):
                return False
            if not single:
                single.append(compile_patterns(map(_action_pieces, listed), arn=False))
            return single[0](action)

        return one_service
    compiled: dict[str, Matcher] = {}

    def own(service: str) -> Matcher:
        listed = by_service.get(service)
        matcher = compiled[service] = (
            compile_patterns(map(_action_pieces, listed), arn=False) if listed else never
        )
        return matcher

    if not anywhere:

        def filed(action: str) -> bool:
            service = action.partition(":")[0]
            return (compiled.get(service) or own(service))(action)

        return filed

    def matches(action: str) -> bool:
        service = action.partition(":")[0]
        return (compiled.get(service) or own(service))(action) or rest(action)

    return matches


def lowered(pieces: tuple[Resolved, ...]) -> tuple[Resolved, ...]:
    return tuple(piece.lower() if isinstance(piece, str) else piece for piece in pieces)


__all__ = [
    "ONE",
    "STAR",
    "Matcher",
    "always",
    "compile_actions",
    "compile_patterns",
    "lowered",
    "never",
]
