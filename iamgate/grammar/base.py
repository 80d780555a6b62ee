"""The state every grammar check shares: the document, its statements, the issues so far."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from iamgate.grammar.problems import Issue, Problem

if TYPE_CHECKING:
    from iamgate.document import Document, JsonPath, PolicyKind, Position

# Every kind iamgate lints is attached to a principal, so none may name one.
_NO_PRINCIPAL_KINDS = frozenset({"identity", "boundary", "scp"})


class CheckerBase:
    """One document under check; ``add`` files an issue at an element's line and column."""

    def __init__(self, doc: Document, kind: PolicyKind) -> None:
        self.doc = doc
        self.kind = kind
        self.data: dict[str, Any] = doc.data
        self.issues: list[Issue] = []
        self.statements = list(_statements(self.data))
        # Element names suggested for misspelt keys, per object: "Resources" already
        # says what is wrong, so "no Resource" would be the same problem twice.
        self.suggested: dict[JsonPath, set[str]] = {}

    def add(
        self,
        problem: Problem,
        message: str,
        path: JsonPath = (),
        *,
        key: bool = False,
        position: Position | None = None,
    ) -> None:
        if self.kind not in problem.kinds:
            return
        if position is None:
            position = self.doc.locate_key(path) if key else self.doc.locate(path)
        line, column = position
        self.issues.append(Issue(problem, line, column, message))


def _statements(data: dict[str, Any]) -> Iterator[tuple[JsonPath, dict[str, Any]]]:
    raw = data.get("Statement")
    if isinstance(raw, dict):
        yield ("Statement",), raw
    elif isinstance(raw, list):
        for index, item in enumerate(raw):
            if isinstance(item, dict):
                yield ("Statement", index), item
