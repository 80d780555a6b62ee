"""The desired SCPs: the files of scps/ that ``deploy.scps`` names, exactly as reviewed.

An SCP's name in AWS Organizations is its file name without ``.json``, as for IAM
policies. Where each one is attached is resolved against the organization later
(targets.py); this module only reads the repository, so a missing file or an
SCP over AWS's size limit stops the run before any AWS call.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iamgate.config import Config, ConfigError
from iamgate.organization import SCP_TYPE as SCP
from iamgate.organization import OrgPolicyType

from ..iam_policies.desired import policy_size

SCP_FOLDER = SCP.folder
# AWS Organizations quota "Maximum size of a policy document": 5,120 characters for an SCP.
# https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html
SCP_LIMIT = SCP.max_characters


@dataclass(frozen=True)
class DesiredScp:
    name: str
    file: str  # relative to the project root
    text: str
    document: dict[str, Any]
    ous: tuple[str, ...]  # references as configured: OU paths, ou- ids, "Root"
    accounts: tuple[str, ...]
    line: int  # of the deploy.scps entry

    @property
    def size(self) -> int:
        return policy_size(self.document)


def scp_files(config: Config, kind: OrgPolicyType = SCP) -> list[Path]:
    """The files deploy.scps (deploy.rcps) names; a name without a file is a configuration
    error."""
    out: list[Path] = []
    for entry in getattr(config.deploy, kind.folder):
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


def load_desired_scps(config: Config, kind: OrgPolicyType = SCP) -> tuple[DesiredScp, ...]:
    from iamgate.document import load
    from iamgate.project import display_path

    out: list[DesiredScp] = []
    entries = getattr(config.deploy, kind.folder)
    for entry, path in zip(entries, scp_files(config, kind), strict=True):
        display = display_path(path, config.root)
        # The lint gate already proved the file loads; a LoadError here means it changed since.
        document = load(path, display)
        out.append(
            DesiredScp(
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


def oversized_scps(
    scps: tuple[DesiredScp, ...], limit: int = SCP_LIMIT
) -> list[tuple[DesiredScp, int]]:
    """Policies Organizations would refuse (moto does not enforce the limit, so iamgate must)."""
    return [(scp, scp.size) for scp in scps if scp.size > limit]
