"""`iamgate explain` with RCPs: resource-side limits, and RCPs in the role ceiling.

RCPs restrict the resources of member accounts for the services that support them, whoever
asks, and never the management account's
(https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html);
the request must pass them as well as identity, boundary and SCPs
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html).
"""

from __future__ import annotations

import json
from pathlib import Path

from iamgate.config import load_config
from iamgate.explain.build import explain
from iamgate.explain.ceiling import ANY_POLICY, Stack, compute_ceiling
from iamgate.explain.render import render
from iamgate.organization import allow_everything, load_policy, placement

DEV = "111111111111"
PROD = "222222222222"
POLICY = "policies/DelegatePermissions.json"
NO_BUCKET_DELETION = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "NobodyDeletesBuckets",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:DeleteBucket",
            "Resource": "*",
        }
    ],
}


def attach_rcp_to_dev(project: Path) -> None:
    (project / "rcps" / "NoBucketDeletion.json").write_text(
        json.dumps(NO_BUCKET_DELETION, indent=2), encoding="utf-8"
    )
    config = (project / "iamgate.yaml").read_text()
    placed = '    Workloads/Dev:\n      accounts: ["111111111111"]\n'
    assert placed in config
    config = config.replace(placed, placed + "      rcps: [NoBucketDeletion]\n")
    (project / "iamgate.yaml").write_text(config, encoding="utf-8")


def test_explain_shows_what_the_shipped_rcp_denies_and_to_whom(project: Path) -> None:
    result = explain(load_config(cwd=project), project / POLICY, account=DEV)
    assert [(r.level, r.name) for r in result.rcps] == [("Root", "DenyAssumeRoleFromOutsideOrg")]
    (limit,) = result.resource_limits
    assert limit.service == "sts"
    assert limit.outside == ("sts:AssumeRole",)
    assert limit.inside == () and limit.services == ()
    assert [(s.layer, s.file, s.sid) for s in limit.denied_by] == [
        ("rcp", "rcps/DenyAssumeRoleFromOutsideOrg.json", "DenyAssumeRoleFromOutsideOrg")
    ]
    assert any("management account" in note for note in result.notes)
    text = render("text", result)
    assert "RCPs:  Root: DenyAssumeRoleFromOutsideOrg" in text
    assert "from outside the organization: denied: sts:AssumeRole" in text
    data = json.loads(render("json", result))
    assert data["where"]["rcps"][0]["name"] == "DenyAssumeRoleFromOutsideOrg"
    assert data["resource_limits"][0]["denied_outside_organization"] == ["sts:AssumeRole"]
    assert "Resource-side limits (RCPs)" in render("markdown", result)
    assert "RCP DenyAssumeRoleFromOutsideOrg (on Root)" in render("html", result)


def test_an_rcp_on_the_path_lowers_the_ceiling_of_the_created_roles(project: Path) -> None:
    attach_rcp_to_dev(project)
    config = load_config(cwd=project)
    boundary = load_policy(project / "boundaries" / "S3AccessBoundary.json", project, "boundary")
    role = f"arn:aws:iam::{DEV}:role/service-app"

    def s3_write(account: str):
        where = placement(config, account=account)
        stack = Stack([allow_everything()], ANY_POLICY, boundary, where)
        ceiling = compute_ceiling(stack, account, role.replace(DEV, account))
        layer = ceiling.layers[-1]
        return ceiling, layer.cell("s3", "Write")

    dev, dev_write = s3_write(DEV)
    assert [layer.kind for layer in dev.layers] == [
        "identity", "boundary", "scps", "rcps", "ceiling",
    ]  # fmt: skip
    assert "s3:DeleteBucket" not in dev_write.allowed
    assert any(s.layer == "rcp" and s.sid == "NobodyDeletesBuckets" for s in dev_write.denied_by)
    _, prod_write = s3_write(PROD)
    assert "s3:DeleteBucket" in prod_write.allowed  # the RCP is on Workloads/Dev only


def test_without_an_attached_rcp_there_is_no_rcp_layer_and_no_resource_limits(
    project: Path,
) -> None:
    config = (project / "iamgate.yaml").read_text()
    start = config.index("  rcps:\n")
    end = config.index("\n\n", start)
    (project / "iamgate.yaml").write_text(config[:start] + config[end + 1 :], encoding="utf-8")
    result = explain(load_config(cwd=project), project / POLICY, account=DEV)
    assert result.rcps == () and result.resource_limits == ()
    assert [layer.kind for layer in result.ceilings[0].layers] == [
        "identity", "boundary", "scps", "ceiling",
    ]  # fmt: skip
    assert "RCPs" not in render("text", result)
