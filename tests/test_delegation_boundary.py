"""IG301 boundary-condition: the bypasses it catches, the safe forms it leaves alone, and a
property test comparing the proof with brute-force evaluation over a generated request space.

Operator semantics relied on (absent keys, IfExists, negated operators, set operators):
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iamgate.config import Config
from iamgate.delegation import CALLER, DEFAULT_ACCOUNT, boundary_condition_actions, proof_for
from iamgate.evaluator import Request, evaluate
from iamgate.findings import Finding
from iamgate.model import Policy, policy_from_data
from iamgate.organization import literal_accounts
from iamgate.project import Project
from iamgate.rules import all_rules

ACCOUNT = DEFAULT_ACCOUNT
FOREIGN = "111122223333"
APPROVED = f"arn:aws:iam::{ACCOUNT}:policy/S3AccessBoundary"
APPROVED_VAR = "arn:aws:iam::${aws:PrincipalAccount}:policy/S3AccessBoundary"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
ROLES = "arn:aws:iam::${aws:PrincipalAccount}:role/service-*"
ROLE_WRITES = [
    "iam:CreateRole",
    "iam:AttachRolePolicy",
    "iam:PutRolePolicy",
    "iam:PutRolePermissionsBoundary",
]


def make_project(
    tmp: Path = Path("."), boundaries: tuple[str, ...] = ("S3AccessBoundary",)
) -> Project:
    return Project(tmp, Config(root=tmp, prefix="service-", boundaries=boundaries))


def policy(*statements: dict[str, Any], name: str = "Delegate") -> Policy:
    return policy_from_data({"Version": "2012-10-17", "Statement": list(statements)}, name)


def allow(
    actions: Any,
    resource: Any = ROLES,
    condition: dict[str, Any] | None = None,
    sid: str = "AllowCreate",
) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Action": actions,
        "Resource": resource,
    }
    if condition:
        statement["Condition"] = condition
    return statement


def ig301(p: Policy, project: Project | None = None) -> list[Finding]:
    return all_rules()["IG301"].check(p, project or make_project())


def only_approved(
    operator: str = "StringEquals", key: str = "iam:PermissionsBoundary"
) -> dict[str, Any]:
    return {operator: {key: APPROVED_VAR}}


# -- what IG301 guards, per the catalog -------------------------------------------------


def test_the_guarded_actions_come_from_the_catalog_and_are_the_documented_family() -> None:
    names = {a.full for a in boundary_condition_actions()}
    assert names == {
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


# -- the bypasses -------------------------------------------------------------------------


def test_string_equals_if_exists_lets_a_role_through_without_any_boundary() -> None:
    (finding,) = ig301(policy(allow(ROLE_WRITES, condition=only_approved("StringEqualsIfExists"))))
    assert finding.message.startswith(
        f"iam:CreateRole on arn:aws:iam::{ACCOUNT}:role/service-x with no permissions boundary "
        'is allowed by statement "AllowCreate" (line 4)'
    )
    # The key the escape depends on is named, with no values: absent from the request.
    assert finding.counterexample["context"]["iam:PermissionsBoundary"] == []  # type: ignore[index]
    assert finding.counterexample["context"]["aws:PrincipalAccount"] == [ACCOUNT]  # type: ignore[index]


def test_the_finding_points_at_the_weak_condition_and_names_the_allowing_statement() -> None:
    p = policy(allow(ROLE_WRITES, condition=only_approved("StringEqualsIfExists")))
    (finding,) = ig301(p)
    condition = p.statements[0].conditions[0]
    assert (finding.line, finding.column) == p.document.locate_key(condition.path)  # type: ignore[union-attr]
    assert [ref.sid for ref in finding.statements] == ["AllowCreate"]


def test_a_statement_without_a_boundary_condition_is_pointed_at_by_its_action() -> None:
    p = policy(allow(ROLE_WRITES, condition=only_approved()), allow("iam:*", "*", sid="Console"))
    (finding,) = ig301(p)
    assert finding.line == p.document.locate_key((*p.statements[1].path, "Action"))[0]  # type: ignore[union-attr]
    assert [ref.sid for ref in finding.statements] == ["Console"]


def test_for_all_values_is_true_when_the_key_is_absent() -> None:
    (finding,) = ig301(
        policy(allow(ROLE_WRITES, condition=only_approved("ForAllValues:StringEquals")))
    )
    assert "with no permissions boundary" in finding.message


def test_for_any_value_on_the_single_valued_boundary_key_is_safe() -> None:
    # iam:PermissionsBoundary is one ARN (the catalog types it ARN, not ArrayOf...): a request
    # carries exactly one boundary, so ForAnyValue:StringEquals holds for the approved one alone.
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
    p = policy(allow(ROLE_WRITES, condition=only_approved("ForAnyValue:StringEquals")))
    assert proof_for(p, make_project()).is_delegation
    assert ig301(p) == []
    assert all(
        option is None or len(option) == 1
        for option in proof_for(p, make_project()).boundary_options
    )


def test_a_deny_guard_with_for_all_values_string_not_equals_is_safe() -> None:
    # ForAllValues is true when the key is absent, so the Deny fires without a boundary too.
    guard = {
        "Effect": "Deny",
        "Action": ROLE_WRITES,
        "Resource": "*",
        "Condition": only_approved("ForAllValues:StringNotEquals"),
    }
    assert ig301(policy(allow(ROLE_WRITES), guard)) == []


def test_a_deny_guard_with_for_any_value_string_not_equals_spares_the_request_without_one() -> None:
    guard = {
        "Effect": "Deny",
        "Action": ROLE_WRITES,
        "Resource": "*",
        "Condition": only_approved("ForAnyValue:StringNotEquals"),
    }
    (finding,) = ig301(policy(allow(ROLE_WRITES), guard))
    assert "with no permissions boundary" in finding.message


def test_null_false_admits_any_boundary() -> None:
    (finding,) = ig301(
        policy(allow(ROLE_WRITES, condition={"Null": {"iam:PermissionsBoundary": "false"}}))
    )
    assert finding.counterexample["context"]["iam:PermissionsBoundary"] == [ADMIN]  # type: ignore[index]


def test_string_like_any_policy_is_answered_with_a_value_matching_the_pattern() -> None:
    condition = {"StringLike": {"iam:PermissionsBoundary": "arn:aws:iam::*:policy/*"}}
    (finding,) = ig301(policy(allow(ROLE_WRITES, condition=condition)))
    (value,) = finding.counterexample["context"]["iam:PermissionsBoundary"]  # type: ignore[index]
    assert value.startswith("arn:aws:iam::") and ":policy/" in value and value != APPROVED


def test_a_wildcard_after_the_approved_name_admits_a_longer_name() -> None:
    condition = {"StringLike": {"iam:PermissionsBoundary": APPROVED_VAR + "*"}}
    (finding,) = ig301(policy(allow(ROLE_WRITES, condition=condition)))
    assert finding.counterexample["context"]["iam:PermissionsBoundary"] == [APPROVED + "x"]  # type: ignore[index]


def test_a_leading_wildcard_admits_a_policy_of_the_account_named_by_the_delegate() -> None:
    # StringLike "*S3AccessBoundary" is not ARN-shaped, yet it matches
    # arn:aws:iam::<account>:policy/service-xS3AccessBoundary, a policy of this account the
    # delegate may create (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_String).
    for pattern in ("*S3AccessBoundary", "*/S3AccessBoundary*"):
        condition = {"StringLike": {"iam:PermissionsBoundary": pattern}}
        (finding,) = ig301(policy(allow(ROLE_WRITES, condition=condition)))
        (value,) = finding.counterexample["context"]["iam:PermissionsBoundary"]  # type: ignore[index]
        assert value.startswith(f"arn:aws:iam::{ACCOUNT}:policy/service-x"), value


def test_a_wildcard_account_admits_an_aws_managed_policy_of_the_approved_name() -> None:
    # Another customer's account is no escape (AWS attaches only the own account's or AWS
    # managed policies as a boundary), but the AWS managed namespace is attachable.
    condition = {
        "StringLike": {"iam:PermissionsBoundary": "arn:aws:iam::*:policy/S3AccessBoundary"}
    }
    (finding,) = ig301(policy(allow(ROLE_WRITES, condition=condition)))
    assert finding.counterexample["context"]["iam:PermissionsBoundary"] == [  # type: ignore[index]
        "arn:aws:iam::aws:policy/S3AccessBoundary"
    ]


def test_a_boundary_of_another_account_fails_closed_and_is_no_escape() -> None:
    # Judged in the account the Resource names, a boundary of another account is one AWS
    # would not attach: no counterexample may name it.
    other = f"arn:aws:iam::{FOREIGN}:policy/S3AccessBoundary"
    p = policy(
        allow(
            ROLE_WRITES,
            f"arn:aws:iam::{ACCOUNT}:role/service-*",
            {"StringEquals": {"iam:PermissionsBoundary": other}},
        ),
        allow(["iam:GetRole"], f"arn:aws:iam::{ACCOUNT}:role/*", sid="Read"),
    )
    proof = proof_for(p, make_project(), ACCOUNT)
    assert not proof.is_delegation
    assert all(
        o is None or not o[0].startswith(f"arn:aws:iam::{FOREIGN}:") for o in proof.boundary_options
    )


def test_a_value_list_that_also_admits_administrator_access() -> None:
    condition = {"StringEquals": {"iam:PermissionsBoundary": [APPROVED_VAR, ADMIN]}}
    (finding,) = ig301(policy(allow(ROLE_WRITES, condition=condition)))
    assert finding.counterexample["context"]["iam:PermissionsBoundary"] == [ADMIN]  # type: ignore[index]


def test_allow_with_not_action_covers_role_creation() -> None:
    statement = {"Effect": "Allow", "NotAction": "iam:Delete*PermissionsBoundary", "Resource": "*"}
    (finding,) = ig301(policy(statement))
    assert finding.counterexample["action"] == "iam:CreateRole"  # type: ignore[index]


def test_put_role_permissions_boundary_without_a_condition_replaces_the_boundary() -> None:
    p = policy(
        allow(["iam:CreateRole"], condition=only_approved()),
        allow("iam:PutRolePermissionsBoundary", sid="SwapBoundaries"),
    )
    (finding,) = ig301(p)
    assert finding.counterexample["action"] == "iam:PutRolePermissionsBoundary"  # type: ignore[index]
    assert [ref.sid for ref in finding.statements] == ["SwapBoundaries"]


def test_a_deny_guard_with_string_equals_never_fires_for_other_boundaries() -> None:
    guard = {"Effect": "Deny", "Action": ROLE_WRITES, "Resource": "*", "Condition": only_approved()}
    assert ig301(policy(allow(ROLE_WRITES), guard))


def test_a_deny_guard_on_a_misspelt_key_never_fires() -> None:
    condition = {"StringEquals": {"iam:PermissionBoundary": ADMIN}}
    guard = {"Effect": "Deny", "Action": ROLE_WRITES, "Resource": "*", "Condition": condition}
    (finding,) = ig301(policy(allow(ROLE_WRITES), guard))
    assert "with no permissions boundary" in finding.message


# -- the safe forms -----------------------------------------------------------------------


def test_an_unconditioned_allow_guarded_by_deny_string_not_equals_is_safe() -> None:
    guard = {
        "Effect": "Deny",
        "Action": ROLE_WRITES,
        "Resource": "*",
        "Condition": only_approved("StringNotEquals"),
    }
    p = policy(allow(ROLE_WRITES), guard)
    assert proof_for(p, make_project()).is_delegation
    assert ig301(p) == []
    # Why: StringNotEquals is true when the key is absent, so the Deny fires for that request too.
    base = {"aws:PrincipalAccount": (ACCOUNT,)}
    absent = Request("iam:CreateRole", f"arn:aws:iam::{ACCOUNT}:role/service-x", base)
    assert evaluate(absent, [p]).decision == "explicit_deny"
    approved = Request(
        absent.action, absent.resource, {**base, "iam:PermissionsBoundary": (APPROVED,)}
    )
    assert evaluate(approved, [p]).allowed


def test_iam_star_under_the_boundary_condition_is_safe() -> None:
    p = policy(allow("iam:*", "*", condition=only_approved()))
    assert ig301(p) == []


def test_condition_keys_in_any_letter_case_are_understood() -> None:
    assert (
        ig301(policy(allow(ROLE_WRITES, condition=only_approved(key="IAM:permissionsBOUNDARY"))))
        == []
    )
    guard = {
        "Effect": "Deny",
        "Action": ROLE_WRITES,
        "Resource": "*",
        "Condition": only_approved("StringNotEquals", "Iam:PermissionsBoundary"),
    }
    assert ig301(policy(allow(ROLE_WRITES), guard)) == []


def test_a_literal_account_is_taken_as_the_principal_account() -> None:
    account = "210987654321"
    p = policy(
        allow(
            ROLE_WRITES,
            f"arn:aws:iam::{account}:role/service-*",
            {
                "ArnEquals": {
                    "iam:PermissionsBoundary": f"arn:aws:iam::{account}:policy/S3AccessBoundary"
                }
            },
        )
    )
    assert ig301(p) == []


def test_a_boundary_on_a_path_is_approved_by_its_name() -> None:
    # IAM names are unique in an account whatever their path.
    value = "arn:aws:iam::${aws:PrincipalAccount}:policy/boundaries/S3AccessBoundary"
    assert (
        ig301(
            policy(
                allow(ROLE_WRITES, condition={"StringEquals": {"iam:PermissionsBoundary": value}})
            )
        )
        == []
    )


def test_with_no_approved_boundary_every_delegated_role_is_a_finding() -> None:
    p = policy(allow(ROLE_WRITES, condition=only_approved()))
    (finding,) = ig301(p, make_project(boundaries=()))
    assert "none is approved" in finding.message


def test_a_policy_that_delegates_nothing_is_not_judged() -> None:
    p = policy(
        allow(["s3:GetObject"], "*"), allow(["iam:GetRole", "iam:ListRoles"], "*", sid="Read")
    )
    assert not proof_for(p, make_project()).is_delegation
    assert ig301(p) == []


# -- the proof against brute force --------------------------------------------------------

OPERATORS = [
    "StringEquals",
    "StringEqualsIfExists",
    "StringLike",
    "StringNotEquals",
    "ForAllValues:StringEquals",
    "ForAnyValue:StringEquals",
    "Null",
]
KEYS = ["iam:PermissionsBoundary", "IAM:permissionsboundary", "iam:PermissionBoundary"]
VALUES = [
    APPROVED_VAR,
    APPROVED,
    f"arn:aws:iam::{FOREIGN}:policy/Other",
    ADMIN,
    "arn:aws:iam::*:policy/*",
    "arn:aws:iam::${aws:PrincipalAccount}:policy/S3*",
    "arn:aws:iam::*:policy/S3AccessBoundary",
    "*",
    "arn:aws:iam::${aws:PrincipalAccount}:policy/S3AccessBoundar?",
    "arn:aws:iam::${aws:PrincipalAccount}:policy/service-*",
]
ACTION_CHOICES = [
    ("Action", ["iam:CreateRole"]),
    ("Action", ["iam:*"]),
    ("Action", ["iam:Put*"]),
    ("Action", ["iam:AttachRolePolicy", "iam:CreateUser"]),
    ("NotAction", ["s3:*"]),
]
RESOURCE_CHOICES = [
    "*",
    ROLES,
    "arn:aws:iam::*:user/*",
    "arn:aws:iam::${aws:PrincipalAccount}:role/*",
]

# The brute-force space, written independently of the proof's generator: for each pattern in
# VALUES it holds values that match it without being approved.
BRUTE_ACTIONS = [
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
]


def brute_resources(kind: str, account: str) -> list[str]:
    names = {"Role": ["service-x", "AdminRole"], "User": ["service-x", "AdminUser", CALLER]}
    return [f"arn:aws:iam::{account}:{kind.lower()}/{name}" for name in names[kind]]


def brute_unapproved(account: str) -> list[str]:
    """Boundaries AWS would attach in ``account`` that are not the approved one: the account's
    own policies and AWS managed ones (another account's policy is never attached)."""
    return [
        ADMIN,
        "arn:aws:iam::aws:policy/S3AccessBoundary",
        f"arn:aws:iam::{account}:policy/Other",
        f"arn:aws:iam::{account}:policy/S3Other",
        f"arn:aws:iam::{account}:policy/S3AccessBoundarZ",
        f"arn:aws:iam::{account}:policy/service-boundary",
        f"arn:aws:iam::{account}:policy/x",
    ]


def _condition(draw: st.DrawFn) -> dict[str, Any]:
    operator = draw(st.sampled_from(OPERATORS))
    key = draw(st.sampled_from(KEYS))
    if operator == "Null":
        return {operator: {key: draw(st.sampled_from(["true", "false"]))}}
    values = draw(st.lists(st.sampled_from(VALUES), min_size=1, max_size=2, unique=True))
    return {operator: {key: values if len(values) > 1 else values[0]}}


@st.composite
def statements(draw: st.DrawFn) -> dict[str, Any]:
    element, actions = draw(st.sampled_from(ACTION_CHOICES))
    statement: dict[str, Any] = {
        "Effect": draw(st.sampled_from(["Allow", "Allow", "Deny"])),
        element: actions,
        "Resource": draw(st.sampled_from(RESOURCE_CHOICES)),
    }
    if draw(st.booleans()) or statement["Effect"] == "Deny":
        statement["Condition"] = _condition(draw)
    return statement


def brute_force_violation(p: Policy) -> Request | None:
    """An allowed request that creates or changes a role or user without the approved boundary,
    in each account the policy names (else the placeholder): iam:PermissionsBoundary is
    single-valued, so every request carries no boundary or exactly one."""
    for account in literal_accounts(p) or (ACCOUNT,):
        approved = f"arn:aws:iam::{account}:policy/S3AccessBoundary"
        boundaries = [None, (approved,), *((v,) for v in brute_unapproved(account))]
        for action in BRUTE_ACTIONS:
            kind = "Role" if "Role" in action else "User"
            for resource in brute_resources(kind, account):
                for boundary in boundaries:
                    context = {"aws:PrincipalAccount": (account,), "aws:username": (CALLER,)}
                    if boundary is not None:
                        context["iam:PermissionsBoundary"] = boundary
                    request = Request(action, resource, context)
                    unsafe = boundary is None or boundary != (approved,)
                    if unsafe and evaluate(request, [p]).allowed:
                        return request
    return None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(statements(), min_size=1, max_size=3))
