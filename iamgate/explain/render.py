"""`iamgate explain` in the format asked for: json, markdown, html or text."""

from __future__ import annotations

import json

from iamgate.explain.model import Explanation


def render(fmt: str, explanation: Explanation) -> str:
    if fmt == "json":
        return json.dumps(explanation.to_dict(), indent=2) + "\n"
    if fmt == "markdown":
        from iamgate.explain.text import as_markdown

        return as_markdown(explanation)
    if fmt == "html":
        from iamgate.explain.html import as_html

        return as_html(explanation)
    from iamgate.explain.text import as_text

    return as_text(explanation)
