"""IG408 skips the contexts in which no Allow statement's conditions hold (escalation.viable):
exact, since a condition reads the request's context, never its resource.

Compared here with the search that asks every context of every resource, on the conditions
the managed policies use to close a step (aws:CalledVia with ForAnyValue, a region equal to
a principal tag, resource tags, IfExists and Null, a service key the action does not carry)
and on policies drawn at random. Condition semantics:
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
Keys an action carries: https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_escalation_shortcuts import policy, project, statement, statements

import iamgate.escalation.viable as viable_module
from iamgate.escalation import PathSearch, PolicySet, default_table
from iamgate.escalation.decide import open_paths


def _found(drawn: list[dict[str, Any]], *, skip: bool = True) -> list[tuple[object, ...]]:
    saved = viable_module.viable
    if not skip:
        viable_module.viable = lambda action, allows, contexts: contexts  # type: ignore[assignment]
    try:
        found = open_paths(PolicySet((policy(drawn),)), project())
    finally:
        viable_module.viable = saved  # type: ignore[assignment]
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


CALLED_VIA = {"ForAnyValue:StringEquals": {"aws:CalledVia": ["mgn.amazonaws.com"]}}
EDGES: dict[str, list[dict[str, Any]]] = {
    "called-via-and-region-from-a-tag": [
        statement(
            ["iam:PassRole", "ec2:RunInstances"],
            condition={
                **CALLED_VIA,
                "StringEquals": {"aws:RequestedRegion": "${aws:PrincipalTag/TargetRegion}"},
            },
        ),
    ],
    "called-via-only": [statement(["iam:PassRole", "lambda:*"], condition=CALLED_VIA)],
    "one-statement-unconditioned": [
        statement(["iam:PassRole"], condition=CALLED_VIA),
        statement(["lambda:CreateFunction", "lambda:InvokeFunction"]),
    ],
    "resource-tag-if-exists": [
        statement(
            ["ssm:SendCommand", "ssm:StartSession"],
            condition={"StringEqualsIfExists": {"aws:ResourceTag/team": "blue"}},
        ),
    ],
    "null-tag": [
        statement(["sts:AssumeRole"], condition={"Null": {"aws:ResourceTag/team": "false"}}),
    ],
    "key-the-action-does-not-carry": [
        statement(
            ["lambda:UpdateFunctionCode", "lambda:InvokeFunction"],
            condition={"StringEquals": {"ec2:InstanceType": "t3.micro"}},
        ),
    ],
    "notaction-with-a-condition": [
        statement(
            ["s3:*"], negated=True, condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}
        ),
    ],
    "the-first-of-two-conditioned-statements-holds": [
        statement(["sts:AssumeRole", "iam:PassRole", "lambda:*"], condition=CALLED_VIA),
        statement(
            ["sts:AssumeRole", "iam:PassRole", "lambda:*"],
            condition={"StringEquals": {"ec2:InstanceType": "t3.micro"}},
        ),
    ],
    "deny-with-a-condition": [
        statement(["iam:PassRole", "ec2:RunInstances"]),
        statement("iam:PassRole", condition=CALLED_VIA, effect="Deny"),
    ],
}


@pytest.mark.parametrize("name", sorted(EDGES))
def test_open_paths_are_those_of_the_search_over_every_context(name: str) -> None:
    assert _found(EDGES[name]) == _found(EDGES[name], skip=False)


def _asked(drawn: list[dict[str, Any]], row_id: str, *, skip: bool) -> tuple[bool, int]:
    """Is the row open, and how many questions did the search ask the evaluator?"""
    from iamgate.delegation import CandidateSpace

    p = policy(drawn)
    asked: list[object] = []

    def decide(request: Any) -> Any:
        asked.append(request)
        return PolicySet((p,)).evaluate(request)

    saved = viable_module.viable
    if not skip:
        viable_module.viable = lambda action, allows, contexts: contexts  # type: ignore[assignment]
    try:
        search = PathSearch(CandidateSpace(p, project()), decide, (p,), default_table())
        row = default_table().by_id(row_id)
        assert row is not None
        return search.decide_path(row) is not None, len(asked)
    finally:
        viable_module.viable = saved  # type: ignore[assignment]


def test_a_step_whose_conditions_never_hold_asks_the_evaluator_nothing() -> None:
    # StringEquals and StringNotEquals on one value of aws:RequestedRegion never hold
    # together (an absent key fails StringEquals): every context is refuted before a
    # question, where the full search asks about each candidate role in each context.
    region = {"aws:RequestedRegion": "eu-west-1"}
    contradiction = {"StringEquals": region, "StringNotEquals": region}
    drawn = [statement("sts:AssumeRole", condition=contradiction)]
    assert _asked(drawn, "sts-001", skip=True) == (False, 0)
    is_open, asked = _asked(drawn, "sts-001", skip=False)
    assert not is_open and asked > 0


def test_a_service_key_is_not_read_so_its_contexts_are_still_asked() -> None:
    # A service key is read as the action sees it (absent where the action does not carry
    # it), and a proof shares one decision among actions: no context is refuted on it.
    drawn = [
        statement("sts:AssumeRole", condition={"StringEquals": {"ec2:InstanceType": "t3.micro"}})
    ]
    is_open, asked = _asked(drawn, "sts-001", skip=True)
    assert not is_open and asked > 0
    assert _asked(drawn, "sts-001", skip=False) == (is_open, asked)


def test_a_context_where_a_condition_holds_is_still_asked() -> None:
    # Only the contexts with aws:CalledVia naming mgn are viable: the row opens in one of
    # them, after fewer questions than the full search asks (the others are skipped).
    drawn = [statement("sts:AssumeRole", condition=CALLED_VIA)]
    is_open, asked = _asked(drawn, "sts-001", skip=True)
    full_open, full_asked = _asked(drawn, "sts-001", skip=False)
    assert is_open and full_open
    assert 0 < asked < full_asked


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(statements())
def test_random_policies_open_the_same_paths_over_the_viable_contexts(
    drawn: list[dict[str, Any]],
) -> None:
    assert _found(drawn) == _found(drawn, skip=False)


# -- the proofs' loop (IG406) and the rule's shared decisions (IG408) ------------------------

GLOBAL_CONDITIONS: list[dict[str, Any] | None] = [
    None,
    CALLED_VIA,
    {"StringEquals": {"aws:RequestedRegion": "${aws:PrincipalTag/TargetRegion}"}},
    {"StringEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}},
    {"StringEqualsIfExists": {"aws:ResourceTag/team": "blue"}},
    {"Null": {"aws:ResourceTag/team": "false"}},
    {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}},
    {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}},
    {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}},
]
ACTIONS = ["iam:PassRole", "ec2:RunInstances", "lambda:*", "sts:AssumeRole", "ssm:*", "*"]
RESOURCES = ["*", "arn:aws:iam::*:role/service-*", "arn:aws:iam::*:role/Admin*"]


@st.composite
def conditioned(draw: st.DrawFn) -> list[dict[str, Any]]:
    found = []
    for _ in range(draw(st.integers(1, 4))):
        condition: dict[str, Any] = {}
        for extra in draw(st.lists(st.sampled_from(GLOBAL_CONDITIONS), max_size=2)):
            for operator, pairs in (extra or {}).items():
                condition.setdefault(operator, {}).update(pairs)
        found.append(
            statement(
                draw(st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=3, unique=True)),
                draw(st.sampled_from(RESOURCES)),
                condition or None,
                effect=draw(st.sampled_from(["Allow", "Allow", "Allow", "Deny"])),
            )
        )
    return found


def _violation(found: Any) -> Any:
    if found is None:
        return None
    request = found.request
    return (request.action, request.resource, sorted(request.context.items()), found.decision)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conditioned())
def test_the_first_violation_is_the_proofs_over_the_viable_contexts(
    drawn: list[dict[str, Any]],
) -> None:
    from iamgate.catalog import get_catalog
    from iamgate.delegation import clear_cache, proof_for
    from iamgate.escalation.first_allowed import first_violation

    clear_cache()
    proof = proof_for(policy(drawn), project())
    catalog = get_catalog()
    asks: list[tuple[str, Any, Any]] = [
        ("iam:PassRole", {"iam:PassedToService": ("lambda.amazonaws.com",)}, True),
        ("iam:PassRole", {"iam:PassedToService": ("ec2.amazonaws.com",)}, True),
        ("ec2:RunInstances", None, False),
        ("lambda:CreateFunction", None, False),
        ("sts:AssumeRole", None, True),
    ]
    for name, fixed, outside in asks:
        action = catalog.lookup(name)
        assert action is not None

        def unsafe(c: Any, outside: bool = outside) -> bool:
            return not (outside and proof.in_prefix(c.resource))

        resources = proof.resources(action, outside_first=outside)
        plain = proof.first_violation(action, unsafe, fixed=fixed, resources=resources)
        lazy = first_violation(proof, action, unsafe, fixed=fixed, resources=resources)
        assert _violation(lazy) == _violation(plain), name
    clear_cache()


def _rules(drawn: list[dict[str, Any]], *, skip: bool = True) -> list[tuple[object, ...]]:
    """IG406's and IG408's findings, with or without the contexts refuted."""
    from iamgate.delegation import clear_cache
    from iamgate.rules import all_rules

    saved = viable_module.viable
    if not skip:
        viable_module.viable = lambda action, allows, contexts: contexts  # type: ignore[assignment]
    clear_cache()
    try:
        p = policy(drawn)
        rules = all_rules()
        found = [*rules["IG406"].check(p, project()), *rules["IG408"].check(p, project())]
        return [(f.rule, f.line, f.message, repr(f.counterexample)) for f in found]
    finally:
        viable_module.viable = saved  # type: ignore[assignment]
        clear_cache()


@pytest.mark.parametrize("name", sorted(EDGES))
def test_the_rules_findings_are_those_over_every_context(name: str) -> None:
    assert _rules(EDGES[name]) == _rules(EDGES[name], skip=False)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(conditioned())
def test_random_conditioned_policies_get_the_same_findings(drawn: list[dict[str, Any]]) -> None:
    assert _rules(drawn) == _rules(drawn, skip=False)
