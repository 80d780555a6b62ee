"""Reading live IAM in one account, in as few calls as IAM allows.

GetAccountAuthorizationDetails(Filter=[LocalManagedPolicy]) returns every customer
managed policy with every version's document in one paginated call (up to 1,000
items a page), so a no-op plan costs one IAM read per account, not one per policy.
ListPolicies would need a further GetPolicyVersion per policy for the documents.
Tags are not part of that answer (nor of ListPolicies): they are read one policy at a
time, only for the policies a plan is about to change (see ownership.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..compare import decode

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

PAGE_SIZE = 1000  # IAM's maximum MaxItems


@dataclass(frozen=True)
class LiveVersion:
    id: str  # "v3"
    document: dict[str, Any]
    is_default: bool
    created: datetime | None

    @property
    def number(self) -> int:
        digits = "".join(ch for ch in self.id.split(".")[0] if ch.isdigit())
        return int(digits) if digits else 0


@dataclass(frozen=True)
class LivePolicy:
    name: str
    arn: str
    path: str
    description: str
    default_version_id: str
    versions: tuple[LiveVersion, ...]
    attachment_count: int
    # None when the answer did not say (moto never does; AWS always does).
    boundary_usage_count: int | None

    @property
    def default(self) -> LiveVersion | None:
        for version in self.versions:
            if version.id == self.default_version_id or version.is_default:
                return version
        return None

    def oldest_non_default(self) -> LiveVersion | None:
        others = [v for v in self.versions if v is not self.default]
        if not others:
            return None
        return min(others, key=lambda v: (v.created or datetime.max, v.number))


@dataclass(frozen=True)
class PolicyDetails:
    """GetPolicy's answer for one policy: what ownership and deletion decisions need, fresh."""

    arn: str
    path: str
    description: str
    tags: dict[str, str]
    attachment_count: int
    boundary_usage_count: int | None


def _name(item: Mapping[str, Any]) -> str:
    # moto leaves PolicyName out of this answer; the ARN's last segment is the name.
    name: str = item.get("PolicyName") or item["Arn"].rsplit("/", 1)[-1]
    return name


def parse_policy(item: Mapping[str, Any]) -> LivePolicy:
    versions = tuple(
        LiveVersion(
            id=v["VersionId"],
            document=decode(v["Document"]),
            is_default=bool(v.get("IsDefaultVersion")),
            created=v.get("CreateDate"),
        )
        for v in item.get("PolicyVersionList", ())
    )
    usage = item.get("PermissionsBoundaryUsageCount")
    return LivePolicy(
        name=_name(item),
        arn=item["Arn"],
        path=item.get("Path", "/"),
        description=item.get("Description", "") or "",
        default_version_id=item.get("DefaultVersionId", ""),
        versions=versions,
        attachment_count=int(item.get("AttachmentCount") or 0),
        boundary_usage_count=int(usage) if usage is not None else None,
    )


def read_policies(iam: IAMClient) -> dict[str, LivePolicy]:
    """Every customer managed policy of the account, by name, with all versions."""
    out: dict[str, LivePolicy] = {}
    paginator = iam.get_paginator("get_account_authorization_details")
    pages = paginator.paginate(
        Filter=["LocalManagedPolicy"], PaginationConfig={"PageSize": PAGE_SIZE}
    )
    for page in pages:
        for item in page.get("Policies", ()):
            policy = parse_policy(item)
            out[policy.name] = policy
    return out


def read_details(iam: IAMClient, arn: str) -> PolicyDetails:
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    usage = policy.get("PermissionsBoundaryUsageCount")
    return PolicyDetails(
        arn=arn,
        path=policy.get("Path", "/"),
        description=policy.get("Description", "") or "",
        tags={t["Key"]: t["Value"] for t in policy.get("Tags", ())},
        attachment_count=int(policy.get("AttachmentCount") or 0),
        boundary_usage_count=int(usage) if usage is not None else None,
    )


def read_boundary_usage(iam: IAMClient) -> dict[str, list[str]]:
    """Policy ARN -> the users and roles ("role/x", "user/y") that use it as their boundary.

    Used only when a deletion is planned and GetPolicy did not give the count: the
    principals' own records are the proof that a boundary is (not) in use.
    """
    users: dict[str, list[str]] = {}
    paginator = iam.get_paginator("get_account_authorization_details")
    pages = paginator.paginate(Filter=["User", "Role"], PaginationConfig={"PageSize": PAGE_SIZE})
    for page in pages:
        principals: list[tuple[str, Mapping[str, Any], str | None]] = [
            ("user", p, p.get("UserName")) for p in page.get("UserDetailList", ())
        ]
        principals += [("role", p, p.get("RoleName")) for p in page.get("RoleDetailList", ())]
        for kind, principal, name in principals:
            boundary = (principal.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
            if boundary:
                users.setdefault(boundary, []).append(f"{kind}/{name}")
    return {arn: sorted(names) for arn, names in users.items()}
