"""`iamgate explain` as text and markdown, and the wording the html page shares with them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from iamgate.explain.model import (
    LEVEL_SHORT,
    LEVELS,
    OTHER_SERVICES,
    Ceiling,
    Cell,
    Explanation,
    Grant,
    ResourceLimit,
    Source,
)

SHOWN_ACTIONS = 8  # a longer list is cut, with its count; json carries every action


@dataclass(frozen=True)
class ServiceLimit:
    """One row of "where each limit comes from", gathered from a ceiling's cells."""

    service: str
    reach: str  # "s3:* on arn:... and arn:..." or "nothing"
    allowed_by: tuple[Source, ...]
    denied_by: tuple[Source, ...]
    not_allowed_by: tuple[str, ...]


def service_name(service: str) -> str:
    return "every other service" if service == OTHER_SERVICES else service


def limits(ceiling: Ceiling) -> list[ServiceLimit]:
    layer = ceiling.layers[-1]
    reach = {r.service: r for r in ceiling.reach}
    out = []
    for service in ceiling.services:
        cells = [c for c in layer.cells if c.service == service]
        item = reach.get(service)
        if item is not None:
            where = "any resource" if item.resources == ("*",) else " and ".join(item.resources)
            text = f"{item.label} on {where}"
            if item.conditions:
                text += f" (only when {'; '.join(item.conditions)})"
        else:
            text = "nothing"
        out.append(
            ServiceLimit(
                service=service,
                reach=text,
                allowed_by=_union(c.allowed_by for c in cells),
                denied_by=_union(c.denied_by for c in cells),
                not_allowed_by=tuple(sorted({n for c in cells for n in c.not_allowed_by})),
            )
        )
    return out


def _union(groups: Iterable[tuple[Source, ...]]) -> tuple[Source, ...]:
    seen: dict[Source, None] = {}
    for group in groups:
        for source in group:
            seen.setdefault(source)
    return tuple(sorted(seen, key=lambda s: (s.file, s.line)))


def cell_text(cell: Cell | None) -> str:
    if cell is None:
        return ""
    if cell.state == "none":
        return "-"
    if cell.state == "all":
        return "all"
    return f"{len(cell.allowed)}/{cell.total}"


def actions_text(actions: tuple[str, ...]) -> str:
    if len(actions) <= SHOWN_ACTIONS:
        return ", ".join(actions)
    return ", ".join(actions[:SHOWN_ACTIONS]) + f", … ({len(actions)} actions)"


def limit_sentence(limit: ServiceLimit) -> str:
    parts = []
    if limit.allowed_by:
        parts.append("allowed by " + "; ".join(s.label() for s in limit.allowed_by))
    if limit.not_allowed_by:
        rest = "the rest is not allowed by " if limit.allowed_by else "not allowed by "
        parts.append(rest + ", ".join(limit.not_allowed_by))
    if limit.denied_by:
        parts.append("denied by " + "; ".join(s.label() for s in limit.denied_by))
    return "; ".join(parts) or "no statement limits it"


def grant_lines(grant: Grant) -> list[str]:
    """The detail lines under a grant's title (shared by text and markdown)."""
    lines = [actions_text(grant.actions)]
    for denial in grant.denials:
        why = "; ".join(s.label() for s in denial.sources) or "no statement allows it"
        verb = "denied by" if denial.explicit else "not allowed:"
        lines.append(f"not on {denial.name}: {verb} {why}")
    verb = "denied by" if grant.kind == "never" else "allowed by"
    if grant.sources:
        lines.append(f"{verb} " + "; ".join(s.label() for s in grant.sources))
    return lines


def rcp_summary(explanation: Explanation) -> str:
    return "; ".join(f"{s.level}: {s.name} ({s.file})" for s in explanation.rcps)


def _denied_text(actions: tuple[str, ...], total: int) -> str:
    if not actions:
        return "nothing denied"
    if len(actions) == total:
        return f"every action denied ({total})"
    shown = ", ".join(actions[:SHOWN_ACTIONS])
    more = f", … ({len(actions)} of {total})" if len(actions) > SHOWN_ACTIONS else ""
    return f"denied: {shown}{more}"


def resource_limit_lines(limit: ResourceLimit) -> list[str]:
    """What the RCPs deny on one service's resources, per kind of caller, and where."""
    lines = [
        f"from outside the organization: {_denied_text(limit.outside, limit.total)}",
        f"from inside the organization: {_denied_text(limit.inside, limit.total)}",
        f"AWS service principals: {_denied_text(limit.services, limit.total)}",
    ]
    if limit.denied_by:
        lines.append("denied by " + "; ".join(s.label() for s in limit.denied_by))
    return lines


RESOURCE_LIMITS_TITLE = "Resource-side limits (RCPs) on the account's resources"


def scp_summary(explanation: Explanation) -> str:
    if not explanation.scps:
        return "none besides AWS's FullAWSAccess"
    return "; ".join(f"{s.level}: {s.name} ({s.file})" for s in explanation.scps)


# -- text --------------------------------------------------------------------------------


