"""Each delegation proof against brute force: IG302, IG303, IG304, IG401 and IG405.

Hypothesis writes delegation-shaped policies (random Allow/Deny statements over a small
alphabet of actions, resources and conditions, plus one statement that makes the policy a
delegation policy); brute force then asks the evaluator about every request of a fixed space
written here, independently of the proof's candidate generator, and each property says: the
rule reports a finding exactly when brute force finds an allowed request that breaks the
rule's invariant (and, action by action, it reports exactly the actions brute force breaks
the invariant with), and each finding's counterexample is such a request.

The invariants, as the rules' docstrings and the README's Rules section state them:

* IG302 boundary-deletion: in a delegation policy, no request for
  iam:Delete{Role,User}PermissionsBoundary is allowed, on any resource, in any context.
* IG303 boundary-tampering: in a delegation policy, no request for CreatePolicyVersion,
  DeletePolicy, DeletePolicyVersion or SetDefaultPolicyVersion is allowed on the approved
  boundary (S3AccessBoundary) or on the delegation policy itself (DelegatePermissions).
* IG304 prefix-scoping: in a delegation policy, no IAM write ("Write", "Permissions
  management" or "Tagging" in the catalog) on a role, policy, instance profile or user --
  other than the boundary-condition family (IG301), Delete*PermissionsBoundary (IG302) and
  the service-linked-role actions -- is allowed on a resource whose name lacks the prefix
  ``service-``, except on the caller's own user, and, for actions that carry
  iam:PermissionsBoundary, except when the request carries only approved boundaries.
  IG304 leaves to IG401/IG404/IG405/IG406 the actions they report. The scope is made exact
  here rather than by calling those rules: IG401 (Create/SetDefaultPolicyVersion) and IG405
  (UpdateAssumeRolePolicy) guard the same invariant on their actions, and IG404's
  (CreateAccessKey, Create/UpdateLoginProfile: any user but the caller) contains it, so
  those actions are reported there whenever they would be here and are left out of the
  brute force; IG406 needs a code-running action as well, so every generated policy denies
  all of them (its PassRole is then IG304's).
* IG401 policy-version-escalation: no request for CreatePolicyVersion or
  SetDefaultPolicyVersion is allowed on a policy whose name lacks the prefix (any policy).
* IG405 update-assume-role-policy: no request for UpdateAssumeRolePolicy is allowed on a
  role whose name lacks the prefix, unless it carries only approved boundaries (any policy).

"Delegation policy": some request for an IAM "Write"/"Permissions management" action on a
role, user or policy (PassRole and service-linked roles aside) is allowed.

The model both sides share, documented by the proof and taken over here:

* requests name resources of the principal's own account (IAM acts on it alone); with no
  deploy targets, the policy is judged in each account its IAM ARNs name (Resource,
  NotResource and condition values), else in 123456789012, and the first account with a
  violation is the one reported;
* a boundary is a managed policy of the principal's own account or an AWS managed one: AWS
  attaches no other account's policy, so such values are no request;
* a condition key the policy never reads cannot change a decision, so only the keys the
  policy reads (and the action supports, per the catalog) are varied; a key is absent or
  holds one value: every key here is single-valued (iam:PermissionsBoundary is one ARN), so
  none holds two, whatever set operator reads it;
* "inside the prefix": the prefix pattern <type>/service-* matches the ARN by path
  (role/service-x/AdminRole) or the name starts with it (role/team/service-x).

Operator semantics: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
Evaluation logic: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iamgate.catalog import get_catalog
from iamgate.config import Config
from iamgate.delegation import (
    CALLER,
    DEFAULT_ACCOUNT,
    MAX_CONTEXTS,
    boundary_deletion_actions,
    delegation_actions,
    policy_editing_actions,
    prefix_scoped_actions,
    proof_for,
)
from iamgate.evaluator import Request, evaluate
from iamgate.findings import Finding
from iamgate.model import Policy, policy_from_data
from iamgate.project import Project
from iamgate.rules import all_rules
from iamgate.rules.escalation_passrole import RUNS_CODE

ACCOUNT = DEFAULT_ACCOUNT
OWN_LITERAL = "210987654321"  # another account a policy may name as its own
FOREIGN = "111122223333"
PREFIX = "service-"
BOUNDARY_NAME = "S3AccessBoundary"
POLICY_NAME = "DelegatePermissions"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
PA = "${aws:PrincipalAccount}"

BOUNDARY = "iam:PermissionsBoundary"
REGION = "aws:RequestedRegion"
TAG = "iam:ResourceTag/team"

# Code-running actions (IG406's), denied in every generated policy: see the docstring.
RUNNERS = sorted(RUNS_CODE)
DENY_RUNNERS = {"Sid": "NoCodeRunners", "Effect": "Deny", "Action": RUNNERS, "Resource": "*"}


def make_project() -> Project:
    config = Config(root=Path("."), prefix=PREFIX, boundaries=(BOUNDARY_NAME,))
    return Project(config.root, config)


PROJECT = make_project()


def check(rule_id: str, p: Policy) -> list[Finding]:
    return all_rules()[rule_id].check(p, PROJECT)


# -- the generated policies -----------------------------------------------------------------

ACTIONS = [
    "iam:*",
    "iam:Delete*",
    "iam:*PermissionsBoundary",
    "iam:*PolicyVersion",
    "iam:Delete*PermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteUserPermissionsBoundary",
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:DeletePolicy",
    "iam:CreatePolicy",
    "iam:DeleteRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole*",
    "iam:PassRole",
    "iam:Tag*",
    "iam:CreateRole",
    "*",
]
NOT_ACTIONS = [
    "iam:*PermissionsBoundary",
    "iam:Delete*",
    "iam:*PolicyVersion",
    "s3:*",
]
RESOURCE_TAILS = [
    "role/*",
    "role/service-*",
    "policy/*",
    "policy/service-*",
    f"policy/{BOUNDARY_NAME}",
    f"policy/{POLICY_NAME}",
    "user/${aws:username}",
    "user/*",
    # the protected policies and the caller's own user once more: what IG303 and IG304's
    # exceptions are about
    f"policy/{BOUNDARY_NAME}",
    f"policy/{POLICY_NAME}",
    "user/${aws:username}",
]
OPERATORS = [
    "StringEquals",
    "StringNotEquals",
    "StringLike",
    "StringNotLike",
    "ArnEquals",
    "ArnLike",
    "ArnNotLike",
    "StringEqualsIfExists",
    "StringNotEqualsIfExists",
    "ArnLikeIfExists",
    "ForAllValues:StringEquals",
    "ForAnyValue:StringLike",
    "Null",
]
KEY_SPELLINGS = {
    BOUNDARY: [BOUNDARY, "IAM:permissionsboundary"],
    REGION: [REGION],
    TAG: [TAG],
}


def _key_values(key: str, literal: str) -> list[str]:
    if key == BOUNDARY:
        return [
            f"arn:aws:iam::{PA}:policy/{BOUNDARY_NAME}",
            f"arn:aws:iam::{literal}:policy/{BOUNDARY_NAME}",
            f"arn:aws:iam::{FOREIGN}:policy/{BOUNDARY_NAME}",
            ADMIN,
            "arn:aws:iam::*:policy/*",
            f"arn:aws:iam::{PA}:policy/S3*",
            "*",
        ]
    if key == REGION:
        return ["eu-west-1", "us-*"]
    return ["service", "admin*"]


@st.composite
def conditions(draw: st.DrawFn, literal: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for _ in range(draw(st.integers(0, 2))):
        operator = draw(st.sampled_from(OPERATORS))
        key = draw(st.sampled_from(sorted(KEY_SPELLINGS)))
        spelling = draw(st.sampled_from(KEY_SPELLINGS[key]))
        if operator == "Null":
            value: Any = draw(st.sampled_from(["true", "false"]))
        else:
            values = draw(
                st.lists(st.sampled_from(_key_values(key, literal)), min_size=1, max_size=2)
            )
            value = values if len(values) > 1 else values[0]
        out.setdefault(operator, {})[spelling] = value
    return out


@st.composite
def statements(draw: st.DrawFn, literal: str) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": draw(st.sampled_from(["Allow", "Allow", "Deny"]))}
    if draw(st.integers(0, 4)) == 0:
        statement["NotAction"] = draw(st.sampled_from(NOT_ACTIONS))
    else:
        statement["Action"] = draw(st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=2))
    resources = [
        "*" if tail is None else f"arn:aws:iam::{draw(st.sampled_from([PA, literal, '*']))}:{tail}"
        for tail in draw(st.lists(st.sampled_from([None, *RESOURCE_TAILS]), min_size=1, max_size=2))
    ]
    element = "NotResource" if draw(st.integers(0, 5)) == 0 else "Resource"
    statement[element] = resources if len(resources) > 1 else resources[0]
    condition = draw(conditions(literal))
    if condition:
        statement["Condition"] = condition
    return statement


def _anchors(literal: str) -> list[dict[str, Any]]:
    """Statements that each make a policy a delegation policy (unless a Deny cancels them).

    Not all are safe: the IfExists one lets a role through with no boundary at all."""
    approved = f"arn:aws:iam::{PA}:policy/{BOUNDARY_NAME}"
    return [
        {
            "Effect": "Allow",
            "Action": ["iam:CreateRole", "iam:AttachRolePolicy"],
            "Resource": f"arn:aws:iam::{PA}:role/service-*",
            "Condition": {"StringEquals": {BOUNDARY: approved}},
        },
        {
            "Effect": "Allow",
            "Action": ["iam:CreatePolicy", "iam:ChangePassword"],
            "Resource": [
                f"arn:aws:iam::{literal}:policy/service-*",
                f"arn:aws:iam::{PA}:user/${{aws:username}}",
            ],
        },
        {
            "Effect": "Allow",
            "Action": "iam:PutRolePolicy",
            "Resource": "*",
            "Condition": {"ArnEquals": {BOUNDARY: approved}},
        },
        {
            "Effect": "Allow",
            "Action": ["iam:DeleteRole", "iam:UpdateAssumeRolePolicy", "iam:UpdateRole"],
            "Resource": "*",
            "Condition": {"StringEquals": {BOUNDARY: approved}},
        },
        {
            "Effect": "Allow",
            "Action": ["iam:DeleteRole", "iam:UpdateAssumeRolePolicy"],
            "Resource": f"arn:aws:iam::{literal}:role/*",
            "Condition": {"StringEqualsIfExists": {BOUNDARY: approved}},
        },
    ]


@st.composite
def delegation_policies(draw: st.DrawFn) -> dict[str, Any]:
    literal = draw(st.sampled_from([ACCOUNT, OWN_LITERAL]))
    anchor = draw(st.sampled_from(_anchors(literal)))
    items = draw(st.lists(statements(literal), min_size=1, max_size=3))
    position = draw(st.integers(0, len(items)))
    return {
        "Version": "2012-10-17",
        "Statement": [*items[:position], anchor, *items[position:], DENY_RUNNERS],
    }


# -- the brute-force request space --------------------------------------------------------


def accounts_of(p: Policy) -> list[str]:
    """The accounts the policy is judged in: those its IAM ARNs name, most named first."""
    counts: dict[str, int] = {}
    for s in p.statements:
        texts = (*(s.resource or ()), *(s.not_resource or ()))
        texts += tuple(v for c in s.conditions for v in c.values)
        for text in texts:
            for account in (OWN_LITERAL, FOREIGN, ACCOUNT):
                if f":iam::{account}:" in text:
                    counts[account] = counts.get(account, 0) + text.count(f":iam::{account}:")
    ranked = sorted(counts, key=lambda a: -counts[a])  # stable: ties keep first mention
    return ranked or [ACCOUNT]


def is_approved(value: str, account: str) -> bool:
    head = f"arn:aws:iam::{account}:policy/"
    return value.startswith(head) and value.rsplit("/", 1)[-1] == BOUNDARY_NAME


def name_of(arn: str) -> str:
    return arn.split(":", 5)[5].rsplit("/", 1)[-1]


def resource_space(type_name: str, account: str) -> list[str]:
    names = {
        "role": ["service-x", "team/service-x", "service-x/AdminRole", "AdminRole"],
        "policy": ["service-x", "AdministratorPolicy", BOUNDARY_NAME, POLICY_NAME],
        "user": ["service-x", "AdminUser", CALLER],
        "instance-profile": ["service-x", "AdminInstanceProfile"],
    }
    return [f"arn:aws:iam::{account}:{type_name}/{n}" for n in names.get(type_name, [])]


def _value_space(key: str, account: str) -> list[str]:
    if key == BOUNDARY:
        return [
            f"arn:aws:iam::{account}:policy/{BOUNDARY_NAME}",  # the approved one first
            ADMIN,
            f"arn:aws:iam::aws:policy/{BOUNDARY_NAME}",
            f"arn:aws:iam::{account}:policy/Other",
            f"arn:aws:iam::{account}:policy/S3Other",
            f"arn:aws:iam::{account}:policy/{BOUNDARY_NAME}X",
            f"arn:aws:iam::{account}:policy/service-boundary",
        ]
    if key == REGION:
        return ["eu-west-1", "us-east-1", "ap-south-1"]
    return ["service", "adminx", "other"]


class Space:
    """The requests brute force asks about for one policy."""

    def __init__(self, p: Policy, account: str | None = None) -> None:
        self.policy = p
        self.account = account or accounts_of(p)[0]
        canonical = {k.lower(): k for k in KEY_SPELLINGS}
        self.read: list[str] = []
        self.set_keys: set[str] = set()
        for statement in p.statements:
            for condition in statement.conditions:
                key = canonical.get(condition.key.lower())
                if key is None:
                    continue
                if key not in self.read:
                    self.read.append(key)
                if condition.operator.lower().startswith(("forallvalues:", "foranyvalue:")):
                    self.set_keys.add(key)
        self.base = {"aws:PrincipalAccount": (self.account,), "aws:username": (CALLER,)}

    def options(self, key: str) -> list[tuple[str, ...] | None]:
        values = _value_space(key, self.account)
        return [None, *((v,) for v in values)]

    def contexts(self, action: str) -> Iterator[dict[str, tuple[str, ...]]]:
        catalog = get_catalog()
        keys = [k for k in self.read if catalog.supports_key(action, k)]
        # IAM has one endpoint, in us-east-1: its requests carry that region and no other;
        # iam:PassRole is a permission only, checked in the receiving service's request (any
        # region).
        iam = action.lower().startswith("iam:") and action.lower() != "iam:passrole"
        options = [[("us-east-1",)] if k == REGION and iam else self.options(k) for k in keys]
        for combo in itertools.product(*options):
            context = dict(self.base)
            context.update({k: v for k, v in zip(keys, combo, strict=True) if v is not None})
            yield context

    def requests(
        self, actions: list[str], resources: Callable[[str], list[str]] | None = None
    ) -> Iterator[Request]:
        for action in actions:
            if not named_by_allow(self.policy, action):
                continue
            for resource in (resources or self.resources)(action):
                for context in self.contexts(action):
                    yield Request(action, resource, context)

    def resources(self, action: str) -> list[str]:
        info = get_catalog().lookup(action)
        assert info is not None, action
        return [r for t, _ in info.resource_types for r in resource_space(t.name, self.account)]

    def first(
        self,
        actions: list[str],
        unsafe: Callable[[Request], bool],
        resources: Callable[[str], list[str]] | None = None,
    ) -> Request | None:
        """The first allowed request that breaks the invariant, or None."""
        for request in self.requests(actions, resources):
            if unsafe(request) and evaluate(request, [self.policy]).allowed:
                return request
        return None

    def boundary_approved(self, request: Request) -> bool:
        values = request.context.get(BOUNDARY)
        if not values or not get_catalog().supports_key(request.action, BOUNDARY):
            return False
        return all(is_approved(v, self.account) for v in values)

    def is_delegation(self) -> bool:
        return self.first(delegation_family(), lambda _: True) is not None


@cache
def _expand(pattern: str) -> frozenset[str]:
    return frozenset(a.full for a in get_catalog().expand(pattern))


def named_by_allow(p: Policy, action: str) -> bool:
    """Is ``action`` in the catalog expansion of some Allow statement's Action element?"""
    for statement in p.statements:
        if not statement.allows:
            continue
        if statement.action is not None:
            if any(action in _expand(a) for a in statement.action):
                return True
        elif statement.not_action is not None and not any(
            action in _expand(a) for a in statement.not_action
        ):
            return True
    return False


