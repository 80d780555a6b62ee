"""The lint gate: nothing is deployed unless every targeted file passes lint.

It runs before any AWS call, on every file any target names — a policy that fails
lint is never deployed, even if it reached main without the hooks. IAM's 6,144-char
managed-policy limit is checked here too, since moto (and so the tests) would accept
an oversized policy that AWS refuses, and so is what IAM and Organizations refuse of
deployed files only (aws_limits.py): Version, names unique case-insensitively, policies
per target of each organization policy type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from iamgate.config import Config
from iamgate.org_policy_types import OrgPolicyType, org_policy_types

from .aws_limits import attachment_problems, name_problems, version_problems
from .iam_policies.desired import (
    MANAGED_POLICY_LIMIT,
    DesiredState,
    every_file,
    load_desired,
    oversized,
    target_files,
)
from .org_policies import desired as org_desired


@dataclass(frozen=True)
class GateResult:
    problems: list[str]  # one line each: file:line:column: severity rule message
    desired: DesiredState | None
    # deploy.<folder> of each organization policy type, loaded once they passed lint
    organization: dict[OrgPolicyType, tuple[org_desired.DesiredOrgPolicy, ...]] = field(
        default_factory=dict
    )

    @property
    def passed(self) -> bool:
        return not self.problems


def run_gate(config: Config) -> GateResult:
    from iamgate.lint import lint_paths

    files_by_target = target_files(config)
    files: list[Path] = every_file(files_by_target)
    # The files deploy.scps, deploy.rcps, ... name pass the same gate (with their own rules).
    listed = {path.resolve() for path in files}
    for kind in org_policy_types():
        files += [p for p in org_desired.policy_files(config, kind) if p.resolve() not in listed]
    result = lint_paths(files, config)
    problems = [
        f"{f.file}:{f.line}:{f.column}: {f.severity} {f.rule} {f.message}" for f in result.failing()
    ]
    if problems:
        return GateResult(problems, None)
    desired = load_desired(config, files_by_target)
    for policy, size in oversized(desired):
        problems.append(
            f"{policy.file}:1:1: error the policy is {size:,} characters without whitespace; "
            f"IAM refuses managed policies over {MANAGED_POLICY_LIMIT:,}"
        )
    problems += version_problems(desired) + name_problems(desired)
    organization: dict[OrgPolicyType, tuple[org_desired.DesiredOrgPolicy, ...]] = {}
    for kind in org_policy_types():
        policies = org_desired.load_desired(config, kind)
        organization[kind] = policies
        problems += attachment_problems(config, kind, policies)
        for big, size in org_desired.oversized(policies, kind):
            problems.append(
                f"{big.file}:1:1: error the {kind.label} is {size:,} characters without "
                f"whitespace; AWS Organizations refuses {kind.label}s over {kind.max_characters:,}"
            )
    if problems:
        return GateResult(problems, None)
    return GateResult(problems, desired, organization)
