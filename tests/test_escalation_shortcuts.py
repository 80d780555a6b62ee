"""The escalation rules' shortcuts are exact: each answers as the full search does.

Three shortcuts decide without the evaluator: the table's prefilter (which of its actions an
Allow statement names, read from the Action entries), IG408's refutation of a step that no
Allow statement can apply to (its Resource, and its conditions on the keys the row fixes), and
IG406's refutation of a receiving service no PassRole statement's iam:PassedToService
condition admits. Each is compared here with the search it spares, on the edges where a
static reading could go wrong: NotAction, wildcards, Deny statements, IfExists/Null/set
operators, a policy variable in a condition, keys spelled in another case.
Condition semantics: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
iam:PassedToService: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#ck_PassedToService
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import iamgate.rules.escalation_passrole as passrole_rule
from iamgate.catalog import get_catalog
from iamgate.config import Config
from iamgate.delegation import Proof, clear_cache, names_action
from iamgate.escalation import (
    ANY,
    NEW,
    PathSearch,
    PolicySet,
    default_table,
    may_open,
    named_actions,
)
from iamgate.escalation.decide import open_paths
from iamgate.escalation.lazy import Lazy
from iamgate.evaluator import Request
from iamgate.findings import Finding
from iamgate.model import Policy, policy_from_data
from iamgate.project import Project
from iamgate.rules import all_rules

ROLES = "arn:aws:iam::${aws:PrincipalAccount}:role/service-*"
PTS = "iam:PassedToService"


def project() -> Project:
    config = Config(root=Path("."), prefix="service-", boundaries=("S3AccessBoundary",))
    return Project(config.root, replace(config, rules={}))


def policy(statements: list[dict[str, Any]]) -> Policy:
    return policy_from_data({"Version": "2012-10-17", "Statement": statements}, "Team")


def statement(
    actions: Any,
    resource: Any = "*",
    condition: dict[str, Any] | None = None,
    *,
    effect: str = "Allow",
    negated: bool = False,
) -> dict[str, Any]:
    found: dict[str, Any] = {"Effect": effect, "NotAction" if negated else "Action": actions}
    found["Resource"] = resource
    if condition:
        found["Condition"] = condition
    return found


def reported(findings: list[Finding]) -> list[tuple[object, ...]]:
    return [(f.rule, f.line, f.message, repr(f.counterexample)) for f in findings]


def ig406(statements: list[dict[str, Any]], *, gate: bool = True) -> list[tuple[object, ...]]:
    clear_cache()
    saved = passrole_rule._may_pass_to
    if not gate:
        passrole_rule._may_pass_to = lambda *_: True  # type: ignore[assignment]
    try:
        return reported(all_rules()["IG406"].check(policy(statements), project()))
    finally:
        passrole_rule._may_pass_to = saved
        clear_cache()


def paths(statements: list[dict[str, Any]], *, gate: bool = True) -> list[tuple[object, ...]]:
    """Every open row with each step's request and allowing statements (positions)."""
    saved = PathSearch._may_apply
    if not gate:
        # Every resource "may apply": no step is refuted before the evaluator is asked.
        PathSearch._may_apply = lambda *_: True  # type: ignore[assignment,method-assign]
    try:
        found = open_paths(PolicySet((policy(statements),)), project())
    finally:
        PathSearch._may_apply = saved  # type: ignore[method-assign]
    return [
        (
            f.path.id,
            tuple(
                (s.request.action, s.request.resource, sorted(s.request.context.items()))
                for s in f.steps
            ),
            tuple(s.index for s in f.statements),
        )
        for f in found
    ]


def reference_named(p: Policy) -> frozenset[str]:
    """The table's actions some Allow statement names, statement by statement."""
    actions = {a.action.lower() for row in default_table().paths for a in row.actions}
    return frozenset(
        a for a in actions for s in p.statements if s.effect == "Allow" and names_action(s, a)
    )


