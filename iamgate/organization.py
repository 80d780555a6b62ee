"""The organization as the repository knows it: the organization policy types iamgate deploys
(one description each, ``OrgPolicyType``), and which SCPs and RCPs sit on each level of an OU
path.

`iamgate explain` and `iamgate simulate --account` work offline, so the OU tree and the
accounts in it come from ``organization.ous`` in iamgate.yaml; the SCPs attached to each level
are the ones ``deploy.scps`` attaches there (what `iamgate apply` deploys) together with any
``organization.ous`` lists (SCPs attached outside iamgate), and the SCP documents come from
``scps/``. AWS evaluates SCPs level by level from the root down; every
level must allow, and a level allows what any of its SCPs allows
(https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html).
AWS attaches ``FullAWSAccess`` to every root, OU and account by default, so each level here
starts with it, unless ``deploy.detach-full-aws-access`` names it. An account is a level of
its own only when deploy.scps attaches something to it directly.

Resource control policies (RCPs) are placed the same way from ``deploy.rcps``,
``organization.ous.<path>.rcps`` and ``rcps/``, with AWS's ``RCPFullAWSAccess`` on every level
(it cannot be detached:
https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_syntax.html).
They limit requests to the resources of an account, whoever makes them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from iamgate.config import Config, ConfigError
from iamgate.org_policy_types import (
    RCP_TYPE,
    SCP_TYPE,
    OrgPolicyType,
    Side,
    allow_all,
    deploy_entries,
    org_policy_types,
)

if TYPE_CHECKING:
    from iamgate.grammar import Problem
    from iamgate.model import Policy, PolicyKind

ROOT = "Root"
# The account a policy is judged in when neither the project nor the policy names one.
PLACEHOLDER_ACCOUNT = "123456789012"
_IAM_ACCOUNT = re.compile(r"arn:aws[\w-]*:iam::(\d{12}):")


@dataclass(frozen=True)
class PolicyLevel:
    """One root, OU or account on a path, with the policies of one type attached there."""

    name: str  # "Root", "Workloads", "Workloads/Dev"
    policies: tuple[Policy, ...]  # AWS's default first (unless detached), then the attached

    @property
    def attached(self) -> tuple[Policy, ...]:
        """The policies of this level other than AWS's default (RCP)FullAWSAccess."""
        defaults = [t.default_policy for t in org_policy_types()]
        return tuple(p for p in self.policies if not any(p is d for d in defaults))


@dataclass(frozen=True)
class Placement:
    """Where a request is made: an account or OU, and the SCP levels above it."""

    account: str | None
    ou: str | None  # None: no OU given, only the root's SCPs apply
    levels: tuple[PolicyLevel, ...]
    rcp_levels: tuple[PolicyLevel, ...] = ()  # the same path's RCP levels

    @property
    def scps(self) -> list[list[Policy]]:
        return [list(level.policies) for level in self.levels]

    @property
    def rcps(self) -> list[list[Policy]]:
        """The RCP levels for requests to this account's resources; none when only AWS's
        RCPFullAWSAccess is attached (it allows everything, so evaluation can skip it)."""
        if not any(level.attached for level in self.rcp_levels):
            return []
        return [list(level.policies) for level in self.rcp_levels]

    def attached_rcps(self) -> list[tuple[str, Policy]]:
        """(level name, RCP) for every RCP on the path other than RCPFullAWSAccess."""
        return [(level.name, p) for level in self.rcp_levels for p in level.attached]

    @property
    def label(self) -> str:
        path = " › ".join(level.name for level in self.levels)
        if self.account:
            return f"account {self.account} ({path})"
        if self.ou:
            return f"OU {self.ou} ({path})"
        return f"the organization root ({path}): no OU given, only the root's SCPs"

    def attached(self) -> list[tuple[str, Policy]]:
        """(level name, SCP) for every SCP on the path other than FullAWSAccess."""
        return [(level.name, p) for level in self.levels for p in level.attached]


def normalize_ou(text: str) -> str:
    """An OU path as iamgate.yaml writes it: "Root/Workloads/Dev/" -> "Workloads/Dev"."""
    parts = [part.strip() for part in text.strip().split("/") if part.strip()]
    if parts and parts[0] == ROOT:
        parts = parts[1:]
    if parts and parts[0].lower().startswith("ou-"):
        raise ConfigError(
            f"--ou {text}: give the OU path (e.g. Workloads/Dev), not its id; explain works "
            "from the repository and knows OUs by the paths in organization.ous"
        )
    return "/".join(parts) or ROOT


def ou_of_account(config: Config, account: str) -> str:
    for ou in config.organization.ous:
        if account in ou.accounts:
            return ou.path
    raise ConfigError(
        f"account {account} is in no OU of organization.ous in "
        f"{config.file or 'iamgate.yaml'}; add it to its OU's accounts, or give --ou PATH",
        config.file,
    )


