"""SCPs in the full IAM language (September 2025): conditions and resources in Allow
statements, NotAction in Allow, NotResource, wildcards anywhere in an action — accepted by the
grammar, evaluated and explained with IAM's semantics.

https://aws.amazon.com/blogs/security/unlock-new-possibilities-aws-organizations-service-control-policy-now-supports-full-iam-language
and https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_syntax.html;
every SCP level must allow
(https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html).
"""

from __future__ import annotations

import json
from pathlib import Path

from iamgate.config import load_config
from iamgate.evaluator import Request, evaluate
from iamgate.explain.build import explain
from iamgate.lint import lint_paths
from iamgate.model import policy_from_data
from iamgate.organization import allow_everything, full_aws_access

BUCKET = "arn:aws:s3:::example-team-bucket"
DEV = "111111111111"


def scp(*statements: dict) -> object:
    return policy_from_data({"Version": "2012-10-17", "Statement": list(statements)}, "S", "scp")


def decide(policy: object, action: str, resource: str, **context: str) -> tuple[str, str]:
    request = Request(action, resource, {k.replace("_", ":", 1): v for k, v in context.items()})
    decision = evaluate(request, [allow_everything()], None, [[full_aws_access()], [policy]])
    return decision.decision, decision.reason


def test_an_allow_with_a_resource_allows_only_that_resource_at_its_level() -> None:
    only_bucket = scp({"Effect": "Allow", "Action": "s3:*", "Resource": [BUCKET, f"{BUCKET}/*"]})
    assert decide(only_bucket, "s3:GetObject", f"{BUCKET}/k")[0] == "allowed"
    assert decide(only_bucket, "s3:GetObject", "arn:aws:s3:::other/k") == (
        "implicit_deny",
        "SCP level 2 does not allow the request",
    )


def test_an_allow_with_a_condition_allows_only_when_the_condition_holds() -> None:
    regions = scp(
        {
            "Effect": "Allow",
            "Action": "*",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": ["eu-west-1"]}},
        }
    )
    assert decide(regions, "sqs:SendMessage", "*", aws_RequestedRegion="eu-west-1")[0] == (
        "allowed"
    )
    assert decide(regions, "sqs:SendMessage", "*", aws_RequestedRegion="us-east-1")[0] == (
        "implicit_deny"
    )
    assert decide(regions, "sqs:SendMessage", "*")[0] == "implicit_deny"  # key absent


def test_an_allow_with_not_action_allows_everything_but_the_named_actions() -> None:
    no_ec2 = scp({"Effect": "Allow", "NotAction": "ec2:*", "Resource": "*"})
    assert decide(no_ec2, "s3:ListAllMyBuckets", "*")[0] == "allowed"
    assert decide(no_ec2, "ec2:RunInstances", "*")[0] == "implicit_deny"


def test_a_deny_with_not_resource_spares_only_the_named_resources() -> None:
    keep = scp(
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Sid": "OnlyTheTeamBucket", "Effect": "Deny", "Action": "s3:*", "NotResource": [
            BUCKET, f"{BUCKET}/*"]},
    )  # fmt: skip
    assert decide(keep, "s3:PutObject", f"{BUCKET}/k")[0] == "allowed"
    decision, reason = decide(keep, "s3:PutObject", "arn:aws:s3:::other/k")
    assert decision == "explicit_deny" and "'OnlyTheTeamBucket'" in reason


def test_a_wildcard_in_the_middle_of_an_action_matches_as_in_iam() -> None:
    objects = scp({"Effect": "Allow", "Action": "s3:*Object*", "Resource": "*"})
    assert decide(objects, "s3:PutObjectAcl", "*")[0] == "allowed"
    assert decide(objects, "s3:CreateBucket", "*")[0] == "implicit_deny"


def test_the_grammar_accepts_the_full_language_in_an_scp(project: Path) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "TeamBucketInOneRegion",
                "Effect": "Allow",
                "Action": ["s3:*Object*", "s3:ListBucket"],
                "Resource": [BUCKET, f"{BUCKET}/*"],
                "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}},
            },
            {"Sid": "NotEc2", "Effect": "Allow", "NotAction": "ec2:*", "Resource": "*"},
            {"Sid": "Keep", "Effect": "Deny", "Action": "s3:Delete*", "NotResource": BUCKET},
        ],
    }
    path = project / "scps" / "Full.json"
    path.write_text(json.dumps(policy, indent=2), encoding="utf-8")
    findings = lint_paths([path], load_config(cwd=project)).findings
    assert findings == [], [f"{f.rule}: {f.message}" for f in findings]


def test_explain_reads_a_resource_and_condition_scoped_scp_allow_list(project: Path) -> None:
    # FullAWSAccess detached on Workloads/Dev, replaced by an allow-list that names a bucket
    # and a region (and IAM, for the delegate): the ceiling of created roles is that bucket,
    # in that region, only.
    allow_list = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "TeamBucketInIreland",
                "Effect": "Allow",
                "Action": "s3:*",
                "Resource": [BUCKET, f"{BUCKET}/*"],
                "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}},
            },
            {"Sid": "IamForTheDelegate", "Effect": "Allow", "Action": "iam:*", "Resource": "*"},
        ],
    }
    (project / "scps" / "TeamBucketOnly.json").write_text(json.dumps(allow_list, indent=2))
    config = (project / "iamgate.yaml").read_text()
    config = config.replace(
        "  scps:\n",
        "  detach-full-aws-access: [Workloads/Dev]\n  scps:\n"
        "    - policy: TeamBucketOnly\n      ous: [Workloads/Dev]\n",
        1,
    )
    (project / "iamgate.yaml").write_text(config, encoding="utf-8")
    result = explain(load_config(cwd=project), project / "policies/DelegatePermissions.json",
                     account=DEV)  # fmt: skip
    (ceiling,) = result.ceilings
    scps = next(layer for layer in ceiling.layers if layer.kind == "scps")
    write = scps.cell("s3", "Write")
    assert write is not None and write.allowed
    assert set(write.resources) <= {BUCKET, f"{BUCKET}/*"}
    assert write.conditions == ("aws:RequestedRegion=eu-west-1",)
    (reach,) = ceiling.reach
    assert reach.conditions == ("aws:RequestedRegion=eu-west-1",)
    other = scps.cell("*", "Write")
    assert other is not None and not other.allowed
    # The SCP statement that sets the limit is named where the limit is explained.
    assert ("scp", "TeamBucketInIreland") in {(s.layer, s.sid) for s in reach.allowed_by}
    assert ("scp", "TeamBucketInIreland") in {(s.layer, s.sid) for s in write.allowed_by}
