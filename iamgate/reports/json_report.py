"""`--format json`: DESIGN.md's `{"findings": [...], "summary": {...}}`, for scripts."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from iamgate.lint import LintResult


def render(result: LintResult, colour: bool = False) -> str:
    report: dict[str, Any] = {
        "findings": [finding.to_dict() for finding in result.findings],
        "summary": result.summary(),
    }
    if result.waived:  # security checks iamgate.yaml turns off or excepts
        report["disabled_security_checks"] = result.waived
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"
