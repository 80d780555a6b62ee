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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING, Any

from iamgate.delegation import BOUNDARY_KEY, CandidateSpace, counterexample, names_action
from iamgate.escalation.table import ANY, NEW, EscalationPath, PathAction, Table, default_table

if TYPE_CHECKING:
    from iamgate.catalog import ActionInfo, ResourceType
    from iamgate.evaluator import Decision, Request
    from iamgate.model import Policy, Statement
    from iamgate.project import Project

Decide = Callable[["Request"], "Decision"]


@dataclass(frozen=True)
class PolicySet:
    """What AWS reads for one principal: its identity policies, its permissions boundary,
    and the SCP levels above its account (root first; each level a list of SCPs)."""

    identity: tuple[Policy, ...]
    boundary: Policy | None = None
    scps: tuple[tuple[Policy, ...], ...] = ()

    def evaluate(self, request: Request) -> Decision:
        from iamgate.evaluator import evaluate

        return evaluate(request, self.identity, self.boundary, self.scps)


@dataclass(frozen=True)
class Step:
    """One action of a path, allowed: the request and the evaluator's decision."""

    entry: PathAction
    request: Request
    decision: Decision


@dataclass(frozen=True)
class PathFinding:
    path: EscalationPath
    steps: tuple[Step, ...]
    policy: Policy  # the identity policy the counterexample is written for

    @property
    def start(self) -> Step:
        """The request that starts the path: the first that reaches outside the prefix (the
        role passed, the function rewritten), else the first action."""
        return next((s for s in self.steps if s.entry.outside), self.steps[0])

    @property
    def request(self) -> Request:
        return self.start.request

    @property
    def statements(self) -> tuple[Statement, ...]:
        """The statements that allow the path, the starting request's first."""
        found: list[Statement] = []
        for step in (self.start, *self.steps):
            for _, statement in step.decision.statements:
                if all(statement is not s for s in found):
                    found.append(statement)
        return tuple(found)

    @property
    def counterexample(self) -> dict[str, Any]:
        return counterexample(self.request, self.policy)

    @property
    def source(self) -> str:
        return self.path.source


def judged_account(policies: PolicySet, account: str | None) -> str | None:
    """The account the paths are judged in. The one place that chooses it: None lets the
    candidate space take the account the delegation proofs use (the one the policy's ARNs
    name most, else a placeholder) until the project names a policy's accounts itself."""
    return account


def open_paths(
    policies: PolicySet,
    project: Project,
    account: str | None = None,
    table: Table | None = None,
) -> list[PathFinding]:
    """Every path of ``table`` (default: the shipped one) that ``policies`` leave open."""
    if not policies.identity:
        return []
    space = CandidateSpace(_reading(policies), project, account=judged_account(policies, account))
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
    ) -> None:
        self.space = space
        self.decide = decide
        self.identity = tuple(identity)
        self.table = table or default_table()
        self._memo: dict[tuple[object, ...], Decision] = {}
        self._steps: dict[PathAction, Step | None] = {}
        self._named: dict[str, bool] = {}

    def open_paths(self) -> Iterator[PathFinding]:
        for path in self.table.paths:
            found = self.decide_path(path)
            if found is not None:
                yield found

    def named(self, action: str) -> bool:
        """Does some Allow statement of an identity policy name ``action``? A boundary or an
        SCP only takes away, so a path needs every action named here."""
        lower = action.lower()
        found = self._named.get(lower)
        if found is None:
            found = self._named[lower] = any(
                s.allows and names_action(s, lower) for p in self.identity for s in p.statements
            )
        return found

    def decide_path(self, path: EscalationPath) -> PathFinding | None:
        if not all(self.named(name) for name in path.action_names):
            return None  # the cheap prefilter: most policies name few of a row's actions
        steps: list[Step] = []
        for entry in path.actions:
            step = self.step(entry)
            if step is None:
                return None
            steps.append(step)
        return PathFinding(path, tuple(steps), self.identity[0])

    def step(self, entry: PathAction) -> Step | None:
        if entry in self._steps:
            return self._steps[entry]
        found = self._search(entry)
        self._steps[entry] = found
        return found

    def _search(self, entry: PathAction) -> Step | None:
        from iamgate.catalog import get_catalog
        from iamgate.evaluator import Request

        info = get_catalog().lookup(entry.action)
        if info is None:
            return None  # the table test proves every action is in the catalog
        space = self.space
        for resource in self.resources(entry, info):
            for fixed in _alternatives(entry):
                for context, ckey in space.contexts(info, fixed):
                    if entry.outside and space.boundary_approved(context.get(BOUNDARY_KEY)):
                        continue  # the target carries the approved boundary: capped by it
                    key = (info.full.lower(), resource, ckey)
                    decision = self._memo.get(key)
                    if decision is None:
                        request = Request(info.full, resource, context)
                        decision = self._memo[key] = self.decide(request)
                    if decision.allowed:
                        return Step(entry, Request(info.full, resource, context), decision)
        return None

    def resources(self, entry: PathAction, info: ActionInfo) -> list[str]:
        if entry.on == (ANY,) or not info.resource_types:
            return ["*"]
        types = [t for t, _ in info.resource_types if entry.on == (NEW,) or t.name in entry.on]
        found: list[str] = []
        for rtype in types:
            for arn in self.space.type_resources(rtype):
                if entry.outside and self.inside(arn, rtype):
                    continue
                if entry.others_only and arn == self.space.caller_arn:
                    continue
                found.append(arn)
        # Outsiders first: "AdminInstance" tells the reader more than "service-x" does.
        prefix = self.space.prefix
        return sorted(dict.fromkeys(found), key=lambda arn: inside_prefix(arn, prefix))

    def inside(self, arn: str, rtype: ResourceType) -> bool:
        """Is the resource the delegates' own? Its ARN names the prefix (by path or by name),
        and its type is one a name can scope at all."""
        parts = arn.split(":", 5)
        if len(parts) == 6 and (parts[2], rtype.name) in self.table.prefix_blind:
            return False
        return inside_prefix(arn, self.space.prefix)


def inside_prefix(arn: str, prefix: str) -> bool:
    """Does a name in the ARN's resource part (after the type) start with the prefix?
    ``role/service-x``, ``role/service-x/AdminRole`` (a path the delegates own),
    ``stack/service-x/1234``, ``function:service-x``."""
    parts = arn.split(":", 5)
    names = _SEPARATOR.split(parts[5] if len(parts) == 6 else arn)
    return any(name.startswith(prefix) for name in (names[1:] or names))


_SEPARATOR = re.compile(r"[/:]")


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


@cache
def table_services(table: Table | None = None) -> tuple[str, ...]:
    """The services the table's actions belong to: a policy naming none is skipped at once."""
    rows = (table or default_table()).paths
    return tuple(sorted({a.action.partition(":")[0] for p in rows for a in p.actions}))
