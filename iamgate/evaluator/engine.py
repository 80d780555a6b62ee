"""AWS's policy evaluation logic for one request within one account.

Order and precedence (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html):
1. An explicit Deny in any policy — identity, permissions boundary, any SCP — decides: denied.
2. Otherwise the request is allowed only if every layer allows it: every SCP level on the
   path from the organization root ("every level ... must have an explicit Allow":
   https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html),
   an identity-based policy, and the permissions boundary when there is one ("the
   intersection": https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html).
   Resource control policies (RCPs) are one more such layer, level by level like SCPs, for
   requests to the services RCPs support on resources of member accounts
   (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html:
   "every level ... must allow"; AWS's RCPFullAWSAccess sits on every level and cannot be
   detached). The caller passes the RCP levels of the resource's account, or none.
3. Anything else is an implicit deny; ``reason`` names the first layer, in AWS's order (SCPs,
   RCPs, identity, boundary), that does not allow.

Each statement is compiled once (patterns, condition values) and cached per statement object,
so the delegation proofs can ask thousands of questions per policy.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from iamgate.evaluator.conditions import AnyCondition, compile_condition
from iamgate.evaluator.matching import Matcher, compile_actions, compile_patterns, never
from iamgate.evaluator.rcp_scope import rcp_covers
from iamgate.evaluator.request import Decision, Request
from iamgate.evaluator.variables import (
    VARIABLES_VERSION,
    Resolved,
    Resolver,
    has_variables,
    parse,
    static_pieces,
)

if TYPE_CHECKING:
    from iamgate.model import Policy, Statement


class CompiledStatement:
    """A statement ready to be asked "does this request fall under you?"."""

    __slots__ = (
        "_action",
        "_conditions",
        "_dynamic",
        "_not_action",
        "_not_resource",
        "_pending",
        "_resource",
        "_source",
        "allow",
    )

    def __init__(self, statement: Statement, variables: bool) -> None:
        self.allow = statement.effect == "Allow"
        self._action, self._not_action = _action_matcher(statement)
        if statement.effect not in ("Allow", "Deny"):
            # IAM rejects any other Effect (the grammar reports it); such a statement decides
            # nothing rather than being read as a Deny.
            self._action, self._not_action = never, False
        # Resource and conditions are compiled when a request's action first falls under the
        # statement: most statements of a large policy are about actions no proof asks for.
        # The conditions wait further, for a request whose resource the statement covers: a
        # search asks covers_resource of many statements it then never evaluates.
        # Their parts are kept, never the statement itself: the cache's weak reference to the
        # statement must still fire.
        self._source: tuple[Any, ...] | None = (
            statement.resource,
            statement.not_resource,
            variables,
        )
        self._pending: tuple[Any, ...] | None = (statement.conditions, variables)

    def _compile(self) -> None:
        assert self._source is not None
        resource, not_resource, variables = self._source
        self._not_resource = resource is None
        patterns = resource if resource is not None else not_resource
        parsed = [parse(p, wildcards=True, variables=variables) for p in patterns or ()]
        static = [s for pieces in parsed if (s := static_pieces(pieces)) is not None]
        self._resource: Matcher = compile_patterns(static, arn=True) if static else never
        dynamic = tuple(pieces for pieces in parsed if has_variables(pieces))
        self._dynamic = Resolver(dynamic, _compile_arns) if dynamic else None
        if patterns is None:
            # Neither Resource nor NotResource: the grammar rejects it; it matches nothing.
            self._not_resource = False
        self._source = None

    def _compile_conditions(self) -> None:
        assert self._pending is not None
        conditions, variables = self._pending
        self._conditions: tuple[AnyCondition, ...] = tuple(
            compile_condition(condition, variables) for condition in conditions
        )
        self._pending = None

    def covers_action(self, action: str) -> bool:
        """Whether the Action/NotAction element covers ``action`` (lower case)."""
        return self._action(action) is not self._not_action

    def matches(self, request: Request) -> bool:
        action = request._action
        return self.covers_action(action) and self.matches_beyond_action(request)

    def matches_beyond_action(self, request: Request) -> bool:
        """Resource and conditions, for a request whose action is already known to match."""
        if self._source is not None:
            self._compile()
        if self._resource_hit(request) is self._not_resource:
            return False
        if self._pending is not None:
            self._compile_conditions()
        for condition in self._conditions:  # noqa: SIM110 - a loop avoids a generator per call
            if not condition.holds(request):
                return False
        return True

    def _resource_hit(self, request: Request) -> bool:
        resource = request.resource
        if self._resource(resource):
            return True
        if self._dynamic is None:
            return False
        return self._dynamic.matcher(request._lookup)(resource)


def _compile_arns(patterns: tuple[tuple[Resolved, ...], ...]) -> Matcher:
    return compile_patterns(patterns, arn=True)


def _action_matcher(statement: Statement) -> tuple[Matcher, bool]:
    """(matcher over the lower-cased action, whether the statement uses NotAction)."""
    if statement.action is not None:
        patterns, negated = statement.action, False
    elif statement.not_action is not None:
        patterns, negated = statement.not_action, True
    else:
        return never, False  # no Action at all matches nothing
    return _actions_matcher(patterns), negated


# A corpus repeats whole Action lists (about half of a managed corpus's statements share
# one with another policy); a matcher holds no request state, so one serves them all.
_actions_matcher = lru_cache(maxsize=4096)(compile_actions)


# Caches keyed by object identity: hashing a frozen Statement rehashes every nested tuple on
# each call, which would cost more than evaluating it. A weak reference drops the entry when
# the statement (or policy) goes away, and guards against a reused id.
_STATEMENTS: dict[tuple[int, bool], tuple[weakref.ref[Statement], CompiledStatement]] = {}
_POLICIES: dict[int, tuple[weakref.ref[Policy], CompiledPolicy]] = {}


def _evict(cache: dict[Any, Any], key: object) -> Callable[[object], None]:
    # The cache is bound here, not looked up later: at interpreter exit globals may be gone.
    def evict(_ref: object) -> None:
        cache.pop(key, None)

    return evict


def compiled_statement(statement: Statement, version: str | None) -> CompiledStatement:
    variables = version == VARIABLES_VERSION
    key = (id(statement), variables)
    entry = _STATEMENTS.get(key)
    if entry is not None and entry[0]() is statement:
        return entry[1]
    result = CompiledStatement(statement, variables)
    _STATEMENTS[key] = (weakref.ref(statement, _evict(_STATEMENTS, key)), result)
    return result


Hit = tuple["Policy", "Statement"]


class CompiledPolicy:
    """A policy's compiled statements, indexed by action: a proof asks about a handful of
    actions thousands of times, so each action's candidate statements are found once.
    It holds the statements but never the policy, so the policy's weak reference can fire."""

    __slots__ = ("_by_action", "_statements")

    _LIMIT = 4096

    def __init__(self, policy: Policy) -> None:
        self._statements = tuple(
            (statement, compiled_statement(statement, policy.version))
            for statement in policy.statements
        )
        self._by_action: dict[str, tuple[tuple[Statement, CompiledStatement], ...]] = {}

    def candidates(self, action: str) -> tuple[tuple[Statement, CompiledStatement], ...]:
        """Each statement whose Action/NotAction covers ``action``, with its compiled form."""
        found = self._by_action.get(action)
        if found is None:
            found = tuple(pair for pair in self._statements if pair[1].covers_action(action))
            if len(self._by_action) >= self._LIMIT:
                self._by_action.clear()
            self._by_action[action] = found
        return found


