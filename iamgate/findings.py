"""The finding: what every rule produces and every report consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
RANK: dict[str, int] = {"info": 0, "warning": 1, "error": 2}


@dataclass(frozen=True)
class StatementRef:
    """A statement that took part in a decision, located in its file."""

    file: str
    line: int
    sid: str | None = None
    index: int = 0
    effect: str = "Allow"

    def to_dict(self) -> dict[str, Any]:
        """``dataclasses.asdict``, field by field (asdict copies deeply, and slowly)."""
        return {
            "file": self.file,
            "line": self.line,
            "sid": self.sid,
            "index": self.index,
            "effect": self.effect,
        }

    def label(self) -> str:
        name = f"statement {self.sid!r}" if self.sid else f"statement #{self.index + 1}"
        return f"{name} ({self.file}:{self.line})"


@dataclass(frozen=True)
class Finding:
    """One problem a rule found in a file, located, with its evidence."""

    rule: str
    severity: Severity
    file: str
    line: int
    column: int
    message: str
    # The request AWS would allow: {"action", "resource", "context"}; only on security findings.
    counterexample: dict[str, Any] | None = None
    statements: tuple[StatementRef, ...] = ()
    # Set when a reviewed exception exists for this finding (applied or expired).
    exception: dict[str, Any] | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule": self.rule,
            "severity": self.severity,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "message": self.message,
        }
        if self.counterexample is not None:
            out["counterexample"] = self.counterexample
        if self.statements:
            out["statements"] = [s.to_dict() for s in self.statements]
        if self.exception is not None:
            out["exception"] = self.exception
        return out
