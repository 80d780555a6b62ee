"""IG402 attach-without-boundary: attaching or putting policies on principals no boundary limits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from iamgate.delegation import Candidate, Violation, lookup, type_names
from iamgate.rules.base import Example
from iamgate.rules.proof_rule import ESCALATION_DOC, ProofRule

if TYPE_CHECKING:
    from iamgate.delegation import Proof

ACTIONS = (
    "iam:AttachUserPolicy",
    "iam:AttachGroupPolicy",
    "iam:AttachRolePolicy",
    "iam:PutUserPolicy",
    "iam:PutGroupPolicy",
    "iam:PutRolePolicy",
)


class AttachWithoutBoundary(ProofRule):
    """On roles and users this is IG301's request; in a delegation policy IG301 reports it
    (with the boundary it found), so this rule defers to it and speaks for groups, which can
    never have a boundary, and for IG301 turned off."""

    id = "IG402"
    name = "attach-without-boundary"
    severity = "error"
    summary = (
        "Allows attaching or putting policies on users, groups or roles without an approved "
        "boundary (on groups: at all)"
    )
    why = (
        "Attaching AdministratorAccess (or putting an inline policy with Action *) on a "
        "principal the caller can use, itself included, is the shortest path to administrator. "
        "Roles and users are safe only when iam:PermissionsBoundary is an approved boundary; "
        "groups have no boundary, so any Attach/PutGroupPolicy is an escalation."
    )
    example = Example(
        bad='{"Effect": "Allow", "Action": "iam:AttachGroupPolicy", "Resource": "*"}',
        good='{"Effect": "Allow", "Action": "iam:AttachRolePolicy", "Resource": '
        '"arn:aws:iam::${aws:PrincipalAccount}:role/service-*", "Condition": {"StringEquals": '
        '{"iam:PermissionsBoundary": '
        '"arn:aws:iam::${aws:PrincipalAccount}:policy/S3AccessBoundary"}}}',
    )
    source = ESCALATION_DOC
    tags = ("security", "escalation", "permissions-boundary")
    delegation_only = False
    defers_to = ("IG301",)

    def search(self, proof: Proof) -> list[Violation]:
        def unsafe(candidate: Candidate) -> bool:
            if "group" in type_names(candidate.action):
                return True
            return not proof.boundary_approved(candidate.boundary)

        return proof.search(lookup(*ACTIONS), unsafe, outside_first=True)

    def consequence(self, violation: Violation, proof: Proof) -> str:
        if "group" in type_names(violation.action):
            return "every member of the group gets the policy, and a group cannot have a boundary"
        return "the policy takes effect with no approved boundary to limit it"


RULES = [AttachWithoutBoundary]
