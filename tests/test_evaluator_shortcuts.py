"""The evaluator's shortcuts answer as the long way round does.

* ``variables.parse`` splits text that holds no variable on its wildcards alone; the general
  scanner (``variables.scan``) reads it character by character. Both must give the same
  pieces for any text, with and without wildcards and variables.
* Statements with the same Action list share one compiled matcher; each still answers for
  its own list.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from iamgate.evaluator import Request, statement_matches
from iamgate.evaluator.variables import STAR, Variable, parse, scan
from iamgate.model import Policy, policy_from_data

# Text built from the characters that matter to the parser, and some that do not.
TEXT = st.text(alphabet="ab:/*?${}', -_é", max_size=24)


@given(TEXT, st.booleans(), st.booleans())
def test_parse_gives_the_pieces_the_scanner_gives(
    text: str, wildcards: bool, variables: bool
) -> None:
    assert parse(text, wildcards=wildcards, variables=variables) == scan(
        text, wildcards=wildcards, variables=variables
    )


def test_parse_without_variables_keeps_text_and_splits_on_wildcards() -> None:
    assert parse("iam:get*", wildcards=True, variables=False) == ("iam:get", STAR)
    assert parse("a**b", wildcards=True, variables=False) == ("a", STAR, STAR, "b")
    assert parse("a*b", wildcards=False, variables=True) == ("a*b",)
    assert parse("", wildcards=True, variables=True) == ()
    # "${" reaches the scanner, which reads the variable.
    assert parse("x/${aws:username}/*", wildcards=True, variables=True) == (
        "x/",
        Variable("aws:username"),
        "/",
        STAR,
    )


def test_statements_with_the_same_actions_each_answer_for_themselves() -> None:
    def policy(effect: str, actions: list[str]) -> Policy:
        return policy_from_data(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": effect, "Action": actions, "Resource": "*"}],
            }
        )

    first = policy("Allow", ["s3:Get*", "iam:PassRole"])
    second = policy("Deny", ["s3:Get*", "iam:PassRole"])
    other = policy("Allow", ["s3:Put*"])
    get = Request("S3:GetObject", "arn:aws:s3:::b/k")
    put = Request("s3:PutObject", "arn:aws:s3:::b/k")
    for pol in (first, second):
        (statement,) = pol.statements
        assert statement_matches(statement, get, "2012-10-17")
        assert not statement_matches(statement, put, "2012-10-17")
    (statement,) = other.statements
    assert statement_matches(statement, put, "2012-10-17")
    assert not statement_matches(statement, get, "2012-10-17")
