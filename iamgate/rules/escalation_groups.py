"""IG403 add-user-to-group: joining a group is taking its permissions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from iamgate.delegation import Violation, lookup
from iamgate.rules.base import Example
from iamgate.rules.proof_rule import ESCALATION_DOC, ProofRule

if TYPE_CHECKING:
    from iamgate.delegation import Proof


class AddUserToGroup(ProofRule):
    id = "IG403"
    name = "add-user-to-group"
    severity = "error"
    summary = "Allows iam:AddUserToGroup, so the caller can join a more privileged group"
    why = (
        "A user who may add users to a group can add itself to the administrators' group and "
        "inherit its policies; groups have no permissions boundary to stop it. Leave group "
        "membership to administrators."
    )
    example = Example(
        bad='{"Effect": "Allow", "Action": "iam:AddUserToGroup", "Resource": "*"}',
        good='{"Effect": "Allow", "Action": "iam:GetGroup", "Resource": "*"}',
    )
    source = ESCALATION_DOC
    tags = ("security", "escalation")
    delegation_only = False

    def search(self, proof: Proof) -> list[Violation]:
        return proof.search(lookup("iam:AddUserToGroup"), lambda _: True, outside_first=True)

    def consequence(self, violation: Violation, proof: Proof) -> str:
        return "the caller can add itself to the group and take its permissions"


RULES = [AddUserToGroup]
