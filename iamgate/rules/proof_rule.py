"""ProofRule: the base of every rule decided by a search, and the pages those rules cite."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, ClassVar

from iamgate.delegation import (
    BOUNDARY,
    counterexample,
    describe_request,
    judged_accounts,
    listing,
    proof_for,
    statement_label,
)
from iamgate.delegation.search import may_allow
from iamgate.delegation.text import _dedupe
from iamgate.rules.base import Rule

if TYPE_CHECKING:
    from iamgate.delegation.search import Proof, Violation
    from iamgate.document import JsonPath
    from iamgate.findings import Finding
    from iamgate.model import Policy
    from iamgate.project import Project

BOUNDARIES_DOC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html"
OPERATORS_DOC = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/"
    "reference_policies_elements_condition_operators.html"
)
ESCALATION_DOC = "https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/"


class ProofRule(Rule, ABC):
    """A rule decided by a search: ``search`` finds the violations, the base reports them.

    ``defers_to`` names rules that report the same request better; an action one of them
    (enabled and applicable) already reports is left out here, so one request is one finding.
    """

    kinds = ("identity",)
    stage = "rules"
    tags: ClassVar[tuple[str, ...]] = ("security", "delegation")
    delegation_only: ClassVar[bool] = True
    defers_to: ClassVar[tuple[str, ...]] = ()
    element: ClassVar[str] = "Action"  # where a finding points: Action, Resource or Condition
    # The services whose actions the rule is about: a policy that can allow none of them
    # (most policies of a large corpus) is skipped before any search.
    services: ClassVar[tuple[str, ...]] = ("iam",)

    @abstractmethod
    def search(self, proof: Proof) -> list[Violation]:
        """Judged by each subclass."""

    def consequence(self, violation: Violation, proof: Proof) -> str:
        return ""

    def applies(self, proof: Proof) -> bool:
        if not proof.may_allow(self.services):
            return False
        return proof.is_delegation if self.delegation_only else True

    def check(self, policy: Policy, project: Project) -> list[Finding]:
        """The violations in the first account, of those the policy is judged in, that has
        any: an escape a delegate reaches in the account it is deployed to comes first."""
        if policy.kind not in self.kinds or not may_allow(policy, self.services):
            return []  # decided by the policy alone: no proof built, no project read
        accounts = judged_accounts(policy, project)
        for account in accounts:
            where = f" (in account {account})" if len(accounts) > 1 else ""
            found = self.judge(proof_for(policy, project, account), where)
            if found:
                return found
        return []

    def judge(self, proof: Proof, where: str = "") -> list[Finding]:
        """The findings on one proof: a delegation policy's in one account, or a boundary's
        ceiling (IG503). ``where`` names the account in the message when there are several."""
        if not self.applies(proof):
            return []
        violations = [
            v
            for v in proof.violations(self)
            if not self.reported_elsewhere(proof, v) and proof.confirmed(v)
        ]
        return list(self.findings(proof, violations, where))

    def reported_elsewhere(self, proof: Proof, violation: Violation) -> bool:
        """Is the same action already reported by a rule this one defers to?"""
        from iamgate.rules import all_rules
        from iamgate.rules.settings import enabled

        rules = all_rules()
        for other_id in self.defers_to:
            other = rules.get(other_id)
            if not isinstance(other, ProofRule) or not enabled(other, proof.config):
                continue
            if proof.policy.kind not in other.kinds or not other.applies(proof):
                continue
            if any(v.action.full == violation.action.full for v in proof.violations(other)):
                return True
        return False

    def findings(
        self, proof: Proof, violations: Sequence[Violation], where: str = ""
    ) -> Iterator[Finding]:
        groups: dict[tuple[int, ...], list[Violation]] = {}
        for violation in violations:
            groups.setdefault(tuple(s.index for s in violation.statements), []).append(violation)
        for group in groups.values():
            first = group[0]
            allowing = [s for _, s in first.decision.statements]
            message = (
                f"{describe_request(first.request, proof)}{where} is allowed by "
                f"{statement_label(proof.policy, allowing)}"
            )
            consequence = self.consequence(first, proof)
            if consequence:
                message += f": {consequence}"
            others = _dedupe(v.action.full for v in group[1:] if v.action.full != first.action.full)
            if others:
                message += f" (and likewise {listing(others)})"
            yield self.finding(
                proof.policy,
                self.location(first),
                message,
                key=True,
                counterexample=counterexample(first.request, proof.policy),
                statements=first.statements,
            )

    def location(self, violation: Violation) -> JsonPath:
        statement = violation.statements[0]
        if self.element == "Condition":
            for condition in statement.conditions:
                if condition.key.lower() == BOUNDARY:
                    return condition.path
        if self.element in ("Condition", "Action"):
            return (*statement.path, "Action" if statement.action is not None else "NotAction")
        return (*statement.path, "Resource" if statement.resource is not None else "NotResource")