# -- the families, from the catalog and the rules' documentation ----------------------------

BOUNDARY_CONDITION_FAMILY = {
    f"iam:{verb}"
    for verb in (
        "CreateRole",
        "CreateUser",
        "PutRolePermissionsBoundary",
        "PutUserPermissionsBoundary",
        *(
            f"{op}{who}Policy"
            for op in ("Put", "Attach", "Detach", "Delete")
            for who in ("Role", "User")
        ),
    )
}
DELETION_FAMILY = ["iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary"]
EDITING_FAMILY = [
    "iam:CreatePolicyVersion",
    "iam:DeletePolicy",
    "iam:DeletePolicyVersion",
    "iam:SetDefaultPolicyVersion",
]
VERSION_FAMILY = ["iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion"]
# Reported by IG401, IG404 or IG405 whenever IG304 would report them (see the docstring).
DEFERRED = {
    *VERSION_FAMILY,
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:UpdateAssumeRolePolicy",
}


def _types(action: str) -> set[str]:
    info = get_catalog().lookup(action)
    return {t.name for t, _ in info.resource_types} if info else set()


@cache
def delegation_family() -> list[str]:
    names = [
        a.full
        for a in get_catalog().expand("iam:*")
        if a.access_level in ("Write", "Permissions management")
        and _types(a.full) & {"role", "user", "policy"}
        and a.full != "iam:PassRole"
        and "ServiceLinkedRole" not in a.name
    ]
    # The anchors' actions first: most policies are recognised at the first request.
    first = ["iam:CreateRole", "iam:CreatePolicy", "iam:PutRolePolicy", "iam:DeleteRole"]
    return first + sorted(set(names) - set(first))


