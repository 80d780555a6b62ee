"""The speed shortcuts of the delegation proofs give the answers of the plain computation.

Each shortcut (Action entries filed by service, a statement's Resource answer shared by
every action it names, the lazily read conditions, the memoised
literal accounts and prefix test, a resource type's ARNs memoised by content, one Request
per candidate context, prefix globs without a regex, ARN fields compared, each repeated
condition tested once) is compared with what it replaces, on the edges where a
filing could go wrong: NotAction, NotResource, wildcards in the service part, upper case
and case folds, policy variables, IfExists and several accounts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iamgate.catalog import glob_regex
from iamgate.config import Config
from iamgate.delegation import DEFAULT_ACCOUNT, Proof, delegation_actions, lookup
from iamgate.delegation.actions import (
    _actions_matcher,
    action_entries,
    allow_may_name,
    delegation_names,
    names_action,
)
from iamgate.delegation.candidates import may_name_service
from iamgate.delegation.search import _allowed_service_parts, judged_accounts
from iamgate.evaluator import Decision, Request, evaluate
from iamgate.model import Policy, policy_from_data
from iamgate.organization import literal_accounts
from iamgate.project import Project


def project(prefix: str = "service-") -> Project:
    config = Config(root=Path("."), prefix=prefix, boundaries=("S3AccessBoundary",))
    return Project(config.root, config)


def policy(*statements: dict[str, Any], name: str = "Delegate") -> Policy:
    return policy_from_data({"Version": "2012-10-17", "Statement": list(statements)}, name)


ENTRIES = (
    "iam:CreateRole",
    "IAM:Attach*",  # upper-case service
    "i?m:PutRolePolicy",  # a wildcard in the service part
    "*:DeleteRole",
    "iam*",  # no ':' at all
    "ec2:Describe*",
    "s3:GetObject",
    "",
)


def test_filed_entries_match_exactly_what_the_whole_element_matches() -> None:
    """A service's own entries plus the unfiled ones name exactly the actions the whole
    element names (upper case, '?' and '*' in the service part, no ':')."""
    filed, anywhere = action_entries(ENTRIES)
    assert set(filed) == {"iam", "ec2", "s3"}
    assert set(anywhere) == {"i?m:PutRolePolicy", "*:DeleteRole", "iam*", ""}
    whole = _actions_matcher.__wrapped__(ENTRIES)
    probes = [a.full.lower() for a in delegation_actions()] + [
        "ec2:describeinstances",
        "s3:getobject",
        "s3:putobject",
        "lambda:deleterole",
        "iam:listroles",
    ]
    for action in probes:
        service = action.partition(":")[0]
        part = _actions_matcher.__wrapped__((*filed.get(service, ()), *anywhere))
        assert part(action) == whole(action), action


def test_service_parts_are_each_entrys_part_before_the_colon() -> None:
    p = policy({"Effect": "Allow", "Action": list(ENTRIES), "Resource": "*"})
    expected = {e.partition(":")[0].lower() for e in ENTRIES}
    assert _allowed_service_parts(p) == expected


def test_a_notaction_allow_may_name_every_service() -> None:
    p = policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert _allowed_service_parts(p) is None
    assert allow_may_name(p.statements, delegation_names())
    assert may_name_service(p.statements[0], "s3")


@pytest.mark.parametrize(
    ("entries", "named"),
    [
        (["ec2:*", "s3:Get*", "sts:AssumeRole"], False),  # other literal services: no regex
        (["IAM:CreateRole"], True),
        (["Iam:Create*"], True),
        (["i?m:Create*"], True),
        (["*"], True),
        (["iam*"], True),  # no ':': the glob spans it
        (["iamcreaterole", "ec2"], False),  # no ':' and no wildcard: no action's name
        (["iam:Get*", "iam:List*", "iam:PassRole"], False),  # IAM, but no delegation action
    ],
)
def test_allow_may_name_agrees_with_a_plain_scan(entries: list[str], named: bool) -> None:
    p = policy({"Effect": "Allow", "Action": entries, "Resource": "*"})
    plain = any(glob_regex(e.lower()).fullmatch(n) for e in entries for n in delegation_names())
    assert allow_may_name(p.statements, delegation_names()) is plain is named


def test_named_by_allow_per_service_is_names_action_over_the_allow_statements() -> None:
    p = policy(
        {"Effect": "Allow", "Action": ["ec2:*", "IAM:Create*", "i?m:Tag*"], "Resource": "*"},
        {"Effect": "Allow", "NotAction": ["iam:Delete*", "s3:*"], "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:CreateUser", "Resource": "*"},
    )
    proof = Proof(p, project())
    allows = [s for s in p.statements if s.allows]
    for action in (*delegation_actions(), *lookup("s3:GetObject", "ec2:RunInstances")):
        full = action.full.lower()
        assert proof.named_by_allow(action) == any(names_action(s, full) for s in allows), full


def _requests(account: str) -> list[Request]:
    arns = [
        f"arn:aws:iam::{account}:role/service-x",
        f"arn:aws:iam::{account}:role/AdminRole",
        f"arn:aws:iam::{account}:user/iamgate-caller",
        "arn:aws:s3:::bucket/key",
        "*",
    ]
    contexts: list[dict[str, tuple[str, ...]]] = [
        {},
        {"iam:PermissionsBoundary": (f"arn:aws:iam::{account}:policy/S3AccessBoundary",)},
        {"aws:username": ("iamgate-caller",), "aws:RequestedRegion": ("eu-west-1",)},
    ]
    actions = ["iam:CreateRole", "iam:DeleteRole", "iam:PutRolePolicy", "s3:GetObject"]
    actions += ["ec2:RunInstances", "lambda:CreateFunction"]
    return [Request(a, r, c) for a in actions for r in arns for c in contexts]


EDGE_POLICY = policy(
    {"Effect": "Allow", "Action": ["ec2:*", "s3:Get*"], "Resource": "*"},
    {"Effect": "Allow", "Action": "iam:*Role*", "NotResource": "arn:aws:iam::*:role/Admin*"},
    {
        "Effect": "Allow",
        "Action": "i?m:Create*",
        "Resource": "arn:aws:iam::${aws:PrincipalAccount}:role/${aws:username}*",
    },
    {
        "Effect": "Allow",
        "Action": "iam:CreateRole",
        "Resource": "*",
        "Condition": {"StringEqualsIfExists": {"iam:PermissionsBoundary": "arn:aws:iam::*:x"}},
    },
    {"Effect": "Deny", "NotAction": ["iam:*", "ec2:*"], "Resource": "*"},
    {"Effect": "Deny", "Action": "*:Delete*", "Resource": "*"},
)


def test_a_proofs_decisions_are_the_evaluators_on_the_whole_policy() -> None:
    """Whatever a proof shares or skips, the decision it reports for a request (its reason
    and its hits, naming the policy itself) is the evaluator's on the whole policy."""
    proof = Proof(EDGE_POLICY, project())
    for request in _requests(DEFAULT_ACCOUNT):
        whole = evaluate(request, (EDGE_POLICY,), None, ())
        asked = proof.evaluate(request)
        assert asked == whole, request
        assert all(p is EDGE_POLICY for p, _ in asked.statements)


