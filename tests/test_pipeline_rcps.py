"""Deploying RCPs (deploy.rcps) with plan/apply/drift/prune, through the same organization
policy flow as SCPs (iamgate.org_policy_types.RCP_TYPE), against a moto-server organization.

AWS: RCPs are the Organizations policy type RESOURCE_CONTROL_POLICY, enabled per root;
RCPFullAWSAccess is attached everywhere and cannot be detached
(https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html,
https://docs.aws.amazon.com/organizations/latest/userguide/enable-policy-type.html). Ownership
as for SCPs: iamgate's description and the tag iamgate:managed=true.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from iamgate.pipeline.ownership import DESCRIPTION, TAG_KEY
from pipeline_support import CONFIG, DEPLOY_ROLE, REPO, MotoServer, Org, Run, client, fresh_org
from pipeline_support import make_project as make_base_project

from iamgate.org_policy_types import RCP_TYPE

pytestmark = pytest.mark.integration

RCP = RCP_TYPE.policy_type
NAME = "DenyAssumeRoleFromOutsideOrg"
PLACED = f"""\
  rcps:
    - policy: {NAME}
      ous: [Workloads]
"""


@pytest.fixture
def org(moto: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Org:
    return fresh_org(moto, monkeypatch)


class RcpRun(Run):
    def configure(self, rcps: str) -> None:
        text = CONFIG.format(role=DEPLOY_ROLE, concurrency=4) + rcps
        (self.project / "iamgate.yaml").write_text(text, encoding="utf-8")


@pytest.fixture
def iamgate(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> RcpRun:
    config = CONFIG.format(role=DEPLOY_ROLE, concurrency=4) + PLACED
    root = make_base_project(tmp_path / "project", config=config)
    shutil.copytree(REPO / "rcps", root / "rcps")
    return RcpRun(capsys, root)


def organizations(org: Org) -> Any:
    return client("organizations", org.endpoint)


def rcp_ids(org: Org) -> dict[str, str]:
    return {p["Name"]: p["Id"] for p in organizations(org).list_policies(Filter=RCP)["Policies"]}


def attached(org: Org, target: str) -> set[str]:
    items = organizations(org).list_policies_for_target(TargetId=target, Filter=RCP)["Policies"]
    return {p["Name"] for p in items}


def changes(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (c["action"], c["policy"], c.get("target_label", "")) for c in report["rcps"]["changes"]
    ]


def test_apply_enables_rcps_creates_the_guardrail_with_marks_and_attaches_it(
    org: Org, iamgate: RcpRun
) -> None:
    code, report = iamgate.json("plan")
    assert code == 0, report
    assert changes(report) == [
        ("enable", RCP, "Root"),
        ("create", NAME, ""),
        ("attach", NAME, "OU Workloads"),
    ]
    assert report["scps"] is None  # deploy.scps absent: no SCP call at all
    assert iamgate("apply")[0] == 0
    ours = organizations(org).describe_policy(PolicyId=rcp_ids(org)[NAME])["Policy"]
    assert ours["PolicySummary"]["Description"] == DESCRIPTION
    assert ours["PolicySummary"]["Type"] == RCP
    assert json.loads(ours["Content"]) == json.loads((REPO / "rcps" / f"{NAME}.json").read_text())
    tags = organizations(org).list_tags_for_resource(ResourceId=rcp_ids(org)[NAME])["Tags"]
    assert {"Key": TAG_KEY, "Value": "true"} in tags
    assert attached(org, org.ous["Workloads"]) == {NAME, RCP_TYPE.full_access}
    # RCPFullAWSAccess is never touched, and the plan is now empty.
    assert RCP_TYPE.full_access in attached(org, org.root)
    code, report = iamgate.json("plan", "--detailed-exitcode")
    assert code == 0 and changes(report) == []


def test_an_rcp_detached_by_hand_is_drift_and_apply_attaches_it_again(
    org: Org, iamgate: RcpRun
) -> None:
    assert iamgate("apply")[0] == 0
    organizations(org).detach_policy(PolicyId=rcp_ids(org)[NAME], TargetId=org.ous["Workloads"])
    code, report = iamgate.json("drift")
    assert code == 2
    assert changes(report) == [("attach", NAME, "OU Workloads")]
    assert iamgate("apply")[0] == 0
    assert NAME in attached(org, org.ous["Workloads"])


def test_an_rcp_left_out_of_deploy_rcps_is_kept_and_pruned_only_with_prune(
    org: Org, iamgate: RcpRun
) -> None:
    assert iamgate("apply")[0] == 0
    iamgate.configure("  rcps: []\n")
    _, report = iamgate.json("plan")
    assert report["rcps"]["orphans"] == [NAME] and changes(report) == []
    assert iamgate("apply", "--prune")[0] == 0
    assert NAME not in rcp_ids(org)
    assert attached(org, org.ous["Workloads"]) == {RCP_TYPE.full_access}


def test_a_same_name_rcp_that_is_not_iamgates_is_a_conflict_left_alone(
    org: Org, iamgate: RcpRun
) -> None:
    organizations(org).enable_policy_type(RootId=org.root, PolicyType=RCP)
    theirs = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}  # fmt: skip
    organizations(org).create_policy(
        Name=NAME, Description="someone else's", Type=RCP, Content=json.dumps(theirs)
    )
    _, report = iamgate.json("plan")
    assert [c[0] for c in changes(report)] == ["conflict"]
    assert iamgate("apply")[0] == 1  # a reviewed guardrail that cannot be deployed fails
    policy = organizations(org).describe_policy(PolicyId=rcp_ids(org)[NAME])["Policy"]
    assert json.loads(policy["Content"]) == theirs


def test_an_rcp_that_breaks_the_rcp_rules_stops_the_run_before_any_aws_call(
    org: Org, iamgate: RcpRun
) -> None:
    allow = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}  # fmt: skip
    (iamgate.project / "rcps" / f"{NAME}.json").write_text(json.dumps(allow, indent=2))
    code, out, err = iamgate("plan")
    assert code == 1
    assert "IG701" in out + err
    assert rcp_ids(org) == {RCP_TYPE.full_access: RCP_TYPE.full_access_id}
