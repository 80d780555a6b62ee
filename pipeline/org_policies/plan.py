"""The SCP plan: what apply would do to the organization's SCPs, from desired and live state.

Pure: no AWS here. SCPs are organization-level, so there is one SCP plan per run (from
the management account), not one per member account. Changes run in this order: enable
the SCP policy type on the root when the organization has not yet (AWS then attaches
FullAWSAccess everywhere, so nothing is restricted by it), create, update, attach, then
detach, then delete — a root, OU or account gains its new SCP before
it loses an old one, and an SCP is detached everywhere before it is deleted.

Only iamgate's own SCPs are ever updated, detached or deleted; a same-name SCP that is not
ours is a conflict. AWS's FullAWSAccess is detached only where
``deploy.detach-full-aws-access`` names the target. A plan that would leave a root, OU or
account with no SCP at all is refused (``refusals``) before any write: AWS refuses that
detach itself, but only once the earlier writes of the run have gone out.
https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_attach.html
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from iamgate.organization import SCP_TYPE as SCP
from iamgate.organization import OrgPolicyType

from ..compare import addition, same_document, unified_diff
from .desired import DesiredScp
from .live import FULL_AWS_ACCESS, FULL_AWS_ACCESS_ID, LiveScp
from .targets import ScpTarget

ScpAction = Literal["enable", "create", "update", "attach", "detach", "delete", "conflict"]
SCP_WRITES: tuple[str, ...] = ("enable", "create", "update", "attach", "detach", "delete")
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
class ScpChange:
    action: ScpAction
    policy: str  # the SCP's name
    policy_id: str = ""  # "" for an SCP apply creates
    target: ScpTarget | None = None  # attach, detach
    file: str | None = None
    text: str | None = None  # create, update: the content sent to Organizations
    diff: str = ""
    reason: str = ""


@dataclass
class ScpPlan:
    changes: list[ScpChange] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # SCPs already as configured
    orphans: list[str] = field(default_factory=list)  # ours, gone from deploy.scps, kept
    refusals: list[str] = field(default_factory=list)  # why this plan must not be applied

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)

    @property
    def pending(self) -> bool:
        return bool(self.changes)

    def detached_targets(self) -> dict[str, ScpTarget]:
        return {c.target.id: c.target for c in self.changes if c.action == "detach" and c.target}


def _key(change: ScpChange) -> tuple[int, str, str]:
    return (_ORDER[change.action], change.policy, change.target.label if change.target else "")


def _attach(want: DesiredScp, policy_id: str, target: ScpTarget, reason: str) -> ScpChange:
    return ScpChange("attach", want.name, policy_id, target, want.file, reason=reason)


def _detach(have: LiveScp, target_id: str, reason: str) -> ScpChange:
    target = ScpTarget(target_id, have.targets.get(target_id, target_id))
    return ScpChange("detach", have.name, have.id, target, reason=reason)


def _desired_changes(
    want: DesiredScp,
    have: LiveScp | None,
    where: tuple[ScpTarget, ...],
    plan: ScpPlan,
    kind: OrgPolicyType = SCP,
) -> list[ScpChange]:
    if have is None:
        create = ScpChange(
            "create", want.name, file=want.file, text=want.text, diff=addition(want.text, want.file)
        )
        return [create, *(_attach(want, "", t, "") for t in where)]
    if not have.marked:
        owner = "AWS" if have.aws_managed else "someone else: it has no iamgate description or tag"
        reason = (
            f"an {kind.label} named {want.name} exists ({have.id}) and belongs to {owner}; "
            "left alone"
        )
        return [ScpChange("conflict", want.name, have.id, file=want.file, reason=reason)]
    out: list[ScpChange] = []
    if have.document is None or not same_document(have.document, want.document):
        diff = unified_diff(have.document or {}, want.document, f"live {have.id}", want.file)
        out.append(
            ScpChange("update", want.name, have.id, file=want.file, text=want.text, diff=diff)
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


def plan_scps(
    desired: tuple[DesiredScp, ...],
    attachments: Mapping[str, tuple[ScpTarget, ...]],
    live: Mapping[str, LiveScp],
    *,
    prune: bool,
    detach_full_access: tuple[ScpTarget, ...] = (),
    full_access_on: frozenset[str] = frozenset(),
    enable_on: ScpTarget | None = None,
    reattach_full_access: tuple[ScpTarget, ...] = (),
    kind: OrgPolicyType = SCP,
) -> ScpPlan:
    """``full_access_on``: ids of the ``detach_full_access`` targets that still have it;
    ``enable_on``: the root, when the SCP policy type is not enabled on it yet;
    ``reattach_full_access``: targets of iamgate's SCPs that lack FullAWSAccess although
    ``detach_full_access`` does not name them (it did once: the line was removed)."""
    plan = ScpPlan()
    changes: list[ScpChange] = []
    if enable_on is not None:
        reason = (
            f"the {kind.label} policy type is not enabled; AWS attaches {kind.full_access} "
            "everywhere"
        )
        changes.append(ScpChange("enable", kind.policy_type, target=enable_on, reason=reason))
    wanted = {scp.name for scp in desired}
    for want in desired:
        have = live.get(want.name)
        changes += _desired_changes(want, have, attachments.get(want.name, ()), plan, kind)
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
        changes.append(ScpChange("delete", name, have.id, reason=why))
    for target in detach_full_access:
        if target.id in full_access_on:
            changes.append(
                ScpChange(
                    "detach",
                    FULL_AWS_ACCESS,
                    FULL_AWS_ACCESS_ID,
                    target,
                    reason="deploy.detach-full-aws-access names this target",
                )
            )
    for target in reattach_full_access:
        reason = "not in deploy.detach-full-aws-access: AWS's default SCP goes back"
        changes.append(
            ScpChange("attach", FULL_AWS_ACCESS, FULL_AWS_ACCESS_ID, target, reason=reason)
        )
    plan.changes = sorted(changes, key=_key)
    return plan


def refuse_empty_targets(plan: ScpPlan, attached: Mapping[str, Mapping[str, str]]) -> None:
    """Record a refusal for every root, OU or account the plan would leave with no SCP.

    ``attached``: for each target the plan detaches from, the SCPs attached there now
    (policy id -> name), as ListPoliciesForTarget reads them.
    """
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
            gone = ", ".join(sorted(names.values())) or "its SCPs"
            plan.refusals.append(
                f"{target.label} ({target_id}) would be left with no SCP attached once {gone} "
                "is detached; AWS refuses that (every root, OU and account keeps at least one "
                "SCP) — attach another SCP there in deploy.scps, or keep FullAWSAccess"
            )


def as_conflict(changes: list[ScpChange], policy: str, reason: str) -> list[ScpChange]:
    """An SCP whose ownership tag is missing: its writes become one conflict, nothing else."""
    kept = [c for c in changes if c.policy != policy]
    first = next(c for c in changes if c.policy == policy)
    conflict = replace(first, action="conflict", target=None, text=None, diff="", reason=reason)
    return sorted([*kept, conflict], key=_key)
