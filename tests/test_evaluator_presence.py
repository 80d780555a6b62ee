"""Absent keys: Null, ...IfExists, and the ForAllValues/ForAnyValue set operators."""

from __future__ import annotations

from typing import Any

import pytest

from iamgate.evaluator import Request, evaluate
from iamgate.model import policy_from_data

OPERATORS_DOC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html"
SET_DOC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html"
KEYS_DOC = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/"
    "reference_policies_condition-single-vs-multi-valued-context-keys.html"
)
EXAMPLES_DOC = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/"
    "reference_policies_condition_examples-multi-valued-context-keys.html"
)
IFEXISTS_SET_REPOST = "https://repost.aws/questions/QU9HFmDzP0QGuU-fd7rS6B7w"


def holds(condition: dict[str, Any], context: dict[str, Any]) -> bool:
    statement = {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": condition}
    policy = policy_from_data({"Version": "2012-10-17", "Statement": [statement]})
    return evaluate(Request("sqs:ListQueues", "*", context), [policy]).allowed


TOKEN = "aws:TokenIssueTime"


# OPERATORS_DOC, "Condition operator to check existence of condition keys": "true (the key
# doesn't exist — it is null) or false (the key exists and its value is not null)".
@pytest.mark.parametrize(
    ("value", "context", "expected"),
    [
        ("true", {}, True),
        ("true", {TOKEN: "2020-01-01T00:00:00Z"}, False),
        ("false", {}, False),
        ("false", {TOKEN: "2020-01-01T00:00:00Z"}, True),
        (True, {}, True),  # a JSON boolean in the policy
        ("true", {TOKEN: ()}, True),  # a key with no values is absent
    ],
)
def test_null_checks_whether_the_key_is_absent(value, context, expected):
    assert holds({"Null": {TOKEN: value}}, context) is expected


# OPERATORS_DOC, "...IfExists condition operators": "If the key is not present, evaluate the
# condition element as true"; when present, the operator applies as usual.
IFEXISTS_CASES = [
    ("StringLikeIfExists", ["t1.*", "t2.*", "m3.*"], None, True),
    ("StringLikeIfExists", ["t1.*", "t2.*", "m3.*"], "t2.micro", True),
    ("StringLikeIfExists", ["t1.*", "t2.*", "m3.*"], "p4d.24xlarge", False),
    ("StringEqualsIfExists", "a", None, True),
    ("StringNotEqualsIfExists", "a", None, True),
    ("StringNotEqualsIfExists", "a", "a", False),
    ("NumericLessThanIfExists", "5", None, True),
    ("NumericLessThanIfExists", "5", "9", False),
    ("DateGreaterThanIfExists", "2020-01-01T00:00:00Z", None, True),
    ("BoolIfExists", "true", None, True),
    ("IpAddressIfExists", "203.0.113.0/24", None, True),
    ("ArnLikeIfExists", "arn:aws:iam::*:role/x", None, True),
    ("ArnLikeIfExists", "arn:aws:iam::*:role/x", "arn:aws:iam::1:role/y", False),
]


@pytest.mark.parametrize(("operator", "policy_value", "request_value", "expected"), IFEXISTS_CASES)
def test_ifexists_is_true_when_the_key_is_absent(operator, policy_value, request_value, expected):
    key = "aws:PrincipalTag/instance-type"
    context = {} if request_value is None else {key: request_value}
    assert holds({operator: {key: policy_value}}, context) is expected


TAGS = "aws:TagKeys"


# SET_DOC: ForAllValues — every request value matches some policy value, and "If the key
# values in the request resolve to an empty data set ... ForAllValues returns true";
# KEYS_DOC: "It also returns true if there are no context keys in the request".
FORALL_CASES = [
    (["PostDateTime", "Message", "Tags"], ("PostDateTime", "Message"), True),
    (["PostDateTime", "Message", "Tags"], ("PostDateTime", "UserName"), False),
    (["PostDateTime", "Message", "Tags"], None, True),
    (["PostDateTime", "Message", "Tags"], (), True),
    (["Created*"], ("CreatedBy", "CreatedAt"), True),
]


@pytest.mark.parametrize(("policy_values", "request_values", "expected"), FORALL_CASES)
def test_forallvalues(policy_values, request_values, expected):
    context = {} if request_values is None else {TAGS: request_values}
    assert holds({"ForAllValues:StringLike": {TAGS: policy_values}}, context) is expected


# SET_DOC: ForAnyValue — at least one pair matches; false on an empty data set; KEYS_DOC: false
# when the key is absent.
FORANY_CASES = [
    (["ID", "PostDateTime"], ("UserName", "Message", "PostDateTime"), True),
    (["ID", "PostDateTime"], ("UserName",), False),
    (["ID", "PostDateTime"], None, False),
    (["ID", "PostDateTime"], (), False),
]


@pytest.mark.parametrize(("policy_values", "request_values", "expected"), FORANY_CASES)
def test_foranyvalue(policy_values, request_values, expected):
    context = {} if request_values is None else {TAGS: request_values}
    assert holds({"ForAnyValue:StringEquals": {TAGS: policy_values}}, context) is expected


# EXAMPLES_DOC, "Deny policy with condition set operator ForAllValues": with
# ForAllValues:StringNotLike "key1*", [key1:legal] and [key1:hr, key1:personnel] do not match,
# [key2:audit] matches, and no aws:TagKeys in the request matches.
@pytest.mark.parametrize(
    ("request_values", "expected"),
    [(("key1:legal",), False), (("key1:hr", "key1:personnel"), False), (("key2:audit",), True),
     (("key1:a", "key2:b"), False), (None, True)],
)  # fmt: skip
def test_forallvalues_with_a_negated_operator(request_values, expected):
    context = {} if request_values is None else {TAGS: request_values}
    assert holds({"ForAllValues:StringNotLike": {TAGS: "key1*"}}, context) is expected


# ForAnyValue with a negated operator: some request value matches none of the policy values;
# false when the key is absent (KEYS_DOC).
@pytest.mark.parametrize(
    ("request_values", "expected"),
    [(("DataClass", "Owner"), False), (("Dept", "DataClass"), True), (("Dept", "SIC"), True),
     (None, False)],
)  # fmt: skip
def test_foranyvalue_with_a_negated_operator(request_values, expected):
    context = {} if request_values is None else {TAGS: request_values}
    condition = {"ForAnyValue:StringNotEquals": {TAGS: ["DataClass", "Owner"]}}
    assert holds(condition, context) is expected


# Under a set operator IfExists changes nothing: ForAnyValue:StringEqualsIfExists with the key
# absent is false on AWS (IFEXISTS_SET_REPOST: ListQueues denied by exactly this condition),
# and ForAllValues is true on an absent key with or without IfExists.
def test_ifexists_does_not_change_set_operators_on_an_absent_key():
    assert not holds({"ForAnyValue:StringEqualsIfExists": {TAGS: "team"}}, {})
    assert holds({"ForAnyValue:StringEqualsIfExists": {TAGS: "team"}}, {TAGS: ("team",)})
    assert holds({"ForAllValues:StringEqualsIfExists": {TAGS: "team"}}, {})


def test_set_operator_with_a_single_valued_key_is_permissive_when_absent():
    # KEYS_DOC warns that ForAllValues on a single-valued key "can lead to overly permissive
    # policies": the classic delegation bypass — the boundary key simply left out.
    condition = {"ForAllValues:StringEquals": {"aws:PrincipalTag/boundary": "approved"}}
    assert holds(condition, {})
    assert not holds(condition, {"aws:PrincipalTag/boundary": "other"})
