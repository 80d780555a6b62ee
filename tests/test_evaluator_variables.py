"""Policy variables in Resource and in condition values."""

from __future__ import annotations

from typing import Any

import pytest

from iamgate.evaluator import Request, evaluate
from iamgate.evaluator.variables import STAR, Variable, parse
from iamgate.model import policy_from_data

VARIABLES_DOC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html"
KEYS_DOC = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/"
    "reference_policies_condition-single-vs-multi-valued-context-keys.html"
)


def allowed(
    statement: dict[str, Any],
    action: str,
    resource: str,
    context: dict[str, Any] | None = None,
    version: str | None = "2012-10-17",
) -> bool:
    data: dict[str, Any] = {"Statement": [{"Effect": "Allow", **statement}]}
    if version is not None:
        data["Version"] = version
    return evaluate(Request(action, resource, context or {}), [policy_from_data(data)]).allowed


HOME = {"Action": "s3:*", "Resource": "arn:aws:s3:::mybucket/${aws:username}/*"}


# VARIABLES_DOC, "Introduction": ${aws:username} is replaced by the current user's name.
def test_variable_in_resource_is_replaced_by_the_request_value():
    assert allowed(
        HOME, "s3:GetObject", "arn:aws:s3:::mybucket/David/notes", {"aws:username": "David"}
    )
    assert not allowed(
        HOME, "s3:GetObject", "arn:aws:s3:::mybucket/Adele/notes", {"aws:username": "David"}
    )


# VARIABLES_DOC, principal key values: "not present means ... any attempt to match it fails".
def test_variable_without_a_value_matches_nothing():
    assert not allowed(HOME, "s3:GetObject", "arn:aws:s3:::mybucket/David/notes")
    assert not allowed(HOME, "s3:GetObject", "arn:aws:s3:::mybucket/${aws:username}/notes")


# VARIABLES_DOC, "Specifying default values": ${aws:userid, 'anonymous'}.
def test_default_value_is_used_when_the_key_is_absent():
    statement = {"Action": "s3:*", "Resource": "arn:aws:s3:::b/${aws:userid, 'anonymous'}/*"}
    assert allowed(statement, "s3:GetObject", "arn:aws:s3:::b/anonymous/k")
    assert allowed(statement, "s3:GetObject", "arn:aws:s3:::b/AIDA1/k", {"aws:userid": "AIDA1"})
    assert not allowed(
        statement, "s3:GetObject", "arn:aws:s3:::b/anonymous/k", {"aws:userid": "AIDA1"}
    )


def test_a_quote_in_a_default_is_written_twice():
    assert parse("${aws:username, 'it''s'}", wildcards=True, variables=True) == (
        Variable("aws:username", "it's"),
    )


# VARIABLES_DOC, "Tags as policy variables": ${aws:PrincipalTag/department} in a Resource.
def test_principal_tag_as_variable_and_variable_names_ignore_case():
    statement = {"Action": "s3:*", "Resource": "arn:aws:s3:::bucket/${AWS:PrincipalTag/Department}"}
    context = {"aws:principaltag/department": "hr"}
    assert allowed(statement, "s3:GetObject", "arn:aws:s3:::bucket/hr", context)
    assert not allowed(statement, "s3:GetObject", "arn:aws:s3:::bucket/it", context)


# VARIABLES_DOC, "Condition element": variables in string and ARN operator values.
def test_variable_in_a_stringlike_condition_value():
    statement = {
        "Action": "s3:ListBucket",
        "Resource": "arn:aws:s3:::mybucket",
        "Condition": {"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/*"]}},
    }
    user = {"aws:username": "David"}
    assert allowed(
        statement, "s3:ListBucket", "arn:aws:s3:::mybucket", {**user, "s3:prefix": "home/David/x"}
    )
    assert not allowed(
        statement, "s3:ListBucket", "arn:aws:s3:::mybucket", {**user, "s3:prefix": "home/Adele/x"}
    )
    assert allowed(
        statement, "s3:ListBucket", "arn:aws:s3:::mybucket", {**user, "s3:prefix": "home/"}
    )


def test_principal_account_in_the_delegation_boundary_condition():
    boundary = "arn:aws:iam::${aws:PrincipalAccount}:policy/S3AccessBoundary"
    statement = {
        "Action": "iam:CreateRole",
        "Resource": "arn:aws:iam::${aws:PrincipalAccount}:role/service-*",
        "Condition": {"StringEquals": {"iam:PermissionsBoundary": boundary}},
    }
    role = "arn:aws:iam::111122223333:role/service-x"
    own = {"aws:PrincipalAccount": "111122223333"}
    good = "arn:aws:iam::111122223333:policy/S3AccessBoundary"
    foreign = "arn:aws:iam::999999999999:policy/S3AccessBoundary"
    assert allowed(statement, "iam:CreateRole", role, {**own, "iam:PermissionsBoundary": good})
    assert not allowed(
        statement, "iam:CreateRole", role, {**own, "iam:PermissionsBoundary": foreign}
    )
    assert not allowed(statement, "iam:CreateRole", "arn:aws:iam::999999999999:role/service-x", own)