def placement(config: Config, *, account: str | None = None, ou: str | None = None) -> Placement:
    """The SCP levels above an account (its OU from iamgate.yaml) or an OU; the root's alone
    if neither is given."""
    if account is not None:
        account = account.strip()
        if not (len(account) == 12 and account.isdigit()):
            raise ConfigError(f"--account {account!r} is not a 12-digit AWS account id")
        if any(account in t.accounts for t in config.deploy.targets):
            # An account deploy.targets names is one lint judges policies in, placed or not.
            return account_placement(config, account)
        return account_placement(config, account, ou_of_account(config, account))
    path = normalize_ou(ou) if ou is not None else ROOT
    if path != ROOT:
        check_known_ou(config, path, ou or path)
    return Placement(
        None,
        path if ou is not None else None,
        _ou_levels(config, path, True, _evaluated_on("principal")),
        _ou_levels(config, path, True, _evaluated_on("resource")),
    )


def _evaluated_on(side: Side) -> OrgPolicyType:
    """The type the evaluator applies on ``side`` (one per side)."""
    return next(t for t in org_policy_types() if t.side == side)


def _ou_levels(
    config: Config, path: str, strict: bool, kind: OrgPolicyType
) -> tuple[PolicyLevel, ...]:
    """Root, then each OU down to ``path``, each with the policies of ``kind`` attached there."""
    parts = path.split("/") if path != ROOT else []
    names = [ROOT] + ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return tuple(_level(config, name, name, strict, kind) for name in names)


def account_placement(
    config: Config, account: str, ou: str | None = None, *, strict: bool = True
) -> Placement:
    """The SCP levels above one account: its OU from organization.ous, else ``ou``, else the
    root's alone (an account the repository does not place). ``strict=False`` leaves out an
    SCP that is missing or does not load instead of raising (lint reports that file itself;
    fewer SCPs only ever allow more)."""
    known = next((o.path for o in config.organization.ous if account in o.accounts), None)
    where = known or ou
    path = normalize_ou(where) if where else ROOT
    levels = _path_levels(config, path, account, strict, _evaluated_on("principal"))
    rcp_levels = _path_levels(config, path, account, strict, _evaluated_on("resource"))
    return Placement(account, path if where else None, levels, rcp_levels)


def _path_levels(
    config: Config, path: str, account: str, strict: bool, kind: OrgPolicyType
) -> tuple[PolicyLevel, ...]:
    """The levels of ``kind`` above an account, and the account itself when something of that
    type is attached to it directly (or its default detached there)."""
    levels = _ou_levels(config, path, strict, kind)
    if _account_level_configured(config, account, kind):
        levels = (*levels, _level(config, f"account {account}", account, strict, kind))
    return levels


def accounts_in(config: Config, ou: str) -> list[str]:
    """The accounts organization.ous places in the OU path ``ou`` or in an OU below it."""
    path = normalize_reference(ou)
    out: list[str] = []
    for item in config.organization.ous:
        if path == ROOT or item.path == path or item.path.startswith(path + "/"):
            out.extend(item.accounts)
    return out


# id(policy) -> (the policy, its literal accounts): the project and the proofs both ask, per
# file. The entry holds the policy it keys (its id is not reused while it lives); few entries.
_LITERAL: dict[int, tuple[Policy, tuple[str, ...]]] = {}


def literal_accounts(policy: Policy) -> tuple[str, ...]:
    """The accounts a policy writes in its own IAM ARNs (Resource, NotResource and condition
    values, where a boundary ARN usually is), the most named first."""
    entry = _LITERAL.get(id(policy))
    if entry is not None and entry[0] is policy:
        return entry[1]
    counts: Counter[str] = Counter()
    for statement in policy.statements:
        texts: Iterable[str] = (
            *(statement.resource or ()),
            *(statement.not_resource or ()),
            *(v for c in statement.conditions for v in c.values),
        )
        for text in texts:
            # Every match holds the literal ":iam::"; most texts (other services' ARNs) do not.
            if ":iam::" in text:
                counts.update(_IAM_ACCOUNT.findall(text))
    found = tuple(account for account, _ in counts.most_common())
    if len(_LITERAL) >= 16:
        _LITERAL.clear()
    _LITERAL[id(policy)] = (policy, found)
    return found


def known_ous(config: Config) -> list[str]:
    """Every OU path the repository knows: organization.ous, their parents, and the OU paths
    deploy.targets, deploy.scps and deploy.rcps name (ou- ids cannot be placed offline)."""
    references = [
        r
        for kind in org_policy_types()
        for entry in deploy_entries(config, kind)
        for r in entry.ous
    ]
    references += [r for target in config.deploy.targets for r in target.ous]
    paths = [ou.path for ou in config.organization.ous]
    paths += [normalize_reference(r) for r in references if not r.strip().lower().startswith("ou-")]
    known: dict[str, None] = {}
    for path in paths:
        parts = path.split("/")
        for end in range(1, len(parts) + 1):
            known["/".join(parts[:end])] = None
    known.pop(ROOT, None)
    return sorted(known)


