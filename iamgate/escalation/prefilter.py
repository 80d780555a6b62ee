"""The cheap prefilter: which of the table's actions a policy's Allow statements name.

Decided on the policies alone, before any candidate request is built: a row is searched
only when every one of its actions is named. Each Action pattern is matched against the
table's actions once per process (a corpus repeats ``ec2:Describe*`` thousands of times).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from iamgate.delegation import names_action
from iamgate.escalation.table import Table, default_table

if TYPE_CHECKING:
    from iamgate.model import Policy


def named_actions(identity: Sequence[Policy], table: Table | None = None) -> frozenset[str]:
    """The table's actions (lower case) that some Allow statement of ``identity`` names,
    found pattern by pattern through the table's index: most policies name none or a few.
    Remembered for the last policies asked (the rule asks twice per policy)."""
    key = (tuple(id(p) for p in identity), id(table))
    entry = _NAMED.get(key)
    if entry is not None and all(a is b for a, b in zip(entry[0], identity, strict=True)):
        return entry[1]
    found = _named_actions(identity, table)
    if len(_NAMED) >= 64:
        _NAMED.clear()  # the memo holds the policies it keys, so keep it small
    _NAMED[key] = (tuple(identity), found)
    return found


_NAMED: dict[tuple[object, ...], tuple[tuple[Policy, ...], frozenset[str]]] = {}


def _named_actions(identity: Sequence[Policy], table: Table | None) -> frozenset[str]:
    index = _index(table)
    found: set[str] = set()
    for policy in identity:
        for statement in policy.statements:
            if not statement.allows:
                continue
            if statement.action is not None:
                for pattern in statement.action:
                    found |= index.named_by(pattern)
            elif statement.not_action is not None:
                found |= {a for a in index.actions if names_action(statement, a)}
    return frozenset(found)


def may_open(identity: Sequence[Policy], table: Table | None = None) -> bool:
    """Do the identity policies name every action of at least one row? Decided on the
    policies alone, before any candidate request is built: the cheap prefilter."""
    named = named_actions(identity, table)
    return bool(named) and any(p.lower_names <= named for p in (table or default_table()).paths)


def table_services(table: Table | None = None) -> tuple[str, ...]:
    """The services the table's actions belong to: a policy naming none is skipped at once."""
    return _index(table).services


class _TableIndex:
    """Which of the table's actions an Action pattern names, each pattern worked out once
    per process (a corpus repeats ``ec2:Describe*`` and ``s3:*`` thousands of times)."""

    def __init__(self, table: Table) -> None:
        names = {a.action.lower() for p in table.paths for a in p.actions}
        self.actions = frozenset(names)
        self.services = tuple(sorted({n.partition(":")[0] for n in names}))
        self._by_service: dict[str, frozenset[str]] = {}
        for name in names:
            service = name.partition(":")[0]
            self._by_service[service] = self._by_service.get(service, frozenset()) | {name}
        self._patterns: dict[str, frozenset[str]] = {}

    def named_by(self, pattern: str) -> frozenset[str]:
        found = self._patterns.get(pattern)
        if found is None:
            found = self._patterns[pattern] = self._match(pattern.lower())
        return found

    def _match(self, low: str) -> frozenset[str]:
        from iamgate.catalog import glob_regex, has_wildcard

        if not has_wildcard(low):
            return frozenset({low}) & self.actions
        service, _, _ = low.partition(":")
        pool = self._by_service.get(service) if not has_wildcard(service) else self.actions
        if not pool:
            return frozenset()  # s3:Get*: a service no row needs, no regex built
        regex = glob_regex(low)
        return frozenset(a for a in pool or () if regex.fullmatch(a))


_INDEXES: dict[int, tuple[Table, _TableIndex]] = {}


def _index(table: Table | None) -> _TableIndex:
    table = table or default_table()
    entry = _INDEXES.get(id(table))
    if entry is None or entry[0] is not table:
        entry = _INDEXES[id(table)] = (table, _TableIndex(table))
    return entry[1]
