"""Repository rules: what the delegation proofs take for granted about the project itself.

IG501 prefixed-protected-policy: a boundary or delegation policy named with the delegation
prefix is a policy the delegate may edit (prefix scoping lets it manage policy/<prefix>*).
IG502 unapproved-boundary: a delegation condition that names, by ARN, a boundary the project
has not approved lets delegates use it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from iamgate.delegation import BOUNDARIES_DOC, BOUNDARY, has_wildcard, proof_for
from iamgate.rules.base import Example, Rule

if TYPE_CHECKING:
    from iamgate.findings import Finding
    from iamgate.model import Condition, Policy, Statement
    from iamgate.project import Project

_POLICY_ARN = re.compile(r"^arn:aws[\w-]*:iam::([^:]*):policy/(?:.*/)?([^/]+)$")


class PrefixedProtectedPolicy(Rule):
    id = "IG501"
    name = "prefixed-protected-policy"
    severity = "error"
    summary = "A permissions boundary or delegation policy is named with the delegation prefix"
    why = (
        "Delegates may create, version and delete the policies named with the delegation "
        "prefix. A boundary or a delegation policy with such a name is one they can rewrite: "
        "the limit on the delegate is then set by the delegate. Rename it so that it does "
        "not start with the prefix."
    )
    example = Example(
        bad="boundaries/service-boundary.json (delegation.prefix: service-)",
        good="boundaries/S3AccessBoundary.json",
    )
    source = BOUNDARIES_DOC
    tags = ("security", "delegation", "repository")
    kinds = ("identity", "boundary")
    stage = "project"

    def check(self, policy: Policy, project: Project) -> list[Finding]:
        prefix = project.prefix
        if not prefix or not policy.name.startswith(prefix):
            return []
        if policy.kind == "boundary":
            what = f'the permissions boundary "{policy.name}"'
        elif policy.kind == "identity" and proof_for(policy, project).is_delegation:
            what = f'the delegation policy "{policy.name}"'
        else:
            return []
        message = (
            f'{what} is named with the delegation prefix "{prefix}": a delegate who may manage '
            f"policy/{prefix}* can rewrite it; give it a name that does not start with the prefix"
        )
        return [self.finding(policy, (), message)]


class UnapprovedBoundary(Rule):
    id = "IG502"
    name = "unapproved-boundary"
    severity = "error"
    summary = "A delegation condition names a permissions boundary the project has not approved"
    why = (
        "The approved boundaries (delegation.boundaries in iamgate.yaml, else every policy in "
        "boundaries/) are the ones reviewed as ceilings for delegated roles. A delegation "
        "policy that admits another boundary by ARN lets delegates create roles limited only "
        "by that policy. Approve it in iamgate.yaml or name an approved boundary."
    )
    example = Example(
        bad='"StringEquals": {"iam:PermissionsBoundary": '
        '"arn:aws:iam::${aws:PrincipalAccount}:policy/OtherBoundary"}',
        good='"StringEquals": {"iam:PermissionsBoundary": '
        '"arn:aws:iam::${aws:PrincipalAccount}:policy/S3AccessBoundary"}',
    )
    source = BOUNDARIES_DOC
    tags = ("security", "delegation", "repository", "permissions-boundary")
    kinds = ("identity",)
    stage = "project"

    def check(self, policy: Policy, project: Project) -> list[Finding]:
        if not any(c.key.lower() == BOUNDARY for s in policy.statements for c in s.conditions):
            return []
        proof = proof_for(policy, project)
        if not proof.is_delegation:
            return []
        approved = ", ".join(sorted(proof.approved_names)) or "none is approved"
        findings: list[Finding] = []
        for statement in policy.statements:
            for condition in _admitting(statement):
                for index, raw in enumerate(condition.values):
                    value = proof.substitute(raw)
                    match = _POLICY_ARN.match(value)
                    if match is None or has_wildcard(value) or proof.is_approved(value):
                        continue
                    account, name = match.groups()
                    where = "" if account == proof.account else f" of account {account or '(none)'}"
                    if name in project.missing_boundaries and not where:
                        message = (
                            f'{raw} names the boundary "{name}", which iamgate.yaml approves but '
                            f"boundaries/{name}.json does not exist: the repository no longer "
                            "defines it, so delegates could give roles whatever policy then "
                            "carries that name; restore the boundary or name an approved one"
                        )
                    else:
                        message = (
                            f'{raw} names the boundary "{name}"{where}, which is not an approved '
                            f"boundary ({approved}): delegates could give it to the roles they "
                            "create; approve it in iamgate.yaml (delegation.boundaries) or name "
                            "an approved one"
                        )
                    findings.append(self.finding(policy, (*condition.path, index), message))
        return findings


def _admitting(statement: Statement) -> Iterator[Condition]:
    """Conditions on the boundary key whose values are let through: a positive operator in
    an Allow, a negated one in a Deny (the listed values are the ones the Deny spares)."""
    for condition in statement.conditions:
        if condition.key.lower() != BOUNDARY:
            continue
        operator = condition.operator.split(":")[-1].lower()
        if operator.startswith("null"):
            continue
        negated = "not" in operator
        if statement.allows != negated:
            yield condition


RULES = [PrefixedProtectedPolicy, UnapprovedBoundary]
