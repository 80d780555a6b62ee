"""A fast reader for the plain YAML that iamgate.yaml is written in, with ruamel's positions.

Importing ruamel.yaml and its round-trip parse cost a pre-commit hook more than checking
three policies. Most configurations use a small part of YAML: block mappings and sequences,
one-line flow sequences, plain and quoted one-line scalars, comments. ``read`` reads exactly
that part, into the shape ruamel's round-trip parser gives (mappings and sequences whose
``lc`` says where each key, value and item starts, 0-based), and returns None for anything
else — anchors, tags, multi-line scalars, escapes, tabs, non-ASCII text, duplicate keys, a
scalar whose type is not plain (1.5, 0x1f, null) — which ruamel then reads (and locates its
errors) as before. A property test holds the two readers to the same data and positions.
"""

from __future__ import annotations

import re
from typing import Any

Place = tuple[int, int]

# A member name: a plain key that YAML 1.2 resolves to text (never true, null or a number).
_KEY = re.compile(r"([A-Za-z_/][A-Za-z0-9_./-]*|\"[^\"\\]*\"|'(?:[^']|'')*')[ ]*:(?: |$)")
_NOT_TEXT = frozenset({"true", "True", "TRUE", "false", "False", "FALSE", "null", "Null", "NULL"})
_INTEGER = re.compile(r"[1-9][0-9]*")  # ruamel keeps 0 and 012 as a ScalarInt
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # a timestamp, which iamgate reads as text
_PLAIN_START = re.compile(r"[A-Za-z0-9/]")
_FLOW_ITEM = re.compile(r"[ ]*(\"[^\"\\]*\"|'(?:[^']|'')*'|[^,\[\]{}\"'#: ]+)[ ]*([,\]])")
_ASCII = re.compile(r"[\n\x20-\x7e]*")


class Lines:
    """Where a mapping's keys and values or a sequence's items start (ruamel's ``lc``)."""

    __slots__ = ("_items", "_keys", "_values", "col", "line")

    def __init__(self, place: Place) -> None:
        self.line, self.col = place
        self._keys: dict[Any, Place] = {}
        self._values: dict[Any, Place] = {}
        self._items: list[Place] = []

    def key(self, key: Any) -> Place:
        return self._keys[key]

    def value(self, key: Any) -> Place:
        return self._values[key]

    def item(self, index: int) -> Place:
        return self._items[index]


class Mapping(dict[str, Any]):
    __slots__ = ("lc",)

    def __init__(self, place: Place) -> None:
        super().__init__()
        self.lc = Lines(place)


class Sequence(list[Any]):
    __slots__ = ("lc",)

    def __init__(self, place: Place) -> None:
        super().__init__()
        self.lc = Lines(place)


class _Outside(Exception):
    """The text leaves the part of YAML this reader knows."""


def read(text: str) -> Mapping | None:
    """The configuration's top-level mapping, or None: ruamel must read this text."""
    if not _ASCII.fullmatch(text):
        return None  # tabs, CR, non-ASCII: ruamel's rules for them are its own
    lines = [
        (number, len(line) - len(line.lstrip(" ")), line.rstrip(" "))
        for number, line in enumerate(text.split("\n"))
        if line.strip(" ") and not line.lstrip(" ").startswith("#")
    ]
    if not lines or lines[0][1] != 0:
        return None
    try:
        node, end = _Reader(lines).block(0, 0)
    except _Outside:
        return None
    return node if end == len(lines) and isinstance(node, Mapping) else None


