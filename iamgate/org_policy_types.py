"""The organization policy types iamgate deploys, one description each.

A type is data, not code: its folder, its Organizations policy type, AWS's quotas for it, its
grammar kind (which selects its lint rules), where it applies in evaluation, and AWS's default
allow-all policy of the type. The offline placement (organization.py: explain, simulate) and
the pipeline's one desired → live → plan → render → apply flow (pipeline/org_policies/) read
nothing else, so a new type is one more description here (plus its folder in
project.KIND_FOLDERS and its ``deploy.<folder>`` key in the configuration).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from iamgate.config import Config, ScpAttachment
    from iamgate.model import Policy, PolicyKind

# Where a type applies in evaluation. "principal": it limits what the principals of the
# accounts below it may do (SCPs); "resource": what anyone may do to those accounts'
# resources (RCPs); neither applies in the management account. "none": not an authorization
# policy (tag, backup, declarative policies), so the evaluator never sees it.
# https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html
# https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html
Side = Literal["principal", "resource", "none"]


@dataclass(frozen=True)
class OrgPolicyType:
    """Everything that tells one organization policy type from another."""

    kind: PolicyKind  # the grammar kind: its files are judged by the rules of that kind
    folder: str  # also its key under deploy and organization.ous: "scps" | "rcps"
    label: str  # "SCP" | "RCP"
    title: str  # the report section: "Service control policies"
    policy_type: str  # the Organizations policy type
    max_characters: int  # quota "Maximum size of a policy document"
    max_per_target: int  # quota on policies of the type attached to one root, OU or account
    side: Side
    full_access: str | None = None  # AWS's managed allow-all, on every target by default
    full_access_id: str | None = None  # its id, the same in every organization
    detachable: bool = False  # whether full_access may be detached (FullAWSAccess may)

    @property
    def default_policy(self) -> Policy | None:
        """AWS's allow-all of this type as a policy, or None for a type without one."""
        return allow_all(self.full_access, self.kind) if self.full_access else None


# Quotas: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html
# ("Maximum size of a policy document": 5,120 characters for an SCP and for an RCP;
# "Maximum number of policies attached to a root, OU, or account": 5 SCPs, 5 RCPs — the
# default FullAWSAccess / RCPFullAWSAccess counted).
SCP_TYPE = OrgPolicyType(
    kind="scp",
    folder="scps",
    label="SCP",
    title="Service control policies",
    policy_type="SERVICE_CONTROL_POLICY",
    max_characters=5120,
    max_per_target=5,
    side="principal",
    full_access="FullAWSAccess",
    full_access_id="p-FullAWSAccess",
    detachable=True,
)
# RCPFullAWSAccess cannot be detached:
# https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_syntax.html
RCP_TYPE = OrgPolicyType(
    kind="rcp",
    folder="rcps",
    label="RCP",
    title="Resource control policies",
    policy_type="RESOURCE_CONTROL_POLICY",
    max_characters=5120,
    max_per_target=5,
    side="resource",
    full_access="RCPFullAWSAccess",
    full_access_id="p-RCPFullAWSAccess",
)
# Every type iamgate deploys, in report order.
ORG_POLICY_TYPES: tuple[OrgPolicyType, ...] = (SCP_TYPE, RCP_TYPE)


def org_policy_types() -> tuple[OrgPolicyType, ...]:
    """The registered types, read when asked (a test registers a throwaway one)."""
    return ORG_POLICY_TYPES


def deploy_entries(config: Config, kind: OrgPolicyType) -> tuple[ScpAttachment, ...]:
    """deploy.<folder>: the policies of ``kind`` iamgate deploys and where."""
    entries: tuple[ScpAttachment, ...] = getattr(config.deploy, kind.folder, ())
    return entries


def detach_references(config: Config, kind: OrgPolicyType) -> tuple[str, ...]:
    """Where deploy.detach-full-aws-access detaches the type's default (SCPs only)."""
    return config.deploy.detach_full_aws_access if kind.detachable else ()


@cache
def allow_all(name: str, kind: PolicyKind) -> Policy:
    """A policy allowing every request, built once per name: AWS's defaults are compared by
    identity (PolicyLevel.attached)."""
    from iamgate.model import policy_from_data

    data = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }
    return policy_from_data(data, name, kind)
