"""IG407 lambda-update-function-code: replacing the code of functions the caller does not own."""

from __future__ import annotations

from typing import TYPE_CHECKING

from iamgate.delegation import Violation, lookup
from iamgate.rules.base import Example
from iamgate.rules.proof_rule import ESCALATION_DOC, ProofRule

if TYPE_CHECKING:
    from iamgate.delegation import Proof


class LambdaUpdateFunctionCode(ProofRule):
    """A warning, not an error: it escalates only when some function runs with a role more
    powerful than the caller, and which roles the account's functions have is not in the
    repository."""

    id = "IG407"
    name = "lambda-update-function-code"
    services = ("lambda",)
    severity = "warning"
    summary = "Allows lambda:UpdateFunctionCode on functions outside the delegation prefix"
    why = (
        "Replacing a function's code runs the caller's code with the function's execution "
        "role. On any function, that is any role some function was given. Scope it to the "
        "functions named with the delegation prefix."
    )
    example = Example(
        bad='{"Effect": "Allow", "Action": "lambda:UpdateFunctionCode", "Resource": "*"}',
        good='{"Effect": "Allow", "Action": "lambda:UpdateFunctionCode", '
        '"Resource": "arn:aws:lambda:*:${aws:PrincipalAccount}:function:service-*"}',
    )
    source = ESCALATION_DOC
    tags = ("security", "escalation", "lambda")
    element = "Resource"
    delegation_only = False

    def search(self, proof: Proof) -> list[Violation]:
        actions = lookup("lambda:UpdateFunctionCode")
        return proof.search(actions, lambda c: not proof.in_prefix(c.resource), outside_first=True)

    def consequence(self, violation: Violation, proof: Proof) -> str:
        return "the caller's code then runs with the function's execution role"


RULES = [LambdaUpdateFunctionCode]
