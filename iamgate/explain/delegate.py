"""What a delegation policy lets the delegate do in IAM, grouped the way a reviewer thinks.

Every IAM action of the catalog is put to the evaluator on resources named with the
delegation prefix, on resources named otherwise, and on the project's own policies (the
boundaries, the iamgate-managed policies, the delegation policy itself), with and without
each permissions boundary. The groups ("create roles only with boundary X", "pass service-*
roles", "read-only IAM") come from those answers and the catalog's access levels, never from
reading the policy's patterns.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from iamgate.catalog import fill_template
from iamgate.explain.model import Denial, Grant, Source, primary_level
from iamgate.explain.probes import ELSEWHERE, condition_values, contexts

if TYPE_CHECKING:
    from iamgate.catalog import ActionInfo
    from iamgate.evaluator import Decision
    from iamgate.model import Policy, Statement

BOUNDARY_KEY = "iam:PermissionsBoundary"
NO_BOUNDARY = "(no boundary)"
OTHER_BOUNDARY = "(a boundary outside the repository)"
PREFIXED, OTHER, ANYWHERE = "prefixed", "other", "*"
NOUNS = {
    "role": "roles",
    "policy": "managed policies",
    "instance-profile": "instance profiles",
    "user": "users",
    "group": "groups",
}
# The actions that create a principal or change its permissions (rule IG301
# boundary-condition, README "Rules"): without a boundary requirement they are the escalation
# path.
PERMISSION_CHANGING = frozenset(
    f"{verb}{who}{what}".lower()
    for who in ("Role", "User")
    for verb, what in (
        ("Create", ""),
        ("Put", "Policy"),
        ("Attach", "Policy"),
        ("Detach", "Policy"),
        ("Delete", "Policy"),
        ("Put", "PermissionsBoundary"),
    )
)
GROUP_ORDER = ("boundary", "unbounded", "policies", "manage", "pass", "other", "read", "never")


@dataclass(frozen=True)
class Scenario:
    """Who the delegate is, where, and which names in the project matter."""

    policy: Policy
    scps: list[list[Policy]]
    account: str
    prefix: str
    deploy_path: str
    boundary_names: tuple[str, ...]  # every policy in boundaries/
    managed_names: tuple[str, ...]  # every policy the pipeline deploys

    @property
    def delegate_arn(self) -> str:
        return f"arn:aws:iam::{self.account}:role/iamgate-explain-delegate"

    def policy_arn(self, name: str) -> str:
        return f"arn:aws:iam::{self.account}:policy{self.deploy_path}{name}"

    @property
    def base_context(self) -> dict[str, tuple[str, ...]]:
        return {"aws:PrincipalArn": (self.delegate_arn,), "aws:PrincipalAccount": (self.account,)}


@dataclass
class ActionOutcome:
    """What the evaluator answered for one action, per kind of resource."""

    action: ActionInfo
    rtype: str
    allowed: set[str] = field(default_factory=set)  # probe labels
    probed: set[str] = field(default_factory=set)
    boundaries: set[str] = field(default_factory=set)  # under which the action was allowed
    allow_sources: set[Source] = field(default_factory=set)
    denied_explicitly: dict[str, set[Source]] = field(default_factory=lambda: defaultdict(set))


def source_of(policy: Policy, statement: Statement) -> Source:
    layer = {"identity": "delegation", "scp": "scp", "rcp": "rcp", "boundary": "boundary"}[
        policy.kind
    ]
    return Source(
        layer,
        policy.name,
        policy.file,
        policy.line_of(statement.path),
        statement.sid,
        statement.effect,
    )


def _probes(action: ActionInfo, scenario: Scenario) -> list[tuple[str, str]]:
    """(label, ARN): a prefixed name, another name, and the project's own policies by name."""
    if not action.resource_types:
        return [(ANYWHERE, "*")]
    out: list[tuple[str, str]] = []
    for rtype, _ in action.resource_types:
        template = rtype.arn_patterns[0]
        out.append(
            (PREFIXED, fill_template(template, scenario.account, f"{scenario.prefix}example"))
        )
        out.append((OTHER, fill_template(template, scenario.account, ELSEWHERE)))
        if rtype.name == "policy":
            names = {*scenario.boundary_names, *scenario.managed_names, scenario.policy.name}
            out.extend((name, scenario.policy_arn(name)) for name in sorted(names))
    return out