@cache
def prefix_family() -> list[str]:
    return sorted(
        a.full
        for a in get_catalog().expand("iam:*")
        if a.access_level in ("Write", "Permissions management", "Tagging")
        and _types(a.full) & {"role", "policy", "instance-profile", "user"}
        and a.full not in BOUNDARY_CONDITION_FAMILY
        and a.full not in DELETION_FAMILY
        and "ServiceLinkedRole" not in a.name
        and a.full not in DEFERRED
    )


# -- the invariants ---------------------------------------------------------------------------


def outside_prefix(request: Request) -> bool:
    """Outside: neither the name nor the first part of the path starts with the prefix."""
    resource = request.resource.split(":", 5)[5]
    after_type = resource.split("/", 1)[1] if "/" in resource else resource
    return not (name_of(request.resource).startswith(PREFIX) or after_type.startswith(PREFIX))


def violates(rule_id: str, space: Space, request: Request) -> bool:
    """Does an allowed ``request`` break ``rule_id``'s invariant?"""
    if rule_id == "IG302":
        return request.action in DELETION_FAMILY
    if rule_id == "IG303":
        protected = {
            f"arn:aws:iam::{space.account}:policy/{n}" for n in (BOUNDARY_NAME, POLICY_NAME)
        }
        return request.action in EDITING_FAMILY and request.resource in protected
    if rule_id == "IG304":
        caller = f"arn:aws:iam::{space.account}:user/{CALLER}"
        # ChangePassword exists only on the caller's own user, whatever the Resource says
        # (https://docs.aws.amazon.com/IAM/latest/APIReference/API_ChangePassword.html).
        return (
            request.action in prefix_family()
            and request.action != "iam:ChangePassword"
            and outside_prefix(request)
            and request.resource != caller
            and not space.boundary_approved(request)
        )
    if rule_id == "IG401":
        return request.action in VERSION_FAMILY and outside_prefix(request)
    if rule_id == "IG405":
        return (
            request.action == "iam:UpdateAssumeRolePolicy"
            and outside_prefix(request)
            and not space.boundary_approved(request)
        )
    raise AssertionError(rule_id)


