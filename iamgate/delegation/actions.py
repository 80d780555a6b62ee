"""The catalog's families of actions that the delegation rules guard.

Which IAM actions create or change a principal or a managed policy (what makes a policy a
delegation policy), which carry the boundary key, which must stay inside the prefix; and
whether a statement's Action element names an action.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import cache, lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from iamgate.catalog import ActionInfo, Catalog
    from iamgate.model import Statement

BOUNDARY_KEY = "iam:PermissionsBoundary"
BOUNDARY = BOUNDARY_KEY.lower()

PRINCIPAL_TYPES = frozenset({"role", "user"})
DELEGATED_TYPES = frozenset({"role", "user", "policy"})
SCOPED_TYPES = frozenset({"role", "policy", "instance-profile", "user"})


def _catalog() -> Catalog:
    from iamgate.catalog import get_catalog

    return get_catalog()


def type_names(action: ActionInfo) -> frozenset[str]:
    return frozenset(rtype.name for rtype, _ in action.resource_types)


def _creates_its_resource(action: ActionInfo) -> bool:
    # CreateRole creates a role, CreatePolicy a policy: the verb plus the type's own name.
    return any(action.name.lower() == "create" + t.replace("-", "") for t in type_names(action))


def _by_name(actions: Iterable[ActionInfo]) -> tuple[ActionInfo, ...]:
    # Creating actions first: "CreateRole ... is allowed" is the counterexample people expect.
    return tuple(sorted(actions, key=lambda a: (not _creates_its_resource(a), a.full.lower())))


@cache
def _named(pattern: str) -> frozenset[str]:
    """Lower-case full names of the catalog actions an action pattern names."""
    return frozenset(a.full.lower() for a in _catalog().expand(pattern))


@cache
def iam_actions() -> tuple[ActionInfo, ...]:
    return _by_name(_catalog().expand("iam:*"))


# names -> (the catalog asked, its entries): the rules ask for the same few lists per policy.
_LOOKUPS: dict[tuple[str, ...], tuple[Catalog, tuple[ActionInfo, ...]]] = {}


def lookup(*names: str) -> tuple[ActionInfo, ...]:
    """The catalog entries of well-known actions (an action the catalog lacks is skipped)."""
    catalog = _catalog()
    entry = _LOOKUPS.get(names)
    if entry is not None and entry[0] is catalog:
        return entry[1]
    found = tuple(info for name in names if (info := catalog.lookup(name)) is not None)
    if len(_LOOKUPS) >= 256:
        _LOOKUPS.clear()
    _LOOKUPS[names] = (catalog, found)
    return found


@cache
def boundary_deletion_actions() -> tuple[ActionInfo, ...]:
    return _by_name(_catalog().expand("iam:Delete*PermissionsBoundary"))


@cache
def boundary_condition_actions() -> tuple[ActionInfo, ...]:
    """Actions that create a role or user or change its permissions and carry the boundary key.

    From the catalog: the actions on roles/users that list iam:PermissionsBoundary and are
    either "Permissions management" or create the principal (CreateRole, CreateUser). Boundary
    deletion has its own rule (IG302); UpdateAssumeRolePolicy changes who may assume a role,
    not what it may do, and is prefix-scoped instead (IG304/IG405).
    """
    excluded = _named("iam:delete*permissionsboundary") | _named("iam:updateassumerolepolicy")
    catalog = _catalog()
    # Only IAM's own actions create principals; asking per IAM action spares reading the
    # key tables of every service.
    return _by_name(
        action
        for action in iam_actions()
        if catalog.supports_key(action.full, BOUNDARY_KEY)
        and action.full.lower() not in excluded
        and type_names(action) & PRINCIPAL_TYPES
        and (action.access_level == "Permissions management" or _creates_its_resource(action))
    )


@cache
def delegation_actions() -> tuple[ActionInfo, ...]:
    """IAM actions that create or change a principal or a managed policy.

    "Permissions management" or "Write" on roles, users and policies, per the catalog. Passing
    a role changes neither the role nor its permissions (IG406 judges it), and service-linked
    roles carry permissions AWS defines, so those do not make a policy a delegation policy.
    """
    excluded = _named("iam:pass*") | _named("iam:*servicelinkedrole*")
    first = {a.full.lower() for a in boundary_condition_actions()}
    chosen = [
        action
        for action in iam_actions()
        if action.access_level in ("Permissions management", "Write")
        and type_names(action) & DELEGATED_TYPES
        and action.full.lower() not in excluded
    ]
    # The boundary-carrying actions first: the usual delegation policy is recognised at once.
    return tuple(sorted(chosen, key=lambda a: a.full.lower() not in first))


@cache
def policy_editing_actions() -> tuple[ActionInfo, ...]:
    """Actions that rewrite or delete an existing managed policy (not CreatePolicy)."""
    return tuple(
        action
        for action in iam_actions()
        if "policy" in type_names(action)
        and action.access_level == "Permissions management"
        and not _creates_its_resource(action)
    )


@cache
def prefix_scoped_actions() -> tuple[ActionInfo, ...]:
    """IAM writes on roles, policies, instance profiles and users that the boundary
    condition does not already govern: each must stay inside the delegation prefix."""
    excluded = {a.full.lower() for a in boundary_condition_actions() + boundary_deletion_actions()}
    excluded |= _named("iam:*servicelinkedrole*")
    return tuple(
        action
        for action in iam_actions()
        if action.access_level in ("Write", "Permissions management", "Tagging")
        and type_names(action) & SCOPED_TYPES
        and action.full.lower() not in excluded
    )


@lru_cache(maxsize=65536)
def _supports(action: str, key: str) -> bool:
    return _catalog().supports_key(action, key)


@lru_cache(maxsize=16384)
def _actions_matcher(patterns: tuple[str, ...]) -> Callable[[str], bool]:
    """A matcher for an Action element, asked with lower-case full action names.

    Most patterns name one action or one service: exact names go in a set and globs are
    filed by service, so a query only runs the few globs that could match it. Compiling
    one joined regex per element cost more than the whole proof on large corpora. A
    service's globs are compiled when an action of that service is first asked about: the
    proofs ask about a handful of services, a managed policy names dozens.
    """
    from iamgate.catalog import glob_regex, has_wildcard

    exact: set[str] = set()
    by_service: dict[str, list[str]] = {}
    anywhere: list[re.Pattern[str]] = []
    for pattern in patterns:
        low = pattern.lower()
        if not has_wildcard(low):
            exact.add(low)
            continue
        service, colon, _ = low.partition(":")
        if colon and not has_wildcard(service):
            # Starts with the literal "service:": it matches only that service's actions.
            by_service.setdefault(service, []).append(low)
        else:
            anywhere.append(glob_regex(low))
    compiled: dict[str, tuple[tuple[str, ...], tuple[re.Pattern[str], ...]]] = {}

    def matches(action: str) -> bool:
        if action in exact:
            return True
        service = action.partition(":")[0]
        entry = compiled.get(service)
        if entry is None:
            entry = compiled[service] = _prefixes_and_regexes(by_service.get(service, ()))
        prefixes, regexes = entry
        if prefixes:
            if action.isascii():
                if action.lower().startswith(prefixes):
                    return True
            elif any(glob_regex(p + "*").fullmatch(action) for p in prefixes):
                return True
        for regex in regexes:
            if regex.fullmatch(action):
                return True
        return any(regex.fullmatch(action) for regex in anywhere)

    return matches


def _prefixes_and_regexes(
    patterns: Iterable[str],
) -> tuple[tuple[str, ...], tuple[re.Pattern[str], ...]]:
    """A service's globs (lower case): the ASCII ones that end in their only wildcard, a
    ``*``, as their literal start; the others as glob_regex compiles them.

    Why a prefix is exact: glob_regex reads ``text*`` as the escaped text then ``.*`` with
    DOTALL (any rest), ignoring case. For an ASCII text and an ASCII action, ignoring case
    is comparing lower cases, and the text is already lower case: the action matches when
    its lower case starts with the text. (An action with other letters is asked of the
    regex: ignoring case folds some of them onto ASCII ones, K onto k.)"""
    from iamgate.catalog import glob_regex

    prefixes: list[str] = []
    regexes: list[re.Pattern[str]] = []
    for pattern in patterns:
        head = pattern[:-1]
        if pattern.endswith("*") and pattern.isascii() and "*" not in head and "?" not in head:
            prefixes.append(head)
        else:
            regexes.append(glob_regex(pattern))
    return tuple(prefixes), tuple(regexes)


@cache
def delegation_names() -> frozenset[str]:
    """Lower-case full names of ``delegation_actions``."""
    return frozenset(a.full.lower() for a in delegation_actions())


@lru_cache(maxsize=64)
def _by_service(names: frozenset[str]) -> dict[str, tuple[str, ...]]:
    """``names`` filed by their service part (before the first ':')."""
    filed: dict[str, list[str]] = {}
    for name in sorted(names):
        filed.setdefault(name.partition(":")[0], []).append(name)
    return {service: tuple(listed) for service, listed in filed.items()}


@lru_cache(maxsize=65536)
def _pattern_names_any(pattern: str, names: frozenset[str]) -> bool:
    # As _actions_matcher reads one pattern: an exact name, or a glob over the full name.
    from iamgate.catalog import glob_regex, has_wildcard

    low = pattern.lower()
    if not has_wildcard(low):
        return low in names
    service, colon, _ = low.partition(":")
    if colon and not has_wildcard(service):
        # The glob starts with the literal "service:" (no '*' or '?' before the colon), so
        # it fully matches only names whose service part is exactly that: the other
        # services' names need no regex, and most entries of a large policy name a service
        # with no such name at all (ec2:Describe* against IAM's actions) and cost no compile.
        candidates: Iterable[str] = _by_service(names).get(service, ())
        if not candidates:
            return False
    else:
        candidates = names
    regex = glob_regex(low)
    return any(regex.fullmatch(name) for name in candidates)


@lru_cache(maxsize=8192)
def action_entries(
    patterns: tuple[str, ...],
) -> tuple[dict[str, tuple[str, ...]], tuple[str, ...]]:
    """An Action element's entries filed by their literal service part (lower case), and
    the others: those whose service part has a wildcard or that have no ':' (any service).

    An entry whose part before the first ':' has no '*' or '?' matches (exactly or as a
    glob, case-insensitively) only names that start with that part and a ':': the actions
    of that one service. Read once per element, whatever file it sits in: many managed
    policies share statements, and a managed policy names dozens of services."""
    filed: dict[str, list[str]] = {}
    anywhere: list[str] = []
    for pattern in patterns:
        service, colon, _ = pattern.lower().partition(":")
        if colon and "*" not in service and "?" not in service:
            filed.setdefault(service, []).append(pattern)
        else:
            anywhere.append(pattern)
    return {k: tuple(v) for k, v in filed.items()}, tuple(anywhere)


@lru_cache(maxsize=8192)
def service_parts(patterns: tuple[str, ...]) -> frozenset[str]:
    """Each entry's part before the first ':', lower case (lowered once per distinct part).
    Per Action element, whatever file it sits in: many managed policies share statements."""
    return frozenset(part.lower() for part in {pattern.partition(":")[0] for pattern in patterns})


@lru_cache(maxsize=8192)
def _element_names_any(patterns: tuple[str, ...], names: frozenset[str]) -> bool:
    # Only the entries of the names' services and those of any service can name one: an
    # element whose parts are all other literal services (most, in a managed policy) names
    # none, read from the parts may_allow already asked for.
    services = _by_service(names)
    parts = service_parts(patterns)
    if parts.isdisjoint(services) and not any("*" in p or "?" in p for p in parts):
        return False
    filed, anywhere = action_entries(patterns)
    return any(
        _pattern_names_any(pattern, names)
        for group in (anywhere, *(filed[s] for s in services if s in filed))
        for pattern in group
    )


def allow_may_name(statements: Iterable[Statement], names: frozenset[str]) -> bool:
    """Can an Allow statement name one of ``names`` (lower-case full action names)? A
    superset of ``names_action`` over the Allow statements, decided per Action entry (each
    judged once per run), so a family of actions no statement names costs no search.
    A NotAction statement may name almost anything: True."""
    for statement in statements:
        if not statement.allows:
            continue
        if statement.action is not None:
            if _element_names_any(statement.action, names):
                return True
        elif statement.not_action is not None:
            return True
    return False


def names_action(statement: Statement, action: str) -> bool:
    """Does the statement's Action (or NotAction) element cover ``action`` (lower case)?"""
    if statement.action is not None:
        return _actions_matcher(statement.action)(action)
    if statement.not_action is not None:
        return not _actions_matcher(statement.not_action)(action)
    return False
