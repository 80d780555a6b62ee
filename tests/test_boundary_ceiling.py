"""IG503: an approved boundary is the ceiling of every role a delegate creates under it.

A role with any policy attached (``*`` on ``*``), limited by the boundary and by the SCPs on
its account's OU path, must keep every delegation invariant itself
(https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html: the
effective permissions are the intersection; SCPs: every level must allow,
https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html).
Each bad fixture in fixtures/ceiling/bad is one escape (its file name starts with the identity
rule it breaks), each good one a look-alike that must pass.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, ClassVar

import pytest

from iamgate.config import load_config
from iamgate.delegation import Violation, lookup, proof_for
from iamgate.document import load
from iamgate.evaluator import Request, evaluate
from iamgate.explain.build import explain
from iamgate.explain.render import render
from iamgate.findings import Finding
from iamgate.lint import lint_paths
from iamgate.model import Policy, build_policy
from iamgate.organization import allow_everything, placement
from iamgate.project import Project
from iamgate.rules import all_rules
from iamgate.rules.base import Rule
from iamgate.rules.boundary_ceiling import escapes
from iamgate.rules.proof_rule import ProofRule

FIXTURES = Path(__file__).parent / "fixtures" / "ceiling"
BAD = sorted((FIXTURES / "bad").glob("*.json"))
GOOD = sorted((FIXTURES / "good").glob("*.json"))
BOUNDARY = "boundaries/S3AccessBoundary.json"
DELEGATION = "policies/DelegatePermissions.json"
DEV, PROD = "111111111111", "222222222222"
# The escalation table's assume-role path (IG408, issue 9's escalation table) decides these:
# expected to fail only while no IG408 rule exists; once it does, they must pass.
NEEDS_ESCALATION_TABLE = {"IG408-assume-any-role"} if "IG408" not in all_rules() else set()

DENY_IAM_WRITES_SCP = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "OnlyTheDeployRoleWritesIam",
            "Effect": "Deny",
            "NotAction": ["iam:Get*", "iam:List*"],
            "Resource": "*",
            "Condition": {
                "StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/service-*"},
            },
        }
    ],
}


def with_boundary(project: Path, fixture: Path) -> Path:
    shutil.copy(fixture, project / BOUNDARY)
    return project


def lint(project: Path, *paths: str) -> list[Finding]:
    config = load_config(cwd=project)
    return lint_paths([project / p for p in paths], config).findings


def ceiling_findings(project: Path) -> list[Finding]:
    return [f for f in lint(project, BOUNDARY) if f.rule == "IG503"]


def boundary_policy(project: Path):
    path = project / BOUNDARY
    return build_policy(load(path, BOUNDARY), path.stem, "boundary")


def allowed_through_the_stack(project: Path, finding: Finding, account: str) -> bool:
    """Re-evaluate a counterexample as AWS would: any policy ∩ boundary ∩ the account's SCPs."""
    example = finding.counterexample
    assert example is not None
    context = {key: tuple(values) for key, values in example["context"].items()}
    request = Request(example["action"], example["resource"], context)
    scps = placement(load_config(cwd=project), account=account).scps
    decision = evaluate(request, [allow_everything()], boundary_policy(project), scps)
    return decision.allowed


# -- the escapes and their look-alikes ------------------------------------------------------


@pytest.mark.parametrize(
    "fixture",
    [
        pytest.param(
            path,
            marks=pytest.mark.xfail(
                reason="no IG408 rule yet: the assume-any-role path is the escalation table's",
                strict=True,
            ),
        )
        if path.stem in NEEDS_ESCALATION_TABLE
        else path
        for path in BAD
    ],
    ids=lambda p: p.stem,
)
def test_an_escaping_boundary_is_an_error_on_the_boundary_with_an_allowed_request(
    project: Path, fixture: Path
) -> None:
    findings = ceiling_findings(with_boundary(project, fixture))
    broken = fixture.stem.split("-")[0]
    named = [f for f in findings if f"breaks {broken} " in f.message]
    assert named and all(f.severity == "error" for f in named), [f.message for f in findings]
    for finding in named:
        assert finding.file == BOUNDARY
        assert allowed_through_the_stack(project, finding, DEV), finding.message
        # The boundary statement that lets it through is named, where it is.
        assert finding.statements and all(s.file == BOUNDARY for s in finding.statements)
        assert finding.line in {s.line for s in finding.statements} or finding.line > 1


@pytest.mark.parametrize("fixture", GOOD, ids=lambda p: p.stem)
def test_a_safe_boundary_passes_the_ceiling_proof(project: Path, fixture: Path) -> None:
    assert ceiling_findings(with_boundary(project, fixture)) == []


def test_the_example_projects_boundary_has_a_safe_ceiling(project: Path) -> None:
    assert [f for f in lint(project) if f.rule == "IG503"] == []