def test_may_cover_is_the_plain_scan_of_the_allow_statements() -> None:
    """A statement's Resource answer is shared by every action it names; a NotResource
    excludes, a policy variable in the Resource reads the context (always maybe)."""
    proof = Proof(EDGE_POLICY, project())
    create, delete, tag = lookup("iam:CreateRole", "iam:DeleteRole", "iam:TagRole")
    admin = f"arn:aws:iam::{DEFAULT_ACCOUNT}:role/AdminRole"
    own = f"arn:aws:iam::{DEFAULT_ACCOUNT}:role/service-x"
    assert proof.may_cover(create, admin)  # the variable Resource and the unconditioned "*"
    assert proof.may_cover(delete, own)
    assert not proof.may_cover(delete, admin)  # only the NotResource statement names it
    assert not proof.may_cover(tag, admin)
    assert proof.may_cover(tag, own)


def test_conditions_are_read_when_a_search_first_needs_them() -> None:
    proof = Proof(EDGE_POLICY, project())
    assert "values" not in proof.__dict__  # building a proof reads no condition
    assert proof.values["iam:permissionsboundary"] == ["arn:aws:iam::*:x"]
    assert proof.spelling["iam:permissionsboundary"] == "iam:PermissionsBoundary"
    assert proof.has_not_resource
    assert proof.base_context["aws:username"] == ("iamgate-caller",)
    assert proof.varied_keys == ("iam:permissionsboundary",)


def test_literal_accounts_are_the_policys_own_whatever_the_partition() -> None:
    p = policy(
        {
            "Effect": "Allow",
            "Action": "iam:CreateRole",
            "Resource": [
                "arn:aws-us-gov:iam::111111111111:role/a",
                "arn:aws:iam::222222222222:role/b",
                "arn:aws:s3:::333333333333",
                "arn:aws:iam::222222222222:role/c",
            ],
        }
    )
    assert literal_accounts(p) == ("222222222222", "111111111111")
    assert literal_accounts(p) is literal_accounts(p)  # asked once per policy
    other = policy({"Effect": "Allow", "Action": "iam:CreateRole", "Resource": "*"})
    assert literal_accounts(other) == ()


