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
* at most 5 SCPs attached to one root, OU or account, FullAWSAccess included
  https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html
  (checked here per configured reference; the live count, with SCPs that are not iamgate's,
  is checked by the SCP plan before any write).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from iamgate.config import Config

from .deployment import MARKER
from .iam_policies.desired import DesiredState
from .org_policies.desired import DesiredScp
from .org_policies.lockout import after_plan

REQUIRED_VERSION = "2012-10-17"
MAX_SCPS_PER_TARGET = 5


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


def attachment_problems(config: Config, scps: Iterable[DesiredScp]) -> list[str]:
    counts: dict[str, list[str]] = {}
    for scp in scps:
        for reference in (*scp.ous, *scp.accounts):
            key = "Root" if reference.strip("/") in ("Root", "") else reference.strip("/")
            counts.setdefault(key, []).append(scp.name)
    detached = {r.strip("/") for r in config.deploy.detach_full_aws_access}
    out = []
    for reference, names in sorted(counts.items()):
        total = len(names) + (0 if reference in detached else 1)
        if total > MAX_SCPS_PER_TARGET:
            full = "" if reference in detached else " and FullAWSAccess"
            out.append(
                f"{config.file.name if config.file else 'iamgate.yaml'}:1:1: error deploy.scps "
                f"attaches {len(names)} SCPs to {reference} ({', '.join(names)}){full}: "
                f"AWS Organizations allows at most {MAX_SCPS_PER_TARGET} SCPs on one root, OU "
                "or account"
            )
    return out


def refuse_too_many_scps(plan: Any, targets: Mapping[str, str], attached: Any) -> None:
    """The live count: SCPs that are not iamgate's count toward the quota too."""
    for target_id, label in sorted(targets.items(), key=lambda item: item[1]):
        left = after_plan(plan, target_id, attached.get(target_id, {}))
        if len(left) > MAX_SCPS_PER_TARGET:
            plan.refusals.append(
                f"{label} ({target_id}) would have {len(left)} SCPs attached "
                f"({', '.join(sorted(left.values()))}); AWS Organizations allows at most "
                f"{MAX_SCPS_PER_TARGET} on one root, OU or account"
            )