def brute_force(rule_id: str, space: Space) -> dict[str, Request]:
    """For each action of the rule's family, the first allowed request breaking its invariant."""

    def unsafe(request: Request) -> bool:
        return violates(rule_id, space, request)

    resources: Callable[[str], list[str]] | None = None
    if rule_id == "IG302":
        actions = DELETION_FAMILY
    elif rule_id == "IG303":
        actions = EDITING_FAMILY
        protected = [
            f"arn:aws:iam::{space.account}:policy/{n}" for n in (BOUNDARY_NAME, POLICY_NAME)
        ]
        resources = lambda _: protected  # noqa: E731
    elif rule_id == "IG304":
        actions = prefix_family()
    elif rule_id == "IG401":
        actions = VERSION_FAMILY
    else:
        actions = ["iam:UpdateAssumeRolePolicy"]
    found = {action: space.first([action], unsafe, resources) for action in actions}
    return {action: request for action, request in found.items() if request is not None}


DELEGATION_ONLY = {"IG302": True, "IG303": True, "IG304": True, "IG401": False, "IG405": False}


def reported_actions(rule_id: str, p: Policy) -> set[str]:
    """The actions the rule reports (a finding lists several as "and likewise ...")."""
    rule = all_rules()[rule_id]
    for account in accounts_of(p):
        proof = proof_for(p, PROJECT, account)
        if not rule.applies(proof):
            continue
        found = {
            v.action.full for v in proof.violations(rule) if not rule.reported_elsewhere(proof, v)
        }
        if found:
            return found
    return set()


