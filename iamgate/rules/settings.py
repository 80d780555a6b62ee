"""Where a rule's setting is decided, for every family: whether it runs, its severity, the
exceptions that suppress its findings and the waivers every report names.

``lint.rules`` sets a level by id or by name (the id wins); ``lint.exceptions`` excepts a
rule's findings in files matching a glob, until a date. The lint engine, the rules that defer
to one another (ProofRule, IG408) and the reports all ask here, so a rule is never on in one
place and off in another.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from iamgate.config import weakens
from iamgate.findings import RANK

if TYPE_CHECKING:
    from iamgate.config import Config, LintException
    from iamgate.findings import Finding, Severity
    from iamgate.rules.base import Rule


def configured_level(rule: Rule, config: Config) -> str | None:
    """The level ``lint.rules`` gives the rule (by id, else by name): off, info, warning,
    error; None when the configuration does not name it."""
    return config.rules.get(rule.id) or config.rules.get(rule.name)


def enabled(rule: Rule, config: Config) -> bool:
    return configured_level(rule, config) != "off"


def severity(rule: Rule, config: Config) -> Severity:
    """The severity the rule's findings are reported at (its own unless configured)."""
    level = configured_level(rule, config)
    return rule.severity if level in (None, "off") else level  # type: ignore[return-value]


def rank(rule: Rule, config: Config) -> int:
    return RANK[severity(rule, config)]


def apply_config(
    findings: list[Finding], config: Config, today: dt.date | None = None
) -> tuple[list[Finding], list[Finding]]:
    """Severity overrides, then exceptions. Returns (reported, suppressed)."""
    if not findings:
        return [], []
    from iamgate.rules import all_rules

    today = today or dt.date.today()
    rules = all_rules()
    reported: list[Finding] = []
    suppressed: list[Finding] = []
    for finding in findings:
        rule = rules.get(finding.rule)
        level = configured_level(rule, config) if rule else config.rules.get(finding.rule)
        if level == "off":
            continue
        if level is not None:
            finding = replace(finding, severity=level)  # type: ignore[arg-type]
        exception = _matching_exception(finding, config, rule.name if rule else "")
        if exception is None:
            reported.append(finding)
            continue
        info = {
            "reason": exception.reason,
            "expires": exception.expires.isoformat() if exception.expires else None,
        }
        if exception.expires is not None and exception.expires < today:
            reported.append(
                replace(
                    finding,
                    message=f"{finding.message} (the exception for this finding expired on "
                    f"{exception.expires.isoformat()}: {exception.reason})",
                    exception={**info, "expired": True},
                )
            )
        else:
            suppressed.append(replace(finding, exception={**info, "expired": False}))
    return reported, suppressed


def _matching_exception(finding: Finding, config: Config, rule_name: str) -> LintException | None:
    for exception in config.exceptions:
        if exception.rule not in (finding.rule, rule_name):
            continue
        if fnmatch.fnmatch(finding.file, exception.path):
            return exception
    return None


def security_waivers(
    config: Config, files: list[str] | None = None, today: dt.date | None = None
) -> list[dict[str, Any]]:
    """Each security check lint.rules turns off or lowers, or lint.exceptions excepts for one of
    ``files`` (every file when None), with its scope, reason and expiry: silence about a
    disabled security check is what a gate must not do."""
    today = today or dt.date.today()
    out: list[dict[str, Any]] = []

    def add(rule_key: str, kind: str, scope: str, reason: str | None, expires: Any) -> None:
        from iamgate.rules import all_rules  # only when something may be waived: start-up

        rules = all_rules()
        rule = rules.get(rule_key) or next((r for r in rules.values() if r.name == rule_key), None)
        if rule is None or not rule.security:
            return
        if kind != "exception" and not weakens(kind, rule.severity):
            return  # raised, or left at its severity: nothing is waived
        out.append(
            {
                "rule": rule.id,
                "name": rule.name,
                "kind": kind,
                "scope": scope,
                "reason": reason or "",
                "expires": expires.isoformat() if expires else None,
                "expired": bool(expires and expires < today),
            }
        )

    for waiver in config.waivers:
        add(waiver.rule, waiver.level, "*", waiver.reason, waiver.expires)
    for key, level in config.rules.items():
        if not any(w.rule == key for w in config.waivers):
            add(key, level, "*", None, None)  # a Config built in code, not from iamgate.yaml
    for exception in config.exceptions:
        if files is not None and not any(fnmatch.fnmatch(f, exception.path) for f in files):
            continue
        add(exception.rule, "exception", exception.path, exception.reason, exception.expires)
    return out
