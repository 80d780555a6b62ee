"""`--format json`: DESIGN.md's `{"findings": [...], "summary": {...}}`, for scripts."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from iamgate.lint import LintResult


def render(result: LintResult, colour: bool = False) -> str:
    report = {
        "findings": [finding.to_dict() for finding in result.findings],
        "summary": result.summary(),
    }
    return json.dumps(report, indent=2, ensure_ascii=False) + "\n"
