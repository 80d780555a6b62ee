"""What the grammar reports: a typed problem at a line and column, never a rule id.

Each Problem is owned by one rule of iamgate/rules/grammar_rules.py (``Rule.problem``), which
documents it and turns an Issue into its finding; the grammar sits below the rules and knows
only what IAM refuses and where.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, auto
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from iamgate.document import PolicyKind

_ALL_KINDS: tuple[PolicyKind, ...] = ("identity", "boundary", "scp", "rcp")
_MANAGED: tuple[PolicyKind, ...] = ("identity", "boundary")


class Problem(Enum):
    UNKNOWN_ELEMENT = auto()
    EFFECT_VALUE = auto()
    ACTION_ELEMENT = auto()
    RESOURCE_ELEMENT = auto()
    CONDITION_OPERATOR = auto()
    DUPLICATE_SID = auto()
    POLICY_SIZE = auto()
    MALFORMED_ARN = auto()
    PRINCIPAL_NOT_ALLOWED = auto()
    INVALID_VERSION = auto()
    POLICY_NAME = auto()
    MALFORMED_ACTION = auto()
    SID_CHARACTERS = auto()
    MISSING_VERSION = auto()
    VARIABLES_NEED_CURRENT_VERSION = auto()
    ELEMENT_TYPE = auto()
    POLICY_CHARACTERS = auto()

    @property
    def kinds(self) -> tuple[PolicyKind, ...]:
        """The kinds of policy the problem is checked in."""
        return _KINDS.get(self, _ALL_KINDS)

    @property
    def breaks_model(self) -> bool:
        """The model would misread a policy with this problem (or the evaluator meet values it
        cannot handle); the others leave it analysable."""
        return self in _BREAKS_MODEL

    @property
    def refused(self) -> bool:
        """IAM refuses a policy with this problem; the Version problems it accepts, reading
        the policy as the 2008-10-17 language."""
        return self not in _ACCEPTED


_KINDS: dict[Problem, tuple[PolicyKind, ...]] = {
    # Managed-policy quotas: SCPs and RCPs have their own (the SCP and RCP rules).
    Problem.POLICY_SIZE: _MANAGED,
    Problem.POLICY_NAME: _MANAGED,
    # An RCP without 2012-10-17 is refused outright: the RCP rules say so, as an error.
    Problem.MISSING_VERSION: ("identity", "boundary", "scp"),
    Problem.VARIABLES_NEED_CURRENT_VERSION: ("identity", "boundary", "scp"),
}
_BREAKS_MODEL = frozenset(
    {
        Problem.UNKNOWN_ELEMENT,
        Problem.EFFECT_VALUE,
        Problem.ACTION_ELEMENT,
        Problem.RESOURCE_ELEMENT,
        Problem.CONDITION_OPERATOR,
        Problem.MALFORMED_ARN,
        Problem.INVALID_VERSION,
        Problem.MALFORMED_ACTION,
        Problem.ELEMENT_TYPE,
    }
)
_ACCEPTED = frozenset({Problem.MISSING_VERSION, Problem.VARIABLES_NEED_CURRENT_VERSION})


@dataclass(frozen=True)
class Issue:
    """One occurrence of a problem in a document."""

    problem: Problem
    line: int
    column: int
    message: str