# -- the prefilter ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statements",
    [
        [statement("iam:PassRole")],
        [statement("IAM:passrole")],
        [statement(["ec2:Run*", "lambda:Create?unction"])],
        [statement("*")],
        [statement("s?s:*")],
        [statement("*:AssumeRole")],
        [statement(["s3:*"], negated=True)],
        [statement(["iam:*", "sts:*"], negated=True)],
        [statement("iam:PassRole", effect="Deny"), statement("lambda:*")],
        [statement("iam:PassRole", effect="Deny", negated=True)],
        [statement(["s3:GetObject", "dynamodb:*"])],
    ],
    ids=[
        "exact",
        "other-case",
        "wildcards",
        "everything",
        "service-wildcard",
        "action-wildcard-any-service",
        "notaction-other-service",
        "notaction-the-services",
        "deny-names-nothing",
        "deny-notaction",
        "no-table-service",
    ],
)
def test_the_prefilter_names_exactly_what_the_allow_statements_name(
    statements: list[dict[str, Any]],
) -> None:
    p = policy(statements)
    assert named_actions((p,)) == reference_named(p)
    rows = default_table().paths
    assert may_open((p,)) == any(row.lower_names <= reference_named(p) for row in rows)


def test_a_policy_naming_no_service_of_the_table_opens_nothing_but_notaction_may() -> None:
    assert not may_open((policy([statement(["s3:*", "dynamodb:*"])]),))
    assert may_open((policy([statement(["s3:*"], negated=True)]),))


# -- IG406: a receiving service no PassRole statement admits ------------------------------


def test_passrole_only_to_ec2_is_refuted_for_lambda_without_a_search() -> None:
    statements = [
        statement("iam:PassRole", condition={"StringEquals": {PTS: "ec2.amazonaws.com"}}),
        statement("lambda:CreateFunction"),
    ]
    p = policy(statements)
    (info,) = passrole_rule.lookup("iam:PassRole")
    clear_cache()
    from iamgate.delegation import proof_for

    proof = proof_for(p, project())
    assert not passrole_rule._may_pass_to(proof, info, "lambda.amazonaws.com")
    assert passrole_rule._may_pass_to(proof, info, "ec2.amazonaws.com")
    assert ig406(statements) == ig406(statements, gate=False) == []


PASSROLE_EDGES: dict[str, list[dict[str, Any]]] = {
    "like-admits": [
        statement("iam:PassRole", condition={"StringLike": {PTS: "lambda.*"}}),
        statement("lambda:CreateFunction"),
    ],
    "not-equals-admits-the-others": [
        statement("iam:PassRole", condition={"StringNotEquals": {PTS: "ec2.amazonaws.com"}}),
        statement("lambda:CreateFunction"),
    ],
    "key-in-another-case": [
        statement("iam:PassRole", condition={"StringEquals": {"IAM:passedToService": "ec2.x"}}),
        statement("lambda:CreateFunction"),
    ],
    "for-any-value": [
        statement(
            "iam:PassRole",
            condition={"ForAnyValue:StringEquals": {PTS: ["lambda.amazonaws.com"]}},
        ),
        statement("lambda:CreateFunction"),
    ],
    "if-exists-other-service": [
        statement("iam:PassRole", condition={"StringEqualsIfExists": {PTS: "ec2.amazonaws.com"}}),
        statement("lambda:CreateFunction"),
    ],
    "null-true-never-holds": [
        statement("iam:PassRole", condition={"Null": {PTS: "true"}}),
        statement("lambda:CreateFunction"),
    ],
    "null-false-always-holds": [
        statement("iam:PassRole", condition={"Null": {PTS: "false"}}),
        statement("lambda:CreateFunction"),
    ],
    "policy-variable": [
        statement(
            "iam:PassRole",
            condition={"StringEquals": {PTS: "${aws:PrincipalTag/service}.amazonaws.com"}},
        ),
        statement("lambda:CreateFunction"),
    ],
    "deny-for-the-service": [
        statement("iam:PassRole"),
        statement(
            "iam:PassRole",
            condition={"StringEquals": {PTS: "lambda.amazonaws.com"}},
            effect="Deny",
        ),
        statement(["lambda:CreateFunction", "ec2:RunInstances"]),
    ],
    "notaction-allow": [
        statement(["s3:*"], negated=True, condition={"StringEquals": {PTS: "ec2.amazonaws.com"}}),
        statement("lambda:CreateFunction"),
    ],
    "admitted-only-inside-the-prefix": [
        statement("iam:PassRole", condition={"StringEquals": {PTS: "ec2.amazonaws.com"}}),
        statement("iam:PassRole", ROLES, condition={"StringEquals": {PTS: "lambda.amazonaws.com"}}),
        statement("lambda:CreateFunction"),
    ],
    "another-key-beside": [
        statement(
            "iam:PassRole",
            condition={
                "StringEquals": {PTS: "lambda.amazonaws.com"},
                "StringLike": {"iam:AssociatedResourceARN": "arn:aws:lambda:*"},
            },
        ),
        statement("lambda:CreateFunction"),
    ],
}
PASSROLE_VERDICTS = {
    "like-admits": True,
    "not-equals-admits-the-others": True,
    "key-in-another-case": False,
    "for-any-value": True,
    "if-exists-other-service": False,
    "null-true-never-holds": False,
    "null-false-always-holds": True,
    "deny-for-the-service": True,  # RunInstances with a role passed to EC2 stays open
    "notaction-allow": False,
    "admitted-only-inside-the-prefix": False,
}


