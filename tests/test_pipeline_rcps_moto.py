"""RCPs in a moto-server organization, read through the pipeline's Organizations readers
(the SCP flow's, parameterised by the organization policy type).

What AWS documents (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html,
https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_syntax.html):
RCPs are the policy type RESOURCE_CONTROL_POLICY, enabled per root; AWS's RCPFullAWSAccess is
attached to the root, every OU and every account and cannot be detached.

Where moto 5 differs from AWS, named here (and in the README):
* moto attaches RCPFullAWSAccess at organization creation, before the RCP type is enabled;
* moto lets RCPFullAWSAccess be detached (AWS refuses);
* moto attaches an RCP whose policy type is not enabled on the root (AWS refuses).
"""

from __future__ import annotations

import json

from iamgate.pipeline.org_policies.live import attached_to, read_policies, type_enabled
from iamgate.pipeline.ownership import DESCRIPTION
from pipeline_support import Org, client

from iamgate.org_policy_types import RCP_TYPE, SCP_TYPE

GUARDRAIL = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sts:AssumeRole",
            "Resource": "*",
            "Condition": {
                "StringNotEqualsIfExists": {"aws:PrincipalOrgID": "${aws:ResourceOrgID}"}
            },
        }
    ],
}


def create_rcp(org: Org, name: str = "DenyAssumeRoleFromOutsideOrg") -> str:
    organizations = client("organizations", org.endpoint)
    created = organizations.create_policy(
        Name=name,
        Description=DESCRIPTION,
        Type=RCP_TYPE.policy_type,
        Content=json.dumps(GUARDRAIL),
    )
    return created["Policy"]["PolicySummary"]["Id"]


def test_moto_knows_the_rcp_type_and_its_full_access_policy_on_every_level(org: Org) -> None:
    organizations = client("organizations", org.endpoint)
    for target in (org.root, org.ous["Workloads/Dev"], org.id("dev-1")):
        assert attached_to(organizations, target, RCP_TYPE) == {
            RCP_TYPE.full_access_id: RCP_TYPE.full_access
        }
        # The SCP reader still sees SCPs only.
        assert RCP_TYPE.full_access_id not in attached_to(organizations, target, SCP_TYPE)


def test_the_live_reader_reads_iamgates_rcps_with_content_and_targets(org: Org) -> None:
    organizations = client("organizations", org.endpoint)
    policy_id = create_rcp(org)
    organizations.attach_policy(PolicyId=policy_id, TargetId=org.root)
    live = read_policies(organizations, RCP_TYPE)
    ours = live["DenyAssumeRoleFromOutsideOrg"]
    assert ours.marked and ours.document == GUARDRAIL
    assert ours.targets == {org.root: "Root"}
    assert live[RCP_TYPE.full_access].aws_managed
    assert "DenyAssumeRoleFromOutsideOrg" not in read_policies(organizations, SCP_TYPE)


def test_the_rcp_type_is_enabled_per_root_like_scps(org: Org) -> None:
    organizations = client("organizations", org.endpoint)
    assert not type_enabled(organizations, RCP_TYPE)
    organizations.enable_policy_type(RootId=org.root, PolicyType=RCP_TYPE.policy_type)
    assert type_enabled(organizations, RCP_TYPE)
    assert not type_enabled(organizations, SCP_TYPE)  # one type at a time


def test_moto_differs_from_aws_where_rcpfullawsaccess_and_disabled_types_are_concerned(
    org: Org,
) -> None:
    organizations = client("organizations", org.endpoint)
    # AWS: RCPFullAWSAccess appears once RCPs are enabled; moto: from the start.
    assert not type_enabled(organizations, RCP_TYPE)
    assert RCP_TYPE.full_access_id in attached_to(organizations, org.root, RCP_TYPE)
    # AWS refuses to attach a policy of a type not enabled on the root; moto accepts it.
    organizations.attach_policy(PolicyId=create_rcp(org), TargetId=org.root)
    # AWS refuses to detach RCPFullAWSAccess; moto detaches it.
    organizations.detach_policy(PolicyId=RCP_TYPE.full_access_id, TargetId=org.root)
    assert RCP_TYPE.full_access_id not in attached_to(organizations, org.root, RCP_TYPE)
