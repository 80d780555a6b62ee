"""`iamgate explain --format html`: one self-contained page a reviewer would rather look at.

Inline CSS and SVG only: no script, no font, no image, nothing fetched. The picture puts the
layers side by side — any policy ∩ boundary ∩ SCPs = ceiling — as grids of service x access
level, so what survives the intersection is seen, not deduced.
"""

from __future__ import annotations

from html import escape

from iamgate.explain.model import LEVEL_SHORT, LEVELS, Ceiling, Cell, Explanation, Grant, Layer
from iamgate.explain.text import (
    RESOURCE_LIMITS_TITLE,
    actions_text,
    cell_text,
    limit_sentence,
    limits,
    resource_limit_lines,
    scp_summary,
    service_name,
    unsafe_title,
)

CELL_W, CELL_H, GAP = 40, 26, 3
LABEL_W, PANEL_GAP, TOP = 140, 40, 70
COLOURS = {"all": "#2e7d32", "some": "#8bc98e", "none": "#eceff1"}
TEXT_COLOURS = {"all": "#ffffff", "some": "#10301a", "none": "#90a4ae"}
PANEL_KIND = {
    "identity": "Any policy",
    "boundary": "Boundary",
    "scps": "SCPs",
    "rcps": "RCPs",
    "ceiling": "Ceiling",
}

CSS = """
body{font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1c2833;
 margin:0;background:#f6f8fa}
main{max-width:1140px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:18px;margin:32px 0 10px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
.where{color:#57606a;margin:0 0 16px}
.verdict{background:#e8f5e9;border-left:6px solid #2e7d32;padding:12px 16px;font-size:17px;
 font-weight:600;margin:12px 0}
.verdict.bad{background:#fdecea;border-color:#c62828}
.unsafe p{margin:0 0 6px}
.unsafe ul{margin:0;padding-left:20px;font-size:13.5px;font-weight:400}
.picture{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:12px;overflow-x:auto}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border:1px solid #d0d7de;padding:6px 8px;text-align:left;vertical-align:top;font-size:14px}
th{background:#f0f3f6}
.grant{background:#fff;border:1px solid #d0d7de;border-left:6px solid #2e7d32;border-radius:6px;
 padding:8px 12px;margin:8px 0}
.never-grant{border-left-color:#6e7781}
.unbounded-grant{border-left-color:#c62828;background:#fdecea}
.grant h3{font-size:15px;margin:0 0 4px}
.grant p,.grant ul{margin:2px 0;font-size:13.5px}
.grant ul{padding-left:18px}
code,pre{font:12.5px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.policies{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:12px}
.policies section{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:8px 12px}
.policies h3{font-size:14px;margin:0 0 6px}
.policies pre{margin:0;overflow-x:auto;max-height:420px}
.muted{color:#57606a;font-size:13px}
.note{background:#fff8c5;border:1px solid #d4a72c;padding:8px 12px;border-radius:6px}
"""


def as_html(explanation: Explanation) -> str:
    title = f"What {explanation.policy} lets a delegate reach"
    body = [
        f"<h1>{escape(title)}</h1>",
        f'<p class="where">{escape(explanation.file)} · {escape(explanation.where)} · SCPs: '
        f"{escape(scp_summary(explanation))}</p>",
    ]
    for note in explanation.notes:
        body.append(f'<p class="note">{escape(note)}</p>')
    for ceiling in explanation.ceilings:
        if ceiling.unsafe:
            body.append(f'<div class="verdict bad unsafe"><p>{escape(unsafe_title(ceiling))}</p>')
            body.append("<ul>" + "".join(f"<li>{escape(e)}</li>" for e in ceiling.escapes))
            body.append("</ul></div>")
        bad = " bad" if ceiling.boundary is None or ceiling.unsafe else ""
        body.append(f'<p class="verdict{bad}">{escape(ceiling.headline)}</p>')
    for ceiling in explanation.ceilings:
        body += _ceiling_section(ceiling)
    if explanation.resource_limits:
        body.append(f"<h2>{escape(RESOURCE_LIMITS_TITLE)}</h2>")
        for limit in explanation.resource_limits:
            items = "".join(f"<li>{escape(line)}</li>" for line in resource_limit_lines(limit))
            body.append(f"<section><h3>{escape(limit.service)}</h3><ul>{items}</ul></section>")
    body.append("<h2>What the delegate can do in IAM</h2>")
    if not explanation.grants:
        body.append("<p>Nothing.</p>")
    body += [_grant(grant) for grant in explanation.grants]
    body += _policies(explanation)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head>\n"
        "<body><main>\n" + "\n".join(body) + "\n</main></body></html>\n"
    )