def test_each_account_a_policy_names_is_judged_with_its_own_prefix_test() -> None:
    """Several accounts: each named account has its proof; the prefix test follows the
    project (memoised per prefix, never across projects)."""
    p = policy(
        {
            "Effect": "Allow",
            "Action": "iam:CreateRole",
            "Resource": ["arn:aws:iam::111111111111:role/*", "arn:aws:iam::222222222222:role/*"],
        }
    )
    # Not deployed by any target: placed in the accounts it writes, each proved.
    assert judged_accounts(p, project()) == ["111111111111", "222222222222"]
    arn = "arn:aws:iam::111111111111:role/team-x"
    assert not Proof(p, project("service-"), "111111111111").in_prefix(arn)
    assert Proof(p, project("team-"), "111111111111").in_prefix(arn)


def _plain_type_resources(proof: Proof, type_name: str, template: str) -> list[str]:
    """What a proof's resources of one type were before the memos keyed by content: read
    straight off this proof's own policy, account and prefix."""
    import re

    from iamgate.catalog import fill_template
    from iamgate.delegation.candidates import OUTSIDE_NAMES

    def glob(pattern: str) -> re.Pattern[str]:
        return re.compile(
            "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
        )

    def camel(name: str) -> str:
        return "".join(part.capitalize() for part in re.split(r"[-_ ]", name))

    names = [proof.prefix + "x", OUTSIDE_NAMES.get(type_name, "Admin" + camel(type_name))]
    if any(s.not_resource is not None for s in proof.read_statements):
        names.append("Other" + camel(type_name))
    arns = [fill_template(template, proof.account, name) for name in names]
    shape = re.compile(
        re.sub(
            r"\\\$\\\{([^}]*)\\\}",
            lambda m: {"partition": "aws", "region": "[^:]*", "account": "[^:]*"}.get(
                m.group(1).lower(), ".+"
            ),
            re.escape(template),
        )
    )
    head = fill_template(template, proof.account, "").split(":", 5)[:5]
    for statement in proof.read_statements:
        for literal in (*(statement.resource or ()), *(statement.not_resource or ())):
            parts = proof.substitute(literal).split(":", 5)
            if len(parts) != 6 or len(head) != 5:
                continue
            if not (glob(parts[2]).fullmatch(head[2]) and glob(parts[4]).fullmatch(head[4])):
                continue
            region = head[3]
            if region and parts[3] and "*" not in parts[3] and "?" not in parts[3]:
                region = parts[3]
            if not glob(parts[3]).fullmatch(region):
                continue
            start = ":".join((*head[:3], region, head[4]))
            filled = (f"{start}:{parts[5].replace('*', f).replace('?', 'x')}" for f in ("x", ""))
            arns.extend(arn for arn in filled if shape.fullmatch(arn))
    return list(dict.fromkeys(arns))


