"""How the grammar's messages name things: JSON paths, quoted values, did-you-mean suggestions."""

from __future__ import annotations

import difflib
import json
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from iamgate.document import JsonPath

_PLAIN_KEY = re.compile(r"[A-Za-z_][\w:/-]*")


def suggest(word: str, candidates: list[str]) -> str | None:
    """The closest candidate, preferring a difference of case only."""
    by_lower = {c.lower(): c for c in candidates}
    if word.lower() in by_lower:
        return by_lower[word.lower()]
    close = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.6)
    return by_lower[close[0]] if close else None


def where(path: JsonPath) -> str:
    """A JSON path as a reader writes it: Statement[2].Condition.StringEquals."""
    if not path:
        return "the policy"
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.fullmatch(part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part)}]"
    return out


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "null"


def _show(value: Any) -> str:
    """A value quoted for a message: ASCII-safe, short, never a whole nested structure."""
    if isinstance(value, list | dict):
        return _kind_of(value)
    shown = json.dumps(value)
    return shown if len(shown) <= 80 else shown[:76] + '..."'
