"""Catalog rules: every action and condition key must exist in AWS's Service Authorization
Reference, and every service-specific condition key must be one the statement's actions
can carry.

An action IAM does not know matches no request: an Allow grants nothing the author meant,
a misspelt Deny denies nothing, a misspelt NotAction excludes nothing. IAM accepts these
policies without a word, so this is the last place anyone notices.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from iamgate.catalog import Catalog, get_catalog, has_wildcard
from iamgate.document import JsonPath
from iamgate.findings import Finding
from iamgate.rules.base import Example, Rule

if TYPE_CHECKING:
    from iamgate.model import Condition, Policy, PolicyKind, Statement
    from iamgate.project import Project

SERVICE_REFERENCE = (
    "https://docs.aws.amazon.com/service-authorization/latest/reference/"
    "reference_policies_actions-resources-contextkeys.html"
)
CONDITION_OPERATORS = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/"
    "reference_policies_elements_condition_operators.html"
)
KINDS: tuple[PolicyKind, ...] = ("identity", "boundary", "scp", "rcp")


def _statement_json(policy: Policy, statement: Statement) -> dict[str, Any]:
    node: Any = policy.document.data if policy.document is not None else None
    for part in statement.path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return {}
    return node if isinstance(node, dict) else {}


def action_values(policy: Policy, statement: Statement) -> Iterator[tuple[str, str, JsonPath]]:
    """(element, value, JSON path) for every Action / NotAction entry of a statement."""
    raw = _statement_json(policy, statement)
    for element, values in (("Action", statement.action), ("NotAction", statement.not_action)):
        if values is None:
            continue
        listed = isinstance(raw.get(element), list)
        for index, value in enumerate(values):
            where = (*statement.path, element, index) if listed else (*statement.path, element)
            yield element, value, where


def _split(value: str) -> tuple[str, str] | None:
    """(service, action) of a well-formed entry; the grammar reports malformed ones."""
    service, sep, action = value.partition(":")
    if not sep or not service or ":" in action:
        return None
    return service, action


def _service_label(catalog: Catalog, prefix: str) -> str:
    name = catalog.service_name(prefix)
    return f"{name} ({prefix})" if name and prefix.lower() not in name.lower() else name or prefix


def _did_you_mean(suggestion: str | None) -> str:
    return f"; did you mean {suggestion}?" if suggestion else ""


# The last policy walked and its entries that some action rule flags: the three action
# rules walk the same policy in turn, and most entries are sound for all three.
_SUSPECTS: list[tuple[Policy, Catalog, list[tuple[str, str, JsonPath]]]] = []
# The entries judged sound (no action rule flags them) and unsound, once per run: a verdict
# depends on the entry and the catalog alone (per catalog, bounded; a fork inherits them).
_SOUND: list[tuple[Catalog, set[str], set[str]]] = []
_SOUND_LIMIT = 50_000


def _suspects(policy: Policy, catalog: Catalog) -> list[tuple[str, str, JsonPath]]:
    """``action_values`` of each entry some action rule flags, in the policy's order."""
    if _SUSPECTS and _SUSPECTS[0][0] is policy and _SUSPECTS[0][1] is catalog:
        return _SUSPECTS[0][2]
    if not _SOUND or _SOUND[0][0] is not catalog:
        _SOUND[:] = [(catalog, set(), set())]
    _, sound, unsound = _SOUND[0]
    if len(sound) + len(unsound) > _SOUND_LIMIT:
        sound.clear()
        unsound.clear()
    found: list[tuple[str, str, JsonPath]] = []
    for statement in policy.statements:
        flagged: set[str] = set()
        for values in (statement.action, statement.not_action):
            # The usual list: every entry already judged sound, asked in one C call.
            if not values or sound.issuperset(values):
                continue
            for value in values:
                if value in sound:
                    continue
                if value in unsound or not _sound(catalog, value):
                    unsound.add(value)
                    flagged.add(value)
                else:
                    sound.add(value)
        if flagged:
            # A flagged entry is rare: only then is the statement walked for JSON paths.
            found.extend(e for e in action_values(policy, statement) if e[1] in flagged)
    _SUSPECTS[:] = [(policy, catalog, found)]
    return found


