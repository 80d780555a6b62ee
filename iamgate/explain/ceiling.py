"""The ceiling of a role the delegate creates: any policy ∩ its boundary ∩ the SCPs above it
∩ the RCPs above the account, for requests to the account's own resources (RCPs are placed by
the resource's account; resources of other accounts are asked without RCPs).

Each layer is asked on its own (what the boundary alone allows, what the SCPs alone allow) and
all together (the ceiling), for every action of every service some statement names, on the
resources the statements name and on one they do not. A layer's answer per service and
catalog access level is one cell of the picture; the statements that allowed or denied are the
limits a reviewer is shown. Services no statement names are all treated alike by every
layer, so one sample action per access level stands for them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from iamgate.explain.delegate import source_of
from iamgate.explain.model import (
    LEVELS,
    OTHER_SERVICES,
    Ceiling,
    Cell,
    Layer,
    ServiceReach,
    Source,
    primary_level,
)
from iamgate.explain.probes import (
    ANY_OTHER,
    Probe,
    condition_values,
    contexts,
    named_probes,
    probes_for,
)

if TYPE_CHECKING:
    from iamgate.catalog import ActionInfo, Catalog
    from iamgate.evaluator import Decision, Request
    from iamgate.model import Policy
    from iamgate.organization import Placement

LAYER_KINDS = ("identity", "boundary", "scps", "rcps", "ceiling")
ANY_POLICY = "Any policy attached"
MAX_LISTED_ACTIONS = 6  # a reach of more actions than this is told by count


@dataclass
class _Tally:
    """One layer's answers for one action."""

    resources: set[str] = field(default_factory=set)
    conditions: set[str] = field(default_factory=set)
    unconditional: bool = False
    allowed_by: set[Source] = field(default_factory=set)
    denied_by: set[Source] = field(default_factory=set)

    @property
    def allowed(self) -> bool:
        return bool(self.resources)


@dataclass(frozen=True)
class _Row:
    """Every layer's answers for one action."""

    action: ActionInfo
    tallies: dict[str, _Tally]
    applicable: bool  # some statement names a resource this action can act on


@dataclass(frozen=True)
class Stack:
    """The policies of one ceiling, and how each layer is asked."""

    identity: Sequence[Policy]
    identity_title: str
    boundary: Policy | None
    placement: Placement

    @property
    def kinds(self) -> tuple[str, ...]:
        """The layers asked: the RCP layer only where some RCP is attached on the path."""
        if self.placement.rcps:
            return LAYER_KINDS
        return tuple(kind for kind in LAYER_KINDS if kind != "rcps")

    def ask(self, kind: str, request: Request) -> Decision | None:
        from iamgate.evaluator import evaluate
        from iamgate.organization import allow_everything

        if kind == "identity":
            return evaluate(request, self.identity)
        if kind == "boundary":
            return evaluate(request, [self.boundary]) if self.boundary is not None else None
        if kind == "scps":
            return evaluate(request, [allow_everything()], None, self.placement.scps)
        if kind == "rcps":
            return evaluate(request, [allow_everything()], None, (), self._rcps(request))
        scps = self.placement.scps
        return evaluate(request, self.identity, self.boundary, scps, self._rcps(request))

    def _rcps(self, request: Request) -> list[list[Policy]]:
        from iamgate.evaluator.rcp_scope import resource_account

        own = self.placement.account
        return self.placement.rcps if resource_account(request, own) == own else []

    def policies(self) -> list[Policy]:
        scps = [p for level in self.placement.levels for p in level.attached]
        rcps = [p for _, p in self.placement.attached_rcps()]
        return [*self.identity, *([self.boundary] if self.boundary else []), *scps, *rcps]


