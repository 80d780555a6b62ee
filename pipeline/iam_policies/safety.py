"""What live IAM must prove before apply touches an existing policy.

For every planned update or deletion, GetPolicy is read fresh: without the ownership
tag the change becomes a conflict; a deletion of a policy still attached to a principal,
or still some user's or role's permissions boundary, becomes "retain" — reported, not
deleted. (moto refuses neither, and AWS's own DeleteConflict would surface only as a
failure.) These reads happen only for pending changes, so a no-op plan makes none.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ..ownership import tagged, untagged_reason
from .live import read_boundary_usage, read_details
from .plan import AccountPlan, Change

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

MAX_NAMED = 10  # principals named in a retained policy's reason


def _named(names: list[str]) -> str:
    shown = ", ".join(names[:MAX_NAMED])
    return f" ({shown}{f' and {len(names) - MAX_NAMED} more' if len(names) > MAX_NAMED else ''})"


def _in_use(
    change: Change,
    attachments: int,
    boundary_uses: int,
    attached_to: list[str],
    bounded: list[str],
) -> Change | None:
    reasons = []
    if attachments:
        who = _named(attached_to) if attached_to else ""
        reasons.append(f"attached to {attachments} principal{'' if attachments == 1 else 's'}{who}")
    if boundary_uses:
        users = "1 user or role" if boundary_uses == 1 else f"{boundary_uses} users or roles"
        reasons.append(f"the permissions boundary of {users}{_named(bounded) if bounded else ''}")
    if not reasons:
        return None
    why = " and ".join(reasons)
    return replace(
        change,
        action="retain",
        reason=f"{change.reason}; not deleted: still {why} (retained: not drift, not pending)",
    )


def _attached_to(iam: IAMClient, arn: str) -> list[str]:
    """Who holds the policy: ListEntitiesForPolicy, read only for a policy being retained."""
    out: list[str] = []
    paginator = iam.get_paginator("list_entities_for_policy")
    for page in paginator.paginate(PolicyArn=arn):
        out += [f"role/{r['RoleName']}" for r in page.get("PolicyRoles", ())]
        out += [f"user/{u['UserName']}" for u in page.get("PolicyUsers", ())]
        out += [f"group/{g['GroupName']}" for g in page.get("PolicyGroups", ())]
    return sorted(out)


def confirm(iam: IAMClient, plan: AccountPlan) -> None:
    """Turn unprovable or unsafe changes of ``plan`` into conflicts and retentions, in place."""
    usage: dict[str, list[str]] | None = None
    for change in list(plan.changes):
        if change.action not in ("update", "delete"):
            continue
        details = read_details(iam, change.arn)
        if not tagged(details):
            plan.replace_change(
                change, replace(change, action="conflict", reason=untagged_reason(details))
            )
            continue
        if change.action != "delete":
            continue
        boundary_uses = details.boundary_usage_count
        bounded: list[str] = []
        if boundary_uses is None or boundary_uses:
            # moto gives no count; AWS does, and the principals' own records give the names.
            if usage is None:
                usage = read_boundary_usage(iam)
            bounded = usage.get(change.arn, [])
            boundary_uses = len(bounded) if boundary_uses is None else boundary_uses
        attachments = details.attachment_count
        holders = _attached_to(iam, change.arn) if attachments else []
        kept = _in_use(change, attachments, boundary_uses, holders, bounded)
        if kept is not None:
            plan.replace_change(change, kept)
