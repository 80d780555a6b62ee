"""IG408 escalation-path: every row of the escalation table, decided by the evaluator."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from iamgate.delegation import (
    CandidateSpace,
    describe_request,
    judged_accounts,
    listing,
    proof_for,
    statement_label,
)
from iamgate.rules.base import Example, Rule
from iamgate.rules.proof_rule import ProofRule

if TYPE_CHECKING:
    from iamgate.delegation import Proof
    from iamgate.escalation import EscalationPath, PathFinding, PathSearch, Table
    from iamgate.findings import Finding
    from iamgate.model import Policy
    from iamgate.project import Project

PATHFINDING = "https://pathfinding.cloud/"


class EscalationPathRule(Rule):
    """One finding per group of paths that the same statements open, naming the first path
    in full (its request, statements, why, source) and the others by id.

    A row that an older rule also covers (``covered_by``: IG401-IG407, IG301) is left to that
    rule while it is on and reports one of the row's actions, so one request is one finding.
    """

    id = "IG408"
    name = "escalation-path"
    severity = "error"
    summary = (
        "Leaves open a known privilege-escalation path (pathfinding.cloud, Rhino Security Labs, "
        "newer services: the escalation table) on resources outside the delegation prefix"
    )
    why = (
        "Each path of the escalation table turns a few ordinary permissions into someone "
        "else's: pass a role to compute the caller starts, rewrite code or a template that "
        "already runs as a role, open a shell on an instance, assume a role. A path is closed "
        "only when every resource it needs outside the delegation prefix is denied; prefixed "
        "compute runs as prefixed roles, which carry the boundary."
    )
    example = Example(
        bad='{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}',
        good='{"Effect": "Allow", "Action": "sts:AssumeRole", '
        '"Resource": "arn:aws:iam::${aws:PrincipalAccount}:role/service-*"}',
    )
    source = PATHFINDING
    tags = ("security", "escalation", "escalation-path")
    kinds = ("identity",)
    table: ClassVar[Table | None] = None  # None: the shipped table

    def check(self, policy: Policy, project: Project) -> list[Finding]:
        """The open paths in the first account, of those the policy is judged in, that has
        any (as the proofs do: an escape in an account it is deployed to comes first)."""
        # Imported on first use: the table's modules stay out of every command's start-up.
        from iamgate.escalation.prefilter import may_open

        if policy.kind not in self.kinds or not may_open((policy,), self.table):
            return []  # no row has all its actions named: no proof built
        accounts = judged_accounts(policy, project)
        for account in accounts:
            proof = proof_for(policy, project, account)
            found = list(self._search(proof).open_paths(partial(_covered, proof=proof)))
            if found:
                where = f" (in account {account})" if len(accounts) > 1 else ""
                return list(self.findings(proof, found, where))
        return []

    def _search(self, proof: Proof) -> PathSearch:
        from iamgate.escalation.decide import PathSearch, judged_account

        policy = proof.policy
        account = judged_account((policy,), proof.project, proof.account)
        if account != proof.account:
            # The proof stands in a placeholder account, but the policy's ARNs of other
            # services name one: search there (without the proof's shared answers).
            space = CandidateSpace(policy, proof.project, account)
            return PathSearch(space, proof.evaluate, (policy,), self.table)
        return PathSearch(
            proof,
            proof.evaluate,
            (policy,),
            self.table,
            proof.shared_decision,
            proof.telling_contexts,
            proof.own_decision,
        )

    def findings(
        self, proof: Proof, found: Sequence[PathFinding], where: str = ""
    ) -> Iterator[Finding]:
        groups: dict[tuple[int, ...], list[PathFinding]] = {}
        for item in found:
            key = tuple(s.index for _, s in item.start.decision.statements)
            groups.setdefault(key, []).append(item)
        for group in groups.values():
            first = group[0]
            yield self.finding(
                proof.policy,
                _location(first),
                _message(first, group[1:], proof, where),
                key=True,
                counterexample=first.counterexample,
                statements=first.statements,
            )


def _message(
    first: PathFinding, others: Sequence[PathFinding], proof: Proof, where: str = ""
) -> str:
    start = first.start
    allowing = [s for _, s in start.decision.statements]
    text = (
        f"escalation path {first.path.id} ({first.path.name}) is open: "
        f"{describe_request(start.request, proof)}{where} is allowed by "
        f"{statement_label(proof.policy, allowing)}"
    )
    rest = [s for s in first.steps if s is not start]
    if rest:
        text += ", as is " + " and ".join(
            f"{s.request.action} on {s.request.resource}" for s in rest
        )
    text += f". {first.path.why} Source: {first.path.source}"
    if others:
        text += f" (also open: {listing([o.path.id for o in others], 8)})"
    return text


def _location(finding: PathFinding) -> tuple[str | int, ...]:
    statement = next(s for _, s in finding.start.decision.statements)
    return (*statement.path, "Action" if statement.action is not None else "NotAction")


def _covered(path: EscalationPath, proof: Proof) -> bool:
    """Does an older rule that covers this row report one of its actions here, at least as
    severely as IG408 would? Then the row is not searched: its request is that rule's
    finding. (IG407 reports a rewritten function as a warning; the path it opens is still
    an error here.)"""
    from iamgate.rules import all_rules
    from iamgate.rules.settings import enabled, rank

    rules = all_rules()
    names = path.lower_names
    own = rank(rules["IG408"], proof.config)
    for rule_id in path.covered_by:
        rule = rules.get(rule_id)
        if not isinstance(rule, ProofRule) or not enabled(rule, proof.config):
            continue
        if rank(rule, proof.config) < own:
            continue
        if proof.policy.kind not in rule.kinds or not rule.applies(proof):
            continue
        if any(v.action.full.lower() in names for v in proof.violations(rule)):
            return True
    return False


RULES = [EscalationPathRule]
