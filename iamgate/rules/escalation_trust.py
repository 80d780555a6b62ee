"""IG405 update-assume-role-policy: rewriting who may assume a role."""

from __future__ import annotations

from typing import TYPE_CHECKING

from iamgate.delegation import Candidate, Violation, lookup
from iamgate.rules.base import Example
from iamgate.rules.proof_rule import ESCALATION_DOC, ProofRule

if TYPE_CHECKING:
    from iamgate.delegation import Proof


class UpdateAssumeRolePolicy(ProofRule):
    id = "IG405"
    name = "update-assume-role-policy"
    severity = "error"
    summary = "Allows iam:UpdateAssumeRolePolicy on roles outside the delegation prefix"
    why = (
        "Whoever can rewrite a role's trust policy can make the role trust them, assume it and "
        "hold all its permissions. Keep it on the roles named with the delegation prefix (or "
        "on roles that carry an approved boundary)."
    )
    example = Example(
        bad='{"Effect": "Allow", "Action": "iam:UpdateAssumeRolePolicy", "Resource": "*"}',
        good='{"Effect": "Allow", "Action": "iam:UpdateAssumeRolePolicy", '
        '"Resource": "arn:aws:iam::${aws:PrincipalAccount}:role/service-*"}',
    )
    source = ESCALATION_DOC
    tags = ("security", "escalation", "trust")
    element = "Resource"
    delegation_only = False

    def search(self, proof: Proof) -> list[Violation]:
        def unsafe(candidate: Candidate) -> bool:
            if proof.in_prefix(candidate.resource):
                return False
            return not proof.boundary_approved(candidate.boundary)

        return proof.search(lookup("iam:UpdateAssumeRolePolicy"), unsafe, outside_first=True)

    def consequence(self, violation: Violation, proof: Proof) -> str:
        return "the caller can make the role trust it, assume it and hold its permissions"


RULES = [UpdateAssumeRolePolicy]
