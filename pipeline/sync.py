"""The run shared by plan, apply and drift: discover accounts, then each account on its own.

Organization policies (deploy.scps, deploy.rcps: every type iamgate.org_policy_types describes)
are organization-level: planned (and applied) once per type, from the management account,
after discovery and before any account (org_policies/sync.py). A plan refused for any type
(a root, OU or account left with no SCP, or over its attach quota) stops the whole run
there, before any write.

Per account, in a thread pool of ``deploy.concurrency``: assume the deploy role, read
live IAM (one call), plan, confirm the plan against live IAM, and for apply, write.
Anything that goes wrong in one account — AccessDenied, throttling that outlasts the
retries, a dropped connection, even a bug — is recorded on that account's report and
never stops the others.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from iamgate.config import Config
from iamgate.org_policy_types import OrgPolicyType, org_policy_types

from .ancestry import Ancestry, in_progress, refusal
from .deployment import MARKER, Deployment, DeploymentError, Recorder
from .deployment import take as take_deployment
from .errors import ReportsFailures, describe
from .iam_policies.apply import Outcome, apply_account
from .iam_policies.desired import DesiredState
from .iam_policies.live import read_policies
from .iam_policies.plan import DIFFERENCES, WRITES, AccountPlan, plan_account, policy_arn
from .iam_policies.safety import confirm
from .org_policies.desired import DesiredOrgPolicy, load_desired
from .org_policies.sync import OrgPolicyReport, manages, run_type
from .ownership import marked
from .shard import in_shard
from .targets import Account, OrgReader, resolve, restrict

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

    from .ceiling_diff import CeilingReport
    from .session import Aws

Command = Literal["plan", "apply", "drift"]


@dataclass(frozen=True)
class Options:
    command: Command
    prune: bool = False
    accounts: frozenset[str] | None = None
    shard: tuple[int, int] | None = None
    allow_rollback: bool = False
    strict: bool = False  # a target that selects no account is an error, not a warning


@dataclass
class AccountReport(ReportsFailures):
    account: Account
    plan: AccountPlan | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    error: str = ""  # what stopped this account before its writes (assume role, read, ...)
    deployed: str = ""  # the commit the account was deployed from, before this run
    recorded: str = ""  # apply: the commit this run recorded there
    out_of_scope: bool = False  # no target selects it, yet it holds iamgate's policies


@dataclass
class RunReport:
    command: Command
    commit: str
    prune: bool
    accounts: list[AccountReport] = field(default_factory=list)
    skipped: list[Account] = field(default_factory=list)
    error: str = ""  # the organization could not be read: nothing was planned
    # One section per organization policy type planned in this run, in registry order; a type
    # that is not managed, or not planned (--accounts, shard > 1), has none.
    organization: dict[OrgPolicyType, OrgPolicyReport] = field(default_factory=dict)
    ceilings: CeilingReport | None = None  # plan --base
    warnings: list[str] = field(default_factory=list)  # about the run, not one account

    @property
    def failed(self) -> list[AccountReport]:
        return [a for a in self.accounts if a.failed]

    @property
    def organization_reports(self) -> list[OrgPolicyReport]:
        return list(self.organization.values())

    @property
    def organization_failed(self) -> bool:
        return any(r.failed for r in self.organization_reports)

    def count(self, action: str) -> int:
        return sum(a.plan.count(action) for a in self.accounts if a.plan is not None)

    @property
    def pending(self) -> bool:
        if any(r.pending for r in self.organization_reports):
            return True
        return any(a.plan is not None and a.plan.pending for a in self.accounts)

    @property
    def conflicts(self) -> int:
        return self.count("conflict")

    def summary(self) -> dict[str, int]:
        changed = sum(1 for a in self.accounts if a.plan is not None and a.plan.pending)
        out = {action: self.count(action) for action in DIFFERENCES}
        out.update(
            accounts=len(self.accounts),
            changed=changed,
            unchanged=sum(
                1
                for a in self.accounts
                if a.plan is not None and not a.plan.pending and not a.failed
            ),
            failed=len(self.failed),
            skipped=len(self.skipped),
        )
        if self.command == "apply":
            out["writes_done"] = sum(
                1
                for a in self.accounts
                for o in a.outcomes
                if o.status == "done" and o.change.action in WRITES
            )
        return out


def _forward_only(
    report: AccountReport, state: Deployment | None, ancestry: Ancestry, options: Options
) -> bool:
    """Apply refuses an account deployed from a commit this one does not descend from; drift
    from such a commit fails (it would compare with the older files); plan warns."""
    why = "" if options.allow_rollback else refusal(state, ancestry)
    if options.command == "apply":
        why = why or in_progress(state, ancestry.head)
    if not why:
        return True
    if options.command == "plan":
        assert report.plan is not None
        report.plan.warnings.append(f"apply from this commit would be refused: {why}")
        return True
    report.error = f"refused: {why}" if options.command == "apply" else f"not checked: {why}"
    return False


def _apply(
    iam: IAMClient, report: AccountReport, state: Deployment | None, path: str, head: str, arn: str
) -> None:
    """Claim the account, write, record the commit: see deployment.py."""
    plan = report.plan
    assert plan is not None
    recorder = Recorder(iam, arn, path, state)
    writes = any(c.action in WRITES for c in plan.changes)
    if writes:
        recorder.claim(head)
        report.outcomes = apply_account(iam, plan, path)
    if writes or state is None or state.commit != head or state.applying:
        # After a failed write too: some of this commit's changes may be live.
        recorder.finish(head)
        report.recorded = head


def _process(
    account: Account,
    desired: DesiredState,
    repo_kinds: dict[str, str],
    aws: Aws,
    config: Config,
    options: Options,
    ancestry: Ancestry,
) -> AccountReport:
    report = AccountReport(account)
    path = config.deploy.path
    step = f"assuming {aws.role_arn(account.id)}"
    try:
        iam = aws.iam_for(account.id)
        step = "reading IAM"
        live = read_policies(iam)
        state = take_deployment(live, path)
        report.deployed = state.commit if state else ""
        step = "planning"
        plan = plan_account(
            account.id,
            desired.for_targets(account.targets),
            live,
            path=path,
            prune=options.prune or options.command == "drift",
            repository_kinds=repo_kinds,
            partition=aws.partition,
        )
        report.plan = plan
        if not _forward_only(report, state, ancestry, options):
            return report
        step = "checking ownership and use of the policies to change"
        confirm(iam, plan)
        if options.command == "apply" and ancestry.head:
            step = "applying"
            arn = policy_arn(account.id, path, MARKER, aws.partition)
            _apply(iam, report, state, path, ancestry.head, arn)
        elif options.command == "apply":
            step = "applying"
            report.outcomes = apply_account(iam, plan, path)
    except DeploymentError as exc:
        report.error = f"refused: {exc}" if step != "applying" else f"{step}: {exc}"
    except Exception as exc:  # one account's failure must never stop the others
        report.error = f"{step}: {describe(exc)}"
    return report


def _leftovers(
    account: Account, repo_kinds: dict[str, str], aws: Aws, config: Config, options: Options
) -> AccountReport | str | None:
    """An account no target selects: its iamgate policies (the record of the deployed commit
    included) are orphans, deleted by apply --prune. None when it holds none; a warning when
    it cannot be read (it may lack the deploy role: it is not targeted)."""
    path = config.deploy.path
    try:
        iam = aws.iam_for(account.id)
        live = read_policies(iam)
    except Exception as exc:
        return (
            f"{account.id} {account.name}: not targeted, and could not be checked for "
            f"iamgate policies left there: {describe(exc)}"
        )
    if not any(marked(p, path) for p in live.values()):
        return None
    report = AccountReport(account, out_of_scope=True)
    step = "planning"
    try:
        pruning = options.prune or options.command == "drift"
        plan = plan_account(
            account.id,
            {},
            live,
            path=path,
            prune=pruning,
            repository_kinds=repo_kinds,
            partition=aws.partition,
        )
        for change in plan.changes:
            if change.action == "delete":
                plan.replace_change(
                    change, replace(change, reason="the account is no longer targeted")
                )
        step = "checking ownership and use of the policies to change"
        confirm(iam, plan)
        report.plan = plan
        if options.command == "apply":
            step = "applying"
            report.outcomes = apply_account(iam, plan, path)
    except Exception as exc:
        report.error = f"{step}: {describe(exc)}"
    return report


def plans_type(config: Config, options: Options, kind: OrgPolicyType) -> bool:
    """Organization policies are organization-level: planned once per run, so not for an
    --accounts subset, and only by shard 1 of a CI matrix."""
    if not manages(config, kind) or options.accounts is not None:
        return False
    return options.shard is None or options.shard[0] == 1


def run(
    config: Config,
    desired: DesiredState,
    aws: Aws,
    options: Options,
    commit: str,
    ancestry: Ancestry,
    on_account: Callable[[AccountReport], None] | None = None,
    on_targets: Callable[[int], None] | None = None,
    organization: Mapping[OrgPolicyType, tuple[DesiredOrgPolicy, ...]] | None = None,
) -> RunReport:
    """Discover, plan (and apply) each organization policy type, then every selected account.
    ConfigError propagates. ``organization``: the desired policies of each type the lint gate
    passed; a type missing there reads the files deploy.<folder> names (never an empty
    desired state, which would prune every policy of ours)."""
    from botocore.exceptions import BotoCoreError, ClientError

    pruning = options.prune or options.command == "drift"
    report = RunReport(options.command, commit, pruning)
    concurrency = config.deploy.concurrency
    org = OrgReader(aws.organizations())
    try:
        targeting = resolve(config.deploy, org, config.file, concurrency)
    except (ClientError, BotoCoreError) as exc:
        report.error = f"reading the organization: {describe(exc)}"
        return report
    targeting = restrict(targeting, options.accounts, lambda a: in_shard(a, options.shard))
    for name in targeting.empty:
        report.warnings.append(
            f"deploy.targets[{name}] selects no account to deploy to (its OUs, accounts and "
            "tags match no active member account)"
        )
    if options.strict and report.warnings:
        from iamgate.config import ConfigError

        raise ConfigError("--strict: " + "; ".join(report.warnings), config.file)
    for account in targeting.accounts:
        # Two files with one IAM name reaching one account is a config error: raise it now,
        # before any account is touched.
        desired.for_targets(account.targets)
    report.skipped = list(targeting.skipped)
    for kind in org_policy_types():
        if not plans_type(config, options, kind):
            continue
        wanted = (organization or {}).get(kind)
        if wanted is None:
            wanted = load_desired(config, kind)
        section = run_type(config, kind, wanted, org, command=options.command, prune=pruning)
        report.organization[kind] = section
        if section.refused:
            assert section.plan is not None
            # Nothing has been written yet, anywhere: stop here, before any account.
            report.error = f"deploy.{kind.folder} refused, nothing was written: " + "; ".join(
                section.plan.refusals
            )
            return report
    if on_targets is not None:
        on_targets(len(targeting.accounts))
    repo_kinds = {p.name: p.kind for p in desired.policies()}
    results: list[AccountReport] = []
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="iamgate-account") as pool:
        futures = [
            pool.submit(_process, account, desired, repo_kinds, aws, config, options, ancestry)
            for account in targeting.accounts
        ]
        leftovers = [
            pool.submit(_leftovers, account, repo_kinds, aws, config, options)
            for account in targeting.untargeted
        ]
        for future in as_completed(futures):
            result = future.result()
            results.append(result)
            if on_account is not None:
                on_account(result)
        for leftover in leftovers:
            found = leftover.result()
            if isinstance(found, str):
                report.warnings.append(found)
            elif found is not None:
                results.append(found)
    report.accounts = sorted(results, key=lambda r: r.account.id)
    return report
