"""The plan for one organization policy type: what apply would do, from desired and live state.

Pure: no AWS here. Organization policies belong to the organization: one plan per type and
run (from the management account), not one per member account. Changes run in this order:
enable the policy type on the root when the organization has not yet (AWS then attaches its
default allow-all, FullAWSAccess or RCPFullAWSAccess, everywhere, so nothing is restricted by
it), create, update, attach, then detach, then delete — a root, OU or account gains its new
policy before it loses an old one, and a policy is detached everywhere before it is deleted.

Only iamgate's own policies are ever updated, detached or deleted; a same-name policy that is
not ours is a conflict. AWS's FullAWSAccess (the one detachable default) is detached only
where ``deploy.detach-full-aws-access`` names the target. A plan that would leave a root, OU
or account with no SCP at all is refused (``refusals``) before any write: AWS refuses that
detach itself, but only once the earlier writes of the run have gone out.
https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_attach.html
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from iamgate.org_policy_types import OrgPolicyType

from ..compare import addition, same_document, unified_diff
from .desired import DesiredOrgPolicy
from .live import LiveOrgPolicy
from .targets import OrgTarget

OrgAction = Literal["enable", "create", "update", "attach", "detach", "delete", "conflict"]
WRITES: tuple[str, ...] = ("enable", "create", "update", "attach", "detach", "delete")
_ORDER = {
    "conflict": 0,
    "enable": 1,
    "create": 2,
    "update": 3,
    "attach": 4,
    "detach": 5,
    "delete": 6,
}


@dataclass(frozen=True)
class OrgChange:
    action: OrgAction
    policy: str  # the policy's name (the policy type's, for enable)
    policy_id: str = ""  # "" for a policy apply creates
    target: OrgTarget | None = None  # attach, detach
    file: str | None = None
    text: str | None = None  # create, update: the content sent to Organizations
    diff: str = ""
    reason: str = ""


@dataclass
class OrgPlan:
    kind: OrgPolicyType
    changes: list[OrgChange] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # policies already as configured
    orphans: list[str] = field(default_factory=list)  # ours, gone from deploy.<folder>, kept
    refusals: list[str] = field(default_factory=list)  # why this plan must not be applied

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)

    @property
    def pending(self) -> bool:
        return bool(self.changes)

    @property
    def enables(self) -> bool:
        return any(c.action == "enable" for c in self.changes)

    def detached_targets(self) -> dict[str, OrgTarget]:
        return {c.target.id: c.target for c in self.changes if c.action == "detach" and c.target}

    def attached_targets(self) -> dict[str, OrgTarget]:
        return {c.target.id: c.target for c in self.changes if c.action == "attach" and c.target}


def _key(change: OrgChange) -> tuple[int, str, str]:
    return (_ORDER[change.action], change.policy, change.target.label if change.target else "")


def _attach(want: DesiredOrgPolicy, policy_id: str, target: OrgTarget, reason: str) -> OrgChange:
    return OrgChange("attach", want.name, policy_id, target, want.file, reason=reason)


def _detach(have: LiveOrgPolicy, target_id: str, reason: str) -> OrgChange:
    target = OrgTarget(target_id, have.targets.get(target_id, target_id))
    return OrgChange("detach", have.name, have.id, target, reason=reason)


def _desired_changes(
    want: DesiredOrgPolicy,
    have: LiveOrgPolicy | None,
    where: tuple[OrgTarget, ...],
    plan: OrgPlan,
) -> list[OrgChange]:
    kind = plan.kind
    if have is None:
        create = OrgChange(
            "create", want.name, file=want.file, text=want.text, diff=addition(want.text, want.file)
        )
        return [create, *(_attach(want, "", t, "") for t in where)]
    if not have.marked:
        owner = "AWS" if have.aws_managed else "someone else: it has no iamgate description or tag"
        reason = (
            f"an {kind.label} named {want.name} exists ({have.id}) and belongs to {owner}; "
            "left alone"
        )
        return [OrgChange("conflict", want.name, have.id, file=want.file, reason=reason)]
    out: list[OrgChange] = []
    if have.document is None or not same_document(have.document, want.document):
        diff = unified_diff(have.document or {}, want.document, f"live {have.id}", want.file)
        out.append(
            OrgChange("update", want.name, have.id, file=want.file, text=want.text, diff=diff)
        )
    wanted = {t.id for t in where}
    for target in where:
        if target.id not in have.targets:
            out.append(_attach(want, have.id, target, "configured here, not attached"))
    for target_id in sorted(set(have.targets) - wanted):
        why = f"attached here, but deploy.{kind.folder} does not attach it"
        out.append(_detach(have, target_id, why))
    if not out:
        plan.unchanged.append(want.name)
    return out


def plan_policies(
    kind: OrgPolicyType,
    desired: tuple[DesiredOrgPolicy, ...],
    attachments: Mapping[str, tuple[OrgTarget, ...]],
    live: Mapping[str, LiveOrgPolicy],
    *,
    prune: bool,
    detach_full_access: tuple[OrgTarget, ...] = (),
    full_access_on: frozenset[str] = frozenset(),
    enable_on: OrgTarget | None = None,
    reattach_full_access: tuple[OrgTarget, ...] = (),
) -> OrgPlan:
    """``detach_full_access``: where the type's default allow-all is to be detached (a
    detachable type only); ``full_access_on``: ids of those targets that still have it;
    ``enable_on``: the root, when the policy type is not enabled on it yet;
    ``reattach_full_access``: targets of iamgate's policies that lack the default although
    ``detach_full_access`` does not name them (it did once: the line was removed)."""
    plan = OrgPlan(kind)
    changes: list[OrgChange] = []
    if enable_on is not None:
        default = f"; AWS attaches {kind.full_access} everywhere" if kind.full_access else ""
        reason = f"the {kind.label} policy type is not enabled{default}"
        changes.append(OrgChange("enable", kind.policy_type, target=enable_on, reason=reason))
    wanted = {policy.name for policy in desired}
    for want in desired:
        have = live.get(want.name)
        changes += _desired_changes(want, have, attachments.get(want.name, ()), plan)
    for name, have in sorted(live.items()):
        if name in wanted or not have.marked:
            continue
        if not prune:
            plan.orphans.append(name)
            continue
        why = f"no longer in deploy.{kind.folder}"
        changes += [
            _detach(have, t, f"{why}; detached before deletion") for t in sorted(have.targets)
        ]
        changes.append(OrgChange("delete", name, have.id, reason=why))
    if kind.full_access and kind.full_access_id:
        changes += _full_access_changes(
            kind.full_access,
            kind.full_access_id,
            [t for t in detach_full_access if t.id in full_access_on],
            reattach_full_access,
        )
    plan.changes = sorted(changes, key=_key)
    return plan


def _full_access_changes(
    name: str, policy_id: str, detach: list[OrgTarget], reattach: tuple[OrgTarget, ...]
) -> list[OrgChange]:
    out = [
        OrgChange(
            "detach",
            name,
            policy_id,
            target,
            reason="deploy.detach-full-aws-access names this target",
        )
        for target in detach
    ]
    reason = "not in deploy.detach-full-aws-access: AWS's default SCP goes back"
    out += [OrgChange("attach", name, policy_id, target, reason=reason) for target in reattach]
    return out


def refuse_empty_targets(plan: OrgPlan, attached: Mapping[str, Mapping[str, str]]) -> None:
    """Record a refusal for every root, OU or account the plan would leave with no policy of
    its type (possible only where the type's default may be detached).

    ``attached``: for each target the plan detaches from, the policies attached there now
    (policy id -> name), as ListPoliciesForTarget reads them.
    """
    label = plan.kind.label
    for target_id, target in sorted(plan.detached_targets().items(), key=lambda i: i[1].label):
        now = set(attached.get(target_id, {}))
        names = dict(attached.get(target_id, {}))
        for change in plan.changes:
            if change.target is None or change.target.id != target_id:
                continue
            if change.action == "detach":
                now.discard(change.policy_id)
            elif change.action == "attach":
                now.add(change.policy_id or f"new:{change.policy}")
        if not now:
            gone = ", ".join(sorted(names.values())) or f"its {label}s"
            plan.refusals.append(
                f"{target.label} ({target_id}) would be left with no {label} attached once "
                f"{gone} is detached; AWS refuses that (every root, OU and account keeps at "
                f"least one {label}) — attach another {label} there in "
                f"deploy.{plan.kind.folder}, or keep {plan.kind.full_access}"
            )


def as_conflict(changes: list[OrgChange], policy: str, reason: str) -> list[OrgChange]:
    """A policy whose ownership tag is missing: its writes become one conflict, nothing else."""
    kept = [c for c in changes if c.policy != policy]
    first = next(c for c in changes if c.policy == policy)
    conflict = replace(first, action="conflict", target=None, text=None, diff="", reason=reason)
    return sorted([*kept, conflict], key=_key)


def after_plan(plan: OrgPlan, target_id: str, now: Mapping[str, str]) -> dict[str, str]:
    """The policies (id, or ``new:<name>`` for one the plan creates -> name) attached to
    ``target_id`` once the plan has run; ``now``: the ones attached before."""
    left = dict(now)
    for change in plan.changes:
        if change.target is None or change.target.id != target_id:
            continue
        if change.action == "detach":
            left.pop(change.policy_id, None)
        elif change.action == "attach":
            left[change.policy_id or f"new:{change.policy}"] = change.policy
    return left


def refuse_over_quota(plan: OrgPlan, attached: Callable[[str], Mapping[str, str]]) -> None:
    """Record a refusal for every root, OU or account the plan attaches to that would then
    hold more policies of the type than AWS allows there. Everything attached counts: AWS's
    default allow-all and policies that are not iamgate's (``attached(target_id)``: the type's
    policies there now, id -> name). A plan that enables the type has nothing to read yet:
    AWS then attaches only its default."""
    kind = plan.kind
    for target_id, target in sorted(plan.attached_targets().items(), key=lambda i: i[1].label):
        if plan.enables:
            default = (kind.full_access_id, kind.full_access)
            now = {default[0]: default[1]} if default[0] and default[1] else {}
        else:
            now = dict(attached(target_id))
        left = after_plan(plan, target_id, now)
        if len(left) > kind.max_per_target:
            plan.refusals.append(
                f"{target.label} ({target_id}) would have {len(left)} {kind.label}s attached "
                f"({', '.join(sorted(left.values()))}); AWS Organizations allows at most "
                f"{kind.max_per_target} on one root, OU or account"
            )
