"""`--format text`: one `file:line:col: severity RULE message` line per finding, for people.

The shape is the one compilers use, so editors and terminals turn the location into a link.
Colour (iamgate.colour decides whether) marks the severity and the total, nothing else, so
the text stays the same to copy and to grep.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from iamgate.colour import paint
from iamgate.reports import detail_lines, summary_line, waiver_lines

if TYPE_CHECKING:
    from iamgate.findings import Finding
    from iamgate.lint import LintResult

SEVERITY_STYLES = {"error": "bold-red", "warning": "yellow", "info": "cyan"}


def finding_line(finding: Finding, colour: bool = False) -> str:
    severity = paint(finding.severity, SEVERITY_STYLES.get(finding.severity, "bold"), colour)
    return (
        f"{finding.file}:{finding.line}:{finding.column}: "
        f"{severity} {finding.rule} {finding.message}"
    )


def render(result: LintResult, colour: bool = False) -> str:
    lines: list[str] = []
    for finding in result.findings:
        lines.append(finding_line(finding, colour))
        lines.extend(f"  {detail}" for detail in detail_lines(finding))
    lines.extend(f"security check waived by iamgate.yaml: {line}" for line in waiver_lines(result))
    total = summary_line(result)
    if result.failing():
        total = paint(total, "bold-red", colour)
    elif not result.findings:
        total = paint(total, "green", colour)
    lines.append(total)
    return "\n".join(lines) + "\n"
