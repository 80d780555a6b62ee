"""IG406 asks the proofs' search over resource lists drawn type by type (proof_order): the
same lists, in the same order, as the proofs' own ``resources``, so the same first request.

Compared here with the plain computation: the list itself for actions of one and of many
resource types, a caller-only action and one without resource types, on policies whose
Resource and NotResource patterns add candidates inside and outside the prefix; and IG406's
findings with the lazy lists against its findings with the proofs' full lists.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_escalation_shortcuts import (
    PASSROLE_EDGES,
    ROLES,
    ig406,
    policy,
    project,
    statement,
    statements,
)

import iamgate.escalation.resource_order as resource_order
from iamgate.catalog import get_catalog
from iamgate.delegation import clear_cache, proof_for
from iamgate.escalation.lazy import Lazy

ACTIONS = [
    "ec2:RunInstances",  # a dozen resource types
    "iam:PassRole",
    "lambda:CreateFunction",
    "ecs:RunTask",
    "iam:ChangePassword",  # acts on the caller alone
    "sts:GetCallerIdentity",  # no resource type
]
PATTERNS = [
    "*",
    ROLES,
    "arn:aws:iam::*:role/Admin*",
    "arn:aws:iam::*:role/team/service-x/Admin",
    "arn:aws:ec2:*:*:instance/*",
    "arn:aws:ec2:*:*:image/service-*",
    "arn:aws:lambda:*:*:function:service-*",
    "arn:aws:ecs:*:*:task-definition/Other*",
]


def _lists(resources: Any, not_resource: bool = False) -> None:
    key = "NotResource" if not_resource else "Resource"
    doc = {"Effect": "Allow", "Action": "*", key: resources}
    p = policy([doc])
    clear_cache()
    proof = proof_for(p, project())
    catalog = get_catalog()
    for name in ACTIONS:
        action = catalog.lookup(name)
        assert action is not None
        for outside_first in (False, True):
            plain = proof.resources(action, outside_first=outside_first)
            lazy = resource_order.proof_order(proof, action, outside_first=outside_first)
            assert list(lazy) == plain, (name, outside_first)
            outsiders = resource_order.proof_order(
                proof, action, outside_first=outside_first, outside_only=True
            )
            assert list(outsiders) == [r for r in plain if not proof.in_prefix(r)]
    clear_cache()


@pytest.mark.parametrize("resources", [["*"], PATTERNS, PATTERNS[1:4], PATTERNS[4:]])
def test_the_lazy_lists_are_the_proofs_resource_lists(resources: list[str]) -> None:
    _lists(resources)


def test_the_lazy_lists_are_the_proofs_resource_lists_under_not_resource() -> None:
    _lists(PATTERNS[2:5], not_resource=True)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PATTERNS), min_size=1, max_size=4, unique=True))
def test_random_resource_patterns_give_the_proofs_lists(resources: list[str]) -> None:
    _lists(resources)


def _plain_ig406(drawn: list[dict[str, Any]]) -> list[tuple[object, ...]]:
    """IG406 asked over the proofs' own full lists (what proof_order replaces)."""
    saved = resource_order.proof_order

    def full(space: Any, action: Any, *, outside_first: bool, outside_only: bool = False) -> Any:
        return space.resources(action, outside_first=outside_first)

    resource_order.proof_order = full  # type: ignore[assignment]
    try:
        return ig406(drawn)
    finally:
        resource_order.proof_order = saved


@pytest.mark.parametrize("name", sorted(PASSROLE_EDGES))
def test_ig406_finds_with_lazy_lists_what_it_finds_with_the_full_lists(name: str) -> None:
    assert ig406(PASSROLE_EDGES[name]) == _plain_ig406(PASSROLE_EDGES[name])


def test_a_runner_allowed_only_on_a_late_type_is_still_found() -> None:
    # RunInstances allowed on instances alone (not its first resource types), PassRole on
    # outside roles: the lazy list reaches the instance type and the finding names it.
    drawn = [
        statement("iam:PassRole"),
        statement("ec2:RunInstances", "arn:aws:ec2:*:*:instance/*"),
    ]
    found = ig406(drawn)
    assert found == _plain_ig406(drawn)
    assert len(found) == 1 and "ec2:RunInstances is allowed" in str(found[0][2])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(statements())
def test_random_policies_get_the_same_ig406_findings_from_the_lazy_lists(
    drawn: list[dict[str, Any]],
) -> None:
    assert ig406(drawn) == _plain_ig406(drawn)


def test_a_lazy_sequence_indexes_and_counts_by_drawing() -> None:
    drawn: list[int] = []

    def source() -> Any:
        for n in range(4):
            drawn.append(n)
            yield n

    lazy = Lazy(source())
    assert lazy[1] == 1 and drawn == [0, 1]
    assert lazy[-1] == 3 and len(lazy) == 4
    assert list(lazy[1:3]) == [1, 2]
    with pytest.raises(IndexError):
        lazy[4]
