"""The project: its root, configuration and every policy file, loaded once.

Rules judge one policy at a time but with the whole project in view (approved
boundaries, the delegation prefix), so a commit that touches one file is judged
the same way as the whole repository.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from iamgate.config import Config
from iamgate.document import Document, LoadError, display_path, load, parse
from iamgate.model import Policy, PolicyKind
from iamgate.organization import (
    PLACEHOLDER_ACCOUNT,
    Placement,
    account_placement,
    accounts_in,
    literal_accounts,
    normalize_reference,
)

POLICY_FOLDERS = ("boundaries", "policies", "scps", "rcps")
# The project's top-level folders that give their files a kind other than identity. Only
# these: a folder named boundaries/ deeper down (policies/team/boundaries/) holds identity
# policies that are deployed as such and must get the identity rules.
KIND_FOLDERS: dict[str, PolicyKind] = {"boundaries": "boundary", "scps": "scp", "rcps": "rcp"}

__all__ = ["PolicyFile", "Project", "display_path", "expand_paths", "kind_of", "policy_file"]


@dataclass
class PolicyFile:
    """One policy file of the run: its place and kind; its document and model once loaded."""

    path: Path
    display: str  # relative to the project root when inside it
    kind: PolicyKind
    name: str
    document: Document | None = None
    error: LoadError | None = None
    policy: Policy | None = None  # set once the grammar passes

    def load(self, data: bytes | None = None) -> None:
        """``data``: the file's bytes when the caller read them already (the result cache's
        key hashes them): those are parsed, as ``load`` parses what it reads."""
        if self.document is None and self.error is None:
            try:
                if data is None:
                    self.document = load(self.path, self.display)
                else:
                    self.document = parse(data, self.display)
            except LoadError as exc:
                self.error = exc


def kind_of(path: Path, root: Path) -> PolicyKind:
    """A file's kind from the project layout alone: the top-level folder it sits in below the
    project root. A file outside the project has no layout to go by; there the folder that
    holds it directly decides (linting a boundary on its own: ``iamgate lint x/boundaries/b.json``
    with no project)."""
    return _place(path, path.resolve(), root.resolve())[1]


def _place(path: Path, resolved: Path, root: Path) -> tuple[str, PolicyKind]:
    """A file's display name (``display_path``) and kind, both paths already resolved."""
    relative = _relative(resolved, root)
    if relative is None:
        display, parts = path.as_posix(), path.parts[-2:]
    else:
        display, parts = relative, tuple(relative.split("/", 1))
    return display, KIND_FOLDERS.get(parts[0], "identity") if len(parts) > 1 else "identity"


def _relative(resolved: Path, root: Path) -> str | None:
    """``resolved.relative_to(root).as_posix()`` for two resolved paths (None: outside), by
    their text: pathlib's parsing costs a large corpus more than the rest of the file list."""
    text, base = str(resolved), str(root)
    if text == base:
        return "."
    if not base.endswith("/"):
        base += "/"
    return text[len(base) :] if text.startswith(base) else None


def policy_file(path: Path, root: Path, resolved: Path | None = None) -> PolicyFile:
    """``resolved``: ``path.resolve()`` when the caller has it (a large corpus resolves each
    path once, not once per question)."""
    resolved = resolved or path.resolve()
    root = _resolved_root(root)
    display, kind = _place(path, resolved, root)
    return PolicyFile(path, display, kind, path.stem)


_ROOTS: dict[Path, Path] = {}


def _resolved_root(root: Path) -> Path:
    if not root.is_absolute():
        return root.resolve()  # depends on the working directory: never remembered
    found = _ROOTS.get(root)
    if found is None:
        found = _ROOTS[root] = root.resolve()
    return found


def expand_paths(paths: list[Path], root: Path) -> list[Path]:
    """Files as given; folders become every *.json below them. No paths: the project folders."""
    return [path for path, _ in expand_resolved(paths, root)]