def _compiled_policy(policy: Policy) -> CompiledPolicy:
    entry = _POLICIES.get(id(policy))
    if entry is not None and entry[0]() is policy:
        return entry[1]
    result = CompiledPolicy(policy)
    key = id(policy)
    _POLICIES[key] = (weakref.ref(policy, _evict(_POLICIES, key)), result)
    return result


def statement_matches(statement: Statement, request: Request, version: str | None) -> bool:
    """Whether ``statement`` applies to ``request`` (action, resource and every condition),
    whatever its effect. ``version`` is the policy's ``Version`` (variables need 2012-10-17)."""
    return compiled_statement(statement, version).matches(request)


def covers_resource(statement: Statement, request: Request, version: str | None) -> bool:
    """Whether the statement's Resource/NotResource covers the request's resource, conditions
    aside: a search skips a resource no Allow statement covers without trying contexts."""
    compiled = compiled_statement(statement, version)
    if compiled._source is not None:
        compiled._compile()
    return compiled._resource_hit(request) is not compiled._not_resource


def _scan(policy: Policy, request: Request, allows: list[Hit] | None, denies: list[Hit]) -> bool:
    """Collect matching statements; True when an Allow matches. ``allows`` None: stop
    looking at Allow statements after the first (only the layer's verdict is needed)."""
    allowed = False
    action = request._action
    for statement, compiled in _compiled_policy(policy).candidates(action):
        if compiled.allow:
            if allowed and allows is None:
                continue
            if compiled.matches_beyond_action(request):
                allowed = True
                if allows is not None:
                    allows.append((policy, statement))
        elif compiled.matches_beyond_action(request):
            denies.append((policy, statement))
    return allowed


