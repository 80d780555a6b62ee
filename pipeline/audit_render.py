"""The audit's report: text, markdown (a CI summary), JSON, SARIF 2.1.0 (code scanning)."""

from __future__ import annotations

import json
from typing import Any

from .audit_run import AuditReport

FORMATS = ("text", "markdown", "json", "sarif")
RULES = {
    "no-boundary": "A role or user named with the delegation prefix has no permissions boundary",
    "unapproved-boundary": "A prefixed role or user has a boundary that is not an approved one",
    "stale-delegation-policy": "A principal holds a delegation policy that is not iamgate's "
    "current version",
}
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def summary(report: AuditReport) -> str:
    accounts = len({f.account for f in report.findings})
    errors = f", {len(report.errors)} not checked" if report.errors else ""
    return (
        f"audit: {len(report.findings)} finding{'' if len(report.findings) == 1 else 's'} in "
        f"{accounts} of {len(report.accounts)} accounts{errors}"
    )


def render(fmt: str, report: AuditReport, config_file: str) -> str:
    if fmt == "json":
        return json.dumps(to_json(report), indent=2) + "\n"
    if fmt == "sarif":
        return json.dumps(to_sarif(report, config_file), indent=2) + "\n"
    if fmt == "markdown":
        lines = ["### iamgate audit", "", f"**{summary(report)}**", ""]
        if report.findings:
            lines += ["| account | principal | rule | finding |", "|---|---|---|---|"]
            lines += [
                f"| `{f.account}` | `{f.principal}` | {f.rule} | {f.message} |"
                for f in report.findings
            ]
        lines += [f"- not checked: {e}" for e in report.errors]
        return "\n".join(lines) + "\n"
    lines = [f"{f.account} {f.principal}: {f.rule}: {f.message}" for f in report.findings]
    lines += [f"not checked: {e}" for e in report.errors]
    return "\n".join([*lines, summary(report)]) + "\n"


def to_json(report: AuditReport) -> dict[str, Any]:
    return {
        "findings": [
            {
                "rule": f.rule,
                "account": f.account,
                "principal": f.principal,
                "arn": f.arn,
                "message": f.message,
                "file": f.file or None,
            }
            for f in report.findings
        ],
        "errors": list(report.errors),
        "summary": {
            "accounts": len(report.accounts),
            "findings": len(report.findings),
            "errors": len(report.errors),
        },
    }


def to_sarif(report: AuditReport, config_file: str) -> dict[str, Any]:
    from iamgate import __version__

    rules = list(RULES)
    results = []
    for f in report.findings:
        results.append(
            {
                "ruleId": f.rule,
                "ruleIndex": rules.index(f.rule),
                "level": "error",
                "message": {"text": f"{f.account}: {f.message}"},
                # A live principal has no line in the repository: the file it concerns (the
                # delegation policy, else iamgate.yaml), and the principal as a logical place.
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": f.file or config_file},
                            "region": {"startLine": 1},
                        },
                        "logicalLocations": [
                            {"fullyQualifiedName": f.arn or f.principal, "kind": "resource"}
                        ],
                    }
                ],
                "partialFingerprints": {"iamgateAudit/v1": f"{f.rule}:{f.arn}:{f.file}"},
            }
        )
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "iamgate audit",
                        "version": __version__,
                        "rules": [
                            {"id": rule, "shortDescription": {"text": text}}
                            for rule, text in RULES.items()
                        ],
                    }
                },
                "results": results,
            }
        ],
    }
