"""Deciding each row of the escalation table for a set of policies, with the evaluator.

A path is open when every action it needs is allowed on some resource it acts on:

* a resource the path creates ("new") or an action without resource-level permissions
  ("*"): any candidate resource will do, since the caller picks the name;
* an existing resource: only one *outside* the delegation prefix. Prefixed compute can only
  run as prefixed roles, and those carry the approved boundary, so taking it over gains
  nothing. A resource type whose ARN carries no name the prefix can scope (an EC2
  instance, a group) is always outside; an IAM principal whose request carries an
  approved boundary (``iam:PermissionsBoundary``) is capped by it, so it does not count.

The candidate resources and contexts are the delegation proofs' (CandidateSpace): a
prefixed name, an outsider, every Resource pattern of the policies made concrete, every
condition key they read with the values they name. Each request that opens a path is the
evaluator's answer, kept as the finding's counterexample.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from functools import cached_property, partial
from typing import TYPE_CHECKING

from iamgate.delegation import BOUNDARY_KEY, VARIABLES_VERSION, CandidateSpace, names_action
from iamgate.delegation.candidates import may_name_service
from iamgate.escalation.lazy import Lazy
from iamgate.escalation.prefilter import may_open, named_actions
from iamgate.escalation.results import PathFinding, PolicySet, Step
from iamgate.escalation.table import ANY, NEW, EscalationPath, PathAction, Table, default_table
from iamgate.organization import PLACEHOLDER_ACCOUNT

if TYPE_CHECKING:
    from iamgate.catalog import ActionInfo, ResourceType
    from iamgate.delegation.candidates import ContextKey
    from iamgate.evaluator import Decision, Request
    from iamgate.evaluator.conditions import AnyCondition
    from iamgate.model import Condition, Policy, Statement
    from iamgate.project import Project

Decide = Callable[["Request"], "Decision"]
_Contexts = Sequence[tuple[dict[str, tuple[str, ...]], "ContextKey"]]
# The last argument is the context's hashable key; telling contexts come with theirs.
Shared = Callable[["ActionInfo", str, dict[str, tuple[str, ...]], "ContextKey"], "Decision"]
Telling = Callable[
    ["ActionInfo", dict[str, tuple[str, ...]]],
    list[tuple[dict[str, tuple[str, ...]], "ContextKey"]],
]


def judged_account(identity: Sequence[Policy], project: Project, account: str | None = None) -> str:
    """The account the paths are judged in, chosen here alone: the one given, else the first
    the project judges the policy in (Project.accounts_for: its deploy targets, else the
    accounts its IAM ARNs name). Where that is only the placeholder, the account the
    policies' other ARNs name most: a Lambda-only policy written for 210987654321 is
    judged there, where its functions are."""
    if not account:
        placements = project.accounts_for_policy(identity[0])
        account = (placements[0].account if placements else None) or PLACEHOLDER_ACCOUNT
    if account != PLACEHOLDER_ACCOUNT:
        return account
    counts: Counter[str] = Counter()
    for policy in identity:
        for statement in policy.statements:
            for text in (*(statement.resource or ()), *(statement.not_resource or ())):
                counts.update(_ACCOUNT.findall(text))
    return counts.most_common(1)[0][0] if counts else account


_ACCOUNT = re.compile(r"^arn:[^:]*:[^:]*:[^:]*:(\d{12}):")


def open_paths(
    policies: PolicySet,
    project: Project,
    account: str | None = None,
    table: Table | None = None,
) -> list[PathFinding]:
    """Every path of ``table`` (default: the shipped one) that ``policies`` leave open."""
    if not policies.identity or not may_open(policies.identity, table):
        return []
    judged = judged_account(policies.identity, project, account)
    space = CandidateSpace(_reading(policies), project, account=judged)
    return list(PathSearch(space, policies.evaluate, policies.identity, table).open_paths())


def _reading(policies: PolicySet) -> Policy:
    """One policy holding every statement of the set: what the candidate space reads for
    condition keys, values and Resource patterns (the evaluator reads the real layers)."""
    layers = [*policies.identity]
    if policies.boundary is not None:
        layers.append(policies.boundary)
    layers += [p for level in policies.scps for p in level]
    if len(layers) == 1:
        return layers[0]
    statements = [s for p in layers for s in p.statements]
    first = policies.identity[0]
    version = "2012-10-17" if any(p.version == "2012-10-17" for p in layers) else first.version
    return replace(
        first,
        version=version,
        statements=tuple(replace(s, index=i) for i, s in enumerate(statements)),
    )


class PathSearch:
    """Rows decided against one candidate space; each action's answer found once and
    shared by every row that needs it (PassRole to lambda serves four rows)."""

    def __init__(
        self,
        space: CandidateSpace,
        decide: Decide,
        identity: Sequence[Policy],
        table: Table | None = None,
        shared: Shared | None = None,
        telling: Telling | None = None,
        own: Shared | None = None,
    ) -> None:
        self.space = space
        self.decide = decide
        self.shared = shared  # a proof's memo, shared with the rules that asked before
        # A proof's contexts less those no statement naming the action reads
        # (Proof.telling_contexts): only where ``decide`` reads the space's own statements.
        self.telling = telling
        # ``decide`` of the request made of its arguments, where that may be read from the
        # shared memo (Proof.own_decision: when the shared answer was the same call).
        self.own = own
        self.identity = tuple(identity)
        self.table = table or default_table()
        self._memo: dict[tuple[object, ...], Decision] = {}
        self._steps: dict[PathAction, Step | None] = {}
        self._conditions: dict[int, tuple[Condition, AnyCondition]] = {}
        self._by_service: dict[str, list[tuple[Policy, Statement]]] = {}
        # Per action (PassRole serves a dozen rows, one per receiving service): the Allow
        # statements naming it, its candidate resources, and which statements cover each.
        self._allows: dict[str, list[tuple[Policy, Statement]]] = {}
        self._resource_lists: dict[tuple[object, ...], Lazy[str]] = {}
        self._covering: dict[tuple[str, str], tuple[tuple[Policy, Statement], ...] | None] = {}
        self._context_lists: dict[tuple[object, ...], tuple[_Contexts, _Contexts]] = {}
        self._variables: dict[str, bool] = {}
        self._covers_memo: dict[tuple[int, str], bool] = {}
        self._bare: dict[str, Request] = {}
        self._usable_lists: dict[
            PathAction, list[tuple[dict[str, tuple[str, ...]], Lazy[str]]]
        ] = {}

    def open_paths(
        self, skip: Callable[[EscalationPath], bool] | None = None
    ) -> Iterator[PathFinding]:
        """Every open path; ``skip`` leaves out rows before they are searched (a rule whose
        findings another rule already makes)."""
        named = self._named_actions
        try:
            for path in self.table.paths:
                if not path.lower_names <= named:
                    continue  # decide_path's own first test: an action no Allow names
                if skip is not None and skip(path):
                    continue
                found = self.decide_path(path)
                if found is not None:
                    yield found
        finally:
            # The lazy lists' generators refer back to this search: dropped here, the
            # search is freed by reference counting, not left to the cycle collector.
            self._usable_lists.clear()
            self._resource_lists.clear()
            self._context_lists.clear()

    def named(self, action: str) -> bool:
        """Does some Allow statement of an identity policy name ``action``? A boundary or an
        SCP only takes away, so a path needs every action named here."""
        return action.lower() in self._named_actions

    @cached_property
    def _named_actions(self) -> frozenset[str]:
        return named_actions(self.identity, self.table)

    def allows_naming(self, lower: str) -> list[tuple[Policy, Statement]]:
        """The identity Allow statements that name ``lower`` (a lower-case action)."""
        found = self._allows.get(lower)
        if found is None:
            service = lower.partition(":")[0]
            found = self._allows[lower] = [
                (p, s) for p, s in self._allows_of(service) if names_action(s, lower)
            ]
        return found

    def _allows_of(self, service: str) -> list[tuple[Policy, Statement]]:
        """The identity Allow statements, in order, whose Action element may name an action
        of ``service`` (a superset: names_action decides)."""
        found = self._by_service.get(service)
        if found is None:
            found = self._by_service[service] = [
                (p, s)
                for p in self.identity
                for s in p.statements
                if s.allows and may_name_service(s, service)
            ]
        return found

    def decide_path(self, path: EscalationPath) -> PathFinding | None:
        if not path.lower_names <= self._named_actions:
            return None  # the cheap prefilter: most policies name few of a row's actions
        # A path is open only when every step is: its steps' answers do not depend on the
        # order they are asked in (each is memoised, decided on its own), so the cheapest
        # refutations come first. A step already answered no costs nothing; then a step no
        # statement can allow on any of its resources (_usable, without contexts or
        # evaluator) is a no before any other step is searched.
        steps = self._steps
        if any(steps.get(entry, True) is None for entry in path.actions):
            return None
        for entry in path.actions:
            if entry not in steps and not any(usable for _, usable in self._usable(entry)):
                steps[entry] = None
                return None
        # Then the cheap steps (a new resource: usually the first candidate): when one
        # fails, the costlier search for an outside resource is never made.
        found: dict[int, Step] = {}
        for number in sorted(range(len(path.actions)), key=lambda i: path.actions[i].outside):
            step = self.step(path.actions[number])
            if step is None:
                return None
            found[number] = step
        return PathFinding(
            path, tuple(found[i] for i in range(len(path.actions))), self.identity[0]
        )

    def step(self, entry: PathAction) -> Step | None:
        if entry in self._steps:
            return self._steps[entry]
        found = self._search(entry)
        self._steps[entry] = found
        return found

    def _usable(self, entry: PathAction) -> list[tuple[dict[str, tuple[str, ...]], Lazy[str]]]:
        """For each combination of the row's fixed values, the step's candidate resources
        some Allow statement may apply to (``_may_apply`` on the row's own fixed keys), in
        ``resources`` order; none when the catalog lacks the action. Decided before any
        context list is built: a step no statement can allow (PassRole only to another
        service, a stack only inside the prefix) costs neither contexts nor an evaluator
        call. The lists are lazy: a search that the first resource ends (the usual open
        step), and the test that a step is not closed, never build the rest.

        ``_may_apply`` tests only the conditions on the keys its base fixes beyond the
        identity's, so with the base context plus the row's values it passes every resource
        it passes with a search's first real context (which may also fix
        aws:RequestedRegion): the search below loses no resource by starting from these."""
        found = self._usable_lists.get(entry)
        if found is not None:
            return found
        from iamgate.catalog.lookups import get_catalog

        info = get_catalog().lookup(entry.action)
        found = []
        if info is not None:  # the table test proves every action is in the catalog
            allows = self.allows_naming(info.full.lower())
            resources = self._lazy_resources(entry, info)
            for fixed in _alternatives(entry):
                probe = {**self.space.base_context, **fixed}
                usable = Lazy(r for r in resources if self._may_apply(allows, info.full, r, probe))
                found.append((fixed, usable))
        self._usable_lists[entry] = found
        return found

    def _search(self, entry: PathAction) -> Step | None:
        from iamgate.catalog.lookups import get_catalog
        from iamgate.evaluator.request import Request

        usable = self._usable(entry)
        if not usable:
            return None
        info = get_catalog().lookup(entry.action)
        assert info is not None  # _usable found resources for it
        space = self.space
        allows = self.allows_naming(info.full.lower())
        for fixed, resources in usable:
            if not resources:
                continue
            contexts, viable = self._contexts(info, allows, fixed)
            if not viable:
                continue  # no context lets an Allow statement's conditions hold
            for resource in resources:
                if not self._may_apply(allows, info.full, resource, contexts[0][0]):
                    continue
                for context, ckey in viable:
                    if entry.outside and space.boundary_approved(context.get(BOUNDARY_KEY)):
                        continue  # the target carries the approved boundary: capped by it
                    shared = self.shared
                    if shared is not None and not shared(info, resource, context, ckey).allowed:
                        continue
                    key = (info.full.lower(), resource, ckey)
                    decision = self._memo.get(key)
                    if decision is None:
                        if self.own is not None:
                            decision = self.own(info, resource, context, ckey)
                        else:
                            decision = self.decide(Request(info.full, resource, context))
                        self._memo[key] = decision
                    if decision.allowed:
                        return Step(entry, Request(info.full, resource, context), decision)
                    if self.shared is not None:
                        # The class shortcut disagreed with the evaluator: ask this action alone.
                        return PathSearch(space, self.decide, self.identity, self.table)._search(
                            entry
                        )
        return None

    def _contexts(
        self,
        info: ActionInfo,
        allows: list[tuple[Policy, Statement]],
        fixed: dict[str, tuple[str, ...]],
    ) -> tuple[_Contexts, _Contexts]:
        """The step's contexts (the proof's telling ones, else the space's), the first ready
        without the list (escalation.contexts: an open step is usually answered there), and
        of those the ones in which some Allow statement naming the action may have its
        conditions hold (escalation.viable, which argues why this is exact): the only ones
        in which any resource can be allowed, by this search's decision or the shared one.
        Both are drawn on demand, and kept for every row that asks the same action."""
        from iamgate.escalation.contexts import first_then_rest
        from iamgate.escalation.viable import viable

        key = (info.full.lower(), tuple(sorted(fixed.items())))
        found = self._context_lists.get(key)
        if found is None:
            build = partial(self.telling or self.space.contexts, info, fixed)
            contexts = first_then_rest(self.space, info, fixed, build)
            pairs = [(s, p.version == VARIABLES_VERSION) for p, s in allows]
            found = self._context_lists[key] = (contexts, viable(info.full, pairs, contexts))
        return found

    def _may_apply(
        self,
        allows: list[tuple[Policy, Statement]],
        action: str,
        resource: str,
        base: dict[str, tuple[str, ...]],
    ) -> bool:
        """Could some Allow statement apply to ``action`` on ``resource`` whatever the varied
        keys hold? Its Resource must cover the resource, and its conditions on the keys the
        row fixes (iam:PassedToService) must hold: those are the same in every context. A
        cheap no spares one evaluation per context. Policy variables may read varied keys,
        so a statement with one always may apply."""
        from iamgate.evaluator.request import Request

        covering = self._covering_statements(allows, action, resource)
        if covering is None:
            return True
        if not covering:
            return False
        fixed = {k.lower() for k in base} - self._base_keys
        probe: Request | None = None
        for policy, statement in covering:
            tests = [c for c in statement.conditions if c.key.lower() in fixed]
            if not tests:
                return True
            probe = probe or Request(action, resource, base)
            if all(self._condition(c, policy).holds(probe) for c in tests):
                return True
        return False

    def _covering_statements(
        self, allows: list[tuple[Policy, Statement]], action: str, resource: str
    ) -> tuple[tuple[Policy, Statement], ...] | None:
        """Of ``allows`` (the statements naming ``action``), those whose Resource covers
        ``resource``, conditions aside; None when one reads policy variables (it may apply
        anywhere). The same for every row and context that asks about the pair."""
        key = (action, resource)
        if key in self._covering:
            return self._covering[key]
        found: tuple[tuple[Policy, Statement], ...] | None = None
        if not self._any_reads_variables(action, allows):
            found = tuple((p, s) for p, s in allows if self._covers(p, s, resource))
        self._covering[key] = found
        return found

    def _any_reads_variables(self, action: str, allows: list[tuple[Policy, Statement]]) -> bool:
        found = self._variables.get(action)
        if found is None:
            found = self._variables[action] = any(_reads_variables(s) for _, s in allows)
        return found

    def _covers(self, policy: Policy, statement: Statement, resource: str) -> bool:
        """Does the statement's Resource/NotResource cover ``resource``? Asked only of a
        statement without policy variables (``_covering_statements``), whose Resource reads
        the resource alone, so the answer holds for every action it names: kept per
        statement and resource (lambda:UpdateFunctionCode and lambda:InvokeFunction ask
        about the same functions)."""
        from iamgate.evaluator.engine import covers_resource
        from iamgate.evaluator.request import Request

        key = (id(statement), resource)
        found = self._covers_memo.get(key)
        if found is None:
            bare = self._bare.get(resource)
            if bare is None:
                bare = self._bare[resource] = Request("", resource)  # only its resource is read
            # The search holds its identity policies, so a statement's id is not reused.
            found = self._covers_memo[key] = covers_resource(statement, bare, policy.version)
        return found

    def _condition(self, condition: Condition, policy: Policy) -> AnyCondition:
        from iamgate.evaluator.conditions import compile_condition

        found = self._conditions.get(id(condition))
        if found is None or found[0] is not condition:
            variables = policy.version == "2012-10-17"
            found = self._conditions[id(condition)] = (
                condition,
                compile_condition(condition, variables),
            )
        return found[1]

    @cached_property
    def _base_keys(self) -> frozenset[str]:
        return frozenset(k.lower() for k in self.space.base_context)

    def resources(self, entry: PathAction, info: ActionInfo) -> list[str]:
        """The candidate resources of a step, outsiders first."""
        return list(self._lazy_resources(entry, info))

    def _lazy_resources(self, entry: PathAction, info: ActionInfo) -> Lazy[str]:
        # One per action and what the row acts on: PassRole's rows (one per receiving
        # service) share theirs.
        key = (info.full, entry.on, entry.outside, entry.others_only)
        found = self._resource_lists.get(key)
        if found is None:
            found = self._resource_lists[key] = Lazy(self._resources(entry, info))
        return found

    def _resources(self, entry: PathAction, info: ActionInfo) -> Iterator[str]:
        """Each type's candidates in turn (a type's list is built when the search reaches
        it), each ARN once, the outsiders first: "AdminInstance" tells the reader more than
        "service-x" does. The same order as a stable sort of every type's candidates on
        the space's in_prefix, without building the later types' while an outsider answers."""
        if entry.on == (ANY,) or not info.resource_types:
            yield "*"
            return
        if entry.on == (NEW,):
            # A resource the path creates: one of the types AWS always authorizes the action
            # on (any one will do: the caller names it).
            required = [t for t, needed in info.resource_types if needed]
            types = required or [t for t, _ in info.resource_types]
        else:
            types = [t for t, _ in info.resource_types if t.name in entry.on]
        in_prefix = self.space.in_prefix
        seen: set[str] = set()
        insiders: list[str] = []
        for rtype in types:
            for arn in self.space.type_resources(rtype):
                if entry.outside and self.inside(arn, rtype):
                    continue
                if entry.others_only and arn == self.space.caller_arn:
                    continue
                if arn in seen:
                    continue
                seen.add(arn)
                if in_prefix(arn):
                    insiders.append(arn)
                else:
                    yield arn
        yield from insiders

    def inside(self, arn: str, rtype: ResourceType) -> bool:
        """Is the resource the delegates' own? The delegation proofs' own answer
        (``in_prefix``: the name, or the first segment after the type, starts with the
        prefix; ``role/a/service-x/b`` is no delegate's), so that IG408 and the proof rules
        draw the same line, for a type a name can scope at all."""
        parts = arn.split(":", 5)
        if len(parts) == 6 and (parts[2], rtype.name) in self.table.prefix_blind:
            return False
        return self.space.in_prefix(arn)


def _reads_variables(statement: Statement) -> bool:
    texts = (*(statement.resource or statement.not_resource or ()),)
    texts += tuple(v for c in statement.conditions for v in c.values)
    return any("${" in t for t in texts)


def _alternatives(entry: PathAction) -> list[dict[str, tuple[str, ...]]]:
    """Each combination of the values the row allows for its context keys (one value
    per key: iam:PassedToService names one service)."""
    if not entry.context:
        return [{}]
    keys = [k for k, _ in entry.context]
    return [
        {k: (v,) for k, v in zip(keys, combo, strict=True)}
        for combo in itertools.product(*(values for _, values in entry.context))
    ]
