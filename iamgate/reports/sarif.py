"""`--format sarif`: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

Spec: https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html
GitHub's subset: https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning

driver.rules carries every rule, not only those that fired: code scanning shows a rule's
help beside each alert and lists rules with no alerts, so the metadata must be complete.
"""

from __future__ import annotations

import hashlib
import re
from importlib import metadata
from pathlib import PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from iamgate import __version__
from iamgate.reports import describe_counterexample, is_security, tool_versions, waiver_text

if TYPE_CHECKING:
    from iamgate.findings import Finding
    from iamgate.lint import LintResult
    from iamgate.rules.base import Rule

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
# GitHub reads security-severity as a CVSS-like score: >9.0 critical, 7.0-8.9 high,
# 4.0-6.9 medium. An escalation past a permissions boundary is an account takeover.
SECURITY_SEVERITY = {"error": "9.1", "warning": "6.5", "info": "3.0"}
FINGERPRINT_KEY = "iamgate/v1"

# Positions inside a message ("first at line 3", "(policies/a.json:12)") move when
# unrelated lines are edited; they must not change the result's identity.
_POSITIONS = re.compile(r"\bline \d+|:\d+(?::\d+)?\b")


def render(result: LintResult, colour: bool = False) -> str:
    from iamgate.rules import all_rules

    rules = list(all_rules().values())
    index = {rule.id: i for i, rule in enumerate(rules)}
    descriptors = [_descriptor(rule) for rule in rules]
    # A finding from a rule the registry does not know still needs a descriptor to point at.
    for finding in (*result.findings, *result.suppressed):
        if finding.rule not in index:
            index[finding.rule] = len(descriptors)
            descriptors.append({"id": finding.rule, "shortDescription": {"text": finding.rule}})
    results = [_result(f, index[f.rule]) for f in result.findings]
    results += [_result(f, index[f.rule], suppressed=True) for f in result.suppressed]
    driver: dict[str, Any] = {
        "name": "iamgate",
        "version": __version__,
        "semanticVersion": __version__,
        "rules": descriptors,
    }
    home = _information_uri()
    if home:
        driver["informationUri"] = home
    versions = tool_versions()
    log: dict[str, Any] = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": driver, "extensions": [_catalog_component(versions)]},
                # One invocation: the run that produced these results, with the versions
                # that decided them (a verdict is reproducible only with the same catalog).
                "invocations": [_invocation(result, index, versions)],
                "columnKind": "unicodeCodePoints",
                "results": results,
                "properties": {"summary": result.summary()},
            }
        ],
    }
    if result.waived:
        log["runs"][0]["properties"]["disabledSecurityChecks"] = result.waived
    from iamgate.reports.json_text import dumps

    return dumps(log) + "\n"


def _invocation(
    result: LintResult, index: dict[str, int], versions: dict[str, Any]
) -> dict[str, Any]:
    """The run: the versions that decided it (a verdict is reproducible only with the same
    catalog), and a configuration notification for each security check iamgate.yaml turns
    off or excepts (SARIF 2.1.0 §3.20.21 toolConfigurationNotifications)."""
    notifications = [
        {
            "level": "note" if waiver["expired"] else "warning",
            "message": {"text": waiver_text(waiver)},
            "associatedRule": {"id": waiver["rule"], "index": index[waiver["rule"]]},
        }
        for waiver in result.waived
        if waiver["rule"] in index
    ]
    out: dict[str, Any] = {"executionSuccessful": True, "properties": {"versions": versions}}
    if notifications:
        out["toolConfigurationNotifications"] = notifications
    return out


def _catalog_component(versions: dict[str, Any]) -> dict[str, Any]:
    """The action catalog as a SARIF tool component (spec 3.19): the data iamgate's catalog
    rules and proofs read, with its own version and the date its data was taken."""
    from iamgate.catalog import CATALOG_HOME

    catalog = versions["catalog"]
    component: dict[str, Any] = {
        "name": catalog["name"],
        "version": catalog["version"],
        "informationUri": CATALOG_HOME,
    }
    if catalog.get("updated"):
        component["releaseDateUtc"] = catalog["updated"]
    return component


