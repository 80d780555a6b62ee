"""Forward only: may this commit be applied over the one an account was deployed from?

Decided by git itself (``git merge-base --is-ancestor``), once per deployed commit per run.
A commit the clone does not have cannot be judged: CI must check out full history
(GitHub ``fetch-depth: 0``, GitLab ``GIT_DEPTH: "0"``).
"""

from __future__ import annotations

import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

from .deployment import Deployment


@dataclass
class Ancestry:
    root: Path
    head: str  # the full sha being deployed; "" when unknown
    _memo: dict[str, bool | None] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def descends_from(self, old: str) -> bool | None:
        """True: head is ``old`` or a descendant; False: it is not; None: git cannot say."""
        if old == self.head:
            return True
        with self._lock:
            if old not in self._memo:
                self._memo[old] = self._ask(old)
            return self._memo[old]

    def _ask(self, old: str) -> bool | None:
        try:
            done = subprocess.run(
                ["git", "merge-base", "--is-ancestor", old, self.head],
                cwd=self.root,
                capture_output=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return {0: True, 1: False}.get(done.returncode)


def refusal(state: Deployment | None, ancestry: Ancestry) -> str:
    """Why this commit must not be applied over ``state`` ("" when it may)."""
    if state is None:
        return ""
    head, old = ancestry.head, state.commit
    if not head:
        return (
            f"this account was deployed from {old[:12]}, and the commit being applied is unknown "
            "(run from a git checkout, or set GITHUB_SHA / CI_COMMIT_SHA)"
        )
    verdict = ancestry.descends_from(old)
    if verdict is None:
        return (
            f"this account was deployed from {old[:12]}, which this clone does not have, so "
            f"{head[:12]} cannot be proven newer (CI needs full history: fetch-depth: 0)"
        )
    if not verdict:
        return (
            f"this account was deployed from {old[:12]}, and {head[:12]} is not a descendant of "
            "it (an older commit, or another branch): applying it would undo changes. Apply "
            f"{old[:12]} or a newer commit, or pass --allow-rollback to roll back on purpose"
        )
    return ""


def in_progress(state: Deployment | None, head: str) -> str:
    """Another commit's apply is writing in this account (or was killed less than
    STALE_AFTER ago): writing now could interleave with it."""
    if state is None or not state.applying or state.commit == head or state.stale():
        return ""
    when = state.since.strftime("%Y-%m-%d %H:%M:%S UTC") if state.since else "?"
    return (
        f"an apply from {state.commit[:12]} claimed this account at {when} and has not ended: "
        "nothing was written. Re-run once it has ended (a killed apply's claim lapses after "
        "15 minutes, or re-run that commit's apply)"
    )
