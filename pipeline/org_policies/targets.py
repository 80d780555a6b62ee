"""Where deploy.<folder> attaches each organization policy, resolved against AWS Organizations.

A reference is ``Root`` (the organization root), an OU path below the root
(``Workloads/Dev``), an ``ou-`` id, or, under ``accounts``, a 12-digit account id. Unlike
deploy targets, an OU reference means the OU itself — a policy attached to an OU applies to
everything below it, so nothing is expanded to accounts. A reference that does not exist
is a configuration error naming the entry, before any write.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from iamgate.config import ConfigError

from ..targets import OrgReader, UnknownOu, find_ou
from .desired import DesiredOrgPolicy

ROOT = "Root"


@dataclass(frozen=True)
class OrgTarget:
    id: str  # r-..., ou-..., or a 12-digit account id
    label: str  # "Root", "OU Workloads/Dev", "account 111111111111 (dev-1)"


def _error(where: str, message: str, file: Path | None, line: int) -> ConfigError:
    return ConfigError(f"{where}: {message}", file, line or None)


def resolve_ou(
    reference: str, org: OrgReader, where: str, file: Path | None, line: int
) -> OrgTarget:
    try:
        ou_id, parts = find_ou(reference, org)
    except UnknownOu as exc:
        raise _error(where, str(exc), file, line) from None
    if reference.startswith("ou-"):
        return OrgTarget(ou_id, f"OU {ou_id}")
    return OrgTarget(ou_id, f"OU {'/'.join(parts)}" if parts else ROOT)


def resolve_account(
    account_id: str, names: dict[str, str], where: str, file: Path | None, line: int
) -> OrgTarget:
    if account_id not in names:
        raise _error(where, f"the account {account_id} is not in this organization", file, line)
    name = names[account_id]
    return OrgTarget(
        account_id, f"account {account_id} ({name})" if name else f"account {account_id}"
    )


def resolve_reference(
    reference: str, org: OrgReader, names: dict[str, str], where: str, file: Path | None, line: int
) -> OrgTarget:
    """An OU path, ou- id, Root or account id (detach-full-aws-access mixes them)."""
    if len(reference) == 12 and reference.isdigit():
        return resolve_account(reference, names, where, file, line)
    return resolve_ou(reference, org, where, file, line)


def resolve_attachments(
    policies: Iterable[DesiredOrgPolicy],
    org: OrgReader,
    names: dict[str, str],
    file: Path | None,
    key: str,
) -> dict[str, tuple[OrgTarget, ...]]:
    """Policy name -> the roots, OUs and accounts deploy.``key`` attaches it to."""
    out: dict[str, tuple[OrgTarget, ...]] = {}
    for policy in policies:
        where = f"deploy.{key}[{policy.name}]"
        found = [resolve_ou(ref, org, where, file, policy.line) for ref in policy.ous]
        found += [resolve_account(a, names, where, file, policy.line) for a in policy.accounts]
        out[policy.name] = tuple({t.id: t for t in found}.values())
    return out


def live_label(target: dict[str, str]) -> str:
    """A ListTargetsForPolicy item as the report names it."""
    kind, name, target_id = target.get("Type", ""), target.get("Name", ""), target["TargetId"]
    if kind == "ROOT":
        return ROOT
    if kind == "ACCOUNT":
        return f"account {target_id} ({name})" if name else f"account {target_id}"
    return f"OU {name} ({target_id})" if name else f"OU {target_id}"
