"""RCP linting (IG7xx) and the shipped guardrail RCP.

Fixtures in tests/fixtures/rcp: every file in bad/ is named after the one rule it must trip,
every file in good/ must lint clean. Facts carried over from AWS:
https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_syntax.html
(Allow only in RCPFullAWSAccess, "Principal": "*", no NotPrincipal or NotAction, Version
2012-10-17, every character counts),
https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html
(the services RCPs support), https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html
(5,120 characters).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iamgate.config import load_config
from iamgate.lint import lint_paths
from iamgate.project import kind_of
from iamgate.rules.rcp_rules import RCP_MAX_CHARACTERS

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "rcp"
BAD = sorted((FIXTURES / "bad").glob("*.json"))
GOOD = sorted((FIXTURES / "good").glob("*.json"))


def lint_rcp(root: Path, name: str, text: str) -> list:
    folder = root / "rcps"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return lint_paths([path], load_config(cwd=root)).findings


@pytest.mark.parametrize("fixture", BAD, ids=lambda p: p.stem)
def test_each_bad_rcp_trips_exactly_the_rule_it_is_named_after(
    project: Path, fixture: Path
) -> None:
    findings = lint_rcp(project, fixture.name, fixture.read_text())
    expected = fixture.stem.split("-")[0]
    assert findings, f"{fixture.name} passed lint"
    assert {f.rule for f in findings} == {expected}, [f.message for f in findings]


@pytest.mark.parametrize("fixture", GOOD, ids=lambda p: p.stem)
def test_each_good_rcp_lints_clean(project: Path, fixture: Path) -> None:
    findings = lint_rcp(project, fixture.name, fixture.read_text())
    assert findings == [], [f"{f.rule}: {f.message}" for f in findings]


def test_a_file_of_the_top_level_rcps_folder_is_an_rcp_and_a_nested_one_is_not(
    tmp_path: Path,
) -> None:
    assert kind_of(tmp_path / "rcps" / "a.json", tmp_path) == "rcp"
    assert kind_of(tmp_path / "policies" / "rcps" / "a.json", tmp_path) == "identity"


def test_a_principal_in_an_rcp_is_no_grammar_error_but_a_principal_in_an_scp_is(
    project: Path,
) -> None:
    # RCPs are written like resource policies, Principal included; SCPs refuse it (IG109).
    text = (FIXTURES / "good" / "deny-insecure-transport.json").read_text()
    assert lint_rcp(project, "T.json", text) == []
    (project / "scps" / "T.json").write_text(text, encoding="utf-8")
    findings = lint_paths([project / "scps" / "T.json"], load_config(cwd=project)).findings
    assert "IG109" in {f.rule for f in findings}


def test_an_unsupported_action_is_located_at_its_own_list_item(project: Path) -> None:
    findings = lint_rcp(project, "E.json", (FIXTURES / "bad" / "IG704-ec2-action.json").read_text())
    assert [f.rule for f in findings] == ["IG704"]
    assert "ec2:RunInstances" in findings[0].message
    line = findings[0].line
    text = (project / "rcps" / "E.json").read_text().splitlines()
    assert "ec2:RunInstances" in text[line - 1]


def test_a_wildcard_service_that_reaches_a_supported_service_is_not_flagged(
    project: Path,
) -> None:
    policy = _deny(["s3*:*", "secretsmanager:Get*"])
    assert lint_rcp(project, "W.json", json.dumps(policy, indent=2)) == []


def _deny(actions: list[str], resources: list[str] | str = "*") -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": actions,
                "Resource": resources,
                "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
            }
        ],
    }


def test_an_rcp_over_5120_characters_compact_is_an_error(project: Path) -> None:
    buckets = [f"arn:aws:s3:::bucket-of-team-{i:03d}/*" for i in range(160)]
    text = json.dumps(_deny(["s3:*"], buckets), separators=(",", ":"))
    assert len(text) > RCP_MAX_CHARACTERS
    assert [f.rule for f in lint_rcp(project, "Big.json", text)] == ["IG705"]


def test_an_rcp_that_fits_only_without_whitespace_is_a_warning(project: Path) -> None:
    buckets = [f"arn:aws:s3:::bucket-of-team-{i:03d}/*" for i in range(120)]
    compact = json.dumps(_deny(["s3:*"], buckets), separators=(",", ":"))
    written = json.dumps(_deny(["s3:*"], buckets), indent=8)
    assert len(compact) <= RCP_MAX_CHARACTERS < len(written)
    findings = lint_rcp(project, "Loose.json", written)
    assert [(f.rule, f.severity) for f in findings] == [("IG706", "warning")]


def test_an_rcp_with_the_2008_language_is_an_error(project: Path) -> None:
    policy = _deny(["s3:*"])
    policy["Version"] = "2008-10-17"
    findings = lint_rcp(project, "Old.json", json.dumps(policy, indent=2))
    assert [f.rule for f in findings] == ["IG707"]


def test_lint_with_no_path_also_lints_rcps(project: Path) -> None:
    (project / "rcps" / "Broken.json").write_text(
        (FIXTURES / "bad" / "IG701-allow.json").read_text(), encoding="utf-8"
    )
    findings = lint_paths([], load_config(cwd=project)).findings
    assert {(f.file, f.rule) for f in findings} == {("rcps/Broken.json", "IG701")}


def test_the_rcp_rules_are_security_rules() -> None:
    from iamgate.rules import all_rules

    rcp = [r for r in all_rules().values() if r.id.startswith("IG7")]
    assert len(rcp) == 7
    assert all(r.security and r.kinds == ("rcp",) and r.source for r in rcp)


def test_the_pre_commit_hooks_take_rcp_files() -> None:
    import re

    from ruamel.yaml import YAML

    repo = Path(__file__).resolve().parent.parent
    yaml = YAML(typ="safe")
    hooks = yaml.load((repo / ".pre-commit-hooks.yaml").read_text())
    local = yaml.load((repo / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"]
    for hook in [*hooks, *(h for h in local if h["id"].startswith("iamgate"))]:
        assert re.search(hook["files"], "rcps/DenyAssumeRoleFromOutsideOrg.json"), hook["id"]
