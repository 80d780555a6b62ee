"""The ceiling proof against brute force: a boundary and an SCP, every request of a fixed space.

Hypothesis writes a boundary (random Allow/Deny statements over the alphabet of
test_delegation_bruteforce) and an SCP of random statements attached at the root beside
AWS's FullAWSAccess. Brute force asks the evaluator about every request of that module's space
as AWS evaluates a role created under the boundary with any policy attached: identity ``*``
∩ boundary ∩ every SCP level. Each property says the ceiling proof (IG503's CeilingProof)
reports, action by action, exactly the actions brute force finds an allowed request for that
breaks the rule's invariant, and that each reported request is such a request.

The role is role/service-ceiling in 123456789012: it has no aws:username (roles have none) and
no user of its own; the protected policies are the approved boundary and the project's
policies (DelegatePermissions here). Everything else is the delegation brute force's model.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from test_delegation_bruteforce import (
    BOUNDARY_CONDITION_FAMILY,
    BOUNDARY_NAME,
    DELETION_FAMILY,
    DENY_RUNNERS,
    EDITING_FAMILY,
    KEY_SPELLINGS,
    POLICY_NAME,
    PREFIX,
    SETTINGS,
    VERSION_FAMILY,
    Space,
    outside_prefix,
    prefix_family,
    resource_space,
    statements,
)

from iamgate.config import Config
from iamgate.delegation import DEFAULT_ACCOUNT, boundary_condition_actions
from iamgate.delegation.ceiling import CeilingProof
from iamgate.evaluator import Request, evaluate
from iamgate.model import Policy, policy_from_data
from iamgate.organization import Placement, PolicyLevel, allow_everything, full_aws_access
from iamgate.project import Project
from iamgate.rules import all_rules

ACCOUNT = DEFAULT_ACCOUNT
ROLE = f"arn:aws:iam::{ACCOUNT}:role/{PREFIX}ceiling"


def make_project() -> Project:
    root = Path(tempfile.mkdtemp(prefix="iamgate-ceiling-"))
    (root / "policies").mkdir()
    (root / "policies" / f"{POLICY_NAME}.json").write_text("{}")
    (root / "boundaries").mkdir()
    (root / "boundaries" / f"{BOUNDARY_NAME}.json").write_text("{}")  # approved: it exists
    config = Config(root=root, prefix=PREFIX, boundaries=(BOUNDARY_NAME,))
    return Project(root, config)


PROJECT = make_project()


class CeilingSpace(Space):
    """The brute-force space of a role under ``boundary`` below ``scp``."""

    def __init__(self, boundary: Policy, scp: Policy) -> None:
        super().__init__(boundary)
        self.account = ACCOUNT
        self.scps = [[full_aws_access(), scp]]
        canonical = {k.lower(): k for k in KEY_SPELLINGS}
        for statement in scp.statements:
            for condition in statement.conditions:
                key = canonical.get(condition.key.lower())
                if key is not None and key not in self.read:
                    self.read.append(key)
                if key and condition.operator.lower().startswith(("forall", "forany")):
                    self.set_keys.add(key)
        self.base = {"aws:PrincipalAccount": (ACCOUNT,), "aws:PrincipalArn": (ROLE,)}

    def first(self, actions, unsafe, resources=None):  # type: ignore[no-untyped-def]
        for request in self.requests(actions, resources):
            if unsafe(request) and self.allowed(request):
                return request
        return None

    def allowed(self, request: Request) -> bool:
        return evaluate(request, [allow_everything()], self.policy, self.scps).allowed


def violates(rule_id: str, request: Request, space: CeilingSpace) -> bool:
    protected = {f"arn:aws:iam::{ACCOUNT}:policy/{n}" for n in (BOUNDARY_NAME, POLICY_NAME)}
    if rule_id == "IG301":
        return request.action in BOUNDARY_CONDITION_FAMILY and not space.boundary_approved(request)
    if rule_id == "IG302":
        return request.action in DELETION_FAMILY
    if rule_id == "IG303":
        return request.action in EDITING_FAMILY and request.resource in protected
    if rule_id == "IG304":
        # ChangePassword exists only on the caller's own user, whatever the Resource says
        # (https://docs.aws.amazon.com/IAM/latest/APIReference/API_ChangePassword.html).
        return (
            request.action in prefix_family()
            and request.action != "iam:ChangePassword"
            and outside_prefix(request)
            and not space.boundary_approved(request)
        )
    if rule_id == "IG401":
        return request.action in VERSION_FAMILY and outside_prefix(request)
    raise AssertionError(rule_id)


FAMILIES = {
    "IG301": sorted(BOUNDARY_CONDITION_FAMILY),
    "IG302": DELETION_FAMILY,
    "IG303": EDITING_FAMILY,
    "IG304": None,  # prefix_family(), built from the catalog on first use
    "IG401": VERSION_FAMILY,
}


def brute_force(rule_id: str, space: CeilingSpace) -> set[str]:
    actions = FAMILIES[rule_id] or prefix_family()
    resources = None
    if rule_id == "IG303":
        protected = [f"arn:aws:iam::{ACCOUNT}:policy/{n}" for n in (BOUNDARY_NAME, POLICY_NAME)]
        resources = lambda _: protected  # noqa: E731
    found = set()
    for action in actions:
        if space.first([action], lambda r: violates(rule_id, r, space), resources) is not None:
            found.add(action)
    return found


@st.composite
def ceilings(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    boundary = draw(st.lists(statements(ACCOUNT), min_size=1, max_size=3))
    scp = draw(st.lists(statements(ACCOUNT), min_size=0, max_size=2))
    scp = [{**s, "Effect": "Deny"} if i == 0 else s for i, s in enumerate(scp)]
    return (
        {"Version": "2012-10-17", "Statement": [*boundary, DENY_RUNNERS]},
        {"Version": "2012-10-17", "Statement": scp or [DENY_RUNNERS]},
    )


def assert_ceiling_agrees_with_brute_force(rule_id: str, data: tuple[dict, dict]) -> None:
    boundary = policy_from_data(data[0], BOUNDARY_NAME, "boundary")
    scp = policy_from_data(data[1], "Guardrail", "scp")
    where = Placement(None, None, (PolicyLevel("Root", (full_aws_access(), scp)),))
    proof = CeilingProof(boundary, PROJECT, where)
    rule = all_rules()[rule_id]
    violations = [
        v
        for v in proof.violations(rule)  # type: ignore[arg-type]
        if not rule.reported_elsewhere(proof, v) and proof.confirmed(v)  # type: ignore[arg-type]
    ]
    space = CeilingSpace(boundary, scp)
    expected = brute_force(rule_id, space)
    assert {v.action.full for v in violations} == expected, (data, expected)
    for violation in violations:
        assert space.allowed(violation.request)
        assert violates(rule_id, violation.request, space), violation.request


@SETTINGS
@given(ceilings())
def test_the_ceiling_creates_principals_only_under_an_approved_boundary_as_brute_force_says(
    data: tuple[dict, dict],
) -> None:
    assert_ceiling_agrees_with_brute_force("IG301", data)


@SETTINGS
@given(ceilings())
def test_the_ceiling_removes_no_boundary_unless_brute_force_finds_a_way(
    data: tuple[dict, dict],
) -> None:
    assert_ceiling_agrees_with_brute_force("IG302", data)


@SETTINGS
@given(ceilings())
def test_the_ceiling_rewrites_no_protected_policy_unless_brute_force_finds_a_way(
    data: tuple[dict, dict],
) -> None:
    assert_ceiling_agrees_with_brute_force("IG303", data)


@SETTINGS
@given(ceilings())
def test_the_ceiling_writes_outside_the_prefix_exactly_when_brute_force_does(
    data: tuple[dict, dict],
) -> None:
    assert_ceiling_agrees_with_brute_force("IG304", data)


@SETTINGS
@given(ceilings())
def test_the_ceilings_policy_version_escalation_is_exactly_brute_forces(
    data: tuple[dict, dict],
) -> None:
    assert_ceiling_agrees_with_brute_force("IG401", data)


def test_the_boundary_condition_family_is_the_catalogs() -> None:
    assert {a.full for a in boundary_condition_actions()} == BOUNDARY_CONDITION_FAMILY


def test_the_brute_force_space_has_the_ceiling_roles_resources() -> None:
    assert resource_space("role", ACCOUNT)[0].endswith(f":role/{PREFIX}x")
