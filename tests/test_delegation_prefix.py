"""IG304 prefix-scoping: IAM writes the boundary condition does not govern stay on resources
named with the delegation prefix."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from iamgate.config import Config
from iamgate.delegation import CALLER, DEFAULT_ACCOUNT, prefix_scoped_actions
from iamgate.findings import Finding
from iamgate.model import Policy, policy_from_data
from iamgate.project import Project
from iamgate.rules import all_rules

ACCOUNT = DEFAULT_ACCOUNT
APPROVED_VAR = "arn:aws:iam::${aws:PrincipalAccount}:policy/S3AccessBoundary"
ROLES = "arn:aws:iam::${aws:PrincipalAccount}:role/service-*"
DELEGATE = {
    "Effect": "Allow",
    "Action": ["iam:CreateRole", "iam:PutRolePolicy"],
    "Resource": ROLES,
    "Condition": {"StringEquals": {"iam:PermissionsBoundary": APPROVED_VAR}},
}


def make_project(rules: dict[str, str] | None = None) -> Project:
    config = Config(root=Path("."), prefix="service-", boundaries=("S3AccessBoundary",))
    if rules:
        config = replace(config, rules=rules)
    return Project(config.root, config)


def policy(*statements: dict[str, Any]) -> Policy:
    return policy_from_data(
        {"Version": "2012-10-17", "Statement": [DELEGATE, *statements]}, "Delegate"
    )


def allow(actions: Any, resource: Any, sid: str = "Scoped") -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resource}


def check(p: Policy, project: Project | None = None) -> list[Finding]:
    return all_rules()["IG304"].check(p, project or make_project())


def test_the_scoped_actions_come_from_the_catalog() -> None:
    names = {a.full for a in prefix_scoped_actions()}
    expected = {
        "iam:CreatePolicy",
        "iam:CreatePolicyVersion",
        "iam:SetDefaultPolicyVersion",
        "iam:DeletePolicy",
        "iam:PassRole",
        "iam:UpdateAssumeRolePolicy",
        "iam:DeleteRole",
        "iam:TagRole",
        "iam:CreateInstanceProfile",
        "iam:AddRoleToInstanceProfile",
    }
    assert expected <= names
    # The boundary condition and boundary deletion have their own proofs.
    assert not names & {"iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRolePermissionsBoundary"}


def test_create_policy_on_any_name_is_reported_at_the_resource() -> None:
    p = policy(allow(["iam:CreatePolicy", "iam:TagPolicy"], "arn:aws:iam::*:policy/*"))
    (finding,) = check(p)
    assert (
        finding.counterexample["resource"] == f"arn:aws:iam::{ACCOUNT}:policy/AdministratorPolicy"
    )  # type: ignore[index]
    assert (finding.line, finding.column) == p.document.locate_key(
        (*p.statements[1].path, "Resource")
    )  # type: ignore[union-attr]
    assert 'delegation prefix "service-"' in finding.message and "iam:TagPolicy" in finding.message


def test_a_wildcard_before_the_prefix_admits_names_without_it() -> None:
    (finding,) = check(
        policy(allow("iam:TagRole", "arn:aws:iam::${aws:PrincipalAccount}:role/*service-*"))
    )
    assert finding.counterexample["resource"] == f"arn:aws:iam::{ACCOUNT}:role/xservice-x"  # type: ignore[index]


def test_not_resource_that_excludes_one_outsider_still_admits_others() -> None:
    statement = {
        "Effect": "Allow",
        "Action": "iam:CreatePolicy",
        "NotResource": "arn:aws:iam::*:policy/AdministratorPolicy",
    }
    (finding,) = check(policy(statement))
    assert (
        finding.counterexample["resource"] != f"arn:aws:iam::{ACCOUNT}:policy/AdministratorPolicy"
    )  # type: ignore[index]


def test_delete_role_on_any_role_without_a_boundary_is_reported() -> None:
    (finding,) = check(policy(allow("iam:DeleteRole", "*")))
    assert "with no permissions boundary" in finding.message


def test_actions_carrying_the_boundary_key_are_scoped_by_an_approved_boundary() -> None:
    # DeleteRole/UpdateRole carry iam:PermissionsBoundary (the target's boundary): on a role
    # held to the approved boundary they are the delegate's business, whatever its name.
    statement = {
        **allow(["iam:DeleteRole", "iam:UpdateRole"], "*"),
        "Condition": {"StringEquals": {"iam:PermissionsBoundary": APPROVED_VAR}},
    }
    assert check(policy(statement)) == []


def test_writes_inside_the_prefix_and_on_the_callers_own_user_are_safe() -> None:
    p = policy(
        allow(
            ["iam:CreatePolicy", "iam:DeletePolicy"],
            "arn:aws:iam::${aws:PrincipalAccount}:policy/service-*",
        ),
        allow(
            ["iam:ChangePassword", "iam:CreateAccessKey"],
            "arn:aws:iam::*:user/${aws:username}",
            sid="Self",
        ),
        allow("iam:PassRole", ROLES, sid="Pass"),
    )
    assert check(p) == []


def test_the_well_known_path_reports_the_request_and_prefix_scoping_defers_to_it() -> None:
    p = policy(allow(["iam:UpdateAssumeRolePolicy", "iam:CreatePolicy"], "*"))
    actions = {f.counterexample["action"] for f in check(p)}  # type: ignore[index]
    assert actions == {"iam:CreatePolicy"}
    (trust,) = all_rules()["IG405"].check(p, make_project())
    assert trust.counterexample["action"] == "iam:UpdateAssumeRolePolicy"  # type: ignore[index]


@pytest.mark.parametrize("key", ["IG405", "update-assume-role-policy"])
def test_with_the_well_known_path_turned_off_prefix_scoping_reports_the_request(key: str) -> None:
    # Turned off by id or by name: the deferral asks the same place as the lint engine.
    p = policy(allow("iam:UpdateAssumeRolePolicy", "*"))
    (finding,) = check(p, make_project({key: "off"}))
    assert finding.counterexample["action"] == "iam:UpdateAssumeRolePolicy"  # type: ignore[index]


def test_the_callers_own_user_is_not_outside_the_prefix() -> None:
    p = policy(allow("iam:UpdateUser", f"arn:aws:iam::{ACCOUNT}:user/{CALLER}"))
    assert check(p) == []


def test_change_password_acts_on_the_caller_alone_whatever_its_resource() -> None:
    # "Changes the password of the IAM user who is calling this operation":
    # https://docs.aws.amazon.com/IAM/latest/APIReference/API_ChangePassword.html
    assert check(policy(allow(["iam:ChangePassword", "iam:GetAccountPasswordPolicy"], "*"))) == []
    (finding,) = check(policy(allow(["iam:ChangePassword", "iam:UpdateUser"], "*")))
    assert finding.counterexample["action"] == "iam:UpdateUser"  # type: ignore[index]
