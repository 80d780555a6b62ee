"""Strict JSON documents whose every node can be traced to a line and column.

Parsing uses the C-accelerated ``json`` module; the position index is built only
when a finding asks where something is, so a clean file never pays for it.
"""

from __future__ import annotations

import json
import os
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from enum import Enum, auto
from itertools import accumulate
from json.scanner import make_scanner
from pathlib import Path
from typing import Any, Literal

JsonPath = tuple[str | int, ...]
# The grammar a document is read with (and, built, the policy model's kind).
PolicyKind = Literal["identity", "boundary", "scp", "rcp"]
Position = tuple[int, int]

# Patterns that only a broken file or a rare one needs: compiled by re (and kept in its
# cache) when first used, not at every start-up.
# A string, a bracket or separator, or a bare number or literal (whitespace between).
_TOKEN = r'(?s)"(?:[^"\\]|\\.)*"|[{}\[\],:]|[^ \t\r\n{}\[\],:"]+'
# A string or a non-JSON constant, so a constant is found outside strings only.
_CONSTANT = r'(?s)"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)'
_LONG_INTEGER = r'(?s)"(?:[^"\\]|\\.)*"|(-?\d{4000,})'
_JSON_TYPES = {
    "list": "an array",
    "str": "a string",
    "int": "a number",
    "float": "a number",
    "bool": "a boolean",
    "NoneType": "null",
}


class LoadProblem(Enum):
    """Each way a file fails to become a JSON object (iamgate.rules.loading: a rule each)."""

    INVALID_JSON = auto()  # not strict JSON
    NOT_UTF8 = auto()  # another encoding, or UTF-8 with a byte-order mark
    DUPLICATE_KEY = auto()
    NOT_AN_OBJECT = auto()  # empty, binary, or not an object at the top level
    UNREADABLE = auto()


