"""Reading the organization's live policies of one type from the management account.

ListPolicies gives every policy's name and description (iamgate's bulk-readable mark) but not
its content or where it is attached; those are read (DescribePolicy, ListTargetsForPolicy)
only for iamgate's own — an organization has few such policies, and someone else's are never
changed, so their content does not matter. Tags (the ownership proof) are read only for
policies a plan is about to change (sync.py), as on the IAM side.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from iamgate.org_policy_types import OrgPolicyType

from ..compare import decode
from ..ownership import DESCRIPTION
from .targets import live_label


@dataclass(frozen=True)
class LiveOrgPolicy:
    id: str
    arn: str
    name: str
    description: str
    aws_managed: bool
    document: dict[str, Any] | None = None  # read for iamgate's own only
    targets: dict[str, str] = field(default_factory=dict)  # target id -> label (ours only)

    @property
    def marked(self) -> bool:
        return not self.aws_managed and self.description == DESCRIPTION


def _pages(client: Any, operation: str, key: str, **kwargs: Any) -> list[dict[str, Any]]:
    paginator = client.get_paginator(operation)
    return [item for page in paginator.paginate(**kwargs) for item in page.get(key, ())]


def type_enabled(client: Any, kind: OrgPolicyType) -> bool:
    """Whether the policy type is enabled on the root (AWS refuses attachments otherwise)."""
    root = _pages(client, "list_roots", "Roots")[0]
    return any(
        t.get("Type") == kind.policy_type and t.get("Status") == "ENABLED"
        for t in root.get("PolicyTypes", ())
    )


def read_policies(client: Any, kind: OrgPolicyType) -> dict[str, LiveOrgPolicy]:
    """Every policy of the type by name; content and attachments for the ones iamgate's marks
    claim."""
    out: dict[str, LiveOrgPolicy] = {}
    for item in _pages(client, "list_policies", "Policies", Filter=kind.policy_type):
        policy = LiveOrgPolicy(
            id=item["Id"],
            arn=item.get("Arn", ""),
            name=item["Name"],
            description=item.get("Description", "") or "",
            aws_managed=bool(item.get("AwsManaged")),
        )
        if policy.marked:
            content = client.describe_policy(PolicyId=policy.id)["Policy"]["Content"]
            targets = _pages(client, "list_targets_for_policy", "Targets", PolicyId=policy.id)
            policy = LiveOrgPolicy(
                policy.id,
                policy.arn,
                policy.name,
                policy.description,
                policy.aws_managed,
                decode(content),
                {t["TargetId"]: live_label(t) for t in targets},
            )
        out[policy.name] = policy
    return out


def attached_to(client: Any, target_id: str, kind: OrgPolicyType) -> dict[str, str]:
    """The policies of the type attached directly to one root, OU or account: id -> name."""
    items = _pages(
        client,
        "list_policies_for_target",
        "Policies",
        TargetId=target_id,
        Filter=kind.policy_type,
    )
    return {p["Id"]: p["Name"] for p in items}


def read_tags(client: Any, policy_id: str) -> dict[str, str]:
    items = _pages(client, "list_tags_for_resource", "Tags", ResourceId=policy_id)
    return {t["Key"]: t["Value"] for t in items}
