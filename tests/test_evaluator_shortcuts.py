"""The evaluator's shortcuts answer as the long way round does.

* ``variables.parse`` splits text that holds no variable on its wildcards alone; the general
  scanner (``variables.scan``) reads it character by character. Both must give the same
  pieces for any text, with and without wildcards and variables.
* Statements with the same Action list share one compiled matcher; each still answers for
  its own list.
* A pattern's regular expression starts after its literal start (tested apart): the matcher
  still answers as the matching rule says, for Action-like and ARN patterns.
* A pattern whose wildcards are single ``*`` is matched with str.find, leftmost literal
  first, not a regular expression: both answer alike, bounded (segment) stars included.
* An Action element's patterns are filed by service from their raw text and compiled when
  the service is first asked: the matcher answers as all the patterns compiled at once.
* A Request sharing another's context equals one built from it; a condition compiled once
  per (operator, key, values, Version) holds as one compiled for its own statement.
"""

from __future__ import annotations

from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from iamgate.evaluator import Request, statement_matches
from iamgate.evaluator.matching import (
    _regex_tail,
    _stars,
    compile_actions,
    compile_patterns,
    lowered,
)
from iamgate.evaluator.variables import ONE, STAR, Resolved, Variable, parse, scan
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


def _reference(pieces: tuple[Resolved, ...], text: str, arn: bool) -> bool:
    """The matching rule written out as a search: ``*`` any run and ``?`` one character; in
    an ARN, before the fifth colon of the pattern's text, neither crosses a colon, except a
    ``*`` that ends the pattern."""

    @cache
    def match(i: int, j: int, colons: int) -> bool:
        if i == len(pieces):
            return j == len(text)
        piece = pieces[i]
        if isinstance(piece, str):
            return text.startswith(piece, j) and match(
                i + 1, j + len(piece), colons + piece.count(":")
            )
        bounded = arn and colons < 5
        if piece is ONE:
            return (
                j < len(text) and not (bounded and text[j] == ":") and match(i + 1, j + 1, colons)
            )
        last = i == len(pieces) - 1
        for k in range(j, len(text) + 1):
            if match(i + 1, k, colons):
                return True
            if k < len(text) and bounded and not last and text[k] == ":":
                return False
        return False

    return match(0, 0, 0)


PATTERN = st.lists(st.sampled_from(["a", ":", "b:", "ab", "*", "?"]), max_size=9)
FILL = st.text(alphabet="ab:", max_size=3)


@settings(max_examples=400)
@given(st.lists(PATTERN, min_size=1, max_size=3), st.booleans(), st.data())
def test_compiled_patterns_match_as_the_rule_says(
    patterns: list[list[str]], arn: bool, data: st.DataObject
) -> None:
    # Texts near a pattern: each wildcard of the first one filled in, or any text at all.
    filled = "".join(
        data.draw(FILL)
        if token == "*"
        else data.draw(st.sampled_from("ab:"))
        if token == "?"
        else token
        for token in patterns[0]
    )
    text = data.draw(st.sampled_from([filled, filled + "a", filled[1:]]) | FILL)
    parsed = [parse("".join(p), wildcards=True, variables=False) for p in patterns]
    matcher = compile_patterns(parsed, arn=arn)
    assert matcher(text) is any(_reference(pieces, text, arn) for pieces in parsed)


def test_a_pattern_matches_after_its_literal_start() -> None:
    for pattern, text, arn in [
        ("a?b", "axb", False),
        ("arn:aws:iam::*:role/x*y", "arn:aws:iam::1:role/xzy", True),
        ("arn:aws:s3:::b/*/k", "arn:aws:s3:::b/p/q/k", True),
    ]:
        matcher = compile_patterns([parse(pattern, wildcards=True, variables=False)], arn=arn)
        assert matcher(text)
        assert not matcher("z" + text)


# Action-like text: service parts that differ only in case or by a final sigma, wildcards
# before and after the colon, no colon at all.
ACTION_TEXT = st.text(alphabet="aAΣσς:*?g", max_size=8)


@settings(max_examples=400)
@given(st.lists(ACTION_TEXT, max_size=5), st.lists(ACTION_TEXT, min_size=1, max_size=6))
def test_action_matchers_filed_by_service_answer_as_all_patterns_at_once(
    patterns: list[str], actions: list[str]
) -> None:
    # compile_actions files each pattern by service from its raw text and parses a service's
    # patterns when an action of it is first asked; the plain matcher reads every pattern.
    filed = compile_actions(patterns)
    plain = compile_patterns(
        [lowered(parse(p, wildcards=True, variables=False)) for p in patterns], arn=False
    )
    for action in (*actions, *(p.lower() for p in patterns)):
        lower = action.lower()
        assert filed(lower) is plain(lower), (patterns, lower)


def test_an_action_matcher_answers_for_services_it_has_not_compiled() -> None:
    one = compile_actions(["IAM:Get*", "iam:PassRole"])
    assert not one("s3:getobject")
    assert one("iam:getrole") and one("iam:passrole") and not one("iam:createrole")
    many = compile_actions(["s3:Get*", "IAM:PassRole", "ec2:Describe?"])
    assert many("iam:passrole") and many("s3:getobject") and many("ec2:describex")
    assert not many("sts:assumerole") and not many("ec2:describexy")
    mixed = compile_actions(["s3:Get*", "*:List*"])
    assert mixed("iam:listroles") and mixed("s3:getobject") and not mixed("s3:putobject")


