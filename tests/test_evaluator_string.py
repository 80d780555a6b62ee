"""String condition operators and the AND/OR logic of the Condition element."""

from __future__ import annotations

from typing import Any

import pytest

from iamgate.evaluator import Request, evaluate
from iamgate.model import policy_from_data

OPERATORS_DOC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html"
MULTI_DOC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html"
TAG = "aws:PrincipalTag/job-category"


def holds(condition: dict[str, Any], context: dict[str, Any], effect: str = "Allow") -> bool:
    """Whether a statement with ``condition`` applies to a request with ``context``."""
    statements = [{"Effect": effect, "Action": "iam:*", "Resource": "*", "Condition": condition}]
    if effect == "Deny":
        statements.append({"Effect": "Allow", "Action": "*", "Resource": "*"})
    policy = policy_from_data({"Version": "2012-10-17", "Statement": statements})
    request = Request("iam:ListRoles", "*", context)
    decision = evaluate(request, [policy]).decision
    return decision == ("allowed" if effect == "Allow" else "explicit_deny")


# (operator, policy values, request values or None for an absent key, condition holds?)
# OPERATORS_DOC, "String condition operators" and the "Important" note: an absent key makes
# a positive operator false and a negated one ("the key is *not* matched") true.
STRING_CASES = [
    ("StringEquals", "iamuser-admin", "iamuser-admin", True),
    ("StringEquals", "iamuser-admin", "IAMUser-Admin", False),
    ("StringEquals", "iamuser-admin", None, False),
    ("StringEquals", "iamuser-*", "iamuser-admin", False),  # no wildcards in StringEquals
    ("StringNotEquals", "iamuser-admin", "iamuser-admin", False),
    ("StringNotEquals", "iamuser-admin", "dev", True),
    ("StringNotEquals", "iamuser-admin", None, True),
    ("StringEqualsIgnoreCase", "iamuser-admin", "IAMUser-Admin", True),
    ("StringEqualsIgnoreCase", "iamuser-admin", "dev", False),
    ("StringEqualsIgnoreCase", "iamuser-admin", None, False),
    ("StringNotEqualsIgnoreCase", "iamuser-admin", "IAMUSER-ADMIN", False),
    ("StringNotEqualsIgnoreCase", "iamuser-admin", "dev", True),
    ("StringNotEqualsIgnoreCase", "iamuser-admin", None, True),
    ("StringLike", "iamuser-*", "iamuser-admin", True),
    ("StringLike", "iamuser-*", "IAMUSER-admin", False),  # case-sensitive
    ("StringLike", "iamuser", "iamuser-admin", False),  # partial match needs a wildcard
    ("StringLike", "iam?ser-admin", "iamuser-admin", True),
    ("StringLike", "iam?ser-admin", "iamuuser-admin", False),
    ("StringLike", "*", "", True),
    ("StringLike", "a*/b", "a/x/y/b", True),
    ("StringLike", "iamuser-*", None, False),
    ("StringNotLike", "iamuser-*", "iamuser-admin", False),
    ("StringNotLike", "iamuser-*", "dev", True),
    ("StringNotLike", "iamuser-*", None, True),
]


@pytest.mark.parametrize(("operator", "policy_value", "request_value", "expected"), STRING_CASES)
def test_string_operators(operator, policy_value, request_value, expected):
    context = {} if request_value is None else {TAG: (request_value,)}
    assert holds({operator: {TAG: policy_value}}, context) is expected


# MULTI_DOC: values of one key are ORed; for a negated operator they are NORed.
def test_several_values_of_one_key_are_ored():
    condition = {"StringEquals": {TAG: ["audit", "security"]}}
    assert holds(condition, {TAG: "security"})
    assert not holds(condition, {TAG: "dev"})


def test_several_values_of_a_negated_operator_are_nored():
    condition = {"StringNotEquals": {TAG: ["audit", "security"]}}
    assert not holds(condition, {TAG: "audit"})
    assert not holds(condition, {TAG: "security"})
    assert holds(condition, {TAG: "dev"})


def test_several_keys_and_several_operators_are_anded():
    condition = {
        "StringEquals": {TAG: "audit", "aws:PrincipalTag/team": "red"},
        "StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/audit-*"},
    }
    full = {
        TAG: "audit",
        "aws:PrincipalTag/team": "red",
        "aws:PrincipalArn": "arn:aws:iam::1:role/audit-a",
    }
    assert holds(condition, full)
    assert not holds(condition, {**full, "aws:PrincipalTag/team": "blue"})
    assert not holds(condition, {k: v for k, v in full.items() if k != "aws:PrincipalArn"})


# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html:
# "Key names are case-insensitive. For example, aws:CurrentTime is equivalent to AWS:currenttime".
def test_condition_keys_match_in_any_letter_case():
    assert holds({"StringEquals": {"AWS:PRINCIPALTAG/JOB-CATEGORY": "audit"}}, {TAG: "audit"})
    assert holds({"StringEquals": {TAG: "audit"}}, {"aws:principaltag/job-category": "audit"})


def test_operator_names_match_in_any_letter_case():
    assert holds({"stringequals": {TAG: "audit"}}, {TAG: "audit"})


# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html:
# without a set operator a key with several request values matches when any value matches.
def test_plain_operator_on_a_multivalued_request_key_matches_any_value():
    assert holds({"StringEquals": {"aws:TagKeys": "owner"}}, {"aws:TagKeys": ("env", "owner")})
    assert not holds(
        {"StringNotEquals": {"aws:TagKeys": "owner"}}, {"aws:TagKeys": ("env", "owner")}
    )


def test_unknown_operator_never_holds_in_allow_or_deny():
    assert not holds({"StringEqualz": {TAG: "audit"}}, {TAG: "audit"})
    assert not holds({"StringEqualz": {TAG: "audit"}}, {TAG: "audit"}, effect="Deny")
    assert not holds({"NullIfExists": {TAG: "true"}}, {})


def test_deny_with_negated_operator_fires_when_the_key_is_absent():
    # OPERATORS_DOC, IfExists section: "If you are using an "Effect": "Deny" element with a
    # negated condition operator like StringNotEqualsIfExists, the request is still denied
    # even if the tag is missing" — and the plain negated operator is true when absent.
    assert holds({"StringNotEquals": {TAG: "audit"}}, {}, effect="Deny")
    assert holds({"StringNotEqualsIfExists": {TAG: "audit"}}, {}, effect="Deny")
