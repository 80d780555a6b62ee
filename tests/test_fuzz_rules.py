"""Every rule on arbitrary well-formed policies: findings, never an exception.

The loader and the grammar are fuzzed in their own tests; this drives what passes them
through every rule and the evaluator, the way `iamgate lint` does.
"""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iamgate.config import Config
from iamgate.findings import Finding
from iamgate.lint import check_file
from iamgate.project import Project

ACTIONS = st.sampled_from(
    [
        "*",
        "iam:*",
        "iam:CreateRole",
        "iam:Create*",
        "iam:?utRolePolicy",
        "iam:PassRole",
        "iam:AttachUserPolicy",
        "iam:DeleteRolePermissionsBoundary",
        "iam:CreatePolicyVersion",
        "iam:AddUserToGroup",
        "iam:CreateAccessKey",
        "s3:GetObject",
        "s3:*",
        "ec2:RunInstances",
        "lambda:*",
        "lambda:UpdateFunctionCode",
        "sts:AssumeRole",
        "iam:CreateRoles",
        "nope:Thing",
        "*:Get*",
        "iam:List*",
    ]
)
RESOURCES = st.sampled_from(
    [
        "*",
        "arn:aws:iam::*:role/*",
        "arn:aws:iam::${aws:PrincipalAccount}:role/service-*",
        "arn:aws:iam::123456789012:policy/S3AccessBoundary",
        "arn:aws:iam::*:user/${aws:username}",
        "arn:aws:s3:::bucket/*",
        "arn:aws:iam::123456789012:policy/service-?",
        "arn:aws:lambda:*:*:function:*",
    ]
)
OPERATORS = st.sampled_from(
    [
        "StringEquals",
        "StringEqualsIfExists",
        "StringNotEquals",
        "StringLike",
        "StringNotLike",
        "ForAllValues:StringEquals",
        "ForAnyValue:StringLike",
        "ArnLike",
        "ArnNotEquals",
        "Null",
        "Bool",
        "NumericLessThan",
        "DateGreaterThan",
        "IpAddress",
        "StringEqualsIgnoreCase",
        "ForAllValues:StringNotEqualsIfExists",
    ]
)
KEYS = st.sampled_from(
    [
        "iam:PermissionsBoundary",
        "IAM:permissionsboundary",
        "aws:PrincipalArn",
        "aws:username",
        "iam:PassedToService",
        "aws:SourceIp",
        "aws:CurrentTime",
        "aws:MultiFactorAuthPresent",
        "aws:RequestTag/team",
        "s3:prefix",
    ]
)
VALUES = st.sampled_from(
    [
        "arn:aws:iam::${aws:PrincipalAccount}:policy/S3AccessBoundary",
        "arn:aws:iam::*:policy/*",
        "arn:aws:iam::aws:policy/AdministratorAccess",
        "true",
        "10",
        "2020-01-01T00:00:00Z",
        "10.0.0.0/8",
        "lambda.amazonaws.com",
        "${aws:username}",
        "*",
        "",
    ]
)


def one_or_many(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(strategy, st.lists(strategy, min_size=1, max_size=3))


statements = st.fixed_dictionaries(
    {
        "Effect": st.sampled_from(["Allow", "Deny"]),
        "Action": one_or_many(ACTIONS),
        "Resource": one_or_many(RESOURCES),
    },
    optional={
        "Condition": st.dictionaries(
            OPERATORS,
            st.dictionaries(KEYS, one_or_many(VALUES), min_size=1, max_size=2),
            min_size=1,
            max_size=2,
        ),
    },
)


def with_not_action(statement: dict) -> dict:
    out = dict(statement)
    out["NotAction"] = out.pop("Action")
    return out


policies = st.lists(
    st.one_of(statements, statements.map(with_not_action)), min_size=1, max_size=4
).map(lambda s: {"Version": "2012-10-17", "Statement": s})


@settings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(policy=policies, kind=st.sampled_from(["policies", "boundaries"]))
def test_every_rule_returns_findings_for_any_well_formed_policy(
    tmp_path: Path, policy: dict, kind: str
) -> None:
    (tmp_path / "boundaries").mkdir(exist_ok=True)
    (tmp_path / "policies").mkdir(exist_ok=True)
    (tmp_path / "boundaries" / "S3AccessBoundary.json").write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
            }
        )
    )
    path = tmp_path / kind / "Fuzzed.json"
    path.write_text(json.dumps(policy, indent=2))
    config = Config(root=tmp_path, boundaries=("S3AccessBoundary",))
    project = Project(tmp_path, config)
    findings = check_file(project.file(path), project)
    assert all(isinstance(f, Finding) and f.line >= 1 and f.column >= 1 for f in findings)
    for finding in findings:
        if finding.counterexample is not None:
            assert set(finding.counterexample) >= {"action", "resource", "context"}
