"""`--format github`: GitHub Actions workflow commands, shown as annotations on the pull request.

`::error file=F,line=L,col=C,title=T::message`. Escaping follows the runner's own toolkit
(actions/toolkit, packages/core/src/command.ts): data escapes %, CR and LF; property values
also escape ':' and ','. Without it a message with a newline is cut short and a file name
with a comma breaks the property list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from iamgate.reports import detail_lines, summary_line, version_line, waiver_lines

if TYPE_CHECKING:
    from iamgate.findings import Finding
    from iamgate.lint import LintResult

COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding, rule_name: str | None = None) -> str:
    title = f"{finding.rule} {rule_name}" if rule_name else finding.rule
    properties = {
        "file": finding.file,
        "line": str(finding.line),
        "col": str(finding.column),
        "title": title,
    }
    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    message = "\n".join([finding.message, *detail_lines(finding)])
    return f"::{COMMANDS[finding.severity]} {props}::{escape_data(message)}"


def render(result: LintResult, colour: bool = False) -> str:
    from iamgate.rules import all_rules

    rules = all_rules()
    lines = []
    for finding in result.findings:
        rule = rules.get(finding.rule)
        lines.append(annotation(finding, rule.name if rule else None))
    for line in waiver_lines(result):
        title = escape_property("iamgate: security check waived by iamgate.yaml")
        lines.append(f"::warning title={title}::{escape_data(line)}")
    # A plain line is not a command: it lands in the job log as the run's total.
    lines.append(f"iamgate: {summary_line(result)} [{version_line()}]")
    return "\n".join(lines) + "\n"
