"""The cheap prefilter: which of the table's actions a policy's Allow statements name.

Decided on the policies alone, before any candidate request is built: a row is searched
only when every one of its actions is named. Each Action pattern is matched against the
table's actions once per process (a corpus repeats ``ec2:Describe*`` thousands of times).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from iamgate.delegation import names_action
from iamgate.escalation.table import Table, default_table

if TYPE_CHECKING:
    from iamgate.model import Policy


def named_actions(identity: Sequence[Policy], table: Table | None = None) -> frozenset[str]:
    """The table's actions (lower case) that some Allow statement of ``identity`` names,
    found pattern by pattern through the table's index: most policies name none or a few.
    Remembered for the last policies asked (the rule asks twice per policy, once with the
    table it was given and once with the table its search resolved: the same key)."""
    table = table or default_table()
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
    from iamgate.delegation.search import may_allow

    index = _index(table)
    # A policy lists dozens of Action entries: each is one C-level dict lookup here
    # (_Patterns fills a miss), and the sets they name are merged in one update call.
    named_by = index.patterns.__getitem__
    found: set[str] = set()
    for policy in identity:
        # Half the policies of a corpus name no service of the table in any Allow statement
        # (may_allow reads the Action entries' service parts, NotAction as "any"; the proof
        # rules already asked it of this policy): they name none of its actions.
        if not may_allow(policy, index.services):
            continue
        for statement in policy.statements:
            if statement.effect != "Allow":
                continue
            if statement.action is not None:
                found.update(*map(named_by, statement.action))
            elif statement.not_action is not None:
                found |= {a for a in index.actions if names_action(statement, a)}
    return frozenset(found)


def may_open(identity: Sequence[Policy], table: Table | None = None) -> bool:
    """Do the identity policies name every action of at least one row? Decided on the
    policies alone, before any candidate request is built: the cheap prefilter.

    Each row is filed under one of its actions (its key), and only the rows filed under a
    named action are compared: a row whose key is not named has an action not named, so
    the rows left out could not open. Most policies name one or two of the table's
    actions, which key a handful of rows."""
    named = named_actions(identity, table)
    if not named:
        return False
    by_key = _index(table).rows_by_key
    for action in named:
        for names in by_key.get(action, ()):
            if names <= named:
                return True
    return False


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
        self._single = {name: frozenset((name,)) for name in names}
        # Each row's actions, filed under the one fewest rows need (may_open's keys).
        rows = [p.lower_names for p in table.paths]
        needed = Counter(name for row in rows for name in row)
        self.rows_by_key: dict[str, tuple[frozenset[str], ...]] = {}
        for row in rows:
            key = min(row, key=lambda name: (needed[name], name))
            self.rows_by_key[key] = (*self.rows_by_key.get(key, ()), row)
        self.patterns = _Patterns(self._match)

    def named_by(self, pattern: str) -> frozenset[str]:
        return self.patterns[pattern]

    def _match(self, pattern: str) -> frozenset[str]:
        low = pattern.lower()
        if "*" not in low and "?" not in low:  # most entries: one action, a set lookup
            return self._single.get(low, _NONE)
        from iamgate.catalog.records import glob_regex, has_wildcard

        service, _, _ = low.partition(":")
        pool = self._by_service.get(service) if not has_wildcard(service) else self.actions
        if not pool:
            return _NONE  # s3:Get*: a service no row needs, no regex built
        regex = glob_regex(low)
        return frozenset(a for a in pool if regex.fullmatch(a))


class _Patterns(dict[str, frozenset[str]]):
    """Action pattern -> the table's actions it names, worked out on a miss. Bounded by
    the distinct patterns a run meets (a corpus repeats most of them)."""

    def __init__(self, match: Callable[[str], frozenset[str]]) -> None:
        super().__init__()
        self._match = match

    def __missing__(self, pattern: str) -> frozenset[str]:
        if len(self) >= _MAX_PATTERNS:
            self.clear()
        found = self[pattern] = self._match(pattern)
        return found


_MAX_PATTERNS = 65536
_NONE: frozenset[str] = frozenset()
_INDEXES: dict[int, tuple[Table, _TableIndex]] = {}


def _index(table: Table | None) -> _TableIndex:
    table = table or default_table()
    entry = _INDEXES.get(id(table))
    if entry is None or entry[0] is not table:
        entry = _INDEXES[id(table)] = (table, _TableIndex(table))
    return entry[1]
