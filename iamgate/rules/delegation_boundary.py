"""IG301 boundary-condition: a delegate creates or changes roles and users only under an
approved permissions boundary, for every request AWS could receive."""

from __future__ import annotations

from typing import TYPE_CHECKING

from iamgate.delegation import Violation, boundary_condition_actions, resource_name
from iamgate.rules.base import Example
from iamgate.rules.proof_rule import BOUNDARIES_DOC, ProofRule

if TYPE_CHECKING:
    from iamgate.delegation import Proof


class BoundaryCondition(ProofRule):
    id = "IG301"
    name = "boundary-condition"
    severity = "error"
    summary = (
        "A delegation policy lets a delegate create or change the permissions of a role or "
        "user without an approved permissions boundary"
    )
    why = (
        "A delegate who can create a role (or attach, put or delete its policies, or replace its "
        "boundary) under any boundary but an approved one can create a role with "
        "AdministratorAccess and assume it. The condition must hold for every request: with the "
        "key absent (IfExists, ForAllValues and negated operators are true then), with a "
        "boundary from another account, with a value that a wildcard admits, and a Deny guard "
        "must fire for each of these. The finding names the request that gets through."
    )
    example = Example(
        bad='"Condition": {"StringEqualsIfExists": {"iam:PermissionsBoundary": '
        '"arn:aws:iam::${aws:PrincipalAccount}:policy/S3AccessBoundary"}}',
        good='"Condition": {"StringEquals": {"iam:PermissionsBoundary": '
        '"arn:aws:iam::${aws:PrincipalAccount}:policy/S3AccessBoundary"}}',
    )
    source = BOUNDARIES_DOC
    tags = ("security", "delegation", "permissions-boundary")
    element = "Condition"

    def search(self, proof: Proof) -> list[Violation]:
        return proof.search(
            boundary_condition_actions(), lambda c: not proof.boundary_approved(c.boundary)
        )

    def consequence(self, violation: Violation, proof: Proof) -> str:
        kind = violation.request.resource.split(":", 5)[-1].split("/", 1)[0]
        approved = ", ".join(sorted(proof.approved_names))
        held = (
            f"an approved boundary ({approved})"
            if approved
            else "an approved boundary (none is approved)"
        )
        return f"the {kind} {resource_name(violation.request.resource)} is not held to {held}"


RULES = [BoundaryCondition]
