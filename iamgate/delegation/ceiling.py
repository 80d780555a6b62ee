"""The ceiling proof: a role created under an approved boundary, with any policy attached.

What such a role may do in one account is ``*`` ∩ boundary ∩ the SCP levels above the account.
The ``*`` policy allows every request and denies none, so that is exactly the boundary read as
the role's identity policy, with the SCPs applied: the boundary's statements stand as the
principal's permissions and every identity-policy proof asks its questions of them. A finding
then names the boundary statement that lets the request through, and
``CeilingProof.confirmed`` asks the literal stack (any policy, the boundary as a boundary, the
SCPs) once more before a request is reported.

The principal is a role named with the delegation prefix in that account: it has no
aws:username (roles have none, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-username),
its aws:PrincipalArn is the role's ARN, and no user is its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from iamgate.delegation.policy_facts import DEFAULT_ACCOUNT
from iamgate.delegation.search import Proof
from iamgate.delegation.text import _dedupe

if TYPE_CHECKING:
    from iamgate.delegation.search import Violation
    from iamgate.evaluator import Request
    from iamgate.model import Policy
    from iamgate.organization import Placement
    from iamgate.project import Project

CEILING_ROLE = "ceiling"  # the role's name after the prefix: service-ceiling
PRINCIPAL_ARN = "aws:PrincipalArn"


class CeilingProof(Proof):
    """The proof of one boundary as the ceiling of the roles created under it, in one account."""

    # Every invariant of a delegate holds for the roles it creates: they are judged as
    # delegation policies whatever their boundary allows.
    is_delegation = True

    def __init__(self, boundary: Policy, project: Project, placement: Placement) -> None:
        self.boundary = boundary
        self.placement = placement
        super().__init__(
            replace(boundary, kind="identity"),
            project,
            account=placement.account or DEFAULT_ACCOUNT,
            scps=placement.scps,
        )

    def principal_arn(self) -> str:
        return f"arn:aws:iam::{self.account}:role/{self.prefix}{CEILING_ROLE}"

    def identity_context(self) -> dict[str, tuple[str, ...]]:
        context: dict[str, tuple[str, ...]] = {"aws:PrincipalAccount": (self.account,)}
        if not self._reads_principal_arn:
            context[PRINCIPAL_ARN] = (self.caller_arn,)
        return context

    @cached_property
    def _reads_principal_arn(self) -> bool:
        """Does a condition (an SCP's exemption, most likely) read the role's ARN? Then it is
        varied over every ARN the delegate could give a role (see key_options)."""
        key = PRINCIPAL_ARN.lower()
        return any(c.key.lower() == key for s in self.read_statements for c in s.conditions)

    def key_options(self, key: str) -> list[tuple[str, ...] | None]:
        """aws:PrincipalArn is always present and always a role the delegate can create: one
        named with the prefix in this account, the conditions' patterns filled in where they
        admit such a name (an SCP that exempts role/service-deploy* exempts a role the
        delegate names service-deployx)."""
        if key != PRINCIPAL_ARN.lower():
            return super().key_options(key)
        head = f"arn:aws:iam::{self.account}:role/"
        named = (v for raw in self.values.get(key, ()) for v in self.fill_value(raw))
        own = [v for v in named if v.startswith(head) and self.in_prefix(v)]
        return [(arn,) for arn in _dedupe([self.caller_arn, *own])]

    @cached_property
    def project_policies(self) -> tuple[str, ...]:
        """The identity policies the project deploys, other than the delegates' own: the
        delegation policy among them. Rewriting any of them rewrites someone's permissions."""
        folder = self.project.root / "policies"
        if not folder.is_dir():
            return ()
        names = (p.stem for p in sorted(folder.rglob("*.json")))
        return tuple(n for n in _dedupe(names) if not n.startswith(self.prefix))

    def protected_policies(self) -> dict[str, str]:
        out = {arn: f"the approved boundary {arn.rsplit('/', 1)[-1]}" for arn in self.approved_arns}
        for path in _dedupe((self.deploy_path, "/")):
            for name in self.project_policies:
                arn = f"arn:aws:iam::{self.account}:policy{path}{name}"
                out.setdefault(arn, f"the project's policy {name} (a delegation policy or another)")
        return out

    def confirmed(self, violation: Violation) -> bool:
        """Does AWS allow the request to a role with any policy, the boundary and the SCPs?"""
        return self._allowed(violation.request)

    def stands(self, counterexample: Mapping[str, Any]) -> bool:
        """Does a finding's request (as a finding carries it) stand for this role? Asked as
        the role makes it: its own ARN and account, no aws:username."""
        from iamgate.evaluator import Request

        context = {
            key: tuple(values)
            for key, values in counterexample.get("context", {}).items()
            if key.lower() not in ("aws:username", "aws:principalarn", "aws:principalaccount")
        }
        context.update(self.identity_context())
        context.setdefault(PRINCIPAL_ARN, (self.caller_arn,))
        request = Request(counterexample["action"], counterexample["resource"], context)
        return self._allowed(request)

    def _allowed(self, request: Request) -> bool:
        from iamgate.evaluator import evaluate
        from iamgate.organization import allow_everything

        decision = evaluate(request, (allow_everything(),), self.boundary, self.placement.scps)
        return decision.allowed
