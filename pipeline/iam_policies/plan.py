"""The plan: what apply would do in one account, computed from desired and live state.

Pure: no AWS here. ``plan_account`` compares the repository's policies for an account
with the account's live managed policies and returns ordered changes — boundaries are
created and updated before the policies that reference them, deletions run in the
reverse order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from ..compare import addition, same_document, unified_diff
from ..ownership import marked, unmarked_reason
from .boundary_refs import boundary_arns, foreign_boundaries
from .desired import DesiredPolicy
from .live import LivePolicy

Action = Literal["create", "update", "delete", "conflict", "retain"]
MAX_VERSIONS = 5  # IAM keeps at most five versions of a managed policy
# Changes that make apply write, and the ones that leave a difference it cannot resolve.
WRITES: tuple[str, ...] = ("create", "update", "delete")
DIFFERENCES: tuple[str, ...] = ("create", "update", "delete", "conflict", "retain")
PENDING: tuple[str, ...] = ("create", "update", "delete", "conflict")


@dataclass(frozen=True)
class Change:
    action: Action
    name: str
    kind: str  # "boundary" | "identity"
    arn: str
    file: str | None = None
    text: str | None = None  # the document sent to IAM (create, update)
    diff: str = ""
    reason: str = ""
    set_default: str | None = None  # update: an existing version already holds the document
    rotate_out: str | None = None  # update: the oldest non-default version, deleted first
    old_versions: tuple[str, ...] = ()  # delete: non-default versions, deleted before the policy

    @property
    def writes(self) -> int:
        """IAM write calls this change costs (the figure the bench reports)."""
        if self.action == "create":
            return 1
        if self.action == "update":
            return 1 + (1 if self.rotate_out else 0)
        if self.action == "delete":
            return 1 + len(self.old_versions)
        return 0


@dataclass
class AccountPlan:
    account_id: str
    changes: list[Change] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)  # ours, no longer desired, kept (no --prune)
    warnings: list[str] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)

    @property
    def pending(self) -> bool:
        """A change apply would make, or a conflict it cannot resolve. A policy retained
        because it is in use is reported, not pending: otherwise drift and
        plan --detailed-exitcode would exit 2 forever, with nothing apply could do."""
        return any(c.action in PENDING for c in self.changes)

    def replace_change(self, old: Change, new: Change) -> None:
        self.changes[self.changes.index(old)] = new


def _order(change: Change) -> tuple[int, int, str]:
    boundary = change.kind == "boundary"
    if change.action == "delete":
        # Policies that reference a boundary go before the boundary itself.
        return (2, 1 if boundary else 0, change.name)
    return (0 if change.action in ("create", "update") else 1, 0 if boundary else 1, change.name)


def ordered(changes: list[Change]) -> list[Change]:
    return sorted(changes, key=_order)


def policy_arn(account_id: str, path: str, name: str, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account_id}:policy{path}{name}"


def _update(want: DesiredPolicy, have: LivePolicy) -> Change | None:
    default = have.default
    if default is not None and same_document(default.document, want.document):
        return None
    live_label = f"live {have.default_version_id or '(no default)'}"
    diff = unified_diff(default.document if default else {}, want.document, live_label, want.file)
    base = Change("update", want.name, want.kind, have.arn, want.file, want.text, diff)
    for version in have.versions:
        if version is not default and same_document(version.document, want.document):
            # A default switched back by hand: switch it forward again, no new version.
            return replace(
                base, set_default=version.id, reason=f"make existing {version.id} default"
            )
    if len(have.versions) >= MAX_VERSIONS:
        oldest = have.oldest_non_default()
        if oldest is not None:
            return replace(
                base, rotate_out=oldest.id, reason=f"{len(have.versions)} versions exist"
            )
    return base


def _live_kind(name: str, live: Mapping[str, LivePolicy]) -> str:
    """A policy gone from the repository is a boundary if another live policy names it as one."""
    for other in live.values():
        default = other.default
        if other.name == name or default is None:
            continue
        if any(arn.endswith(f"/{name}") for arn in boundary_arns(default.document)):
            return "boundary"
    return "identity"


def plan_account(
    account_id: str,
    desired: Mapping[str, DesiredPolicy],
    live: Mapping[str, LivePolicy],
    *,
    path: str,
    prune: bool,
    repository_kinds: Mapping[str, str] | None = None,
    partition: str = "aws",
) -> AccountPlan:
    plan = AccountPlan(account_id)
    changes: list[Change] = []
    for name, want in sorted(desired.items()):
        have = live.get(name)
        if have is None:
            arn = policy_arn(account_id, path, name, partition)
            diff = addition(want.text, want.file)
            changes.append(Change("create", name, want.kind, arn, want.file, want.text, diff))
        elif not marked(have, path):
            changes.append(
                Change(
                    "conflict",
                    name,
                    want.kind,
                    have.arn,
                    want.file,
                    reason=unmarked_reason(have, path),
                )
            )
        else:
            change = _update(want, have)
            if change is None:
                plan.unchanged.append(name)
            else:
                changes.append(change)
        for arn in foreign_boundaries(want.document, account_id):
            plan.warnings.append(
                f"{want.file}: the permissions boundary {arn} belongs to another account than "
                f"{account_id}; write arn:aws:iam::${{aws:PrincipalAccount}}:policy/... instead"
            )
    for name, have in sorted(live.items()):
        if name in desired or not marked(have, path):
            continue
        if not prune:
            plan.orphans.append(name)
            continue
        kinds = repository_kinds or {}
        kind = kinds.get(name) or _live_kind(name, live)
        why = (
            "not targeted to this account" if name in kinds else "no longer deployed by any target"
        )
        old = tuple(v.id for v in have.versions if v is not have.default)
        changes.append(Change("delete", name, kind, have.arn, reason=why, old_versions=old))
    plan.changes = ordered(changes)
    return plan