def expand_resolved(paths: list[Path], root: Path) -> list[tuple[Path, Path]]:
    """``expand_paths`` with each path's ``resolve()``, computed once."""
    if not paths:
        paths = [root / folder for folder in POLICY_FOLDERS if (root / folder).is_dir()]
    out: list[tuple[Path, Path]] = []
    seen: set[Path] = set()
    for path in paths:
        found = _json_below(path) if path.is_dir() else [(path, path.resolve())]
        for item, key in found:
            if key not in seen:
                seen.add(key)
                out.append((item, key))
    return out


def _json_below(folder: Path) -> list[tuple[Path, Path]]:
    """``sorted(p for p in folder.rglob("*.json") if p.is_file())``, each with its resolve().

    One scandir per folder: rglob's walk (symlinked folders are not entered) without a stat
    per file, and a file's real path from its folder's (one realpath per folder; a symlinked
    file is resolved on its own)."""
    out: list[tuple[tuple[str, ...], Path, Path]] = []
    stack = [(folder, Path(os.path.realpath(folder)), folder.parts)]
    while stack:
        here, real, parts = stack.pop()
        try:
            with os.scandir(here) as listing:
                entries = list(listing)
        except PermissionError:
            continue
        for entry in entries:
            name = entry.name
            if _is(entry.is_dir, follow_symlinks=False):
                stack.append((here / name, real / name, (*parts, name)))
            if name.endswith(".json") and _is(entry.is_file):
                item = here / name
                resolved = item.resolve() if entry.is_symlink() else real / name
                out.append(((*parts, name), item, resolved))
    out.sort(key=lambda found: found[0])  # Path's own order: by parts
    return [(item, resolved) for _, item, resolved in out]


def _is(test: Callable[..., bool], **options: bool) -> bool:
    try:
        return test(**options)
    except OSError:
        return False