def _ceiling_section(ceiling: Ceiling) -> list[str]:
    which = f"boundary {ceiling.boundary}" if ceiling.boundary else "no boundary"
    out = [
        f"<h2>Ceiling of every role the delegate creates ({escape(which)})</h2>",
        '<div class="picture">',
        picture(ceiling),
        "</div>",
        '<p class="muted">Each square is one service × catalog access level: dark, every action '
        "of it; light with a count, some actions (allowed on at least one resource / all); grey, "
        "none. A red corner marks a Deny statement at work.</p>",
        "<table><tr><th>service</th><th>reaches</th><th>set by</th></tr>",
    ]
    for limit in limits(ceiling):
        out.append(
            f"<tr><td>{escape(service_name(limit.service))}</td><td>{escape(limit.reach)}</td>"
            f"<td>{escape(limit_sentence(limit))}</td></tr>"
        )
    out.append("</table>")
    out.append(f'<p class="muted">{escape(ceiling.other_services)}</p>')
    return out


def picture(ceiling: Ceiling) -> str:
    """The layers as grids side by side: any policy ∩ boundary ∩ SCPs = ceiling."""
    rows = ceiling.services
    panel_w = len(LEVELS) * (CELL_W + GAP) - GAP
    width = LABEL_W + len(ceiling.layers) * panel_w + (len(ceiling.layers) - 1) * PANEL_GAP + 8
    height = TOP + len(rows) * (CELL_H + GAP) + 12
    parts = [
        f'<svg width="100%" style="max-width:{width}px" viewBox="0 0 {width} {height}" '
        'role="img" font-family="system-ui,sans-serif">',
        f"<title>{escape(ceiling.headline)}</title>",
    ]
    for index, service in enumerate(rows):
        y = TOP + index * (CELL_H + GAP) + CELL_H / 2 + 4
        parts.append(
            f'<text x="{LABEL_W - 10}" y="{y:.0f}" text-anchor="end" font-size="13" '
            f'fill="#1c2833">{escape(service_name(service))}</text>'
        )
    for number, layer in enumerate(ceiling.layers):
        x0 = LABEL_W + number * (panel_w + PANEL_GAP)
        parts += _panel(layer, x0, panel_w, rows)
        if number < len(ceiling.layers) - 1:
            symbol = "=" if number == len(ceiling.layers) - 2 else "∩"
            mid_y = TOP + len(rows) * (CELL_H + GAP) / 2 + 8
            x = x0 + panel_w + PANEL_GAP / 2
            parts.append(
                f'<text x="{x:.0f}" y="{mid_y:.0f}" text-anchor="middle" '
                f'font-size="26" fill="#57606a">{symbol}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _panel(layer: Layer, x0: float, panel_w: float, rows: tuple[str, ...]) -> list[str]:
    ceiling = layer.kind == "ceiling"
    detail = layer.title.removeprefix("Boundary ").removeprefix("SCPs on ")
    detail = detail.removeprefix("RCPs on ")
    if layer.kind == "identity":
        detail = "even AdministratorAccess"
    if ceiling:
        detail = "what a created role can reach"
    if len(detail) > 30:
        detail = "…" + detail[-29:]
    weight = ' font-weight="700"' if ceiling else ""
    names = ", ".join(name for name, _ in layer.policies)
    out = [
        f"<g><title>{escape(layer.title)}: {escape(names)}</title>",
        f'<text x="{x0 + panel_w / 2:.0f}" y="18" text-anchor="middle" font-size="14"{weight} '
        f'fill="#1c2833">{escape(PANEL_KIND[layer.kind])}</text>',
        f'<text x="{x0 + panel_w / 2:.0f}" y="35" text-anchor="middle" font-size="11.5" '
        f'fill="#57606a">{escape(detail)}</text></g>',
    ]
    for column, level in enumerate(LEVELS):
        x = x0 + column * (CELL_W + GAP) + CELL_W / 2
        out.append(
            f'<text x="{x:.0f}" y="{TOP - 8}" text-anchor="middle" font-size="10.5" '
            f'fill="#57606a">{LEVEL_SHORT[level]}</text>'
        )
    if ceiling:
        height = len(rows) * (CELL_H + GAP) + 6
        out.append(
            f'<rect x="{x0 - 4}" y="{TOP - 4}" width="{panel_w + 8}" height="{height}" rx="6" '
            'fill="none" stroke="#2e7d32" stroke-width="2"/>'
        )
    for row, service in enumerate(rows):
        for column, level in enumerate(LEVELS):
            x = x0 + column * (CELL_W + GAP)
            y = TOP + row * (CELL_H + GAP)
            out.append(_cell(layer.cell(service, level), x, y, service, level))
    return out


def _cell(cell: Cell | None, x: float, y: float, service: str, level: str) -> str:
    state = cell.state if cell is not None else "none"
    tip = f"{service_name(service)} · {level}: "
    if cell is None:
        tip += "no action of this level"
    else:
        tip += f"{len(cell.allowed)} of {cell.total} actions"
        if cell.allowed and cell.resources:
            where = "any resource" if cell.resources == ("*",) else ", ".join(cell.resources)
            tip += f", on {where}"
        if cell.conditions:
            tip += f", only when {'; '.join(cell.conditions)}"
        if cell.denied_by:
            tip += "; denied by " + "; ".join(s.label() for s in cell.denied_by)
    label = cell_text(cell) if state == "some" else ("all" if state == "all" else "")
    out = [
        f"<g><title>{escape(tip)}</title>",
        f'<rect x="{x:.0f}" y="{y:.0f}" width="{CELL_W}" height="{CELL_H}" rx="4" '
        f'fill="{COLOURS[state]}"/>',
    ]
    if label:
        out.append(
            f'<text x="{x + CELL_W / 2:.0f}" y="{y + CELL_H / 2 + 4:.0f}" text-anchor="middle" '
            f'font-size="10.5" fill="{TEXT_COLOURS[state]}">{escape(label)}</text>'
        )
    if cell is not None and cell.denied_by:
        out.append(
            f'<path d="M{x + CELL_W - 11:.0f} {y:.0f} h7 a4 4 0 0 1 4 4 v7 z" fill="#c62828"/>'
        )
    out.append("</g>")
    return "".join(out)


def _grant(grant: Grant) -> str:
    items = []
    for denial in grant.denials:
        why = "; ".join(s.label() for s in denial.sources) or "no statement allows it"
        verb = "denied by" if denial.explicit else "not allowed:"
        items.append(f"<li>not on <b>{escape(denial.name)}</b>: {verb} {escape(why)}</li>")
    verb = "denied by" if grant.kind == "never" else "allowed by"
    sources = "; ".join(s.label() for s in grant.sources)
    return (
        f'<div class="grant {escape(grant.kind)}-grant"><h3>{escape(grant.title)}</h3>'
        f"<p><code>{escape(actions_text(grant.actions))}</code></p>"
        + (f"<ul>{''.join(items)}</ul>" if items else "")
        + (f'<p class="muted">{verb} {escape(sources)}</p>' if sources else "")
        + "</div>"
    )


def _policies(explanation: Explanation) -> list[str]:
    out = ["<h2>The policies, side by side</h2>", '<div class="policies">']
    documents = [
        (f"Delegation policy {explanation.policy}", explanation.file, explanation.policy_text)
    ]
    files = {c.boundary: c.boundary_file or "" for c in explanation.ceilings}
    documents += [
        (f"Boundary {name}", files.get(name, ""), text) for name, text in explanation.boundary_texts
    ]
    documents += [(f"SCP {s.name} (on {s.level})", s.file, s.text) for s in explanation.scps]
    documents += [(f"RCP {s.name} (on {s.level})", s.file, s.text) for s in explanation.rcps]
    for title, file, text in documents:
        out.append(
            f"<section><h3>{escape(title)}</h3>"
            + (f'<p class="muted">{escape(file)}</p>' if file else "")
            + f"<pre>{escape(text.strip())}</pre></section>"
        )
    out.append("</div>")
    return out
