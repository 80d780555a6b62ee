"""The project: its root, configuration and every policy file, loaded once.

Rules judge one policy at a time but with the whole project in view (approved
boundaries, the delegation prefix), so a commit that touches one file is judged
the same way as the whole repository.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from iamgate.config import Config
from iamgate.document import Document, LoadError, load
from iamgate.model import Policy, PolicyKind

POLICY_FOLDERS = ("boundaries", "policies", "scps")


@dataclass
class PolicyFile:
    path: Path
    display: str  # relative to the project root when inside it
    kind: PolicyKind
    name: str
    document: Document | None = None
    error: LoadError | None = None
    policy: Policy | None = None  # set once the grammar passes

    def load(self) -> None:
        if self.document is None and self.error is None:
            try:
                self.document = load(self.path, self.display)
            except LoadError as exc:
                self.error = exc


def kind_of(path: Path, root: Path) -> PolicyKind:
    try:
        parts = path.resolve().relative_to(root.resolve()).parts
    except ValueError:
        parts = path.parts
    if "boundaries" in parts[:-1]:
        return "boundary"
    if "scps" in parts[:-1]:
        return "scp"
    return "identity"


def display_path(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def policy_file(path: Path, root: Path) -> PolicyFile:
    return PolicyFile(path, display_path(path, root), kind_of(path, root), path.stem)


def expand_paths(paths: list[Path], root: Path) -> list[Path]:
    """Files as given; folders become every *.json below them. No paths: the project folders."""
    if not paths:
        paths = [root / folder for folder in POLICY_FOLDERS if (root / folder).is_dir()]
    out: list[Path] = []
    seen: set[Path] = set()
    for path in paths:
        found = sorted(p for p in path.rglob("*.json") if p.is_file()) if path.is_dir() else [path]
        for item in found:
            key = item.resolve()
            if key not in seen:
                seen.add(key)
                out.append(item)
    return out


@dataclass
class Project:
    root: Path
    config: Config
    files: dict[Path, PolicyFile] = field(default_factory=dict)

    def file(self, path: Path) -> PolicyFile:
        key = path.resolve()
        if key not in self.files:
            self.files[key] = policy_file(path, self.root)
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
