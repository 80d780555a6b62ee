"""IG401-IG407: the well-known escalation paths beyond delegation, each decided by the
evaluator, for every identity policy. Paths as catalogued by Rhino Security Labs
(https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/) and
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from iamgate.config import Config
from iamgate.delegation import CALLER, DEFAULT_ACCOUNT, lookup, proof_for
from iamgate.findings import Finding
from iamgate.model import Policy, policy_from_data
from iamgate.project import Project
from iamgate.rules import all_rules

ACCOUNT = DEFAULT_ACCOUNT
APPROVED_VAR = "arn:aws:iam::${aws:PrincipalAccount}:policy/S3AccessBoundary"
ROLES = "arn:aws:iam::${aws:PrincipalAccount}:role/service-*"
ESCALATION = ("IG401", "IG402", "IG403", "IG404", "IG405", "IG406", "IG407")


def make_project(rules: dict[str, str] | None = None) -> Project:
    config = Config(root=Path("."), prefix="service-", boundaries=("S3AccessBoundary",))
    return Project(config.root, replace(config, rules=rules or {}))


def policy(*statements: dict[str, Any]) -> Policy:
    return policy_from_data({"Version": "2012-10-17", "Statement": list(statements)}, "Team")


def allow(
    actions: Any,
    resource: Any = "*",
    sid: str | None = None,
    condition: dict[str, Any] | None = None,
) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": actions, "Resource": resource}
    if sid:
        statement["Sid"] = sid
    if condition:
        statement["Condition"] = condition
    return statement


def check(rule_id: str, p: Policy, project: Project | None = None) -> list[Finding]:
    return all_rules()[rule_id].check(p, project or make_project())


def escalations(p: Policy, project: Project | None = None) -> dict[str, list[Finding]]:
    found = {rid: check(rid, p, project) for rid in ESCALATION}
    return {rid: fs for rid, fs in found.items() if fs}


def test_escalation_rules_judge_every_identity_policy_not_only_delegation_ones() -> None:
    p = policy(allow("iam:AddUserToGroup"))
    assert not proof_for(p, make_project()).is_delegation
    assert set(escalations(p)) == {"IG403"}


# -- IG401 ----------------------------------------------------------------------------------


def test_policy_versions_on_any_policy_are_reported_with_an_outsider_policy() -> None:
    (finding,) = check(
        "IG401", policy(allow(["iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion"]))
    )
    assert (
        finding.counterexample["resource"] == f"arn:aws:iam::{ACCOUNT}:policy/AdministratorPolicy"
    )  # type: ignore[index]
    assert "iam:SetDefaultPolicyVersion" in finding.message


def test_policy_versions_on_the_prefixed_policies_are_not_an_escalation() -> None:
    assert (
        check("IG401", policy(allow("iam:CreatePolicyVersion", "arn:aws:iam::*:policy/service-*")))
        == []
    )


# -- IG402 ----------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["iam:AttachGroupPolicy", "iam:PutGroupPolicy"])
def test_any_group_policy_change_is_an_escalation_even_on_prefixed_groups(action: str) -> None:
    (finding,) = check("IG402", policy(allow(action, "arn:aws:iam::*:group/service-*")))
    assert finding.counterexample["action"] == action  # type: ignore[index]
    assert "cannot have a boundary" in finding.message


def test_role_attachments_in_a_delegation_policy_are_left_to_ig301() -> None:
    p = policy(allow(["iam:CreateRole", "iam:AttachRolePolicy", "iam:AttachGroupPolicy"]))
    assert {f.counterexample["action"] for f in check("IG402", p)} == {"iam:AttachGroupPolicy"}  # type: ignore[index]
    assert "iam:AttachRolePolicy" in check("IG301", p)[0].message


def test_with_ig301_turned_off_ig402_reports_role_attachments() -> None:
    p = policy(allow("iam:AttachRolePolicy"))
    (finding,) = check("IG402", p, make_project({"IG301": "off"}))
    assert finding.counterexample["action"] == "iam:AttachRolePolicy"  # type: ignore[index]


def test_attachments_under_the_boundary_condition_are_safe() -> None:
    condition = {"StringEquals": {"iam:PermissionsBoundary": APPROVED_VAR}}
    assert (
        check(
            "IG402",
            policy(allow(["iam:AttachRolePolicy", "iam:PutUserPolicy"], condition=condition)),
        )
        == []
    )


# -- IG403, IG404, IG405 --------------------------------------------------------------------


def test_add_user_to_group_is_reported_on_the_administrators_group() -> None:
    (finding,) = check("IG403", policy(allow("iam:AddUserToGroup", sid="Join")))
    assert finding.counterexample["resource"] == f"arn:aws:iam::{ACCOUNT}:group/AdminGroup"  # type: ignore[index]
    assert [ref.sid for ref in finding.statements] == ["Join"]


@pytest.mark.parametrize(
    "action", ["iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile"]
)
def test_credentials_for_another_user_are_reported(action: str) -> None:
    (finding,) = check("IG404", policy(allow(action, "arn:aws:iam::*:user/*")))
    assert finding.counterexample["resource"] == f"arn:aws:iam::{ACCOUNT}:user/AdminUser"  # type: ignore[index]


def test_credentials_for_the_callers_own_user_are_safe() -> None:
    actions = ["iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile"]
    p = policy(allow(actions, "arn:aws:iam::*:user/${aws:username}"))
    assert check("IG404", p) == []
    # The request on the caller's own user was searched, and is allowed: not a vacuous pass.
    (create_key,) = lookup("iam:CreateAccessKey")
    assert f"arn:aws:iam::{ACCOUNT}:user/{CALLER}" in proof_for(p, make_project()).resources(
        create_key
    )


def test_credentials_for_users_inside_the_delegation_prefix_are_safe() -> None:
    # The delegate's own users (service-*) carry the approved boundary, as its roles do: their
    # keys are no escalation (AWS's delegation example grants CreateAccessKey and
    # CreateLoginProfile to the delegated administrator,
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html).
    actions = ["iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile"]
    assert check("IG404", policy(allow(actions, "arn:aws:iam::*:user/service-*"))) == []
    (finding,) = check("IG404", policy(allow(actions, "arn:aws:iam::*:user/servicead*")))
    assert ":user/servicead" in finding.counterexample["resource"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("runner", "resource"),
    [
        ("lambda:UpdateFunctionConfiguration", "arn:aws:lambda:*:*:function:service-*"),
        ("ec2:AssociateIamInstanceProfile", "*"),
        ("ec2:ReplaceIamInstanceProfileAssociation", "*"),
        ("codebuild:UpdateProject", "arn:aws:codebuild:*:*:project/service-*"),
        ("glue:UpdateJob", "*"),
        ("cloudformation:UpdateStack", "*"),
        ("ssm:StartAutomationExecution", "*"),
    ],
)
def test_passing_any_role_to_an_update_of_existing_code_is_reported(
    runner: str, resource: str
) -> None:
    # The update hands the passed role to code the caller already controls, its own function
    # or project included (the Role of UpdateFunctionConfiguration needs iam:PassRole,
    # https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionConfiguration.html).
    p = policy(allow("iam:PassRole", "*", sid="Pass"), allow(runner, resource, sid="Update"))
    (finding,) = check("IG406", p)
    assert finding.counterexample["resource"] == f"arn:aws:iam::{ACCOUNT}:role/AdminRole"  # type: ignore[index]
    assert runner in finding.message
    assert check("IG406", policy(allow("iam:PassRole", ROLES), allow(runner, resource))) == []


def test_trust_policy_rewrites_outside_the_prefix_are_reported() -> None:
    (finding,) = check("IG405", policy(allow("iam:UpdateAssumeRolePolicy")))
    assert finding.counterexample["resource"] == f"arn:aws:iam::{ACCOUNT}:role/AdminRole"  # type: ignore[index]
    assert check("IG405", policy(allow("iam:UpdateAssumeRolePolicy", ROLES))) == []


# -- IG406 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("runner", "service"),
    [
        ("lambda:CreateFunction", "lambda.amazonaws.com"),
        ("ec2:RunInstances", "ec2.amazonaws.com"),
        ("glue:CreateDevEndpoint", "glue.amazonaws.com"),
        ("cloudformation:CreateStack", "cloudformation.amazonaws.com"),
        ("ecs:RunTask", "ecs-tasks.amazonaws.com"),
        ("codebuild:CreateProject", "codebuild.amazonaws.com"),
        ("sagemaker:CreateNotebookInstance", "sagemaker.amazonaws.com"),
        ("datapipeline:CreatePipeline", "datapipeline.amazonaws.com"),
        ("apprunner:CreateService", "build.apprunner.amazonaws.com"),
    ],
)
def test_passrole_on_any_role_with_a_code_runner_is_reported(runner: str, service: str) -> None:
    p = policy(allow("iam:PassRole", sid="Pass"), allow(runner, sid="Run"))
    (finding,) = check("IG406", p)
    assert finding.counterexample["resource"] == f"arn:aws:iam::{ACCOUNT}:role/AdminRole"  # type: ignore[index]
    assert finding.counterexample["context"]["iam:PassedToService"] == [service]  # type: ignore[index]
    assert runner in finding.message
    assert [ref.sid for ref in finding.statements] == ["Pass", "Run"]


def test_passrole_alone_or_a_code_runner_alone_is_not_this_escalation() -> None:
    assert check("IG406", policy(allow("iam:PassRole"))) == []
    assert check("IG406", policy(allow(["lambda:*", "ec2:*"]))) == []


def test_passrole_limited_to_another_service_than_the_runner_is_safe() -> None:
    passrole = allow(
        "iam:PassRole", condition={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}
    )
    assert check("IG406", policy(passrole, allow("lambda:CreateFunction"))) == []
    assert check("IG406", policy(passrole, allow("ec2:RunInstances")))


def test_passrole_on_the_delegates_own_roles_is_safe() -> None:
    assert (
        check("IG406", policy(allow("iam:PassRole", ROLES), allow("lambda:CreateFunction"))) == []
    )


# -- IG407 ----------------------------------------------------------------------------------


def test_update_function_code_on_any_function_is_a_warning() -> None:
    (finding,) = check("IG407", policy(allow("lambda:UpdateFunctionCode")))
    assert finding.severity == "warning"
    assert finding.counterexample["resource"].endswith(":function:AdminFunction")  # type: ignore[index]
    own = "arn:aws:lambda:*:${aws:PrincipalAccount}:function:service-*"
    assert check("IG407", policy(allow("lambda:UpdateFunctionCode", own))) == []


# -- broad access that is not an escalation ---------------------------------------------------
# (for IG401-IG407; the escalation table's IG408 does judge ec2:* on * an escalation, ec2-002,
# and lambda:* on * one, lambda-003: see tests/test_escalation_paths.py)


@pytest.mark.parametrize(
    "statements",
    [
        [allow("ec2:*")],
        [allow(["s3:*", "logs:*", "dynamodb:*", "lambda:Get*", "lambda:List*"])],
        [allow(["iam:Get*", "iam:List*"])],
        [allow("iam:PassRole", ROLES), allow(["ec2:*", "lambda:*"])],
    ],
    ids=["ec2-star", "data-services", "iam-read-only", "passrole-scoped-with-compute"],
)
def test_broad_non_iam_access_is_not_an_error(statements: list[dict[str, Any]]) -> None:
    p = policy(*statements)
    errors = [f for fs in escalations(p).values() for f in fs if f.severity == "error"]
    assert errors == []
