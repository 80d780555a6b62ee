"""Plan, apply and drift reports: text for terminals, markdown for PR comments, json for machines.

Terraform's habits: ``+`` create, ``~`` update (with a diff of the document), ``-``
delete, a one-line total at the end. Markdown groups accounts whose changes are
identical (the usual case: one file changed, deployed to many accounts), gives each
group a collapsible section, and summarises unchanged accounts in one line.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from iamgate.org_policy_types import OrgPolicyType, org_policy_types

from .iam_policies.apply import Outcome
from .iam_policies.plan import Change
from .org_policies import render as org_render
from .render_common import (
    count_done,
    markdown_change,
    outcome_json,
    outcomes_by_change,
    text_change,
    verb,
)
from .sync import AccountReport, RunReport

if TYPE_CHECKING:
    from .ceiling_diff import CeilingChange, CeilingReport
    from .targets import Account

FORMATS = ("text", "markdown", "json")
MARK = {"create": "+", "update": "~", "delete": "-", "conflict": "!", "retain": "="}
DONE = {"create": "created", "update": "updated", "delete": "deleted"}
# GitHub refuses comments over 65,536 characters.
MARKDOWN_LIMIT = 60_000
COMMENT_MARKER = "<!-- iamgate-plan -->"
UNCHANGED_LISTED = 50  # a terminal line, not a list of thousands of accounts


def render(fmt: str, report: RunReport) -> str:
    if fmt == "json":
        return json.dumps(to_json(report), indent=2) + "\n"
    if fmt == "markdown":
        return render_markdown(report)
    return render_text(report)


# --- shared -------------------------------------------------------------------------------


def _outcomes(account: AccountReport) -> dict[int, Outcome]:
    return outcomes_by_change(account.outcomes)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def totals(report: RunReport) -> str:
    s = report.summary()
    tail = [
        f"{_plural(s['changed'], 'account')} with changes",
        f"{s['unchanged']} unchanged",
        f"{s['failed']} failed",
        f"{s['skipped']} skipped",
    ]
    if report.command == "apply":
        done = count_done((o for a in report.accounts for o in a.outcomes), DONE)
        head = (
            f"Apply: {done['create']} created, {done['update']} updated, {done['delete']} deleted, "
            f"{_plural(s['conflict'], 'conflict')}, {s['retain']} retained"
        )
    else:
        name = "Drift" if report.command == "drift" else "Plan"
        head = (
            f"{name}: {s['create']} to create, {s['update']} to update, {s['delete']} to delete, "
            f"{_plural(s['conflict'], 'conflict')}, {s['retain']} retained"
        )
    text = f"{head}; {', '.join(tail)}."
    for section in report.organization_reports:
        text += f" {org_render.totals(section, report.command)}."
    return text


def _label(account: AccountReport) -> str:
    a = account.account
    targets = ", ".join(a.targets) or "no longer targeted"
    return f"{a.id} {a.name} ({targets})" if a.name else f"{a.id} ({targets})"


def _change_line(change: Change, outcome: Outcome | None) -> str:
    where = f"  {change.file}" if change.file else ""
    detail = ""
    if change.action == "update":
        if change.set_default:
            detail = f"  (make {change.set_default} the default again)"
        elif change.rotate_out:
            detail = f"  (new default version; {change.rotate_out} deleted first: 5 versions exist)"
        else:
            detail = "  (new default version)"
    elif change.action in ("delete", "conflict", "retain") and change.reason:
        detail = f"  ({change.reason})"
    kind = " [boundary]" if change.kind == "boundary" else ""
    if outcome is not None and outcome.status in ("failed", "not attempted") and outcome.error:
        detail += f"  {outcome.error}"
    verb_shown = verb(change.action, outcome, DONE)
    return f"{MARK[change.action]} {verb_shown} {change.name}{kind}{where}{detail}"


# --- the ceiling of created roles (plan --base) --------------------------------------------


def _ceilings(report: RunReport) -> CeilingReport | None:
    """The ceiling report when there is one to show (plan --base, with changes)."""
    return report.ceilings if report.ceilings is not None and report.ceilings.changes else None


def _ceiling_lines(change: CeilingChange) -> list[str]:
    """The sentences of one entry, without markup; "- " starts a list item."""
    lines = []
    for note in change.notes:
        lines.append(f"- {note}")
    if change.gained:
        lines.append(f"{change.who[0].upper()}{change.who[1:]} can now also:")
        lines += [f"- {reach.describe()}" for reach in change.gained]
    if change.lost:
        lines.append(f"{change.who[0].upper()}{change.who[1:]} can no longer:")
        lines += [f"- {reach.describe()}" for reach in change.lost]
    if not change.changed:
        lines.append("The ceiling is unchanged.")
    return lines


def _ceiling_title(change: CeilingChange) -> str:
    others = [f for f in change.because if f != change.file]
    because = f"; changed: {', '.join(others)}" if others else ""
    return f"{change.subject} ({change.file}{because})"


def _ceilings_text(report: RunReport) -> list[str]:
    ceilings = _ceilings(report)
    if ceilings is None:
        return []
    lines = ["", f"Ceiling of the roles delegates create (against {ceilings.base})"]
    for change in ceilings.changes:
        lines.append(f"  {_ceiling_title(change)}")
        lines += [f"    {line}" for line in _ceiling_lines(change)]
        if change.changed:
            lines += [f"    before: {h}" for h in change.before]
            lines += [f"    after:  {h}" for h in change.after]
    return lines


def _ceilings_markdown(report: RunReport) -> list[str]:
    ceilings = _ceilings(report)
    if ceilings is None:
        return []
    lines = [
        "",
        "#### Ceiling of the roles delegates create",
        "",
        f"Compared with `{ceilings.base}`; the SCPs attached to the root applied.",
    ]
    for change in ceilings.changes:
        lines += ["", f"**{_ceiling_title(change)}**", ""]
        lines += _ceiling_lines(change)
        if change.changed:
            lines += ["", "<details><summary>Before and after</summary>", ""]
            lines += [f"- before: {h}" for h in change.before]
            lines += [f"- after: {h}" for h in change.after]
            lines += ["", "</details>"]
    return lines


# --- text ---------------------------------------------------------------------------------


def render_text(report: RunReport) -> str:
    lines: list[str] = []
    title = {"plan": "plan", "apply": "apply", "drift": "drift check"}[report.command]
    pruning = " with --prune" if report.prune and report.command != "drift" else ""
    lines.append(f"iamgate {title} (commit {report.commit}){pruning}")
    lines += _ceilings_text(report)
    for section in report.organization_reports:
        lines += org_render.render_text(section, report.command)
    if report.error:
        lines.append(f"FAILED {report.error}")
        return "\n".join(lines) + "\n"
    unchanged: list[str] = []
    for account in report.accounts:
        plan = account.plan
        if (
            plan is not None
            and not plan.pending
            and not account.failed
            and not plan.warnings
            and not plan.orphans
            and not plan.count("retain")
        ):
            unchanged.append(account.account.id)
            continue
        lines.append("")
        lines.append(_label(account))
        outcomes = _outcomes(account)
        if plan is not None:
            for change in plan.changes:
                line = _change_line(change, outcomes.get(id(change)))
                lines += text_change(line, change, report.command)
            if plan.orphans:
                lines.append(
                    f"  . {len(plan.orphans)} iamgate "
                    f"polic{'y' if len(plan.orphans) == 1 else 'ies'} no longer targeted "
                    f"here, kept (apply --prune deletes): {', '.join(plan.orphans)}"
                )
            for warning in plan.warnings:
                lines.append(f"  warning: {warning}")
            if not plan.pending and not account.error:
                lines.append("  no changes")
        if account.error:
            lines.append(f"  FAILED {account.error}")
    if unchanged:
        lines.append("")
        shown = ", ".join(unchanged[:UNCHANGED_LISTED])
        more = (
            f" and {len(unchanged) - UNCHANGED_LISTED} more"
            if len(unchanged) > UNCHANGED_LISTED
            else ""
        )
        lines.append(f"unchanged: {_plural(len(unchanged), 'account')} ({shown}{more})")
    if report.skipped:
        lines.append("")
        for skipped in report.skipped:
            lines.append(f"skipped: {skipped.id} {skipped.name} ({skipped.skip_reason})")
    if report.warnings:
        lines.append("")
        lines += [f"warning: {w}" for w in report.warnings]
    failed = report.failed
    if failed:
        lines.append("")
        for account in failed:
            for failure in account.failures:
                lines.append(f"failed: {account.account.id} {account.account.name}: {failure}")
    lines.append("")
    lines.append(totals(report))
    return "\n".join(lines) + "\n"


# --- markdown -----------------------------------------------------------------------------


def _signature(account: AccountReport) -> tuple[Any, ...]:
    plan = account.plan
    assert plan is not None
    return (
        tuple(
            (c.action, c.name, c.file, c.diff, c.set_default, c.rotate_out, c.reason)
            for c in plan.changes
        ),
        tuple(plan.orphans),
    )


def _md_change(change: Change, outcome: Outcome | None) -> list[str]:
    return markdown_change(MARK[change.action], _change_line(change, outcome), change)


def render_markdown(report: RunReport) -> str:
    s = report.summary()
    lines = [COMMENT_MARKER, f"### iamgate {report.command}", "", f"**{totals(report)}**", ""]
    lines.append(
        f"Commit `{report.commit}` · {_plural(s['accounts'], 'account')} · "
        f"{s['changed']} with changes · {s['unchanged']} unchanged · {s['failed']} failed · "
        f"{s['skipped']} skipped"
    )
    lines += _ceilings_markdown(report)
    for section in report.organization_reports:
        lines += org_render.render_markdown(section, report.command)
    if report.error:
        lines += ["", f"**Failed:** {report.error}"]
        return "\n".join(lines) + "\n"
    failed = report.failed
    if failed:
        lines += ["", "**Failed accounts**", ""]
        for account in failed:
            for failure in account.failures:
                lines.append(f"- `{account.account.id}` {account.account.name}: {failure}")
    groups: dict[tuple[Any, ...], list[AccountReport]] = {}
    unchanged: list[AccountReport] = []
    warnings: list[str] = list(report.warnings)
    for account in report.accounts:
        if account.plan is None:
            continue
        warnings += [f"`{account.account.id}`: {w}" for w in account.plan.warnings]
        if (
            not account.plan.pending
            and not account.plan.orphans
            and not account.plan.count("retain")
        ):
            if not account.failed:
                unchanged.append(account)
            continue
        groups.setdefault(_signature(account), []).append(account)
    if warnings:
        lines += ["", "**Warnings**", ""] + [f"- {w}" for w in warnings]
    for members in groups.values():
        first = members[0]
        plan = first.plan
        assert plan is not None
        counts = " ".join(f"{MARK[a]}{plan.count(a)}" for a in MARK if plan.count(a))
        names = ", ".join(_label(m) for m in members[:20])
        if len(members) > 20:
            names += f" and {len(members) - 20} more"
        where = f"{_plural(len(members), 'account')}: {names}"
        lines += ["", f"<details><summary><b>{counts}</b> in {where}</summary>", ""]
        outcomes = _outcomes(first)
        for change in plan.changes:
            lines += _md_change(change, outcomes.get(id(change)))
        if plan.orphans:
            lines.append(f"- kept (no `--prune`): {', '.join(plan.orphans)}")
        lines += ["", "</details>"]
    if unchanged:
        ids = ", ".join(a.account.id for a in unchanged)
        lines += [
            "",
            f"<details><summary>{_plural(len(unchanged), 'account')} unchanged</summary>",
            "",
            ids,
            "",
            "</details>",
        ]
    if report.skipped:
        lines += [
            "",
            "Skipped: " + ", ".join(f"`{a.id}` {a.name} ({a.skip_reason})" for a in report.skipped),
        ]
    text = "\n".join(lines) + "\n"
    if len(text) > MARKDOWN_LIMIT:
        cut = text[:MARKDOWN_LIMIT].rsplit("\n", 1)[0]
        text = (
            f"{cut}\n\n</details>\n\n**The plan is longer than a comment allows; the CI "
            "job log has the full text plan.**\n"
        )
    return text


# --- json ---------------------------------------------------------------------------------


def _change_json(change: Change, outcome: Outcome | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "action": change.action,
        "policy": change.name,
        "kind": change.kind,
        "arn": change.arn,
        "file": change.file,
    }
    if change.reason:
        out["reason"] = change.reason
    if change.diff:
        out["diff"] = change.diff
    if change.set_default:
        out["set_default"] = change.set_default
    if change.rotate_out:
        out["rotate_out"] = change.rotate_out
    if change.old_versions:
        out["old_versions"] = list(change.old_versions)
    return out | outcome_json(outcome)


def _account_json(account: AccountReport) -> dict[str, Any]:
    a = account.account
    plan = account.plan
    outcomes = _outcomes(account)
    status = (
        "failed"
        if account.failed
        else ("changes" if plan is not None and plan.pending else "unchanged")
    )
    return {
        "account": a.id,
        "name": a.name,
        "targets": list(a.targets),
        "status": status,
        "changes": [_change_json(c, outcomes.get(id(c))) for c in (plan.changes if plan else ())],
        "unchanged": list(plan.unchanged) if plan else [],
        "orphans": list(plan.orphans) if plan else [],
        "warnings": list(plan.warnings) if plan else [],
        "failures": account.failures,
        "deployed_commit": account.deployed or None,
        "recorded_commit": account.recorded or None,
        "out_of_scope": account.out_of_scope,
    }


def to_json(report: RunReport) -> dict[str, Any]:
    return {
        "command": report.command,
        "commit": report.commit,
        "prune": report.prune,
        "error": report.error or None,
        "summary": report.summary(),
        "accounts": [_account_json(a) for a in report.accounts],
        "skipped": [_skipped_json(a) for a in report.skipped],
        "warnings": list(report.warnings),
        **{kind.folder: _organization_json(report, kind) for kind in org_policy_types()},
    } | ({"ceilings": ceilings.to_dict()} if (ceilings := _ceilings(report)) is not None else {})


def _organization_json(report: RunReport, kind: OrgPolicyType) -> dict[str, Any] | None:
    section = report.organization.get(kind)
    return org_render.to_json(section) if section is not None else None


def _skipped_json(account: Account) -> dict[str, Any]:
    return {
        "account": account.id,
        "name": account.name,
        "state": account.state,
        "reason": account.skip_reason,
        "targets": list(account.targets),
    }
