"""The security fixtures (cfn-lint style): each bad one triggers the rule its file name starts
with, and the request it names is one the evaluator really allows; each good one, and the
example project, gets no security finding at all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iamgate.cli import main
from iamgate.config import Config
from iamgate.delegation import proof_for
from iamgate.document import load
from iamgate.evaluator import Request, evaluate
from iamgate.findings import Finding
from iamgate.model import Policy, build_policy
from iamgate.project import Project
from iamgate.rules import all_rules

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "security"
BAD = sorted((FIXTURES / "bad").glob("*.json"))
GOOD = sorted((FIXTURES / "good").glob("*.json"))
SECURITY = ("IG3", "IG4", "IG5")


def fixture_project() -> Project:
    config = Config(root=FIXTURES, prefix="service-", boundaries=("S3AccessBoundary",))
    return Project(FIXTURES, config)


def load_policy(path: Path, kind: str = "identity") -> Policy:
    return build_policy(load(path, path.name), path.stem, kind)  # type: ignore[arg-type]


def security_findings(policy: Policy, project: Project) -> list[Finding]:
    return [
        finding
        for rule in all_rules().values()
        if rule.id.startswith(SECURITY) and policy.kind in rule.kinds
        for finding in rule.check(policy, project)
    ]


def test_every_bad_fixture_names_a_security_rule_that_exists() -> None:
    assert BAD and GOOD
    for path in BAD:
        assert path.stem.split("-")[0] in all_rules(), path.name


def test_every_proof_rule_has_a_bad_fixture() -> None:
    named = {path.stem.split("-")[0] for path in BAD}
    proved = {rid for rid in all_rules() if rid.startswith(("IG3", "IG4"))}
    assert proved <= named


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_bad_fixture_triggers_the_rule_it_names(path: Path) -> None:
    findings = security_findings(load_policy(path), fixture_project())
    assert path.stem.split("-")[0] in {f.rule for f in findings}


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.stem)
def test_every_counterexample_is_a_request_the_evaluator_allows(path: Path) -> None:
    policy = load_policy(path)
    findings = [f for f in security_findings(policy, fixture_project()) if f.counterexample]
    assert findings or path.stem.startswith("IG5")
    for finding in findings:
        example = finding.counterexample
        assert example is not None and set(example) == {"action", "resource", "context"}
        context = {key: tuple(values) for key, values in example["context"].items()}
        decision = evaluate(Request(example["action"], example["resource"], context), [policy])
        assert decision.allowed, finding.message
        # The finding names the statements that allow it, where they are.
        allowing_lines = {policy.line_of(s.path) for _, s in decision.statements}
        assert allowing_lines <= {ref.line for ref in finding.statements}
        assert example["action"] in finding.message and example["resource"] in finding.message


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.stem)
def test_good_fixture_has_no_security_finding(path: Path) -> None:
    assert security_findings(load_policy(path), fixture_project()) == []


def test_good_delegation_fixtures_are_recognised_as_delegation_policies() -> None:
    # Otherwise "no finding" would prove nothing about the delegation rules.
    delegating = [p for p in GOOD if proof_for(load_policy(p), fixture_project()).is_delegation]
    assert {p.stem for p in delegating} >= {
        "deny-guard-stringnotequals",
        "deny-guard-arnnotequals-list",
        "iam-star-under-boundary-condition",
        "keys-in-any-letter-case",
        "literal-account-in-arns",
        "forallvalues-with-null-check",
        "users-and-roles-with-boundary",
        "boundary-under-a-path",
    }


def test_the_example_project_policies_get_no_security_finding() -> None:
    from iamgate.config import load_config

    config = load_config(cwd=REPO)
    project = Project(config.root, config)
    delegate = load_policy(REPO / "policies" / "DelegatePermissions.json")
    assert proof_for(delegate, project).is_delegation
    assert security_findings(delegate, project) == []
    for path in sorted((REPO / "policies").glob("*.json")):
        assert security_findings(load_policy(path), project) == [], path.name
    for path in sorted((REPO / "boundaries").glob("*.json")):
        assert security_findings(load_policy(path, "boundary"), project) == [], path.name


def test_iamgate_lint_on_the_example_project_reports_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(REPO)
    code = main(["lint", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert report["findings"] == []
    assert code == 0


def test_iamgate_lint_on_a_bad_fixture_prints_the_counterexample(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(REPO)  # the example project's iamgate.yaml approves S3AccessBoundary
    path = FIXTURES / "bad" / "IG301-stringequalsifexists.json"
    code = main(["lint", "--format", "json", str(path)])
    findings = json.loads(capsys.readouterr().out)["findings"]
    ig301 = [f for f in findings if f["rule"] == "IG301"]
    assert code == 1 and len(ig301) == 1
    assert ig301[0]["counterexample"]["action"] == "iam:CreateRole"
    assert ig301[0]["counterexample"]["context"]["iam:PermissionsBoundary"] == []  # absent