def _sound(catalog: Catalog, value: str) -> bool:
    """No action rule flags the entry. A real action named without wildcards (most entries)
    is sound for all three at once: its service exists, it exists, and it is no pattern."""
    if "*" not in value and "?" not in value and catalog.action_exists(value):
        return True
    return not any(rule.flags(catalog, value) for rule in _ACTION_RULES)


# rule id -> (the catalog it judged with, (element, entry) -> message)
_JUDGED: dict[str, tuple[Catalog, dict[tuple[str, str], str]]] = {}


class _ActionRule(Rule, ABC):
    """Shared walk over Action/NotAction entries; subclasses judge one entry."""

    kinds = KINDS
    source = SERVICE_REFERENCE
    tags: ClassVar[tuple[str, ...]] = ("catalog", "actions")

    def check(self, policy: Policy, project: Project) -> Iterable[Finding]:
        catalog = get_catalog()
        # A verdict depends on the entry alone: a large corpus repeats the same entries
        # thousands of times, so each is judged once per run (bounded, for memory).
        memo = _JUDGED.get(self.id)
        if memo is None or memo[0] is not catalog or len(memo[1]) > 20_000:
            memo = _JUDGED[self.id] = (catalog, {})
        judged = memo[1]
        for element, value, path in _suspects(policy, catalog):
            key = (element, value)
            message = judged.get(key)
            if message is None:
                if not self.flags(catalog, value):
                    continue
                message = judged[key] = self.message(catalog, element, value)
            yield self.finding(policy, path, message)

    def judge_entry(self, catalog: Catalog, element: str, value: str) -> str | None:
        """The finding's message for one Action/NotAction entry, or None when it is sound."""
        return self.message(catalog, element, value) if self.flags(catalog, value) else None

    @abstractmethod
    def flags(self, catalog: Catalog, value: str) -> bool:
        """Whether this rule reports the entry (cheap: no message is built)."""

    @abstractmethod
    def message(self, catalog: Catalog, element: str, value: str) -> str:
        """Why a flagged entry is reported."""


class UnknownService(_ActionRule):
    id = "IG201"
    name = "unknown-service"
    severity = "error"
    summary = "An Action or NotAction names a service prefix AWS does not have"
    why = (
        "IAM accepts a policy that names a service that does not exist, and the entry then "
        "matches no request: an Allow grants nothing, a Deny denies nothing, and a NotAction "
        "excludes nothing, so the statement does something other than what it says."
    )
    example = Example(
        bad='"Action": "iamm:CreateRole"',
        good='"Action": "iam:CreateRole"',
    )

    def flags(self, catalog: Catalog, value: str) -> bool:
        parts = _split(value)
        return not (parts is None or has_wildcard(parts[0]) or catalog.service_exists(parts[0]))

    def message(self, catalog: Catalog, element: str, value: str) -> str:
        service = value.partition(":")[0]
        suggestion = catalog.suggest(value)
        return (
            f'"{service}" in {value} is not an AWS service prefix, so this {element} '
            f"entry matches nothing{_did_you_mean(suggestion)}"
        )


class UnknownAction(_ActionRule):
    id = "IG202"
    name = "unknown-action"
    severity = "error"
    summary = "An Action or NotAction names an action its service does not have"
    why = (
        "A misspelt action matches no request. In an Allow the permission the author meant "
        "is missing; in a Deny the guard silently denies nothing; in a NotAction the action "
        "meant to be excluded is granted. IAM saves such policies without complaint."
    )
    example = Example(
        bad='"Effect": "Deny", "Action": "iam:DeleteRolePermissionBoundary"',
        good='"Effect": "Deny", "Action": "iam:DeleteRolePermissionsBoundary"',
    )

    def flags(self, catalog: Catalog, value: str) -> bool:
        parts = _split(value)
        if parts is None or has_wildcard(value) or not catalog.service_exists(parts[0]):
            return False
        return not catalog.action_exists(value)

    def message(self, catalog: Catalog, element: str, value: str) -> str:
        label = _service_label(catalog, value.partition(":")[0])
        return f"{value} is not an action of {label}{_did_you_mean(catalog.suggest(value))}"