def test_variable_in_an_arnlike_condition_value():
    statement = {
        "Action": "sqs:SendMessage",
        "Resource": "*",
        "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:${aws:PrincipalAccount}:*"}},
    }
    context = {"aws:PrincipalAccount": "111122223333"}
    ok = {**context, "aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:topic"}
    other = {**context, "aws:SourceArn": "arn:aws:sns:us-east-1:999999999999:topic"}
    assert allowed(statement, "sqs:SendMessage", "arn:aws:sqs:us-east-1:1:q", ok)
    assert not allowed(statement, "sqs:SendMessage", "arn:aws:sqs:us-east-1:1:q", other)


# VARIABLES_DOC, "Special characters": ${*}, ${?} and ${$} stand for the literal characters.
@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("a${*}", "a*", True),
        ("a${*}", "abc", False),
        ("a${?}", "a?", True),
        ("a${?}", "ab", False),
        ("${$}{x}", "${x}", True),
        ("a*", "abc", True),
    ],
)
def test_special_characters_are_literal(pattern, value, expected):
    statement = {
        "Action": "*",
        "Resource": "*",
        "Condition": {"StringLike": {"aws:PrincipalTag/t": pattern}},
    }
    assert allowed(statement, "s3:GetObject", "*", {"aws:PrincipalTag/t": value}) is expected


def test_a_variable_value_is_literal_never_a_wildcard():
    statement = {"Action": "s3:*", "Resource": "arn:aws:s3:::b/${aws:username}/x"}
    starry = {"aws:username": "a*"}
    assert not allowed(statement, "s3:GetObject", "arn:aws:s3:::b/abc/x", starry)
    assert allowed(statement, "s3:GetObject", "arn:aws:s3:::b/a*/x", starry)


# VARIABLES_DOC note: "If you don't include the Version element and set it to an appropriate
# version date, variables like ${aws:username} are treated as literal strings in the policy."
@pytest.mark.parametrize("version", ["2008-10-17", None])
def test_variables_are_literal_text_without_version_2012(version):
    statement = {"Action": "s3:*", "Resource": "arn:aws:s3:::b/${aws:username}"}
    david = {"aws:username": "David"}
    assert not allowed(statement, "s3:GetObject", "arn:aws:s3:::b/David", david, version=version)
    assert allowed(
        statement, "s3:GetObject", "arn:aws:s3:::b/${aws:username}", david, version=version
    )


# KEYS_DOC: "you cannot use a multivalued context key as a policy variable".
def test_a_multivalued_key_is_no_variable():
    statement = {"Action": "s3:*", "Resource": "arn:aws:s3:::b/${aws:PrincipalTag/team}"}
    assert not allowed(
        statement, "s3:GetObject", "arn:aws:s3:::b/red", {"aws:PrincipalTag/team": ("red", "blue")}
    )


# VARIABLES_DOC and KEYS_DOC: a multivalued key (the catalog types aws:TagKeys ArrayOfString)
# is never a variable, even when the request happens to carry one value for it.
def test_a_multivalued_key_with_one_value_is_still_no_variable():
    statement = {
        "Action": "iam:DeleteRole",
        "Resource": "arn:aws:iam::123456789012:role/${aws:TagKeys}",
    }
    role = "arn:aws:iam::123456789012:role/team"
    assert not allowed(statement, "iam:DeleteRole", role, {"aws:TagKeys": ("team",)})
    # A single-valued key with the same value is substituted.
    single = {
        "Action": "iam:DeleteRole",
        "Resource": "arn:aws:iam::123456789012:role/${aws:username}",
    }
    assert allowed(single, "iam:DeleteRole", role, {"aws:username": ("team",)})


def test_an_unresolvable_value_matches_nothing_so_a_negated_operator_holds():
    statement = {
        "Action": "*",
        "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:PrincipalTag/team": "${aws:username}"}},
    }
    assert allowed(statement, "s3:GetObject", "*", {"aws:PrincipalTag/team": "red"})


def test_malformed_variables_stay_literal_text():
    assert parse("${aws:username", wildcards=False, variables=True) == ("${aws:username",)
    assert parse("${noprefix}", wildcards=False, variables=True) == ("${noprefix}",)
    assert parse("${aws:x, unquoted}", wildcards=False, variables=True) == ("${aws:x, unquoted}",)
    assert parse("a*${*}", wildcards=True, variables=True) == ("a", STAR, "*")