def named_services(policies: Iterable[Policy], catalog: Catalog) -> list[str]:
    """Services a statement names: in an Action/NotAction pattern, or as the service part of a
    Resource/NotResource ARN (a NotAction statement on a table ARN reaches DynamoDB without
    naming it). A bare "*" names none in particular."""
    found: set[str] = set()
    for policy in policies:
        for statement in policy.statements:
            for pattern in (*(statement.action or ()), *(statement.not_action or ())):
                service, sep, _ = pattern.strip().partition(":")
                if sep and service:
                    found.update(catalog.matching_services(service))
            for arn in (*(statement.resource or ()), *(statement.not_resource or ())):
                parts = arn.strip().split(":")
                if len(parts) > 2 and parts[0] == "arn" and parts[2] not in ("", "*"):
                    found.update(catalog.matching_services(parts[2]))
    return sorted(found)


def compute_ceiling(stack: Stack, account: str, role_arn: str) -> Ceiling:
    from iamgate.catalog import get_catalog

    catalog = get_catalog()
    from iamgate.explain.rcps import ORGANIZATION

    # The role is in the organization, and so are the account's resources.
    base: dict[str, tuple[str, ...]] = {
        "aws:PrincipalArn": (role_arn,),
        "aws:PrincipalAccount": (account,),
        "aws:PrincipalOrgID": (ORGANIZATION,),
        "aws:PrincipalIsAWSService": ("false",),
        "aws:ResourceOrgID": (ORGANIZATION,),
    }
    policies = stack.policies()
    named = named_probes(policies, base)
    variants = condition_values(policies, base)
    services = named_services(policies, catalog)
    rows: dict[str, list[_Row]] = defaultdict(list)
    for service in services:
        for action in catalog.expand(f"{service}:*"):
            probes = probes_for(action, named, account)
            keys = {k: v for k, v in variants.items() if catalog.supports_key(action.full, k)}
            applicable = any(p.named for p in probes)
            rows[service].append(
                _Row(action, _ask_all(stack, action, probes, base, keys), applicable)
            )
    for action in _sample_other_services(catalog, set(services)):
        probes = probes_for(action, [], account)
        rows[OTHER_SERVICES].append(_Row(action, _ask_all(stack, action, probes, base, {}), False))
    layers = tuple(_layer(kind, stack, rows) for kind in stack.kinds)
    ceiling = layers[-1]
    reach = tuple(_reach(service, rows[service]) for service in services)
    reach = tuple(r for r in reach if r.levels)
    listed = sorted(services, key=lambda s: (not any(r.service == s for r in reach), s))
    name = stack.boundary.name if stack.boundary else None
    return Ceiling(
        boundary=name,
        boundary_file=stack.boundary.file if stack.boundary else None,
        headline=_headline(reach, name, stack.identity_title),
        reach=reach,
        other_services=_other_sentence(ceiling, name),
        services=(*listed, OTHER_SERVICES),
        layers=layers,
    )


def _ask_all(
    stack: Stack,
    action: ActionInfo,
    probes: list[Probe],
    base: dict[str, tuple[str, ...]],
    keys: dict[str, list[str]],
) -> dict[str, _Tally]:
    from iamgate.evaluator import Request

    out = {kind: _Tally() for kind in stack.kinds}
    for probe in probes:
        for labels, context in contexts(base, keys):
            request = Request(action.full, probe.arn, context)
            for kind in stack.kinds:
                decision = stack.ask(kind, request)
                _record(out[kind], decision, probe, labels, kind)
                if kind == "scps" and decision is not None and decision.allowed:
                    out[kind].allowed_by.update(_scp_allows(stack, request))
    return out


def _scp_allows(stack: Stack, request: Request) -> set[Source]:
    """The Allow statements of attached SCPs that let ``request`` through: since September
    2025 an SCP Allow may name resources and conditions, so it can be the limit a reader
    needs to see (FullAWSAccess, AWS's allow-all, never is)."""
    from iamgate.evaluator import statement_matches

    return {
        source_of(policy, statement)
        for _, policy in stack.placement.attached()
        for statement in policy.statements
        if statement.allows and statement_matches(statement, request, policy.version)
    }


