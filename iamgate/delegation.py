"""Delegation proofs: the machinery shared by the security rules IG3xx and IG4xx.

A rule states an invariant as "no *unsafe* request is allowed" and the proof decides it by
asking the evaluator about every request of a candidate space built for the policy at hand:

* actions: the catalog's actions of the family the rule guards (derived from the catalog,
  not listed by hand, wherever the catalog can say it), kept when some Allow statement
  names them;
* resources: for each resource type of the action, a name inside the delegation prefix, one
  outside it, and every Resource/NotResource pattern of the policy made concrete
  (``role/*service-*`` -> ``role/xservice-x``);
* contexts: every condition key of the policy the action can carry, absent and with each
  value the policy names (wildcards filled in so that they match) plus one the policy does
  not name; for iam:PermissionsBoundary the adversarial boundaries as well (a foreign
  policy, AdministratorAccess, the approved name in another account, a policy the delegate
  could create) and two values at once where a set operator reads the key.

Actions that no statement tells apart (the same statements name them, they carry the same
condition keys of the policy) get the same decision for the same resource and context, so
each class is evaluated once per (resource, context) and the answer shared. A reported
counterexample is always evaluated again for its own action: a finding checks itself.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from typing import TYPE_CHECKING, Any, ClassVar

from iamgate.catalog import fill_template
from iamgate.rules.base import Rule

if TYPE_CHECKING:
    from iamgate.catalog import ActionInfo, Catalog
    from iamgate.config import Config
    from iamgate.document import JsonPath
    from iamgate.evaluator import Decision, Request
    from iamgate.findings import Finding
    from iamgate.model import Policy, Statement
    from iamgate.project import Project

BOUNDARY_KEY = "iam:PermissionsBoundary"
BOUNDARY = BOUNDARY_KEY.lower()
DEFAULT_ACCOUNT = "123456789012"
_FOREIGN_ACCOUNTS = ("111122223333", "444455556666")
CALLER = "iamgate-caller"  # aws:username of the delegate whose requests are searched
VARIABLES_VERSION = "2012-10-17"
ADMINISTRATOR_ACCESS = "arn:aws:iam::aws:policy/AdministratorAccess"
# Past this many combinations of condition values, keys are varied one at a time.
MAX_CONTEXTS = 128

BOUNDARIES_DOC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html"
OPERATORS_DOC = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/"
    "reference_policies_elements_condition_operators.html"
)
ESCALATION_DOC = "https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/"

PRINCIPAL_TYPES = frozenset({"role", "user"})
DELEGATED_TYPES = frozenset({"role", "user", "policy"})
SCOPED_TYPES = frozenset({"role", "policy", "instance-profile", "user"})
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
_IDENTITY_KEYS = ("aws:PrincipalAccount", "aws:username")

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_ACCOUNT_IN_ARN = re.compile(r"arn:aws[\w-]*:iam::(\d{12}):")


# -- the catalog's families of actions ----------------------------------------------------


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


def lookup(*names: str) -> tuple[ActionInfo, ...]:
    """The catalog entries of well-known actions (an action the catalog lacks is skipped)."""
    catalog = _catalog()
    return tuple(info for name in names if (info := catalog.lookup(name)) is not None)


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
    # key tables of every service (what actions_with_condition_key does).
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
    one joined regex per element cost more than the whole proof on large corpora.
    """
    from iamgate.catalog import glob_regex, has_wildcard

    exact: set[str] = set()
    by_service: dict[str, list[re.Pattern[str]]] = {}
    anywhere: list[re.Pattern[str]] = []
    for pattern in patterns:
        low = pattern.lower()
        if not has_wildcard(low):
            exact.add(low)
            continue
        service, colon, _ = low.partition(":")
        if colon and not has_wildcard(service):
            by_service.setdefault(service, []).append(glob_regex(low))
        else:
            anywhere.append(glob_regex(low))

    def matches(action: str) -> bool:
        if action in exact:
            return True
        for regex in by_service.get(action.partition(":")[0], ()):
            if regex.fullmatch(action):
                return True
        return any(regex.fullmatch(action) for regex in anywhere)

    return matches


