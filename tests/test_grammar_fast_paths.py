"""The grammar's shortcuts for clean files decide as the full checks do: an ARN or action the
shortcut passes is one the full check passes, and a list it declines gets the full check."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from iamgate.document import parse_text
from iamgate.grammar import check
from iamgate.grammar.arn_syntax import arn_problem
from iamgate.grammar.semantic_checks import _ACTION, _PLAIN_ARN, _all_match

PIECES = st.sampled_from(
    [
        *["arn", "aws", "s3", "", ":", "*", "?", "-", "us-east-1", "123456789012", "Bucket"],
        *["/", "${", "}", "${aws:username}", "${aws:partition}", "\n", "é", "iam", "A", "x y"],
    ]
)
TEXTS = st.lists(PIECES, max_size=10).map("".join)


@settings(max_examples=500)
@given(TEXTS)
def test_an_arn_the_shortcut_passes_is_one_arn_problem_accepts(resource: str) -> None:
    if _all_match(_PLAIN_ARN, resource):
        assert arn_problem(resource) is None
    elif "${" not in resource:
        assert arn_problem(resource) is not None


@settings(max_examples=300)
@given(TEXTS)
def test_an_action_the_shortcut_passes_is_well_formed(action: str) -> None:
    assert _all_match(_ACTION, action) == bool(_ACTION.fullmatch(action))


def test_lists_with_other_types_take_the_full_check() -> None:
    assert not _all_match(_ACTION, ["s3:GetObject", 3])
    assert not _all_match(_ACTION, {"s3:GetObject": 1})
    assert _all_match(_ACTION, ["s3:GetObject", "iam:*"])


def _issues(document: dict[str, object]) -> list[tuple[str, str]]:
    doc = parse_text(json.dumps(document, indent=2), "p.json")
    issues, _ = check(doc, "identity", "p")
    return [(i.problem.name, i.message) for i in issues]


def test_a_variable_written_as_a_unicode_escape_is_still_found() -> None:
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/x"}
    plain = {"Version": "2008-10-17", "Statement": [statement]}
    assert _issues(plain) == []
    escaped = json.dumps(
        {**plain, "Statement": [{**statement, "Resource": "arn:aws:s3:::b/${aws:username}"}]}
    ).replace("$", "\\u0024")
    doc = parse_text(escaped, "p.json")
    issues, _ = check(doc, "identity", "p")
    assert [i.problem.name for i in issues] == ["VARIABLES_NEED_CURRENT_VERSION"]


def test_a_malformed_entry_among_good_ones_is_reported_where_it_is() -> None:
    statement = {
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3 GetObject"],
        "Resource": ["arn:aws:s3:::b", "arn:aws:s3:b"],
    }
    found = _issues({"Version": "2012-10-17", "Statement": [statement]})
    assert [name for name, _ in found] == ["MALFORMED_ACTION", "MALFORMED_ARN"]
