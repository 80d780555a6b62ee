"""Numeric, Date, Bool, Binary, IP address and ARN condition operators."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from iamgate.evaluator import Request, evaluate
from iamgate.evaluator.conditions_values import parse_date
from iamgate.model import policy_from_data

# Every row below comes from this page's section for its family.
OPERATORS_DOC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html"


def holds(operator: str, key: str, policy_value: Any, request_value: str | None) -> bool:
    statement = {
        "Effect": "Allow",
        "Action": "*",
        "Resource": "*",
        "Condition": {operator: {key: policy_value}},
    }
    policy = policy_from_data({"Version": "2012-10-17", "Statement": [statement]})
    context = {} if request_value is None else {key: (request_value,)}
    return evaluate(Request("s3:ListBucket", "arn:aws:s3:::b", context), [policy]).allowed


AGE = "aws:MultiFactorAuthAge"
NUMERIC_CASES = [
    ("NumericEquals", "10", "10", True),
    ("NumericEquals", "10", "10.0", True),
    ("NumericEquals", "10", "11", False),
    ("NumericEquals", "10", None, False),
    ("NumericNotEquals", "10", "11", True),
    ("NumericNotEquals", "10", "10", False),
    ("NumericNotEquals", "10", None, True),
    ("NumericLessThan", "10", "9", True),
    ("NumericLessThan", "10", "10", False),
    ("NumericLessThanEquals", "10", "10", True),
    ("NumericLessThanEquals", "10", "10.5", False),
    ("NumericGreaterThan", "3600", "3601", True),
    ("NumericGreaterThan", "3600", "3600", False),
    ("NumericGreaterThanEquals", "3600", "3600", True),
    ("NumericGreaterThanEquals", "3600", None, False),
    ("NumericLessThan", "10", "ten", False),  # not a number: no match
    ("NumericLessThan", 10, "2.5", True),  # a JSON number in the policy
]


@pytest.mark.parametrize(("operator", "policy_value", "request_value", "expected"), NUMERIC_CASES)
def test_numeric_operators(operator, policy_value, request_value, expected):
    assert holds(operator, AGE, policy_value, request_value) is expected


TIME = "aws:CurrentTime"
DATE_CASES = [
    ("DateGreaterThan", "2020-01-01T00:00:01Z", "2020-06-01T12:00:00Z", True),
    ("DateGreaterThan", "2020-01-01T00:00:01Z", "2019-12-31T23:59:59Z", False),
    ("DateGreaterThan", "2020-01-01T00:00:01Z", None, False),
    ("DateLessThan", "2020-01-01", "2019-12-31T23:59:59Z", True),
    ("DateLessThanEquals", "2020-01-01T00:00:00Z", "2020-01-01T00:00:00+00:00", True),
    ("DateEquals", "2020-01-01T00:00:00Z", "2020-01-01T01:00:00+01:00", True),  # zones compared
    ("DateEquals", "2020-01-01T00:00:00Z", "1577836800", True),  # epoch seconds
    ("DateNotEquals", "2020-01-01T00:00:00Z", "2020-01-02T00:00:00Z", True),
    ("DateNotEquals", "2020-01-01T00:00:00Z", None, True),
    ("DateGreaterThanEquals", "1577836800", "2020-01-01T00:00:00Z", True),
    ("DateLessThan", "2020-02", "2020-01-31T23:00:00Z", True),  # W3C year-month
    ("DateLessThan", "2020-01-01T00:00:00Z", "yesterday", False),
]


@pytest.mark.parametrize(("operator", "policy_value", "request_value", "expected"), DATE_CASES)
def test_date_operators_accept_iso8601_and_epoch(operator, policy_value, request_value, expected):
    assert holds(operator, TIME, policy_value, request_value) is expected


def test_date_parsing_defaults_to_utc_and_rejects_garbage():
    assert parse_date("2020-01-01T00:00:00") == parse_date("2020-01-01T00:00:00Z") == 1577836800
    assert parse_date("2020-13") is None
    assert parse_date("not a date") is None


SECURE = "aws:SecureTransport"
BOOL_CASES = [
    ("false", "false", True),
    ("false", "true", False),
    (False, "false", True),  # a JSON boolean in the policy
    ("true", "TRUE", True),
    ("false", None, False),  # OPERATORS_DOC: absent key, values do not match
]


@pytest.mark.parametrize(("policy_value", "request_value", "expected"), BOOL_CASES)
def test_bool_operator(policy_value, request_value, expected):
    assert holds("Bool", SECURE, policy_value, request_value) is expected


def test_binary_equals_compares_bytes_against_base64():
    wanted = base64.b64encode(b"BinaryValueInBase64").decode()
    assert holds("BinaryEquals", "aws:SourceVpc", wanted, wanted)
    assert not holds("BinaryEquals", "aws:SourceVpc", wanted, base64.b64encode(b"other").decode())
    assert not holds("BinaryEquals", "aws:SourceVpc", wanted, None)
    assert not holds("BinaryEquals", "aws:SourceVpc", wanted, "not base64!")


IP = "aws:SourceIp"
IP_CASES = [
    ("IpAddress", "203.0.113.0/24", "203.0.113.7", True),
    ("IpAddress", "203.0.113.0/24", "203.0.114.7", False),
    ("IpAddress", "203.0.113.7", "203.0.113.7", True),  # no prefix: /32
    ("IpAddress", "203.0.113.7", "203.0.113.8", False),
    ("IpAddress", "2001:DB8:1234:5678::/64", "2001:db8:1234:5678::1", True),
    ("IpAddress", "203.0.113.0/24", "2001:db8::1", False),
    ("IpAddress", "203.0.113.0/24", None, False),
    ("NotIpAddress", "203.0.113.0/24", "198.51.100.1", True),
    ("NotIpAddress", "203.0.113.0/24", "203.0.113.1", False),
    ("NotIpAddress", "203.0.113.0/24", None, True),
    ("IpAddress", "203.0.113.0/24", "not-an-ip", False),
]


@pytest.mark.parametrize(("operator", "policy_value", "request_value", "expected"), IP_CASES)
def test_ip_address_operators(operator, policy_value, request_value, expected):
    assert holds(operator, IP, policy_value, request_value) is expected


def test_ip_address_values_are_ored():
    values = ["203.0.113.0/24", "2001:DB8:1234:5678::/64"]
    assert holds("IpAddress", IP, values, "2001:db8:1234:5678::9")
    assert holds("IpAddress", IP, values, "203.0.113.9")
    assert not holds("IpAddress", IP, values, "192.0.2.1")


SOURCE = "aws:SourceArn"
TOPIC = "arn:aws:sns:us-east-2:123456789012:topic-a"
TOPICS = "arn:aws:sns:*:123456789012:topic-*"
FINANCE = "arn:aws:someservice:*:111122223333:finance/*"
DOCUMENT = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"
ARN_CASES = [
    ("ArnEquals", TOPIC, TOPIC, True),
    ("ArnEquals", TOPIC, "arn:aws:sns:us-east-2:123456789012:topic-b", False),
    ("ArnEquals", TOPICS, TOPIC, True),  # identical to ArnLike
    ("ArnLike", TOPICS, TOPIC, True),
    ("ArnLike", TOPICS, TOPIC.upper(), False),  # case-sensitive
    ("ArnLike", TOPICS, None, False),
    ("ArnNotLike", TOPICS, TOPIC, False),
    ("ArnNotLike", TOPICS, "arn:aws:sns:us-east-2:999999999999:x", True),
    ("ArnNotLike", TOPICS, None, True),
    ("ArnNotEquals", TOPIC, None, True),
    # The page's own example: StringLike matches across colons, ArnLike checks each segment.
    ("ArnLike", FINANCE, DOCUMENT, False),
    ("StringLike", FINANCE, DOCUMENT, True),
]  # fmt: skip


@pytest.mark.parametrize(("operator", "policy_value", "request_value", "expected"), ARN_CASES)
def test_arn_operators_match_segment_by_segment(operator, policy_value, request_value, expected):
    assert holds(operator, SOURCE, policy_value, request_value) is expected