def check_known_ou(config: Config, path: str, given: str) -> None:
    """An OU the repository does not know would silently lose its SCPs: refuse it."""
    import difflib

    known = known_ous(config)
    if path in known:
        return
    close = difflib.get_close_matches(path, known, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]}?" if close else ""
    listed = f" (it knows {', '.join(known)})" if known else " (it lists no OU)"
    raise ConfigError(
        f"--ou {given}: no such OU in organization.ous, deploy.targets, "
        f"{' or '.join(f'deploy.{kind.folder}' for kind in org_policy_types())}{listed}{hint}",
        config.file,
    )


def attached_names(config: Config, level: str, kind: OrgPolicyType) -> list[str]:
    """The SCPs (RCPs) on one level (an OU path, Root, or an account id): the ones
    organization.ous lists there, then the ones deploy.scps (deploy.rcps) attaches there — by
    OU path, Root or account id; an ou- id cannot be placed offline and is not counted."""
    names: list[str] = []
    for item in config.organization.ous:
        if item.path == level:
            names += getattr(item, kind.folder, ())  # a type placed only by deploy
    for entry in deploy_entries(config, kind):
        references = [normalize_reference(r) for r in entry.ous] + list(entry.accounts)
        if level in references:
            names.append(entry.policy)
    return list(dict.fromkeys(names))


def normalize_reference(text: str) -> str:
    """A deploy.scps OU reference as an OU path ("Root/Workloads/" -> "Workloads")."""
    if text.strip().lower().startswith("ou-"):
        return text.strip()
    return normalize_ou(text)


def _full_access_detached(config: Config, level: str) -> bool:
    wanted = {normalize_reference(r) for r in config.deploy.detach_full_aws_access}
    return level in wanted


def _account_level_configured(config: Config, account: str, kind: OrgPolicyType) -> bool:
    if attached_names(config, account, kind):
        return True
    return kind.detachable and _full_access_detached(config, account)


def _level(config: Config, name: str, key: str, strict: bool, kind: OrgPolicyType) -> PolicyLevel:
    attached: list[Policy] = []
    for policy in attached_names(config, key, kind):
        try:
            attached.append(load_org_policy(config, policy, kind))
        except ConfigError:
            if strict:
                raise
    default = kind.default_policy
    if default is None or (kind.detachable and _full_access_detached(config, key)):
        return PolicyLevel(name, tuple(attached))
    return PolicyLevel(name, (default, *attached))


def load_org_policy(config: Config, name: str, kind: OrgPolicyType) -> Policy:
    path = config.root / kind.folder / f"{name}.json"
    if not path.is_file():
        raise ConfigError(
            f"organization.ous or deploy.{kind.folder} names the {kind.label} {name}, but "
            f"{kind.folder}/{name}.json does not exist",
            config.file,
        )
    return load_policy(path, config.root, kind.kind)


def load_policy(path: Path, root: Path, kind: PolicyKind) -> Policy:
    """One policy file, loaded and checked against the grammar; ConfigError (located) if not."""
    from iamgate.document import display_path

    return read_policy(path, display_path(path, root), kind, ConfigError, " (run iamgate lint)")


def read_policy(
    path: Path,
    display: str,
    kind: PolicyKind,
    error: Callable[[str], Exception],
    hint: str = "",
    refuse: Mapping[Problem, str] | None = None,
) -> Policy:
    """Load, check against the grammar and model one file; ``error(message)`` is raised, with
    the file's location, if it does not load or is not well formed (``hint`` ends that one),
    or if the grammar reports one of the problems in ``refuse`` (each with the label its
    message names it by: the id of the rule that owns it)."""
    from iamgate import grammar
    from iamgate.document import LoadError, load
    from iamgate.model import build_policy

    try:
        document = load(path, display)
    except LoadError as exc:
        raise error(f"{display}:{exc.line}:{exc.column}: {exc.message}") from None
    issues, well_formed = grammar.check(document, kind, path.stem)
    refuse = refuse or {}
    refused = [i for i in issues if i.problem in refuse]
    if refused:
        located = "; ".join(
            f"{display}:{i.line}:{i.column}: {refuse[i.problem]} {i.message}" for i in refused
        )
        raise error(located)
    if not well_formed:
        errors = [i for i in issues if i.problem.refused] or issues
        located = "; ".join(f"{display}:{i.line}:{i.column}: {i.message}" for i in errors[:3])
        raise error(located or f"{display}: not a well-formed IAM policy{hint}")
    return build_policy(document, path.stem, kind)


def allow_everything() -> Policy:
    """An identity policy that allows every request: whatever policy a principal is given."""
    return allow_all("AnyPolicy", "identity")


def full_aws_access() -> Policy:
    """AWS's default SCP, attached to every root, OU and account unless detached."""
    policy = SCP_TYPE.default_policy
    assert policy is not None
    return policy


def rcp_full_aws_access() -> Policy:
    """AWS's default RCP, attached to every root, OU and account and never detached."""
    policy = RCP_TYPE.default_policy
    assert policy is not None
    return policy
