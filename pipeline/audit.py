"""`iamgate audit`: the delegation invariant, checked against what live IAM holds.

Per account, one paginated read — GetAccountAuthorizationDetails with the User, Role, Group
and LocalManagedPolicy filters: every principal with its permissions boundary and attached
managed policies, and every customer managed policy with its versions
(https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html).
It finds what was built before iamgate, or around it:

* ``no-boundary``: a role or user of the delegates — the ARN pattern ``role/<prefix>*``
  matches it (by name or by path), or its name starts with the prefix under another path —
  without a permissions boundary;
* ``unapproved-boundary``: one whose boundary is not an approved boundary as iamgate deploys
  it (``arn:...:policy<deploy.path><name>``);
* ``stale-delegation-policy``: a role, user or group holding a delegation policy that is not
  iamgate's current version — the managed policy of that name not iamgate's (no marks), its
  default version not the repository's document, or a copy under another name (managed or
  inline).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .compare import decode, same_document
from .iam_policies.desired import DesiredPolicy
from .iam_policies.live import PAGE_SIZE, LivePolicy, parse_policy
from .ownership import marked

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_iam.literals import EntityTypeType

FILTERS: list[EntityTypeType] = ["User", "Role", "Group", "LocalManagedPolicy"]


@dataclass(frozen=True)
class AuditFinding:
    rule: str  # no-boundary | unapproved-boundary | stale-delegation-policy
    account: str
    principal: str  # "role/service-app" (path included when not /)
    arn: str
    message: str
    file: str = ""  # the repository file it concerns (delegation policy), if any


@dataclass(frozen=True)
class Expectations:
    """What the repository says an account should hold."""

    prefix: str
    path: str  # deploy.path
    boundaries: frozenset[str]  # approved boundary names
    delegation: tuple[DesiredPolicy, ...]  # the delegation policies iamgate deploys


@dataclass
class AccountDetails:
    principals: list[tuple[str, Mapping[str, Any]]]  # ("role" | "user" | "group", detail)
    policies: dict[str, LivePolicy]  # by ARN


def read_details(iam: IAMClient) -> AccountDetails:
    details = AccountDetails([], {})
    paginator = iam.get_paginator("get_account_authorization_details")
    pages = paginator.paginate(Filter=FILTERS, PaginationConfig={"PageSize": PAGE_SIZE})
    for page in pages:
        details.principals += [("role", r) for r in page.get("RoleDetailList", ())]
        details.principals += [("user", u) for u in page.get("UserDetailList", ())]
        details.principals += [("group", g) for g in page.get("GroupDetailList", ())]
        for item in page.get("Policies", ()):
            policy = parse_policy(item)
            details.policies[policy.arn] = policy
    return details


def _who(kind: str, item: Mapping[str, Any]) -> tuple[str, str]:
    name = item.get(f"{kind.capitalize()}Name", "")
    path = item.get("Path", "/") or "/"
    return f"{kind}/{path.lstrip('/')}{name}", item.get("Arn", "")


def _prefixed(kind: str, item: Mapping[str, Any], prefix: str) -> bool:
    """The delegates' (README, "delegation.prefix"): the ARN pattern ``role/<prefix>*``
    matches it (by name, or by path: ``role/service-x/AdminRole``), or its name starts with
    the prefix under another path (``role/team/service-x``)."""
    name = item.get(f"{kind.capitalize()}Name", "")
    path = (item.get("Path", "/") or "/").lstrip("/")
    return bool(prefix) and (f"{path}{name}".startswith(prefix) or name.startswith(prefix))


def _boundary_findings(
    account: str, principals: Iterable[tuple[str, Mapping[str, Any]]], want: Expectations, arn: str
) -> list[AuditFinding]:
    approved = {f"{arn}{want.path}{name}" for name in want.boundaries}
    out = []
    for kind, item in principals:
        if kind == "group" or not _prefixed(kind, item, want.prefix):
            continue
        who, principal_arn = _who(kind, item)
        boundary = (item.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn", "")
        if not boundary:
            message = (
                f"{who} is named with the delegation prefix {want.prefix!r} and has no "
                "permissions boundary: it is not held by the ceiling delegates are"
            )
            out.append(AuditFinding("no-boundary", account, who, principal_arn, message))
        elif boundary not in approved:
            names = ", ".join(sorted(want.boundaries)) or "none"
            message = (
                f"{who} has the permissions boundary {boundary}, which is not an approved "
                f"boundary as iamgate deploys it (approved: {names})"
            )
            out.append(AuditFinding("unapproved-boundary", account, who, principal_arn, message))
    return out


def _stale(
    policy_arn: str, details: AccountDetails, want: Expectations, arn: str
) -> tuple[DesiredPolicy, str] | None:
    """The delegation policy ``policy_arn`` stands for, and why it is not iamgate's current
    version; None when it is, or is no delegation policy at all."""
    live = details.policies.get(policy_arn)
    name = policy_arn.rsplit("/", 1)[-1]
    by_name = {p.name: p for p in want.delegation}
    wanted = by_name.get(name)
    if wanted is not None:
        expected = f"{arn}{want.path}{name}"
        if policy_arn != expected:
            return wanted, f"{policy_arn} is not iamgate's {expected}"
        if live is None or not marked(live, want.path):
            return wanted, f"{policy_arn} was not created by iamgate (no iamgate marks)"
        default = live.default
        if default is None or not same_document(default.document, decode(wanted.text)):
            version = live.default_version_id or "no default version"
            return wanted, f"its default version ({version}) is not {wanted.file} as reviewed"
        return None
    if live is None or live.default is None:
        return None
    for candidate in want.delegation:
        if same_document(live.default.document, decode(candidate.text)):
            return candidate, f"{policy_arn} is a copy of {candidate.file} under another name"
    return None


_INLINE = {"role": "RolePolicyList", "user": "UserPolicyList", "group": "GroupPolicyList"}


def _inline_copies(
    kind: str, item: Mapping[str, Any], want: Expectations
) -> list[tuple[DesiredPolicy, str]]:
    """Inline policies holding a delegation policy's document: never iamgate's."""
    out = []
    for inline in item.get(_INLINE[kind], ()):
        document = decode(inline.get("PolicyDocument") or {})
        for candidate in want.delegation:
            if same_document(document, decode(candidate.text)):
                name = inline.get("PolicyName", "?")
                out.append((candidate, f"the inline policy {name} is a copy of {candidate.file}"))
    return out


def audit_account(
    account: str, details: AccountDetails, want: Expectations, partition: str
) -> list[AuditFinding]:
    arn = f"arn:{partition}:iam::{account}:policy"
    out = _boundary_findings(account, details.principals, want, arn)
    for kind, item in details.principals:
        who, principal_arn = _who(kind, item)
        for policy, why in _inline_copies(kind, item, want):
            message = (
                f"{who} holds the delegation policy {policy.name}, which is not iamgate's "
                f"current version: {why}"
            )
            out.append(
                AuditFinding(
                    "stale-delegation-policy", account, who, principal_arn, message, policy.file
                )
            )
        for attached in item.get("AttachedManagedPolicies", ()):
            found = _stale(attached.get("PolicyArn", ""), details, want, arn)
            if found is None:
                continue
            policy, why = found
            message = (
                f"{who} holds the delegation policy {policy.name}, which is not iamgate's "
                f"current version: {why}"
            )
            finding = AuditFinding(
                "stale-delegation-policy", account, who, principal_arn, message, policy.file
            )
            out.append(finding)
    return sorted(out, key=lambda f: (f.rule, f.principal, f.message))
