"""Action/NotAction and Resource/NotResource matching, each row a documented IAM behaviour."""

from __future__ import annotations

from typing import Any

import pytest

from iamgate.evaluator import Request, evaluate, statement_matches
from iamgate.model import policy_from_data

ACTION_DOC = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html"
)
NOTACTION_DOC = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html"
)
RESOURCE_DOC = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html"
)
NOTRESOURCE_DOC = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html"
)
ROLE = "arn:aws:iam::111122223333:role/service-x"
IAM = "arn:aws:iam::111122223333:"
LOGS = "arn:aws:logs:us-east-1:111122223333:log-group:app:"


def allows(statement: dict[str, Any], action: str, resource: str = ROLE) -> bool:
    policy = policy_from_data(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", **statement}]}
    )
    return evaluate(Request(action, resource), [policy]).allowed


# (Action element, requested action, allowed?) — ACTION_DOC: "The prefix and the action name
# are case insensitive. For example, iam:ListAccessKeys is the same as IAM:listaccesskeys";
# "*" for all actions of a service, and wildcards inside the action name ("iam:*AccessKey*").
ACTION_CASES = [
    ("iam:ListAccessKeys", "IAM:listaccesskeys", True),
    ("IAM:LISTACCESSKEYS", "iam:ListAccessKeys", True),
    ("iam:ListAccessKeys", "iam:ListAccessKey", False),
    ("s3:*", "s3:GetObject", True),
    ("s3:*", "s3express:CreateSession", False),
    ("iam:*AccessKey*", "iam:CreateAccessKey", True),
    ("iam:*AccessKey*", "iam:ListAccessKeys", True),
    ("iam:*AccessKey*", "iam:CreateRole", False),
    ("iam:Get?", "iam:GetX", True),
    ("iam:Get?", "iam:GetXY", False),
    ("iam:get*", "iam:GetRole", True),
    ("*", "kms:Decrypt", True),
    (["ec2:StartInstances", "iam:ChangePassword"], "iam:changepassword", True),
    (["ec2:StartInstances", "iam:ChangePassword"], "iam:CreateUser", False),
]


@pytest.mark.parametrize(("pattern", "action", "expected"), ACTION_CASES)
def test_action_matching_is_case_insensitive_with_wildcards(pattern, action, expected):
    assert allows({"Action": pattern, "Resource": "*"}, action) is expected


# NOTACTION_DOC: an Allow with NotAction allows every action except those listed (across
# every service), and a Deny with NotAction denies everything except those listed.
def test_allow_with_notaction_allows_every_other_action():
    statement = {"NotAction": "iam:*", "Resource": "*"}
    assert allows(statement, "s3:GetObject")
    assert allows(statement, "kms:Decrypt")
    assert not allows(statement, "iam:CreateRole")
    assert not allows(statement, "IAM:CreateRole")


def test_deny_with_notaction_denies_everything_not_listed():
    policy = policy_from_data(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                {"Effect": "Deny", "NotAction": ["iam:Get*", "iam:List*"], "Resource": "*"},
            ],
        }
    )
    assert evaluate(Request("iam:GetRole", ROLE), [policy]).decision == "allowed"
    assert evaluate(Request("iam:CreateRole", ROLE), [policy]).decision == "explicit_deny"


# (Resource element, requested ARN, allowed?) — RESOURCE_DOC: wildcards "*" and "?" inside ARN
# segments; "*" as the last character can extend across colons; the resource part
# (after the fifth colon) may contain "/" and ":" which "*" spans; matching is case-sensitive
# ("In the Resource element, the IAM user name is case sensitive").
RESOURCE_CASES = [
    ("*", ROLE, True),
    (ROLE, ROLE, True),
    (IAM + "role/service-*", ROLE, True),
    (IAM + "role/service-*", IAM + "role/admin", False),
    (IAM + "role/service-*", IAM + "role/a/service-x", False),
    (IAM + "role/*", IAM + "role/path/to/x", True),
    (IAM + "user/Bob", IAM + "user/bob", False),
    (IAM + "user/accounting/*", IAM + "user/accounting/x", True),
    ("arn:aws:iam::*:role/service-*", ROLE, True),
    ("arn:aws:iam::????????????:role/service-x", ROLE, True),
    ("arn:aws:iam::???????????:role/service-x", ROLE, False),
    ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b:c", True),
    ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket", False),
    ("arn:aws:iam::*", ROLE, True),
    ("arn:aws:s3:*", ROLE, False),
    ("arn:aws:iam::1111?2223333:role/service-x", ROLE, True),
    # A wildcard inside an earlier segment stays inside it.
    ("arn:aws:iam::*3:role/service-x", "arn:aws:iam::1:2:3:role/service-x", False),
    (LOGS + "*", LOGS + "log-stream:x", True),
]  # fmt: skip


@pytest.mark.parametrize(("pattern", "resource", "expected"), RESOURCE_CASES)
def test_resource_matching_follows_arn_wildcard_rules(pattern, resource, expected):
    assert allows({"Action": "*", "Resource": pattern}, "iam:GetRole", resource) is expected


def test_one_of_several_resources_is_enough():
    statement = {"Action": "*", "Resource": ["arn:aws:s3:::a", "arn:aws:s3:::b/*"]}
    assert allows(statement, "s3:GetObject", "arn:aws:s3:::b/key")
    assert not allows(statement, "s3:GetObject", "arn:aws:s3:::c/key")


# NOTRESOURCE_DOC: the statement applies to every resource except those listed.
def test_notresource_applies_to_every_other_resource():
    statement = {"Action": "s3:*", "NotResource": ["arn:aws:s3:::secret", "arn:aws:s3:::secret/*"]}
    assert allows(statement, "s3:GetObject", "arn:aws:s3:::public/key")
    assert not allows(statement, "s3:GetObject", "arn:aws:s3:::secret/key")


def test_deny_with_notresource_denies_outside_the_listed_resources():
    policy = policy_from_data(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                {"Effect": "Deny", "Action": "s3:*", "NotResource": "arn:aws:s3:::team/*"},
            ],
        }
    )
    assert evaluate(Request("s3:GetObject", "arn:aws:s3:::team/k"), [policy]).allowed
    denied = evaluate(Request("s3:GetObject", "arn:aws:s3:::other/k"), [policy])
    assert denied.decision == "explicit_deny"


def test_statement_matches_ignores_effect_and_checks_all_three_elements():
    policy = policy_from_data(
        {
            "Version": "2012-10-17",
            "Statement": {
                "Effect": "Deny",
                "Action": "iam:CreateRole",
                "Resource": "arn:aws:iam::*:role/service-*",
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}},
            },
        }
    )
    statement = policy.statements[0]
    request = Request("iam:CreateRole", ROLE, {"aws:MultiFactorAuthPresent": ("false",)})
    assert statement_matches(statement, request, policy.version)
    assert not statement_matches(statement, Request("iam:CreateRole", ROLE), policy.version)
    assert not statement_matches(statement, Request("iam:DeleteRole", ROLE), policy.version)
