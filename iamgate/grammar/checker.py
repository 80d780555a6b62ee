"""check(): every grammar check of one document, and whether the model may be built."""

from __future__ import annotations

from typing import TYPE_CHECKING

from iamgate.grammar.schema_errors import SchemaErrors
from iamgate.grammar.semantic_checks import SemanticChecks

if TYPE_CHECKING:
    from iamgate.document import Document, PolicyKind
    from iamgate.grammar.problems import Issue


def check(doc: Document, kind: PolicyKind, name: str) -> tuple[list[Issue], bool]:
    """The grammar's issues with one document, each once, in the order they occur; and
    whether the model may be built from it."""
    checker = _Checker(doc, kind)
    checker.run(name)
    if not checker.issues:
        return [], True  # a clean document (most): nothing to order, nothing that breaks
    unique = {(i.line, i.column, i.problem.value, i.message): i for i in checker.issues}
    issues = [unique[k] for k in sorted(unique)]
    return issues, not any(i.problem.breaks_model for i in issues)


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
