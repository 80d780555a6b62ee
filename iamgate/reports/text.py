"""`--format text`: one `file:line:col: severity RULE message` line per finding, for people.

The shape is the one compilers use, so editors and terminals turn the location into a link.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from iamgate.reports import detail_lines, summary_line, waiver_lines

if TYPE_CHECKING:
    from iamgate.findings import Finding
    from iamgate.lint import LintResult

_COLOURS = {"error": "\033[1;31m", "warning": "\033[33m", "info": "\033[36m"}
_RESET = "\033[0m"


def finding_line(finding: Finding, colour: bool = False) -> str:
    severity = finding.severity
    if colour:
        severity = f"{_COLOURS.get(severity, '')}{severity}{_RESET}"
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
    lines.append(summary_line(result))
    return "\n".join(lines) + "\n"
