"""IG302 boundary-deletion and IG303 boundary-tampering: a delegate can neither take a
boundary off nor rewrite the boundary (or the delegation policy) that limits it.
https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from iamgate.config import Config
from iamgate.delegation import DEFAULT_ACCOUNT
from iamgate.findings import Finding
from iamgate.model import Policy, policy_from_data
from iamgate.project import Project
from iamgate.rules import all_rules

ACCOUNT = DEFAULT_ACCOUNT
APPROVED_VAR = "arn:aws:iam::${aws:PrincipalAccount}:policy/S3AccessBoundary"
ROLES = "arn:aws:iam::${aws:PrincipalAccount}:role/service-*"
DELEGATE = {
    "Sid": "CreateWithBoundary",
    "Effect": "Allow",
    "Action": ["iam:CreateRole", "iam:AttachRolePolicy"],
    "Resource": ROLES,
    "Condition": {"StringEquals": {"iam:PermissionsBoundary": APPROVED_VAR}},
}
EDITING = [
    "iam:CreatePolicyVersion",
    "iam:DeletePolicy",
    "iam:DeletePolicyVersion",
    "iam:SetDefaultPolicyVersion",
]


def make_project(config: Config | None = None) -> Project:
    config = config or Config(root=Path("."), prefix="service-", boundaries=("S3AccessBoundary",))
    return Project(config.root, config)


def policy(*statements: dict[str, Any], name: str = "DelegatePermissions") -> Policy:
    return policy_from_data({"Version": "2012-10-17", "Statement": [DELEGATE, *statements]}, name)


def check(rule_id: str, p: Policy, project: Project | None = None) -> list[Finding]:
    return all_rules()[rule_id].check(p, project or make_project())


# -- IG302 --------------------------------------------------------------------------------


def test_allowing_boundary_removal_is_reported_with_an_approved_boundary_being_removed() -> None:
    p = policy(
        {
            "Sid": "Tidy",
            "Effect": "Allow",
            "Action": "iam:DeleteRolePermissionsBoundary",
            "Resource": ROLES,
        }
    )
    (finding,) = check("IG302", p)
    assert finding.counterexample["action"] == "iam:DeleteRolePermissionsBoundary"  # type: ignore[index]
    assert finding.counterexample["context"]["iam:PermissionsBoundary"] == [  # type: ignore[index]
        f"arn:aws:iam::{ACCOUNT}:policy/S3AccessBoundary"
    ]
    assert [ref.sid for ref in finding.statements] == ["Tidy"]


def test_boundary_removal_is_reported_under_any_condition() -> None:
    # "Only boundaries that are not approved" still removes a ceiling: never allowed at all.
    condition = {"StringNotEquals": {"iam:PermissionsBoundary": APPROVED_VAR}}
    statement = {
        "Effect": "Allow",
        "Action": "iam:Delete*PermissionsBoundary",
        "Resource": "*",
        "Condition": condition,
    }
    (finding,) = check("IG302", policy(statement))
    assert "iam:DeleteUserPermissionsBoundary" in finding.message


def test_denied_boundary_removal_is_not_reported() -> None:
    broad = {"Effect": "Allow", "Action": "iam:Delete*", "Resource": ROLES}
    deny = {
        "Effect": "Deny",
        "Action": ["iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary"],
        "Resource": "*",
    }
    assert check("IG302", policy(broad, deny)) == []


# -- IG303 --------------------------------------------------------------------------------


def test_rewriting_the_approved_boundary_is_reported() -> None:
    editing = {
        "Sid": "Policies",
        "Effect": "Allow",
        "Action": EDITING,
        "Resource": "arn:aws:iam::*:policy/*",
    }
    (finding,) = check("IG303", policy(editing))
    assert finding.counterexample["resource"] == f"arn:aws:iam::{ACCOUNT}:policy/S3AccessBoundary"  # type: ignore[index]
    assert "the approved boundary S3AccessBoundary" in finding.message
    assert "iam:SetDefaultPolicyVersion" in finding.message  # grouped with its siblings


def test_rewriting_the_delegation_policy_itself_is_reported() -> None:
    editing = {
        "Effect": "Allow",
        "Action": "iam:CreatePolicyVersion",
        "Resource": "arn:aws:iam::*:policy/*",
    }
    deny_boundary = {"Effect": "Deny", "Action": EDITING, "Resource": APPROVED_VAR}
    (finding,) = check("IG303", policy(editing, deny_boundary))
    assert (
        finding.counterexample["resource"] == f"arn:aws:iam::{ACCOUNT}:policy/DelegatePermissions"
    )  # type: ignore[index]
    assert "this delegation policy" in finding.message


def test_a_deny_on_both_protected_policies_is_safe() -> None:
    editing = {"Effect": "Allow", "Action": EDITING, "Resource": "arn:aws:iam::*:policy/*"}
    deny = {
        "Effect": "Deny",
        "Action": EDITING,
        "Resource": [
            APPROVED_VAR,
            "arn:aws:iam::${aws:PrincipalAccount}:policy/DelegatePermissions",
        ],
    }
    assert check("IG303", policy(editing, deny)) == []


def test_protected_policies_are_also_sought_under_the_deploy_path() -> None:
    base = make_project().config
    project = make_project(replace(base, deploy=replace(base.deploy, path="/iamgate/")))
    editing = {"Effect": "Allow", "Action": EDITING, "Resource": "arn:aws:iam::*:policy/*"}
    deny_root = {
        "Effect": "Deny",
        "Action": EDITING,
        "Resource": "arn:aws:iam::*:policy/S3AccessBoundary",
    }
    resources = {
        f.counterexample["resource"] for f in check("IG303", policy(editing, deny_root), project)
    }  # type: ignore[index]
    assert f"arn:aws:iam::{ACCOUNT}:policy/iamgate/S3AccessBoundary" in resources


def test_policy_editing_on_the_delegates_own_policies_is_safe() -> None:
    editing = {
        "Effect": "Allow",
        "Action": EDITING,
        "Resource": "arn:aws:iam::${aws:PrincipalAccount}:policy/service-*",
    }
    assert check("IG303", policy(editing)) == []