def names_action(statement: Statement, action: str) -> bool:
    """Does the statement's Action (or NotAction) element cover ``action`` (lower case)?"""
    if statement.action is not None:
        return _actions_matcher(statement.action)(action)
    if statement.not_action is not None:
        return not _actions_matcher(statement.not_action)(action)
    return False


# -- small text helpers -------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _glob(pattern: str) -> re.Pattern[str]:
    """A case-sensitive glob (``*``, ``?``) for ARN fields."""
    return re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    )


def _fill(text: str, filler: str) -> str:
    return text.replace("*", filler).replace("?", "x")


def has_wildcard(text: str) -> bool:
    return "*" in text or "?" in text


def _dedupe(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


@lru_cache(maxsize=4096)
def resource_name(arn: str) -> str:
    """The last name in an ARN's resource part: role/team/service-x -> service-x."""
    parts = arn.split(":", 5)
    return re.split(r"[/:]", parts[5] if len(parts) == 6 else arn)[-1]


@lru_cache(maxsize=1024)
def _template_regex(template: str) -> re.Pattern[str]:
    out: list[str] = []
    last = 0
    for match in _VARIABLE.finditer(template):
        out.append(re.escape(template[last : match.start()]))
        name = match.group(1).lower()
        out.append(
            "aws" if name == "partition" else "[^:]*" if name in ("region", "account") else ".+"
        )
        last = match.end()
    out.append(re.escape(template[last:]))
    return re.compile("".join(out))


def _camel(type_name: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[-_ ]", type_name))


# -- the search ---------------------------------------------------------------------------


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


@dataclass(frozen=True)
class Violation:
    """An allowed request that breaks an invariant, with the statements that allow it."""

    action: ActionInfo
    request: Request
    decision: Decision
    detail: str = ""  # rule-specific words for the message
    also: tuple[Statement, ...] = ()  # further statements that take part (IG406)

    @property
    def statements(self) -> tuple[Statement, ...]:
        own = [s for _, s in self.decision.statements]
        return (*own, *(s for s in self.also if all(s is not o for o in own)))


class Proof:
    """One policy, its project's delegation settings, and every question asked about it.

    Each distinct question is evaluated once; each rule's violations are computed once, so
    rules that defer to one another can compare answers without asking twice.
    """

    def __init__(self, policy: Policy, project: Project) -> None:
        self.policy = policy
        self.project = project
        self.config: Config = project.config
        self.prefix = project.prefix
        self.approved_names = frozenset(project.approved_boundaries)
        self.deploy_path = project.config.deploy.path or "/"
        self.variables = policy.version == VARIABLES_VERSION
        self.account = principal_account(policy)
        self.foreign = next(a for a in _FOREIGN_ACCOUNTS if a != self.account)
        self.caller_arn = f"arn:aws:iam::{self.account}:user/{CALLER}"
        self._memo: dict[tuple[object, ...], Decision] = {}
        self._signatures: dict[str, tuple[frozenset[int], tuple[str, ...]]] = {}
        self._classes: dict[str, int] = {}  # action -> number of its signature
        self._resource_lists: dict[tuple[str, bool], list[str]] = {}
        self._contexts: dict[
            tuple[object, ...], list[tuple[dict[str, tuple[str, ...]], tuple]]
        ] = {}
        self._type_resources: dict[tuple[str, str], list[str]] = {}
        self._violations: dict[str, list[Violation]] = {}
        self._scan_conditions()

    # -- what the policy says ---------------------------------------------------------

    def _scan_conditions(self) -> None:
        catalog = _catalog()
        self.spelling: dict[str, str] = {BOUNDARY: BOUNDARY_KEY}
        self.values: dict[str, list[str]] = {}
        self.set_keys: set[str] = set()
        identity = {k.lower() for k in _IDENTITY_KEYS}
        for statement in self.policy.statements:
            for condition in statement.conditions:
                key = condition.key.lower()
                if key in identity:
                    continue  # who the delegate is stays fixed
                if key not in self.spelling:
                    described = catalog.describe_key(key)
                    self.spelling[key] = (
                        described[0] if described and "${" not in described[0] else condition.key
                    )
                operator = condition.operator.lower()
                if operator.startswith(("forallvalues:", "foranyvalue:")):
                    self.set_keys.add(key)
                values = self.values.setdefault(key, [])
                if not operator.startswith("null"):  # Null's values say "absent", not a value
                    values.extend(condition.values)
        # The boundary key is always varied: every proof about it needs the adversarial values.
        self.values.setdefault(BOUNDARY, [])
        self.varied_keys: tuple[str, ...] = tuple(self.values)
        self.base_context: dict[str, tuple[str, ...]] = {
            "aws:PrincipalAccount": (self.account,),
            "aws:username": (CALLER,),
        }
        for text in self._texts():
            for match in _VARIABLE.finditer(text):
                key = match.group(1).partition(",")[0].strip()
                lower = key.lower()
                if ":" in key and lower not in identity and lower not in self.values:
                    self.base_context.setdefault(
                        key, ("x",)
                    )  # some value for ${aws:PrincipalTag/team}
        self._lower_base = {k.lower(): v for k, v in self.base_context.items()}
        self.has_not_resource = any(s.not_resource is not None for s in self.policy.statements)

    def _texts(self) -> Iterator[str]:
        for statement in self.policy.statements:
            yield from statement.resource or ()
            yield from statement.not_resource or ()
            for condition in statement.conditions:
                yield from condition.values

    def substitute(self, text: str) -> str:
        """Policy variables replaced by the values the searched requests carry."""
        if not self.variables or "${" not in text:
            return text

        def value(match: re.Match[str]) -> str:
            name, _, default = match.group(1).partition(",")
            key = name.strip().lower()
            if key in ("*", "?", "$"):
                return key
            found = self._lower_base.get(key)
            if found:
                return found[0]
            default = default.strip()
            return default[1:-1] if len(default) >= 2 and default[0] == "'" == default[-1] else "x"

        return _VARIABLE.sub(value, text)

    # -- judging values ---------------------------------------------------------------

    @cached_property
    def approved_arns(self) -> tuple[str, ...]:
        paths = _dedupe((self.deploy_path, "/"))
        return tuple(
            f"arn:aws:iam::{self.account}:policy{path}{name}"
            for name in sorted(self.approved_names)
            for path in paths
        )

    def is_approved(self, value: str) -> bool:
        """An approved boundary of the principal's own account. Any path: IAM names are
        unique in an account whatever their path, so the name decides."""
        head = f"arn:aws:iam::{self.account}:policy/"
        return value.startswith(head) and value.rsplit("/", 1)[-1] in self.approved_names

    def boundary_approved(self, values: tuple[str, ...] | None) -> bool:
        return bool(values) and all(self.is_approved(v) for v in values)  # type: ignore[union-attr]

    def in_prefix(self, arn: str) -> bool:
        return resource_name(arn).startswith(self.prefix)

    def protected_policies(self) -> dict[str, str]:
        """ARN -> why it is protected: the approved boundaries and this policy itself."""
        out = {arn: f"the approved boundary {resource_name(arn)}" for arn in self.approved_arns}
        for path in _dedupe((self.deploy_path, "/")):
            out[f"arn:aws:iam::{self.account}:policy{path}{self.policy.name}"] = (
                "this delegation policy"
            )
        return out

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
                "aws" if _glob(parts[1]).fullmatch("aws") else _fill(parts[1], "x"),
                "iam" if _glob(parts[2]).fullmatch("iam") else _fill(parts[2], "x"),
                "" if _glob(parts[3]).fullmatch("") else _fill(parts[3], "x"),
            ]
            accounts = [
                a for a in (self.account, self.foreign, "aws") if _glob(parts[4]).fullmatch(a)
            ]
            return _dedupe(
                ":".join((*fields, account, _fill(parts[5], filler)))
                for account in accounts or [_fill(parts[4], "x")]
                for filler in ("x", "")
            )
        other = f"arn:aws:iam::{self.foreign}:policy/Other"
        fillers = (other, f"{self.foreign}:policy/Other", "x", "")
        return _dedupe(_fill(text, filler) for filler in fillers)

    @cached_property
    def boundary_options(self) -> list[tuple[str, ...] | None]:
        adversarial = [
            ADMINISTRATOR_ACCESS,
            f"arn:aws:iam::{self.foreign}:policy/Other",
            *(f"arn:aws:iam::{self.foreign}:policy/{name}" for name in sorted(self.approved_names)),
            f"arn:aws:iam::{self.account}:policy/{self.prefix}boundary",
        ]
        named = [v for raw in self.values.get(BOUNDARY, ()) for v in self.fill_value(raw)]
        singles = _dedupe([*adversarial, *named, *self.approved_arns])
        unapproved = [v for v in singles if not self.is_approved(v)]
        approved = [v for v in singles if self.is_approved(v)]
        options: list[tuple[str, ...] | None] = [None, *((v,) for v in unapproved + approved)]
        if BOUNDARY in self.set_keys:
            options += [(approved[0], v) for v in unapproved[:4] if approved]
            options += [tuple(unapproved[:2])] if len(unapproved) > 1 else []
        return options

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
        if key in self.set_keys:
            options += [(singles[0], v) for v in singles[1:]]
        return options

    # -- candidate requests -----------------------------------------------------------

    def signature(self, action: ActionInfo) -> tuple[frozenset[int], tuple[str, ...]]:
        """What the policy can tell about an action: which statements name it, which of the
        policy's condition keys it carries. Equal signatures, equal decisions."""
        full = action.full.lower()
        found = self._signatures.get(full)
        if found is None:
            named = frozenset(s.index for s in self.policy.statements if names_action(s, full))
            keys = tuple(k for k in self.varied_keys if _supports(full, k))
            found = self._signatures[full] = (named, keys)
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
        return any(s.allows and names_action(s, lower) for s in self.policy.statements)

    def named_by_allow(self, action: ActionInfo) -> bool:
        named, _ = self.signature(action)
        return any(self.policy.statements[i].allows for i in named)

    def resources(self, action: ActionInfo, *, outside_first: bool = False) -> list[str]:
        key = (action.full, outside_first)
        found = self._resource_lists.get(key)
        if found is None:
            found = self._resource_lists[key] = self._resources(action, outside_first)
        return found

    def _resources(self, action: ActionInfo, outside_first: bool) -> list[str]:
        if not action.resource_types:
            return ["*"]
        inside: list[str] = []
        outside: list[str] = []
        for rtype, _required in action.resource_types:
            for template in rtype.arn_patterns:
                for arn in self._resources_of_type(rtype.name, template):
                    (inside if self.in_prefix(arn) else outside).append(arn)
        return _dedupe(outside + inside if outside_first else inside + outside)

    def _resources_of_type(self, type_name: str, template: str) -> list[str]:
        key = (type_name, template)
        found = self._type_resources.get(key)
        if found is None:
            names = [self.prefix + "x", OUTSIDE_NAMES.get(type_name, "Admin" + _camel(type_name))]
            if self.has_not_resource:  # a NotResource may exclude exactly the usual outsider
                names.append("Other" + _camel(type_name))
            arns = [fill_template(template, self.account, name) for name in names]
            shape = _template_regex(template)
            head = fill_template(template, self.account, "").split(":", 5)[:5]
            for statement in self.policy.statements:
                for literal in (*(statement.resource or ()), *(statement.not_resource or ())):
                    arns.extend(a for a in self._concrete(literal, head) if shape.fullmatch(a))
            found = self._type_resources[key] = _dedupe(arns)
        return found

    def _concrete(self, literal: str, head: list[str]) -> list[str]:
        """A Resource pattern made concrete in the principal's account: role/x-* -> role/x-x.

        Empty when it cannot name a resource of this type there (another service, another
        account: IAM acts on the caller's own account only).
        """
        parts = self.substitute(literal).split(":", 5)
        if len(parts) != 6 or len(head) != 5:
            return []
        if not (_glob(parts[2]).fullmatch(head[2]) and _glob(parts[4]).fullmatch(head[4])):
            return []
        region = head[3]
        if region and parts[3] and not has_wildcard(parts[3]):
            region = parts[3]
        if not _glob(parts[3]).fullmatch(region):
            return []
        prefix = ":".join((*head[:3], region, head[4]))
        return [f"{prefix}:{_fill(parts[5], filler)}" for filler in ("x", "")]

    def contexts(
        self, action: ActionInfo, fixed: Mapping[str, tuple[str, ...]] | None = None
    ) -> list[tuple[dict[str, tuple[str, ...]], tuple]]:
        """(context, hashable key) pairs: the key absent first, then each value."""
        _, keys = self.signature(action)
        fixed = fixed or {}
        fixed_lower = {k.lower() for k in fixed}
        keys = tuple(k for k in keys if k not in fixed_lower)
        cache_key = (keys, tuple(sorted(fixed.items())))
        found = self._contexts.get(cache_key)
        if found is not None:
            return found
        options = [self.key_options(k) for k in keys]
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

    # -- asking the evaluator ---------------------------------------------------------

    def _decide(
        self, action: ActionInfo, resource: str, context: dict[str, tuple[str, ...]], ckey: tuple
    ) -> Decision:
        key = (self.action_class(action), resource, ckey)
        found = self._memo.get(key)
        if found is None:
            from iamgate.evaluator import Request, evaluate

            found = self._memo[key] = evaluate(
                Request(action.full, resource, context), (self.policy,)
            )
        return found

    def evaluate(self, request: Request) -> Decision:
        from iamgate.evaluator import evaluate

        return evaluate(request, (self.policy,))

    def first_violation(
        self,
        action: ActionInfo,
        unsafe: Unsafe,
        *,
        outside_first: bool = False,
        fixed: Mapping[str, tuple[str, ...]] | None = None,
        resources: Sequence[str] | None = None,
        shared: bool = True,
    ) -> Violation | None:
        """The first candidate request for ``action`` that is unsafe and allowed."""
        from iamgate.evaluator import Request

        for resource in (
            resources
            if resources is not None
            else self.resources(action, outside_first=outside_first)
        ):
            for context, ckey in self.contexts(action, fixed):
                if not unsafe(Candidate(action, resource, context)):
                    continue
                if shared:
                    decision = self._decide(action, resource, context, ckey)
                else:
                    decision = self.evaluate(Request(action.full, resource, context))
                if not decision.allowed:
                    continue
                request = Request(action.full, resource, context)
                direct = self.evaluate(request) if shared else decision
                if not direct.allowed:
                    # The class shortcut disagreed with the evaluator: search this action alone.
                    return self.first_violation(
                        action,
                        unsafe,
                        outside_first=outside_first,
                        fixed=fixed,
                        resources=resources,
                        shared=False,
                    )
                return Violation(action, request, direct)
        return None

    def search(
        self,
        actions: Iterable[ActionInfo],
        unsafe: Unsafe,
        *,
        outside_first: bool = False,
        fixed: Mapping[str, tuple[str, ...]] | None = None,
        resources: Sequence[str] | None = None,
    ) -> list[Violation]:
        """One violation (the first found) per action that some Allow statement names."""
        found: list[Violation] = []
        for action in actions:
            if not self.named_by_allow(action):
                continue
            violation = self.first_violation(
                action, unsafe, outside_first=outside_first, fixed=fixed, resources=resources
            )
            if violation is not None:
                found.append(violation)
        return found

    def may_allow(self, services: tuple[str, ...]) -> bool:
        """Can some Allow statement name an action of one of ``services``? Decided on the
        Action element's service part alone: cheap, and exact enough to skip a search."""
        from iamgate.catalog import glob_regex

        for statement in self.policy.statements:
            if not statement.allows:
                continue
            if statement.not_action is not None:
                return True
            for pattern in statement.action or ():
                service = glob_regex(pattern.partition(":")[0])
                if any(service.fullmatch(name) for name in services):
                    return True
        return False

    @cached_property
    def is_delegation(self) -> bool:
        """Does the policy allow, for some request, an action that creates or changes a
        principal or a managed policy?"""
        if self.policy.kind != "identity" or not self.may_allow(("iam",)):
            return False
        return any(
            self.named_by_allow(action) and self.first_violation(action, _always) is not None
            for action in delegation_actions()
        )

    # -- rules' results ---------------------------------------------------------------

    def violations(self, rule: ProofRule) -> list[Violation]:
        found = self._violations.get(rule.id)
        if found is None:
            found = self._violations[rule.id] = rule.search(self)
        return found

    def reported_elsewhere(self, rule: ProofRule, violation: Violation) -> bool:
        """Is the same action already reported by a rule ``rule`` defers to?"""
        from iamgate.rules import all_rules

        rules = all_rules()
        for other_id in rule.defers_to:
            other = rules.get(other_id)
            if not isinstance(other, ProofRule) or not other.enabled(self.config):
                continue
            if self.policy.kind not in other.kinds or not other.applies(self):
                continue
            if any(v.action.full == violation.action.full for v in self.violations(other)):
                return True
        return False


def _always(_: Candidate) -> bool:
    return True


def _one_at_a_time(
    options: list[list[tuple[str, ...] | None]],
) -> Iterator[tuple[tuple[str, ...] | None, ...]]:
    """Every key absent, then each key's values with the others absent (too many combinations)."""
    base = [None] * len(options)
    yield tuple(base)
    for index, choice in enumerate(options):
        for value in choice[1:]:
            combo = list(base)
            combo[index] = value
            yield tuple(combo)


def principal_account(policy: Policy) -> str:
    """The account a policy manages: the one its IAM Resource ARNs name most, else a sample."""
    counts: Counter[str] = Counter()
    for statement in policy.statements:
        for text in (*(statement.resource or ()), *(statement.not_resource or ())):
            counts.update(_ACCOUNT_IN_ARN.findall(text))
    return counts.most_common(1)[0][0] if counts else DEFAULT_ACCOUNT


_PROOFS: dict[int, Proof] = {}


def proof_for(policy: Policy, project: Project) -> Proof:
    """The proof of one policy, shared by every rule that judges it in this run."""
    found = _PROOFS.get(id(policy))
    if found is not None and found.policy is policy and found.project is project:
        return found
    if len(_PROOFS) >= 64:
        _PROOFS.clear()  # the cache holds the policies it keys, so keep it small
    found = _PROOFS[id(policy)] = Proof(policy, project)
    return found


def clear_cache() -> None:
    """Forget every proof (benchmarks measure a proof from scratch)."""
    _PROOFS.clear()


# -- findings -----------------------------------------------------------------------------


def statement_label(policy: Policy, statements: Sequence[Statement]) -> str:
    def one(statement: Statement) -> str:
        name = f'"{statement.sid}"' if statement.sid else f"#{statement.index + 1}"
        return f"{name} (line {policy.line_of(statement.path)})"

    labels = [one(s) for s in statements]
    if len(labels) == 1:
        return f"statement {labels[0]}"
    return "statements " + ", ".join(labels[:-1]) + " and " + labels[-1]


def listing(names: Sequence[str], limit: int = 6) -> str:
    """``a, b, c`` or ``a, b, c and 12 more``: findings stay readable for ``iam:*``."""
    if len(names) <= limit:
        return ", ".join(names)
    return ", ".join(names[: limit - 1]) + f" and {len(names) - limit + 1} more"


def _values_text(values: tuple[str, ...]) -> str:
    return values[0] if len(values) == 1 else "[" + ", ".join(values) + "]"


def describe_request(request: Request, proof: Proof) -> str:
    """``iam:CreateRole on arn:... with no permissions boundary``: the request in words,
    naming each key the policy's conditions read, present or absent."""
    action = _catalog().lookup(request.action)
    keys = list(proof.signature(action)[1]) if action is not None else []
    base = {k.lower() for k in proof.base_context}
    spelled = {k.lower(): k for k in request.context}
    for key in spelled:
        if key not in base and key not in keys:
            keys.append(key)
    lowered = {k.lower(): v for k, v in request.context.items()}
    parts: list[str] = []
    for key in keys:
        values = lowered.get(key)
        if key == BOUNDARY:
            parts.append(
                f"permissions boundary {_values_text(values)}"
                if values
                else "no permissions boundary"
            )
        else:
            name = proof.spelling.get(key) or spelled.get(key, key)
            parts.append(f"{name} = {_values_text(values)}" if values else f"no {name}")
    text = f"{request.action} on {request.resource}"
    return f"{text} with {' and '.join(parts)}" if parts else text


class ProofRule(Rule):
    """A rule decided by a search: ``search`` finds the violations, the base reports them.

    ``defers_to`` names rules that report the same request better; an action one of them
    (enabled and applicable) already reports is left out here, so one request is one finding.
    """

    kinds = ("identity",)
    stage = "rules"
    tags: ClassVar[tuple[str, ...]] = ("security", "delegation")
    delegation_only: ClassVar[bool] = True
    defers_to: ClassVar[tuple[str, ...]] = ()
    element: ClassVar[str] = "Action"  # where a finding points: Action, Resource or Condition
    # The services whose actions the rule is about: a policy that can allow none of them
    # (most policies of a large corpus) is skipped before any search.
    services: ClassVar[tuple[str, ...]] = ("iam",)

    def search(self, proof: Proof) -> list[Violation]:
        raise NotImplementedError

    def consequence(self, violation: Violation, proof: Proof) -> str:
        return ""

    def applies(self, proof: Proof) -> bool:
        if not proof.may_allow(self.services):
            return False
        return proof.is_delegation if self.delegation_only else True

    def enabled(self, config: Config) -> bool:
        return config.rules.get(self.id, config.rules.get(self.name)) != "off"

    def check(self, policy: Policy, project: Project) -> list[Finding]:
        if policy.kind not in self.kinds:
            return []
        proof = proof_for(policy, project)
        if not self.applies(proof):
            return []
        violations = [v for v in proof.violations(self) if not proof.reported_elsewhere(self, v)]
        return list(self.findings(proof, violations))

    def findings(self, proof: Proof, violations: Sequence[Violation]) -> Iterator[Finding]:
        groups: dict[tuple[int, ...], list[Violation]] = {}
        for violation in violations:
            groups.setdefault(tuple(s.index for s in violation.statements), []).append(violation)
        for group in groups.values():
            first = group[0]
            allowing = [s for _, s in first.decision.statements]
            message = (
                f"{describe_request(first.request, proof)} is allowed by "
                f"{statement_label(proof.policy, allowing)}"
            )
            consequence = self.consequence(first, proof)
            if consequence:
                message += f": {consequence}"
            others = _dedupe(v.action.full for v in group[1:] if v.action.full != first.action.full)
            if others:
                message += f" (and likewise {listing(others)})"
            yield self.finding(
                proof.policy,
                self.location(first),
                message,
                key=True,
                counterexample=counterexample(first.request, proof.policy),
                statements=first.statements,
            )

    def location(self, violation: Violation) -> JsonPath:
        statement = violation.statements[0]
        if self.element == "Condition":
            for condition in statement.conditions:
                if condition.key.lower() == BOUNDARY:
                    return condition.path
        if self.element in ("Condition", "Action"):
            return (*statement.path, "Action" if statement.action is not None else "NotAction")
        return (*statement.path, "Resource" if statement.resource is not None else "NotResource")


def counterexample(request: Request, policy: Policy) -> dict[str, Any]:
    """The request as a finding carries it, naming as absent (``[]``) every key the
    policy's conditions test that the request lacks: a reader must see that the
    escape works precisely because ``iam:PermissionsBoundary`` is missing."""
    out = request.to_dict()
    context = out["context"]
    present = {key.lower() for key in context}
    for statement in policy.statements:
        for condition in statement.conditions:
            key = condition.key
            if key.lower() in present or not _supports(request.action, key):
                continue
            present.add(key.lower())
            context[key] = []
    return out
