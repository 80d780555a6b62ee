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
refused too, conservatively. Each target is judged as one level; the intersection of
several levels on a path is not.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .scps_plan import ScpPlan

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
    from iamgate.evaluator import Request, evaluate
    from iamgate.model import policy_from_data

    docs = list(documents)
    level = [policy_from_data(d, f"scp{i}", "scp") for i, d in enumerate(docs)]
    identity = [policy_from_data(ALLOW_ALL, "everything")]
    candidates: list[tuple[str, str]] = [(probe, "*") for probe in PROBES]
    for doc in docs:
        for statement in _items(doc.get("Statement", [])):
            if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
                continue
            resources = _resources(statement)
            candidates += [(a, r) for a in _actions(statement) for r in resources]
    return any(
        evaluate(Request(action, resource), identity, scps=[level]).decision == "allowed"
        for action, resource in dict.fromkeys(candidates)
    )


def affected_targets(plan: ScpPlan, updated_at: Mapping[str, Iterable[str]]) -> dict[str, str]:
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


def after_plan(plan: ScpPlan, target_id: str, now: Mapping[str, str]) -> dict[str, str]:
    """The SCPs (id, or ``new:<name>`` for one the plan creates -> name) attached to
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


def refuse_lockouts(
    plan: ScpPlan,
    targets: Mapping[str, str],
    attached: Mapping[str, Mapping[str, str]],
    document_of: Any,
) -> None:
    """Record a refusal for every target left with SCPs that allow nothing.

    ``document_of(policy_id, name)``: the content the SCP will have after the plan."""
    for target_id, label in sorted(targets.items(), key=lambda item: item[1]):
        left = after_plan(plan, target_id, attached.get(target_id, {}))
        if not left:
            continue  # no SCP at all: refuse_empty_targets says so, AWS's own rule
        if allows_something(document_of(pid, name) for pid, name in left.items()):
            continue
        names = ", ".join(sorted(left.values()))
        plan.refusals.append(
            f"{label} ({target_id}) would be left with SCPs that allow nothing ({names}): "
            "every principal below it would be denied every action, and the change could "
            "not be undone from inside the organization. Keep FullAWSAccess there (remove it "
            "from deploy.detach-full-aws-access) or attach an SCP that allows what is needed"
        )
