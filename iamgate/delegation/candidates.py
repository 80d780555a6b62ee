"""The candidate requests the search builds from a policy: actions, resources, contexts."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from iamgate.catalog import fill_template, glob_regex
from iamgate.delegation.actions import (
    BOUNDARY,
    BOUNDARY_KEY,
    _actions_matcher,
    _catalog,
    _supports,
    action_entries,
    names_action,
)
from iamgate.delegation.policy_facts import PolicyFacts
from iamgate.delegation.text import (
    _VARIABLE,
    _camel,
    _dedupe,
    _fill,
    _glob_matches,
    _template_regex,
    has_wildcard,
)

if TYPE_CHECKING:
    from iamgate.catalog import ActionInfo, ResourceType
    from iamgate.model import Condition, Policy, Statement
    from iamgate.project import Project

ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
# Actions that act on the caller alone, whatever their Resource: ChangePassword "changes the
# password of the IAM user who is calling this operation"
# (https://docs.aws.amazon.com/IAM/latest/APIReference/API_ChangePassword.html).
CALLER_ONLY = frozenset({"iam:changepassword"})
# Past this many combinations of condition values, keys are varied one at a time.
MAX_CONTEXTS = 128
# A request context as a hashable memo key: sorted (lower-cased key, values) pairs.
ContextKey = tuple[tuple[str, tuple[str, ...]], ...]

# Names used for "a resource outside the prefix": what an attacker would aim at.
OUTSIDE_NAMES = {
    "role": "AdminRole",
    "policy": "AdministratorPolicy",
    "user": "AdminUser",
    "group": "AdminGroup",
    "instance-profile": "AdminInstanceProfile",
    "function": "AdminFunction",
}
# Values a policy does not name, by the key's catalog type (a request always has some value).
_OTHER_VALUE = {"IPAddress": "192.0.2.1", "Numeric": "0", "Date": "2000-01-01T00:00:00Z"}
# What iam:PermissionsBoundary can hold: a managed policy of an account or of AWS.
# (AWS managed policies live under "aws", AWS Marketplace partners' under "partner".)
# A policy name is [\w+=,.@-]+ (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicy.html).
_POLICY_ARN = re.compile(r"arn:[\w-]+:iam::(\d{12}|[a-z][a-z-]*):policy/(.+/)?[\w+=,.@-]+")
# AWS sets as a boundary only a managed policy of the caller's own account or an AWS managed
# one ("You can use an AWS managed policy or a customer managed policy to set the boundary";
# customer managed policies live in, and are attached within, their own account):
# https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
# https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html
# A request naming another account's policy fails, so it is never a candidate: a condition
# that admits only such values fails closed (IG502 warns), it is no escape.
# An action the catalog does not know: the evaluator lets it carry every condition key.
_PROBE_ACTION = "iamgate:probe"
# IAM is a global service with one endpoint, in us-east-1: every IAM request carries
# aws:RequestedRegion us-east-1 and never another value ("all requests to these services are
# made to the us-east-1 Region",
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_aws_deny-requested-region.html).
# iam:PassRole is the exception: it is a permission only, no call to IAM's endpoint ("PassRole
# [permission only]", https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html);
# it is checked inside the request of the service the role is passed to (ec2:RunInstances in
# eu-west-1), so its region is that request's, any region
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html).
REQUESTED_REGION = "aws:RequestedRegion"
_GLOBAL_REGION = {"iam": "us-east-1"}
_PERMISSION_ONLY = frozenset({"iam:passrole"})


def aws_owned(namespace: str) -> bool:
    """An ARN's account field that is no customer account ("aws", "partner"): policies there
    are managed by AWS and can be attached in every account."""
    return bool(namespace) and not namespace.isdigit()


@dataclass(frozen=True, slots=True)
class Candidate:
    """A request not yet built: what an ``unsafe`` predicate judges before anything is evaluated."""

    action: ActionInfo
    resource: str
    context: Mapping[str, tuple[str, ...]]

    @property
    def boundary(self) -> tuple[str, ...] | None:
        return self.context.get(BOUNDARY_KEY)


Unsafe = Callable[[Candidate], bool]


class CandidateSpace(PolicyFacts):
    """The values and requests a policy makes worth asking about, each list built once."""

    def __init__(
        self,
        policy: Policy,
        project: Project,
        account: str | None = None,
        *,
        scps: Sequence[Sequence[Policy]] = (),
    ) -> None:
        super().__init__(policy, project, account, scps=scps)
        self._signatures: dict[str, tuple[frozenset[int], tuple[str, ...]]] = {}
        self._classes: dict[str, int] = {}  # action -> number of its signature
        self._resource_lists: dict[tuple[str, bool], list[str]] = {}
        self._contexts: dict[
            tuple[object, ...], list[tuple[dict[str, tuple[str, ...]], ContextKey]]
        ] = {}
        self._type_resources: dict[tuple[str, str], list[str]] = {}
        self._distinct: dict[str, list[tuple[str, ...] | None]] = {}
        self._named: dict[tuple[str, str], bool] = {}  # (service, name) -> named_by_allow
        self._allow_by_service: dict[str, Callable[[str], bool]] = {}  # see _allow_names

    # -- candidate values -------------------------------------------------------------

    def fill_value(self, raw: str) -> list[str]:
        """Concrete request values that a condition value (maybe a pattern) matches."""
        text = self.substitute(raw)
        if not has_wildcard(text):
            return [text]
        parts = text.split(":", 5)
        if len(parts) == 6 and parts[0] == "arn":
            fields = [
                "arn",
                "aws" if _glob_matches(parts[1], "aws") else _fill(parts[1], "x"),
                "iam" if _glob_matches(parts[2], "iam") else _fill(parts[2], "x"),
                "" if _glob_matches(parts[3], "") else _fill(parts[3], "x"),
            ]
            accounts = [
                a for a in (self.account, self.foreign, "aws") if _glob_matches(parts[4], a)
            ]
            return _dedupe(
                ":".join((*fields, account, _fill(parts[5], filler)))
                for account in accounts or [_fill(parts[4], "x")]
                for filler in ("x", "")
            )
        other = f"arn:aws:iam::{self.foreign}:policy/Other"
        fillers = (other, f"{self.foreign}:policy/Other", "x", "")
        # "*S3AccessBoundary" also admits a policy of this account the delegate can name:
        # arn:aws:iam::<account>:policy/<prefix>xS3AccessBoundary (the first wildcard opens
        # the ARN, any later one is one character of the name).
        own = _fill(text.replace("*", f"arn:aws:iam::{self.account}:policy/{self.prefix}x", 1), "x")
        return _dedupe([*(_fill(text, filler) for filler in fillers), own])

    @cached_property
    def boundary_options(self) -> list[tuple[str, ...] | None]:
        adversarial = [
            ADMINISTRATOR_ACCESS,
            f"arn:aws:iam::{self.account}:policy/{self.prefix}boundary",
        ]
        # A boundary is a managed policy of this account or of AWS: a value a pattern admits
        # but no such policy has ("*" filled with "x", another account) is no request AWS
        # could act on.
        named = [
            v
            for raw in self.values.get(BOUNDARY, ())
            for v in self.fill_value(raw)
            if self.attachable(v)
        ]
        singles = _dedupe([*adversarial, *named, *self.approved_arns])
        unapproved = [v for v in singles if not self.is_approved(v)]
        approved = [v for v in singles if self.is_approved(v)]
        options: list[tuple[str, ...] | None] = [None, *((v,) for v in unapproved + approved)]
        if BOUNDARY in self.set_keys and _catalog().multivalued(BOUNDARY_KEY):
            options += [(approved[0], v) for v in unapproved[:4] if approved]
            # Every pair of unapproved values: which two a set condition tells apart
            # depends on its operator (two near-misses can each pass a different test).
            options += [tuple(pair) for pair in itertools.combinations(unapproved[:6], 2)]
        return options

    def attachable(self, value: str) -> bool:
        """Can AWS set ``value`` as a boundary in this account? A managed policy of the
        account itself or of AWS."""
        match = _POLICY_ARN.fullmatch(value)
        return match is not None and (match.group(1) == self.account or aws_owned(match.group(1)))

    def key_options(self, key: str) -> list[tuple[str, ...] | None]:
        if key == BOUNDARY:
            return self.boundary_options
        kind = _catalog().key_type(key)
        if kind == "Bool":
            singles = ["true", "false"]
        else:
            singles = [v for raw in self.values.get(key, ()) for v in self.fill_value(raw)]
            if kind == "IPAddress":
                singles = [v.split("/")[0] for v in singles]
            singles = _dedupe([*singles, _OTHER_VALUE.get(kind or "", "iamgate-other")])
        options: list[tuple[str, ...] | None] = [None, *((v,) for v in singles)]
        # Only a multi-valued key (ArrayOf... in the catalog) comes with a set of values; a
        # single-valued one (iam:PermissionsBoundary is one ARN) has one value in every request.
        if key in self.set_keys and _catalog().multivalued(key):
            options += [(singles[0], v) for v in singles[1:]]
        return options

    def distinct_options(self, key: str) -> list[tuple[str, ...] | None]:
        """``key_options`` less the options no condition of the policy tells apart.

        A statement's conditions on ``key`` read nothing but its value, so two options on
        which every one of them agrees (and, for the boundary key, that are both approved or
        both not: what the rules judge) give every request the same decision; the first of
        each kind is kept. Fewer options keep the product of the keys' options under
        MAX_CONTEXTS, past which keys are varied one at a time and an Allow that needs two
        keys set at once is never asked about. A key some text reads as a policy variable, or
        whose conditions read a varied key as one, depends on more than its own value: it
        keeps every option.
        """
        found = self._distinct.get(key)
        if found is not None:
            return found
        options = self.key_options(key)
        if key not in self._entangled_keys:
            from iamgate.evaluator import Request
            from iamgate.evaluator.conditions import compile_condition

            tests = [
                compile_condition(condition, self.variables)
                for condition in self._distinct_conditions.get(key, ())
            ]
            kinds: dict[tuple[object, ...], tuple[str, ...] | None] = {}
            for option in options:
                held: tuple[bool, ...] = ()
                if tests:  # no condition reads the key: only the boundary's verdict tells
                    context = dict(self.base_context)
                    if option is not None:
                        context[self.spelling[key]] = option
                    probe = Request(_PROBE_ACTION, "*", context)
                    held = tuple(test.holds(probe) for test in tests)
                kind = (held, key == BOUNDARY and self.boundary_approved(option))
                kinds.setdefault(kind, option)
            options = list(kinds.values())
        self._distinct[key] = options
        return options

    @cached_property
    def _distinct_conditions(self) -> dict[str, list[Condition]]:
        """Lower-case key -> the conditions of read_statements on it, in their order, one of
        each (operator, key, values): a compiled condition reads nothing else (and the
        policy's Version, the same for all), so a repeated one holds exactly when its first
        copy does and tells no two options apart that the first copy does not. Large
        policies repeat the same tag condition in statement after statement."""
        found: dict[str, dict[tuple[str, str, tuple[str, ...]], Condition]] = {}
        for statement in self.read_statements:
            for condition in statement.conditions:
                key = condition.key.lower()
                same = found.setdefault(key, {})
                same.setdefault((condition.operator, key, condition.values), condition)
        return {key: list(same.values()) for key, same in found.items()}

    @cached_property
    def _entangled_keys(self) -> frozenset[str]:
        """Keys read as policy variables, and keys whose conditions read a varied key so."""

        def variables(texts: Iterable[str]) -> set[str]:
            return {
                match.group(1).partition(",")[0].strip().lower()
                for text in texts
                if "${" in text  # every match of _VARIABLE starts so
                for match in _VARIABLE.finditer(text)
            }

        entangled = variables(self._texts())
        varied = self.values.keys()
        for statement in self.read_statements:
            for condition in statement.conditions:
                if not varied.isdisjoint(variables(condition.values)):
                    entangled.add(condition.key.lower())
        return frozenset(entangled)

    # -- candidate requests -----------------------------------------------------------

    def signature(self, action: ActionInfo) -> tuple[frozenset[int], tuple[str, ...]]:
        """What the policy can tell about an action: which statements name it, which of the
        policy's condition keys it carries. Equal signatures, equal decisions."""
        full = action.full.lower()
        found = self._signatures.get(full)
        if found is None:
            # Positions in read_statements: the policy's statements, then the SCPs'.
            named = frozenset(i for i, s in self._naming(full) if names_action(s, full))
            keys = tuple(k for k in self.varied_keys if _supports(full, k))
            found = self._signatures[full] = (named, keys)
        return found

    def _naming(self, full: str) -> tuple[tuple[int, Statement], ...]:
        """(position in read_statements, statement) of each statement whose Action or
        NotAction element can name an action of ``full``'s service (a superset:
        names_action decides). A managed policy has dozens of statements about other
        services; the proofs ask about hundreds of actions."""
        service = full.partition(":")[0]
        by_service: dict[str, tuple[tuple[int, Statement], ...]] = self.__dict__.setdefault(
            "_naming_", {}
        )
        found = by_service.get(service)
        if found is None:
            found = by_service[service] = tuple(
                (i, s) for i, s in enumerate(self.read_statements) if may_name_service(s, service)
            )
        return found

    def action_class(self, action: ActionInfo) -> int:
        full = action.full.lower()
        found = self._classes.get(full)
        if found is None:
            numbers: dict[object, int] = self.__dict__.setdefault("_class_numbers", {})
            found = self._classes[full] = numbers.setdefault(self.signature(action), len(numbers))
        return found

    def names(self, action: str) -> bool:
        """Does some Allow statement name ``action`` (a full name, before any catalog lookup)?"""
        lower = action.lower()
        return self._allow_names(lower.partition(":")[0])(lower) or any(
            not excludes(lower) for excludes in self._allow_nots
        )

    def named_by_allow(self, action: ActionInfo) -> bool:
        """Does some Allow statement of the policy name ``action``? (One matcher over the
        Allow statements' Action entries for the action's service: no signature is built for
        an action no rule will ask about.)"""
        key = (action.service, action.name)
        found = self._named.get(key)
        if found is None:
            full = action.full.lower()
            found = self._named[key] = self._allow_names(full.partition(":")[0])(full) or any(
                not excludes(full) for excludes in self._allow_nots
            )
        return found

    def _allow_names(self, service: str) -> Callable[[str], bool]:
        """A matcher of every Allow statement's Action entries that can name an action of
        ``service``: ``names_action`` over the Allow statements at once, for that service.
        An entry whose service part is another literal service names none of its actions
        (see action_entries); the proofs ask about a handful of services, a managed policy
        names dozens."""
        found = self._allow_by_service.get(service)
        if found is None:
            filed, anywhere = self._allow_filed
            patterns = (*filed.get(service, ()), *anywhere)
            found = self._allow_by_service[service] = (
                _actions_matcher.__wrapped__(patterns) if patterns else _names_nothing
            )
        return found

    @cached_property
    def _allow_filed(self) -> tuple[dict[str, list[str]], tuple[str, ...]]:
        """Every Allow statement's Action entries, filed by literal service (action_entries)
        in one pass: the escalation rules ask about many services a policy never names."""
        filed: dict[str, list[str]] = {}
        anywhere: list[str] = []
        for statement in self.policy.statements:
            if statement.allows and statement.action is not None:
                entries, others = action_entries(statement.action)
                for service, patterns in entries.items():
                    filed.setdefault(service, []).extend(patterns)
                anywhere.extend(others)
        return filed, tuple(anywhere)

    @cached_property
    def _allow_nots(self) -> tuple[Callable[[str], bool], ...]:
        """The NotAction matcher of each Allow statement with one."""
        return tuple(
            _actions_matcher(s.not_action)
            for s in self.policy.statements
            if s.allows and s.action is None and s.not_action is not None
        )

    def resources(self, action: ActionInfo, *, outside_first: bool = False) -> list[str]:
        key = (action.full, outside_first)
        found = self._resource_lists.get(key)
        if found is None:
            found = self._resource_lists[key] = self._resources(action, outside_first)
        return found

    def _resources(self, action: ActionInfo, outside_first: bool) -> list[str]:
        if not action.resource_types:
            return ["*"]
        if action.full.lower() in CALLER_ONLY:
            return [self.caller_arn]
        inside: list[str] = []
        outside: list[str] = []
        for rtype, _required in action.resource_types:
            for template in rtype.arn_patterns:
                for arn in self._resources_of_type(rtype.name, template):
                    (inside if self.in_prefix(arn) else outside).append(arn)
        return _dedupe(outside + inside if outside_first else inside + outside)

    def type_resources(self, rtype: ResourceType) -> list[str]:
        """Candidate ARNs of one resource type: a prefixed name, an outsider, and each
        Resource pattern of the policy made concrete (what ``resources`` lists per type)."""
        return _dedupe(
            arn
            for template in rtype.arn_patterns
            for arn in self._resources_of_type(rtype.name, template)
        )

    def _resources_of_type(self, type_name: str, template: str) -> list[str]:
        key = (type_name, template)
        found = self._type_resources.get(key)
        if found is None:
            arns, service = _named_resources(
                type_name, template, self.account, self.prefix, self.has_not_resource
            )
            listed = list(arns)
            for literal in self._literals_of_service(service):
                listed.extend(_concrete_of_type(self.substitute(literal), template, self.account))
            found = self._type_resources[key] = _dedupe(listed)
        return found

    def _literals_of_service(self, service: str | None) -> tuple[str, ...]:
        """Every Resource/NotResource entry of read_statements, in their order, whose
        service field admits ``service``: the only ones ``_concrete_text`` makes anything of. A
        managed policy lists hundreds of ARNs of other services; the types are many."""
        by_service: dict[str | None, tuple[str, ...]] = self.__dict__.setdefault("_literals_", {})
        found = by_service.get(service)
        if found is None:
            found = by_service[service] = tuple(
                literal
                for statement in self.read_statements
                for literal in (*(statement.resource or ()), *(statement.not_resource or ()))
                if service is not None and _service_field_admits(self.substitute(literal), service)
            )
        return found

    def contexts(
        self, action: ActionInfo, fixed: Mapping[str, tuple[str, ...]] | None = None
    ) -> list[tuple[dict[str, tuple[str, ...]], ContextKey]]:
        """(context, hashable key) pairs: the key absent first, then each value."""
        _, keys = self.signature(action)
        fixed = _with_region(action, keys, fixed or {})
        fixed_lower = {k.lower() for k in fixed}
        keys = tuple(k for k in keys if k not in fixed_lower)
        cache_key = (keys, tuple(sorted(fixed.items())))
        found = self._contexts.get(cache_key)
        if found is not None:
            return found
        options = [self.distinct_options(k) for k in keys]
        total = 1
        for choice in options:
            total *= len(choice)
        if total <= MAX_CONTEXTS:
            combos: Iterable[tuple[tuple[str, ...] | None, ...]] = itertools.product(*options)
        else:
            combos = _one_at_a_time(options)
        found = []
        for combo in combos:
            context = dict(self.base_context)
            context.update(fixed)
            for key, value in zip(keys, combo, strict=True):
                if value is not None:
                    context[self.spelling[key]] = value
            found.append((context, tuple(sorted((k.lower(), v) for k, v in context.items()))))
        self._contexts[cache_key] = found
        return found

    def first_context(
        self, action: ActionInfo, fixed: Mapping[str, tuple[str, ...]] | None = None
    ) -> tuple[dict[str, tuple[str, ...]], ContextKey]:
        """``contexts(action, fixed)[0]``, built alone. Why this is that context: the list is
        the product of each varied key's options (or, past MAX_CONTEXTS, each key varied alone
        after all absent), and every key's options start with None (absent), so its first
        combination sets no varied key: the base context, then the fixed values with IAM's
        region (``_with_region``), each written in that order and keyed by its sorted
        lower-case items. A space drawing its own options or contexts overrides this too."""
        _, keys = self.signature(action)
        context = dict(self.base_context)
        context.update(_with_region(action, keys, fixed or {}))
        return context, tuple(sorted((k.lower(), v) for k, v in context.items()))


def _with_region(
    action: ActionInfo, keys: tuple[str, ...], fixed: Mapping[str, tuple[str, ...]]
) -> Mapping[str, tuple[str, ...]]:
    """``fixed`` plus IAM's region where the action carries aws:RequestedRegion (``keys``:
    its signature's varied keys); iam:PassRole, a permission only, takes none."""
    region = _GLOBAL_REGION.get(action.service.lower())
    if action.full.lower() in _PERMISSION_ONLY:
        region = None
    if region is not None and REQUESTED_REGION.lower() in keys:
        return {**fixed, REQUESTED_REGION: (region,)}
    return fixed


# The memos below answer from their arguments alone (the text of a Resource entry after
# policy variables are substituted, a catalog template, the account, the prefix): a corpus
# repeats the same entries and resource types in policy after policy, and every proof of a
# policy asks for them again.


@lru_cache(maxsize=4096)
def _named_resources(
    type_name: str, template: str, account: str, prefix: str, not_resource: bool
) -> tuple[tuple[str, ...], str | None]:
    """A resource type's ARNs with a prefixed name and with an outsider's (and another
    outsider's, which a NotResource may leave out), and the service field of its ARNs (None
    when the template has no six fields)."""
    names = [prefix + "x", OUTSIDE_NAMES.get(type_name, "Admin" + _camel(type_name))]
    if not_resource:  # a NotResource may exclude exactly the usual outsider
        names.append("Other" + _camel(type_name))
    head = fill_template(template, account, "").split(":", 5)[:5]
    service = head[2] if len(head) == 5 else None
    return tuple(fill_template(template, account, name) for name in names), service


@lru_cache(maxsize=16384)
def _concrete_of_type(text: str, template: str, account: str) -> tuple[str, ...]:
    """``_concrete_text`` of a Resource entry, kept where it has the type's ARN shape."""
    head = tuple(fill_template(template, account, "").split(":", 5)[:5])
    shape = _template_regex(template)
    return tuple(arn for arn in _concrete_text(text, head) if shape.fullmatch(arn))


@lru_cache(maxsize=16384)
def _service_field_admits(text: str, service: str) -> bool:
    parts = text.split(":", 5)
    return len(parts) == 6 and _glob_matches(parts[2], service)


def _concrete_text(text: str, head: tuple[str, ...]) -> tuple[str, ...]:
    """A Resource entry (variables substituted) made concrete under ``head``, the first five
    fields of the type's ARNs in the principal's account: role/x-* -> role/x-x, role/x-.

    Empty when it cannot name a resource of this type there (another service, another
    account: IAM acts on the caller's own account only)."""
    parts = text.split(":", 5)
    if len(parts) != 6 or len(head) != 5:
        return ()
    if not (_glob_matches(parts[2], head[2]) and _glob_matches(parts[4], head[4])):
        return ()
    region = head[3]
    if region and parts[3] and not has_wildcard(parts[3]):
        region = parts[3]
    if not _glob_matches(parts[3], region):
        return ()
    prefix = ":".join((*head[:3], region, head[4]))
    return tuple(f"{prefix}:{_fill(parts[5], filler)}" for filler in ("x", ""))


def _names_nothing(_: str) -> bool:
    return False  # no Allow entry can name an action of the service


def _one_at_a_time(
    options: list[list[tuple[str, ...] | None]],
) -> Iterator[tuple[tuple[str, ...] | None, ...]]:
    """Every key absent, then each key's values with the others absent (too many combinations)."""
    base: list[tuple[str, ...] | None] = [None] * len(options)
    yield tuple(base)
    for index, choice in enumerate(options):
        for value in choice[1:]:
            combo = list(base)
            combo[index] = value
            yield tuple(combo)


def may_name_service(statement: Statement, service: str) -> bool:
    """Can the statement's Action or NotAction element name an action of ``service``? Read
    from the service part of each entry alone: a superset of names_action."""
    if statement.action is None:
        return statement.not_action is not None  # NotAction names every other service
    filed, anywhere = action_entries(statement.action)
    if service in filed:
        return True  # a filed entry's part is its literal service
    for pattern in anywhere:
        part = pattern.lower().partition(":")[0]
        if part == service or (has_wildcard(part) and glob_regex(part).fullmatch(service)):
            return True
    return False
