"""The Condition element: operators, absent keys, ``...IfExists``, ``Null`` and set operators.

A statement's conditions all hold (operators AND, keys AND); the values of one key are ORed,
and NORed for a negated operator
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html).

Absent keys (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html):
* a positive operator is false; a negated one (``StringNotEquals``, ``StringNotLike``,
  ``NumericNotEquals``, ``DateNotEquals``, ``ArnNotEquals``, ``ArnNotLike``,
  ``NotIpAddress``, ``StringNotEqualsIgnoreCase``) is true;
* ``...IfExists`` is true; ``Null`` with "true" is true, with "false" false;
* ``ForAllValues:`` is true, ``ForAnyValue:`` false
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html).
  Under a set operator ``IfExists`` changes nothing: AWS applies it per request value, so
  ``ForAnyValue:StringEqualsIfExists`` with the key absent is false — observed on AWS in
  https://repost.aws/questions/QU9HFmDzP0QGuU-fd7rS6B7w (accepted answer).

Present keys: without a set operator a multivalued key matches when any of its values does
(negated: when none does). ``ForAllValues:`` needs every request value to match some policy
value (negated: to match none); ``ForAnyValue:`` needs one (negated: one that matches none).

An operator AWS does not define makes its condition false; the grammar reports it.
Operator names are matched without regard to letter case, so a policy IAM would refuse is at
least not read as narrower than it is written.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from iamgate.evaluator.conditions_values import ValueTest

if TYPE_CHECKING:
    from iamgate.evaluator.request import Request
    from iamgate.model import Condition

NONE, ALL, ANY = 0, 1, 2

# lower-case base operator -> (family, comparator, negated)
OPERATORS: dict[str, tuple[str, str, bool]] = {
    "stringequals": ("string", "eq", False),
    "stringnotequals": ("string", "eq", True),
    "stringequalsignorecase": ("string_ignorecase", "eq", False),
    "stringnotequalsignorecase": ("string_ignorecase", "eq", True),
    "stringlike": ("string_like", "eq", False),
    "stringnotlike": ("string_like", "eq", True),
    "numericequals": ("numeric", "eq", False),
    "numericnotequals": ("numeric", "eq", True),
    "numericlessthan": ("numeric", "lt", False),
    "numericlessthanequals": ("numeric", "le", False),
    "numericgreaterthan": ("numeric", "gt", False),
    "numericgreaterthanequals": ("numeric", "ge", False),
    "dateequals": ("date", "eq", False),
    "datenotequals": ("date", "eq", True),
    "datelessthan": ("date", "lt", False),
    "datelessthanequals": ("date", "le", False),
    "dategreaterthan": ("date", "gt", False),
    "dategreaterthanequals": ("date", "ge", False),
    "bool": ("bool", "eq", False),
    "binaryequals": ("binary", "eq", False),
    "ipaddress": ("ip", "eq", False),
    "notipaddress": ("ip", "eq", True),
    "arnequals": ("arn", "eq", False),
    "arnlike": ("arn", "eq", False),
    "arnnotequals": ("arn", "eq", True),
    "arnnotlike": ("arn", "eq", True),
}


def parse_operator(operator: str) -> tuple[int, str, bool] | None:
    """(set operator, base operator in lower case, IfExists) or None if AWS has no such operator."""
    name = operator.lower()
    quantifier = NONE
    if name.startswith("forallvalues:"):
        quantifier, name = ALL, name[len("forallvalues:") :]
    elif name.startswith("foranyvalue:"):
        quantifier, name = ANY, name[len("foranyvalue:") :]
    if_exists = name.endswith("ifexists") and name != "ifexists"
    if if_exists:
        name = name[: -len("ifexists")]
    if name == "null":
        return (quantifier, name, False) if quantifier == NONE and not if_exists else None
    return (quantifier, name, if_exists) if name in OPERATORS else None


class CompiledCondition:
    """One (operator, key, values) triple, compiled; ``holds(request)`` decides it."""

    __slots__ = ("_if_exists", "_negated", "_quantifier", "_test", "key")

    def __init__(self, key: str, quantifier: int, if_exists: bool, negated: bool, test: ValueTest):
        self.key = key
        self._quantifier = quantifier
        self._if_exists = if_exists
        self._negated = negated
        self._test = test

    def holds(self, request: Request) -> bool:
        lookup = request._lookup
        values = lookup(self.key)
        quantifier = self._quantifier
        if values is None:
            if quantifier == ALL:
                return True
            if quantifier == ANY:
                return False
            return self._if_exists or self._negated
        match = self._test.matcher(lookup)
        if quantifier == ALL:
            return not any(map(match, values)) if self._negated else all(map(match, values))
        if quantifier == ANY:
            return not all(map(match, values)) if self._negated else any(map(match, values))
        hit = any(map(match, values))
        return not hit if self._negated else hit


class NullCondition:
    """``Null``: "true" holds when the key is absent, "false" when it is present."""

    __slots__ = ("_when_absent", "_when_present", "key")

    def __init__(self, key: str, values: tuple[str, ...]):
        folded = {value.strip().lower() for value in values}
        self.key = key
        self._when_absent = "true" in folded
        self._when_present = "false" in folded

    def holds(self, request: Request) -> bool:
        return self._when_absent if request._lookup(self.key) is None else self._when_present


class UnknownCondition:
    """An operator AWS does not define: never holds."""

    __slots__ = ("key",)

    def __init__(self, key: str):
        self.key = key

    def holds(self, request: Request) -> bool:
        return False


AnyCondition = CompiledCondition | NullCondition | UnknownCondition


def compile_condition(condition: Condition, variables: bool) -> AnyCondition:
    return _compile(condition.operator, condition.key, condition.values, variables)


# A compiled condition is built from its operator, key and values alone (and whether the
# policy's Version allows variables), and never changes once built (a Resolver keeps one
# matcher per set of variable values, the same for every statement): statements and
# policies that repeat a condition, as a managed corpus does thousands of times, share one.
@lru_cache(maxsize=8192)
def _compile(operator: str, key: str, values: tuple[str, ...], variables: bool) -> AnyCondition:
    lower = key.lower()
    parsed = parse_operator(operator)
    if parsed is None:
        return UnknownCondition(lower)
    quantifier, name, if_exists = parsed
    if name == "null":
        return NullCondition(lower, values)
    family, comparator, negated = OPERATORS[name]
    test = ValueTest(family, comparator, values, variables)
    return CompiledCondition(lower, quantifier, if_exists, negated, test)
