"""What the escalation search reads and what it answers: the policy set, the open paths."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from iamgate.delegation import counterexample

if TYPE_CHECKING:
    from iamgate.escalation.table import EscalationPath, PathAction
    from iamgate.evaluator import Decision, Request
    from iamgate.model import Policy, Statement


@dataclass(frozen=True)
class PolicySet:
    """What AWS reads for one principal: its identity policies, its permissions boundary,
    and the SCP levels above its account (root first; each level a list of SCPs)."""

    identity: tuple[Policy, ...]
    boundary: Policy | None = None
    scps: tuple[tuple[Policy, ...], ...] = ()

    def evaluate(self, request: Request) -> Decision:
        from iamgate.evaluator import evaluate

        return evaluate(request, self.identity, self.boundary, self.scps)


@dataclass(frozen=True)
class Step:
    """One action of a path, allowed: the request and the evaluator's decision."""

    entry: PathAction
    request: Request
    decision: Decision


@dataclass(frozen=True)
class PathFinding:
    path: EscalationPath
    steps: tuple[Step, ...]
    policy: Policy  # the identity policy the counterexample is written for

    @property
    def start(self) -> Step:
        """The request that starts the path: the first that reaches outside the prefix (the
        role passed, the function rewritten), else the first action."""
        return next((s for s in self.steps if s.entry.outside), self.steps[0])

    @property
    def request(self) -> Request:
        return self.start.request

    @property
    def statements(self) -> tuple[Statement, ...]:
        """The statements that allow the path, the starting request's first."""
        found: list[Statement] = []
        for step in (self.start, *self.steps):
            for _, statement in step.decision.statements:
                if all(statement is not s for s in found):
                    found.append(statement)
        return tuple(found)

    @property
    def counterexample(self) -> dict[str, Any]:
        return counterexample(self.request, self.policy)

    @property
    def source(self) -> str:
        return self.path.source
