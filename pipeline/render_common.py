"""What the account and SCP halves of a report render alike: a change's verb once applied,
its diff under it, its markdown list item and its result in json."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def outcomes_by_change(outcomes: Iterable[Any]) -> dict[int, Any]:
    """Each outcome under its change's identity: a plan may hold equal changes."""
    return {id(o.change): o for o in outcomes}


def count_done(outcomes: Iterable[Any], actions: Iterable[str]) -> dict[str, int]:
    done = {a: 0 for a in actions}
    for outcome in outcomes:
        if outcome.status == "done":
            done[outcome.change.action] += 1
    return done


def indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def verb(action: str, outcome: Any | None, done: Mapping[str, str]) -> str:
    """``update`` in a plan; ``updated``, ``update FAILED`` or ``update NOT ATTEMPTED`` after."""
    if outcome is not None and outcome.status == "done":
        return done.get(action, action)
    if outcome is not None and outcome.status in ("failed", "not attempted"):
        return f"{action} {outcome.status.upper()}"
    return action


def text_change(line: str, change: Any, command: str) -> list[str]:
    """A change's line, then the diff of an update a plan or drift check shows."""
    out = ["  " + line]
    if change.diff and change.action == "update" and command != "apply":
        out.append(indent(change.diff, "      "))
    return out


def markdown_change(mark: str, line: str, change: Any) -> list[str]:
    """A change as a list item (``line`` without its mark), the document's diff below it."""
    out = [f"- `{mark}` {line[2:]}"]
    if change.diff and change.action in ("create", "update"):
        out += ["", "  ```diff", indent(change.diff, "  "), "  ```", ""]
    return out


def outcome_json(outcome: Any | None) -> dict[str, Any]:
    if outcome is None:
        return {}
    out: dict[str, Any] = {"result": outcome.status}
    if outcome.error:
        out["error"] = outcome.error
    return out