def test_the_proof_finds_a_violation_exactly_when_brute_force_does(
    items: list[dict[str, Any]],
) -> None:
    p = policy(*items)
    findings = ig301(p)
    expected = brute_force_violation(p)
    assert bool(findings) == (expected is not None), (
        items,
        expected,
        [f.message for f in findings],
    )
    for finding in findings:
        example = finding.counterexample
        assert example is not None
        context = {k: tuple(v) for k, v in example["context"].items()}
        assert evaluate(Request(example["action"], example["resource"], context), [p]).allowed


def test_two_boundaries_that_pass_different_conditions_are_no_request() -> None:
    """Once found by the brute-force property when boundaries came in pairs: a pair of
    unapproved boundaries that each pass one condition. A request carries one boundary
    (iam:PermissionsBoundary is single-valued), so no request gets through here."""
    p = policy(
        {
            "Effect": "Allow",
            "Action": ["iam:CreateRole"],
            "Resource": "*",
            "Condition": {
                "StringLike": {
                    "iam:PermissionsBoundary": "arn:aws:iam::${aws:PrincipalAccount}:policy/S3*"
                }
            },
        },
        {
            "Effect": "Deny",
            "Action": ["iam:CreateRole"],
            "Resource": "*",
            "Condition": {
                "StringNotEquals": {
                    "iam:PermissionsBoundary": "arn:aws:iam::${aws:PrincipalAccount}:policy/Other"
                }
            },
        },
        {
            "Effect": "Deny",
            "Action": ["iam:CreateRole"],
            "Resource": "*",
            "Condition": {"ForAnyValue:StringEquals": {"iam:PermissionsBoundary": APPROVED_VAR}},
        },
    )
    assert brute_force_violation(p) is None
    assert ig301(p) == []
