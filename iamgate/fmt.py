"""One canonical layout for policy files, so diffs show meaning, not whitespace.

The layout: 2-space indent, IAM's customary key order (Version, Id, Statement; in each
statement Sid, Effect, Principal, NotPrincipal, Action, NotAction, Resource, NotResource,
Condition; any other key after those, in the author's order), lists in the author's order,
non-ASCII text as is, one final newline. Numbers keep their exact spelling, so formatting can
never change a value. A file the strict loader rejects is never rewritten: that is a lint
finding, and formatting only reports it. The command is `iamgate.commands.fmt`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from iamgate.document import LoadError, LoadProblem, parse

POLICY_KEYS = ("Version", "Id", "Statement")
STATEMENT_KEYS = (
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
)
INDENT = "  "

# Why the loader refused a file, in a few words (the full located message is lint's job).
SKIP_REASONS = {
    LoadProblem.INVALID_JSON: "not valid JSON",
    LoadProblem.NOT_UTF8: "not UTF-8 text",
    LoadProblem.DUPLICATE_KEY: "duplicate key",
    LoadProblem.NOT_AN_OBJECT: "not a JSON object",
    LoadProblem.UNREADABLE: "unreadable",
}

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def skip_reason(error: LoadError) -> str:
    """Why the loader refused a file, in a few words; an encoding named for what it is (a
    UTF-8 file with a byte-order mark is UTF-8, just not what IAM accepts)."""
    if error.problem is LoadProblem.NOT_UTF8 and "UTF-16" in error.message:
        return "UTF-16 text, not UTF-8"
    if error.problem is LoadProblem.NOT_UTF8 and "byte-order mark" in error.message:
        return "UTF-8 with a byte-order mark (BOM), which IAM rejects; save it without the BOM"
    if error.problem is LoadProblem.INVALID_JSON and "looks like YAML" in error.message:
        return "YAML, not JSON"
    return SKIP_REASONS.get(error.problem, "not a policy file")


@dataclass(frozen=True)
class _Number:
    """A JSON number kept as written: re-printing a float could change '1e400' or '0.10'."""

    literal: str


def _ordered(obj: dict[str, Any], first: tuple[str, ...]) -> dict[str, Any]:
    out = {key: obj[key] for key in first if key in obj}
    out.update((key, value) for key, value in obj.items() if key not in out)
    return out


def canonical_order(data: dict[str, Any]) -> dict[str, Any]:
    """The policy with IAM's customary key order; nested values untouched."""
    policy = _ordered(data, POLICY_KEYS)
    statement = policy.get("Statement")
    if isinstance(statement, dict):
        policy["Statement"] = _ordered(statement, STATEMENT_KEYS)
    elif isinstance(statement, list):
        policy["Statement"] = [
            _ordered(item, STATEMENT_KEYS) if isinstance(item, dict) else item for item in statement
        ]
    return policy


def _string(value: str) -> str:
    text = json.dumps(value, ensure_ascii=False)
    # A lone surrogate ("\ud800" escaped in the source) has no UTF-8 form: keep it escaped.
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _dump(value: Any, depth: int, out: list[str]) -> None:
    if isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        inner = INDENT * (depth + 1)
        out.append("{\n")
        for i, (key, item) in enumerate(value.items()):
            out.append(f"{inner}{_string(key)}: ")
            _dump(item, depth + 1, out)
            out.append(",\n" if i < len(value) - 1 else "\n")
        out.append(INDENT * depth + "}")
    elif isinstance(value, list):
        if not value:
            out.append("[]")
            return
        inner = INDENT * (depth + 1)
        out.append("[\n")
        for i, item in enumerate(value):
            out.append(inner)
            _dump(item, depth + 1, out)
            out.append(",\n" if i < len(value) - 1 else "\n")
        out.append(INDENT * depth + "]")
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, _Number):
        out.append(value.literal)
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif value is None:
        out.append("null")
    else:  # pragma: no cover - the loader yields only JSON types
        raise TypeError(f"not a JSON value: {value!r}")


def format_policy(text: str) -> str:
    """The canonical text of a policy. Raises LoadError when the strict loader rejects ``text``."""
    from iamgate.document import parse_text

    parse_text(text, "<text>")  # strictness (duplicate keys, constants) and its located error
    return _canonical(text)


def _canonical(text: str) -> str:
    """The canonical text of JSON the strict loader already accepted."""
    data = json.loads(text, parse_float=_Number, parse_int=_Number)
    out: list[str] = []
    _dump(canonical_order(data), 0, out)
    out.append("\n")
    return "".join(out)


Status = Literal["unchanged", "changed", "skipped"]


@dataclass(frozen=True)
class Outcome:
    path: Path
    status: Status
    reason: str = ""  # why a file was skipped


def format_file(path: Path, *, write: bool) -> Outcome:
    """Format one file; with ``write`` rewrite it when it is not canonical."""
    try:
        raw = path.read_bytes()
        document = parse(raw, str(path))
        formatted = _canonical(document.text)
    except OSError:
        return Outcome(path, "skipped", SKIP_REASONS[LoadProblem.UNREADABLE])
    except LoadError as exc:
        return Outcome(path, "skipped", skip_reason(exc))
    if formatted == document.text:
        return Outcome(path, "unchanged")
    if write:
        # newline="" keeps "\n" on every platform: the canonical text is the file's bytes.
        with path.open("w", encoding="utf-8", newline="") as handle:
            handle.write(formatted)
    return Outcome(path, "changed")


def shown(path: Path) -> str:
    """The path as the user would type it: relative to the working directory when inside it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def skip_message(outcome: Outcome) -> str:
    return f"{shown(outcome.path)}: skipped: {outcome.reason} (see iamgate lint)"
