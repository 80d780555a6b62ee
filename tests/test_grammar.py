"""The IAM grammar: each rule with a policy it flags (rule, line, column) and one it passes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from iamgate import grammar
from iamgate.document import parse_text
from iamgate.findings import Finding
from iamgate.model import PolicyKind, build_policy
from iamgate.rules import all_rules
from iamgate.rules.grammar_rules import grammar_findings

ROOT = Path(__file__).resolve().parents[1]


def lint(
    text: str, kind: PolicyKind = "identity", name: str = "TestPolicy"
) -> tuple[list[Finding], bool]:
    return grammar_findings(parse_text(text, f"{name}.json"), kind, name)


def only(text: str, kind: PolicyKind = "identity", name: str = "TestPolicy") -> Finding:
    findings, _ = lint(text, kind, name)
    assert len(findings) == 1, [f.message for f in findings]
    return findings[0]


def at(finding: Finding) -> tuple[str, int, int]:
    return finding.rule, finding.line, finding.column


def spot(text: str, needle: str, nth: int = 1) -> tuple[int, int]:
    """Line and column of the nth ``needle`` in ``text``: the expected place, found by str.find."""
    offset = -1
    for _ in range(nth):
        offset = text.index(needle, offset + 1)
    return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)


def clean(text: str, kind: PolicyKind = "identity", name: str = "TestPolicy") -> None:
    findings, well_formed = lint(text, kind, name)
    assert findings == [], [f.message for f in findings]
    assert well_formed


def policy(*statements: str, version: str = '"2012-10-17"') -> str:
    """A policy with one statement per line, starting on line 3."""
    body = ",\n    ".join(statements)
    return f'{{\n  "Version": {version},\n  "Statement": [\n    {body}\n  ]\n}}'


READ = '"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"'


# -- the example project ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    sorted((ROOT / "policies").glob("*.json")) + sorted((ROOT / "boundaries").glob("*.json")),
    ids=lambda p: p.name,
)
def test_example_project_files_have_no_grammar_findings(path: Path) -> None:
    kind: PolicyKind = "boundary" if path.parent.name == "boundaries" else "identity"
    doc = parse_text(path.read_text(), path.name)
    assert grammar_findings(doc, kind, path.stem) == ([], True)
    assert build_policy(doc, path.stem, kind).statements


# -- IG101 unknown-element -------------------------------------------------------------------


def test_misspelt_statement_element_is_located_at_the_key_with_a_suggestion() -> None:
    text = policy('{"Effect": "Allow", "Action": "s3:GetObject", "Resources": "*"}')
    finding = only(text)
    assert at(finding) == ("IG101", *spot(text, '"Resources"'))
    assert '"Resources"' in finding.message and 'did you mean "Resource"?' in finding.message


def test_miscased_element_suggests_the_right_case() -> None:
    text = policy('{"effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}')
    finding = only(text)
    assert at(finding) == ("IG101", *spot(text, '"effect"'))
    assert 'did you mean "Effect"?' in finding.message


def test_misspelt_top_level_element_is_one_finding_not_also_a_missing_statement() -> None:
    finding = only('{\n  "Version": "2012-10-17",\n  "Statements": [{' + READ + "}]\n}")
    assert at(finding) == ("IG101", 3, 3)
    assert 'did you mean "Statement"?' in finding.message


def test_unrelated_unknown_element_lists_what_is_allowed() -> None:
    text = policy("{" + READ + ', "Comment": "why"}')
    finding = only(text)
    assert at(finding) == ("IG101", *spot(text, '"Comment"'))
    assert "allowed here: Sid, Effect, Action" in finding.message


def test_every_known_element_passes() -> None:
    clean(
        '{"Version": "2012-10-17", "Id": "p1", "Statement": {"Sid": "A", "Effect": "Deny", '
        '"NotAction": "iam:*", "NotResource": "*", "Condition": {"Bool": {"aws:SecureTransport": '
        "false}}}}"
    )


# -- IG102 effect-value ----------------------------------------------------------------------


def test_lower_case_effect_names_the_fix() -> None:
    text = policy('{"Effect": "allow", "Action": "s3:GetObject", "Resource": "*"}')
    finding = only(text)
    assert at(finding) == ("IG102", *spot(text, '"allow"'))
    assert finding.message == (
        'Statement[0].Effect is "allow"; IAM accepts only "Allow" or "Deny"; write "Allow"'
    )


def test_missing_effect_is_located_at_the_statement() -> None:
    finding = only(policy(READ.replace('"Effect": "Allow", ', "").join("{}")))
    assert at(finding) == ("IG102", 4, 5)
    assert "has no Effect" in finding.message


def test_effect_of_another_type_is_one_finding() -> None:
    text = policy('{"Effect": true, "Action": "s3:*", "Resource": "*"}')
    assert at(only(text)) == ("IG102", *spot(text, "true"))


@pytest.mark.parametrize("effect", ["Allow", "Deny"])
def test_allow_and_deny_pass(effect: str) -> None:
    clean(policy(f'{{"Effect": "{effect}", "Action": "s3:*", "Resource": "*"}}'))


# -- IG103 action-element --------------------------------------------------------------------


def test_action_and_not_action_together_are_located_at_the_second() -> None:
    text = policy('{"Effect": "Allow", "Action": "s3:*", "NotAction": "iam:*", "Resource": "*"}')
    finding = only(text)
    assert at(finding) == ("IG103", *spot(text, '"NotAction"'))
    assert "both Action and NotAction" in finding.message


def test_statement_without_actions_is_located_at_the_statement() -> None:
    finding = only(policy('{"Effect": "Allow", "Resource": "*"}'))
    assert at(finding) == ("IG103", 4, 5)
    assert "neither Action nor NotAction" in finding.message


def test_empty_action_list_is_flagged() -> None:
    text = policy('{"Effect": "Deny", "Action": [], "Resource": "*"}')
    finding = only(text)
    assert at(finding) == ("IG103", *spot(text, "[]"))
    assert "empty list" in finding.message


def test_action_that_is_not_a_string_is_flagged() -> None:
    text = policy('{"Effect": "Deny", "Action": ["s3:GetObject", 7], "Resource": "*"}')
    finding = only(text)
    assert at(finding) == ("IG103", *spot(text, "7]"))
    assert "Statement[0].Action[1] is a number" in finding.message


def test_not_action_alone_passes() -> None:
    clean(policy('{"Effect": "Deny", "NotAction": ["iam:Get*", "iam:List*"], "Resource": "*"}'))


# -- IG104 resource-element ------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["identity", "boundary"])
def test_identity_policies_and_boundaries_require_a_resource(kind: PolicyKind) -> None:
    finding = only(policy('{"Effect": "Allow", "Action": "s3:GetObject"}'), kind)
    assert at(finding) == ("IG104", 4, 5)
    assert "neither Resource nor NotResource" in finding.message


def test_scp_may_leave_resource_out() -> None:
    clean(policy('{"Effect": "Deny", "Action": "s3:DeleteBucket"}'), "scp")


def test_resource_and_not_resource_together_are_flagged_in_every_kind() -> None:
    text = policy('{"Effect": "Deny", "Action": "s3:*", "Resource": "*", "NotResource": "*"}')
    for kind in ("identity", "boundary", "scp"):
        assert at(only(text, kind)) == ("IG104", *spot(text, '"NotResource"'))


def test_empty_resource_list_is_flagged() -> None:
    text = policy('{"Effect": "Allow", "Action": "s3:*", "Resource": []}')
    assert at(only(text)) == ("IG104", *spot(text, "[]"))


def test_not_resource_alone_passes() -> None:
    clean(policy('{"Effect": "Deny", "Action": "s3:*", "NotResource": "arn:aws:s3:::keep/*"}'))


# -- IG105 condition-operator ----------------------------------------------------------------


def _with_condition(operator: str) -> str:
    return policy("{" + READ + f', "Condition": {{"{operator}": {{"aws:username": "alice"}}}}}}')


@pytest.mark.parametrize(
    ("operator", "suggestion"),
    [
        ("StringEqual", "StringEquals"),
        ("stringEquals", "StringEquals"),
        ("ForAnyValues:StringLike", "ForAnyValue:StringLike"),
        ("ArnLikeIfExist", "ArnLikeIfExists"),
    ],
)
def test_unknown_operator_is_located_at_its_name_with_a_suggestion(
    operator: str, suggestion: str
) -> None:
    text = _with_condition(operator)
    finding = only(text)
    assert at(finding) == ("IG105", *spot(text, f'"{operator}"'))
    assert f'did you mean "{suggestion}"?' in finding.message


def test_null_cannot_take_if_exists() -> None:
    text = _with_condition("ForAllValues:NullIfExists")
    finding = only(text)
    assert at(finding) == ("IG105", *spot(text, '"ForAllValues:NullIfExists"'))
    assert 'write "ForAllValues:Null"' in finding.message


@pytest.mark.parametrize("operator", sorted(grammar.all_condition_operators()))
def test_every_iam_operator_passes(operator: str) -> None:
    clean(_with_condition(operator))


def test_schema_operator_pattern_matches_exactly_the_operator_list() -> None:
    pattern = re.compile(grammar.policy_schema()["$defs"]["conditionOperator"]["pattern"])
    assert all(pattern.search(op) for op in grammar.all_condition_operators())
    near_misses = [
        "NullIfExists",
        "StringEqualsIfExistsIfExists",
        "ForAllValues:ForAnyValue:StringLike",
        "stringequals",
        "StringEquals ",
        "Ipaddress",
        "ForAllValues:",
    ]
    assert not any(pattern.search(op) for op in near_misses)
    assert len(grammar.all_condition_operators()) == (27 + 26) * 3


# -- IG106 duplicate-sid ---------------------------------------------------------------------


def test_repeated_sid_is_located_at_the_second_one() -> None:
    text = policy('{"Sid": "Read", ' + READ + "}", '{"Sid": "Read", ' + READ + "}")
    finding = only(text)
    assert at(finding) == ("IG106", *spot(text, '"Read"', nth=2))
    assert "already the Sid of Statement[0] (line 4)" in finding.message


def test_distinct_sids_and_missing_sids_pass() -> None:
    clean(
        policy(
            '{"Sid": "A", ' + READ + "}",
            '{"Sid": "B", ' + READ + "}",
            "{" + READ + "}",
            "{" + READ + "}",
        )
    )


# -- IG107 policy-size -----------------------------------------------------------------------


def _sized(action_count: int, indent: int | None) -> str:
    actions = [f"ec2:DescribeThing{i:05d}" for i in range(action_count)]
    statement = {"Effect": "Allow", "Action": actions, "Resource": "*"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, indent=indent)


def test_policy_over_6144_characters_without_whitespace_is_flagged_at_the_start() -> None:
    text = _sized(250, None)
    finding = only(text)
    assert at(finding) == ("IG107", 1, 1)
    size = len(re.sub(r"\s", "", text))
    assert size > 6144 and f"{size:,} characters without whitespace" in finding.message


def test_whitespace_does_not_count_towards_the_limit() -> None:
    text = _sized(200, 12)
    assert len(text) > 6144 >= len(re.sub(r"\s", "", text))
    clean(text)


def test_size_limit_applies_to_boundaries_and_is_not_checked_for_scps() -> None:
    text = _sized(250, None)
    assert at(only(text, "boundary")) == ("IG107", 1, 1)
    clean(text, "scp")


# -- IG108 malformed-arn ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "problem"),
    [
        ("arn:aws:s3:my-bucket", "this has 4"),
        ("my-bucket", 'a resource is "*" or an ARN'),
        ("arn:aws:s3:::", "the resource part is empty"),
        ("arn::s3:::bucket", "the partition part is empty"),
        ("arn:aws::us-east-1:123456789012:thing", "the service part is empty"),
        ("arn:aws:s3:us east 1::bucket", 'the region part "us east 1"'),
        ("arn:aws:iam::1234 5678:role/x", "the account part"),
    ],
)
def test_malformed_arn_is_located_at_the_resource(resource: str, problem: str) -> None:
    text = policy('{"Effect": "Allow", "Action": "s3:*", "Resource": ["*", "' + resource + '"]}')
    finding = only(text)
    assert at(finding) == ("IG108", *spot(text, f'"{resource}"'))
    assert problem in finding.message


@pytest.mark.parametrize(
    "resource",
    [
        "*",
        "arn:aws:s3:::example-team-bucket/*",
        "arn:aws:iam::${aws:PrincipalAccount}:role/service-*",
        "arn:aws:logs:*:${aws:PrincipalAccount}:log-group:/app/service-*",
        "arn:aws-us-gov:ec2:us-gov-west-1:123456789012:instance/i-0abc",
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
        "arn:aws:s3:::home/${aws:username}/*",
        "arn:*:s3:::bucket",
    ],
)
def test_well_formed_resources_pass(resource: str) -> None:
    clean(policy('{"Effect": "Allow", "Action": "s3:*", "NotResource": "' + resource + '"}'))


# -- IG109 principal-not-allowed -------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "phrase"),
    [
        ("identity", "identity policy"),
        ("boundary", "permissions boundary"),
        ("scp", "service control policy"),
    ],
)
def test_principal_is_not_allowed_and_its_shape_is_not_reported_again(
    kind: PolicyKind, phrase: str
) -> None:
    text = policy("{" + READ + ', "Principal": {"AWSS": 3}}')
    finding = only(text, kind)
    assert at(finding) == ("IG109", *spot(text, '"Principal"'))
    assert phrase in finding.message


def test_not_principal_is_not_allowed() -> None:
    text = policy('{"Effect": "Deny", "NotPrincipal": "*", "Action": "s3:*", "Resource": "*"}')
    assert at(only(text)) == ("IG109", *spot(text, '"NotPrincipal"'))


def test_principal_does_not_stop_the_model_from_being_built() -> None:
    findings, well_formed = lint(policy("{" + READ + ', "Principal": "*"}'))
    assert [f.rule for f in findings] == ["IG109"] and well_formed


# -- IG110 invalid-version, IG114 missing-version, IG115 variables-need-2012-version --------------


def test_unknown_version_is_located_at_its_value() -> None:
    text = policy("{" + READ + "}", version='"2012-10-18"')
    finding = only(text)
    assert at(finding) == ("IG110", *spot(text, '"2012-10-18"'))
    assert 'write "2012-10-17"' in finding.message


def test_missing_version_is_a_warning_naming_the_variable_it_breaks() -> None:
    text = (
        '{"Statement": {"Effect": "Allow", "Action": "s3:*", '
        '"Resource": "arn:aws:s3:::${aws:username}"}}'
    )
    finding = only(text)
    assert at(finding) == ("IG114", 1, 1)
    assert finding.severity == "warning"
    assert "${aws:username} in Statement.Resource is literal text" in finding.message


def test_missing_version_without_variables_is_still_a_warning() -> None:
    assert at(only('{"Statement": {' + READ + "}}")) == ("IG114", 1, 1)


def test_2008_version_with_a_variable_in_a_condition_is_flagged_at_the_version() -> None:
    statement = (
        "{" + READ + ', "Condition": {"StringLike": {"s3:prefix": ["home/${aws:username}/*"]}}}'
    )
    text = policy(statement, version='"2008-10-17"')
    finding = only(text)
    assert at(finding) == ("IG115", *spot(text, '"2008-10-17"'))
    assert finding.severity == "warning"
    assert 'Statement[0].Condition.StringLike["s3:prefix"][0]' not in finding.message
    assert "Statement[0].Condition.StringLike.s3:prefix[0]" in finding.message


def test_2008_version_without_variables_passes() -> None:
    clean(policy("{" + READ + "}", version='"2008-10-17"'))


# -- IG111 policy-name -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("read only", 'contains " "'),
        ("x" * 129, "is 129 characters long"),
        ("café", 'contains "\\u00e9"'),
    ],
)
def test_policy_name_iam_would_refuse_is_reported_at_the_start(name: str, problem: str) -> None:
    finding = only(policy("{" + READ + "}"), name=name)
    assert at(finding) == ("IG111", 1, 1)
    assert problem in finding.message


@pytest.mark.parametrize("name", ["service-s3.reader", "Team+Ops=1,2@x_y", "x" * 128])
def test_valid_policy_names_pass(name: str) -> None:
    clean(policy("{" + READ + "}"), name=name)


# -- IG112 malformed-action ------------------------------------------------------------------


@pytest.mark.parametrize(
    "action", ["s3GetObject", "s3:", "s3:Get Object", "iam::CreateRole", " s3:GetObject"]
)
def test_malformed_action_is_located_at_the_action(action: str) -> None:
    text = policy('{"Effect": "Deny", "Action": ["s3:*", "' + action + '"], "Resource": "*"}')
    finding = only(text)
    assert at(finding) == ("IG112", *spot(text, f'"{action}"'))
    assert "service:ActionName" in finding.message


@pytest.mark.parametrize(
    "action",
    [
        "*",
        "s3:*",
        "s3:Get*",
        "S3:getobject",
        "iam:?etRole",
        "vpc-lattice:AssociateViaAWSService-EventsAndStates",
    ],
)
def test_well_formed_actions_pass(action: str) -> None:
    clean(policy('{"Effect": "Deny", "Action": "' + action + '", "Resource": "*"}'))


# -- IG113 sid-characters --------------------------------------------------------------------


def test_sid_with_other_characters_is_flagged_with_a_fix() -> None:
    text = policy('{"Sid": "read-only access", ' + READ + "}")
    finding = only(text)
    assert at(finding) == ("IG113", *spot(text, '"read-only access"'))
    assert 'write "ReadOnlyAccess"' in finding.message


def test_alphanumeric_sid_passes() -> None:
    clean(policy('{"Sid": "ReadOnly2", ' + READ + "}"))


# -- IG116 element-type ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "needle", "phrase"),
    [
        ('{"Version": "2012-10-17"}', "{", "has no Statement"),
        ('{"Version": "2012-10-17",\n "Statement": []}', "[]", "empty list"),
        ('{"Version": "2012-10-17",\n "Statement": "Allow"}', '"Allow"', "Statement is a string"),
        ('{"Version": "2012-10-17",\n "Statement": [7]}', "7]", "Statement[0] is a number"),
        (
            '{"Version": "2012-10-17", "Id": 7,\n "Statement": {' + READ + "}}",
            "7,",
            "Id must be a string",
        ),
        (
            '{"Version": "2012-10-17",\n "Statement": {"Sid": 1, ' + READ + "}}",
            "1,",
            "Statement.Sid is a number",
        ),
        (
            '{"Version": "2012-10-17",\n "Statement": {' + READ + ', "Condition": []}}',
            "[]",
            "Statement.Condition is a list",
        ),
        (
            '{"Version": "2012-10-17",\n "Statement": {' + READ + ', "Condition": {"Bool": true}}}',
            "true",
            "Statement.Condition.Bool is a boolean",
        ),
        (
            '{"Version": "2012-10-17",\n "Statement": {'
            + READ
            + ', "Condition": {"StringEquals": {"aws:username": {"n": 1}}}}}',
            '{"n"',
            "is an object; it must be a string, number or boolean, or a list of them",
        ),
        (
            '{"Version": "2012-10-17",\n "Statement": {'
            + READ
            + ', "Condition": {"StringEquals": {"aws:username": [null]}}}}',
            "null",
            "aws:username[0] is null",
        ),
    ],
)
def test_element_of_the_wrong_shape_is_located(text: str, needle: str, phrase: str) -> None:
    finding = only(text)
    assert at(finding) == ("IG116", *spot(text, needle))
    assert phrase in finding.message


def test_condition_values_may_be_strings_numbers_booleans_and_lists() -> None:
    clean(
        policy(
            "{" + READ + ', "Condition": {"NumericLessThan": {"s3:max-keys": 10}, '
            '"Bool": {"aws:MultiFactorAuthPresent": true}, '
            '"StringEquals": {"aws:PrincipalTag/team": ["a", "b"]}}}'
        )
    )


# -- IG117 policy-characters -----------------------------------------------------------------


def test_character_iam_refuses_is_located_and_counted() -> None:
    text = policy(
        '{"Sid": "Reads", '
        + READ
        + ', "Condition": {"StringEquals": {"aws:username": "o\u2019neil\u2014x"}}}'
    )
    finding = only(text)
    assert at(finding) == ("IG117", *spot(text, "\u2019"))
    assert "U+2019 (RIGHT SINGLE QUOTATION MARK)" in finding.message
    assert "(1 more in this file)" in finding.message


def test_latin1_range_characters_pass() -> None:
    clean(policy("{" + READ + ', "Condition": {"StringEquals": {"aws:username": "zoë"}}}'))


# -- the result as a whole -------------------------------------------------------------------


def test_each_problem_is_reported_once_at_its_place() -> None:
    text = """{
  "Version": "2012-10-18",
  "Foo": 1,
  "Statement": [
    {"Sid": "a b", "Effect": "allow", "Action": ["s3GetObject", 3], "NotAction": "x:y",
     "Resource": "arn:aws:s3:bucket", "Principal": {"AWSS": 1},
     "Condition": {"StringEqual": {"k": [{}]}, "NullIfExists": {"a": "true"}}},
    {"Sid": "ab", "Effect": "Deny", "Resources": "*"},
    {"Sid": "ab", "Effect": "Deny", "Action": [], "Resource": []},
    3
  ]
}"""
    findings, well_formed = lint(text, name="bad name")
    assert [at(f) for f in findings] == [
        ("IG111", 1, 1),
        ("IG110", 2, 14),
        ("IG101", 3, 3),
        ("IG113", 5, 13),
        ("IG102", 5, 30),
        ("IG112", 5, 50),
        ("IG103", 5, 65),
        ("IG103", 5, 69),
        ("IG108", 6, 18),
        ("IG109", 6, 39),
        ("IG105", 7, 20),
        ("IG116", 7, 42),
        ("IG105", 7, 48),
        ("IG103", 8, 5),
        ("IG101", 8, 37),
        ("IG106", 9, 13),
        ("IG103", 9, 47),
        ("IG104", 9, 63),
        ("IG116", 10, 5),
    ]
    assert not well_formed


@pytest.mark.parametrize(
    ("statement", "breaks_model"),
    [
        ('{"Sid": "A", ' + READ + '}, {"Sid": "A", ' + READ + "}", False),
        ('{"Sid": "a-b", ' + READ + "}", False),
        ("{" + READ + ', "Principal": "*"}', False),
        ('{"Effect": "allow", "Action": "s3:*", "Resource": "*"}', True),
        ('{"Effect": "Allow", "Action": "s3", "Resource": "*"}', True),
        ('{"Effect": "Allow", "Action": "s3:*", "Resource": "s3"}', True),
        ("{" + READ + ', "Condition": {"StringEqual": {"a": "b"}}}', True),
    ],
)
def test_only_problems_that_mislead_the_model_stop_it_being_built(
    statement: str, breaks_model: bool
) -> None:
    findings, well_formed = lint(policy(statement))
    assert findings
    assert well_formed is not breaks_model


def test_findings_carry_their_rule_severity_and_file() -> None:
    findings, _ = lint('{"Statement": {"Sid": "x-y", ' + READ + "}}", name="p")
    rules = all_rules()
    for finding in findings:
        assert rules[finding.rule].stage == "grammar"
        assert finding.severity == rules[finding.rule].severity
        assert finding.file == "p.json"
    assert {f.rule for f in findings} == {"IG113", "IG114"}


def test_every_grammar_rule_is_registered_with_documentation() -> None:
    rules = [r for r in all_rules().values() if r.stage in ("grammar", "load")]
    assert {r.id for r in rules} >= {f"IG{n:03d}" for n in [*range(1, 6), *range(101, 118)]}
    for rule in rules:
        assert rule.summary and rule.why and rule.example and re.fullmatch(r"[a-z0-9-]+", rule.name)
        assert rule.stage != "grammar" or rule.source.startswith("https://docs.aws.amazon.com/")


def test_policy_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(grammar.policy_schema())


# -- properties ------------------------------------------------------------------------------

WORDS = st.sampled_from(
    [
        *("*", "s3:GetObject", "s3GetObject", "arn:aws:s3:::b/*", "arn:aws:s3", "Allow", "Deny"),
        *("allow", "2012-10-17", "2008-10-17", "${aws:username}", "", "a b", "AWS", "Sid1"),
    ]
)
LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(-2, 2)
    | st.floats(allow_nan=False, allow_infinity=False)
    | WORDS
)
VALUES = st.recursive(
    LEAVES, lambda c: st.lists(c, max_size=3) | st.dictionaries(WORDS, c, max_size=3), max_leaves=6
)
STRING_OR_LIST = WORDS | st.lists(WORDS, max_size=3) | VALUES
OPERATORS = st.sampled_from(sorted(grammar.all_condition_operators())) | st.sampled_from(
    ["StringEqual", "NullIfExists", "stringequals", "ForAnyValue:"]
)
CONDITIONS = (
    st.dictionaries(
        OPERATORS,
        st.dictionaries(st.sampled_from(["aws:username", "s3:prefix"]), VALUES, max_size=2)
        | VALUES,
        max_size=2,
    )
    | VALUES
)
PRINCIPALS = (
    st.just("*")
    | st.dictionaries(st.sampled_from(["AWS", "Service", "AWSS"]), STRING_OR_LIST, max_size=2)
    | VALUES
)
STATEMENTS = st.fixed_dictionaries(
    {},
    optional={
        "Sid": WORDS | VALUES,
        "Effect": st.sampled_from(["Allow", "Deny", "allow"]) | VALUES,
        "Action": STRING_OR_LIST,
        "NotAction": STRING_OR_LIST,
        "Resource": STRING_OR_LIST,
        "NotResource": STRING_OR_LIST,
        "Principal": PRINCIPALS,
        "NotPrincipal": PRINCIPALS,
        "Condition": CONDITIONS,
        "Resources": VALUES,
    },
)
POLICIES = st.fixed_dictionaries(
    {},
    optional={
        "Version": st.sampled_from(["2012-10-17", "2008-10-17", "2012-10-18"]) | VALUES,
        "Id": WORDS | VALUES,
        "Statement": STATEMENTS | st.lists(STATEMENTS | VALUES, max_size=3) | VALUES,
        "Statment": VALUES,
    },
)
GOOD_ACTIONS = st.sampled_from(["*", "s3:GetObject", "iam:*", "S3:get*"])
GOOD_RESOURCES = st.sampled_from(
    ["*", "arn:aws:s3:::b/*", "arn:aws:iam::${aws:PrincipalAccount}:role/x"]
)
SCALARS = (
    st.text(max_size=3)
    | st.integers(-2, 2)
    | st.booleans()
    | st.floats(allow_nan=False, allow_infinity=False)
)
GOOD_CONDITIONS = st.dictionaries(
    st.sampled_from(sorted(grammar.all_condition_operators())),
    st.dictionaries(
        st.sampled_from(["aws:username", "s3:prefix"]),
        SCALARS | st.lists(SCALARS, max_size=2),
        max_size=2,
    ),
    max_size=2,
)


@st.composite
def near_valid_statements(draw: st.DrawFn) -> dict[str, Any]:
    """A correct statement whose elements are each sometimes wrong, absent or doubled."""

    def chance(percent: int) -> bool:
        return draw(st.integers(0, 99)) < percent

    def element(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any] = VALUES) -> Any:
        return draw(bad) if chance(4) else draw(good)

    statement: dict[str, Any] = {}
    if chance(70):
        statement["Sid"] = element(st.sampled_from(["A", "B", "Read1"]), WORDS | VALUES)
    if not chance(3):
        statement["Effect"] = element(st.sampled_from(["Allow", "Deny"]), st.just("allow") | VALUES)
    for pair, good in (("Action", GOOD_ACTIONS), ("Resource", GOOD_RESOURCES)):
        choice = draw(st.integers(0, 99))
        names = (
            [pair]
            if choice < 60
            else [f"Not{pair}"]
            if choice < 92
            else []
            if choice < 96
            else [pair, f"Not{pair}"]
        )
        for name in names:
            statement[name] = element(good | st.lists(good, min_size=1, max_size=3), STRING_OR_LIST)
    if chance(40):
        statement["Condition"] = element(GOOD_CONDITIONS, CONDITIONS)
    if chance(3):
        statement[draw(st.sampled_from(["Principal", "NotPrincipal"]))] = draw(PRINCIPALS)
    if chance(3):
        statement["Resources"] = draw(VALUES)
    return statement


@st.composite
def near_valid_policies(draw: st.DrawFn) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if draw(st.integers(0, 99)) < 95:
        data["Version"] = draw(
            st.sampled_from(["2012-10-17", "2008-10-17"])
            if draw(st.integers(0, 99)) < 95
            else VALUES
        )
    if draw(st.booleans()):
        data["Statement"] = draw(near_valid_statements())
    else:
        data["Statement"] = draw(
            st.lists(
                near_valid_statements(),
                min_size=0 if draw(st.integers(0, 99)) < 3 else 1,
                max_size=3,
            )
        )
    if draw(st.integers(0, 99)) < 3:
        data["Id"] = draw(WORDS | VALUES)
    return data


ANY_POLICIES = POLICIES | near_valid_policies()
KINDS = st.sampled_from(["identity", "boundary", "scp"])


@settings(max_examples=400, deadline=None)
@given(ANY_POLICIES, KINDS)
def test_any_document_gets_located_findings_and_well_formed_ones_build_a_model(
    data: dict[str, Any], kind: PolicyKind
) -> None:
    doc = parse_text(json.dumps(data, indent=1), "random.json")
    findings, well_formed = grammar_findings(doc, kind, "random")
    for finding in findings:
        assert finding.line >= 1 and finding.column >= 1 and finding.message
    if well_formed:
        model = build_policy(doc, "random", kind)
        assert all(s.effect in ("Allow", "Deny") for s in model.statements)


@settings(max_examples=600, deadline=None)
@given(ANY_POLICIES, KINDS)
def test_fast_path_agrees_with_the_schema(data: dict[str, Any], kind: PolicyKind) -> None:
    schema = grammar.policy_schema()
    if kind == "scp":
        schema = {**schema, "$ref": "#/$defs/scpPolicy"}
    assert grammar.conforms(data, kind) == Draft202012Validator(schema).is_valid(data)
