"""Security checks are never silently off: lint.rules turns a security rule off, and
lint.exceptions excepts one, only with a reason and an expiry date; every report format names
each security check the configuration turns off or excepts."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from test_reports import validate_sarif

from iamgate.config import ConfigError, parse_config
from iamgate.lint import lint_paths
from iamgate.reports import render
from iamgate.rule_references import check_rule_references
from iamgate.rules import all_rules

UNGUARDED = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "iam:CreateRole", "Resource": "*"}],
}


def make(tmp_path: Path, lint_yaml: str) -> Path:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "Delegate.json").write_text(json.dumps(UNGUARDED))
    (tmp_path / "boundaries").mkdir()
    (tmp_path / "iamgate.yaml").write_text("delegation: {prefix: service-}\nlint:\n" + lint_yaml)
    return tmp_path / "iamgate.yaml"


def test_the_security_families_are_marked_on_the_rules_themselves() -> None:
    rules = all_rules()
    assert all(rules[i].security for i in rules if i.startswith(("IG3", "IG4", "IG5", "IG6")))
    assert not any(rules[i].security for i in rules if i.startswith(("IG0", "IG1", "IG2")))


@pytest.mark.parametrize(
    "rules",
    [
        "  rules: {IG301: off}\n",
        "  rules: {boundary-condition: off}\n",
        "  rules:\n    IG301: {level: off, reason: legacy}\n",
        "  rules:\n    IG301: {level: off, expires: 2099-01-01}\n",
    ],
)
def test_turning_a_security_rule_off_without_reason_and_expiry_is_a_located_error(
    tmp_path: Path, rules: str
) -> None:
    path = make(tmp_path, rules)
    with pytest.raises(ConfigError) as caught:
        check_rule_references(parse_config(path))
    assert caught.value.line in (3, 4)  # the line of the rule's entry
    assert "reason and an expiry date" in caught.value.message
    assert "IG301" in caught.value.message


def test_the_cli_exits_2_on_a_silently_disabled_security_rule(tmp_path: Path, run_iamgate) -> None:
    make(tmp_path, "  rules: {IG301: off}\n")
    done = run_iamgate("lint", cwd=tmp_path)
    assert done.returncode == 2
    assert "iamgate.yaml:3:" in done.stderr and "Traceback" not in done.stderr


def test_an_exception_to_a_security_rule_needs_an_expiry(tmp_path: Path) -> None:
    path = make(
        tmp_path,
        "  exceptions:\n    - {path: policies/Delegate.json, rule: IG301, reason: legacy}\n",
    )
    with pytest.raises(ConfigError) as caught:
        check_rule_references(parse_config(path))
    assert caught.value.line == 4 and "expiry date" in caught.value.message


def test_a_style_rule_is_turned_off_without_ceremony(tmp_path: Path) -> None:
    config = parse_config(make(tmp_path, "  rules: {IG114: off}\n"))
    assert config.rules == {"IG114": "off"}
    assert lint_paths([], config).waived == []


def test_a_reviewed_waiver_turns_the_rule_off_and_every_format_says_so(tmp_path: Path) -> None:
    config = parse_config(
        make(
            tmp_path,
            "  rules:\n    IG301: {level: off, reason: migrating to the new boundary, "
            "expires: 2099-01-01}\n",
        )
    )
    result = lint_paths([], config)
    assert "IG301" not in {f.rule for f in result.findings}
    (waiver,) = result.waived
    assert waiver["rule"] == "IG301" and waiver["kind"] == "off" and not waiver["expired"]
    words = "IG301 boundary-condition is off everywhere until 2099-01-01"
    assert words in render("text", result)
    assert json.loads(render("json", result))["disabled_security_checks"] == [waiver]
    log = json.loads(render("sarif", result))
    validate_sarif(log)
    sarif = log["runs"][0]
    (note,) = sarif["invocations"][0]["toolConfigurationNotifications"]
    assert note["associatedRule"]["id"] == "IG301" and words in note["message"]["text"]
    github = render("github", result)
    assert "::warning title=" in github and words in github
    properties = ET.fromstring(render("junit", result)).find("testsuite/properties")
    assert properties is not None
    assert any(words in p.get("value", "") for p in properties)


def test_an_expired_waiver_turns_the_rule_back_on_and_says_so(tmp_path: Path) -> None:
    config = parse_config(
        make(tmp_path, "  rules:\n    IG301: {level: off, reason: legacy, expires: 2020-01-01}\n")
    )
    result = lint_paths([], config)
    assert "IG301" in {f.rule for f in result.findings}
    (waiver,) = result.waived
    assert waiver["expired"]
    assert "expired on 2020-01-01" in render("text", result)


def test_an_exception_for_a_checked_file_is_named_in_the_report(tmp_path: Path) -> None:
    config = parse_config(
        make(
            tmp_path,
            "  exceptions:\n    - {path: policies/Delegate.json, rule: IG301, reason: legacy, "
            "expires: 2099-01-01}\n",
        )
    )
    result = lint_paths([], config)
    (waiver,) = result.waived
    assert waiver["kind"] == "exception" and waiver["scope"] == "policies/Delegate.json"
    assert "IG301 boundary-condition is excepted for policies/Delegate.json" in render(
        "text", result
    )


def test_lowering_a_security_rule_below_its_severity_needs_a_reason_and_expiry(
    tmp_path: Path,
) -> None:
    # Below fail-on a finding stops failing the gate: off by another name.
    with pytest.raises(ConfigError) as caught:
        check_rule_references(parse_config(make(tmp_path, "  rules: {IG301: warning}\n")))
    assert "lowering to warning the security rule IG301" in caught.value.message


def test_a_reviewed_lowering_is_reported_and_raising_a_rule_is_not(tmp_path: Path) -> None:
    config = parse_config(
        make(
            tmp_path,
            "  rules:\n    IG301: {level: warning, reason: migrating, expires: 2099-01-01}\n"
            "    IG407: error\n",
        )
    )
    result = lint_paths([], config)
    assert {f.severity for f in result.findings if f.rule == "IG301"} == {"warning"}
    (waiver,) = result.waived
    assert waiver["rule"] == "IG301" and waiver["kind"] == "warning"
    assert "IG301 boundary-condition is lowered to warning everywhere" in render("text", result)
