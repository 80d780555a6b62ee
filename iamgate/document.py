"""Strict JSON documents whose every node can be traced to a line and column.

Parsing uses the C-accelerated ``json`` module; the position index is built only
when a finding asks where something is, so a clean file never pays for it.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

JsonPath = tuple[str | int, ...]
Position = tuple[int, int]

_STRING = re.compile(r'"(?:[^"\\\x00-\x1f]|\\.)*"', re.DOTALL)
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")
_WS = re.compile(r"[ \t\r\n]*")


class LoadError(Exception):
    """A file that is not a strict JSON object; ``rule`` says which way it fails."""

    def __init__(self, rule: str, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message
        self.line = line
        self.column = column


class _DuplicateKey(Exception):
    pass


@dataclass
class Document:
    display: str
    text: str
    data: Any
    _values: dict[JsonPath, Position] | None = field(default=None, repr=False)
    _keys: dict[JsonPath, Position] = field(default_factory=dict, repr=False)

    def _index(self) -> dict[JsonPath, Position]:
        if self._values is None:
            values: dict[JsonPath, Position] = {}
            _Scanner(self.text, values, self._keys).scan()
            self._values = values
        return self._values

    def locate(self, path: JsonPath) -> Position:
        """Where the value at ``path`` starts; the nearest existing ancestor if it is absent."""
        values = self._index()
        for end in range(len(path), -1, -1):
            found = values.get(tuple(path[:end]))
            if found is not None:
                return found
        return (1, 1)

    def locate_key(self, path: JsonPath) -> Position:
        """Where the member name of ``path`` starts (the value for list items)."""
        self._index()
        found = self._keys.get(tuple(path))
        return found if found is not None else self.locate(path)


def parse(raw: bytes, display: str) -> Document:
    if not raw.strip():
        raise LoadError("IG004", "the file is empty; a policy is a JSON object")
    if b"\x00" in raw:
        line, column = _byte_position(raw, raw.index(b"\x00"))
        raise LoadError(
            "IG004", "the file is binary (it contains NUL bytes), not a JSON policy", line, column
        )
    if raw.startswith(b"\xef\xbb\xbf"):
        raise LoadError(
            "IG002", "the file starts with a UTF-8 byte-order mark; IAM rejects it, save without BOM"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _byte_position(raw, exc.start)
        raise LoadError(
            "IG002",
            f"byte 0x{raw[exc.start]:02x} is not valid UTF-8; IAM policies must be UTF-8 "
            "(was the file saved as Latin-1 or Windows-1252?)",
            line,
            column,
        ) from None
    return parse_text(text, display)


def parse_text(text: str, display: str) -> Document:
    try:
        data = json.loads(text, object_pairs_hook=_strict_object, parse_constant=_no_constant)
    except _DuplicateKey:
        # Rescan only now, to say where the second occurrence is.
        _Scanner(text, {}, {}).scan()
        raise AssertionError("scanner accepted a document json rejected") from None
    except _BadConstant as exc:
        line, column = _char_position(text, text.find(str(exc)))
        raise LoadError(
            "IG001", f"{exc} is not a JSON value; write it as a string", line, column
        ) from None
    except json.JSONDecodeError as exc:
        raise _syntax_error(text, exc) from None
    except RecursionError:
        raise LoadError("IG001", "the document nests too deeply to be a policy") from None
    if not isinstance(data, dict):
        kind = type(data).__name__.replace("dict", "object").replace("list", "array")
        raise LoadError("IG004", f"the top level is a JSON {kind}; a policy is a JSON object")
    return Document(display, text, data)


def load(path: Path, display: str) -> Document:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LoadError("IG005", f"cannot read the file: {exc.strerror or exc}") from None
    return parse(raw, display)


class _BadConstant(ValueError):
    pass


def _no_constant(name: str) -> Any:
    raise _BadConstant(name)


def _strict_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _DuplicateKey
    return out


def _byte_position(raw: bytes, offset: int) -> Position:
    line_start = raw.rfind(b"\n", 0, offset) + 1
    column = len(raw[line_start:offset].decode("utf-8", errors="replace")) + 1
    return raw.count(b"\n", 0, offset) + 1, column


def _char_position(text: str, offset: int) -> Position:
    offset = max(offset, 0)
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _syntax_error(text: str, exc: json.JSONDecodeError) -> LoadError:
    pos = exc.pos
    here = text[pos : pos + 2]
    before = text[:pos].rstrip()
    if here.startswith(("//", "/*")) or here.startswith("#"):
        return LoadError("IG001", "comments are not allowed in JSON policies", *_char_position(text, pos))
    if before.endswith(",") and here[:1] in ("}", "]"):
        comma = len(before) - 1
        return LoadError(
            "IG001",
            f"trailing comma before '{here[:1]}'; remove it (JSON allows no trailing commas)",
            *_char_position(text, comma),
        )
    if exc.msg == "Extra data":
        return LoadError(
            "IG001", "unexpected text after the end of the policy object", exc.lineno, exc.colno
        )
    if pos >= len(text):
        return LoadError(
            "IG001", "the file ends before the JSON is complete (a missing '}' or ']'?)",
            exc.lineno, exc.colno,
        )
    if here[:1] == "'":
        return LoadError(
            "IG001", "strings must use double quotes, not single quotes", exc.lineno, exc.colno
        )
    return LoadError("IG001", f"invalid JSON: {exc.msg[0].lower()}{exc.msg[1:]}", exc.lineno, exc.colno)


class _Scanner:
    """Records where each value (and member name) starts; detects duplicate names."""

    def __init__(self, text: str, values: dict[JsonPath, Position], keys: dict[JsonPath, Position]):
        self.text = text
        self.values = values
        self.keys = keys
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def position(self, offset: int) -> Position:
        line = bisect.bisect_right(self.line_starts, offset)
        return line, offset - self.line_starts[line - 1] + 1

    def skip(self, pos: int) -> int:
        return _WS.match(self.text, pos).end()  # type: ignore[union-attr]

    def scan(self) -> None:
        self.value(self.skip(0), ())

    def value(self, pos: int, path: JsonPath) -> int:
        self.values[path] = self.position(pos)
        ch = self.text[pos : pos + 1]
        if ch == "{":
            return self.obj(pos + 1, path)
        if ch == "[":
            return self.arr(pos + 1, path)
        if ch == '"':
            return _STRING.match(self.text, pos).end()  # type: ignore[union-attr]
        for literal in ("true", "false", "null"):
            if self.text.startswith(literal, pos):
                return pos + len(literal)
        match = _NUMBER.match(self.text, pos)
        return match.end() if match else pos + 1

    def obj(self, pos: int, path: JsonPath) -> int:
        seen: set[str] = set()
        pos = self.skip(pos)
        if self.text[pos : pos + 1] == "}":
            return pos + 1
        while True:
            match = _STRING.match(self.text, pos)
            if match is None:
                return pos
            key = json.loads(match.group())
            if key in seen:
                line, column = self.position(pos)
                raise LoadError(
                    "IG003",
                    f'duplicate key "{key}": JSON parsers keep only one of them, silently; '
                    "merge the two into one",
                    line,
                    column,
                )
            seen.add(key)
            self.keys[(*path, key)] = self.position(pos)
            pos = self.skip(match.end())
            pos = self.skip(pos + 1)  # the colon
            pos = self.skip(self.value(pos, (*path, key)))
            if self.text[pos : pos + 1] == ",":
                pos = self.skip(pos + 1)
                continue
            return pos + 1

    def arr(self, pos: int, path: JsonPath) -> int:
        pos = self.skip(pos)
        if self.text[pos : pos + 1] == "]":
            return pos + 1
        index = 0
        while True:
            pos = self.skip(self.value(pos, (*path, index)))
            index += 1
            if self.text[pos : pos + 1] == ",":
                pos = self.skip(pos + 1)
                continue
            return pos + 1