class WildcardMatchesNothing(_ActionRule):
    id = "IG203"
    name = "wildcard-matches-nothing"
    severity = "error"
    summary = "An Action or NotAction pattern with * or ? matches no action at all"
    why = (
        "A pattern that matches no action is a typo: it grants, denies or excludes nothing, "
        "and the statement quietly means less than it says."
    )
    example = Example(
        bad='"Action": "iam:Craete*"',
        good='"Action": "iam:Create*"',
    )

    def flags(self, catalog: Catalog, value: str) -> bool:
        parts = _split(value)
        if parts is None or not has_wildcard(value) or value == "*":
            return False
        service, _ = parts
        if not has_wildcard(service) and not catalog.service_exists(service):
            return False  # IG201 names the unknown service
        return not catalog.matches_any(value)

    def message(self, catalog: Catalog, element: str, value: str) -> str:
        return f"{value} matches no action{_did_you_mean(catalog.suggest(value))}"


# -- condition keys -----------------------------------------------------------------------


def statement_services(catalog: Catalog, statement: Statement) -> set[str] | None:
    """The services whose actions a statement can apply to; None when that is every service."""
    if statement.not_action is not None:
        return None
    services: set[str] = set()
    for value in statement.action or ():
        parts = _split(value)
        if value == "*" or (parts is not None and has_wildcard(parts[0])):
            return None
        if parts is not None and catalog.service_exists(parts[0]):
            services.add(parts[0].lower())
    return services


def _service_key(condition: Condition) -> str | None:
    """The condition's key unless it is a global aws: key (AWS documents those apart)."""
    key = condition.key
    prefix, sep, rest = key.partition(":")
    if not sep or not rest or prefix.lower() == "aws":
        return None
    return key


def when_absent(condition: Condition) -> str:
    """What the condition does in a request that lacks its key.

    See CONDITION_OPERATORS: an absent key matches nothing, so negated operators are true,
    while ...IfExists and Null test presence itself.
    """
    operator = condition.operator.lower()
    qualifier, _, base = operator.rpartition(":")
    if base == "null":
        # Values are ORed: "Null": {"k": "true"} holds exactly when the key is absent.
        return "always true" if "true" in {v.lower() for v in condition.values} else "never true"
    if base.endswith("ifexists") or qualifier == "forallvalues":
        return "always true"
    if qualifier == "foranyvalue":
        return "never true"  # no value of an absent key can match
    # StringNotEquals, ArnNotLike, NotIpAddress...: an absent key "does not match".
    return "always true" if "not" in base else "never true"


_Judgeable = tuple["Statement", "set[str] | None", "Condition", str]
# The last policy walked and its service keys in scope: both condition rules walk it in turn.
_JUDGEABLE: list[tuple[Policy, Catalog, list[_Judgeable]]] = []


def _judgeable(policy: Policy, catalog: Catalog) -> list[_Judgeable]:
    """(statement, its services, condition, key) of each service-specific condition key
    whose service the statement's actions can reach, in the policy's order."""
    if _JUDGEABLE and _JUDGEABLE[0][0] is policy and _JUDGEABLE[0][1] is catalog:
        return _JUDGEABLE[0][2]
    found: list[_Judgeable] = []
    for statement in policy.statements:
        if not statement.conditions:
            continue  # most statements
        keys = [(c, k) for c in statement.conditions if (k := _service_key(c)) is not None]
        if not keys:
            continue
        scope = statement_services(catalog, statement)
        for condition, key in keys:
            prefix = key.partition(":")[0].lower()
            if catalog.service_exists(prefix) if scope is None else prefix in scope:
                found.append((statement, scope, condition, key))
    _JUDGEABLE[:] = [(policy, catalog, found)]
    return found


class _ConditionRule(Rule, ABC):
    kinds = KINDS
    severity = "warning"
    source = SERVICE_REFERENCE
    tags: ClassVar[tuple[str, ...]] = ("catalog", "conditions")

    def check(self, policy: Policy, project: Project) -> Iterable[Finding]:
        catalog = get_catalog()
        for statement, scope, condition, key in _judgeable(policy, catalog):
            message = self.judge_key(catalog, statement, scope, condition, key)
            if message is not None:
                yield self.finding(policy, condition.path, message, key=True)

    @abstractmethod
    def judge_key(
        self,
        catalog: Catalog,
        statement: Statement,
        scope: set[str] | None,
        condition: Condition,
        key: str,
    ) -> str | None:
        """Judged by each subclass."""


