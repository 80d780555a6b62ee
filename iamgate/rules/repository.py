"""Repository rules: what the delegation proofs take for granted about the project itself.

IG501 prefixed-protected-policy: a boundary or delegation policy named with the delegation
prefix is a policy the delegate may edit (prefix scoping lets it manage policy/<prefix>*).
IG502 unapproved-boundary: a delegation condition that names, by ARN, a boundary the project
has not approved lets delegates use it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from iamgate.delegation import BOUNDARY, has_wildcard, judged_accounts, proof_for
from iamgate.delegation.candidates import aws_owned
from iamgate.delegation.search import may_allow
from iamgate.rules.base import Example, Rule
from iamgate.rules.proof_rule import BOUNDARIES_DOC

if TYPE_CHECKING:
    from iamgate.delegation import Proof
    from iamgate.findings import Finding, Severity
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
        elif (
            policy.kind == "identity"
            # is_delegation's own first test, asked before the proof reads the project
            and may_allow(policy, ("iam",))
            and proof_for(policy, project).is_delegation
        ):
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
        "by that policy. Approve it in iamgate.yaml or name an approved boundary. A boundary "
        "of an account the policy is not deployed to is a warning instead: AWS sets as a "
        "boundary only a managed policy of the role's own account or an AWS managed one, so "
        "that condition fails closed (delegates there can create no role)."
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
        accounts = [p.account for p in project.accounts_for_policy(policy) if p.account]
        findings: dict[tuple[object, ...], Finding] = {}
        for account in judged_accounts(policy, project):
            proof = proof_for(policy, project, account)
            for statement in policy.statements:
                for condition in _admitting(statement):
                    for index, raw in enumerate(condition.values):
                        where = (*condition.path, index)
                        if where in findings:
                            continue
                        found = self._judge(proof, raw, accounts, project)
                        if found is not None:
                            findings[where] = self.finding(policy, where, found[1])
                            if found[0] == "warning":
                                findings[where] = replace(findings[where], severity="warning")
        return list(findings.values())

    def _judge(
        self, proof: Proof, raw: str, accounts: list[str], project: Project
    ) -> tuple[Severity, str] | None:
        """(severity, message) for one admitted value, or None when it is fine."""
        value = proof.substitute(raw)
        match = _POLICY_ARN.match(value)
        if match is None or has_wildcard(value) or proof.is_approved(value):
            return None
        account, name = match.groups()
        if account != proof.account and not aws_owned(account):
            if account in accounts:
                return None  # judged in that account, where it is the account's own
            deployed = ", ".join(accounts) or proof.account
            return "warning", (
                f'{raw} names the boundary "{name}" of account {account or "(none)"}, but the '
                f"policy is deployed to {deployed}: AWS sets as a boundary only a managed policy "
                "of the role's own account or an AWS managed one, so delegates there can create "
                "no role under this condition (it fails closed); name the boundary in the "
                "account the policy is deployed to, e.g. with ${aws:PrincipalAccount}"
            )
        if not proof.is_delegation:
            return None
        where = "" if account == proof.account else f" of account {account}"
        if name in project.missing_boundaries and not where:
            return "error", (
                f'{raw} names the boundary "{name}", which iamgate.yaml approves but '
                f"boundaries/{name}.json does not exist: the repository no longer "
                "defines it, so delegates could give roles whatever policy then "
                "carries that name; restore the boundary or name an approved one"
            )
        approved = ", ".join(sorted(proof.approved_names)) or "none is approved"
        return "error", (
            f'{raw} names the boundary "{name}"{where}, which is not an approved '
            f"boundary ({approved}): delegates could give it to the roles they "
            "create; approve it in iamgate.yaml (delegation.boundaries) or name "
            "an approved one"
        )


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
