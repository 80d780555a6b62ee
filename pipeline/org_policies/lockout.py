"""No plan may lock out a root, OU or account: the SCPs left attached there must allow something.

An SCP level allows a request only when some SCP attached there allows it and none denies it
(https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html).
Detaching FullAWSAccess where only Deny statements remain therefore denies every principal
below that target, the management account's own roles excepted — and nothing deployed from
inside the organization can undo it. The evaluator decides, as ``iamgate simulate`` does:
each Allow statement left at the target yields candidate requests (its actions, wildcards
expanded through the action catalog, and a few common read actions), asked with no
request context; the level allows something when one of them is allowed. A Deny whose
condition exempts some principals (a break-glass role) counts as denying: that plan is
refused too, conservatively. Each target the plan touches is judged with its whole path —
the root and OUs above it (their SCPs after the plan) and its own level — so an OU allowing
only s3 below one allowing only ec2 is a lockout too. Targets below a touched one are not
walked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .plan import OrgPlan, after_plan

ALLOW_ALL: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
# Asked whatever the Allow statements say, and instead of expanding "*" (every action).
PROBES = ("sts:GetCallerIdentity", "s3:ListAllMyBuckets", "ec2:DescribeInstances", "iam:GetUser")
PER_PATTERN = 25  # expanded actions tried per wildcard pattern


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _actions(statement: dict[str, Any]) -> list[str]:
    from iamgate.catalog import get_catalog, has_wildcard

    out: list[str] = []
    for pattern in _items(statement.get("Action", [])):
        text = str(pattern)
        if text == "*" or not has_wildcard(text):
            out += [] if text == "*" else [text]
            continue
        out += [info.full for info in get_catalog().expand(text)[:PER_PATTERN]]
    return out


def _resources(statement: dict[str, Any]) -> list[str]:
    patterns = [str(r) for r in _items(statement.get("Resource", "*"))]
    return [p.replace("*", "x").replace("?", "x") if p != "*" else "*" for p in patterns]


def allows_something(documents: Iterable[dict[str, Any]]) -> bool:
    """Whether one SCP level holding ``documents`` allows any request at all."""
    return path_allows_something([list(documents)])


def path_allows_something(levels: list[list[dict[str, Any]]]) -> bool:
    """Whether the SCP levels of a path (root first; each the documents attached there)
    allow any request at all: every level must allow it and none deny it."""
    from iamgate.evaluator import Request, evaluate
    from iamgate.model import policy_from_data

    scps = [
        [policy_from_data(d, f"scp{n}.{i}", "scp") for i, d in enumerate(level)]
        for n, level in enumerate(levels)
    ]
    identity = [policy_from_data(ALLOW_ALL, "everything")]
    candidates: list[tuple[str, str]] = [(probe, "*") for probe in PROBES]
    for doc in (d for level in levels for d in level):
        for statement in _items(doc.get("Statement", [])):
            if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
                continue
            resources = _resources(statement)
            candidates += [(a, r) for a in _actions(statement) for r in resources]
    return any(
        evaluate(Request(action, resource), identity, scps=scps).decision == "allowed"
        for action, resource in dict.fromkeys(candidates)
    )


def affected_targets(plan: OrgPlan, updated_at: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """Target id -> label: where the plan attaches or detaches, and where an SCP it updates
    is attached (``updated_at``: SCP name -> target ids)."""
    out: dict[str, str] = {}
    for change in plan.changes:
        if change.target is not None and change.action in ("attach", "detach"):
            out[change.target.id] = change.target.label
        if change.action == "update":
            for target_id in updated_at.get(change.policy, ()):
                out.setdefault(target_id, target_id)
    return out


def refuse_lockouts(
    plan: OrgPlan,
    targets: Mapping[str, str],
    attached: Any,
    document_of: Any,
    ancestors_of: Any,
) -> None:
    """Record a refusal for every target whose path (its ancestors' SCPs and its own, once the
    plan has run) allows nothing.

    ``attached(target_id)``: the SCPs attached there now (id -> name);
    ``document_of(policy_id, name)``: the content the SCP will have after the plan;
    ``ancestors_of(target_id)``: the root and OUs above it, root first."""
    for target_id, label in sorted(targets.items(), key=lambda item: item[1]):
        left = after_plan(plan, target_id, attached(target_id))
        if not left:
            continue  # no SCP at all: refuse_empty_targets says so, AWS's own rule
        levels = [
            after_plan(plan, ancestor, attached(ancestor)) for ancestor in ancestors_of(target_id)
        ]
        documents = [[document_of(pid, name) for pid, name in lv.items()] for lv in levels]
        own = [document_of(pid, name) for pid, name in left.items()]
        if path_allows_something([*documents, own]):
            continue
        names = ", ".join(sorted(left.values()))
        where = (
            "SCPs that allow nothing"
            if not allows_something(own)
            else ("SCPs that, with those above it, allow nothing")
        )
        plan.refusals.append(
            f"{label} ({target_id}) would be left with {where} ({names}): "
            "every principal below it would be denied every action, and the change could "
            "not be undone from inside the organization. Keep FullAWSAccess there (remove it "
            "from deploy.detach-full-aws-access) or attach an SCP that allows what is needed"
        )
