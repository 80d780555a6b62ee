"""The lint gate: nothing is deployed unless every targeted file passes lint.

It runs before any AWS call, on every file any target names — a policy that fails
lint is never deployed, even if it reached main without the hooks. IAM's 6,144-char
managed-policy limit is checked here too, since moto (and so the tests) would accept
an oversized policy that AWS refuses, and so is what IAM and Organizations refuse of
deployed files only (aws_limits.py): Version, names unique case-insensitively, SCPs per
target.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from iamgate.config import Config
from iamgate.organization import RCP_TYPE as RCP

from .aws_limits import attachment_problems, name_problems, version_problems
from .iam_policies.desired import (
    MANAGED_POLICY_LIMIT,
    DesiredState,
    every_file,
    load_desired,
    oversized,
    target_files,
)
from .org_policies.desired import (
    SCP_LIMIT,
    DesiredScp,
    load_desired_scps,
    oversized_scps,
    scp_files,
)


@dataclass(frozen=True)
class GateResult:
    problems: list[str]  # one line each: file:line:column: severity rule message
    desired: DesiredState | None
    scps: tuple[DesiredScp, ...] = ()  # deploy.scps, loaded once they passed lint
    rcps: tuple[DesiredScp, ...] = ()  # deploy.rcps, the same

    @property
    def passed(self) -> bool:
        return not self.problems


def run_gate(config: Config) -> GateResult:
    from iamgate.lint import lint_paths

    files_by_target = target_files(config)
    files: list[Path] = every_file(files_by_target)
    # The SCP files deploy.scps names pass the same gate (they lint with the SCP rules).
    listed = {path.resolve() for path in files}
    files += [path for path in scp_files(config) if path.resolve() not in listed]
    files += [path for path in scp_files(config, RCP) if path.resolve() not in listed]
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
    scps = load_desired_scps(config)
    problems += attachment_problems(config, scps)
    for scp, size in oversized_scps(scps):
        problems.append(
            f"{scp.file}:1:1: error the SCP is {size:,} characters without whitespace; "
            f"AWS Organizations refuses SCPs over {SCP_LIMIT:,}"
        )
    rcps = load_desired_scps(config, RCP)
    for rcp, size in oversized_scps(rcps, RCP.max_characters):
        problems.append(
            f"{rcp.file}:1:1: error the RCP is {size:,} characters without whitespace; "
            f"AWS Organizations refuses RCPs over {RCP.max_characters:,}"
        )
    if problems:
        return GateResult(problems, None)
    return GateResult(problems, desired, scps, rcps)
