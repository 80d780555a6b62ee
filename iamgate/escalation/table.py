"""The escalation table: ``paths.json`` read into rows, checked against ``paths.schema.json``.

The table is data: adding a path is adding a row. The shipped table is validated by the
test suite; a table read from another file (``load_table(path)``) is validated here, with
jsonschema, so a bad row is a located error rather than a wrong verdict.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

NEW = "new"  # a resource the path creates: any name will do
ANY = "*"  # an action with no resource-level permissions


class TableError(Exception):
    """The escalation table cannot be read or breaks its schema."""


@dataclass(frozen=True)
class PathAction:
    """One action a path needs, and what it acts on."""

    action: str
    on: tuple[str, ...]  # catalog resource types (any one will do), or (NEW,) or (ANY,)
    outside: bool  # must the resource lie outside the delegation prefix?
    others_only: bool = False  # the caller's own user does not count
    context: tuple[tuple[str, tuple[str, ...]], ...] = ()  # key -> values, any one will do

    @property
    def creates(self) -> bool:
        return self.on in ((NEW,), (ANY,))


@dataclass(frozen=True)
class EscalationPath:
    id: str
    name: str
    category: str
    existing: bool  # needs a resource that already exists
    actions: tuple[PathAction, ...]
    why: str
    source: str
    also: tuple[str, ...] = ()
    covered_by: tuple[str, ...] = ()

    @cached_property
    def lower_names(self) -> frozenset[str]:
        return frozenset(a.action.lower() for a in self.actions)


@dataclass(frozen=True)
class Table:
    paths: tuple[EscalationPath, ...]
    prefix_blind: frozenset[tuple[str, str]] = field(default_factory=frozenset)  # (service, type)

    def by_id(self, path_id: str) -> EscalationPath | None:
        return next((p for p in self.paths if p.id == path_id), None)


def _action(raw: dict[str, Any]) -> PathAction:
    on = raw["on"]
    types = tuple(on) if isinstance(on, list) else (on,)
    creates = types in ((NEW,), (ANY,))
    return PathAction(
        action=raw["action"],
        on=types,
        outside=bool(raw.get("outside", not creates)),
        others_only=bool(raw.get("others_only", False)),
        context=tuple((k, tuple(v)) for k, v in (raw.get("context") or {}).items()),
    )


def build_table(data: dict[str, Any]) -> Table:
    """Rows from parsed JSON that already passed the schema."""
    paths = tuple(
        EscalationPath(
            id=row["id"],
            name=row["name"],
            category=row["category"],
            existing=row["existing"],
            actions=tuple(_action(a) for a in row["actions"]),
            why=row["why"],
            source=row["source"],
            also=tuple(row.get("also", ())),
            covered_by=tuple(row.get("covered_by", ())),
        )
        for row in data["paths"]
    )
    ids = [p.id for p in paths]
    doubled = sorted({i for i in ids if ids.count(i) > 1})
    if doubled:
        raise TableError(f"path id {doubled[0]} is used twice")
    blind = frozenset((b["service"], b["type"]) for b in data.get("prefix_blind", ()))
    return Table(paths, blind)


def _read(name: str) -> str:
    # Imported here: importlib.resources costs start-up that most runs never need.
    from importlib import resources

    return resources.files("iamgate.escalation").joinpath(name).read_text(encoding="utf-8")


def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(_read("paths.schema.json"))
    return loaded


def schema_errors(data: Any) -> list[str]:
    """Every way ``data`` breaks the schema, each as ``paths.3.actions.0.on: message``."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema())
    return [
        f"{'.'.join(str(p) for p in error.absolute_path) or '(top level)'}: {error.message}"
        for error in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    ]


def load_table(path: Path) -> Table:
    """A table from a file, validated: TableError names the first problem and where."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TableError(f"{path}: cannot read the escalation table: {exc}") from None
    errors = schema_errors(data)
    if errors:
        raise TableError(f"{path}: {errors[0]}")
    return build_table(data)


@cache
def default_table() -> Table:
    """The shipped table (validated by the test suite, so read without jsonschema here)."""
    return build_table(json.loads(_read("paths.json")))
