"""What a commit must be judged on.

pre-commit hands a hook only the files being committed, and never the deleted ones. A
policy is judged with its project's configuration and boundaries anyway (the engine reads
them from disk), but a commit that changes or deletes a boundary, or the configuration,
can break policies it does not touch: a delegation policy that names a boundary the commit
removes, or an SCP change that opens a boundary's ceiling (IG503). So a commit that touches a
boundary or an SCP re-checks every identity policy and boundary of that project, and one that
touches iamgate.yaml every policy. Git tells us about deletions: the
staged changes, or the range pre-commit was given (--from-ref/--to-ref).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from iamgate.config import find_config

STATUS_WORDS = {"A": "added", "D": "deleted", "M": "changed", "R": "renamed", "C": "copied"}


@dataclass(frozen=True)
class Change:
    status: str  # git's status letter: A, M, D, R (the old path of a rename is a D), C, T
    path: Path  # absolute


@dataclass
class Scope:
    """One project touched by the commit."""

    root: Path
    config_file: Path | None  # None: no iamgate.yaml, the defaults apply
    files: list[Path] = field(default_factory=list)  # the committed files in this project
    # Why its policies are re-checked: changed file (as shown) -> what happened.
    reasons: dict[str, str] = field(default_factory=dict)
    # The configuration changed: every policy (rule levels, exceptions, the prefix) is
    # re-checked, not only the identity policies a boundary change can affect.
    config_changed: bool = False

    def describe(self) -> str:
        return ", ".join(f"{path} {word}" for path, word in self.reasons.items())

    def policies_to_recheck(self) -> list[Path]:
        """The project's policies this commit can affect beyond its own files."""
        from iamgate.project import expand_paths, kind_of

        every = expand_paths([], self.root)
        if self.config_changed:
            return every
        # Boundaries too: a boundary's ceiling is judged with the SCPs and the other approved
        # boundaries (IG503).
        return [p for p in every if kind_of(p, self.root) in ("identity", "boundary")]


def _git(args: Sequence[str], cwd: Path) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None  # no git: judge the files alone
    if done.returncode != 0:
        return None
    return os.fsdecode(done.stdout)


def _toplevel(cwd: Path) -> Path | None:
    if (cwd / ".git").exists():  # pre-commit runs hooks at the top level: spare a process
        return cwd
    out = _git(["rev-parse", "--show-toplevel"], cwd)
    return Path(out.strip()) if out else None


def parse_name_status(output: str, top: Path) -> list[Change]:
    """`git diff --name-status -z` output; a rename counts as a deletion plus an addition."""
    tokens = output.split("\0")
    changes: list[Change] = []
    i = 0
    while i < len(tokens) and tokens[i]:
        letter = tokens[i][0]
        if letter in "RC":
            old, new = tokens[i + 1], tokens[i + 2]
            if letter == "R":
                changes.append(Change("D", top / old))
            changes.append(Change("A", top / new))
            i += 3
        else:
            changes.append(Change(letter, top / tokens[i + 1]))
            i += 2
    return changes


def git_changes(cwd: Path, env: Mapping[str, str] = os.environ) -> list[Change] | None:
    """The changes being judged: pre-commit's ref range if it gave one, else the staged ones.
    None outside a git repository."""
    top = _toplevel(cwd)
    if top is None:
        return None
    from_ref, to_ref = env.get("PRE_COMMIT_FROM_REF"), env.get("PRE_COMMIT_TO_REF")
    if from_ref and to_ref:
        # The same range pre-commit takes its file list from.
        args = ["diff", "--name-status", "-z", "--no-renames", f"{from_ref}...{to_ref}"]
    else:
        args = ["diff", "--cached", "--name-status", "-z", "--no-renames"]
    out = _git(["-c", "core.quotepath=off", *args], top)
    return None if out is None else parse_name_status(out, top)


def staged_boundaries(root: Path) -> tuple[str, ...] | None:
    """Names of the boundary files in git's index (what the commit will contain), or None
    outside git. An untracked file in boundaries/ is not part of the commit, so not approved."""
    out = _git(["ls-files", "-z", "--cached", "--", "boundaries"], root)
    if out is None:
        return None
    names = {Path(p).stem for p in out.split("\0") if p.endswith(".json")}
    return tuple(sorted(names))


def _is_boundary(path: Path, root: Path) -> bool:
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        return False
    return path.suffix == ".json" and "boundaries" in parts[:-1]


def _is_scp(path: Path, root: Path) -> bool:
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        return False
    return path.suffix == ".json" and len(parts) > 1 and parts[0] == "scps"


def _widens(path: Path, root: Path) -> bool:
    """Does a change to this file call for re-checking policies the commit does not touch?"""
    return _is_boundary(path, root) or _is_scp(path, root)


def _absolute(path: Path, cwd: Path) -> Path:
    # Not resolve(): a deleted file or a symlinked folder must keep the path git reported.
    return Path(os.path.normpath(path if path.is_absolute() else cwd / path))


class _Projects:
    """Finds each path's project (nearest iamgate.yaml upward, else the working directory's)."""

    def __init__(self, cwd: Path, explicit: Path | None) -> None:
        self.cwd = cwd
        self.explicit = explicit
        self.by_folder: dict[Path, Path | None] = {}
        self.scopes: dict[Path | None, Scope] = {}
        self.fallback = explicit or find_config(cwd)

    def config_of(self, path: Path) -> Path | None:
        if self.explicit is not None:
            return self.explicit
        folder = path.parent
        if folder not in self.by_folder:
            self.by_folder[folder] = find_config(folder) or self.fallback
        return self.by_folder[folder]

    def scope(self, config_file: Path | None) -> Scope:
        if config_file not in self.scopes:
            root = config_file.parent if config_file is not None else self.cwd
            self.scopes[config_file] = Scope(root, config_file)
        return self.scopes[config_file]


def plan(
    files: Iterable[Path],
    changes: Iterable[Change],
    cwd: Path,
    explicit_config: Path | None = None,
) -> list[Scope]:
    """Group the committed files by project and say which projects need a full re-check."""
    cwd = _absolute(cwd, cwd)
    projects = _Projects(cwd, _absolute(explicit_config, cwd) if explicit_config else None)
    for path in files:
        absolute = _absolute(path, cwd)
        scope = projects.scope(projects.config_of(absolute))
        scope.files.append(path)
        if _widens(absolute, scope.root):
            scope.reasons[_shown(absolute, cwd)] = "changed"
    for change in changes:
        config_file = projects.config_of(change.path)
        root = config_file.parent if config_file is not None else cwd
        if change.path == config_file or _widens(change.path, root):
            scope = projects.scope(config_file)
            # Git's word wins over "changed": a committed boundary is also a staged change.
            scope.reasons[_shown(change.path, cwd)] = STATUS_WORDS.get(change.status, "changed")
            scope.config_changed |= change.path == config_file
    return list(projects.scopes.values())


def _shown(path: Path, cwd: Path) -> str:
    try:
        return path.relative_to(cwd).as_posix()
    except ValueError:
        return str(path)
