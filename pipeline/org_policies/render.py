"""The organization-policy sections of plan, apply and drift reports, in text, markdown and json.

Organization policies belong to the organization, not to a member account, so each type gets
its own section ahead of the accounts, titled by its description, with its own total:
``+`` create or attach, ``~`` update (with the content diff), ``-`` detach or delete, ``!``
conflict.
"""

from __future__ import annotations

from typing import Any

from ..render_common import (
    count_done,
    markdown_change,
    outcome_json,
    outcomes_by_change,
    text_change,
    verb,
)
from .apply import OrgOutcome
from .plan import OrgChange
from .sync import OrgPolicyReport

MARK = {
    "enable": "+",
    "create": "+",
    "update": "~",
    "attach": "+",
    "detach": "-",
    "delete": "-",
    "conflict": "!",
}
DONE = {
    "enable": "enabled",
    "create": "created",
    "update": "updated",
    "attach": "attached",
    "detach": "detached",
    "delete": "deleted",
}


def title(report: OrgPolicyReport) -> str:
    return f"{report.kind.title} (organization-wide, from the management account)"


def _outcomes(report: OrgPolicyReport) -> dict[int, OrgOutcome]:
    return outcomes_by_change(report.outcomes)


def totals(report: OrgPolicyReport, command: str) -> str:
    label = f"{report.kind.label}s"
    if report.plan is None:
        return f"{label}: not planned (failed)" if report.error else f"{label}: not planned"
    plan = report.plan
    if command == "apply":
        done = count_done(report.outcomes, DONE)
        parts = [f"{done[a]} {DONE[a]}" for a in DONE if a != "enable" or done[a]]
    else:
        parts = [f"{plan.count(a)} to {a}" for a in DONE if a != "enable" or plan.count(a)]
    conflicts = plan.count("conflict")
    parts.append(f"{conflicts} conflict{'' if conflicts == 1 else 's'}")
    return f"{label}: " + ", ".join(parts)


def change_line(change: OrgChange, outcome: OrgOutcome | None) -> str:
    where = ""
    if change.target is not None:
        preposition = {"attach": "to", "enable": "on"}.get(change.action, "from")
        where = f" {preposition} {change.target.label}"
    file = f"  {change.file}" if change.file and change.action in ("create", "update") else ""
    detail = f"  ({change.reason})" if change.reason and change.action != "attach" else ""
    if outcome is not None and outcome.error and outcome.status != "reported":
        detail += f"  {outcome.error}"
    verb_shown = verb(change.action, outcome, DONE)
    return f"{MARK[change.action]} {verb_shown} {change.policy}{where}{file}{detail}"


def render_text(report: OrgPolicyReport, command: str) -> list[str]:
    lines = ["", title(report)]
    outcomes = _outcomes(report)
    plan = report.plan
    if plan is not None:
        for change in plan.changes:
            lines += text_change(change_line(change, outcomes.get(id(change))), change, command)
        if plan.orphans:
            lines.append(
                f"  . iamgate {report.kind.label}s no longer in deploy.{report.kind.folder}, "
                "kept attached "
                f"(apply --prune detaches and deletes): {', '.join(plan.orphans)}"
            )
        for refusal in plan.refusals:
            lines.append(f"  REFUSED {refusal}")
        if not plan.pending and not report.error:
            lines.append("  no changes")
        if plan.unchanged:
            lines.append(f"  unchanged: {', '.join(plan.unchanged)}")
    if report.error:
        lines.append(f"  FAILED {report.error}")
    lines.append("  " + totals(report, command))
    return lines


def render_markdown(report: OrgPolicyReport, command: str) -> list[str]:
    lines = ["", f"#### {title(report)}", "", f"**{totals(report, command)}**", ""]
    outcomes = _outcomes(report)
    plan = report.plan
    if report.error:
        lines.append(f"**Failed:** {report.error}")
    if plan is None:
        return lines
    for refusal in plan.refusals:
        lines.append(f"- **Refused:** {refusal}")
    for change in plan.changes:
        line = change_line(change, outcomes.get(id(change)))
        lines += markdown_change(MARK[change.action], line, change)
    if plan.orphans:
        lines.append(f"- kept (no `--prune`): {', '.join(plan.orphans)}")
    if plan.unchanged:
        lines.append(f"- unchanged: {', '.join(plan.unchanged)}")
    return lines


def _change_json(change: OrgChange, outcome: OrgOutcome | None) -> dict[str, Any]:
    out: dict[str, Any] = {"action": change.action, "policy": change.policy}
    if change.policy_id:
        out["policy_id"] = change.policy_id
    if change.target is not None:
        out["target"] = change.target.id
        out["target_label"] = change.target.label
    if change.file:
        out["file"] = change.file
    if change.reason:
        out["reason"] = change.reason
    if change.diff:
        out["diff"] = change.diff
    return out | outcome_json(outcome)


def to_json(report: OrgPolicyReport) -> dict[str, Any]:
    plan = report.plan
    outcomes = _outcomes(report)
    summary: dict[str, int] = {}
    if plan is not None:
        summary = {a: plan.count(a) for a in MARK}
    return {
        "status": "failed" if report.failed else ("changes" if report.pending else "unchanged"),
        "summary": summary,
        "changes": [_change_json(c, outcomes.get(id(c))) for c in (plan.changes if plan else ())],
        "unchanged": list(plan.unchanged) if plan else [],
        "orphans": list(plan.orphans) if plan else [],
        "refusals": list(plan.refusals) if plan else [],
        "failures": report.failures,
    }
