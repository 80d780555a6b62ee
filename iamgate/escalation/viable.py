"""The contexts in which an action can be allowed at all, read from the Allow conditions.

A search asks the evaluator about each candidate resource in each context. A condition reads
the request's context, never its resource, so a context in which every Allow statement that
names the action has a failing condition is denied on every resource: refuted here once,
instead of once per resource. The managed policies start compute and pass roles under
conditions on aws:CalledVia, tags, regions and accounts that most contexts fail.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from iamgate.escalation.lazy import Lazy

if TYPE_CHECKING:
    from iamgate.delegation.candidates import ContextKey
    from iamgate.evaluator.conditions import AnyCondition
    from iamgate.model import Condition, Statement

Contexts = Sequence[tuple[dict[str, tuple[str, ...]], "ContextKey"]]
_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_SPECIAL = frozenset({"*", "?", "$"})  # ${*}, ${?}, ${$}: characters, no key read


def viable(action: str, allows: Sequence[tuple[Statement, bool]], contexts: Contexts) -> Contexts:
    """The ``contexts``, in order, in which an Allow statement of ``allows`` (every identity
    Allow statement that can name ``action``, each with whether its policy reads variables)
    may have every condition hold.

    Why this is exact: a request is allowed only if an identity Allow statement matches it,
    Resource and conditions both (a boundary or an SCP only takes away). A condition on a
    global ``aws:`` key whose values read no key but global ones answers from the context
    alone: not from the resource, and not from the action either (Request.lookup drops only
    service keys an action does not carry). Compiled as the evaluator compiles it and asked
    of the same context, it answers as inside the evaluator, for every resource and for
    every action the same statements name, so also for the decision a proof shares among
    the actions of a class (which the same statements name). A context in which each of
    ``allows`` has such a condition failing is denied on every resource, whichever of those
    actions is asked: leaving it out changes neither a search's first allowed request nor
    where a shared decision and the action's own would part. Other conditions are not read:
    a statement whose only conditions are of another kind may hold anywhere.
    """
    tests: list[tuple[AnyCondition, ...]] = []
    for statement, variables in allows:
        own = _tests(statement, variables)
        if not own:
            return contexts  # this statement may apply in any context
        tests.append(own)
    # Drawn as the search asks (it often stops at the first context), kept for the next
    # resource's turn.
    return Lazy(pair for pair in contexts if _admitted(action, tests, pair[0]))


def _admitted(
    action: str, tests: list[tuple[AnyCondition, ...]], context: dict[str, tuple[str, ...]]
) -> bool:
    from iamgate.evaluator.request import Request

    probe = Request(action, "*", context)  # the resource is never read
    return any(all(test.holds(probe) for test in own) for own in tests)


def _tests(statement: Statement, variables: bool) -> tuple[AnyCondition, ...]:
    """The statement's conditions that read global keys alone, compiled (memoised)."""
    entry = _COMPILED.get((id(statement), variables))
    if entry is not None and entry[0] is statement:
        return entry[1]
    from iamgate.evaluator.conditions import compile_condition

    found = tuple(
        compile_condition(c, variables) for c in statement.conditions if _global(c, variables)
    )
    if len(_COMPILED) >= 4096:
        _COMPILED.clear()  # the memo holds the statements it keys, so keep it bounded
    _COMPILED[(id(statement), variables)] = (statement, found)
    return found


_COMPILED: dict[tuple[int, bool], tuple[Statement, tuple[AnyCondition, ...]]] = {}


def _global(condition: Condition, variables: bool) -> bool:
    """Does the condition read global ``aws:`` keys alone (its own, and any variable's)?"""
    if not condition.key.lower().startswith("aws:"):
        return False
    if not variables:
        return True  # the text is read literally: no variable reads another key
    for text in (condition.key, *condition.values):
        for match in _VARIABLE.finditer(text):
            name = match.group(1).partition(",")[0].strip().lower()
            if name not in _SPECIAL and not name.startswith("aws:"):
                return False
    return True