def as_text(explanation: Explanation) -> str:
    out = [
        f"iamgate explain {explanation.file}",
        f"  where: {explanation.where}",
        f"  SCPs:  {scp_summary(explanation)}",
    ]
    if explanation.rcps:
        out.append(f"  RCPs:  {rcp_summary(explanation)}")
    out += ["", "What the delegate can do in IAM"]
    if not explanation.grants:
        out.append("  nothing")
    for grant in explanation.grants:
        mark = "-" if grant.kind == "never" else "!" if grant.kind == "unbounded" else "+"
        out.append(f"  {mark} {grant.title}")
        out.extend(f"      {line}" for line in grant_lines(grant))
    for ceiling in explanation.ceilings:
        out += ["", f"Ceiling of every role the delegate creates ({_boundary_label(ceiling)})"]
        if ceiling.unsafe:
            out.append(f"  {unsafe_title(ceiling)}")
            out.extend(f"    ! {escape}" for escape in ceiling.escapes)
        out.append(f"  {ceiling.headline}")
        out.append("")
        out.extend(f"  {row}" for row in _text_table(ceiling))
        out.append("")
        out.append("  where each limit comes from:")
        for limit in limits(ceiling):
            out.append(f"    {service_name(limit.service)}: {limit.reach}")
            out.append(f"      {limit_sentence(limit)}")
        out.append(f"  {ceiling.other_services}")
    if explanation.resource_limits:
        out += ["", RESOURCE_LIMITS_TITLE]
        for resource_limit in explanation.resource_limits:
            out.append(f"  {resource_limit.service}:")
            out.extend(f"    {line}" for line in resource_limit_lines(resource_limit))
    if explanation.notes:
        out.append("")
        out.extend(f"note: {note}" for note in explanation.notes)
    return "\n".join(out) + "\n"


def unsafe_title(ceiling: Ceiling) -> str:
    count = len(ceiling.escapes)
    return (
        f"UNSAFE: a role created under the boundary {ceiling.boundary} can escalate "
        f"({count} escape{'s' if count > 1 else ''}, IG503)"
    )


def _boundary_label(ceiling: Ceiling) -> str:
    if ceiling.boundary is None:
        return "no boundary"
    return f"boundary {ceiling.boundary}, {ceiling.boundary_file}"


def _text_table(ceiling: Ceiling) -> list[str]:
    layer = ceiling.layers[-1]
    width = max(len(service_name(s)) for s in ceiling.services)
    header = "service".ljust(width) + "".join(f"  {LEVEL_SHORT[level]:>7}" for level in LEVELS)
    rows = [header]
    for service in ceiling.services:
        cells = "".join(f"  {cell_text(layer.cell(service, level)):>7}" for level in LEVELS)
        rows.append(service_name(service).ljust(width) + cells)
    rows.append("(actions allowed / actions of that access level; - none)")
    return rows


# -- markdown ----------------------------------------------------------------------------


def as_markdown(explanation: Explanation) -> str:
    out = [
        f"## iamgate explain `{explanation.file}`",
        "",
        f"**Where:** {explanation.where}  ",
        f"**SCPs:** {scp_summary(explanation)}" + ("  " if explanation.rcps else ""),
    ]
    if explanation.rcps:
        out.append(f"**RCPs:** {rcp_summary(explanation)}")
    out.append("")
    for ceiling in explanation.ceilings:
        if ceiling.unsafe:
            out += [f"> ⛔ **{unsafe_title(ceiling)}**", ">"]
            out += [f"> - {escape}" for escape in ceiling.escapes]
            out.append(">")
        out += [f"> **{ceiling.headline}**", ""]
    out += ["### What the delegate can do in IAM", ""]
    if not explanation.grants:
        out.append("Nothing.")
    for grant in explanation.grants:
        mark = {"never": "⛔", "unbounded": "⚠️"}.get(grant.kind, "✅")
        out.append(f"- {mark} **{grant.title}**")
        lines = grant_lines(grant)
        out.append(f"  - {_code_list(grant.actions)}")
        out.extend(f"  - {line}" for line in lines[1:])
    for ceiling in explanation.ceilings:
        out += [
            "",
            f"### Ceiling of every role the delegate creates ({_boundary_label(ceiling)})",
            "",
        ]
        layer_titles = " ∩ ".join(layer.title for layer in ceiling.layers[:-1])
        out += [f"{layer_titles} = **ceiling**, by service and access level:", ""]
        out.append("| service | " + " | ".join(LEVELS) + " |")
        out.append("|---" * (len(LEVELS) + 1) + "|")
        layer = ceiling.layers[-1]
        for service in ceiling.services:
            cells = " | ".join(cell_text(layer.cell(service, level)) for level in LEVELS)
            out.append(f"| {service_name(service)} | {cells} |")
        out += ["", "| service | reaches | set by |", "|---|---|---|"]
        for limit in limits(ceiling):
            out.append(
                f"| {service_name(limit.service)} | {limit.reach} | {limit_sentence(limit)} |"
            )
        out += ["", ceiling.other_services]
    if explanation.resource_limits:
        out += ["", f"### {RESOURCE_LIMITS_TITLE}", ""]
        for resource_limit in explanation.resource_limits:
            out.append(f"- **{resource_limit.service}**")
            out.extend(f"  - {line}" for line in resource_limit_lines(resource_limit))
    if explanation.notes:
        out.append("")
        out.extend(f"> note: {note}" for note in explanation.notes)
    return "\n".join(out) + "\n"


def _code_list(actions: tuple[str, ...]) -> str:
    shown = ", ".join(f"`{a}`" for a in actions[:SHOWN_ACTIONS])
    more = f" … ({len(actions)} actions)" if len(actions) > SHOWN_ACTIONS else ""
    return shown + more
