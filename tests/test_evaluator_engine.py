"""Precedence across policy layers: explicit deny, identity ∩ permissions boundary ∩ SCP levels."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from iamgate.document import load
from iamgate.evaluator import Decision, Request, evaluate
from iamgate.model import Policy, build_policy, policy_from_data

EVALUATION_DOC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html"
BOUNDARY_DOC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html"
SCP_DOC = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html"
SAR_DOC = (
    "https://docs.aws.amazon.com/service-authorization/latest/reference/"
    "reference_policies_actions-resources-contextkeys.html"
)
REPO = Path(__file__).resolve().parent.parent
ROLE = "arn:aws:iam::111122223333:role/service-x"


def policy(*statements: dict[str, Any], name: str = "p", kind: str = "identity") -> Policy:
    data = {"Version": "2012-10-17", "Statement": list(statements)}
    return policy_from_data(data, name, kind)  # type: ignore[arg-type]


def allow(action: str = "*", resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str = "*", resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


REQUEST = Request("iam:CreateRole", ROLE)


# EVALUATION_DOC: "By default, all requests are implicitly denied"; "An explicit deny overrides
# an explicit allow".
def test_nothing_allows_means_implicit_deny():
    decision = evaluate(REQUEST, [policy(allow("s3:*"))])
    assert decision == Decision("implicit_deny", (), "no identity-based policy allows the request")
    assert not decision.allowed
    assert evaluate(REQUEST, []).decision == "implicit_deny"


def test_explicit_deny_in_one_identity_policy_overrides_an_allow_in_another():
    allowing, denying = policy(allow(), name="a"), policy(deny("iam:Create*"), name="d")
    decision = evaluate(REQUEST, [allowing, denying])
    assert decision.decision == "explicit_deny"
    assert [(p.name, s.effect) for p, s in decision.statements] == [("d", "Deny")]
    assert "statement #1 in the identity-based policy d" in decision.reason


def test_allowed_reports_every_allowing_identity_statement():
    first, second = policy(allow("iam:*"), allow("iam:CreateRole", ROLE)), policy(allow())
    decision = evaluate(REQUEST, [first, second])
    assert decision.allowed
    assert [(p, s.index) for p, s in decision.statements] == [(first, 0), (first, 1), (second, 0)]


# BOUNDARY_DOC: effective permissions are the intersection of the identity-based policy and the
# boundary; "An explicit deny in either of these policies overrides the allow".
def test_boundary_must_also_allow():
    identity = [policy(allow("iam:*"))]
    boundary = policy(allow("s3:*"), kind="boundary")
    decision = evaluate(REQUEST, identity, boundary)
    assert decision.decision == "implicit_deny"
    assert decision.reason == "the permissions boundary does not allow the request"
    assert [s.effect for _, s in decision.statements] == ["Allow"]  # what would have allowed


def test_boundary_alone_grants_nothing():
    decision = evaluate(REQUEST, [policy(allow("s3:*"))], policy(allow(), kind="boundary"))
    assert decision.reason == "no identity-based policy allows the request"


def test_identity_and_boundary_allowing_together_allow():
    decision = evaluate(REQUEST, [policy(allow("iam:CreateRole"))], policy(allow("iam:*Role")))
    assert decision.allowed
    assert decision.reason == "allowed by an identity-based policy and the permissions boundary"


def test_deny_in_the_boundary_is_an_explicit_deny():
    boundary = policy(allow(), deny("iam:CreateRole"), name="b", kind="boundary")
    decision = evaluate(REQUEST, [policy(allow())], boundary)
    assert decision.decision == "explicit_deny"
    assert "in the permissions boundary b" in decision.reason


# SCP_DOC: every level from the root to the account must have an Allow; a level allows when
# any SCP attached there allows; an explicit Deny at any level denies.
def test_every_scp_level_must_allow():
    full = policy(allow(), name="FullAWSAccess", kind="scp")
    s3_only = policy(allow("s3:*"), name="S3Only", kind="scp")
    identity = [policy(allow())]
    assert evaluate(REQUEST, identity, scps=[[full], [full]]).allowed
    decision = evaluate(REQUEST, identity, scps=[[full], [s3_only]])
    assert decision.decision == "implicit_deny"
    assert decision.reason == "SCP level 2 does not allow the request"
    # Two SCPs at one level: either one allowing is enough for that level.
    assert evaluate(REQUEST, identity, scps=[[full], [s3_only, full]]).allowed


def test_no_scp_levels_means_no_organization_limit():
    assert evaluate(REQUEST, [policy(allow())], scps=()).allowed


def test_deny_in_any_scp_level_is_an_explicit_deny_and_every_deny_is_reported():
    identity = policy(allow(), deny("iam:*Role"), name="i")
    guard = policy(allow(), deny("iam:CreateRole"), name="Guard", kind="scp")
    decision = evaluate(REQUEST, [identity], scps=[[policy(allow(), kind="scp")], [guard]])
    assert decision.decision == "explicit_deny"
    assert [p.name for p, _ in decision.statements] == ["i", "Guard"]
    assert decision.reason.endswith("in the identity-based policy i (and 1 more)")


def test_scp_failure_is_reported_before_identity_in_aws_order():
    decision = evaluate(REQUEST, [policy(allow("s3:*"))], scps=[[policy(allow("s3:*"))]])
    assert decision.reason == "SCP level 1 does not allow the request"


# SAR_DOC: a service-specific key is only in the request context of actions that list it; the
# evaluator treats a key the action does not support as absent. Global aws: keys always pass.
def test_key_the_action_does_not_support_is_absent():
    approved = "arn:aws:iam::111122223333:policy/S3AccessBoundary"
    statement = allow(Condition={"StringEquals": {"iam:PermissionsBoundary": approved}})
    context = {"iam:PermissionsBoundary": approved}
    assert evaluate(Request("iam:CreateRole", ROLE, context), [policy(statement)]).allowed
    s3 = Request("s3:GetObject", "arn:aws:s3:::b/k", context)
    assert not evaluate(s3, [policy(statement)]).allowed
    nulled = allow(Condition={"Null": {"iam:PermissionsBoundary": "true"}})
    assert evaluate(s3, [policy(nulled)]).allowed


def test_global_keys_reach_every_action():
    statement = allow(Condition={"StringEquals": {"aws:PrincipalTag/team": "red"}})
    request = Request("s3:GetObject", "arn:aws:s3:::b/k", {"aws:PrincipalTag/team": "red"})
    assert evaluate(request, [policy(statement)]).allowed


def test_request_is_a_hashable_value_with_case_insensitive_keys():
    one = Request("iam:CreateRole", ROLE, {"aws:PrincipalTag/T": "x"})
    assert one == Request("iam:CreateRole", ROLE, {"aws:PrincipalTag/T": ("x",)})
    assert len({one, Request("iam:CreateRole", ROLE, {"aws:PrincipalTag/T": ["x"]})}) == 1
    assert one.lookup("aws:principaltag/t") == one.lookup("AWS:PrincipalTag/T") == ("x",)
    assert one.to_dict() == {
        "action": "iam:CreateRole",
        "resource": ROLE,
        "context": {"aws:PrincipalTag/T": ["x"]},
    }


def test_a_statement_with_an_unknown_effect_decides_nothing():
    odd = policy({"Effect": "deny", "Action": "*", "Resource": "*"}, allow())
    assert evaluate(REQUEST, [odd]).allowed


def test_compiled_statements_do_not_keep_a_policy_alive():
    # The evaluator caches compiled statements per policy object; dropping the policy must
    # drop the cache entry too, or a long lint run would hold every policy it ever saw.
    doomed = policy(allow("iam:CreateRole"), deny("iam:DeleteRole"))
    assert evaluate(REQUEST, [doomed]).allowed
    ref = weakref.ref(doomed)
    del doomed
    gc.collect()
    assert ref() is None


def test_a_statement_never_asked_about_is_not_kept_alive_by_the_cache():
    # Its resource and conditions are compiled lazily; the pending work must not hold the
    # statement, or every statement of a large corpus would stay in memory.
    doomed = policy(allow("iam:CreateRole"), deny("iam:DeleteRole"))
    assert evaluate(REQUEST, [doomed]).allowed  # compiles the Deny's action matcher only
    refs = [weakref.ref(statement) for statement in doomed.statements]
    del doomed
    gc.collect()
    assert [ref() for ref in refs] == [None, None]


def test_the_example_delegation_policy():
    path = REPO / "policies" / "DelegatePermissions.json"
    delegate = build_policy(
        load(path, "policies/DelegatePermissions.json"), "DelegatePermissions", "identity"
    )
    account = {"aws:PrincipalAccount": "111122223333"}
    approved = {
        **account,
        "iam:PermissionsBoundary": "arn:aws:iam::111122223333:policy/S3AccessBoundary",
    }
    assert evaluate(Request("iam:CreateRole", ROLE, approved), [delegate]).allowed
    assert (
        evaluate(Request("iam:CreateRole", ROLE, account), [delegate]).decision == "implicit_deny"
    )
    removal = evaluate(Request("iam:DeleteRolePermissionsBoundary", ROLE, approved), [delegate])
    assert removal.decision == "explicit_deny"
    assert removal.statements[0][1].sid == "NeverRemoveABoundary"
    rewrite = Request(
        "iam:CreatePolicyVersion", "arn:aws:iam::111122223333:policy/S3AccessBoundary", account
    )
    assert evaluate(rewrite, [delegate]).decision == "explicit_deny"


# --- properties over generated policies and requests -------------------------------------

OPERATORS = [
    "StringEquals", "StringNotEquals", "StringLike", "StringNotLike", "StringEqualsIgnoreCase",
    "ForAllValues:StringLike", "ForAnyValue:StringNotEquals", "StringEqualsIfExists", "Null",
    "NumericLessThan", "DateGreaterThan", "Bool", "BinaryEquals", "IpAddress", "NotIpAddress",
    "ArnLike", "ArnNotEquals", "NoSuchOperator", "ForAnyValue:NullIfExists",
]  # fmt: skip
KEYS = [
    "aws:PrincipalTag/team",
    "aws:TagKeys",
    "iam:PermissionsBoundary",
    "AWS:SourceIp",
    "s3:prefix",
]
TEXT = st.text(alphabet="ab*?:/${}',. 0123456789", max_size=12)
ACTIONS = st.sampled_from(
    ["iam:CreateRole", "IAM:createrole", "s3:GetObject", "kms:Decrypt", "iam:PassRole"]
)
PATTERNS = st.one_of(ACTIONS, st.sampled_from(["*", "iam:*", "iam:Create*", "s3:Get?bject"]), TEXT)
RESOURCES = st.one_of(
    st.sampled_from([ROLE, "*", "arn:aws:s3:::b/k", "arn:aws:iam::${aws:PrincipalAccount}:role/*"]),
    TEXT,
)
CONDITIONS = st.dictionaries(
    st.sampled_from(OPERATORS),
    st.dictionaries(
        st.sampled_from(KEYS), st.lists(TEXT, min_size=1, max_size=3), min_size=1, max_size=2
    ),
    max_size=2,
)


@st.composite
def statements(draw: st.DrawFn) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": draw(st.sampled_from(["Allow", "Deny"]))}
    statement["NotAction" if draw(st.booleans()) else "Action"] = draw(
        st.lists(PATTERNS, min_size=1, max_size=3)
    )
    statement["NotResource" if draw(st.booleans()) else "Resource"] = draw(
        st.lists(RESOURCES, min_size=1, max_size=2)
    )
    if conditions := draw(CONDITIONS):
        statement["Condition"] = conditions
    return statement


POLICIES = st.lists(
    st.lists(statements(), min_size=1, max_size=4).map(lambda s: policy(*s)), max_size=3
)
REQUESTS = st.builds(
    Request,
    ACTIONS,
    st.one_of(RESOURCES, st.just(ROLE)),
    st.dictionaries(st.sampled_from(KEYS), st.lists(TEXT, max_size=3).map(tuple), max_size=3),
)


@settings(max_examples=300, deadline=None)
@given(
    request=REQUESTS,
    identity=POLICIES,
    boundary=st.none() | POLICIES,
    scps=st.lists(POLICIES, max_size=2),
)
def test_evaluate_never_raises_and_explicit_deny_dominates(request, identity, boundary, scps):
    bound = boundary[0] if boundary else None
    decision = evaluate(request, identity, bound, scps)
    assert decision.decision in ("allowed", "implicit_deny", "explicit_deny")
    effects = {statement.effect for _, statement in decision.statements}
    if decision.decision == "explicit_deny":
        assert effects == {"Deny"}
    else:
        assert effects <= {"Allow"}
    if decision.allowed:
        assert decision.statements
    # A Deny that matches the request wins wherever it is attached.
    guard = policy(deny(request.action))
    assert evaluate(request, [*identity, guard], bound, scps).decision == "explicit_deny"
    assert evaluate(request, identity, guard, scps).decision == "explicit_deny"
    assert evaluate(request, identity, bound, [*scps, [guard]]).decision == "explicit_deny"
