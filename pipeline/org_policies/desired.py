"""The desired organization policies of one type: the files of its folder that
``deploy.<folder>`` names, exactly as reviewed.

A policy's name in AWS Organizations is its file name without ``.json``, as for IAM
policies. Where each one is attached is resolved against the organization later
(targets.py); this module only reads the repository, so a missing file or a policy over
AWS's size limit stops the run before any AWS call.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iamgate.config import Config, ConfigError
from iamgate.org_policy_types import OrgPolicyType, deploy_entries

from ..compare import policy_size


@dataclass(frozen=True)
class DesiredOrgPolicy:
    name: str
    file: str  # relative to the project root
    text: str
    document: dict[str, Any]
    ous: tuple[str, ...]  # references as configured: OU paths, ou- ids, "Root"
    accounts: tuple[str, ...]
    line: int  # of the deploy.<folder> entry

    @property
    def size(self) -> int:
        return policy_size(self.document)


def policy_files(config: Config, kind: OrgPolicyType) -> list[Path]:
    """The files deploy.<folder> names; a name without a file is a configuration error."""
    out: list[Path] = []
    for entry in deploy_entries(config, kind):
        path = config.root / kind.folder / f"{entry.policy}.json"
        if not path.is_file():
            raise ConfigError(
                f"deploy.{kind.folder}: the {kind.label} {entry.policy!r} has no file "
                f"{kind.folder}/{entry.policy}.json",
                config.file,
                entry.line or None,
            )
        out.append(path)
    return out


def load_desired(config: Config, kind: OrgPolicyType) -> tuple[DesiredOrgPolicy, ...]:
    from iamgate.document import load
    from iamgate.project import display_path

    out: list[DesiredOrgPolicy] = []
    entries = deploy_entries(config, kind)
    for entry, path in zip(entries, policy_files(config, kind), strict=True):
        display = display_path(path, config.root)
        # The lint gate already proved the file loads; a LoadError here means it changed since.
        document = load(path, display)
        out.append(
            DesiredOrgPolicy(
                name=entry.policy,
                file=display,
                text=document.text,
                document=document.data,
                ous=entry.ous,
                accounts=entry.accounts,
                line=entry.line,
            )
        )
    return tuple(out)


def oversized(
    policies: tuple[DesiredOrgPolicy, ...], kind: OrgPolicyType
) -> list[tuple[DesiredOrgPolicy, int]]:
    """Policies Organizations would refuse (moto does not enforce the limit, so iamgate must)."""
    return [(policy, policy.size) for policy in policies if policy.size > kind.max_characters]