# Star-only patterns with enough colons to reach an ARN's resource part, and texts near them.
STAR_PATTERN = st.lists(st.sampled_from(["a", ":", "a:", "::", "ab", "ba", "*"]), max_size=12)


@settings(max_examples=1500)
@given(STAR_PATTERN, st.booleans(), st.data())
def test_star_tails_match_as_their_regular_expression_does(
    tokens: list[str], arn: bool, data: st.DataObject
) -> None:
    # _stars matches with str.find, leftmost literal first; _regex_tail is the regular
    # expression the pattern has always compiled to. Both from the first wildcard on. The
    # pieces are the tokens as they come: a resolved policy variable leaves literal text
    # side by side.
    pieces: tuple[Resolved, ...] = tuple(STAR if t == "*" else t for t in tokens)
    wilds = [i for i, piece in enumerate(pieces) if piece is STAR]
    if not wilds:
        return
    stars = _stars(pieces, wilds[0], arn)
    if stars is None:  # two wildcards side by side: left to the regular expression
        return
    regex = _regex_tail(pieces, wilds[0], arn)
    filled = "".join(
        data.draw(st.text(alphabet="ab:", max_size=4)) if t == "*" else t for t in tokens
    )
    for text in (filled, data.draw(st.text(alphabet="ab:", max_size=14)), filled + ":", filled[1:]):
        for start in range(len(text) + 1):
            assert stars(text, start) is regex(text, start), (pieces, text, start)
        matcher = compile_patterns([pieces], arn=arn)
        assert matcher(text) is _reference(pieces, text, arn), (pieces, text)


def test_an_arn_pattern_without_a_regular_expression() -> None:
    role = parse("arn:aws:iam::*:role/service-role/Amazon*", wildcards=True, variables=False)
    matcher = compile_patterns([role], arn=True)
    assert matcher("arn:aws:iam::123456789012:role/service-role/AmazonX")
    assert matcher("arn:aws:iam::123456789012:role/service-role/Amazon:x:y")
    assert not matcher("arn:aws:iam::1:2:role/service-role/AmazonX")  # * stays in the account
    assert not matcher("arn:aws:iam::123456789012:role/other/AmazonX")
    stack = parse("arn:aws:cloudformation:*:*:stack/a*b", wildcards=True, variables=False)
    matcher = compile_patterns([stack], arn=True)
    assert matcher("arn:aws:cloudformation:us-east-1:1:stack/a:x/b")
    assert not matcher("arn:aws:cloudformation:us-east-1:1:stack/a:x/c")
    assert not matcher("arn:aws:cloudformation:us:east:1:stack/ab")


CONTEXT = st.dictionaries(
    st.sampled_from(["aws:TagKeys", "AWS:tagkeys", "iam:PermissionsBoundary", "s3:prefix"]),
    st.lists(st.sampled_from(["a", "B", ""]), max_size=2).map(tuple),
    max_size=4,
)


@given(CONTEXT, st.sampled_from(["iam:CreateRole", "S3:ListBucket", "x:y"]))
def test_a_request_sharing_a_context_is_the_request_built_from_it(
    context: dict[str, tuple[str, ...]], action: str
) -> None:
    # Proofs read a context once and ask about many actions and resources in it.
    built = Request(action, "arn:aws:s3:::b", context)
    shared = Request("iam:PassRole", "*", context).sharing(action, "arn:aws:s3:::b")
    assert shared == built and hash(shared) == hash(built)
    assert shared.to_dict() == built.to_dict()
    for key in (*context, "aws:tagkeys", "S3:Prefix", "absent"):
        assert shared.lookup(key) == built.lookup(key)


@settings(max_examples=200)
@given(
    st.sampled_from(
        ["StringLike", "ForAnyValue:StringEquals", "ArnLikeIfExists", "Null", "StringNotEquals"]
    ),
    st.lists(
        st.sampled_from(["a*", "b", "${aws:username}", "true", "arn:aws:iam::*:x"]),
        min_size=1,
        max_size=3,
    ),
    st.booleans(),
    CONTEXT,
)
def test_a_shared_compiled_condition_holds_as_one_built_for_its_statement(
    operator: str, values: list[str], variables: bool, context: dict[str, tuple[str, ...]]
) -> None:
    # Conditions are compiled once per (operator, key, values, Version): two statements'
    # copies (other places in other policies) share one, which answers as a fresh one does.
    from iamgate.evaluator.conditions import _compile, compile_condition
    from iamgate.model import Condition

    first = Condition(operator, "aws:TagKeys", tuple(values), ("Statement", 0))
    second = Condition(operator, "aws:TagKeys", tuple(values), ("Statement", 7))
    shared = compile_condition(first, variables)
    assert compile_condition(second, variables) is shared
    fresh = _compile.__wrapped__(operator, "aws:TagKeys", tuple(values), variables)
    for request in (
        Request("s3:GetObject", "*", context),
        Request("x:y", "*", {**context, "aws:username": ("a",)}),
    ):
        assert shared.holds(request) is fresh.holds(request)
    other = compile_condition(first, not variables)
    assert other is not shared
