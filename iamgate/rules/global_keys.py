"""IG206 misspelt-global-condition-key: an aws: key AWS does not document, close to one it does.

A misspelt global key is never in any request. ``aws:PrincipleOrgID`` in a Deny guard with
StringNotEquals makes the guard fire for everyone; in an Allow with StringEquals it
silently grants nothing — and with ...IfExists or a negated operator it silently drops the
restriction. Only keys within a typo of a documented key are reported: a key AWS added
after the catalog's table was written is not a typo, and is left alone.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from iamgate.catalog import get_catalog
from iamgate.findings import Finding
from iamgate.model import Policy
from iamgate.project import Project
from iamgate.rules.base import Example, Rule
from iamgate.rules.catalog_rules import when_absent

GLOBAL_KEYS_DOC = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html"
)
# Close enough to be a typo of one documented key (aws:PrincipleOrgID, aws:SourceIP is a
# case difference and matches anyway), far enough that distinct keys do not collide.
_CUTOFF = 0.85


class MisspeltGlobalConditionKey(Rule):
    id = "IG206"
    name = "misspelt-global-condition-key"
    severity = "warning"
    summary = "A global aws: condition key AWS does not document, a typo away from one it does"
    why = (
        "A key AWS does not define is absent from every request. The condition then tests a "
        "missing value: false for most operators (an Allow grants nothing, a Deny with "
        "StringEquals never fires) and true for ...IfExists, negated operators and "
        "ForAllValues (the restriction disappears)."
    )
    example = Example(
        bad='"StringNotEquals": {"aws:PrincipleOrgID": "o-a1b2c3d4e5"}',
        good='"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}',
    )
    source = GLOBAL_KEYS_DOC
    tags = ("catalog", "conditions")
    kinds = ("identity", "boundary", "scp", "rcp")

    def check(self, policy: Policy, project: Project) -> Iterator[Finding]:
        catalog = get_catalog()
        known: list[str] | None = None
        for statement in policy.statements:
            for condition in statement.conditions:
                key = condition.key
                if key.partition(":")[0].lower() != "aws" or catalog.describe_key(key):
                    continue
                if known is None:
                    known = catalog.global_keys()
                # Tag keys keep their documented stem: aws:PrincipleTag/team vs PrincipalTag/.
                stem, slash, _ = key.partition("/")
                if slash:
                    candidates = {k.partition("/")[0]: k for k in known if "/" in k}
                else:
                    candidates = {k: k for k in known if "/" not in k}
                close = difflib.get_close_matches(
                    stem.lower(), [c.lower() for c in candidates], n=1, cutoff=_CUTOFF
                )
                if not close:
                    continue
                spelled = next(c for c in candidates if c.lower() == close[0])
                suggestion = f"{spelled}{key[len(stem) :]}" if slash else spelled
                yield self.finding(
                    policy,
                    condition.path,
                    f"{key} is not a global condition key AWS documents; requests never carry "
                    f"it, so this {condition.operator} condition is {when_absent(condition)}; "
                    f"did you mean {suggestion}?",
                    key=True,
                )


RULES = [MisspeltGlobalConditionKey]