class _Reader:
    def __init__(self, lines: list[tuple[int, int, str]]) -> None:
        self.lines = lines

    def block(self, at: int, indent: int) -> tuple[Mapping | Sequence, int]:
        """The mapping or sequence whose lines start at ``at``, indented by ``indent``."""
        number, _, line = self.lines[at]
        if line[indent] == "-":
            return self.sequence(at, indent)
        return self.mapping(at, indent, (number, indent, line[indent:]))

    def mapping(self, at: int, indent: int, first: tuple[int, int, str]) -> tuple[Mapping, int]:
        """``first``: the line of the first key (line, column, text from the key on); later
        keys are the lines after it indented by ``indent``."""
        out = Mapping((first[0], first[1]))
        number, column, text = first
        while True:
            match = _KEY.match(text)
            if match is None:
                raise _Outside
            key = _scalar(match.group(1))
            if not isinstance(key, str) or key in out:
                raise _Outside
            out.lc._keys[key] = (number, column)
            rest_at = column + match.end()
            rest = text[match.end() :].lstrip(" ")
            rest_at += len(text) - match.end() - len(rest)
            if rest and not rest.startswith("#"):
                out.lc._values[key] = (number, rest_at)
                out[key] = self.inline(rest, number, rest_at)
                at += 1
            else:
                at += 1
                if at == len(self.lines):
                    raise _Outside  # an empty value: null
                inner = self.lines[at][1]
                nested_sequence = inner == indent and self.lines[at][2][inner] == "-"
                if inner <= indent and not nested_sequence:
                    raise _Outside
                value, at = self.block(at, inner)
                out.lc._values[key] = (value.lc.line, value.lc.col)
                out[key] = value
            if at == len(self.lines) or self.lines[at][1] != indent:
                if at < len(self.lines) and self.lines[at][1] > indent:
                    raise _Outside  # a continuation line: a multi-line scalar
                return out, at
            number, column, line = self.lines[at]
            text = line[indent:]
            if text.startswith("-"):
                return out, at  # an indentless sequence of the key above ends here

    def sequence(self, at: int, indent: int) -> tuple[Sequence, int]:
        out = Sequence((self.lines[at][0], indent))
        while at < len(self.lines) and self.lines[at][1] == indent:
            number, _, line = self.lines[at]
            if not line.startswith("- ", indent):
                if line[indent] == "-":
                    raise _Outside  # "-x", or a lone "-" whose item follows below
                break
            text = line[indent + 2 :]
            column = indent + 2 + len(text) - len(text.lstrip(" "))
            text = text.lstrip(" ")
            if text.startswith("#") or text.startswith("-"):
                raise _Outside
            out.lc._items.append((number, column))
            if _KEY.match(text):
                item, at = self.mapping(at, column, (number, column, text))
                out.append(item)
                if at < len(self.lines) and self.lines[at][1] > indent:
                    raise _Outside  # between the dash and the item's keys
            else:
                out.append(self.inline(text, number, column))
                at += 1
                if at < len(self.lines) and self.lines[at][1] > indent:
                    raise _Outside  # a continuation line
        return out, at

    def inline(self, text: str, number: int, column: int) -> Any:
        """A value on the rest of a line: a flow sequence of scalars, or a scalar."""
        if text.startswith("["):
            return _flow(text, number, column)
        return _scalar(_token(text))


def _flow(text: str, number: int, column: int) -> Sequence:
    out = Sequence((number, column))
    position = 1
    while True:
        match = _FLOW_ITEM.match(text, position)
        if match is None:
            raise _Outside  # [], a trailing comma, a nested collection, a comment inside
        out.lc._items.append((number, column + match.start(1)))
        out.append(_scalar(match.group(1)))
        position = match.end()
        if match.group(2) == "]":
            break
    _only_comment(text[position:])
    return out


def _token(text: str) -> str:
    """A one-line scalar's text (quotes kept), without the comment after it."""
    if not text.startswith(('"', "'")):
        cut = text.find(" #")
        return (text if cut == -1 else text[:cut]).rstrip(" ")
    quote, start = text[0], 1
    while True:
        end = text.find(quote, start)
        if end == -1:
            raise _Outside  # the string goes on to the next line
        if quote == "'" and text.startswith("''", end):
            start = end + 2
            continue
        break
    _only_comment(text[end + 1 :])
    return text[: end + 1]


def _only_comment(rest: str) -> None:
    """What follows a value on its line must be nothing, or a comment after a space."""
    stripped = rest.lstrip(" ")
    if stripped and not (stripped.startswith("#") and len(stripped) < len(rest)):
        raise _Outside


def _scalar(token: str) -> Any:
    """A one-line scalar as ruamel's round-trip reader types it (dates stay text)."""
    if token.startswith('"'):
        if "\\" in token or not token.endswith('"') or len(token) < 2:
            raise _Outside
        return token[1:-1]
    if token.startswith("'"):
        if not token.endswith("'") or len(token) < 2:
            raise _Outside
        return token[1:-1].replace("''", "'")
    if not token or not _PLAIN_START.match(token) or ": " in token or token.endswith(":"):
        raise _Outside
    if token in _NOT_TEXT:
        if token == "true":
            return True
        if token == "false":
            return False
        raise _Outside
    if token[0].isdigit():
        if _INTEGER.fullmatch(token):
            return int(token)
        if _DATE.fullmatch(token):
            return token
        raise _Outside
    return token