def assert_proof_agrees_with_brute_force(rule_id: str, data: dict[str, Any]) -> None:
    p = policy_from_data(data, POLICY_NAME)
    findings = check(rule_id, p)
    # The first account (in the order the policy names them) with a violation is reported.
    for account in accounts_of(p):
        space = Space(p, account)
        expected = brute_force(rule_id, space)
        if expected and DELEGATION_ONLY[rule_id] and not space.is_delegation():
            expected = {}
        if expected:
            break
    assert bool(findings) == bool(expected), (
        data["Statement"][:-1],
        expected,
        [f.message for f in findings],
    )
    # Action by action too: each action the rule reports, and only those, has a violation.
    assert reported_actions(rule_id, p) == set(expected), (data["Statement"][:-1], expected)
    for finding in findings:
        example = finding.counterexample
        assert example is not None
        context = {k: tuple(v) for k, v in example["context"].items()}
        request = Request(example["action"], example["resource"], context)
        assert evaluate(request, [p]).allowed, finding.message
        assert violates(rule_id, space, request), finding.message


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(delegation_policies())
def test_boundary_deletion_is_reported_exactly_when_brute_force_allows_one(
    data: dict[str, Any],
) -> None:
    assert_proof_agrees_with_brute_force("IG302", data)


@SETTINGS
@given(delegation_policies())
def test_boundary_tampering_is_reported_exactly_when_brute_force_edits_a_protected_policy(
    data: dict[str, Any],
) -> None:
    assert_proof_agrees_with_brute_force("IG303", data)


