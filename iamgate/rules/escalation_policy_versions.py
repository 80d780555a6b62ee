"""IG401 policy-version-escalation: a new default version of someone else's policy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from iamgate.delegation import Violation, lookup
from iamgate.rules.base import Example
from iamgate.rules.proof_rule import ESCALATION_DOC, ProofRule

if TYPE_CHECKING:
    from iamgate.delegation import Proof


class PolicyVersionEscalation(ProofRule):
    id = "IG401"
    name = "policy-version-escalation"
    severity = "error"
    summary = "Allows CreatePolicyVersion or SetDefaultPolicyVersion on policies outside the prefix"
    why = (
        "Whoever can create a version of a managed policy and make it the default rewrites the "
        "permissions of everyone the policy is attached to, the caller included: write a "
        'version with "Action": "*" and it takes effect at once. Keep both actions on the '
        "policies named with the delegation prefix."
    )
    example = Example(
        bad='{"Effect": "Allow", "Action": "iam:CreatePolicyVersion", "Resource": "*"}',
        good='{"Effect": "Allow", "Action": "iam:CreatePolicyVersion", '
        '"Resource": "arn:aws:iam::${aws:PrincipalAccount}:policy/service-*"}',
    )
    source = ESCALATION_DOC
    tags = ("security", "escalation")
    element = "Resource"
    delegation_only = False

    def search(self, proof: Proof) -> list[Violation]:
        actions = lookup("iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion")
        return proof.search(actions, lambda c: not proof.in_prefix(c.resource), outside_first=True)

    def consequence(self, violation: Violation, proof: Proof) -> str:
        return (
            "a new default version grants whatever its author writes to everyone the policy "
            "is attached to"
        )


RULES = [PolicyVersionEscalation]
