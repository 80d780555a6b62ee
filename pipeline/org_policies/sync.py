"""The organization-policy half of plan, apply and drift (SCPs, and RCPs the same way): once
per run and per policy type, from the management account.

Read the organization's SCPs, plan, prove ownership of every SCP the plan would change
(its tag, read fresh), refuse a plan that would leave a root, OU or account with no SCP,
and for apply, write. SCPs are managed only when iamgate.yaml has ``deploy.scps`` (an
empty list included: that is how the last SCP is pruned) or ``detach-full-aws-access``;
a project without them makes no SCP call at all. RCPs (``deploy.rcps``) run through the same
flow with their own description (iamgate.organization.RCP_TYPE): AWS's RCPFullAWSAccess is
never detached, so there is no detach list, no re-attach and no lockout to refuse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from iamgate.config import Config
from iamgate.organization import SCP_TYPE as SCP
from iamgate.organization import OrgPolicyType

from ..aws_limits import refuse_too_many_scps
from ..compare import decode
from ..errors import ReportsFailures, describe
from ..ownership import TAG_KEY, TAG_VALUE
from ..targets import OrgReader
from .apply import ScpOutcome, apply_scps
from .desired import DesiredScp
from .live import (
    FULL_AWS_ACCESS_ID,
    LiveScp,
    attached_to,
    read_scps,
    read_tags,
    scps_enabled,
)
from .lockout import ALLOW_ALL, affected_targets, refuse_lockouts
from .plan import SCP_WRITES, ScpPlan, as_conflict, plan_scps, refuse_empty_targets
from .targets import ROOT, ScpTarget, resolve_attachments, resolve_reference


@dataclass
class ScpReport(ReportsFailures):
    kind: OrgPolicyType = SCP
    plan: ScpPlan | None = None
    outcomes: list[ScpOutcome] = field(default_factory=list)
    error: str = ""  # what stopped the SCP run before or during its writes

    @property
    def pending(self) -> bool:
        return self.plan is not None and self.plan.pending

    @property
    def conflicts(self) -> int:
        return self.plan.count("conflict") if self.plan is not None else 0

    @property
    def refused(self) -> bool:
        return self.plan is not None and bool(self.plan.refusals)


def manages_scps(config: Config, kind: OrgPolicyType = SCP) -> bool:
    deploy = config.raw.get("deploy") or {}
    if not kind.detachable:
        return kind.folder in deploy
    return kind.folder in deploy or bool(config.deploy.detach_full_aws_access)


def _prove_ownership(client: Any, plan: ScpPlan, kind: OrgPolicyType = SCP) -> None:
    """Turn every change to a policy without iamgate's tag into a conflict, in place."""
    checked: set[str] = set()
    for change in list(plan.changes):
        if change.action not in SCP_WRITES or change.action in ("create", "enable"):
            continue
        # No id: the SCP is created by this plan. FullAWSAccess: AWS's, detached only where
        # the configuration says so.
        if not change.policy_id or change.policy_id == kind.full_access_id:
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


def plan_organization(
    config: Config,
    desired: tuple[DesiredScp, ...],
    org: OrgReader,
    *,
    prune: bool,
    kind: OrgPolicyType = SCP,
) -> ScpPlan:
    """Raises ConfigError for a reference that does not exist; AWS errors propagate."""
    client = org.client
    enable_on = None if scps_enabled(client, kind) else ScpTarget(org.root_id(), ROOT)
    detach = config.deploy.detach_full_aws_access if kind.detachable else ()
    references = [*(a for s in desired for a in s.accounts), *detach]
    names = {a.id: a.name for a in org.all_accounts().values()} if references else {}
    attachments = resolve_attachments(desired, org, names, config.file, kind.folder)
    full_access = tuple(
        resolve_reference(ref, org, names, "deploy.detach-full-aws-access", config.file, 0)
        for ref in detach
    )
    attached: dict[str, dict[str, str]] = {
        t.id: attached_to(client, t.id, kind) for t in full_access
    }
    live = read_scps(client, kind)
    if not kind.detachable:
        # RCPFullAWSAccess stays everywhere: nothing to detach, re-attach or lock out.
        plan = plan_scps(desired, attachments, live, prune=prune, enable_on=enable_on, kind=kind)
        _prove_ownership(client, plan, kind)
        return plan
    # Where iamgate's SCPs are attached and FullAWSAccess may stay, it must be there: a target
    # removed from detach-full-aws-access gets it back (one read per such target).
    allowed_detach = {t.id for t in full_access}
    ours = {t: label for scp in live.values() if scp.marked for t, label in scp.targets.items()}
    reattach: list[ScpTarget] = []
    for target_id, label in sorted(ours.items()):
        if target_id in allowed_detach:
            continue
        attached[target_id] = attached_to(client, target_id)
        if FULL_AWS_ACCESS_ID not in attached[target_id]:
            reattach.append(ScpTarget(target_id, label))
    plan = plan_scps(
        desired,
        attachments,
        live,
        prune=prune,
        detach_full_access=full_access,
        full_access_on=frozenset(t for t, p in attached.items() if FULL_AWS_ACCESS_ID in p),
        enable_on=enable_on,
        reattach_full_access=tuple(reattach),
    )
    _prove_ownership(client, plan)
    updated_at = {name: tuple(scp.targets) for name, scp in live.items() if scp.marked}
    targets = affected_targets(plan, updated_at)
    for target_id in targets:
        if target_id not in attached:
            attached[target_id] = attached_to(client, target_id)
    refuse_empty_targets(plan, attached)

    def attached_now(target_id: str) -> dict[str, str]:
        if target_id not in attached:  # an ancestor of a touched target: read once
            attached[target_id] = attached_to(client, target_id)
        return attached[target_id]

    ancestors = org.ancestors if targets else (lambda _: [])
    refuse_lockouts(plan, targets, attached_now, _contents(client, desired, live), ancestors)
    refuse_too_many_scps(plan, targets, attached)
    return plan


def _contents(client: Any, desired: tuple[DesiredScp, ...], live: dict[str, LiveScp]) -> Any:
    """An SCP's content once the plan has run: the repository's for iamgate's, AWS's
    FullAWSAccess, and DescribePolicy for anyone else's (read once each, only here)."""
    wanted = {scp.name: scp.document for scp in desired}
    by_id = {scp.id: scp for scp in live.values()}
    read: dict[str, dict[str, Any]] = {}

    def content(policy_id: str, name: str) -> dict[str, Any]:
        if name in wanted:
            return wanted[name]
        if policy_id == FULL_AWS_ACCESS_ID:
            return ALLOW_ALL
        known = by_id.get(policy_id)
        if known is not None and known.document is not None:
            return known.document
        if policy_id not in read:
            text = client.describe_policy(PolicyId=policy_id)["Policy"]["Content"]
            read[policy_id] = decode(text)
        return read[policy_id]

    return content


def run_scps(
    config: Config,
    desired: tuple[DesiredScp, ...],
    org: OrgReader,
    *,
    command: str,
    prune: bool,
    kind: OrgPolicyType = SCP,
) -> ScpReport:
    from iamgate.config import ConfigError

    report = ScpReport(kind)
    step = f"reading the organization's {kind.label}s"
    try:
        report.plan = plan_organization(config, desired, org, prune=prune, kind=kind)
        if command == "apply" and not report.plan.refusals:
            step = f"applying {kind.label}s"
            report.outcomes = apply_scps(org.client, report.plan, kind)
    except ConfigError:
        raise
    except Exception as exc:  # the accounts' IAM is still planned and applied
        report.error = f"{step}: {describe(exc)}"
    return report
