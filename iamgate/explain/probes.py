"""The requests `iamgate explain` asks the evaluator: representative resources and contexts.

A policy cannot be read off its text (wildcards, NotAction, conditions, Deny statements in
other layers), so explain asks the evaluator concrete questions instead: every catalog action,
on a resource named by some statement (made concrete: ``bucket/*`` -> ``bucket/example``) and
on a resource no statement names, under the request contexts the statements' conditions tell
apart. Nothing here decides anything; it only chooses the questions.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from iamgate.catalog import fill_template

if TYPE_CHECKING:
    from iamgate.catalog import ActionInfo, ResourceType
    from iamgate.model import Policy

SAMPLE_ACCOUNT = "111122223333"
ELSEWHERE = "someone-elses"  # a name no statement of the project uses
ANY_OTHER = "any other resource"
MAX_CONTEXTS = 64  # past this, condition values are tried one key at a time

# ${Partition} in a catalog ARN template, ${aws:username} in a policy: the same shape.
_VARIABLE = re.compile(r"\$\{([^}]*)\}")
# Keys that say who the principal is: fixed by the scenario, never varied.
IDENTITY_KEYS = frozenset(
    {
        "aws:principalarn",
        "aws:principalaccount",
        "aws:userid",
        "aws:username",
        "aws:principalorgid",  # the role is in the organization
        "aws:principalisawsservice",  # and is no AWS service principal
        "aws:resourceorgid",  # and so are the account's resources
    }
)


@dataclass(frozen=True)
class Probe:
    """A resource to ask about: its label in the report and a concrete ARN."""

    label: str
    arn: str
    named: bool  # named by a statement (or the project), not the anonymous "any other"


@lru_cache(maxsize=4096)
def _template_regex(template: str) -> re.Pattern[str]:
    out, position = [], 0
    for match in _VARIABLE.finditer(template):
        out.append(re.escape(template[position : match.start()]))
        variable = match.group(1).lower()
        out.append("[^:]+" if variable in ("partition", "region", "account") else ".+")
        position = match.end()
    out.append(re.escape(template[position:]))
    return re.compile("".join(out), re.DOTALL)


def is_of_type(arn: str, resource_type: ResourceType) -> bool:
    return any(_template_regex(t).fullmatch(arn) for t in resource_type.arn_patterns)


def concrete(text: str, context: Mapping[str, tuple[str, ...]]) -> str:
    """One value that a policy pattern matches: variables from ``context``, wildcards filled."""
    lowered = {k.lower(): v for k, v in context.items()}

    def variable(match: re.Match[str]) -> str:
        inner = match.group(1)
        key, _, default = inner.partition(",")
        if key.strip() in ("*", "?", "$"):
            return key.strip()
        values = lowered.get(key.strip().lower())
        if values:
            return values[0]
        return default.strip().strip("'") if default else "example"

    filled = _VARIABLE.sub(variable, text)
    return filled.replace("*", "example").replace("?", "x")


def named_probes(policies: Iterable[Policy], context: Mapping[str, tuple[str, ...]]) -> list[Probe]:
    """Every resource pattern the statements name (but "*"), as a concrete ARN."""
    seen: dict[str, Probe] = {}
    for policy in policies:
        for statement in policy.statements:
            for pattern in (*(statement.resource or ()), *(statement.not_resource or ())):
                if pattern.strip() == "*" or pattern in seen:
                    continue
                label = _display_pattern(pattern, context)
                seen[pattern] = Probe(label, concrete(pattern, context), True)
    return list(seen.values())


def _display_pattern(pattern: str, context: Mapping[str, tuple[str, ...]]) -> str:
    """The pattern as a reader wants it: ${aws:PrincipalAccount} becomes the account."""
    account = {k.lower(): v for k, v in context.items()}.get("aws:principalaccount")
    if account:
        return re.sub(r"\$\{aws:PrincipalAccount\}", account[0], pattern, flags=re.IGNORECASE)
    return pattern


def probes_for(action: ActionInfo, named: list[Probe], account: str) -> list[Probe]:
    """The named probes of the action's resource types, and one resource no statement names."""
    types = [rtype for rtype, _ in action.resource_types]
    if not types:
        return [Probe("*", "*", False)]
    out = [p for p in named if any(is_of_type(p.arn, t) for t in types)]
    out.append(Probe(ANY_OTHER, fill_template(types[0].arn_patterns[0], account, ELSEWHERE), False))
    return out


def condition_values(
    policies: Iterable[Policy], base: Mapping[str, tuple[str, ...]]
) -> dict[str, list[str]]:
    """Condition key (as first spelt) -> the concrete values the statements compare it with."""
    out: dict[str, list[str]] = {}
    spelling: dict[str, str] = {}
    for policy in policies:
        for statement in policy.statements:
            for condition in statement.conditions:
                key = spelling.setdefault(condition.key.lower(), condition.key)
                if key.lower() in IDENTITY_KEYS:
                    continue
                operator = condition.operator.split(":")[-1].lower()
                values = out.setdefault(key, [])
                for raw in condition.values:
                    if operator.startswith("null"):
                        value = "example" if raw.lower() == "false" else None
                    else:
                        value = concrete(raw, base)
                        if "ipaddress" in operator:
                            value = value.split("/")[0]
                    if value is not None and value not in values:
                        values.append(value)
    return out


def contexts(
    base: Mapping[str, tuple[str, ...]], variants: Mapping[str, list[str]]
) -> Iterator[tuple[tuple[str, ...], dict[str, tuple[str, ...]]]]:
    """(labels, context) for the base context and each combination of the variant values.

    Each key is also tried absent, so a condition that needs the key is told apart from one
    that needs it missing. Past MAX_CONTEXTS combinations, one key is varied at a time.
    """
    keys = sorted(variants)
    choices = [[None, *variants[k]] for k in keys]
    size = 1
    for options in choices:
        size *= len(options)
    if size <= MAX_CONTEXTS:
        combos: Iterable[tuple[str | None, ...]] = itertools.product(*choices)
    else:
        combos = [tuple(None for _ in keys)]
        combos += [
            tuple(v if j == i else None for j in range(len(keys)))
            for i, key in enumerate(keys)
            for v in variants[key]
        ]
    for combo in combos:
        context = dict(base)
        labels = []
        for key, value in zip(keys, combo, strict=True):
            if value is not None:
                context[key] = (value,)
                labels.append(f"{key}={value}")
        yield tuple(labels), context