def evaluate(
    request: Request,
    identity: Sequence[Policy],
    boundary: Policy | None = None,
    scps: Sequence[Sequence[Policy]] = (),
    rcps: Sequence[Sequence[Policy]] = (),
) -> Decision:
    """AWS's decision for ``request`` made by a principal with the ``identity`` policies, an
    optional permissions ``boundary``, in an account under the SCP levels ``scps`` (root first;
    each level is the list of SCPs attached there), on a resource under the RCP levels
    ``rcps`` (those of the resource's account; ignored for services RCPs do not cover)."""
    denies: list[Hit] = []
    identity_allows: list[Hit] = []
    for policy in identity:
        _scan(policy, request, identity_allows, denies)
    first_deny = "identity-based policy" if denies else ""  # the layer named in the reason
    boundary_allows = True
    if boundary is not None:
        boundary_allows = _scan(boundary, request, None, denies)
        if denies and not first_deny:
            first_deny = "permissions boundary"
    failed_level = 0
    for number, level in enumerate(scps, start=1):
        level_allows = False
        for policy in level:
            level_allows = _scan(policy, request, None, denies) or level_allows
        if denies and not first_deny:
            first_deny = f"SCP at level {number}"
        if not level_allows and not failed_level:
            failed_level = number
    failed_rcp = _rcp_levels(request, rcps, denies) if rcps else 0
    if denies and not first_deny:
        first_deny = "RCP"
    if denies:
        policy, statement = denies[0]
        more = f" (and {len(denies) - 1} more)" if len(denies) > 1 else ""
        reason = f"explicitly denied by {_label(statement)} in the {first_deny} {policy.name}{more}"
        return Decision("explicit_deny", tuple(denies), reason)
    allows = tuple(identity_allows)
    if failed_level:
        reason = f"SCP level {failed_level} does not allow the request"
        return Decision("implicit_deny", allows, reason)
    if failed_rcp:
        reason = f"RCP level {failed_rcp} does not allow the request"
        return Decision("implicit_deny", allows, reason)
    if not allows:
        return Decision("implicit_deny", (), "no identity-based policy allows the request")
    if not boundary_allows:
        reason = "the permissions boundary does not allow the request"
        return Decision("implicit_deny", allows, reason)
    covered = bool(rcps) and rcp_covers(request.action)
    return Decision("allowed", allows, _allowed_reason(boundary is not None, len(scps), covered))


def _rcp_levels(request: Request, rcps: Sequence[Sequence[Policy]], denies: list[Hit]) -> int:
    """Scan the RCP levels (collecting Deny hits); the first level that allows nothing, or 0."""
    if not rcp_covers(request.action):
        return 0
    failed = 0
    for number, level in enumerate(rcps, start=1):
        level_allows = False
        for policy in level:
            level_allows = _scan(policy, request, None, denies) or level_allows
        if not level_allows and not failed:
            failed = number
    return failed


def _label(statement: Statement) -> str:
    return f"statement {statement.sid!r}" if statement.sid else f"statement #{statement.index + 1}"


def _allowed_reason(has_boundary: bool, levels: int, rcps: bool = False) -> str:
    parts = ["an identity-based policy"]
    if has_boundary:
        parts.append("the permissions boundary")
    if levels:
        parts.append("every SCP level")
    if rcps:
        parts.append("every RCP level")
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"allowed by {listed}"
