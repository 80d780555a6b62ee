"""check(): every grammar check of one document, and whether the model may be built."""

from __future__ import annotations

from typing import TYPE_CHECKING

from iamgate.grammar.schema_errors import SchemaErrors
from iamgate.grammar.semantic_checks import SemanticChecks

if TYPE_CHECKING:
    from iamgate.document import Document
    from iamgate.findings import Finding
    from iamgate.model import PolicyKind

# Findings from these rules mean the model would misread the policy (or the evaluator
# would meet values it cannot handle); the others leave it analysable.
_BREAKS_MODEL = frozenset(
    {"IG101", "IG102", "IG103", "IG104", "IG105", "IG108", "IG110", "IG112", "IG116"}
)


def check(doc: Document, kind: PolicyKind, name: str) -> tuple[list[Finding], bool]:
    """Grammar findings for one document, and whether the model may be built from it."""
    checker = _Checker(doc, kind)
    checker.run(name)
    unique = {(f.line, f.column, f.rule, f.message): f for f in checker.findings}
    findings = [unique[k] for k in sorted(unique)]
    return findings, not any(f.rule in _BREAKS_MODEL for f in findings)


class _Checker(SchemaErrors, SemanticChecks):
    def run(self, name: str) -> None:
        self.schema()
        self.sids()
        self.actions()
        self.resources()
        self.principals()
        self.version()
        self.policy_name(name)
        self.size()
        self.characters()
