"""IG302 boundary-deletion and IG303 boundary-tampering: what limits a delegate stays put."""

from __future__ import annotations

from typing import TYPE_CHECKING

from iamgate.delegation import Violation, boundary_deletion_actions, policy_editing_actions
from iamgate.rules.base import Example
from iamgate.rules.proof_rule import BOUNDARIES_DOC, ProofRule

if TYPE_CHECKING:
    from iamgate.delegation import Proof


class BoundaryDeletion(ProofRule):
    id = "IG302"
    name = "boundary-deletion"
    severity = "error"
    summary = "A delegation policy allows removing a permissions boundary from a role or user"
    why = (
        "DeleteRolePermissionsBoundary and DeleteUserPermissionsBoundary take the ceiling off a "
        "principal: its attached policies then apply in full. A delegate must never be able "
        "to call them, on any resource, under any condition; deny them explicitly."
    )
    example = Example(
        bad='{"Effect": "Allow", "Action": "iam:Delete*", "Resource": "*"}',
        good='{"Effect": "Deny", "Action": ["iam:DeleteRolePermissionsBoundary", '
        '"iam:DeleteUserPermissionsBoundary"], "Resource": "*"}',
    )
    source = BOUNDARIES_DOC
    tags = ("security", "delegation", "permissions-boundary")

    def search(self, proof: Proof) -> list[Violation]:
        # Any allowed request breaks the rule; removing an approved boundary is the telling one.
        found = proof.search(
            boundary_deletion_actions(), lambda c: proof.boundary_approved(c.boundary)
        )
        seen = {v.action.full for v in found}
        rest = [a for a in boundary_deletion_actions() if a.full not in seen]
        return found + proof.search(rest, lambda _: True)

    def consequence(self, violation: Violation, proof: Proof) -> str:
        return "the delegate can take the boundary off and the principal keeps all its policies"


class BoundaryTampering(ProofRule):
    id = "IG303"
    name = "boundary-tampering"
    severity = "error"
    summary = (
        "A delegation policy allows rewriting or deleting an approved boundary or the "
        "delegation policy itself"
    )
    why = (
        "A boundary is a managed policy: whoever can create a new default version of it "
        "(CreatePolicyVersion, SetDefaultPolicyVersion) or delete it and its versions decides "
        "what every bounded role may do. The same holds for the delegation policy: a delegate "
        "who can rewrite it grants itself anything. Deny these actions on both ARNs."
    )
    example = Example(
        bad='{"Effect": "Allow", "Action": "iam:CreatePolicyVersion", '
        '"Resource": "arn:aws:iam::*:policy/*"}',
        good='{"Effect": "Deny", "Action": ["iam:CreatePolicyVersion", "iam:DeletePolicy", '
        '"iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion"], "Resource": '
        '["arn:aws:iam::${aws:PrincipalAccount}:policy/S3AccessBoundary", '
        '"arn:aws:iam::${aws:PrincipalAccount}:policy/DelegatePermissions"]}',
    )
    source = BOUNDARIES_DOC
    tags = ("security", "delegation", "permissions-boundary")

    def search(self, proof: Proof) -> list[Violation]:
        protected = list(proof.protected_policies())
        return proof.search(policy_editing_actions(), lambda _: True, resources=protected)

    def consequence(self, violation: Violation, proof: Proof) -> str:
        what = proof.protected_policies().get(violation.request.resource, "a protected policy")
        return f"the delegate can rewrite {what}"


RULES = [BoundaryDeletion, BoundaryTampering]
