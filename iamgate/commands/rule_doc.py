"""`iamgate rules ID`: one rule in full, in ruff's shape (what it does, why is this bad,
example, use instead) plus where it applies and the AWS page it rests on."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from iamgate.colour import paint

if TYPE_CHECKING:
    from iamgate.rules.base import Rule

KIND_NAMES = {
    "identity": "identity policies",
    "boundary": "permissions boundaries",
    "scp": "SCPs",
    "rcp": "RCPs",
}
SEVERITY_STYLES = {"error": "bold-red", "warning": "yellow", "info": "cyan"}


def find_rule(wanted: str, rules: list[Rule]) -> Rule:
    """The rule with this id or name (any letter case); ConfigError with the closest if none."""
    import difflib

    from iamgate.config import ConfigError

    for rule in rules:
        if wanted.upper() == rule.id or wanted.lower() == rule.name:
            return rule
    names = [r.id for r in rules] + [r.name for r in rules]
    close = difflib.get_close_matches(wanted, names, n=1, cutoff=0.6)
    if not close and wanted[:2].upper() == "IG":
        close = difflib.get_close_matches(wanted.upper(), [r.id for r in rules], n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]}?" if close else "; `iamgate rules` lists them"
    raise ConfigError(f"no rule {wanted}{hint}")


def _sections(rule: Rule) -> list[tuple[str, str]]:
    from iamgate.reports import is_security

    kinds = ", ".join(KIND_NAMES.get(k, k) for k in rule.kinds)
    sections = [("What it does", rule.summary)]
    if rule.why:
        sections.append(("Why is this bad?", rule.why))
    if rule.example is not None:
        sections.append(("Example", rule.example.bad))
        sections.append(("Use instead", rule.example.good))
    facts = f"{kinds[0].upper()}{kinds[1:]}; severity {rule.severity}"
    if is_security(rule):
        facts += "; a security rule (turning it off needs a reason and an expiry)"
    sections.append(("Applies to", facts + "."))
    if rule.source:
        sections.append(("Source", rule.source))
    return sections


def text(rule: Rule, colour: bool = False) -> str:
    severity = paint(rule.severity, SEVERITY_STYLES.get(rule.severity, "bold"), colour)
    out = [f"{paint(rule.id, 'bold', colour)} {rule.name} ({severity})"]
    for title, body in _sections(rule):
        out += ["", paint(title, "bold", colour)]
        if title in ("Example", "Use instead"):
            out += [f"    {line}" for line in body.splitlines()]
        else:
            out += textwrap.wrap(
                body, 88, initial_indent="  ", subsequent_indent="  ", break_long_words=False
            )
    return "\n".join(out) + "\n"


def markdown(rule: Rule) -> str:
    out = [f"## {rule.id} `{rule.name}` ({rule.severity})"]
    for title, body in _sections(rule):
        out += ["", f"### {title}", ""]
        if title in ("Example", "Use instead"):
            # No language tag: many examples are fragments, not whole JSON documents.
            out += ["```", body, "```"]
        elif title == "Source":
            out.append(f"<{body}>")
        else:
            out.append(body)
    return "\n".join(out) + "\n"
