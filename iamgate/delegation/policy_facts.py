"""What one policy and its project say, before any request is built.

The condition keys and values the policy reads, its policy variables, the account it
manages, the approved boundaries and the delegation prefix: the base of the search.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from iamgate.delegation.actions import BOUNDARY, BOUNDARY_KEY, _catalog
from iamgate.delegation.text import _NAME_SEPARATORS, _VARIABLE, _dedupe, resource_name
from iamgate.organization import PLACEHOLDER_ACCOUNT, literal_accounts

if TYPE_CHECKING:
    from iamgate.config import Config
    from iamgate.model import Policy, Statement
    from iamgate.project import Project

DEFAULT_ACCOUNT = PLACEHOLDER_ACCOUNT
_FOREIGN_ACCOUNTS = ("111122223333", "444455556666")
CALLER = "iamgate-caller"  # aws:username of the delegate whose requests are searched
VARIABLES_VERSION = "2012-10-17"
_IDENTITY_KEYS = ("aws:PrincipalAccount", "aws:username")


def principal_account(policy: Policy) -> str:
    """The account a policy manages when nothing else says: the one its IAM ARNs name most."""
    named = literal_accounts(policy)
    return named[0] if named else DEFAULT_ACCOUNT


@lru_cache(maxsize=4096)
def _in_prefix(arn: str, prefix: str) -> bool:
    # The same candidate ARNs come back for every action and every policy of a project.
    if resource_name(arn).startswith(prefix):
        return True
    parts = arn.split(":", 5)
    rest = _NAME_SEPARATORS.split(parts[5], maxsplit=1) if len(parts) == 6 else []
    return len(rest) == 2 and rest[1].startswith(prefix)


class PolicyFacts:
    """One policy and its project's delegation settings, read once for every question.

    ``account`` is the account the principal lives in (``Project.accounts_for``; by default
    the first one the project deploys it to); ``scps`` the SCP levels above it, root first. SCP
    statements are read with the policy's own (their condition keys, values and resources are
    varied too), since a request they tell apart may get another decision.
    """

    def __init__(
        self,
        policy: Policy,
        project: Project,
        account: str | None = None,
        *,
        scps: Sequence[Sequence[Policy]] = (),
    ) -> None:
        self.policy = policy
        self.project = project
        self.config: Config = project.config
        self.prefix = project.prefix
        self.approved_names = frozenset(project.approved_boundaries)
        self.deploy_path = project.config.deploy.path or "/"
        self.variables = policy.version == VARIABLES_VERSION
        self.account = account or project.accounts_for_policy(policy)[0].account or DEFAULT_ACCOUNT
        self.scps = tuple(tuple(level) for level in scps)
        # Another account's ARNs: what a wildcard in an account field also admits. IAM acts on
        # the caller's own account only, and attaches as a boundary only a managed policy of
        # that account or of AWS, so requests naming it are no escape (they fail).
        self.foreign = next(a for a in _FOREIGN_ACCOUNTS if a != self.account)
        self.caller_arn = self.principal_arn()

    def principal_arn(self) -> str:
        """The principal whose requests are searched: the delegate, an IAM user."""
        return f"arn:aws:iam::{self.account}:user/{CALLER}"

    def identity_context(self) -> dict[str, tuple[str, ...]]:
        """Who the principal is: fixed in every request, never varied."""
        return {"aws:PrincipalAccount": (self.account,), "aws:username": (CALLER,)}

    @cached_property
    def read_statements(self) -> tuple[Statement, ...]:
        """Every statement a decision reads: the policy's, then the SCPs' (AWS's default
        FullAWSAccess, the same for every request, tells nothing apart and is left out)."""
        from iamgate.organization import full_aws_access

        default = full_aws_access()
        extra = (s for level in self.scps for p in level if p is not default for s in p.statements)
        return (*self.policy.statements, *extra)

    # -- what the policy says ---------------------------------------------------------

    # What the conditions say is read when a search first needs it: most policies of a large
    # corpus name no action a rule asks about, and their proofs never build a request.

    @cached_property
    def spelling(self) -> dict[str, str]:
        """Lower-case condition key -> the spelling a request carries."""
        self._scan_conditions()
        return self.spelling

    @cached_property
    def values(self) -> dict[str, list[str]]:
        """Lower-case varied key -> the values the conditions name (the boundary key always)."""
        self._scan_conditions()
        return self.values

    @cached_property
    def set_keys(self) -> set[str]:
        """Keys a set operator (ForAllValues, ForAnyValue) reads."""
        self._scan_conditions()
        return self.set_keys

    @cached_property
    def base_context(self) -> dict[str, tuple[str, ...]]:
        """What every request carries: who the principal is, some value for each variable."""
        self._scan_conditions()
        return self.base_context

    @cached_property
    def varied_keys(self) -> tuple[str, ...]:
        self._scan_conditions()
        return self.varied_keys

    @cached_property
    def _lower_base(self) -> dict[str, tuple[str, ...]]:
        self._scan_conditions()
        return self._lower_base

    @cached_property
    def has_not_resource(self) -> bool:
        self._scan_conditions()
        return self.has_not_resource

    def _scan_conditions(self) -> None:
        """Sets every attribute above at once (into the instance: the cached values)."""
        catalog = _catalog()
        spelling: dict[str, str] = {BOUNDARY: BOUNDARY_KEY}
        values: dict[str, list[str]] = {}
        set_keys: set[str] = set()
        base_context: dict[str, tuple[str, ...]] = self.identity_context()
        identity = {k.lower() for k in (*_IDENTITY_KEYS, *base_context)}
        for statement in self.read_statements:
            for condition in statement.conditions:
                key = condition.key.lower()
                if key in identity:
                    continue  # who the delegate is stays fixed
                if key not in spelling:
                    # AWS's spelling only for the key itself: a key matched through a template
                    # (ssm:resourceTag/tag-key) keeps the concrete name the policy wrote.
                    described = catalog.describe_key(key)
                    exact = described is not None and described[0].lower() == key
                    spelling[key] = described[0] if described and exact else condition.key
                operator = condition.operator.lower()
                if operator.startswith(("forallvalues:", "foranyvalue:")):
                    set_keys.add(key)
                named = values.setdefault(key, [])
                if not operator.startswith("null"):  # Null's values say "absent", not a value
                    named.extend(condition.values)
        # The boundary key is always varied: every proof about it needs the adversarial values.
        values.setdefault(BOUNDARY, [])
        for text in self._texts():
            if "${" not in text:
                continue  # every match of _VARIABLE starts so; most ARNs have none
            for match in _VARIABLE.finditer(text):
                key = match.group(1).partition(",")[0].strip()
                lower = key.lower()
                if ":" in key and lower not in identity and lower not in values:
                    base_context.setdefault(key, ("x",))  # some value for ${aws:PrincipalTag/team}
        self.__dict__.update(
            spelling=spelling,
            values=values,
            set_keys=set_keys,
            base_context=base_context,
            varied_keys=tuple(values),
            _lower_base={k.lower(): v for k, v in base_context.items()},
            has_not_resource=any(s.not_resource is not None for s in self.read_statements),
        )

    def _texts(self) -> Iterator[str]:
        for statement in self.read_statements:
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
        return values is not None and len(values) > 0 and all(map(self.is_approved, values))

    def in_prefix(self, arn: str) -> bool:
        """Is the resource the delegates'? It is when the prefix pattern ``<type>/<prefix>*``
        matches its ARN, by path (role/service-x/AdminRole) or, with the default path, by
        name (role/service-x); a prefixed name under another path (role/team/service-x) is
        theirs too. Each such role, user, policy or instance profile must carry an approved
        boundary: the live audit checks exactly that."""
        return _in_prefix(arn, self.prefix)

    def protected_policies(self) -> dict[str, str]:
        """ARN -> why it is protected: the approved boundaries and this policy itself."""
        out = {arn: f"the approved boundary {resource_name(arn)}" for arn in self.approved_arns}
        for path in _dedupe((self.deploy_path, "/")):
            out[f"arn:aws:iam::{self.account}:policy{path}{self.policy.name}"] = (
                "this delegation policy"
            )
        return out