@pytest.mark.parametrize("name", sorted(PASSROLE_EDGES))
def test_passrole_findings_are_those_of_the_search_without_the_shortcut(name: str) -> None:
    statements = PASSROLE_EDGES[name]
    found = ig406(statements)
    assert found == ig406(statements, gate=False)
    if name in PASSROLE_VERDICTS:
        assert bool(found) is PASSROLE_VERDICTS[name]


def test_a_deny_for_one_service_leaves_the_pass_to_another_reported() -> None:
    (finding,) = ig406(PASSROLE_EDGES["deny-for-the-service"])
    assert "ec2.amazonaws.com" in finding[3]
    assert "lambda.amazonaws.com" not in finding[3]


# -- IG408: steps refuted before any search -----------------------------------------------

PATH_EDGES: dict[str, list[dict[str, Any]]] = {
    "passrole-to-another-service": [
        statement("iam:PassRole", condition={"StringEquals": {PTS: "ec2.amazonaws.com"}}),
        statement(["ecs:*", "lambda:*", "glue:*", "sagemaker:*"]),
    ],
    "stack-updates-inside-the-prefix": [
        statement(
            ["cloudformation:UpdateStack", "cloudformation:CreateChangeSet"],
            "arn:aws:cloudformation:*:*:stack/service-*",
        ),
        statement("cloudformation:ExecuteChangeSet"),
    ],
    "notaction-everything-but-iam": [statement(["iam:*"], negated=True)],
    "deny-the-outside-roles": [
        statement(["iam:PassRole", "ec2:RunInstances", "sts:AssumeRole"]),
        statement(["iam:PassRole", "sts:AssumeRole"], "arn:aws:iam::*:role/Admin*", effect="Deny"),
    ],
    "region-condition": [
        statement(
            ["iam:PassRole", "ec2:RunInstances", "ssm:StartSession"],
            condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}},
        ),
    ],
    "variable-in-resource": [
        statement(
            ["lambda:UpdateFunctionCode", "lambda:InvokeFunction"],
            "arn:aws:lambda:*:*:function:${aws:username}-*",
        ),
    ],
    "wildcard-actions-on-instances": [
        statement(["ssm:Send*", "ssm:Start*"], "arn:aws:ec2:*:*:instance/*"),
        statement("ssm:SendCommand", "arn:aws:ssm:*::document/AWS-RunShellScript"),
    ],
    "passrole-for-any-value-like": [
        statement("iam:PassRole", condition={"ForAnyValue:StringLike": {PTS: ["*.amazonaws.com"]}}),
        statement(["states:*", "bedrock-agentcore:*"]),
    ],
}


@pytest.mark.parametrize("name", sorted(PATH_EDGES))
def test_open_paths_are_those_of_the_search_without_the_refutations(name: str) -> None:
    statements = PATH_EDGES[name]
    assert paths(statements) == paths(statements, gate=False)