def test_iam_requests_are_judged_in_us_east_1_and_never_another_region(project: Path) -> None:
    findings = ceiling_findings(
        with_boundary(project, FIXTURES / "bad" / "IG301-star-under-a-region-condition.json")
    )
    # (iam:PassRole excepted: a permission only, checked in the request it is part of.)
    iam = [
        f
        for f in findings
        if f.counterexample["action"].startswith("iam:")
        and f.counterexample["action"] != "iam:PassRole"
    ]
    assert iam
    for finding in iam:
        assert finding.counterexample["context"]["aws:RequestedRegion"] == ["us-east-1"]


# -- the SCPs of each account ---------------------------------------------------------------


def _scp_project(project: Path, attach_to: str) -> Path:
    with_boundary(project, FIXTURES / "bad" / "IG301-also-allows-iam-star.json")
    (project / "scps" / "DenyIamWritesToDelegates.json").write_text(
        json.dumps(DENY_IAM_WRITES_SCP, indent=2)
    )
    config = (project / "iamgate.yaml").read_text()
    existing = "    - policy: DenyBoundaryTampering\n      ous: [Workloads]\n"
    added = f"    - policy: DenyIamWritesToDelegates\n      ous: [{attach_to}]\n"
    assert existing in config
    config = config.replace(existing, existing + added)
    (project / "iamgate.yaml").write_text(config)
    return project


def test_scps_that_deny_what_the_boundary_allows_make_the_ceiling_safe(project: Path) -> None:
    assert ceiling_findings(_scp_project(project, "Workloads")) == []


def test_an_scp_exemption_the_delegate_can_name_its_role_into_is_an_escape(
    project: Path,
) -> None:
    # The delegate names its role service-deployer: the exemption meant for a deploy role
    # covers it, so the SCP denies it nothing.
    _scp_project(project, "Workloads")
    scp = json.loads(json.dumps(DENY_IAM_WRITES_SCP))
    scp["Statement"][0]["Condition"] = {
        "ArnNotLike": {
            "aws:PrincipalArn": [
                "arn:aws:iam::*:role/OrganizationAccountAccessRole",
                "arn:aws:iam::*:role/service-deploy*",
            ]
        }
    }
    (project / "scps" / "DenyIamWritesToDelegates.json").write_text(json.dumps(scp, indent=2))
    findings = ceiling_findings(project)
    assert findings
    for finding in findings:
        (arn,) = finding.counterexample["context"]["aws:PrincipalArn"]
        assert ":role/service-deploy" in arn
        assert allowed_through_the_stack(project, finding, DEV)


def test_an_scp_exemption_for_a_role_the_delegate_cannot_name_is_no_escape(
    project: Path,
) -> None:
    _scp_project(project, "Workloads")
    scp = json.loads(json.dumps(DENY_IAM_WRITES_SCP))
    scp["Statement"][0]["Condition"] = {
        "ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/OrganizationAccountAccessRole"}
    }
    (project / "scps" / "DenyIamWritesToDelegates.json").write_text(json.dumps(scp, indent=2))
    assert ceiling_findings(project) == []


def test_an_account_the_scps_do_not_cover_is_where_the_escape_is_named(project: Path) -> None:
    findings = ceiling_findings(_scp_project(project, "Workloads/Prod"))
    assert findings
    for finding in findings:
        assert f"account {DEV}" in finding.message and PROD not in finding.message
        assert allowed_through_the_stack(project, finding, DEV)
        assert not allowed_through_the_stack(project, finding, PROD)


# -- approval ---------------------------------------------------------------------------------


def _approve_by_default(project: Path) -> None:
    config = (project / "iamgate.yaml").read_text()
    config = config.replace("  boundaries: [S3AccessBoundary]", "")
    (project / "iamgate.yaml").write_text(config)


BREAK_GLASS = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "BreakGlass", "Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def test_a_break_glass_file_approved_by_default_is_an_error_not_an_approval(
    project: Path,
) -> None:
    _approve_by_default(project)
    (project / "boundaries" / "BreakGlass.json").write_text(json.dumps(BREAK_GLASS))
    findings = [f for f in lint(project, "boundaries") if f.rule == "IG503"]
    assert {f.file for f in findings} == {"boundaries/BreakGlass.json"}
    assert all(f.severity == "error" for f in findings)
    assert "breaks IG301 " in " ".join(f.message for f in findings)
    # IG407 is a warning on a delegation policy; past a boundary it is an error like the rest.
    assert "breaks IG407 " in " ".join(f.message for f in findings)


def test_a_boundary_the_configuration_does_not_approve_is_no_ceiling(project: Path) -> None:
    (project / "boundaries" / "BreakGlass.json").write_text(json.dumps(BREAK_GLASS))
    assert [f for f in lint(project, "boundaries") if f.rule == "IG503"] == []


