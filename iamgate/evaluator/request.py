"""The request and the decision: plain values, so the middle of iamgate is tested without mocks.

A request carries what AWS puts in the request context: the action, the resource ARN and the
condition keys with their values. A key that is not in ``context`` is absent from the request;
a key with more than one value is multivalued. Key names are case-insensitive
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html: "Key names
are case-insensitive").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from iamgate.model import Policy, Statement

DecisionKind = Literal["allowed", "implicit_deny", "explicit_deny"]


def _as_values(value: object) -> tuple[str, ...]:
    # A bare string is one value, not a sequence of characters; scalars read as IAM reads
    # JSON values in a policy (true -> "true").
    if type(value) is tuple:
        # What the proofs pass, thousands of times a policy: kept when all text already.
        for item in value:
            if type(item) is not str:
                break
        else:
            return value
    if isinstance(value, str | Iterable):
        items = (value,) if isinstance(value, str) else tuple(value)
    else:
        items = (value,)
    return tuple(_text(item) for item in items)


def _text(item: object) -> str:
    if isinstance(item, bool):
        return "true" if item else "false"
    return str(item)


class _EvaluatorCaches:
    # Set by Request.__post_init__; declared on a plain base class so that they are typed
    # but are not dataclass fields (eq, repr and asdict never see them).
    _action: str
    _values: dict[str, tuple[str, ...]]


@dataclass(frozen=True, init=False)
class Request(_EvaluatorCaches):
    """One request: ``Request("iam:CreateRole", "arn:aws:iam::111122223333:role/x", {...})``.

    ``context`` maps condition keys (any letter case) to their values. An empty value tuple is
    the same as an absent key: AWS documents both as "no value" for every operator
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html).
    Values of keys used with ``BinaryEquals`` are given base64-encoded, as in the policy.
    """

    action: str
    resource: str
    context: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    # Written out rather than generated: the proofs build thousands of requests per policy,
    # and a frozen dataclass's __init__ plus __post_init__ set each attribute twice over.
    def __init__(
        self, action: str, resource: str, context: Mapping[str, tuple[str, ...]] | None = None
    ) -> None:
        # A private copy with tuple values: the caller's mapping may change, this one must not.
        original: dict[str, tuple[str, ...]] = {}
        values: dict[str, tuple[str, ...]] = {}  # lower-case key -> every value; none empty
        if context:
            for key, raw in context.items():
                items = original[key] = _as_values(raw)
                if items:
                    lower = key.lower()
                    found = values.get(lower)
                    values[lower] = found + items if found else items
        init = object.__setattr__
        init(self, "action", action)
        init(self, "resource", resource)
        init(self, "context", original)
        # Caches for the evaluator; not dataclass fields, so eq/repr/asdict never see them.
        init(self, "_action", action.lower())
        init(self, "_values", values)

    def sharing(self, action: str, resource: str) -> Request:
        """A request for ``action`` on ``resource`` with this one's context: the same private
        copies (a Request never changes them and hands out no way to), so a search that asks
        about many actions and resources in one context reads that context once."""
        request = object.__new__(Request)
        init = object.__setattr__
        init(request, "action", action)
        init(request, "resource", resource)
        init(request, "context", self.context)
        init(request, "_action", action.lower())
        init(request, "_values", self._values)
        return request

    def __hash__(self) -> int:
        items = frozenset(self._values.items())
        return hash((self.action, self.resource, items))

    def lookup(self, key: str) -> tuple[str, ...] | None:
        """The values of condition key ``key`` (any letter case) as the action sees them;
        None when the request does not carry it.

        A service-specific key that the action does not support is absent: AWS only puts
        into the request context the keys the action supports (Service Authorization
        Reference, "Condition keys" column). Global ``aws:`` keys always pass.
        """
        return self._lookup(key.lower())

    def _lookup(self, key: str) -> tuple[str, ...] | None:
        # ``lookup`` for a key already in lower case: the evaluator's hot path.
        values: tuple[str, ...] | None = self._values.get(key)
        if values is None or key.startswith("aws:"):
            return values
        return values if _action_supports(self._action, key) else None

    def to_dict(self) -> dict[str, Any]:
        """The request as JSON-ready data: a finding's counterexample, simulate's echo."""
        return {
            "action": self.action,
            "resource": self.resource,
            "context": {key: list(values) for key, values in self.context.items()},
        }


@lru_cache(maxsize=8192)
def _action_supports(action: str, key: str) -> bool:
    try:
        from iamgate.catalog import get_catalog
    except ImportError:  # the catalog module is optional only while it is being written
        return True
    catalog = get_catalog()
    if catalog.lookup(action) is None:
        # An action the catalog does not know: nothing says which keys it carries.
        return True
    return catalog.supports_key(action, key)


@dataclass(frozen=True)
class Decision:
    """What AWS would decide, and why.

    ``statements``: for ``explicit_deny`` every Deny statement that matched (in any layer);
    for ``allowed`` the identity statements that allow; for ``implicit_deny`` the identity
    statements that would have allowed had the layer named in ``reason`` (an SCP level or the
    permissions boundary) allowed too; empty when no identity statement allows.
    """

    decision: DecisionKind
    statements: tuple[tuple[Policy, Statement], ...] = ()
    reason: str = ""

    @property
    def allowed(self) -> bool:
        return self.decision == "allowed"