@dataclass
class Project:
    """The project the proofs read: its root, configuration, boundaries and placements."""

    root: Path
    config: Config
    files: dict[Path, PolicyFile] = field(default_factory=dict)
    _placements: dict[str, tuple[Placement, ...]] = field(
        default_factory=dict, init=False, repr=False
    )
    _target_globs: dict[str, frozenset[str]] = field(default_factory=dict, init=False, repr=False)
    _by_display: dict[str, PolicyFile] = field(default_factory=dict, init=False, repr=False)
    _loose: dict[int, tuple[Policy, tuple[Placement, ...]]] = field(
        default_factory=dict, init=False, repr=False
    )
    _placed: dict[tuple[str, str | None], Placement] = field(
        default_factory=dict, init=False, repr=False
    )

    def file(self, path: Path, resolved: Path | None = None) -> PolicyFile:
        key = resolved or path.resolve()
        if key not in self.files:
            self.files[key] = policy_file(path, self.root, key)
            self._by_display[self.files[key].display] = self.files[key]
        return self.files[key]

    @cached_property
    def boundary_files(self) -> list[PolicyFile]:
        folder = self.root / "boundaries"
        if not folder.is_dir():
            return []
        return [self.file(p) for p in sorted(folder.rglob("*.json"))]

    @cached_property
    def approved_boundaries(self) -> frozenset[str]:
        """Names of the approved boundaries: those of boundaries/ that delegation.boundaries
        lists (every one when it lists none). A configured name whose file is gone is not
        approved: deleting a boundary must fail the delegation policies that rely on it."""
        present = frozenset(f.name for f in self.boundary_files)
        if self.config.boundaries is None:
            return present
        return frozenset(self.config.boundaries) & present

    @cached_property
    def missing_boundaries(self) -> frozenset[str]:
        """Boundaries iamgate.yaml approves that have no file in boundaries/."""
        if self.config.boundaries is None:
            return frozenset()
        return frozenset(self.config.boundaries) - {f.name for f in self.boundary_files}

    @property
    def prefix(self) -> str:
        return self.config.prefix

    # -- the accounts a file is judged in ---------------------------------------------

    def accounts_for(self, file: PolicyFile) -> tuple[Placement, ...]:
        """One placement per account the file is deployed to, in the order of deploy.targets.

        The accounts come from the targets whose globs match the file, resolved through
        organization.ous (an OU path means the accounts of that OU and of the OUs below it)
        and the account ids a target names, less its exclusions. A target that selects by tag
        alone is taken to reach every account organization.ous knows (tags are not in the
        repository; more accounts is the cautious reading). An OU target whose accounts the
        repository does not list places the policy's own literal accounts (or the placeholder)
        in that OU. Where no target deploys the file: the accounts written in its own IAM
        ARNs, then the placeholder account with the root's SCPs only.
        """
        found = self._placements.get(file.display)
        if found is None:
            found = self._placements[file.display] = tuple(self._placements_of(file))
        return found

    def accounts_for_policy(self, policy: Policy) -> tuple[Placement, ...]:
        """``accounts_for`` of the file a policy was built from (rules see the policy); a
        policy built outside the project's files (tests, benchmarks) is placed afresh."""
        pf = self._by_display.get(policy.file)
        if pf is not None and pf.policy is policy:
            return self.accounts_for(pf)
        found = self._loose.get(id(policy))
        if found is None or found[0] is not policy:
            pf = PolicyFile(self.root / policy.file, policy.file, policy.kind, policy.name)
            pf.policy = policy
            if len(self._loose) >= 64:
                self._loose.clear()
            found = self._loose[id(policy)] = (policy, tuple(self._placements_of(pf)))
        return found[1]

    def _placements_of(self, file: PolicyFile) -> list[Placement]:
        own = self._own_accounts(file)
        out: dict[str, Placement] = {}
        for target in self.config.deploy.targets:
            if file.display not in self._target_files(target.name):
                continue
            excluded = set(target.exclude)
            chosen: list[tuple[str, str | None]] = []
            for reference in target.ous:
                if normalize_reference(reference).lower().startswith("ou-"):
                    continue  # an ou- id cannot be placed offline
                listed = accounts_in(self.config, reference)
                chosen += [(a, None) for a in listed] or [(a, reference) for a in own]
            chosen += [(a, None) for a in target.accounts]
            if target.tags and not (target.ous or target.accounts):
                chosen += [(a, None) for o in self.config.organization.ous for a in o.accounts]
            for account, ou in chosen:
                if account not in excluded and account not in out:
                    out[account] = self._placement(account, ou)
        if out:
            return list(out.values())
        return [self._placement(account, None) for account in own]

    def _placement(self, account: str, ou: str | None) -> Placement:
        """One account's placement, built once per project (SCPs are loaded once)."""
        found = self._placed.get((account, ou))
        if found is None:
            found = account_placement(self.config, account, ou, strict=False)
            self._placed[(account, ou)] = found
        return found

    def _own_accounts(self, file: PolicyFile) -> tuple[str, ...]:
        """The accounts of the file's own IAM ARNs, else the placeholder."""
        if file.policy is None:
            file.load()
            if file.document is not None:
                from iamgate.grammar import check
                from iamgate.model import build_policy

                _, well_formed = check(file.document, file.kind, file.name)
                if well_formed:
                    file.policy = build_policy(file.document, file.name, file.kind)
        written = literal_accounts(file.policy) if file.policy is not None else ()
        return written or (PLACEHOLDER_ACCOUNT,)

    def _target_files(self, target: str) -> frozenset[str]:
        found = self._target_globs.get(target)
        if found is None:
            root = self.root.resolve()
            wanted = next(t for t in self.config.deploy.targets if t.name == target)
            found = frozenset(
                display_path(p, root)
                for pattern in wanted.policies
                if not (Path(pattern).is_absolute() or ".." in Path(pattern).parts)
                for p in root.glob(pattern)
                if p.is_file()
            )
            self._target_globs[target] = found
        return found
