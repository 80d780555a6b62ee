"""Which accounts each deploy target names, resolved against AWS Organizations.

Run from the management (or a delegated-administrator) account. A target selects:
the accounts in its OUs (OU paths below the root such as ``Workloads/Dev``, or ``ou-``
ids; nested OUs included) plus its listed account ids; ``tags`` then keeps only
accounts carrying every given tag (with no OUs or accounts, tags select from the whole
organization); ``exclude`` removes accounts last. Suspended or closed accounts are
skipped and reported, and so is the management account when an OU or tag selects it
(as StackSets do: it holds the organization's keys and no SCP restricts it); list its
id under ``accounts`` to target it on purpose. A reference that does not exist is a
configuration error naming it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from iamgate.config import ConfigError, DeployConfig, Target


@dataclass(frozen=True)
class Account:
    id: str
    name: str
    state: str  # ACTIVE, SUSPENDED, PENDING_CLOSURE, CLOSED, ...
    targets: tuple[str, ...] = ()
    skip_reason: str = ""  # why a targeted account is not deployed to

    @property
    def active(self) -> bool:
        return self.state == "ACTIVE"


@dataclass(frozen=True)
class Targeting:
    accounts: tuple[Account, ...]  # active and targeted, by id
    skipped: tuple[Account, ...]  # targeted but suspended or closed
    # Active member accounts no target selects: checked for iamgate policies left behind.
    untargeted: tuple[Account, ...] = ()
    empty: tuple[str, ...] = ()  # names of targets that select no account to deploy to


_T = TypeVar("_T")


class OrgReader:
    """Organizations reads, each asked once even from several threads: the only module here
    that calls Organizations."""

    def __init__(self, client: Any) -> None:
        self.client = client  # botocore clients are thread-safe
        self._lock = threading.Lock()
        self._memo: dict[tuple[str, ...], Future[Any]] = {}

    def _once(self, key: tuple[str, ...], fetch: Callable[[], _T]) -> _T:
        with self._lock:
            future = self._memo.get(key)
            owner = future is None
            if future is None:
                future = self._memo[key] = Future()
        if owner:
            try:
                future.set_result(fetch())
            except BaseException as exc:
                future.set_exception(exc)
        # One fetch per key, so a key's future holds what that fetch returns.
        result: _T = future.result()
        return result

    def _pages(self, operation: str, key: str, **kwargs: Any) -> list[dict[str, Any]]:
        paginator = self.client.get_paginator(operation)
        return [item for page in paginator.paginate(**kwargs) for item in page.get(key, ())]

    def root_id(self) -> str:
        def fetch() -> str:
            root: str = self._pages("list_roots", "Roots")[0]["Id"]
            return root

        return self._once(("root",), fetch)

    def child_ous(self, parent: str) -> list[tuple[str, str]]:
        def fetch() -> list[tuple[str, str]]:
            items = self._pages(
                "list_organizational_units_for_parent", "OrganizationalUnits", ParentId=parent
            )
            return [(ou["Id"], ou["Name"]) for ou in items]

        return self._once(("ous", parent), fetch)

    def accounts_in(self, parent: str) -> list[str]:
        def fetch() -> list[str]:
            return [
                a["Id"]
                for a in self._pages("list_accounts_for_parent", "Accounts", ParentId=parent)
            ]

        return self._once(("accounts", parent), fetch)

    def all_accounts(self) -> dict[str, Account]:
        out: dict[str, Account] = {}
        for item in self._pages("list_accounts", "Accounts"):
            # "State" replaced "Status" in 2025; either says whether the account is usable.
            state = item.get("State") or item.get("Status") or "ACTIVE"
            out[item["Id"]] = Account(item["Id"], item.get("Name", ""), state)
        return out

    def management_account(self) -> str:
        management: str = self.client.describe_organization()["Organization"]["MasterAccountId"]
        return management

    def _parent(self, child_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.client.list_parents(ChildId=child_id)["Parents"][0]
        return found

    def ancestors(self, child_id: str) -> list[str]:
        """The root, OUs above ``child_id`` (an OU or account), root first; [] for the root."""
        if child_id.startswith("r-"):
            return []
        out: list[str] = []
        current = child_id
        while True:
            parent = self._once(("parent", current), partial(self._parent, current))
            out.append(parent["Id"])
            if parent.get("Type") == "ROOT" or parent["Id"].startswith("r-"):
                return out[::-1]
            current = parent["Id"]

    def ou_exists(self, ou_id: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.describe_organizational_unit(OrganizationalUnitId=ou_id)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in (
                "OrganizationalUnitNotFoundException",
                "InvalidInputException",
            ):
                return False
            raise
        return True

    def tags(self, account_id: str) -> dict[str, str]:
        items = self._pages("list_tags_for_resource", "Tags", ResourceId=account_id)
        return {t["Key"]: t["Value"] for t in items}


def _error(target: Target, message: str, file: Path | None) -> ConfigError:
    return ConfigError(f"deploy.targets[{target.name}]: {message}", file, target.line or None)


class UnknownOu(LookupError):
    """An OU reference that names no OU; the message says why, the caller says where."""


def find_ou(reference: str, org: OrgReader) -> tuple[str, tuple[str, ...]]:
    """An OU path, ``Root`` or ou- id -> (the OU id (the root id for the root itself), the
    path's names below the root: empty for the root and for an ou- id)."""
    if reference.startswith("ou-"):
        if not org.ou_exists(reference):
            raise UnknownOu(f"the OU {reference} does not exist in this organization")
        return reference, ()
    parts = [p for p in reference.strip("/").split("/") if p]
    if parts and parts[0] == "Root":
        parts = parts[1:]
    parent = org.root_id()
    walked: list[str] = []
    for part in parts:
        children = {name: ou_id for ou_id, name in org.child_ous(parent)}
        if part not in children:
            where = "/".join(walked) or "the root"
            known = ", ".join(sorted(children)) or "none"
            raise UnknownOu(
                f"the OU path {reference!r} does not exist: {where} has no OU named {part!r} "
                f"(its OUs: {known})"
            )
        walked.append(part)
        parent = children[part]
    return parent, tuple(parts)


def resolve_ou(reference: str, org: OrgReader, target: Target, file: Path | None) -> str:
    """An OU path or ou- id -> the OU id (the root id for the root itself)."""
    try:
        return find_ou(reference, org)[0]
    except UnknownOu as exc:
        raise _error(target, str(exc), file) from None


def accounts_below(ou_id: str, org: OrgReader) -> list[str]:
    """Accounts in the OU and in every OU nested below it."""
    out: list[str] = []
    pending = [ou_id]
    while pending:
        current = pending.pop()
        out.extend(org.accounts_in(current))
        pending.extend(child for child, _ in org.child_ous(current))
    return out


def _prefetch_tree(ou_ids: Iterable[str], org: OrgReader, pool: ThreadPoolExecutor) -> None:
    """Read the OUs below ``ou_ids`` a level at a time, each level's calls in parallel."""
    frontier = sorted(set(ou_ids))
    seen = set(frontier)
    while frontier:
        accounts = pool.map(org.accounts_in, frontier)
        children = list(pool.map(org.child_ous, frontier))
        list(accounts)
        frontier = sorted({c for kids in children for c, _ in kids} - seen)
        seen.update(frontier)


def _select(
    target: Target,
    org: OrgReader,
    known: dict[str, Account],
    tags_of: Callable[[str], dict[str, str]],
    file: Path | None,
) -> set[str]:
    chosen: set[str] = set()
    for reference in target.ous:
        chosen.update(accounts_below(resolve_ou(reference, org, target, file), org))
    for account_id in target.accounts:
        if account_id not in known:
            raise _error(target, f"the account {account_id} is not in this organization", file)
        chosen.add(account_id)
    if target.tags:
        pool = chosen if (target.ous or target.accounts) else set(known)
        wanted = dict(target.tags)
        chosen = {a for a in pool if all(tags_of(a).get(k) == v for k, v in wanted.items())}
    for account_id in target.exclude:
        # A typo here would silently deploy to the account meant to be excluded.
        if account_id not in known:
            raise _error(
                target, f"exclude: the account {account_id} is not in this organization", file
            )
    return chosen - set(target.exclude)


def resolve(
    deploy: DeployConfig, org: OrgReader, file: Path | None = None, concurrency: int = 8
) -> Targeting:
    with ThreadPoolExecutor(
        max_workers=max(1, concurrency), thread_name_prefix="iamgate-org"
    ) as pool:
        known_future = pool.submit(org.all_accounts)
        management_future = pool.submit(org.management_account)
        references = [(t, ref) for t in deploy.targets for ref in t.ous]
        # Each OU path is walked from the root; different paths walk in parallel. A path that
        # does not exist raises its ConfigError here, before any account is touched.
        ou_ids = list(pool.map(lambda tr: resolve_ou(tr[1], org, tr[0], file), references))
        _prefetch_tree(ou_ids, org, pool)
        known = known_future.result()
        tags: dict[str, dict[str, str]] = {}
        if any(t.tags for t in deploy.targets):
            # One ListTagsForResource per account; only when a target selects by tag.
            ids = sorted(a.id for a in known.values() if a.active)
            tags = dict(zip(ids, pool.map(org.tags, ids), strict=True))
        management = management_future.result()
    targets_of: dict[str, list[str]] = {}
    named: set[str] = set()
    for target in deploy.targets:
        named.update(target.accounts)
        for account_id in _select(target, org, known, lambda a: tags.get(a, {}), file):
            targets_of.setdefault(account_id, []).append(target.name)
    deploy_to: list[Account] = []
    skipped: list[Account] = []
    for account_id, names in sorted(targets_of.items()):
        account = replace(known[account_id], targets=tuple(names))
        if not account.active:
            skipped.append(replace(account, skip_reason=account.state.lower()))
        elif account_id == management and account_id not in named:
            skipped.append(replace(account, skip_reason="the management account"))
        else:
            deploy_to.append(account)
    reached = {name for account in deploy_to for name in account.targets}
    untargeted = tuple(
        account
        for account_id, account in sorted(known.items())
        if account.active and account_id not in targets_of and account_id != management
    )
    empty = tuple(t.name for t in deploy.targets if t.name not in reached)
    return Targeting(tuple(deploy_to), tuple(skipped), untargeted, empty)


def restrict(
    targeting: Targeting, accounts: Iterable[str] | None, keep: Callable[[str], bool]
) -> Targeting:
    """--accounts and --shard; an --accounts id that no target names is an error."""
    wanted = set(accounts) if accounts is not None else None
    if wanted is not None:
        targeted = {a.id for a in (*targeting.accounts, *targeting.skipped)}
        unknown = sorted(wanted - targeted)
        if unknown:
            raise ConfigError(
                f"--accounts: {', '.join(unknown)} is not targeted by any deploy target"
            )

    def chosen(account: Account) -> bool:
        return (wanted is None or account.id in wanted) and keep(account.id)

    return Targeting(
        tuple(a for a in targeting.accounts if chosen(a)),
        tuple(a for a in targeting.skipped if chosen(a)),
        # An --accounts run looks at those accounts only; shards split the rest as well.
        () if wanted is not None else tuple(a for a in targeting.untargeted if keep(a.id)),
        targeting.empty,
    )