def _descriptor(rule: Rule) -> dict[str, Any]:
    security = is_security(rule)
    tags = list(dict.fromkeys([*rule.tags, *(["security"] if security else [])]))
    properties: dict[str, Any] = {"tags": tags, "precision": "very-high"}
    if security:
        properties["security-severity"] = SECURITY_SEVERITY[rule.severity]
    else:
        properties["problem.severity"] = {"info": "recommendation"}.get(
            rule.severity, rule.severity
        )
    descriptor: dict[str, Any] = {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.why or rule.summary},
        "help": {"text": _help_text(rule), "markdown": _help_markdown(rule)},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": properties,
    }
    if rule.source:
        descriptor["helpUri"] = rule.source
    return descriptor


def _help_text(rule: Rule) -> str:
    parts = [rule.summary]
    if rule.why:
        parts.append(f"Why: {rule.why}")
    if rule.example is not None:
        parts.append(f"Flagged:\n{rule.example.bad}\nUse instead:\n{rule.example.good}")
    if rule.source:
        parts.append(f"Reference: {rule.source}")
    return "\n\n".join(parts)


def _help_markdown(rule: Rule) -> str:
    parts = [f"**{rule.id} {rule.name}**: {rule.summary}"]
    if rule.why:
        parts.append(f"**Why is this bad?** {rule.why}")
    if rule.example is not None:
        # No language tag: many examples are fragments or prose, not whole JSON documents.
        parts.append(f"**Flagged:**\n\n```\n{rule.example.bad}\n```")
        parts.append(f"**Use instead:**\n\n```\n{rule.example.good}\n```")
    if rule.source:
        parts.append(f"Reference: <{rule.source}>")
    return "\n\n".join(parts)


def _result(finding: Finding, rule_index: int, suppressed: bool = False) -> dict[str, Any]:
    text = finding.message
    if finding.counterexample is not None:
        text += f" It would allow: {describe_counterexample(finding.counterexample)}."
    out: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": LEVELS[finding.severity],
        "message": {"text": text},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": _artifact(finding.file),
                    "region": {
                        "startLine": max(finding.line, 1),
                        "startColumn": max(finding.column, 1),
                    },
                }
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(finding)},
    }
    if finding.statements:
        # The statements that allow the counterexample, linked from the alert.
        out["relatedLocations"] = [
            {
                "id": i,
                "physicalLocation": {
                    "artifactLocation": _artifact(ref.file),
                    "region": {"startLine": max(ref.line, 1), "startColumn": 1},
                },
                "message": {"text": ref.label()},
            }
            for i, ref in enumerate(finding.statements)
        ]
    properties: dict[str, Any] = {}
    if finding.counterexample is not None:
        properties["counterexample"] = finding.counterexample
    if finding.statements:
        properties["statements"] = [ref.to_dict() for ref in finding.statements]
    if finding.exception is not None:
        properties["exception"] = finding.exception
    if properties:
        out["properties"] = properties
    if suppressed:
        reason = (finding.exception or {}).get("reason") or "reviewed exception in iamgate.yaml"
        out["suppressions"] = [{"kind": "external", "justification": reason}]
    return out


def fingerprint(finding: Finding) -> str:
    """Stable across runs and line shifts: the rule, the file and the message without positions."""
    message = _POSITIONS.sub("", finding.message)
    digest = hashlib.sha256(f"{finding.rule}\0{finding.file}\0{message}".encode()).hexdigest()
    return digest[:32]


def _artifact(file: str) -> dict[str, Any]:
    # Files inside the project are reported relative to its root (the repository root in CI).
    if PurePosixPath(file).is_absolute() or PureWindowsPath(file).is_absolute():
        from pathlib import Path

        return {"uri": Path(file).as_uri()}
    # Path characters RFC 3986 allows stay readable; a colon in the first segment would
    # read as a URI scheme, so only there is it escaped.
    uri = quote(file, safe="/!$&'()*+,;=:@")
    first, slash, rest = uri.partition("/")
    return {"uri": first.replace(":", "%3A") + slash + rest, "uriBaseId": "%SRCROOT%"}


def _information_uri() -> str | None:
    try:
        meta = metadata.metadata("iamgate")
    except metadata.PackageNotFoundError:
        return None
    project_urls: list[str] = meta.get_all("Project-URL") or []
    for entry in project_urls:
        url = entry.partition(",")[2].strip()
        if url.startswith("https://"):
            return url
    homes: list[str] = meta.get_all("Home-page") or []
    return next((home for home in homes if home.startswith("https://")), None)