def test_resources_of_a_type_are_each_proofs_own_though_memoised_by_content() -> None:
    """The candidate ARNs of a resource type are memoised by the entry's text, the template,
    the account and the prefix: two proofs that differ in any of them (or in a NotResource,
    or in what a policy variable stands for) each get their own, as the plain reading says."""
    entries = [
        "arn:aws:iam::*:role/service-*",
        "arn:aws:iam::111111111111:role/team/*",
        "arn:aws:iam::222222222222:user/${aws:username}",
        "arn:aws:i?m::*:policy/p?",
        "arn:aws:ec2:eu-west-1:*:instance/*",
        "arn:aws:ec2:*:*:volume/v-*",
        "arn:aws:s3:::bucket/*",
        "*",
    ]
    policies = [
        policy({"Effect": "Allow", "Action": "*", "Resource": entries}),
        policy(
            {"Effect": "Allow", "Action": "*", "Resource": entries[:3]},
            {"Effect": "Allow", "Action": "iam:*", "NotResource": entries[3:]},
        ),
        policy_from_data(  # no policy variables in this version: ${...} is literal text
            {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": entries}]}, "Old"
        ),
    ]
    actions = lookup("iam:CreateRole", "iam:PutUserPolicy", "ec2:RunInstances", "s3:GetObject")
    for pol in policies:
        for prefix in ("service-", "team-"):
            for account in ("111111111111", "222222222222"):
                proof = Proof(pol, project(prefix), account)
                for action in actions:
                    for rtype, _ in action.resource_types:
                        for template in rtype.arn_patterns:
                            memo = proof._resources_of_type(rtype.name, template)
                            assert memo == _plain_type_resources(proof, rtype.name, template)


def test_shared_decisions_are_the_evaluators_for_each_candidate_context() -> None:
    """A proof reads each candidate context once (one Request per context, shared by every
    action and resource asked in it): its decisions are the evaluator's on requests built
    afresh. (A proof of its own per action: a class's decision is shared by its actions.)"""
    for action in lookup("iam:CreateRole", "iam:DeleteRole", "iam:TagRole", "ec2:RunInstances"):
        proof = Proof(EDGE_POLICY, project())
        contexts = proof.contexts(action)
        assert len(contexts) > 1 or action.name != "CreateRole"  # the boundary key varies
        for resource in proof.resources(action)[:4]:
            for context, ckey in contexts:
                shared = proof.shared_decision(action, resource, context, ckey)
                alone = evaluate(Request(action.full, resource, context), (EDGE_POLICY,), None, ())
                assert shared == alone, (action.full, resource, context)


def test_an_own_decision_is_the_evaluators_whoever_filled_the_class_memo() -> None:
    """own_decision reads the class memo only where that entry was computed for the same
    action (whose request it was): else, and for a context of the same key spelled in
    other letter case, it is the evaluator's on a request built afresh."""
    actions = lookup("iam:CreateRole", "iam:TagRole", "iam:DeleteRole", "ec2:RunInstances")
    proof = Proof(EDGE_POLICY, project())
    reused = 0
    for action in actions:
        for resource in proof.resources(action)[:4]:
            for context, ckey in proof.contexts(action):
                shared = proof.shared_decision(action, resource, context, ckey)
                upper = {k.upper(): v for k, v in context.items()}
                for asked in (context, upper):
                    own = proof.own_decision(action, resource, asked, ckey)
                    alone = evaluate(
                        Request(action.full, resource, asked), (EDGE_POLICY,), None, ()
                    )
                    assert own == alone, (action.full, resource, asked)
                    reused += own is shared
    assert reused  # the shortcut was taken, not only the fall-back


def test_an_own_decision_is_not_a_class_mates_answer() -> None:
    """The shared answer may differ from an action's own (shared_decision says so): where
    a class mate filled the memo, own_decision asks the evaluator, whatever the memo holds."""
    proof = Proof(EDGE_POLICY, project())
    first, mate = lookup("iam:TagRole", "iam:UntagRole")
    assert proof.action_class(first) == proof.action_class(mate)
    resource = proof.resources(first)[0]
    context, ckey = proof.contexts(first)[0]
    proof.shared_decision(first, resource, context, ckey)
    key = (proof.action_class(first), resource, ckey)
    wrong = Decision("explicit_deny", (), "planted")
    proof._memo[key] = wrong
    assert proof.own_decision(first, resource, context, ckey) is wrong  # its own call, kept
    own = proof.own_decision(mate, resource, context, ckey)
    assert own == evaluate(Request(mate.full, resource, context), (EDGE_POLICY,), None, ())
    assert own != wrong


def test_a_proof_that_evaluates_otherwise_is_asked_for_its_own_decision() -> None:
    """own_decision reads the memo for ``evaluate`` only while ``evaluate`` is the proof's."""
    asked = Decision("implicit_deny", (), "asked")

    class Asking(Proof):
        def evaluate(self, request: Request) -> Decision:
            return asked

    proof = Asking(EDGE_POLICY, project())
    action = lookup("iam:CreateRole")[0]
    resource = proof.resources(action)[0]
    context, ckey = proof.contexts(action)[0]
    proof.shared_decision(action, resource, context, ckey)
    assert proof.own_decision(action, resource, context, ckey) is asked


def _regex_matcher(patterns: tuple[str, ...], action: str) -> bool:
    """_actions_matcher as it was: exact names, and every glob as glob_regex reads it (case
    ignored), tried only for the action's own service when its service part is literal."""
    for pattern in patterns:
        low = pattern.lower()
        if "*" not in low and "?" not in low:
            if action == low:
                return True
            continue
        service, colon, _ = low.partition(":")
        literal = colon and "*" not in service and "?" not in service
        if literal and action.partition(":")[0] != service:
            continue
        if glob_regex(low).fullmatch(action):
            return True
    return False


# Action patterns: a service part, maybe ':' and a name, maybe a '*' or '?' anywhere.
ACTION_PATTERN = st.builds(
    lambda service, colon, name, end: service + colon + name + end,
    st.text(alphabet="iaSk?*", max_size=3),
    st.sampled_from([":", ""]),
    st.text(alphabet="aSſKk\u212a*?", max_size=3),
    st.sampled_from(["*", "", "?"]),
)
# What a pattern's letters can become in an action: itself, upper case, or a letter that
# ignoring case folds onto it (the Kelvin sign onto k, the long s onto s).
FOLDS = {"k": "kK\u212a", "s": "sSſ", "i": "iI", "a": "aA"}


@settings(max_examples=500)
@given(st.lists(ACTION_PATTERN, min_size=1, max_size=4), st.data())
def test_prefix_globs_match_as_their_regular_expressions(
    patterns: list[str], data: st.DataObject
) -> None:
    # "iam:create*" is tested with str.startswith when pattern and action are ASCII; the
    # regular expression ignores case, and folds K and ſ onto ASCII letters.
    matcher = _actions_matcher.__wrapped__(tuple(patterns))
    near = data.draw(st.sampled_from(patterns)).lower().replace("*", "x").replace("?", "k")
    action = "".join(data.draw(st.sampled_from(FOLDS.get(c, c))) for c in near)
    for asked in (action, action.lower(), near, data.draw(st.text(alphabet="iaSsſKk\u212a:"))):
        assert matcher(asked) is _regex_matcher(tuple(patterns), asked), (patterns, asked)


def test_prefix_globs_fold_case_as_their_regular_expressions_do() -> None:
    for pattern, action in [
        ("iam:s*", "iam:\u017fx"),  # the long s folds onto s
        ("iam:k*", "iam:\u212ax"),  # the Kelvin sign onto k
        ("iam:K*", "iam:Kx"),
        ("iam:get*", "iam:getrole"),
        ("iam:get*", "iam:gexrole"),
    ]:
        matcher = _actions_matcher.__wrapped__((pattern,))
        assert matcher(action) is _regex_matcher((pattern,), action), (pattern, action)


@given(st.text(alphabet="ia*?\n.", max_size=4), st.text(alphabet="ia\n.", max_size=4))
def test_arn_fields_match_as_their_glob_does(pattern: str, text: str) -> None:
    # A field without a wildcard is compared, "*" is any line, the rest is compiled.
    from iamgate.delegation.text import _glob, _glob_matches

    assert _glob_matches(pattern, text) is (_glob(pattern).fullmatch(text) is not None)


def _plain_distinct_options(proof: Proof, key: str) -> list[tuple[str, ...] | None]:
    """distinct_options as it was: every condition on the key, repeated ones included."""
    from iamgate.delegation.candidates import _PROBE_ACTION
    from iamgate.evaluator.conditions import compile_condition

    options = proof.key_options(key)
    if key in proof._entangled_keys:
        return options
    tests = [
        compile_condition(condition, proof.variables)
        for statement in proof.read_statements
        for condition in statement.conditions
        if condition.key.lower() == key
    ]
    kinds: dict[tuple[object, ...], tuple[str, ...] | None] = {}
    for option in options:
        held: tuple[bool, ...] = ()
        if tests:
            context = dict(proof.base_context)
            if option is not None:
                context[proof.spelling[key]] = option
            held = tuple(t.holds(Request(_PROBE_ACTION, "*", context)) for t in tests)
        kinds.setdefault(
            (held, key == "iam:permissionsboundary" and proof.boundary_approved(option)), option
        )
    return list(kinds.values())


def test_repeated_conditions_tell_options_apart_as_all_of_them_do() -> None:
    """Each (operator, key, values) is tested once however many statements repeat it, in
    whatever spelling of the key: the options kept are those every condition keeps."""
    tag = "aws:ResourceTag/team"
    statements = [
        {
            "Effect": "Allow",
            "Action": "iam:CreateRole",
            "Resource": "*",
            "Condition": {
                "StringEquals": {tag if i % 2 else tag.upper(): ["a", "b"]},
                "StringLike": {"aws:RequestTag/team": "a*"},
                "ForAnyValue:StringEquals": {"aws:TagKeys": ["team", "x"]},
                "ArnLike": {"iam:PermissionsBoundary": "arn:aws:iam::*:policy/S3AccessBoundary"},
            },
        }
        for i in range(4)
    ]
    statements.append(
        {
            "Effect": "Deny",
            "Action": "iam:*",
            "Resource": "*",
            "Condition": {"StringNotEquals": {tag: "b"}, "Null": {"aws:TagKeys": "true"}},
        }
    )
    proof = Proof(policy(*statements), project())
    for key in proof.varied_keys:
        assert proof.distinct_options(key) == _plain_distinct_options(proof, key), key
    assert len(proof._distinct_conditions["aws:resourcetag/team"]) == 2
