"""What a rule is: its documentation beside the code that checks it (cfn-lint's habit)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar

from iamgate.document import JsonPath
from iamgate.findings import Finding, Severity, StatementRef

if TYPE_CHECKING:
    from iamgate.delegation import Proof
    from iamgate.model import Policy, PolicyKind, Statement
    from iamgate.project import Project


@dataclass(frozen=True)
class Example:
    bad: str  # a JSON fragment the rule flags
    good: str  # what to write instead


class Rule:
    """One check: its documentation and the code that checks. Subclasses set the class
    attributes and implement ``check``.

    A rule of an earlier stage (loading, grammar) sets ``problem`` instead: the typed problem
    that layer detects (document.LoadProblem, grammar.Problem), which the loader and the
    grammar cannot know as a rule (they sit below the rules). ``reported`` turns one
    occurrence into the rule's finding.
    """

    id: ClassVar[str]
    name: ClassVar[str]  # kebab-case, e.g. "boundary-condition"
    severity: ClassVar[Severity] = "error"
    summary: ClassVar[str]  # one line: what it catches
    why: ClassVar[str] = ""  # why is this bad
    example: ClassVar[Example | None] = None
    source: ClassVar[str] = ""  # documentation URL
    tags: ClassVar[tuple[str, ...]] = ()
    kinds: ClassVar[tuple[PolicyKind, ...]] = ("identity", "boundary")
    stage: ClassVar[str] = "rules"  # "load" | "grammar" | "rules" | "project"
    problem: ClassVar[Enum | None] = None  # what the loader or the grammar reports for it

    @property
    def security(self) -> bool:
        """A security check (the delegation, escalation, boundary and SCP families carry the
        "security" tag): turning it off or excepting it needs a reason and an expiry date,
        and every report names it while it is off."""
        return "security" in self.tags

    def check(self, policy: Policy, project: Project) -> Iterable[Finding]:
        return ()

    def reported(self, file: str, line: int, column: int, message: str) -> Finding:
        """The finding for one occurrence of the rule's ``problem``, at its severity."""
        return Finding(self.id, self.severity, file, line, column, message)

    def judge(self, proof: Proof) -> list[Finding] | None:
        """The findings on a proof built elsewhere: IG503 builds one for each boundary's
        ceiling and asks every security rule of the identity families. A rule decided on a
        Proof (ProofRule, the escalation table) answers; None: not decided on a proof."""
        return None

    def finding(
        self,
        policy: Policy,
        path: JsonPath,
        message: str,
        *,
        key: bool = False,
        counterexample: dict[str, Any] | None = None,
        statements: Iterable[Statement] = (),
    ) -> Finding:
        doc = policy.document
        if doc is None:
            line, column = 1, 1
        else:
            line, column = doc.locate_key(path) if key else doc.locate(path)
        return Finding(
            rule=self.id,
            severity=self.severity,
            file=policy.file,
            line=line,
            column=column,
            message=message,
            counterexample=counterexample,
            statements=tuple(statement_ref(policy, s) for s in statements),
        )


def statement_ref(policy: Policy, statement: Statement) -> StatementRef:
    return StatementRef(
        file=policy.file,
        line=policy.line_of(statement.path),
        sid=statement.sid,
        index=statement.index,
        effect=statement.effect,
    )
