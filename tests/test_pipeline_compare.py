"""Semantic document comparison: what IAM hands back must not look like a change.

IAM returns documents URL-encoded (RFC 3986) and re-serialised:
https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetAccountAuthorizationDetails.html
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from iamgate.pipeline.compare import DocumentError, decode, same_document, unified_diff

REPO_DOC = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Read",
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": "arn:aws:s3:::bucket/${aws:username}/*",
            "Condition": {"Bool": {"aws:SecureTransport": True}},
        }
    ],
}


def test_url_encoded_live_document_equals_the_repository_file() -> None:
    live = quote(json.dumps(REPO_DOC, separators=(",", ":")), safe="")
    assert same_document(live, REPO_DOC)


def test_key_order_and_whitespace_never_make_a_difference() -> None:
    reordered = json.dumps(
        {
            "Statement": [dict(reversed(list(REPO_DOC["Statement"][0].items())))],
            "Version": "2012-10-17",
        },
        indent=7,
    )
    assert same_document(reordered, json.dumps(REPO_DOC))


def test_single_string_equals_one_element_list_everywhere_iam_allows_both() -> None:
    live = {
        "Version": "2012-10-17",
        "Statement": {  # a single statement object, not a list
            "Sid": "Read",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": ["arn:aws:s3:::bucket/${aws:username}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": ["true"]}},
        },
    }
    assert same_document(live, REPO_DOC)


def test_order_of_actions_and_case_of_condition_keys_do_not_matter() -> None:
    left = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:B", "s3:A"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalTag/Team": "x"}},
            }
        ]
    }
    right = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:A", "s3:B"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:principaltag/team": ["x"]}},
            }
        ]
    }
    assert same_document(left, right)


def test_a_real_change_is_a_difference() -> None:
    changed = json.loads(json.dumps(REPO_DOC))
    changed["Statement"][0]["Action"] = ["s3:GetObject", "s3:PutObject"]
    assert not same_document(changed, REPO_DOC)
    changed = json.loads(json.dumps(REPO_DOC))
    changed["Statement"][0]["Effect"] = "Deny"
    assert not same_document(changed, REPO_DOC)


def test_policy_variables_stay_as_written() -> None:
    resolved = json.loads(json.dumps(REPO_DOC).replace("${aws:username}", "alice"))
    assert not same_document(resolved, REPO_DOC)


def test_plain_json_text_is_not_url_decoded_a_second_time() -> None:
    # A literal "%41" inside a value must stay "%41", not become "A".
    doc = {
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/%41"}
        ]
    }
    assert decode(json.dumps(doc))["Statement"][0]["Resource"] == "arn:aws:s3:::b/%41"
    assert decode(quote(json.dumps(doc)))["Statement"][0]["Resource"] == "arn:aws:s3:::b/%41"


def test_a_live_document_that_is_not_json_is_a_clear_error() -> None:
    with pytest.raises(DocumentError, match="not JSON"):
        decode("%7Bnot json")


def test_diff_shows_only_the_lines_whose_meaning_changed() -> None:
    changed = json.loads(json.dumps(REPO_DOC))
    changed["Statement"][0]["Action"] = ["s3:PutObject"]
    live = quote(json.dumps(REPO_DOC, indent=4))
    diff = unified_diff(live, changed, "live v1", "policies/x.json")
    removed = [
        line for line in diff.splitlines() if line.startswith("-") and not line.startswith("---")
    ]
    added = [
        line for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")
    ]
    assert removed == ['-        "s3:GetObject"']
    assert added == ['+        "s3:PutObject"']
    assert diff.splitlines()[:2] == ["--- live v1", "+++ policies/x.json"]
