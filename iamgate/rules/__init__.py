"""The rule registry: every module in this package that defines ``RULES``.

One rule (or a small family) per module; deleting a module removes its rules.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from enum import Enum

    from iamgate.rules.base import Rule


@cache
def all_rules() -> dict[str, Rule]:
    # Imported here: a lint run whose findings all come from the result cache imports this
    # package (rules.settings) but never loads a rule.
    import importlib
    import pkgutil

    rules: dict[str, Rule] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for rule_class in getattr(module, "RULES", ()):
            rule = rule_class()
            if rule.id in rules:
                raise RuntimeError(f"rule id {rule.id} defined twice")
            rules[rule.id] = rule
    return dict(sorted(rules.items()))


def rule_by_name(id_or_name: str) -> Rule | None:
    wanted = id_or_name.lower()
    for rule in all_rules().values():
        if rule.id.lower() == wanted or rule.name == wanted:
            return rule
    return None


def rule_for(problem: Enum) -> Rule:
    """The rule that reports a problem of the loader or the grammar."""
    return _by_problem()[problem]


@cache
def _by_problem() -> dict[Enum, Rule]:
    owners: dict[Enum, Rule] = {}
    for rule in all_rules().values():
        if rule.problem is None:
            continue
        if rule.problem in owners:
            raise RuntimeError(
                f"{rule.problem} is reported by {owners[rule.problem].id} and {rule.id}"
            )
        owners[rule.problem] = rule
    return owners
