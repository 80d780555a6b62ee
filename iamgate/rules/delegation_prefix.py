"""IG304 prefix-scoping: the delegate's other IAM writes stay on resources named with the
delegation prefix."""

from __future__ import annotations

from typing import TYPE_CHECKING

from iamgate.delegation import Candidate, Violation, prefix_scoped_actions
from iamgate.rules.base import Example
from iamgate.rules.proof_rule import BOUNDARIES_DOC, ProofRule

if TYPE_CHECKING:
    from iamgate.delegation import Proof


class PrefixScoping(ProofRule):
    id = "IG304"
    name = "prefix-scoping"
    severity = "error"
    summary = (
        "A delegation policy allows an IAM write on a role, policy, instance profile or user "
        "outside the delegation prefix"
    )
    why = (
        "Writes the boundary condition does not govern (CreatePolicy, CreatePolicyVersion, "
        "SetDefaultPolicyVersion, DeletePolicy, PassRole, UpdateAssumeRolePolicy, DeleteRole, "
        "instance-profile and tagging actions...) are safe only on the delegate's own "
        "resources: those named with the delegation prefix. On any other role or policy they "
        "rewrite, pass or delete what an administrator owns. Actions that carry "
        "iam:PermissionsBoundary count as scoped on a principal that has an approved boundary."
    )
    example = Example(
        bad='{"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "*"}',
        good='{"Effect": "Allow", "Action": "iam:CreatePolicyVersion", '
        '"Resource": "arn:aws:iam::${aws:PrincipalAccount}:policy/service-*"}',
    )
    source = BOUNDARIES_DOC
    tags = ("security", "delegation", "prefix")
    element = "Resource"
    # The well-known escalation paths say more about the same request than "outside the prefix".
    defers_to = ("IG401", "IG404", "IG405", "IG406")

    def search(self, proof: Proof) -> list[Violation]:
        def unsafe(candidate: Candidate) -> bool:
            if proof.in_prefix(candidate.resource) or candidate.resource == proof.caller_arn:
                return False
            return not proof.boundary_approved(candidate.boundary)

        return proof.search(prefix_scoped_actions(), unsafe, outside_first=True)

    def consequence(self, violation: Violation, proof: Proof) -> str:
        return f'the resource is not named with the delegation prefix "{proof.prefix}"'


RULES = [PrefixScoping]
