"""The audit across the organization: discover the targeted accounts, then one read each."""

from __future__ import annotations

import argparse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from iamgate.config import Config

from .audit import AuditFinding, Expectations, audit_account, read_details
from .errors import describe
from .iam_policies.desired import DesiredState
from .shard import in_shard
from .targets import Account, OrgReader, resolve, restrict

if TYPE_CHECKING:
    from .session import Aws


@dataclass
class AuditReport:
    accounts: list[Account] = field(default_factory=list)  # checked
    findings: list[AuditFinding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # accounts (or the organization) not read


def expectations(config: Config, desired: DesiredState) -> Expectations:
    """The approved boundaries and the delegation policies, as lint's proofs decide them."""
    from iamgate.delegation.search import proof_for
    from iamgate.model import policy_from_data
    from iamgate.project import Project

    project = Project(config.root, config)
    delegation = tuple(
        p
        for p in desired.policies()
        if p.kind == "identity"
        and proof_for(policy_from_data(p.document, p.name), project).is_delegation
    )
    return Expectations(
        prefix=config.prefix,
        path=config.deploy.path,
        boundaries=project.approved_boundaries,
        delegation=delegation,
    )


def _audit(account: Account, want: Expectations, aws: Aws) -> tuple[list[AuditFinding], str]:
    step = f"assuming {aws.role_arn(account.id)}"
    try:
        iam = aws.iam_for(account.id)
        step = "reading IAM"
        details = read_details(iam)
    except Exception as exc:  # one account's failure never stops the others
        return [], f"{account.id} {account.name}: {step}: {describe(exc)}"
    return audit_account(account.id, details, want, aws.partition), ""


def run_audit(
    config: Config, want: Expectations, aws: Aws, options: argparse.Namespace
) -> AuditReport:
    from botocore.exceptions import BotoCoreError, ClientError

    report = AuditReport()
    concurrency = config.deploy.concurrency
    try:
        targeting = resolve(config.deploy, OrgReader(aws.organizations()), config.file, concurrency)
    except (ClientError, BotoCoreError) as exc:
        report.errors.append(f"reading the organization: {describe(exc)}")
        return report
    targeting = restrict(targeting, options.accounts, lambda a: in_shard(a, options.shard))
    report.accounts = list(targeting.accounts)
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="iamgate-audit") as pool:
        results = list(pool.map(lambda a: _audit(a, want, aws), targeting.accounts))
    for findings, error in results:
        report.findings += findings
        if error:
            report.errors.append(error)
    return report