def test_a_path_closed_by_a_later_step_is_closed_without_searching_the_earlier_ones() -> None:
    # ecs-001 asks PassRole to ecs-tasks, which no statement admits: the cheap ECS steps
    # that come first in search order are never searched.
    p = policy(PATH_EDGES["passrole-to-another-service"])
    search = PathSearch(_space(p), PolicySet((p,)).evaluate, (p,), default_table())
    row = default_table().by_id("ecs-001")
    assert row is not None
    assert search.decide_path(row) is None
    searched = {entry.action for entry, step in search._steps.items()}
    assert searched == {"iam:PassRole"}


def _space(p: Policy) -> Any:
    from iamgate.delegation import CandidateSpace

    return CandidateSpace(p, project())


# -- the same, on policies drawn at random -------------------------------------------------

ACTIONS = [
    "iam:PassRole",
    "iam:Pass*",
    "lambda:CreateFunction",
    "lambda:UpdateFunctionCode",
    "lambda:*",
    "ec2:RunInstances",
    "ec2:*",
    "sts:AssumeRole",
    "ssm:SendCommand",
    "ssm:StartSession",
    "cloudformation:*",
    "glue:Create*",
    "ecs:*",
    "s3:GetObject",
    "*",
]
RESOURCES = [
    "*",
    ROLES,
    "arn:aws:iam::*:role/Admin*",
    "arn:aws:lambda:*:*:function:service-*",
    "arn:aws:ec2:*:*:instance/*",
]
CONDITIONS: list[dict[str, Any] | None] = [
    None,
    {"StringEquals": {PTS: "ec2.amazonaws.com"}},
    {"StringEquals": {PTS: ["lambda.amazonaws.com", "glue.amazonaws.com"]}},
    {"StringLike": {PTS: "*.amazonaws.com"}},
    {"StringNotEquals": {PTS: "lambda.amazonaws.com"}},
    {"Null": {PTS: "true"}},
    {"StringEquals": {PTS: "${aws:PrincipalTag/svc}"}},
    {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}},
    {"StringEquals": {"aws:ResourceTag/team": "blue"}},
]


@st.composite
def statements(draw: st.DrawFn) -> list[dict[str, Any]]:
    found = []
    for _ in range(draw(st.integers(1, 4))):
        found.append(
            statement(
                draw(st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=3, unique=True)),
                draw(st.sampled_from(RESOURCES)),
                draw(st.sampled_from(CONDITIONS)),
                effect=draw(st.sampled_from(["Allow", "Allow", "Allow", "Deny"])),
                negated=draw(st.booleans()) and draw(st.booleans()),
            )
        )
    return found


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(statements())
def test_random_policies_get_the_answers_of_the_full_search(
    drawn: list[dict[str, Any]],
) -> None:
    p = policy(drawn)
    assert named_actions((p,)) == reference_named(p)
    assert ig406(drawn) == ig406(drawn, gate=False)
    assert paths(drawn) == paths(drawn, gate=False)


def own_plain(proof: Proof, action: Any, resource: str, context: Any, _: Any) -> Any:
    """Proof.own_decision as it was: the evaluator asked afresh."""
    return proof.evaluate(Request(action.full, resource, context))


def checked(rule_id: str, drawn: list[dict[str, Any]], *, own: bool = True) -> list[object]:
    clear_cache()
    saved = Proof.own_decision
    if not own:
        Proof.own_decision = own_plain  # type: ignore[method-assign]
    try:
        found = all_rules()[rule_id].check(policy(drawn), project())
        return [f.to_dict() for f in found]
    finally:
        Proof.own_decision = saved  # type: ignore[method-assign]
        clear_cache()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(statements())
def test_an_own_decision_read_from_the_shared_memo_is_the_evaluators(
    drawn: list[dict[str, Any]],
) -> None:
    """IG408 and IG406 confirm an allowed shared decision with the action's own; read from
    the class memo when that was computed for the same action, the findings are those of
    asking the evaluator afresh."""
    for rule_id in ("IG408", "IG406"):
        assert checked(rule_id, drawn) == checked(rule_id, drawn, own=False), rule_id


# -- the lazy candidate lists ---------------------------------------------------------------


def test_a_lazy_list_replays_what_it_drew_and_draws_only_what_is_asked() -> None:
    drawn: list[int] = []

    def source() -> Any:
        for n in range(5):
            drawn.append(n)
            yield n

    lazy = Lazy(source())
    assert lazy and drawn == [0]
    first = iter(lazy)
    assert [next(first), next(first)] == [0, 1]
    assert list(lazy) == [0, 1, 2, 3, 4]
    assert list(first) == [2, 3, 4]
    assert not Lazy(iter(()))


