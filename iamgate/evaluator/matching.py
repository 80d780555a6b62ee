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


# Matches the rest of a text, from a position, against what follows a pattern's literal start.
Tail = Callable[[str, int], bool]


@lru_cache(maxsize=32768)  # the same pattern recurs in many statements' lists
def _fragment(pieces: tuple[Resolved, ...], arn: bool) -> tuple[str, str, Tail | None]:
    """Classify one pattern: ("all", "", None) | ("exact", text, None) | ("prefix", text,
    None) | ("tail", the literal text it starts with, what must match after it)."""
    if pieces == (STAR,):
        return "all", "", None
    wilds = [i for i, piece in enumerate(pieces) if isinstance(piece, Wildcard)]
    if not wilds:
        return "exact", _literal(pieces), None
    if wilds == [len(pieces) - 1] and pieces[-1] is STAR:
        # A trailing * spans everything in both flavours, so a prefix test is exact.
        return "prefix", _literal(pieces[:-1]), None
    # The literal start is tested with str.startswith before the tail runs, so the tail
    # starts after it: a shorter expression is cheaper to compile, and patterns that differ
    # only in their start share one.
    head = _literal(pieces[: wilds[0]])
    return "tail", head, _stars(pieces, wilds[0], arn) or _regex_tail(pieces, wilds[0], arn)


def _bounded(pieces: tuple[Resolved, ...], arn: bool) -> list[bool]:
    """For each piece: does a wildcard there stay inside its colon-separated segment? In an
    ARN, before the pattern's fifth literal colon, except a ``*`` that ends the pattern."""
    flags: list[bool] = []
    colons = 0
    last = len(pieces) - 1
    for index, piece in enumerate(pieces):
        flags.append(arn and colons < 5 and not (piece is STAR and index == last))
        if isinstance(piece, str):
            colons += piece.count(":")
    return flags


def _regex_tail(pieces: tuple[Resolved, ...], first: int, arn: bool) -> Tail:
    parts: list[str] = []
    for piece, bounded in zip(pieces, _bounded(pieces, arn), strict=True):
        if isinstance(piece, str):
            parts.append(re.escape(piece))
        elif piece is STAR:
            parts.append("[^:]*" if bounded else ".*")
        else:
            parts.append("[^:]" if bounded else ".")
    source = "".join(parts[first:])

    def tail(text: str, start: int) -> bool:
        return _fullmatch(source)(text, start) is not None  # compiled on first use

    return tail


def _stars(pieces: tuple[Resolved, ...], first: int, arn: bool) -> Tail | None:
    """The tail of a pattern whose wildcards are all ``*``, none next to another, matched
    with str.find instead of a regular expression (most ARN patterns: a managed corpus's
    Resource elements are ``arn:aws:iam::*:role/Name`` and ``...:stack/Prefix*``; compiling
    their regular expressions cost more than asking them). None for any other pattern.

    Why leftmost is exact: the tail is ``* L1 * L2 ... * Lk * F`` (F anchored at the end,
    empty after a trailing ``*``); each ``*`` spans any run, or, when bounded, any run
    without ':'. Bounded ones all come first (a ``*`` is bounded before the pattern's fifth
    colon). Say a match puts Li at q' and Li also occurs first at q < q' (after the previous
    literal, before F). The ``*`` before Li spans a shorter run to q, so it is allowed there
    too. The ``*`` after Li now spans text[q+len(Li):q'+len(Li)] more: nothing to check if
    it is unbounded; if it is bounded so is the one before, so text[start:q'] has no ':',
    nor has Li (it lies inside that run, or overlaps its copy at q' and then repeats its
    first q'-q characters), so the longer run has no ':' either. So moving Li to its first
    occurrence keeps the match, and literal by literal the leftmost choices find one
    whenever one exists (tested against a plain search in tests/test_evaluator_shortcuts.py).
    """
    # (is the * bounded, the literal text after it up to the next *): a resolved policy
    # variable leaves literal pieces side by side, so they are joined here.
    steps: list[tuple[bool, str]] = []
    for piece, bounded in zip(pieces[first:], _bounded(pieces, arn)[first:], strict=True):
        if piece is ONE:
            return None
        if isinstance(piece, str):
            steps[-1] = (steps[-1][0], steps[-1][1] + piece)
        elif steps and not steps[-1][1]:
            return None  # two wildcards side by side: left to the regular expression
        else:
            steps.append((bounded, ""))
    last_bounded, final = steps.pop()  # final: empty when the pattern ends with a *
    size = len(final)
    middle = tuple(steps)

    if not middle:
        if not last_bounded:
            return lambda text, start: len(text) - size >= start and text.endswith(final)
        return lambda text, start: (
            len(text) - size >= start
            and text.endswith(final)
            and text.find(":", start, len(text) - size) < 0
        )

    def stars(text: str, start: int) -> bool:
        end = len(text) - size
        if end < start or not text.endswith(final):
            return False
        for bounded, literal in middle:
            found = text.find(literal, start, end)
            if found < 0 or (bounded and text.find(":", start, found) >= 0):
                return False
            start = found + len(literal)
        return not last_bounded or text.find(":", start, end) < 0

    return stars


def compile_patterns(patterns: Iterable[tuple[Resolved, ...]], *, arn: bool) -> Matcher:
    """One matcher that is true when any of ``patterns`` matches the whole string."""
    exact: set[str] = set()
    prefixes: list[str] = []
    tails: list[tuple[str, Tail]] = []
    for pieces in patterns:
        kind, text, tail = _fragment(pieces, arn)
        if kind == "all":
            return always
        if kind == "exact":
            exact.add(text)
        elif kind == "prefix":
            prefixes.append(text)
        else:
            assert tail is not None
            tails.append((text, tail))
    return _combine(frozenset(exact), tuple(prefixes), tuple(tails))


def _combine(
    exact: frozenset[str], prefixes: tuple[str, ...], tails: tuple[tuple[str, Tail], ...]
) -> Matcher:
    # Specialised closures: the evaluator calls these millions of times in a proof.
    if not tails:
        if not prefixes:
            return exact.__contains__ if exact else never
        if not exact:
            return lambda text: text.startswith(prefixes)
        return lambda text: text in exact or text.startswith(prefixes)

    # Each pattern's tail behind the literal text it starts with (a regular expression is
    # compiled on first use, once per run: patterns recur across a corpus). A statement's
    # patterns joined into one alternation cost more to compile than every question a proof
    # asks of it, and most patterns are ruled out by their literal start alone.
    def full(text: str) -> bool:
        for head, tail in tails:  # noqa: SIM110 - a loop avoids a generator per call
            if text.startswith(head) and tail(text, len(head)):
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
