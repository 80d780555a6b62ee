"""The organization-policy half of plan, apply and drift: once per run and per policy type
(iamgate.org_policy_types.ORG_POLICY_TYPES), from the management account, one flow for all.

Read the organization's policies of the type, plan, prove ownership of every policy the plan
would change (its tag, read fresh), refuse a plan Organizations would reject half-way (more
policies on a target than its quota) or that would lock a target out, and for apply, write.
A type is managed only when iamgate.yaml has ``deploy.<folder>`` (an empty list included:
that is how the last one is pruned), or, for SCPs, ``detach-full-aws-access``; a project
without them makes no call for that type at all. Where the type's default allow-all may be
detached (FullAWSAccess), a target may also be left with no policy or with policies that
allow nothing: those plans are refused too (lockout.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from iamgate.config import Config
from iamgate.org_policy_types import OrgPolicyType, detach_references

from ..compare import decode
from ..errors import ReportsFailures, describe
from ..ownership import TAG_KEY, TAG_VALUE
from ..targets import OrgReader
from .apply import OrgOutcome, apply_plan
from .desired import DesiredOrgPolicy
from .live import LiveOrgPolicy, attached_to, read_policies, read_tags, type_enabled
from .lockout import ALLOW_ALL, affected_targets, refuse_lockouts
from .plan import (
    WRITES,
    OrgPlan,
    as_conflict,
    plan_policies,
    refuse_empty_targets,
    refuse_over_quota,
)
from .targets import ROOT, OrgTarget, resolve_attachments, resolve_reference

Attached = dict[str, dict[str, str]]  # target id -> the type's policies there (id -> name)


@dataclass
class OrgPolicyReport(ReportsFailures):
    kind: OrgPolicyType
    plan: OrgPlan | None = None
    outcomes: list[OrgOutcome] = field(default_factory=list)
    error: str = ""  # what stopped the run of this type before or during its writes

    @property
    def pending(self) -> bool:
        return self.plan is not None and self.plan.pending

    @property
    def conflicts(self) -> int:
        return self.plan.count("conflict") if self.plan is not None else 0

    @property
    def refused(self) -> bool:
        return self.plan is not None and bool(self.plan.refusals)


def manages(config: Config, kind: OrgPolicyType) -> bool:
    deploy = config.raw.get("deploy") or {}
    return kind.folder in deploy or bool(detach_references(config, kind))


def _prove_ownership(client: Any, plan: OrgPlan) -> None:
    """Turn every change to a policy without iamgate's tag into a conflict, in place."""
    checked: set[str] = set()
    for change in list(plan.changes):
        if change.action not in WRITES or change.action in ("create", "enable"):
            continue
        # No id: the policy is created by this plan. The default allow-all: AWS's, detached
        # only where the configuration says so.
        if not change.policy_id or change.policy_id == plan.kind.full_access_id:
            continue
        if change.policy in checked:
            continue
        checked.add(change.policy)
        if read_tags(client, change.policy_id).get(TAG_KEY) != TAG_VALUE:
            reason = (
                f"{change.policy} ({change.policy_id}) carries iamgate's description but not the "
                f"tag {TAG_KEY}={TAG_VALUE}; ownership is not proven, so it is left alone"
            )
            plan.changes = as_conflict(plan.changes, change.policy, reason)


def _reattach(
    kind: OrgPolicyType,
    live: dict[str, LiveOrgPolicy],
    allowed_detach: set[str],
    attached_now: Callable[[str], dict[str, str]],
) -> tuple[OrgTarget, ...]:
    """Where iamgate's policies are attached and the default may stay, it must be there: a
    target removed from detach-full-aws-access gets it back (one read per such target)."""
    if not kind.detachable:
        return ()
    ours = {t: label for p in live.values() if p.marked for t, label in p.targets.items()}
    return tuple(
        OrgTarget(target_id, label)
        for target_id, label in sorted(ours.items())
        if target_id not in allowed_detach and kind.full_access_id not in attached_now(target_id)
    )