def test_each_steps_resources_are_every_types_candidates_outsiders_first() -> None:
    # The lazy order equals a stable sort of every type's candidates on in_prefix.
    p = policy(
        [
            statement(
                "*",
                [
                    ROLES,
                    "arn:aws:iam::*:role/team/service-x/Admin",
                    "arn:aws:lambda:*:*:function:service-*",
                    "arn:aws:ec2:*:*:instance/i-1234",
                    "arn:aws:ssm:*:*:document/service-doc",
                    "arn:aws:ssm:*:*:document/Other",
                ],
            )
        ]
    )
    space = _space(p)
    search = PathSearch(space, PolicySet((p,)).evaluate, (p,), default_table())
    catalog = get_catalog()
    for row in default_table().paths:
        for entry in row.actions:
            info = catalog.lookup(entry.action)
            assert info is not None
            assert search.resources(entry, info) == _sorted_resources(search, entry, info)


def _sorted_resources(search: PathSearch, entry: Any, info: Any) -> list[str]:
    if entry.on == (ANY,) or not info.resource_types:
        return ["*"]
    if entry.on == (NEW,):
        types = [t for t, needed in info.resource_types if needed] or [
            t for t, _ in info.resource_types
        ]
    else:
        types = [t for t, _ in info.resource_types if t.name in entry.on]
    found = [
        arn
        for rtype in types
        for arn in search.space.type_resources(rtype)
        if not (entry.outside and search.inside(arn, rtype))
        and not (entry.others_only and arn == search.space.caller_arn)
    ]
    return sorted(dict.fromkeys(found), key=search.space.in_prefix)


# -- may_open's rows filed by key --------------------------------------------------------

TABLE_ACTIONS = sorted({a.action for row in default_table().paths for a in row.actions})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TABLE_ACTIONS), min_size=1, max_size=8, unique=True))
def test_may_open_compares_the_rows_its_keys_file_as_every_row_would(actions: list[str]) -> None:
    p = policy([statement(actions)])
    named = named_actions((p,))
    assert named == frozenset(a.lower() for a in actions)
    assert may_open((p,)) == any(row.lower_names <= named for row in default_table().paths)


def test_every_row_is_filed_under_one_of_its_actions() -> None:
    from iamgate.escalation.prefilter import _index

    filed = [(key, names) for key, rows in _index(None).rows_by_key.items() for names in rows]
    assert sorted(map(sorted, (n for _, n in filed))) == sorted(
        sorted(row.lower_names) for row in default_table().paths
    )
    assert all(key in names for key, names in filed)


def test_a_statements_cover_is_shared_by_the_actions_it_names() -> None:
    # The covering statements of each (action, resource) pair, with the per-statement memo
    # that lambda:UpdateFunctionCode and lambda:InvokeFunction share, equal the evaluator's
    # covers_resource asked afresh for that action.
    from iamgate.evaluator import Request, covers_resource

    p = policy(
        [
            statement("lambda:*", "arn:aws:lambda:*:*:function:service-*"),
            statement(["lambda:Invoke*", "lambda:Update*"], "arn:aws:lambda:*:*:function:Admin*"),
            statement("lambda:*", "arn:aws:lambda:*:*:layer:*", negated=False),
            {"Effect": "Allow", "Action": "lambda:*", "NotResource": "arn:aws:lambda:*:*:*:Other*"},
        ]
    )
    search = PathSearch(_space(p), PolicySet((p,)).evaluate, (p,), default_table())
    catalog = get_catalog()
    for name in ("lambda:UpdateFunctionCode", "lambda:InvokeFunction", "lambda:CreateFunction"):
        info = catalog.lookup(name)
        assert info is not None
        allows = search.allows_naming(name.lower())
        for rtype, _ in info.resource_types:
            for arn in search.space.type_resources(rtype):
                bare = Request(name, arn)
                plain = tuple((q, s) for q, s in allows if covers_resource(s, bare, q.version))
                assert search._covering_statements(allows, name, arn) == plain
