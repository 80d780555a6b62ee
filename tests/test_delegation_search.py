"""The proof machinery: which policies are delegation policies, the candidate requests the
search builds from a policy, and the shortcuts (shared decisions, per-policy cache) that must
not change an answer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from iamgate.config import Config
from iamgate.delegation import (
    ADMINISTRATOR_ACCESS,
    BOUNDARY_KEY,
    DEFAULT_ACCOUNT,
    Candidate,
    Proof,
    boundary_condition_actions,
    delegation_actions,
    lookup,
    prefix_scoped_actions,
    proof_for,
)
from iamgate.model import Policy, policy_from_data
from iamgate.project import Project
from iamgate.rules import all_rules

ACCOUNT = DEFAULT_ACCOUNT
APPROVED = f"arn:aws:iam::{ACCOUNT}:policy/S3AccessBoundary"
APPROVED_VAR = "arn:aws:iam::${aws:PrincipalAccount}:policy/S3AccessBoundary"
REPO = Path(__file__).resolve().parent.parent


def make_project() -> Project:
    config = Config(root=Path("."), prefix="service-", boundaries=("S3AccessBoundary",))
    return Project(config.root, config)


def policy(*statements: dict[str, Any], name: str = "Delegate") -> Policy:
    return policy_from_data({"Version": "2012-10-17", "Statement": list(statements)}, name)


def allow(
    actions: Any, resource: Any = "*", condition: dict[str, Any] | None = None
) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": actions, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


def proof(p: Policy) -> Proof:
    return Proof(p, make_project())


# -- which policies are delegation policies ------------------------------------------------


@pytest.mark.parametrize(
    "statements",
    [
        [allow("iam:CreateRole", condition={"StringEquals": {BOUNDARY_KEY: APPROVED_VAR}})],
        [allow("iam:CreatePolicy", "arn:aws:iam::*:policy/service-*")],
        [allow("iam:Update*", "arn:aws:iam::*:role/x")],
        # IAM requests always carry us-east-1, so this condition is met by every one of them.
        [allow("iam:*", condition={"StringEquals": {"aws:RequestedRegion": "us-east-1"}})],
        [allow("iam:*", condition={"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}})],
    ],
    ids=[
        "create-role-with-boundary",
        "create-policy",
        "update-role",
        "conditioned-on-us-east-1",
        "conditioned-on-not-another-region",
    ],
)
def test_policies_that_create_or_change_principals_or_policies_are_delegation_policies(
    statements: list[dict[str, Any]],
) -> None:
    assert proof(policy(*statements)).is_delegation


@pytest.mark.parametrize(
    "statements",
    [
        [allow(["s3:*", "ec2:*"])],
        [allow(["iam:Get*", "iam:List*"])],
        [allow("iam:PassRole")],  # passing a role changes no principal (IG406 judges it)
        [allow("iam:CreateServiceLinkedRole")],  # its permissions are AWS's
        [allow("iam:TagRole")],  # tagging, not "Permissions management" or "Write"
        # IAM is global: its requests carry aws:RequestedRegion us-east-1, never eu-west-1.
        [allow("iam:*", condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}})],
        [allow("iam:*", condition={"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}})],
        [allow("iam:*", condition={"Null": {"aws:RequestedRegion": "true"}})],
        [allow("iam:CreateRole"), {"Effect": "Deny", "Action": "iam:*", "Resource": "*"}],
        [
            allow("iam:CreateRole", condition={"StringEquals": {BOUNDARY_KEY: APPROVED_VAR}}),
            {
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {"StringLike": {BOUNDARY_KEY: "*"}},
            },
        ],
    ],
    ids=[
        "non-iam",
        "read-only",
        "passrole",
        "service-linked",
        "tagging",
        "iam-in-another-region",
        "iam-outside-us-east-1",
        "iam-without-a-region",
        "denied",
        "never-satisfiable",
    ],
)
def test_policies_that_change_no_principal_are_not_delegation_policies(
    statements: list[dict[str, Any]],
) -> None:
    assert not proof(policy(*statements)).is_delegation


def test_delegation_actions_come_from_the_catalog_access_levels() -> None:
    names = {a.full for a in delegation_actions()}
    assert {a.full for a in boundary_condition_actions()} <= names
    assert {"iam:CreatePolicyVersion", "iam:DeleteRole", "iam:UpdateAssumeRolePolicy"} <= names
    assert not names & {"iam:PassRole", "iam:CreateServiceLinkedRole", "iam:GetRole", "iam:TagRole"}
    assert all(a.access_level in ("Write", "Permissions management") for a in delegation_actions())


def test_boundary_removal_is_neither_governed_by_the_boundary_condition_nor_prefix_scoped() -> None:
    removal = {"iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary"}
    assert not removal & {a.full for a in boundary_condition_actions()}
    assert not removal & {a.full for a in prefix_scoped_actions()}


# -- candidate requests ---------------------------------------------------------------------


def test_boundary_candidates_cover_absent_aws_managed_and_the_delegates_own_policies() -> None:
    options = proof(policy(allow("iam:CreateRole"))).boundary_options
    assert options[0] is None  # the key absent comes first
    singles = {o[0] for o in options if o and len(o) == 1}
    assert {APPROVED, ADMINISTRATOR_ACCESS, f"arn:aws:iam::{ACCOUNT}:policy/service-boundary"} <= (
        singles
    )
    # AWS sets as a boundary only a policy of the account itself or an AWS managed one: a
    # request naming another account's policy fails, so it is never a candidate.
    assert not any(v.startswith("arn:aws:iam::111122223333:") for v in singles)
    assert all(o is None or len(o) == 1 for o in options)


def test_the_single_valued_boundary_key_gets_one_value_even_under_a_set_operator() -> None:
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
    condition = {"ForAnyValue:StringEquals": {"iam:permissionsboundary": APPROVED_VAR}}
    options = proof(policy(allow("iam:CreateRole", condition=condition))).boundary_options
    assert all(o is None or len(o) == 1 for o in options)


def test_a_multivalued_key_under_a_set_operator_gets_sets_of_values() -> None:
    condition = {"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "env"]}}
    options = proof(policy(allow("iam:TagRole", condition=condition))).key_options("aws:tagkeys")
    assert ("team", "env") in options
    single = {"ForAnyValue:StringEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-west-2"]}}
    options = proof(policy(allow("iam:TagRole", condition=single))).key_options(
        "aws:requestedregion"
    )
    assert all(o is None or len(o) == 1 for o in options)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("arn:aws:iam::*:policy/*", f"arn:aws:iam::{ACCOUNT}:policy/x"),
        ("arn:aws:iam::*:policy/*", "arn:aws:iam::111122223333:policy/x"),
        (
            "arn:aws:iam::${aws:PrincipalAccount}:policy/S3AccessBoundar?",
            f"arn:aws:iam::{ACCOUNT}:policy/S3AccessBoundarx",
        ),
        ("*Boundary", "arn:aws:iam::111122223333:policy/OtherBoundary"),
        ("arn:aws:iam::*", "arn:aws:iam::111122223333:policy/Other"),
    ],
)
def test_condition_patterns_are_filled_so_that_they_match(pattern: str, expected: str) -> None:
    assert expected in proof(policy(allow("iam:CreateRole"))).fill_value(pattern)


def test_resources_are_generic_inside_and_outside_names_and_the_policys_own_patterns() -> None:
    p = policy(
        allow(
            "iam:DeleteRole",
            ["arn:aws:iam::${aws:PrincipalAccount}:role/team/*", "arn:aws:s3:::bucket/*"],
        )
    )
    (action,) = lookup("iam:DeleteRole")
    resources = proof(p).resources(action, outside_first=True)
    assert resources[0] == f"arn:aws:iam::{ACCOUNT}:role/AdminRole"
    assert f"arn:aws:iam::{ACCOUNT}:role/service-x" in resources
    assert f"arn:aws:iam::{ACCOUNT}:role/team/x" in resources
    assert not any("bucket" in r for r in resources)  # another service's pattern names no role


def test_a_resource_pattern_of_another_account_names_no_candidate() -> None:
    # IAM acts on the caller's own account only.
    own = "210987654321"
    resources_named = [
        f"arn:aws:iam::{own}:role/a-*",
        f"arn:aws:iam::{own}:policy/a-*",
        "arn:aws:iam::999999999999:role/b-*",
    ]
    (action,) = lookup("iam:DeleteRole")
    resources = proof(policy(allow("iam:DeleteRole", resources_named))).resources(action)
    assert f"arn:aws:iam::{own}:role/a-x" in resources
    assert not any("b-x" in r for r in resources)


def test_the_principal_account_is_the_one_resource_arns_name() -> None:
    p = policy(allow("iam:CreateRole", "arn:aws:iam::210987654321:role/service-*"))
    assert proof(p).account == "210987654321"
    assert proof(policy(allow("iam:CreateRole", "arn:aws:iam::*:role/*"))).account == ACCOUNT


def test_variables_in_resources_resolve_to_the_searched_requests_values() -> None:
    pr = proof(
        policy(
            allow(
                "iam:CreateRole",
                "arn:aws:iam::${aws:PrincipalAccount}:role/${aws:PrincipalTag/team}-*",
            )
        )
    )
    assert pr.substitute("${aws:PrincipalAccount}/${aws:username}") == f"{ACCOUNT}/iamgate-caller"
    assert pr.base_context["aws:PrincipalTag/team"] == ("x",)


def test_version_2008_policies_keep_variables_literal() -> None:
    p = policy_from_data({"Version": "2008-10-17", "Statement": [allow("iam:CreateRole")]}, "Old")
    assert Proof(p, make_project()).substitute("${aws:username}") == "${aws:username}"


# -- shortcuts that must not change an answer -----------------------------------------------


def _without_approved_boundary(pr: Proof) -> Callable[[Candidate], bool]:
    return lambda c: not pr.boundary_approved(c.boundary)


def test_shared_decisions_agree_with_evaluating_each_action_alone() -> None:
    from iamgate.document import load
    from iamgate.model import build_policy

    for path in sorted((REPO / "tests" / "fixtures" / "security").glob("*/*.json")):
        p = build_policy(load(path, path.name), path.stem, "identity")
        pr = proof(p)
        unsafe = _without_approved_boundary(pr)
        for action in boundary_condition_actions():
            if not pr.named_by_allow(action):
                continue
            shared = pr.first_violation(action, unsafe)
            alone = pr.first_violation(action, unsafe, shared=False)
            assert (shared is None) == (alone is None), (path.name, action.full)
            if shared is not None and alone is not None:
                assert shared.request == alone.request


def test_each_distinct_question_is_evaluated_once_per_policy() -> None:
    p = policy(
        allow(
            ["iam:CreateRole", "iam:AttachRolePolicy", "iam:PutRolePolicy"],
            condition={"StringEquals": {BOUNDARY_KEY: APPROVED_VAR}},
        )
    )
    project = make_project()
    findings = [
        f
        for rule in all_rules().values()
        if rule.id.startswith(("IG3", "IG4"))
        for f in rule.check(p, project)
    ]
    assert findings == []
    pr = proof_for(p, project)
    asked = len(pr._memo)
    # The three actions are one class for this policy: CreateRole's questions answer the others.
    (create,) = lookup("iam:CreateRole")
    (attach,) = lookup("iam:AttachRolePolicy")
    assert pr.action_class(create) == pr.action_class(attach)
    for rule in all_rules().values():
        if rule.id.startswith(("IG3", "IG4")):
            rule.check(p, project)
    assert len(pr._memo) == asked  # a second pass asks nothing new
    assert proof_for(p, project) is pr