class UnknownConditionKey(_ConditionRule):
    id = "IG204"
    name = "unknown-condition-key"
    summary = "A service-specific condition key that the service does not define"
    why = (
        "A key no action defines is never in the request. The condition then compares a "
        "missing value: it is false for most operators, but true for ...IfExists, negated "
        "operators (StringNotEquals, ArnNotLike...) and ForAllValues — so a misspelt key "
        "either blocks the statement for good or removes the restriction it was meant to add."
    )
    example = Example(
        bad='"StringEquals": {"iam:PermissionBoundary": "arn:aws:iam::111122223333:policy/B"}',
        good='"StringEquals": {"iam:PermissionsBoundary": "arn:aws:iam::111122223333:policy/B"}',
    )

    def judge_key(
        self,
        catalog: Catalog,
        statement: Statement,
        scope: set[str] | None,
        condition: Condition,
        key: str,
    ) -> str | None:
        prefix = key.partition(":")[0].lower()
        services = None if scope is None else sorted(scope | {prefix})
        if catalog.key_known(key, services):
            return None
        import difflib

        known = {k.lower(): k for k in catalog.service_condition_keys(prefix)}
        close = difflib.get_close_matches(key.lower(), list(known), n=1, cutoff=0.75)
        label = _service_label(catalog, prefix)
        return (
            f"{key} is not a condition key of {label}; requests never carry it, so this "
            f"{condition.operator} condition is {when_absent(condition)}"
            f"{_did_you_mean(known[close[0]] if close else None)}"
        )


class ConditionKeyNotSupported(_ConditionRule):
    id = "IG205"
    name = "condition-key-not-supported"
    summary = "A condition key that exists, but for none of the statement's actions"
    why = (
        "Each action carries only the condition keys its service documents for it. A key "
        "the statement's actions never carry is absent from every request the statement "
        "matches, so the condition is constant: false for most operators, true for "
        "...IfExists, negated operators and ForAllValues. A condition on "
        "iam:PermissionsBoundary attached to iam:CreatePolicyVersion restricts nothing."
    )
    example = Example(
        bad=(
            '"Action": "iam:CreatePolicyVersion", "Condition": {"StringEquals": '
            '{"iam:PermissionsBoundary": "arn:aws:iam::111122223333:policy/B"}}'
        ),
        good=(
            '"Action": "iam:CreateRole", "Condition": {"StringEquals": '
            '{"iam:PermissionsBoundary": "arn:aws:iam::111122223333:policy/B"}}'
        ),
    )

    def judge_key(
        self,
        catalog: Catalog,
        statement: Statement,
        scope: set[str] | None,
        condition: Condition,
        key: str,
    ) -> str | None:
        # With NotAction or a service wildcard the statement reaches too many actions to
        # judge cheaply, and one of them almost always carries the key.
        if scope is None:
            return None
        prefix = key.partition(":")[0].lower()
        if not catalog.key_known(key, sorted(scope | {prefix})):
            return None  # IG204's finding
        values = statement.action or ()
        if any(catalog.supports_key(value, key) for value in values):
            return None
        distinct = sorted({info.full for value in values for info in catalog.expand(value)})
        if not distinct:
            return None  # the actions are unknown: IG201-IG203 report them
        names = ", ".join(distinct[:4])
        more = f" and {len(distinct) - 4} more" if len(distinct) > 4 else ""
        return (
            f"none of this statement's actions ({names}{more}) supports {key}; requests for "
            f"them never carry it, so this {condition.operator} condition is "
            f"{when_absent(condition)}"
        )


_ACTION_RULES: tuple[_ActionRule, ...] = (
    UnknownService(),
    UnknownAction(),
    WildcardMatchesNothing(),
)

RULES = [
    UnknownService,
    UnknownAction,
    WildcardMatchesNothing,
    UnknownConditionKey,
    ConditionKeyNotSupported,
]