@SETTINGS
@given(delegation_policies())
def test_prefix_scoping_is_reported_exactly_when_brute_force_writes_outside_the_prefix(
    data: dict[str, Any],
) -> None:
    assert_proof_agrees_with_brute_force("IG304", data)


@SETTINGS
@given(delegation_policies())
def test_policy_version_escalation_is_reported_exactly_when_brute_force_finds_one(
    data: dict[str, Any],
) -> None:
    assert_proof_agrees_with_brute_force("IG401", data)


@SETTINGS
@given(delegation_policies())
def test_trust_policy_rewrites_are_reported_exactly_when_brute_force_finds_one(
    data: dict[str, Any],
) -> None:
    assert_proof_agrees_with_brute_force("IG405", data)


def test_the_brute_force_families_are_the_catalog_actions_the_rules_guard() -> None:
    assert {a.full for a in boundary_deletion_actions()} == set(DELETION_FAMILY)
    assert {a.full for a in policy_editing_actions()} == set(EDITING_FAMILY)
    assert {a.full for a in prefix_scoped_actions()} - DEFERRED == set(prefix_family())
    assert set(delegation_family()) == {a.full for a in delegation_actions()}


# -- what the property tests found ------------------------------------------------------------


def _three_keys(actions: str, values: dict[str, list[str]]) -> Policy:
    """A policy whose conditions read three keys (the boundary key is always varied) with
    enough values that their product passes MAX_CONTEXTS."""
    statement = {
        "Effect": "Allow",
        "Action": actions,
        "Resource": "*",
        "Condition": {"StringEquals": values},
    }
    anchor = _anchors(ACCOUNT)[0]
    p = policy_from_data({"Version": "2012-10-17", "Statement": [anchor, statement]}, "X")
    proof = proof_for(p, PROJECT)
    product = math.prod(len(proof.key_options(k)) for k in proof.varied_keys)
    assert product > MAX_CONTEXTS  # what made the proof vary the keys one at a time
    return p


