"""Build the explanation of a delegation policy from the repository: where the delegate is
judged (an account or OU), what it can do in IAM, and the ceiling of the roles it creates —
any policy ∩ the boundary ∩ the SCPs on the OU path ∩ the RCPs on the account's resources.
Everything is computed by the evaluator; no AWS call."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from iamgate.config import Config
    from iamgate.explain.model import Explanation
    from iamgate.model import Policy
    from iamgate.organization import Placement
    from iamgate.project import Project


def _where(
    config: Config,
    placements: tuple[Placement, ...],
    account: str | None,
    ou: str | None,
) -> tuple[Placement, str]:
    """Where the delegate is explained: --account; else the first account the policy is
    judged in (the one lint's proofs use), within --ou when it is given."""
    from iamgate.organization import PLACEHOLDER_ACCOUNT, Placement, placement

    if account is not None:
        return placement(config, account=account, ou=ou), ""
    if ou is None:
        first = placements[0]
        others = [p.account for p in placements[1:] if p.account]
        note = f"explained in account {first.account}, the first account the policy is judged in"
        if others:
            note += f" (also deployed to {', '.join(others)}; give --account for another)"
        if first.account == PLACEHOLDER_ACCOUNT:
            note = (
                f"neither deploy.targets nor the policy's ARNs name an account: explained in "
                f"the placeholder account {first.account}"
            )
        return first, note
    level = placement(config, ou=ou)
    inside = [p for p in placements if p.ou and (p.ou + "/").startswith(f"{level.ou}/")]
    chosen = inside[0].account if inside else placements[0].account
    return Placement(chosen, level.ou, level.levels), f"explained in account {chosen}"


def _foreign_boundaries(policy: Policy, account: str) -> str:
    """Why no role can be created when the boundary condition names another account."""
    import re

    named = {
        found
        for statement in policy.statements
        for condition in statement.conditions
        if condition.key.lower() == "iam:permissionsboundary"
        for value in condition.values
        for found in re.findall(r":iam::(\d{12}):policy/", value)
    } - {account}
    if not named:
        return ""
    return (
        f" in account {account}: its boundary condition names a policy of account "
        f"{', '.join(sorted(named))}, and AWS sets as a boundary only a policy of the role's own "
        "account or an AWS managed one (it fails closed)"
    )


def explain(
    config: Config, policy_path: Path, *, account: str | None = None, ou: str | None = None
) -> Explanation:
    from iamgate.catalog import get_catalog
    from iamgate.explain.ceiling import ANY_POLICY, Stack, compute_ceiling
    from iamgate.explain.delegate import (
        NO_BOUNDARY,
        OTHER_BOUNDARY,
        Scenario,
        group,
        probe_actions,
        role_boundaries,
    )
    from iamgate.explain.model import Explanation, ScpRef
    from iamgate.explain.rcps import resource_limits
    from iamgate.organization import PLACEHOLDER_ACCOUNT, allow_everything, load_policy
    from iamgate.project import Project, kind_of
    from iamgate.rules.scp_rules import managed_policy_names

    project = Project(config.root, config)
    policy = load_policy(policy_path, config.root, kind_of(policy_path, config.root))
    pf = project.file(policy_path)
    pf.policy = policy
    where, account_note = _where(config, project.accounts_for(pf), account, ou)
    boundaries = {pf.name: pf.path for pf in project.boundary_files}
    scenario = Scenario(
        policy=policy,
        scps=where.scps,
        account=where.account or PLACEHOLDER_ACCOUNT,
        prefix=config.prefix,
        deploy_path=config.deploy.path,
        boundary_names=tuple(sorted(boundaries)),
        managed_names=tuple(managed_policy_names(project)),
    )
    outcomes = probe_actions(scenario, sorted(get_catalog().expand("iam:*"), key=lambda a: a.full))
    grants = group(outcomes, config.prefix)
    notes: list[str] = []
    allowed_boundaries = role_boundaries(outcomes)
    role_arn = f"arn:aws:iam::{scenario.account}:role/{config.prefix}example"
    ceilings = []
    loaded_boundaries = []
    for name in sorted(allowed_boundaries):
        if name == OTHER_BOUNDARY:
            notes.append(
                "the delegate can create roles with a boundary that is not in boundaries/: "
                "their ceiling cannot be computed from the repository"
            )
            continue
        boundary = (
            None if name == NO_BOUNDARY else load_policy(boundaries[name], config.root, "boundary")
        )
        if boundary is not None:
            loaded_boundaries.append(boundary)
        stack = Stack([allow_everything()], ANY_POLICY, boundary, where)
        ceiling = compute_ceiling(stack, scenario.account, role_arn)
        if boundary is not None and boundary.name in project.approved_boundaries:
            ceiling = replace(ceiling, escapes=ceiling_escapes(boundary, project, where))
        ceilings.append(ceiling)
    if not allowed_boundaries:
        notes.append(
            f"{policy.name} does not let the delegate create roles, so no role ceiling applies"
            + _foreign_boundaries(policy, scenario.account)
        )
    if NO_BOUNDARY in allowed_boundaries:
        notes.append(
            "the delegate can create roles WITHOUT a permissions boundary: those roles reach "
            "everything the SCPs allow (run iamgate lint for the counterexample)"
        )
    if account_note:
        notes.append(account_note)
    if where.ou is None:
        notes.append("the account is in no OU of organization.ous: only the root's SCPs apply")
    if any(c.unsafe for c in ceilings):
        notes.append(
            "an UNSAFE ceiling: a role created under that boundary can escalate "
            "(run iamgate lint for IG503's findings)"
        )
    limits = resource_limits(where, scenario.account)
    if where.attached_rcps():
        notes.append(
            "RCPs limit requests to this account's resources, whoever makes them; the role "
            "ceiling applies them to the account's own resources, for the services RCPs "
            "support. RCPs do not restrict resources in the management account"
        )
    return Explanation(
        policy=policy.name,
        file=policy.file,
        where=where.label,
        account=where.account,
        ou=where.ou,
        levels=tuple(level.name for level in where.levels),
        scps=tuple(
            ScpRef(level, p.name, p.file, p.document.text if p.document else "")
            for level, p in where.attached()
        ),
        grants=tuple(grants),
        ceilings=tuple(ceilings),
        notes=tuple(notes),
        policy_text=policy.document.text if policy.document else "",
        boundary_texts=tuple(
            (b.name, b.document.text if b.document else "") for b in loaded_boundaries
        ),
        rcps=tuple(
            ScpRef(level, p.name, p.file, p.document.text if p.document else "")
            for level, p in where.attached_rcps()
        ),
        resource_limits=limits,
    )


def ceiling_escapes(boundary: Policy, project: Project, where: Placement) -> tuple[str, ...]:
    """Why a role created under ``boundary`` in ``where`` can escalate (IG503's proof), one
    line per escape: the rule it breaks and the request that does it."""
    from iamgate.rules import all_rules
    from iamgate.rules.boundary_ceiling import escapes

    rules = all_rules()
    out = []
    for escape in escapes(boundary, project, (where,)):
        rule = rules.get(escape.rule)
        name = f" {rule.name}" if rule else ""
        out.append(f"{escape.rule}{name}: {escape.finding.message}")
    return tuple(out)