def probe_actions(scenario: Scenario, actions: Iterable[ActionInfo]) -> list[ActionOutcome]:
    from iamgate.catalog import get_catalog
    from iamgate.evaluator import Request, evaluate

    catalog = get_catalog()
    base = scenario.base_context
    layers = [scenario.policy, *(p for level in scenario.scps for p in level)]
    variants = condition_values(layers, base)
    boundary_values = {scenario.policy_arn(n): n for n in scenario.boundary_names}
    foreign = scenario.policy_arn(f"{ELSEWHERE}-boundary")
    outcomes = []
    for action in actions:
        keys = {
            k: v for k, v in variants.items()
            if k.lower() != BOUNDARY_KEY.lower() and catalog.supports_key(action.full, k)
        }  # fmt: skip
        bounded = catalog.supports_key(action.full, BOUNDARY_KEY)
        if bounded:
            keys[BOUNDARY_KEY] = [*boundary_values, foreign]
        rtype = action.resource_types[0][0].name if action.resource_types else "*"
        outcome = ActionOutcome(action, rtype)
        for label, arn in _probes(action, scenario):
            outcome.probed.add(label)
            for _, context in contexts(base, keys):
                decision: Decision = evaluate(
                    Request(action.full, arn, context), [scenario.policy], None, scenario.scps
                )
                if decision.allowed:
                    outcome.allowed.add(label)
                    outcome.allow_sources.update(source_of(p, s) for p, s in decision.statements)
                    if bounded:
                        value = context.get(BOUNDARY_KEY, (None,))[0]
                        outcome.boundaries.add(
                            NO_BOUNDARY
                            if value is None
                            else boundary_values.get(value, OTHER_BOUNDARY)
                        )
                elif decision.decision == "explicit_deny":
                    outcome.denied_explicitly[label].update(
                        source_of(p, s) for p, s in decision.statements
                    )
        outcomes.append(outcome)
    return outcomes


def _scope(outcome: ActionOutcome) -> str:
    if OTHER in outcome.allowed or ANYWHERE in outcome.allowed:
        return "any"
    if PREFIXED in outcome.allowed:
        return "prefix"
    return "named" if outcome.allowed else "none"


def _denials(outcome: ActionOutcome, scope: str, prefix: str) -> list[Denial]:
    """Named resources the grant would cover, or that a Deny guards, yet are not allowed."""
    out = []
    for label in sorted(outcome.probed - outcome.allowed - {PREFIXED, OTHER, ANYWHERE}):
        covered = scope == "any" or (scope == "prefix" and label.startswith(prefix))
        explicit = outcome.denied_explicitly.get(label, set())
        if covered or explicit:
            out.append(Denial(label, bool(explicit), tuple(sorted(explicit, key=_place))))
    return out


def _place(source: Source) -> tuple[str, int]:
    return (source.file, source.line)


def _kind(outcome: ActionOutcome, scope: str) -> tuple[str, tuple[str, ...]]:
    if scope == "none":
        # "Never" is the delegation policy's own promise (an SCP may back it up); what only an
        # SCP denies to a policy that grants nothing in IAM is not the delegate's concern.
        explicit = outcome.denied_explicitly
        anonymous = outcome.probed & {PREFIXED, OTHER, ANYWHERE}
        promised = any(s.layer == "delegation" for found in explicit.values() for s in found)
        return ("never", ()) if promised and anonymous and anonymous <= set(explicit) else ("", ())
    unrestricted = outcome.boundaries & {NO_BOUNDARY, OTHER_BOUNDARY}
    if outcome.boundaries and not unrestricted:
        return "boundary", tuple(sorted(outcome.boundaries))
    if unrestricted and outcome.action.name.lower() in PERMISSION_CHANGING:
        return "unbounded", ()
    if outcome.action.name.lower() == "passrole":
        return "pass", ()
    if primary_level(outcome.action.access_level) in ("Read", "List"):
        return "read", ()
    if outcome.rtype in NOUNS:
        return ("policies" if outcome.rtype == "policy" else "manage"), ()
    return "other", ()


