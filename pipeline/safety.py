"""What live IAM must prove before apply touches an existing policy.

For every planned update or deletion, GetPolicy is read fresh: without the ownership
tag the change becomes a conflict; a deletion of a policy still attached to a principal,
or still some user's or role's permissions boundary, becomes "retain" — reported, not
deleted. (moto refuses neither, and AWS's own DeleteConflict would surface only as a
failure.) These reads happen only for pending changes, so a no-op plan makes none.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .live import read_boundary_usage, read_details
from .ownership import tagged, untagged_reason
from .plan import AccountPlan, Change


def _in_use(change: Change, attachments: int, boundary_uses: int) -> Change | None:
    reasons = []
    if attachments:
        reasons.append(f"attached to {attachments} principal{'' if attachments == 1 else 's'}")
    if boundary_uses:
        users = "1 user or role" if boundary_uses == 1 else f"{boundary_uses} users or roles"
        reasons.append(f"the permissions boundary of {users}")
    if not reasons:
        return None
    why = " and ".join(reasons)
    return replace(change, action="retain", reason=f"{change.reason}; not deleted: still {why}")


def confirm(iam: Any, plan: AccountPlan) -> None:
    """Turn unprovable or unsafe changes of ``plan`` into conflicts and retentions, in place."""
    usage: dict[str, int] | None = None
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
        if boundary_uses is None:
            if usage is None:
                usage = read_boundary_usage(iam)
            boundary_uses = usage.get(change.arn, 0)
        kept = _in_use(change, details.attachment_count, boundary_uses)
        if kept is not None:
            plan.replace_change(change, kept)
