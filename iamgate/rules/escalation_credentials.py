"""IG404 credentials-for-others: access keys and console passwords of other users."""

from __future__ import annotations

from typing import TYPE_CHECKING

from iamgate.delegation import Violation, lookup
from iamgate.rules.base import Example
from iamgate.rules.proof_rule import ESCALATION_DOC, ProofRule

if TYPE_CHECKING:
    from iamgate.delegation import Candidate, Proof


class CredentialsForOthers(ProofRule):
    id = "IG404"
    name = "credentials-for-others"
    severity = "error"
    summary = "Allows creating access keys or login profiles for users other than the caller"
    why = (
        "CreateAccessKey, CreateLoginProfile and UpdateLoginProfile on another user hand the "
        "caller that user's credentials, and with them every permission the user has. Scope "
        "them to the caller's own user: arn:aws:iam::*:user/${aws:username}. Users inside "
        "the delegation prefix are the delegate's own, held to the approved boundary like "
        "its roles (as for IG405 and the escalation table), so their credentials are no "
        "escalation."
    )
    example = Example(
        bad='{"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": "*"}',
        good='{"Effect": "Allow", "Action": "iam:CreateAccessKey", '
        '"Resource": "arn:aws:iam::*:user/${aws:username}"}',
    )
    source = ESCALATION_DOC
    tags = ("security", "escalation", "credentials")
    element = "Resource"
    delegation_only = False

    def search(self, proof: Proof) -> list[Violation]:
        actions = lookup("iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile")

        def unsafe(candidate: Candidate) -> bool:
            resource = candidate.resource
            return resource != proof.caller_arn and not proof.in_prefix(resource)

        return proof.search(actions, unsafe, outside_first=True)

    def consequence(self, violation: Violation, proof: Proof) -> str:
        return "the caller gets credentials of another user and acts with its permissions"


RULES = [CredentialsForOthers]
