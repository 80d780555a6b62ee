"""What IAM or Organizations would refuse half-way through an apply, refused by the gate first.

Lint already checks each file on its own (grammar, characters IAM accepts (IG117), names
(IG111), sizes (IG107, IG601)). These are the rules that only hold for files *deployed*:

* a managed policy's Version must be 2012-10-17: "always include a Version element and set
  it to 2012-10-17 ... Do not use [2008-10-17] for any new policies or when you update any
  existing policies" (lint only warns, IG114, since an inline or resource policy may omit it)
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_version.html
* IAM names are unique per account *case-insensitively* ("Names are not distinguished by
  case. For example, you cannot create resources named both "MyResource" and "myresource"")
  — two files reaching one account whose names differ only in case would fail with
  EntityAlreadyExists half-way through it (moto accepts both: tested); DesiredState refuses
  them as a configuration error
  https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicy.html
* iamgate's own record of the deployed commit (deployment.py) owns its name;
* at most ``max_per_target`` policies of one organization policy type attached to one root,
  OU or account (5 SCPs, FullAWSAccess included; 5 RCPs, RCPFullAWSAccess included)
  https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html
  (checked here per configured reference; the live count, with policies that are not
  iamgate's, is checked by each type's plan before any write: org_policies/plan.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from iamgate.config import Config
from iamgate.org_policy_types import OrgPolicyType, detach_references

from .deployment import MARKER
from .iam_policies.desired import DesiredState
from .org_policies.desired import DesiredOrgPolicy

REQUIRED_VERSION = "2012-10-17"


def _position(text: str, needle: str) -> str:
    index = text.find(needle)
    if index < 0:
        return "1:1"
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return f"{line}:{column}"


def version_problems(state: DesiredState) -> list[str]:
    out = []
    for policy in state.policies():
        version = policy.document.get("Version")
        if version == REQUIRED_VERSION:
            continue
        where = _position(policy.text, '"Version"') if version is not None else "1:1"
        found = f'Version "{version}"' if version is not None else "no Version"
        out.append(
            f"{policy.file}:{where}: error the managed policy has {found}; a policy iamgate "
            f'deploys must say "Version": "{REQUIRED_VERSION}" (AWS: never use 2008-10-17 for '
            "a new or updated policy; without Version, IAM reads the 2008-10-17 language)"
        )
    return out


def name_problems(state: DesiredState) -> list[str]:
    """The record's name is iamgate's (case-insensitively, as IAM compares names). Two files
    of one account whose names differ only in case are a configuration error already
    (DesiredState.for_targets), before the gate gets here."""
    return [
        f"{policy.file}:1:1: error the name {policy.name} is iamgate's own (the record of the "
        "commit each account was deployed from); rename the file"
        for policy in state.policies()
        if policy.name.lower() == MARKER.lower()
    ]


def attachment_problems(
    config: Config, kind: OrgPolicyType, policies: Iterable[DesiredOrgPolicy]
) -> list[str]:
    """deploy.<folder> attaching more policies of ``kind`` to one reference than AWS allows,
    its default allow-all counted where it stays."""
    counts: dict[str, list[str]] = {}
    for policy in policies:
        for reference in (*policy.ous, *policy.accounts):
            key = "Root" if reference.strip("/") in ("Root", "") else reference.strip("/")
            counts.setdefault(key, []).append(policy.name)
    detached = {r.strip("/") for r in detach_references(config, kind)}
    out = []
    for reference, names in sorted(counts.items()):
        default = kind.full_access if reference not in detached else None
        total = len(names) + (1 if default else 0)
        if total > kind.max_per_target:
            also = f" and {default}" if default else ""
            out.append(
                f"{config.file.name if config.file else 'iamgate.yaml'}:1:1: error "
                f"deploy.{kind.folder} attaches {len(names)} {kind.label}s to {reference} "
                f"({', '.join(names)}){also}: AWS Organizations allows at most "
                f"{kind.max_per_target} {kind.label}s on one root, OU or account"
            )
    return out
