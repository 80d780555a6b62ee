"""`iamgate rules`: every rule with its id, name, severity and summary, read from the rules.

`--format markdown` prints the README's rule table, so the documentation is generated
from the rules themselves and cannot drift from them (cfn-lint's habit); `--write FILE`
replaces the table between the README's markers in place. The escalation table's paths,
which IG408 decides, follow the rules in every format (data too: they are what IG408 checks).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from iamgate.escalation import EscalationPath, PathAction
    from iamgate.rules.base import Rule

PATHS_RULE = "IG408"  # the rule that decides the escalation table's rows

START_MARKER = "<!-- rules:start -->"
END_MARKER = "<!-- rules:end -->"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "rule", nargs="?", metavar="ID", help="one rule in full, by id or name (e.g. IG301)"
    )
    parser.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    parser.add_argument(
        "--write",
        type=Path,
        metavar="FILE",
        help=f"replace the table between {START_MARKER} and {END_MARKER} in FILE "
        "(with --format markdown)",
    )


def run(args: argparse.Namespace) -> int:
    from iamgate.config import ConfigError
    from iamgate.rules import all_rules

    rules = list(all_rules().values())
    if args.write is not None:
        if args.format != "markdown":
            raise ConfigError("--write needs --format markdown")
        write_table(args.write, markdown(rules))
        return 0
    from iamgate.colour import enabled

    colour = args.format == "text" and enabled(sys.stdout, getattr(args, "color", "auto"))
    if args.rule is not None:
        from iamgate.commands import rule_doc

        rule = rule_doc.find_rule(args.rule, rules)
        one = {
            "text": lambda: rule_doc.text(rule, colour),
            "markdown": lambda: rule_doc.markdown(rule),
            "json": lambda: as_json([rule]),
        }
        sys.stdout.write(one[args.format]())
        return 0
    renderers = {"text": lambda r: text(r, colour), "markdown": markdown, "json": as_json}
    sys.stdout.write(renderers[args.format](rules))
    return 0


def text(rules: list[Rule], colour: bool = False) -> str:
    from iamgate.colour import paint
    from iamgate.commands.rule_doc import SEVERITY_STYLES

    if not rules:
        return "no rules are installed\n"
    id_w = max(len(r.id) for r in rules)
    name_w = max(len(r.name) for r in rules)
    sev_w = max(len(r.severity) for r in rules)

    def severity(rule: Rule) -> str:
        # Padded before painting, so the columns line up with colour too.
        return paint(f"{rule.severity:<{sev_w}}", SEVERITY_STYLES[rule.severity], colour)

    out = "".join(
        f"{r.id:<{id_w}}  {r.name:<{name_w}}  {severity(r)}  {r.summary}\n" for r in rules
    )
    paths = _paths(rules)
    if paths:
        path_w = max(len(p.id) for p in paths)
        out += f"\nescalation paths {PATHS_RULE} checks ({len(paths)}):\n"
        out += "".join(f"  {p.id:<{path_w}}  {p.name}  {p.source}\n" for p in paths)
    return out


def markdown(rules: list[Rule]) -> str:
    lines = [
        "| id | name | severity | what it catches | example (flagged → instead) |",
        "|----|------|----------|-----------------|-----------------------------|",
    ]
    for rule in rules:
        example = ""
        if rule.example is not None:
            example = f"{_code(rule.example.bad)} → {_code(rule.example.good)}"
        cells = [rule.id, f"`{rule.name}`", rule.severity, _cell(rule.summary), example]
        lines.append("| " + " | ".join(cells) + " |")
    paths = _paths(rules)
    if paths:
        lines += [
            "",
            f"**Escalation paths** ({len(paths)}, checked by {PATHS_RULE}; the data is "
            "`iamgate/escalation/paths.json`):",
            "",
            "| path | category | actions, each on what | existing resource | why | source |",
            "|------|----------|------------------------|-------------------|-----|--------|",
        ]
        for path in paths:
            acts = " + ".join(_action_cell(a) for a in path.actions)
            cells = [path.id, path.category, acts, "yes" if path.existing else "no"]
            cells += [_cell(path.why), path.source]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _blind(action: PathAction) -> bool:
    """Is every resource the action acts on one whose ARN the prefix cannot scope?"""
    from iamgate.catalog import get_catalog
    from iamgate.escalation import default_table

    info = get_catalog().lookup(action.action)
    if info is None:
        return False
    blind = default_table().prefix_blind
    pairs = {
        (template.split(":")[2], rtype.name)
        for rtype, _ in info.resource_types
        if rtype.name in action.on
        for template in rtype.arn_patterns
    }
    return bool(pairs) and pairs <= blind


def _paths(rules: list[Rule]) -> tuple[EscalationPath, ...]:
    if not any(r.id == PATHS_RULE for r in rules):
        return ()
    from iamgate.escalation import default_table

    return default_table().paths


def _action_cell(action: PathAction) -> str:
    on = " or ".join(action.on)
    where = "new" if on == "new" else "no resource" if on == "*" else on
    if action.outside and on not in ("new", "*"):
        where += ", any: no name to scope" if _blind(action) else " outside the prefix"
    elif on not in ("new", "*"):
        where += ", any"
    for key, values in action.context:
        where += f", {key} " + " or ".join(values)
    return f"`{action.action}` ({_cell(where)})"


def as_json(rules: list[Rule]) -> str:
    from iamgate.reports import is_security

    def describe(rule: Rule) -> dict[str, Any]:
        example = rule.example
        described: dict[str, Any] = {
            "id": rule.id,
            "name": rule.name,
            "severity": rule.severity,
            "summary": rule.summary,
            "why": rule.why,
            "example": {"bad": example.bad, "good": example.good} if example else None,
            "source": rule.source,
            "tags": list(rule.tags),
            "kinds": list(rule.kinds),
            "stage": rule.stage,
            "security": is_security(rule),
        }
        if rule.id == PATHS_RULE:
            described["paths"] = [
                {
                    "id": p.id,
                    "name": p.name,
                    "category": p.category,
                    "existing": p.existing,
                    "actions": [a.action for a in p.actions],
                    "source": p.source,
                }
                for p in _paths(rules)
            ]
        return described

    return json.dumps([describe(r) for r in rules], indent=2) + "\n"


def replace_table(document: str, table: str) -> str:
    """``document`` with the text between the rule-table markers replaced by ``table``."""
    start = document.find(START_MARKER)
    end = document.find(END_MARKER)
    if start < 0 or end < start:
        raise ValueError(f"no {START_MARKER} ... {END_MARKER} block")
    head = document[: start + len(START_MARKER)]
    return f"{head}\n{table.rstrip()}\n{document[end:]}"


def table_in(document: str) -> str | None:
    """The text between the markers, or None when they are missing."""
    match = re.search(re.escape(START_MARKER) + r"\n?(.*?)" + re.escape(END_MARKER), document, re.S)
    return match.group(1) if match else None


def write_table(path: Path, table: str) -> None:
    from iamgate.config import ConfigError

    try:
        document = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        updated = replace_table(document, table)
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}; add the two markers where the table belongs") from None
    try:
        path.write_text(updated, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from None


def _cell(value: str) -> str:
    return " ".join(value.split()).replace("|", "\\|")


def _code(fragment: str) -> str:
    # Never shortened: a cut example can lose the very character the rule is about.
    flat = " ".join(fragment.split())
    # A pipe ends a table cell even inside a code span, unless escaped.
    return "`" + flat.replace("|", "\\|").replace("`", "'") + "`"
