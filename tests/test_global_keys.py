"""IG206: a misspelt global aws: condition key is reported with the key it was meant to be."""

from __future__ import annotations

from pathlib import Path

import pytest

from iamgate.config import Config
from iamgate.model import Policy, policy_from_data
from iamgate.project import Project
from iamgate.rules.global_keys import MisspeltGlobalConditionKey

RULE = MisspeltGlobalConditionKey()


def _policy(condition: dict) -> Policy:
    return policy_from_data(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": condition}
            ],
        }
    )


def _messages(condition: dict, tmp_path: Path) -> list[str]:
    project = Project(tmp_path, Config(root=tmp_path))
    return [f.message for f in RULE.check(_policy(condition), project)]


@pytest.mark.parametrize(
    ("condition", "meant", "effect"),
    [
        (
            {"StringNotEquals": {"aws:PrincipleOrgID": "o-a1b2c3d4e5"}},
            "aws:PrincipalOrgID",
            "always true",
        ),
        ({"Bool": {"aws:SecureTransprot": "false"}}, "aws:SecureTransport", "never true"),
        (
            {"StringEquals": {"aws:PrincipleTag/team": "platform"}},
            "aws:PrincipalTag/team",
            "never true",
        ),
        (
            {"StringEqualsIfExists": {"aws:RequestedRegon": "eu-west-1"}},
            "aws:RequestedRegion",
            "always true",
        ),
    ],
)
def test_a_global_key_one_typo_away_is_reported_with_the_documented_key(
    condition: dict, meant: str, effect: str, tmp_path: Path
) -> None:
    (message,) = _messages(condition, tmp_path)
    assert f"did you mean {meant}?" in message
    assert effect in message


@pytest.mark.parametrize(
    "condition",
    [
        {"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
        {"StringEquals": {"AWS:principalorgid": "o-a1b2c3d4e5"}},  # keys are case-insensitive
        {"StringEquals": {"aws:PrincipalTag/any-tag-key": "platform"}},
        {"StringEquals": {"aws:ACompletelyNewKeyFromAWS": "x"}},  # not a typo: left alone
        {"StringEquals": {"s3:prefix": "home/"}},  # service keys are IG204's
    ],
)
def test_documented_keys_and_keys_far_from_any_are_not_reported(
    condition: dict, tmp_path: Path
) -> None:
    assert _messages(condition, tmp_path) == []


def test_the_finding_points_at_the_misspelt_key(tmp_path: Path) -> None:
    policy = _policy({"StringNotEquals": {"aws:PrincipleOrgID": "o-a1b2c3d4e5"}})
    (finding,) = RULE.check(policy, Project(tmp_path, Config(root=tmp_path)))
    assert policy.document is not None
    text_line = policy.document.text.splitlines()[finding.line - 1]
    assert text_line[finding.column - 1 :].startswith('"aws:PrincipleOrgID"')
    assert (finding.rule, finding.severity) == ("IG206", "warning")
