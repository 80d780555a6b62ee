"""``json.dumps(value, indent=2, ensure_ascii=False)``, faster: the machine reports of a large
corpus are tens of thousands of values, and with an indent json encodes them in Python,
one generator step per value. Here each container is one list of parts, joined once;
strings go through json's own C escaping. The same text, character for character (a
property test holds it to json.dumps)."""

from __future__ import annotations

from json.encoder import encode_basestring
from typing import Any

_INDENT = "  "


def dumps(value: Any) -> str:
    out: list[str] = []
    _write(value, out, "\n")
    return "".join(out)


def _scalar(value: Any) -> str | None:
    """The text of a value of exactly str, int, None or bool (most of a report's values,
    written without a call per value); None for anything else, which _write handles."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    return None


def _write(value: Any, out: list[str], newline: str) -> None:
    kind = type(value)
    if kind is dict:
        if not value:
            out.append("{}")
            return
        inner = newline + _INDENT
        lead = "{" + inner
        for key, item in value.items():
            name = encode_basestring(key if type(key) is str else _key(key))
            text = _scalar(item)
            if text is not None:
                out.append(f"{lead}{name}: {text}")
            else:
                out.append(f"{lead}{name}: ")
                _write(item, out, inner)
            lead = "," + inner
        out.append(newline + "}")
    elif kind is list or kind is tuple:
        if not value:
            out.append("[]")
            return
        inner = newline + _INDENT
        lead = "[" + inner
        for item in value:
            text = _scalar(item)
            if text is not None:
                out.append(lead + text)
            else:
                out.append(lead)
                _write(item, out, inner)
            lead = "," + inner
        out.append(newline + "]")
    else:
        _write_other(value, out, newline)


def _write_other(value: Any, out: list[str], newline: str) -> None:
    """json's own order of tests, for scalars and for subclasses of the containers."""
    if isinstance(value, str):
        out.append(encode_basestring(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, float):
        out.append(_float(value))
    elif isinstance(value, list | tuple):
        if not value:
            out.append("[]")
            return
        inner = newline + _INDENT
        out.append("[")
        for n, item in enumerate(value):
            out.append(inner if n == 0 else "," + inner)
            _write(item, out, inner)
        out.append(newline + "]")
    elif isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        inner = newline + _INDENT
        out.append("{")
        for n, (key, item) in enumerate(value.items()):
            out.append(inner if n == 0 else "," + inner)
            out.append(encode_basestring(_key(key)))
            out.append(": ")
            _write(item, out, inner)
        out.append(newline + "}")
    else:
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _float(value: float) -> str:
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    return float.__repr__(value)


def _key(key: Any) -> str:
    # json's own conversions of keys that are not strings.
    if isinstance(key, str):
        return key
    if isinstance(key, float):
        return _float(key)
    if key is True:
        return "true"
    if key is False:
        return "false"
    if key is None:
        return "null"
    if isinstance(key, int):
        return int.__repr__(key)
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")