def plan_organization(
    config: Config,
    kind: OrgPolicyType,
    desired: tuple[DesiredOrgPolicy, ...],
    org: OrgReader,
    *,
    prune: bool,
) -> OrgPlan:
    """Raises ConfigError for a reference that does not exist; AWS errors propagate."""
    client = org.client
    enable_on = None if type_enabled(client, kind) else OrgTarget(org.root_id(), ROOT)
    detach = detach_references(config, kind)
    references = [*(a for p in desired for a in p.accounts), *detach]
    names = {a.id: a.name for a in org.all_accounts().values()} if references else {}
    attachments = resolve_attachments(desired, org, names, config.file, kind.folder)
    full_access = tuple(
        resolve_reference(ref, org, names, "deploy.detach-full-aws-access", config.file, 0)
        for ref in detach
    )
    attached: Attached = {t.id: attached_to(client, t.id, kind) for t in full_access}

    def attached_now(target_id: str) -> dict[str, str]:
        if target_id not in attached:  # read once per target, only when a check needs it
            attached[target_id] = attached_to(client, target_id, kind)
        return attached[target_id]

    live = read_policies(client, kind)
    plan = plan_policies(
        kind,
        desired,
        attachments,
        live,
        prune=prune,
        detach_full_access=full_access,
        full_access_on=frozenset(t for t, p in attached.items() if kind.full_access_id in p),
        enable_on=enable_on,
        reattach_full_access=_reattach(kind, live, {t.id for t in full_access}, attached_now),
    )
    _prove_ownership(client, plan)
    if kind.detachable:
        updated_at = {name: tuple(p.targets) for name, p in live.items() if p.marked}
        targets = affected_targets(plan, updated_at)
        for target_id in targets:
            attached_now(target_id)
        refuse_empty_targets(plan, attached)
        ancestors = org.ancestors if targets else (lambda _: [])
        refuse_lockouts(
            plan, targets, attached_now, _contents(client, kind, desired, live), ancestors
        )
    refuse_over_quota(plan, attached_now)
    return plan


def _contents(
    client: Any,
    kind: OrgPolicyType,
    desired: tuple[DesiredOrgPolicy, ...],
    live: dict[str, LiveOrgPolicy],
) -> Any:
    """A policy's content once the plan has run: the repository's for iamgate's, AWS's
    allow-all, and DescribePolicy for anyone else's (read once each, only here)."""
    wanted = {policy.name: policy.document for policy in desired}
    by_id = {policy.id: policy for policy in live.values()}
    read: dict[str, dict[str, Any]] = {}

    def content(policy_id: str, name: str) -> dict[str, Any]:
        if name in wanted:
            return wanted[name]
        if policy_id == kind.full_access_id:
            return ALLOW_ALL
        known = by_id.get(policy_id)
        if known is not None and known.document is not None:
            return known.document
        if policy_id not in read:
            text = client.describe_policy(PolicyId=policy_id)["Policy"]["Content"]
            read[policy_id] = decode(text)
        return read[policy_id]

    return content


def run_type(
    config: Config,
    kind: OrgPolicyType,
    desired: tuple[DesiredOrgPolicy, ...],
    org: OrgReader,
    *,
    command: str,
    prune: bool,
) -> OrgPolicyReport:
    from iamgate.config import ConfigError

    report = OrgPolicyReport(kind)
    step = f"reading the organization's {kind.label}s"
    try:
        report.plan = plan_organization(config, kind, desired, org, prune=prune)
        if command == "apply" and not report.plan.refusals:
            step = f"applying {kind.label}s"
            report.outcomes = apply_plan(org.client, report.plan)
    except ConfigError:
        raise
    except Exception as exc:  # the accounts' IAM is still planned and applied
        report.error = f"{step}: {describe(exc)}"
    return report
