"""`iamgate explain` in the format asked for: json, markdown, html or text."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from iamgate.explain.model import Explanation


def render(fmt: str, explanation: Explanation, tool: Mapping[str, Any] | None = None) -> str:
    """``tool`` (iamgate's and the catalog's versions) heads the json, as in lint's."""
    if fmt == "json":
        data = explanation.to_dict()
        if tool is not None:
            data = {"tool": dict(tool), **data}
        return json.dumps(data, indent=2) + "\n"
    if fmt == "markdown":
        from iamgate.explain.text import as_markdown

        return as_markdown(explanation)
    if fmt == "html":
        from iamgate.explain.html import as_html

        return as_html(explanation)
    from iamgate.explain.text import as_text

    return as_text(explanation)