def _title(
    kind: str, rtype: str, scope: str, boundaries: tuple[str, ...], prefix: str, named: list[str]
) -> str:
    noun = NOUNS.get(rtype, "IAM resources")
    where = {
        "prefix": f"named {prefix}*",
        "any": "of any name",
        "named": "named " + ", ".join(named),
    }.get(scope, "")
    if kind == "boundary":
        plural = "s" if len(boundaries) > 1 else ""
        names = ", ".join(boundaries)
        return (
            f"Create and change {noun} {where} — only with the permissions boundary{plural} {names}"
        )
    if kind == "unbounded":
        return f"Create and change {noun} {where} — with any permissions boundary, or none"
    if kind == "pass":
        return f"Pass {noun} {where} to AWS services"
    if kind == "policies":
        return f"Create and edit {noun} {where}"
    if kind == "manage":
        return f"Manage {noun} {where}"
    if kind == "read":
        return "Read-only IAM" if scope == "any" else f"Read-only IAM, on resources {where}"
    if kind == "never":
        return "Never, whatever the resource (explicitly denied)"
    return f"Other IAM changes, on resources {where}"


def group(outcomes: list[ActionOutcome], prefix: str) -> list[Grant]:
    buckets: dict[
        tuple[str, str, str, tuple[str, ...], tuple[str, ...]],
        list[tuple[ActionOutcome, str, tuple[str, ...]]],
    ] = defaultdict(list)
    for outcome in outcomes:
        scope = _scope(outcome)
        kind, boundaries = _kind(outcome, scope)
        if not kind:
            continue
        rtype = (
            outcome.rtype if kind in ("boundary", "unbounded", "pass", "policies", "manage") else ""
        )
        named = tuple(sorted(outcome.allowed)) if scope == "named" else ()
        buckets[(kind, rtype, scope, boundaries, named)].append((outcome, scope, boundaries))
    grants = []
    for (kind, rtype, scope, boundaries, named), members in buckets.items():
        denials: dict[str, tuple[bool, set[Source]]] = {}
        sources: set[Source] = set()
        for outcome, _, _ in members:
            if kind == "never":
                sources.update(s for found in outcome.denied_explicitly.values() for s in found)
            else:
                sources.update(outcome.allow_sources)
                for denial in _denials(outcome, scope, prefix):
                    explicit, found = denials.get(denial.name, (False, set()))
                    denials[denial.name] = (
                        explicit or denial.explicit,
                        found | set(denial.sources),
                    )
        grants.append(
            Grant(
                kind=kind,
                title=_title(kind, rtype, scope, boundaries, prefix, list(named)),
                actions=tuple(sorted(o.action.full for o, _, _ in members)),
                scope=scope,
                boundaries=boundaries,
                denials=tuple(
                    Denial(name, explicit, tuple(sorted(found, key=_place)))
                    for name, (explicit, found) in sorted(denials.items())
                ),
                sources=tuple(sorted(sources, key=_place)),
            )
        )
    grants.sort(key=lambda g: (GROUP_ORDER.index(g.kind), g.title))
    return grants


def role_boundaries(outcomes: list[ActionOutcome]) -> set[str]:
    """The boundaries a role can be created with (NO_BOUNDARY / OTHER_BOUNDARY included)."""
    for outcome in outcomes:
        if outcome.action.full.lower() == "iam:createrole":
            return set(outcome.boundaries) if outcome.allowed else set()
    return set()