class LoadError(Exception):
    """A file that is not a strict JSON object; ``problem`` says which way it fails."""

    def __init__(self, problem: LoadProblem, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.problem = problem
        self.message = message
        self.line = line
        self.column = column


class _DuplicateKey(Exception):
    pass


@dataclass
class Document:
    """A parsed policy file: its text, its JSON, and where each of its values starts.

    (A docstring of its own: without one, dataclass builds one from inspect.signature at
    import, on every start-up.)"""

    display: str
    text: str
    data: Any
    # Offsets into ``text``, turned into (line, column) only for the places a finding names.
    _values: dict[JsonPath, int] = field(default_factory=dict, repr=False)
    _keys: dict[JsonPath, int] = field(default_factory=dict, repr=False)
    # The containers whose members' offsets are all in _values/_keys (indexed when asked).
    _indexed: set[JsonPath] = field(default_factory=set, repr=False)
    # Offsets already turned into lines, sorted, and their line numbers (see _position).
    _marks: list[int] = field(default_factory=list, repr=False)
    _mark_lines: list[int] = field(default_factory=list, repr=False)
    # The containers indexed up to a member asked for, and where to go on from (_Stop).
    _open: dict[JsonPath, _Stop] = field(default_factory=dict, repr=False)
    # An indexed array of strings alone: its items' offsets, in order (not one path each).
    _items: dict[JsonPath, list[int]] = field(default_factory=dict, repr=False)

    def _deepest(self, path: JsonPath) -> int:
        """The offset of the value at ``path``, else of its nearest existing ancestor."""
        values = self._values
        if not values:
            start = len(self.text) - len(self.text.lstrip(" \t\r\n"))
            values[()] = start
        prefix: JsonPath = ()
        found = values[()]
        node = self.data  # the value at prefix: says how many members to look for
        for step in path:
            child = (*prefix, step)
            offset = values.get(child)
            if offset is None and prefix not in self._indexed:
                try:
                    stopped = _index_members(
                        self.text, found, prefix, values, self._keys, node, self._items,
                        step, self._open.pop(prefix, None),
                    )  # fmt: skip
                except RecursionError:
                    # json's scanner recurses; nesting near the limit is walked token by
                    # token instead, once, which records every container's members.
                    _Scanner(self.text, values, self._keys).scan()
                    self._indexed = _Everything()
                else:
                    if stopped is None:
                        self._indexed.add(prefix)
                    else:
                        self._open[prefix] = stopped
                offset = values.get(child)
            if offset is None:
                items = self._items.get(prefix)
                if items is None or not isinstance(step, int) or not 0 <= step < len(items):
                    break
                offset = items[step]
            found = offset
            node = node[step]
            prefix = child
        return found

    def locate(self, path: JsonPath) -> Position:
        """Where the value at ``path`` starts; the nearest existing ancestor if it is absent."""
        return self._position(self._deepest(tuple(path)))

    def locate_key(self, path: JsonPath) -> Position:
        """Where the member name of ``path`` starts (the value for list items)."""
        path = tuple(path)
        value = self._deepest(path)  # indexes the containers down to path's parent
        found = self._keys.get(path)
        return self._position(value if found is None else found)

    def _position(self, offset: int) -> Position:
        """_char_position, counting line breaks from the nearest offset already placed before
        this one (its line is one more than the breaks before it, as this one's is) rather
        than from the start: a large file's findings each counted the file up to themselves."""
        offset = max(offset, 0)
        marks, lines = self._marks, self._mark_lines
        nearest = bisect_right(marks, offset)
        base, line = (marks[nearest - 1], lines[nearest - 1]) if nearest else (0, 1)
        line += self.text.count("\n", base, offset)
        if base != offset or not nearest:
            marks.insert(nearest, offset)
            lines.insert(nearest, line)
        return line, offset - (self.text.rfind("\n", 0, offset) + 1) + 1


def parse(raw: bytes, display: str) -> Document:
    # A first byte that is no whitespace (most files: "{") already says the file has more;
    # only otherwise is the whole file stripped, a copy, to see whether anything is left.
    if raw[:1] in b" \t\r\n" and not raw.strip(b" \t\r\n"):
        raise LoadError(LoadProblem.NOT_AN_OBJECT, "the file is empty; a policy is a JSON object")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Windows tools (PowerShell's `>`) save UTF-16; say so rather than "binary".
        raise LoadError(
            LoadProblem.NOT_UTF8,
            "the file is UTF-16 (it starts with a UTF-16 byte-order mark); save it as UTF-8",
        )
    if b"\x00" in raw:
        line, column = _byte_position(raw, raw.index(b"\x00"))
        raise LoadError(
            LoadProblem.NOT_AN_OBJECT,
            "the file is binary (it contains NUL bytes), not a JSON policy",
            line,
            column,
        )
    if raw.startswith(b"\xef\xbb\xbf"):
        raise LoadError(
            LoadProblem.NOT_UTF8,
            "the file starts with a UTF-8 byte-order mark; IAM rejects it, save without BOM",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _byte_position(raw, exc.start)
        raise LoadError(
            LoadProblem.NOT_UTF8,
            f"byte 0x{raw[exc.start]:02x} is not valid UTF-8; IAM policies must be UTF-8 "
            "(was the file saved as Latin-1 or Windows-1252?)",
            line,
            column,
        ) from None
    return parse_text(text, display)


def parse_text(text: str, display: str) -> Document:
    try:
        if text.startswith("\ufeff"):  # json.loads's own check, which decode() leaves out
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        data = _DECODER.decode(text)
    except _DuplicateKey:
        # Rescan only now, to say where the second occurrence is.
        _Scanner(text, {}, {}).scan()
        # The scanner found no duplicate json did: still a located finding, never a crash.
        raise LoadError(
            LoadProblem.DUPLICATE_KEY, "the policy has a duplicate key; merge the two into one"
        ) from None
    except _BadConstant as exc:
        line, column = _char_position(text, _first_outside_strings(_CONSTANT, text))
        raise LoadError(
            LoadProblem.INVALID_JSON,
            f"{exc} is not a JSON value; write it as a string",
            line,
            column,
        ) from None
    except json.JSONDecodeError as exc:
        if looks_like_yaml(text, display):
            # JSON's own complaint ("comments are not allowed", "expecting value") would
            # send the author looking for a typo in what is a different language.
            content = re.match(_YAML_CONTENT, text)
            raise LoadError(
                LoadProblem.INVALID_JSON,
                "invalid JSON: the file looks like YAML, but a policy file is JSON "
                "(convert it, e.g. yq -o json)",
                *_char_position(text, content.end() if content else 0),
            ) from None
        raise _syntax_error(text, exc) from None
    except RecursionError:
        raise LoadError(
            LoadProblem.INVALID_JSON, "the document nests too deeply to be a policy"
        ) from None
    except ValueError:
        # Python refuses to convert integers of more than 4,300 digits.
        line, column = _char_position(text, _first_outside_strings(_LONG_INTEGER, text))
        raise LoadError(
            LoadProblem.INVALID_JSON,
            "a number has too many digits to be read; no IAM value needs it",
            line,
            column,
        ) from None
    if not isinstance(data, dict):
        kind = _JSON_TYPES.get(type(data).__name__, "not an object")
        start = len(text) - len(text.lstrip(" \t\r\n"))
        raise LoadError(
            LoadProblem.NOT_AN_OBJECT,
            f"the top level is {kind}; a policy is a JSON object",
            *_char_position(text, start),
        )
    return Document(display, text, data)


def display_path(path: Path, root: Path) -> str:
    """A file's name in findings: relative to the project root when inside it."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def read_file(path: str | os.PathLike[str]) -> bytes:
    """A file's bytes, as ``Path.read_bytes`` reads them (the same errors), without its
    buffered file object: a corpus opens thousands of files once each."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))  # no newline translation
    try:
        chunks = []
        want = os.fstat(fd).st_size + 1  # the size, and one more to see the end
        while chunk := os.read(fd, want):
            chunks.append(chunk)
            want = 1 << 20
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)
    finally:
        os.close(fd)


def load(path: Path, display: str) -> Document:
    try:
        raw = read_file(path)
    except OSError as exc:
        raise LoadError(
            LoadProblem.UNREADABLE, f"cannot read the file: {exc.strerror or exc}"
        ) from None
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


# One decoder for every file (json.loads with options builds a new one per call).
_DECODER = json.JSONDecoder(object_pairs_hook=_strict_object, parse_constant=_no_constant)


def _first_outside_strings(pattern: str, text: str) -> int:
    for match in re.finditer(pattern, text):
        if match.group(1):
            return match.start(1)
    return 0


def _byte_position(raw: bytes, offset: int) -> Position:
    line_start = raw.rfind(b"\n", 0, offset) + 1
    column = len(raw[line_start:offset].decode("utf-8", errors="replace")) + 1
    return raw.count(b"\n", 0, offset) + 1, column


# The start of a YAML document that JSON cannot read: a "key:" mapping, a "- " list item or
# a "---" document marker, after any "#" comment lines.
_YAML_CONTENT = r"(?:[ \t]*(?:#[^\n]*)?\r?\n)*"  # blank and comment lines
_YAML_START = _YAML_CONTENT + r"(?:---|%YAML|- |[A-Za-z_][\w .-]*:(?:\s|$))"


def looks_like_yaml(text: str, display: str) -> bool:
    return display.lower().endswith((".yaml", ".yml")) or bool(re.match(_YAML_START, text))


def _char_position(text: str, offset: int) -> Position:
    offset = max(offset, 0)
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _syntax_error(text: str, exc: json.JSONDecodeError) -> LoadError:
    pos = exc.pos
    here = text[pos : pos + 2]
    before = text[:pos].rstrip()
    if here.startswith(("//", "/*")) or here.startswith("#"):
        return LoadError(
            LoadProblem.INVALID_JSON,
            "comments are not allowed in JSON policies",
            *_char_position(text, pos),
        )
    if before.endswith(",") and here[:1] in ("}", "]"):
        comma = len(before) - 1
        return LoadError(
            LoadProblem.INVALID_JSON,
            f"trailing comma before '{here[:1]}'; remove it (JSON allows no trailing commas)",
            *_char_position(text, comma),
        )
    if exc.msg == "Extra data":
        return LoadError(
            LoadProblem.INVALID_JSON,
            "unexpected text after the end of the policy object",
            exc.lineno,
            exc.colno,
        )
    if pos >= len(text):
        return LoadError(
            LoadProblem.INVALID_JSON,
            "the file ends before the JSON is complete (a missing '}' or ']'?)",
            exc.lineno,
            exc.colno,
        )
    if exc.msg.startswith("Unterminated string"):
        return LoadError(
            LoadProblem.INVALID_JSON,
            "a string is not closed (a missing '\"')",
            exc.lineno,
            exc.colno,
        )
    if exc.msg.startswith("Invalid control character"):
        return LoadError(
            LoadProblem.INVALID_JSON,
            "a string contains a raw line break or tab; write it as \\n or \\t",
            exc.lineno,
            exc.colno,
        )
    if here[:1] == "'":
        return LoadError(
            LoadProblem.INVALID_JSON,
            "strings must use double quotes, not single quotes",
            exc.lineno,
            exc.colno,
        )
    return LoadError(
        LoadProblem.INVALID_JSON,
        f"invalid JSON: {exc.msg[0].lower()}{exc.msg[1:]}",
        exc.lineno,
        exc.colno,
    )


# The members of one container. A string (the usual member) is passed over by one regular
# expression with what follows it up to the next member; any other value is skipped by json's
# C scanner, so a large document's unasked parts cost no Python step per token.
_SPACE = r"[ \t\n\r]*"
_STRING = r'"[^"\\]*(?:\\.[^"\\]*)*"'
_STRING_MEMBER = re.compile(_STRING + _SPACE + "(?:," + _SPACE + ")?")
_AFTER_VALUE = re.compile(_SPACE + "(?:," + _SPACE + ")?")
_NAME = re.compile("(" + _STRING + ")" + _SPACE + ":" + _SPACE)
_SCAN = make_scanner(json.JSONDecoder())  # type: ignore[arg-type]  # typeshed wants a scanner


def _index_members(
    text: str,
    start: int,
    path: JsonPath,
    values: dict[JsonPath, int],
    keys: dict[JsonPath, int],
    node: Any,
    items: dict[JsonPath, list[int]],
    wanted: str | int,
    stopped: _Stop | None,
) -> _Stop | None:
    """Record where each member of the container at ``start`` (and its name) begins, up to the
    ``wanted`` one: where the walk stopped, to go on from (``stopped``) when a later member is
    asked for; None once every member is recorded. ``node`` is the container's parsed value.
    The text is known to be valid JSON (json parsed it into ``node``), so this only walks it;
    a value that is no container has no members."""
    if stopped is None:
        opening = text[start : start + 1]
        if opening not in ("{", "["):
            return None
        pos = _after(_AFTER_VALUE, text, start + 1)
        if opening == "[" and node and set(map(type, node)) == _JUST_STR:
            # A list of strings (a long Action or Resource list, the usual array a finding
            # points into): its pieces (a string and what follows it up to the next) run back
            # to back from the first item, so each item starts where the pieces before it end;
            # counted in C, no step per item. json's scanner finds where the array ends.
            pieces = _STRING_MEMBER.findall(text, pos, _SCAN(text, start)[1])
            if len(pieces) == len(node):  # always, in valid JSON
                items[path] = list(accumulate(map(len, pieces[:-1]), initial=pos))
                return None
        # As many members as the parsed value has (a strict parse has no duplicate names).
        remaining = len(node) if isinstance(node, dict | list) else -1
        index = 0
    else:
        opening, pos, index, remaining = stopped
        pos = _past_value(text, pos)
    while remaining and text[pos] not in "}]":
        if opening == "{":
            name = _NAME.match(text, pos)
            if name is None:
                return None  # cannot happen in valid JSON: stop rather than misplace
            token = name.group(1)
            step: str | int = token[1:-1] if "\\" not in token else json.loads(token)
            keys[(*path, step)] = pos
            pos = name.end()
        else:
            step = index
            index += 1
        values[(*path, step)] = pos
        remaining -= 1
        if not remaining:
            return None  # the last member: its value need not be passed over
        if step == wanted:
            # Passing over a value costs a parse of it (the Statement list, an Action list):
            # members after the one asked for wait until one of them is asked for.
            return (opening, pos, index, remaining)
        pos = _past_value(text, pos)
    return None


# Where a container's walk stopped: its opening bracket, the offset of the last value
# recorded, the next array index, and how many members remain.
_Stop = tuple[str, int, int, int]


def _past_value(text: str, pos: int) -> int:
    """The offset of the next member after the value at ``pos``."""
    string = _STRING_MEMBER.match(text, pos) if text[pos] == '"' else None
    if string is not None:
        return string.end()
    return _after(_AFTER_VALUE, text, _SCAN(text, pos)[1])


_JUST_STR = {str}


def _after(pattern: re.Pattern[str], text: str, pos: int) -> int:
    found = pattern.match(text, pos)
    return found.end() if found else pos  # always found: the pattern matches ""


class _Everything(set[JsonPath]):
    """Every container, indexed by the full scan."""

    def __contains__(self, item: object) -> bool:
        return True


class _Open:
    """A container the scan is inside: its path, the member names seen (None for an array)
    and the index of its current item."""

    __slots__ = ("index", "path", "seen")

    def __init__(self, path: JsonPath, seen: set[str] | None) -> None:
        self.path = path
        self.seen = seen
        self.index = 0


class _Scanner:
    """Records where every value (and member name) starts, as offsets; detects duplicate names
    (where json only says there is one). Locating walks only the containers it needs
    (_index_members); this full scan is its fallback for nesting json's scanner cannot follow.

    One regular expression walks the text token by token (a string, a bracket or separator,
    or a bare number/literal): json has already checked the syntax, so the walk only keeps
    the path. Iterative, not recursive: json accepts nesting deeper than Python's recursion
    limit lets a recursive scanner follow, and locating must never crash.
    """

    def __init__(self, text: str, values: dict[JsonPath, int], keys: dict[JsonPath, int]):
        self.text = text
        self.values = values
        self.keys = keys

    def scan(self) -> None:
        values, keys = self.values, self.keys
        open_: list[_Open] = []
        path: JsonPath = ()
        want_key = False
        for match in re.finditer(_TOKEN, self.text):
            token = match.group()
            first = token[0]
            if first == ",":
                top = open_[-1] if open_ else None
                if top is None:
                    return
                if top.seen is None:
                    top.index += 1
                    path = (*top.path, top.index)
                else:
                    want_key = True
            elif first == ":":
                continue
            elif first in "}]":
                want_key = False
                if open_:
                    open_.pop()
                if not open_:
                    return
            elif want_key:
                if first != '"':
                    return
                want_key = False
                key = token[1:-1] if "\\" not in token else json.loads(token)
                parent, seen = open_[-1].path, open_[-1].seen
                if seen is None:
                    return  # a member name only comes inside an object
                if key in seen:
                    line, column = _char_position(self.text, match.start())
                    raise LoadError(
                        LoadProblem.DUPLICATE_KEY,
                        f"duplicate key {json.dumps(key)}: JSON parsers keep only one of them, "
                        "silently; merge the two into one",
                        line,
                        column,
                    )
                seen.add(key)
                path = (*parent, key)
                keys[path] = match.start()
            else:
                values[path] = match.start()
                if first == "{":
                    open_.append(_Open(path, set()))
                    want_key = True
                elif first == "[":
                    open_.append(_Open(path, None))
                    path = (*path, 0)
                elif not open_:
                    return
