"""SCP linting (IG6xx) and the shipped guardrail SCPs.

Fixtures in tests/fixtures/scp: every file in bad/ is named after the one rule it must trip,
every file in good/ must lint clean. Facts carried over from AWS:
https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html (5,120
characters per SCP), https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_syntax.html
("All characters in your SCP count against its maximum size"; no Principal),
https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html
(SCPs do not restrict service-linked roles).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iamgate.config import load_config
from iamgate.evaluator import Request, evaluate
from iamgate.lint import lint_paths
from iamgate.organization import allow_everything, full_aws_access, load_policy
from iamgate.project import Project
from iamgate.rules.scp_rules import SCP_MAX_CHARACTERS, managed_policy_names

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "scp"
BAD = sorted((FIXTURES / "bad").glob("*.json"))
GOOD = sorted((FIXTURES / "good").glob("*.json"))
ACCOUNT = "444455556666"


def lint_scp(root: Path, name: str, text: str) -> list:
    path = root / "scps" / name
    path.write_text(text, encoding="utf-8")
    result = lint_paths([path], load_config(cwd=root))
    return result.findings


@pytest.mark.parametrize("fixture", BAD, ids=lambda p: p.stem)
def test_each_bad_scp_trips_exactly_the_rule_it_is_named_after(
    project: Path, fixture: Path
) -> None:
    findings = lint_scp(project, fixture.name, fixture.read_text())
    expected = fixture.stem.split("-")[0]
    assert [f.rule for f in findings] != [], f"{fixture.name} passed lint"
    assert {f.rule for f in findings} == {expected}, [f.message for f in findings]


@pytest.mark.parametrize("fixture", GOOD, ids=lambda p: p.stem)
def test_each_good_scp_lints_clean(project: Path, fixture: Path) -> None:
    findings = lint_scp(project, fixture.name, fixture.read_text())
    assert findings == [], [f"{f.rule}: {f.message}" for f in findings]


def test_an_scp_naming_a_principal_is_reported_once_not_by_two_rules(project: Path) -> None:
    findings = lint_scp(project, "P.json", (FIXTURES / "bad" / "IG109-principal.json").read_text())
    assert [(f.rule, f.line) for f in findings] == [("IG109", 7)]
    assert "service control policy" in findings[0].message


# -- size: 5,120 characters, whitespace counted ---------------------------------------------


def _scp_of_length(compact: int, indent: int | None) -> str:
    """An SCP whose compact JSON is exactly ``compact`` characters, written with ``indent``."""

    def document(padding: int) -> dict:
        return {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Pad" + "x" * padding,
                    "Effect": "Deny",
                    "Action": "organizations:LeaveOrganization",
                    "Resource": "*",
                }
            ],
        }

    bare = len(json.dumps(document(0), separators=(",", ":")))
    data = document(compact - bare)
    assert len(json.dumps(data, separators=(",", ":"))) == compact
    if indent is None:
        return json.dumps(data, separators=(",", ":"))
    return json.dumps(data, indent=indent)


def test_an_scp_of_exactly_5120_compact_characters_is_accepted(project: Path) -> None:
    assert lint_scp(project, "Big.json", _scp_of_length(SCP_MAX_CHARACTERS, None)) == []


def test_one_character_over_the_limit_even_compact_is_an_error(project: Path) -> None:
    findings = lint_scp(project, "Big.json", _scp_of_length(SCP_MAX_CHARACTERS + 1, None))
    assert [(f.rule, f.severity) for f in findings] == [("IG601", "error")]
    assert "5,121" in findings[0].message


def test_whitespace_that_pushes_an_scp_over_the_limit_is_a_warning(project: Path) -> None:
    text = _scp_of_length(SCP_MAX_CHARACTERS - 20, 8)
    assert len(text) > SCP_MAX_CHARACTERS
    findings = lint_scp(project, "Big.json", text)
    assert [(f.rule, f.severity) for f in findings] == [("IG602", "warning")]
    assert f"{SCP_MAX_CHARACTERS - 20:,}" in findings[0].message


def test_whitespace_is_not_flagged_while_the_written_file_fits(project: Path) -> None:
    text = _scp_of_length(1000, 2)
    assert len(text) < SCP_MAX_CHARACTERS
    assert lint_scp(project, "Small.json", text) == []


def test_the_size_limit_is_an_scp_rule_only(project: Path) -> None:
    # 5,120 is the SCP quota; a managed policy of that size is fine (IAM's limit is 6,144).
    path = project / "policies" / "service-big.json"
    text = (
        _scp_of_length(SCP_MAX_CHARACTERS + 200, None)
        .replace("organizations:LeaveOrganization", "s3:GetObject")
        .replace('"Resource":"*"', '"Resource":"arn:aws:s3:::example-team-bucket/*"')
    )
    path.write_text(text)
    findings = lint_paths([path], load_config(cwd=project)).findings
    assert not [f for f in findings if f.rule.startswith("IG6")]


# -- the deploy role ------------------------------------------------------------------------


def test_a_deny_without_exemption_names_the_deploy_request_it_blocks(project: Path) -> None:
    findings = lint_scp(
        project, "X.json", (FIXTURES / "bad" / "IG604-exempts-nobody.json").read_text()
    )
    (finding,) = findings
    assert finding.counterexample is not None
    assert finding.counterexample["action"] in (
        "iam:CreatePolicyVersion",
        "iam:SetDefaultPolicyVersion",
    )
    assert finding.counterexample["resource"].endswith(":policy/S3AccessBoundary")
    assert finding.counterexample["context"]["aws:PrincipalArn"][0].endswith(
        ":role/OrganizationAccountAccessRole"
    )
    assert finding.statements and finding.statements[0].sid == "NobodyRewritesTheBoundary"


def test_the_exemption_must_name_the_configured_deploy_role(project: Path) -> None:
    config = project / "iamgate.yaml"
    config.write_text(
        config.read_text().replace("role: OrganizationAccountAccessRole", "role: Deployer")
    )
    guardrail = (project / "scps" / "DenyBoundaryTampering.json").read_text()
    findings = lint_scp(project, "DenyBoundaryTampering.json", guardrail)
    assert {f.rule for f in findings} == {"IG604"}
    assert all("Deployer" in f.message for f in findings)


def test_a_deny_on_actions_the_pipeline_never_calls_is_not_flagged(project: Path) -> None:
    # Nobody, the deploy role included, may remove a boundary: the pipeline never needs to.
    text = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Deny",
                    "Action": [
                        "iam:DeleteRolePermissionsBoundary",
                        "iam:DeleteUserPermissionsBoundary",
                    ],
                    "Resource": "*",
                }
            ],
        },
        indent=2,
    )
    assert lint_scp(project, "NoBoundaryRemoval.json", text) == []


# -- the shipped guardrails -------------------------------------------------------------------


def test_the_shipped_guardrails_lint_clean() -> None:
    result = lint_paths([REPO / "scps"], load_config(cwd=REPO))
    assert sorted(Path(f).name for f in result.files) == [
        "DenyBoundaryTampering.json",
        "DenyLeaveOrganization.json",
    ]
    assert result.findings == [], [
        f"{f.file}:{f.line} {f.rule} {f.message}" for f in result.findings
    ]


def test_lint_without_paths_lints_the_example_project_scps_and_rcps_too_and_stays_clean(
    project: Path, run_iamgate
) -> None:
    done = run_iamgate("lint", "--format", "json", cwd=project)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["findings"] == []
    folders = ("policies", "boundaries", "scps", "rcps")
    expected = sum(len(list((project / folder).rglob("*.json"))) for folder in folders)
    assert report["summary"]["files"] == expected
    (project / "scps" / "Broken.json").write_text(
        '{"Statement": [{"Effect": "Deny", "Principal": "*"}]}'
    )
    assert run_iamgate("lint", cwd=project).returncode == 1


def _guardrail(name: str) -> list[list]:
    return [[full_aws_access(), load_policy(REPO / "scps" / f"{name}.json", REPO, "scp")]]


def _ask(scps: list[list], action: str, resource: str, principal: str) -> str:
    context = {
        "aws:PrincipalArn": (f"arn:aws:iam::{ACCOUNT}:role/{principal}",),
        "aws:PrincipalAccount": (ACCOUNT,),
    }
    return evaluate(Request(action, resource, context), [allow_everything()], None, scps).decision


EDITS = (
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:DeletePolicyVersion",
    "iam:DeletePolicy",
)


def test_boundary_guardrail_protects_every_policy_iamgate_deploys_from_every_other_principal() -> (
    None
):
    scps = _guardrail("DenyBoundaryTampering")
    names = managed_policy_names(Project(REPO, load_config(cwd=REPO)))
    assert {"S3AccessBoundary", "DelegatePermissions"} <= set(names)
    for name in names:
        for action in EDITS:
            resource = f"arn:aws:iam::{ACCOUNT}:policy/{name}"
            assert _ask(scps, action, resource, "service-anything") == "explicit_deny", (
                action,
                name,
            )
            assert _ask(scps, action, resource, "AccountAdmin") == "explicit_deny", (action, name)
            assert _ask(scps, action, resource, "OrganizationAccountAccessRole") == "allowed", (
                action,
                name,
            )


def test_boundary_guardrail_stops_anyone_but_the_deploy_role_removing_a_boundary() -> None:
    scps = _guardrail("DenyBoundaryTampering")
    for action, resource in (
        ("iam:DeleteRolePermissionsBoundary", f"arn:aws:iam::{ACCOUNT}:role/service-app"),
        ("iam:DeleteUserPermissionsBoundary", f"arn:aws:iam::{ACCOUNT}:user/alice"),
    ):
        assert _ask(scps, action, resource, "AccountAdmin") == "explicit_deny"
        assert _ask(scps, action, resource, "OrganizationAccountAccessRole") == "allowed"


def test_boundary_guardrail_leaves_the_delegates_own_policies_editable() -> None:
    scps = _guardrail("DenyBoundaryTampering")
    resource = f"arn:aws:iam::{ACCOUNT}:policy/service-made-by-a-delegate"
    assert _ask(scps, "iam:CreatePolicyVersion", resource, "delegate") == "allowed"


def test_leave_organization_guardrail_denies_everyone_even_the_deploy_role() -> None:
    scps = _guardrail("DenyLeaveOrganization")
    for principal in ("AccountAdmin", "OrganizationAccountAccessRole"):
        assert _ask(scps, "organizations:LeaveOrganization", "*", principal) == "explicit_deny"
    assert _ask(scps, "organizations:DescribeOrganization", "*", "AccountAdmin") == "allowed"
