"""The search: asking the evaluator about candidate requests, once per distinct question."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Protocol

from iamgate.delegation.actions import (
    BOUNDARY,
    allow_may_name,
    delegation_actions,
    delegation_names,
    service_parts,
)
from iamgate.delegation.candidates import (
    REQUESTED_REGION,
    Candidate,
    CandidateSpace,
    ContextKey,
    Unsafe,
)
from iamgate.delegation.policy_facts import DEFAULT_ACCOUNT
from iamgate.organization import literal_accounts

if TYPE_CHECKING:
    from iamgate.catalog import ActionInfo
    from iamgate.evaluator import Decision, Request
    from iamgate.model import Policy, Statement
    from iamgate.project import Project


class Searcher(Protocol):
    """What asks a proof for violations: a rule decided by a search (iamgate.rules.proof_rule)."""

    @property
    def id(self) -> str: ...

    def search(self, proof: Proof) -> list[Violation]: ...


@dataclass(frozen=True)
class Violation:
    """An allowed request that breaks an invariant, with the statements that allow it."""

    action: ActionInfo
    request: Request
    decision: Decision
    detail: str = ""  # rule-specific words for the message
    also: tuple[Statement, ...] = ()  # further statements that take part (IG406)

    @property
    def statements(self) -> tuple[Statement, ...]:
        own = [s for _, s in self.decision.statements]
        return (*own, *(s for s in self.also if all(s is not o for o in own)))


# Request contexts, each with its hashable key (as CandidateSpace.contexts gives them).
_Contexts = list[tuple[dict[str, tuple[str, ...]], ContextKey]]


class Proof(CandidateSpace):
    """One policy, its project's delegation settings, and every question asked about it.

    Each distinct question is evaluated once; each rule's violations are computed once, so
    rules that defer to one another can compare answers without asking twice.
    """

    def __init__(
        self,
        policy: Policy,
        project: Project,
        account: str | None = None,
        *,
        scps: Sequence[Sequence[Policy]] = (),
    ) -> None:
        super().__init__(policy, project, account, scps=scps)
        self._memo: dict[tuple[object, ...], Decision] = {}
        # The action each class memo entry was computed for (own_decision reads it).
        self._asked_by: dict[tuple[object, ...], str] = {}
        self._covers: dict[tuple[str, str], bool] = {}
        self._covering: dict[str, tuple[tuple[int, Statement, bool], ...]] = {}
        self._resource_hits: dict[tuple[int, str], bool] = {}
        self._telling: dict[tuple[int, frozenset[int]], tuple[_Contexts, _Contexts]] = {}
        self._violations: dict[str, list[Violation]] = {}
        self._requests: dict[int, tuple[dict[str, tuple[str, ...]], Request]] = {}

    # -- asking the evaluator ---------------------------------------------------------

    def _decide(
        self,
        action: ActionInfo,
        resource: str,
        context: dict[str, tuple[str, ...]],
        ckey: ContextKey,
    ) -> Decision:
        key = (self.action_class(action), resource, ckey)
        found = self._memo.get(key)
        if found is None:
            from iamgate.evaluator import evaluate

            request = self._in_context(context).sharing(action.full, resource)
            found = self._memo[key] = evaluate(request, (self.policy,), None, self.scps)
            self._asked_by[key] = action.full
        return found

    def _in_context(self, context: dict[str, tuple[str, ...]]) -> Request:
        """A request carrying ``context``, read once per context: the candidate contexts are
        built once per proof and asked about for every action and resource. Keyed by the
        dict itself (held by the entry, so its id is not reused while the entry lives);
        contexts are never changed once built."""
        entry = self._requests.get(id(context))
        if entry is None or entry[0] is not context:
            from iamgate.evaluator import Request

            if len(self._requests) >= 4096:
                self._requests.clear()  # a caller building a fresh dict per question
            entry = self._requests[id(context)] = (context, Request("", "", context))
        return entry[1]

    def shared_decision(
        self,
        action: ActionInfo,
        resource: str,
        context: dict[str, tuple[str, ...]],
        ckey: ContextKey,
    ) -> Decision:
        """The decision for a candidate request, shared by every action of its class and by
        every rule that asks (the escalation table too). May differ from the action's own
        decision: confirm an allowed answer with ``evaluate``."""
        return self._decide(action, resource, context, ckey)

    def evaluate(self, request: Request) -> Decision:
        from iamgate.evaluator import evaluate

        return evaluate(request, (self.policy,), None, self.scps)

    def own_decision(
        self,
        action: ActionInfo,
        resource: str,
        context: dict[str, tuple[str, ...]],
        ckey: ContextKey,
    ) -> Decision:
        """``evaluate(Request(action.full, resource, context))``: the action's own decision,
        which confirms an allowed shared one. Read from the class memo when its entry was
        computed for this very action: that was the same call. ``_decide`` evaluated
        ``Request(action.full, resource, c)`` (``sharing`` copies ``c``'s values) against the
        same policy and SCPs, for a context ``c`` with the same key: the key lists each
        lower-case condition key with its values, which are all the evaluator reads of a
        context (the letter case of a key's spelling is not read), and the evaluator is a
        function of the request's action, resource and values. (A subclass that asks
        ``evaluate`` otherwise is asked itself.)"""
        key = (self.action_class(action), resource, ckey)
        if self._asked_by.get(key) == action.full and type(self).evaluate is Proof.evaluate:
            return self._memo[key]
        from iamgate.evaluator import Request

        return self.evaluate(Request(action.full, resource, context))

    def first_violation(
        self,
        action: ActionInfo,
        unsafe: Unsafe,
        *,
        outside_first: bool = False,
        fixed: Mapping[str, tuple[str, ...]] | None = None,
        resources: Sequence[str] | None = None,
        shared: bool = True,
        contexts_of: Callable[[], Sequence[tuple[dict[str, tuple[str, ...]], ContextKey]]]
        | None = None,
    ) -> Violation | None:
        """The first candidate request for ``action`` that is unsafe and allowed.
        ``contexts_of``: the contexts to ask, in order, when they are not all the telling
        contexts (the escalation table leaves out those no Allow statement admits)."""
        from iamgate.evaluator import Request

        # The same for every resource: asked once, and only once a resource may be covered.
        contexts: Sequence[tuple[dict[str, tuple[str, ...]], ContextKey]] | None = None
        for resource in (
            resources
            if resources is not None
            else self.resources(action, outside_first=outside_first)
        ):
            if not self.may_cover(action, resource):
                continue  # no context can make a request allowed here
            if contexts is None:
                contexts = contexts_of() if contexts_of else self.telling_contexts(action, fixed)
            for context, ckey in contexts:
                if not unsafe(Candidate(action, resource, context)):
                    continue
                if shared:
                    decision = self._decide(action, resource, context, ckey)
                else:
                    decision = self.evaluate(Request(action.full, resource, context))
                if not decision.allowed:
                    continue
                request = Request(action.full, resource, context)
                direct = self.own_decision(action, resource, context, ckey) if shared else decision
                if not direct.allowed:
                    # The class shortcut disagreed with the evaluator: search this action alone.
                    return self.first_violation(
                        action,
                        unsafe,
                        outside_first=outside_first,
                        fixed=fixed,
                        resources=resources,
                        shared=False,
                        contexts_of=contexts_of,
                    )
                return Violation(action, request, direct)
        return None

    def search(
        self,
        actions: Iterable[ActionInfo],
        unsafe: Unsafe,
        *,
        outside_first: bool = False,
        fixed: Mapping[str, tuple[str, ...]] | None = None,
        resources: Sequence[str] | None = None,
    ) -> list[Violation]:
        """One violation (the first found) per action that some Allow statement names."""
        found: list[Violation] = []
        for action in actions:
            if not self.named_by_allow(action):
                continue
            violation = self.first_violation(
                action, unsafe, outside_first=outside_first, fixed=fixed, resources=resources
            )
            if violation is not None:
                found.append(violation)
        return found

    def telling_contexts(
        self, action: ActionInfo, fixed: Mapping[str, tuple[str, ...]] | None = None
    ) -> _Contexts:
        """``contexts`` less those that vary a key no statement naming ``action`` reads.

        A decision here reads only the statements that name the action (the policy's and the
        SCPs': read_statements) and, of the context, only their condition keys; the rules'
        ``unsafe`` predicates read the resource and the boundary key alone. So a key none of
        them reads changes nothing, and the first context (in ``contexts`` order) that is
        allowed and unsafe always holds such a key at its first option: only those contexts
        are kept, and the search finds the same first violation after fewer questions. A
        statement with a policy variable may read any key: then every context is kept."""
        contexts = self.contexts(action, fixed)
        named, keys = self.signature(action)
        cache_key = (id(contexts), named)
        entry = self._telling.get(cache_key)
        if entry is None:
            kept = contexts
            unread = self._unread_keys(named, keys, fixed or {})
            if unread and len(contexts) > 1:
                first = contexts[0][0]
                spellings = [(name, first.get(name)) for name in unread]
                kept = [
                    pair
                    for pair in contexts
                    if all(pair[0].get(name) == value for name, value in spellings)
                ]
            # The entry holds the full list too, so its id is not reused while the entry lives.
            entry = self._telling[cache_key] = (contexts, kept)
        return entry[1]

    def _unread_keys(
        self, named: frozenset[int], keys: tuple[str, ...], fixed: Mapping[str, tuple[str, ...]]
    ) -> list[str]:
        """The spellings of the varied ``keys`` that no statement in ``named`` reads."""
        statements = [self.read_statements[i] for i in sorted(named)]
        if any(_reads_variables(s) for s in statements):
            return []
        read = {c.key.lower() for s in statements for c in s.conditions}
        kept = read | {BOUNDARY, REQUESTED_REGION.lower()} | {k.lower() for k in fixed}
        return [self.spelling[k] for k in keys if k not in kept]

    def may_cover(self, action: ActionInfo, resource: str) -> bool:
        """Could an Allow statement of the policy that names ``action`` cover ``resource``,
        whatever the context? Only the Resource element is read (conditions aside), so a
        no means every request for the pair is denied: its contexts, often a hundred, need
        not be asked. A Resource with policy variables reads the context: always maybe."""
        key = (action.full.lower(), resource)
        found = self._covers.get(key)
        if found is None:
            found = self._covers[key] = self._may_cover(key[0], action.full, resource)
        return found

    def _may_cover(self, lower: str, action: str, resource: str) -> bool:
        from iamgate.evaluator import Request, covers_resource

        version = self.policy.version
        bare: Request | None = None
        for position, statement, variables in self._allow_covering(lower):
            if variables:
                return True
            # Without a policy variable the Resource element reads the resource alone, so
            # each statement's answer for a resource holds for every action it names.
            key = (position, resource)
            hit = self._resource_hits.get(key)
            if hit is None:
                bare = bare or Request(action, resource)
                hit = self._resource_hits[key] = covers_resource(statement, bare, version)
            if hit:
                return True
        return False

    def _allow_covering(self, lower: str) -> tuple[tuple[int, Statement, bool], ...]:
        """(position, statement, whether its Resource has a policy variable) of each Allow
        statement of the policy whose Action/NotAction covers ``lower``, in order."""
        found = self._covering.get(lower)
        if found is None:
            from iamgate.evaluator.engine import compiled_statement

            version = self.policy.version
            own = len(self.policy.statements)
            # _naming lists, in read_statements order, every statement that can name an
            # action of the service (a superset of covers_action): the policy's own come
            # first, so a position past them is an SCP's statement, which allows nothing.
            found = self._covering[lower] = tuple(
                (position, statement, _resource_reads_variables(statement))
                for position, statement in self._naming(lower)
                if position < own
                and statement.allows
                and compiled_statement(statement, version).covers_action(lower)
            )
        return found

    def confirmed(self, violation: Violation) -> bool:
        """Does the request stand when asked as the finding will say? (A proof that reads its
        policy as something else, the ceiling's, asks the literal policies again.)"""
        return True

    def may_allow(self, services: tuple[str, ...]) -> bool:
        return may_allow(self.policy, services)

    @cached_property
    def is_delegation(self) -> bool:
        """Does the policy allow, for some request, an action that creates or changes a
        principal or a managed policy?"""
        if self.policy.kind != "identity" or not self.may_allow(("iam",)):
            return False
        if not allow_may_name(self.policy.statements, delegation_names()):
            return False  # no Allow statement names one: no action below is named_by_allow
        return any(
            self.named_by_allow(action) and self.first_violation(action, _always) is not None
            for action in delegation_actions()
        )

    # -- rules' results ---------------------------------------------------------------

    def violations(self, rule: Searcher) -> list[Violation]:
        found = self._violations.get(rule.id)
        if found is None:
            found = self._violations[rule.id] = rule.search(self)
        return found


def _always(_: Candidate) -> bool:
    return True


def _resource_reads_variables(statement: Statement) -> bool:
    patterns = statement.resource or statement.not_resource or ()
    return any("${" in pattern for pattern in patterns)


def _reads_variables(statement: Statement) -> bool:
    texts = (*(statement.resource or ()), *(statement.not_resource or ()))
    texts += tuple(t for c in statement.conditions for t in (c.key, *c.values))
    return any("${" in text for text in texts)


# policy id -> (the policy, its Allow statements' service parts, services -> answer)
_MAY_ALLOW: dict[int, tuple[Policy, frozenset[str] | None, dict[tuple[str, ...], bool]]] = {}


def may_allow(policy: Policy, services: tuple[str, ...]) -> bool:
    """Can some Allow statement of ``policy`` name an action of one of ``services``? Decided
    on the Action element's service part alone: cheap, and exact enough to skip a search.
    It needs no project, so a rule can ask before building a proof."""
    entry = _MAY_ALLOW.get(id(policy))
    if entry is None or entry[0] is not policy:
        if len(_MAY_ALLOW) >= 64:
            _MAY_ALLOW.clear()  # the memo holds the policies it keys, so keep it small
        entry = _MAY_ALLOW[id(policy)] = (policy, _allowed_service_parts(policy), {})
    found = entry[2].get(services)
    if found is None:
        parts = entry[1]
        found = entry[2][services] = parts is None or _any_names(parts, services)
    return found


def _allowed_service_parts(policy: Policy) -> frozenset[str] | None:
    """The service parts (before ':') of every Allow statement's Action entries, lower case;
    None when an Allow statement uses NotAction (it may name any service)."""
    parts: set[str] = set()
    for statement in policy.statements:
        if not statement.allows:
            continue
        if statement.not_action is not None:
            return None
        if statement.action:
            parts |= service_parts(statement.action)
    return frozenset(parts)


def _any_names(parts: frozenset[str], services: tuple[str, ...]) -> bool:
    from iamgate.catalog import glob_regex, has_wildcard

    if any(name.lower() in parts for name in services):
        return True
    return any(
        has_wildcard(part) and any(glob_regex(part).fullmatch(name) for name in services)
        for part in parts
    )


_PROOFS: dict[tuple[int, str | None], Proof] = {}
_JUDGED: dict[tuple[int, int], tuple[Policy, Project, list[str]]] = {}


def proof_for(policy: Policy, project: Project, account: str | None = None) -> Proof:
    """The proof of one policy in one account (by default the first it is judged in), shared
    by every rule that judges it in this run."""
    if account is None:
        account = judged_accounts(policy, project)[0]
    found = _PROOFS.get((id(policy), account))
    if found is not None and found.policy is policy and found.project is project:
        return found
    if len(_PROOFS) >= 64:
        _PROOFS.clear()  # the cache holds the policies it keys, so keep it small
    found = _PROOFS[(id(policy), account)] = Proof(policy, project, account)
    return found


def judged_accounts(policy: Policy, project: Project) -> list[str]:
    """The accounts whose proofs decide a policy's findings, the ones it is deployed to first.

    A proof depends on its account only through the accounts the policy writes: every
    account the policy does not name gives the same answers, renamed. So the accounts the
    policy names literally are each proved, and of the others the first one alone.
    """
    key = (id(policy), id(project))
    cached = _JUDGED.get(key)
    if cached is not None and cached[0] is policy and cached[1] is project:
        return cached[2]
    placements = project.accounts_for_policy(policy)
    written = set(literal_accounts(policy))
    out: list[str] = []
    unnamed_done = False
    for placement in placements:
        account = placement.account or DEFAULT_ACCOUNT
        if account in written:
            out.append(account)
        elif not unnamed_done:
            out.append(account)
            unnamed_done = True
    found = list(dict.fromkeys(out))
    if len(_JUDGED) >= 64:
        _JUDGED.clear()
    _JUDGED[key] = (policy, project, found)
    return found


def clear_cache() -> None:
    """Forget every proof (benchmarks measure a proof from scratch)."""
    _PROOFS.clear()
    _JUDGED.clear()