def test_an_allow_that_needs_two_condition_keys_at_once_is_found_past_max_contexts() -> None:
    # Found by the IG302 property: one at a time, a region was asked with the tag absent and
    # the tag with the region absent, and the only allowed request was never asked about.
    # (An IAM request always carries us-east-1: the only region listed that it can match.)
    p = _three_keys(
        "iam:DeleteRolePermissionsBoundary",
        {
            REGION: ["eu-west-1", "us-east-1", "eu-west-3", "eu-north-1"],
            TAG: ["service", "admin", "ops", "dev"],
        },
    )
    (finding,) = check("IG302", p)
    context = finding.counterexample["context"]  # type: ignore[index]
    assert context[REGION] and context[TAG]
    assert brute_force("IG302", Space(p))


def test_the_boundary_condition_is_judged_with_two_other_keys_set_at_once() -> None:
    p = _three_keys(
        "iam:CreateRole",
        {
            REGION: ["eu-west-1", "us-east-1", "eu-west-3", "eu-north-1"],
            "aws:PrincipalTag/team": ["a", "b", "c", "d"],
        },
    )
    (finding,) = check("IG301", p)
    assert "no permissions boundary" in finding.message


def test_a_boundary_value_no_managed_policy_has_is_no_counterexample() -> None:
    # Found by the IG302 property: "*" filled with "x" satisfied StringLike "*" and
    # StringNotLike "arn:aws:iam::*:policy/*" at once, but a boundary is always a policy ARN.
    statement = {
        "Effect": "Allow",
        "Action": "iam:DeleteRolePermissionsBoundary",
        "Resource": "*",
        "Condition": {
            "StringLike": {BOUNDARY: "*"},
            "StringNotLike": {BOUNDARY: "arn:aws:iam::*:policy/*"},
        },
    }
    p = policy_from_data(
        {"Version": "2012-10-17", "Statement": [_anchors(ACCOUNT)[0], statement]}, POLICY_NAME
    )
    assert check("IG302", p) == []
    assert brute_force("IG302", Space(p)) == {}


def test_a_prefixed_path_before_an_outside_name_is_inside_the_prefix() -> None:
    """role/service-* matches role/service-x/AdminRole (the prefix is in the path): the
    pattern decides, so that role is the delegates' and must carry the approved boundary,
    like every role the pattern matches (the live audit checks exactly that)."""
    statement = {
        "Effect": "Allow",
        "Action": "iam:DeleteRole",
        "Resource": f"arn:aws:iam::{PA}:role/service-*",
    }
    p = policy_from_data(
        {"Version": "2012-10-17", "Statement": [_anchors(ACCOUNT)[0], statement]}, POLICY_NAME
    )
    request = Request(
        "iam:DeleteRole",
        f"arn:aws:iam::{ACCOUNT}:role/service-x/AdminRole",
        {"aws:PrincipalAccount": (ACCOUNT,)},
    )
    assert evaluate(request, [p]).allowed and not outside_prefix(request)
    assert proof_for(p, PROJECT).in_prefix(request.resource)
    assert check("IG304", p) == []
    # Carrying the boundary is what makes it safe: changing its policies needs the boundary.
    attach = {
        "Effect": "Allow",
        "Action": "iam:AttachRolePolicy",
        "Resource": f"arn:aws:iam::{PA}:role/service-*",
    }
    unbounded = policy_from_data(
        {"Version": "2012-10-17", "Statement": [_anchors(ACCOUNT)[0], attach]}, POLICY_NAME
    )
    assert check("IG301", unbounded)