def _record(
    tally: _Tally, decision: Decision | None, probe: Probe, labels: tuple[str, ...], kind: str
) -> None:
    if decision is None:  # no boundary: the layer does not limit anything
        tally.resources.add("*" if not probe.named else probe.label)
        tally.unconditional = True
        return
    if decision.allowed:
        tally.resources.add("*" if probe.label in (ANY_OTHER, "*") else probe.label)
        if labels:
            tally.conditions.add(" and ".join(labels))
        else:
            tally.unconditional = True
        if kind in ("identity", "boundary"):
            tally.allowed_by.update(_sources(decision, kind))
    elif decision.decision == "explicit_deny":
        tally.denied_by.update(_sources(decision, None))


def _sources(decision: Decision, kind: str | None) -> set[Source]:
    from iamgate.organization import allow_everything, full_aws_access

    stand_ins = (allow_everything(), full_aws_access())  # "any policy" and AWS's default SCP
    out = set()
    for policy, statement in decision.statements:
        if any(policy is p for p in stand_ins):
            continue
        source = source_of(policy, statement)
        if kind == "boundary":
            source = Source(
                "boundary", source.policy, source.file, source.line, source.sid, source.effect
            )
        out.add(source)
    return out


def _sample_other_services(catalog: Catalog, named: set[str]) -> list[ActionInfo]:
    """One action per access level from services no statement names."""
    wanted: dict[str, ActionInfo | None] = dict.fromkeys(LEVELS)
    for service in catalog.services():
        if service in named:
            continue
        for action in catalog.expand(f"{service}:*"):
            level = primary_level(action.access_level)
            if wanted.get(level) is None:
                wanted[level] = action
        if all(wanted.values()):
            break
    return [a for a in wanted.values() if a is not None]


def _layer(kind: str, stack: Stack, rows: dict[str, list[_Row]]) -> Layer:
    cells = []
    for service, members in rows.items():
        per_level: dict[str, list[_Row]] = defaultdict(list)
        for row in members:
            per_level[primary_level(row.action.access_level)].append(row)
        for level in LEVELS:
            if per_level.get(level):
                cells.append(_cell(kind, stack, service, level, per_level[level]))
    return Layer(kind, _layer_title(kind, stack), _layer_policies(kind, stack), tuple(cells))


def _cell(kind: str, stack: Stack, service: str, level: str, members: list[_Row]) -> Cell:
    resources: set[str] = set()
    conditions: set[str] = set()
    allowed_by: set[Source] = set()
    denied_by: set[Source] = set()
    not_allowed_by: set[str] = set()
    allowed = []
    for row in members:
        tally = row.tallies[kind]
        denied_by |= tally.denied_by
        if tally.allowed:
            allowed.append(row.action.full)
            resources |= tally.resources
            if not tally.unconditional:
                conditions |= tally.conditions
        if kind != "ceiling":
            allowed_by |= tally.allowed_by
        elif tally.allowed:
            # What let it through is what limits it: the boundary's (or the policies') Allows.
            limiter = row.tallies["boundary" if stack.boundary else "identity"]
            allowed_by |= limiter.allowed_by | row.tallies["scps"].allowed_by
        elif not tally.denied_by:
            not_allowed_by |= _silent_layers(stack, row)
    return Cell(
        service=service,
        level=level,
        allowed=tuple(sorted(allowed)),
        total=len(members),
        resources=("*",) if "*" in resources else tuple(sorted(resources)),
        conditions=tuple(sorted(conditions)),
        allowed_by=tuple(sorted(allowed_by, key=_place)),
        denied_by=tuple(sorted(denied_by, key=_place)),
        not_allowed_by=tuple(sorted(not_allowed_by)),
    )


def _silent_layers(stack: Stack, row: _Row) -> set[str]:
    """The layers that simply do not allow an action (no Deny statement involved)."""
    out = set()
    if not row.tallies["identity"].allowed:
        out.add(stack.identity_title.lower())
    if stack.boundary is not None and not row.tallies["boundary"].allowed:
        out.add(f"boundary {stack.boundary.name}")
    if not row.tallies["scps"].allowed:
        out.add("the SCPs")
    if "rcps" in row.tallies and not row.tallies["rcps"].allowed:
        out.add("the RCPs")
    return out