def test_a_delegation_policy_admitting_an_unsafe_boundary_does_not_pass(project: Path) -> None:
    with_boundary(project, FIXTURES / "bad" / "IG301-also-allows-iam-star.json")
    (finding,) = [f for f in lint(project, DELEGATION) if f.rule == "IG503"]
    assert finding.severity == "error" and "unsafe ceiling" in finding.message
    example = finding.counterexample
    assert example is not None and example["action"] == "iam:CreateRole"
    assert example["context"]["iam:PermissionsBoundary"][0].endswith(":policy/S3AccessBoundary")
    policy_path = project / DELEGATION
    policy = build_policy(load(policy_path, DELEGATION), policy_path.stem, "identity")
    context = {k: tuple(v) for k, v in example["context"].items()}
    assert evaluate(Request(example["action"], example["resource"], context), [policy]).allowed


def test_a_delegation_policy_admitting_a_safe_boundary_gets_no_ceiling_finding(
    project: Path,
) -> None:
    assert [f for f in lint(project, DELEGATION) if f.rule == "IG503"] == []


# -- one proof per boundary, every identity rule ----------------------------------------------


def test_the_ceiling_is_proved_once_per_boundary_and_project(project: Path) -> None:
    config = load_config(cwd=project)
    shared = Project(config.root, config)
    boundary = boundary_policy(project)
    assert escapes(boundary, shared) is escapes(boundary, shared)


class _DeletesBuckets(ProofRule):
    """A security rule of the identity families that did not exist when IG503 was written."""

    id = "IG999"
    name = "deletes-buckets"
    summary = "Allows s3:DeleteBucket"
    services = ("s3",)
    delegation_only = False
    tags: ClassVar[tuple[str, ...]] = ("security", "escalation")

    def search(self, proof: Any) -> list[Violation]:
        return proof.search(lookup("s3:DeleteBucket"), lambda _: True)


def test_a_security_rule_added_later_also_judges_the_ceiling(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(all_rules(), "IG999", _DeletesBuckets())
    findings = ceiling_findings(project)
    assert [f for f in findings if "breaks IG999 " in f.message]
    assert all("s3:DeleteBucket" in f.message for f in findings)


class _DeletesBucketsOnItsOwn(Rule):
    """A security check of the identity families that builds its own proof (no ``judge``)."""

    id = "IG998"
    name = "deletes-buckets-on-its-own"
    summary = "Allows s3:DeleteBucket"
    kinds = ("identity",)
    tags: ClassVar[tuple[str, ...]] = ("security", "escalation")

    def check(self, policy: Policy, project: Project) -> list[Finding]:
        proof = proof_for(policy, project)
        found = proof.search(lookup("s3:DeleteBucket"), lambda _: True)
        return [
            self.finding(
                policy,
                v.statements[0].path,
                "s3:DeleteBucket is allowed",
                counterexample=v.request.to_dict(),
                statements=v.statements,
            )
            for v in found
        ]


def test_a_check_that_builds_its_own_proof_also_judges_the_ceiling(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(all_rules(), "IG998", _DeletesBucketsOnItsOwn())
    assert [f for f in ceiling_findings(project) if "breaks IG998 " in f.message]


def test_a_request_of_such_a_check_that_an_scp_denies_is_no_escape(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(all_rules(), "IG998", _DeletesBucketsOnItsOwn())
    deny = {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}
    scp = project / "scps" / "DenyLeaveOrganization.json"
    data = json.loads(scp.read_text())
    data["Statement"].append(deny)
    scp.write_text(json.dumps(data, indent=2))
    assert [f for f in ceiling_findings(project) if "IG998" in f.message] == []


# -- explain ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "markdown", "json", "html"])
def test_explain_marks_an_unsafe_ceiling_in_every_format(project: Path, fmt: str) -> None:
    with_boundary(project, FIXTURES / "bad" / "IG301-also-allows-iam-star.json")
    config = load_config(cwd=project)
    report = render(fmt, explain(config, project / DELEGATION, account=DEV))
    if fmt == "json":
        (ceiling,) = json.loads(report)["ceilings"]
        assert ceiling["unsafe"] is True
        assert any("IG301" in e and "iam:CreateRole" in e for e in ceiling["escapes"])
    else:
        assert "UNSAFE" in report and "iam:CreateRole" in report


@pytest.mark.parametrize("fmt", ["text", "markdown", "json", "html"])
def test_explain_does_not_mark_the_example_ceiling(project: Path, fmt: str) -> None:
    config = load_config(cwd=project)
    report = render(fmt, explain(config, project / DELEGATION, account=DEV))
    if fmt == "json":
        (ceiling,) = json.loads(report)["ceilings"]
        assert ceiling["unsafe"] is False and ceiling["escapes"] == []
    else:
        assert "UNSAFE" not in report


def test_an_scp_the_configuration_names_but_scps_lacks_protects_no_ceiling(
    project: Path, run_iamgate
) -> None:
    # Project.accounts_for leaves out an SCP that does not load (fewer SCPs only allow more):
    # the escape it would have denied is reported, and nothing crashes.
    _scp_project(project, "Workloads")
    assert ceiling_findings(project) == []
    (project / "scps" / "DenyIamWritesToDelegates.json").unlink()
    done = run_iamgate("lint", "boundaries", cwd=project)
    assert done.returncode == 1, done.stderr
    assert "IG503" in done.stdout and "Traceback" not in done.stderr
