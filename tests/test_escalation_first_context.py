"""The escalation searches start from the first request context without building the others
(escalation.contexts): it must be exactly the proofs' first, for every kind of action.

Compared here with ``CandidateSpace.contexts`` and ``Proof.telling_contexts``: IAM actions,
which carry aws:RequestedRegion us-east-1 when the policy reads the region, iam:PassRole (a
permission only: any region), actions of regional services, fixed iam:PassedToService values,
a boundary condition, policy variables, and more keys than MAX_CONTEXTS combines.
IAM's region: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_aws_deny-requested-region.html
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_escalation_shortcuts import policy, project, statement

from iamgate.catalog import get_catalog
from iamgate.delegation import clear_cache, proof_for
from iamgate.escalation.contexts import FirstThenRest, first_context

ACTIONS = [
    "iam:CreateRole",
    "iam:PassRole",
    "iam:AttachRolePolicy",
    "sts:AssumeRole",
    "ec2:RunInstances",
    "lambda:CreateFunction",
    "ssm:SendCommand",
]
CONDITIONS: list[dict[str, Any]] = [
    {"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "us-east-1"]}},
    {"StringEquals": {"iam:PermissionsBoundary": "arn:aws:iam::*:policy/S3AccessBoundary"}},
    {"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}},
    {"ForAnyValue:StringEquals": {"aws:CalledVia": ["mgn.amazonaws.com"]}},
    {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}},
    {"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/service-*"}},
    {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    {"StringEquals": {"ec2:InstanceType": ["t3.micro", "t3.small"], "lambda:Layer": "x"}},
    {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
    {"StringEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}},
]
FIXED: list[dict[str, tuple[str, ...]] | None] = [
    None,
    {},
    {"iam:PassedToService": ("lambda.amazonaws.com",)},
    {"iam:PassedToService": ("ec2.amazonaws.com",), "aws:RequestedRegion": ("eu-west-1",)},
]


def _check(drawn: list[dict[str, Any]]) -> None:
    clear_cache()
    proof = proof_for(policy(drawn), project())
    catalog = get_catalog()
    for name in ACTIONS:
        action = catalog.lookup(name)
        assert action is not None
        for fixed in FIXED:
            full = proof.contexts(action, fixed)
            telling = proof.telling_contexts(action, fixed)
            first = first_context(proof, action, fixed)
            assert first == full[0] == telling[0], (name, fixed)
            assert proof.first_context(action, fixed) == first  # the delegation's own
            lazy = FirstThenRest(first, lambda t=telling: t)
            assert lazy[0] == telling[0] and list(lazy) == list(telling)
    clear_cache()


def test_the_first_context_is_the_proofs_on_a_policy_reading_every_kind_of_key() -> None:
    _check([statement(ACTIONS, condition={k: v for c in CONDITIONS for k, v in c.items()})])
    _check([statement(ACTIONS, condition=c) for c in CONDITIONS])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=3, unique=True),
            st.lists(st.sampled_from(CONDITIONS), max_size=3),
        ),
        min_size=1,
        max_size=3,
    )
)
def test_the_first_context_is_the_proofs_on_random_policies(
    drawn: list[tuple[list[str], list[dict[str, Any]]]],
) -> None:
    statements = []
    for actions, conditions in drawn:
        merged: dict[str, Any] = {}
        for condition in conditions:
            for operator, pairs in condition.items():
                merged.setdefault(operator, {}).update(pairs)
        statements.append(statement(actions, condition=merged or None))
    _check(statements)


def test_the_list_is_built_only_when_a_second_context_is_asked_for() -> None:
    built: list[int] = []

    def build() -> list[Any]:
        built.append(1)
        return [("a", ()), ("b", ())]

    lazy = FirstThenRest(("a", ()), build)  # type: ignore[arg-type]
    assert lazy[0] == ("a", ()) and next(iter(lazy)) == ("a", ()) and built == []
    assert list(lazy) == [("a", ()), ("b", ())] and len(lazy) == 2 and built == [1]


def test_a_space_with_its_own_options_gets_its_own_first_context() -> None:
    # A boundary's ceiling proof never leaves aws:PrincipalArn absent: its first context
    # sets it. A space that draws its own key options gets its own list, built.
    from iamgate.delegation import Proof
    from iamgate.escalation.contexts import first_then_rest

    class AlwaysSet(Proof):
        def key_options(self, key: str) -> list[tuple[str, ...] | None]:
            return [("set",) if option is None else option for option in super().key_options(key)]

    drawn = [statement("sts:AssumeRole", condition={"StringEquals": {"aws:ResourceTag/t": "x"}})]
    proof = AlwaysSet(policy(drawn), project())
    action = get_catalog().lookup("sts:AssumeRole")
    assert action is not None
    real = proof.telling_contexts(action, None)
    assert real[0] != first_context(proof, action, None)
    lazy = first_then_rest(proof, action, None, lambda: proof.telling_contexts(action, None))
    assert lazy[0] == real[0] and list(lazy) == list(real)