def _place(source: Source) -> tuple[str, int]:
    return (source.file, source.line)


def _layer_title(kind: str, stack: Stack) -> str:
    if kind == "identity":
        return stack.identity_title
    if kind == "boundary":
        return f"Boundary {stack.boundary.name}" if stack.boundary else "No boundary"
    if kind == "scps":
        return "SCPs on " + " › ".join(level.name for level in stack.placement.levels)
    if kind == "rcps":
        return "RCPs on " + " › ".join(level.name for level in stack.placement.rcp_levels)
    return "Ceiling"


def _layer_policies(kind: str, stack: Stack) -> tuple[tuple[str, str], ...]:
    if kind == "identity":
        return tuple((p.name, p.file) for p in stack.identity)
    if kind == "boundary":
        return ((stack.boundary.name, stack.boundary.file),) if stack.boundary else ()
    if kind == "scps":
        return tuple((p.name, p.file) for _, p in stack.placement.attached())
    if kind == "rcps":
        return tuple((p.name, p.file) for _, p in stack.placement.attached_rcps())
    return ()


def _reach(service: str, rows: list[_Row]) -> ServiceReach:
    allowed = [row for row in rows if row.tallies["ceiling"].allowed]
    resources: set[str] = set()
    conditions: set[str] = set()
    allowed_by: set[Source] = set()
    denied_by: set[Source] = set()
    for row in rows:
        tally = row.tallies["ceiling"]
        denied_by |= tally.denied_by
        if tally.allowed:
            resources |= tally.resources
            if not tally.unconditional:
                conditions |= tally.conditions
            allowed_by |= row.tallies["boundary"].allowed_by | row.tallies["scps"].allowed_by
    names = {row.action.full for row in allowed}
    applicable = [row.action.full for row in rows if row.applicable]
    if not allowed:
        label = f"no {service} action"
    elif len(allowed) == len(rows) or (applicable and all(a in names for a in applicable)):
        label = f"{service}:*"
    elif len(allowed) <= MAX_LISTED_ACTIONS:
        label = ", ".join(sorted(names))
    else:
        label = f"{len(allowed)} of {len(rows)} {service} actions"
    levels = tuple(
        level
        for level in LEVELS
        if any(primary_level(r.action.access_level) == level for r in allowed)
    )
    return ServiceReach(
        service=service,
        label=label,
        levels=levels,
        resources=("*",) if "*" in resources else tuple(sorted(resources)),
        conditions=tuple(sorted(conditions)),
        allowed_by=tuple(sorted(allowed_by, key=_place)),
        denied_by=tuple(sorted(denied_by, key=_place)),
    )


def _headline(reach: tuple[ServiceReach, ...], boundary: str | None, identity_title: str) -> str:
    given = (
        "whatever policies are attached to them, even AdministratorAccess or AmazonS3FullAccess"
        if identity_title == ANY_POLICY
        else f"with {identity_title}"
    )
    who = (
        f"Roles created with the boundary {boundary}"
        if boundary
        else "Roles created without a boundary"
    )
    if not reach:
        return f"{who} can do nothing at all, {given}."
    parts = []
    for item in reach:
        where = "any resource" if item.resources == ("*",) else " and ".join(item.resources)
        when = f" (only when {'; '.join(item.conditions)})" if item.conditions else ""
        parts.append(f"{item.label} on {where}{when}")
    return f"{who} can reach at most {'; '.join(parts)} — {given}."


def _other_sentence(ceiling: Layer, boundary: str | None) -> str:
    cells = [c for c in ceiling.cells if c.service == OTHER_SERVICES]
    if not any(c.allowed for c in cells):
        why = f"the boundary {boundary} names none of them" if boundary else "the SCPs deny them"
        return f"Every other AWS service: nothing ({why})."
    return "Every other AWS service: allowed on any resource, limited only by the SCPs."
