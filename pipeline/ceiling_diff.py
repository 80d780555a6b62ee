"""What a pull request changes in the ceiling of the roles delegates can create.

``iamgate plan --base REF`` compares the project's policy files with their versions at the
merge-base of REF and HEAD (REF itself when they share no history): the state the pull
request started from, so commits that reached main since do not show up as its changes. The
base versions are read with ``git archive`` into a temporary folder; nothing is checked out
and no AWS call is made.

For every delegation policy (at the base or now) that changed, or that lets delegates
create roles with a boundary that changed, the ceiling is computed twice by `iamgate
explain`'s model — any policy ∩ the boundary ∩ the SCPs attached to the root — and the
difference is told as what those roles "can now also" and "can no longer" do. A changed
boundary no delegation policy uses gets its own entry. A change whose ceiling is identical
(a reworded Sid, reformatting) is listed as unchanged; a pull request that touches no
delegation policy and no boundary gets no ceiling section at all.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from iamgate.config import Config, ConfigError
from iamgate.org_policy_types import ORG_POLICY_TYPES

if TYPE_CHECKING:
    from iamgate.explain.model import Ceiling

# The base's files a ceiling depends on: policies and boundaries, and every organization
# policy type that takes part in authorization.
FOLDERS = (
    "policies",
    "boundaries",
    *(kind.folder for kind in ORG_POLICY_TYPES if kind.side != "none"),
)
LISTED = 8  # actions named before "and N more" (json lists them all)
# What a reviewer should read first: the access levels that change permissions or data.
RISK_ORDER = ("Permissions management", "Write", "Tagging", "Read", "List")
NO_BOUNDARY = "(no boundary)"


@dataclass(frozen=True)
class Reach:
    """Actions of one service and access level, on the same resources."""

    service: str  # "s3", or "*" for every service no policy names
    level: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]  # "*" = any resource

    def describe(self) -> str:
        shown = ", ".join(self.actions[:LISTED])
        if len(self.actions) > LISTED:
            shown += f" and {len(self.actions) - LISTED} more"
        where = "any resource" if self.resources == ("*",) else ", ".join(self.resources)
        if self.service == "*":
            return f"every other AWS service, {self.level} (e.g. {shown}) on {where}"
        return f"{self.service} {self.level}: {shown} on {where}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "level": self.level,
            "actions": list(self.actions),
            "resources": list(self.resources),
        }


@dataclass(frozen=True)
class CeilingChange:
    subject: str  # the delegation policy or boundary the entry is about
    kind: str  # "delegation" | "boundary"
    file: str
    because: tuple[str, ...]  # the changed files that moved this ceiling
    who: str  # "roles created under DelegatePermissions"
    before: tuple[str, ...]  # the ceilings' headlines at the base
    after: tuple[str, ...]
    gained: tuple[Reach, ...] = ()
    lost: tuple[Reach, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.gained or self.lost or self.notes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "kind": self.kind,
            "file": self.file,
            "because": list(self.because),
            "who": self.who,
            "changed": self.changed,
            "before": list(self.before),
            "after": list(self.after),
            "gained": [r.to_dict() for r in self.gained],
            "lost": [r.to_dict() for r in self.lost],
            "notes": list(self.notes),
        }


@dataclass
class CeilingReport:
    base: str  # the commit compared with (short sha)
    changes: list[CeilingChange] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"base": self.base, "changes": [c.to_dict() for c in self.changes]}


# --- git ---------------------------------------------------------------------------------


def _git(root: Path, *args: str) -> str | None:
    """git's output as text, stripped; None when git fails."""
    out = _git_bytes(root, *args)
    return None if out is None else out.decode("utf-8", "replace").strip()


def _git_bytes(root: Path, *args: str) -> bytes | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, timeout=60, check=False
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise ConfigError(f"--base: cannot run git: {exc}") from None
    return done.stdout if done.returncode == 0 else None


def resolve_base(root: Path, ref: str) -> str:
    """The merge-base of ``ref`` and HEAD, else ``ref`` itself; a clear error if unknown."""
    if _git(root, "rev-parse", "--is-inside-work-tree") != "true":
        raise ConfigError(f"--base {ref}: {root} is not inside a git repository")
    commit = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if not commit:
        raise ConfigError(f"--base {ref}: not a commit in this repository (fetch it first?)")
    return _git(root, "merge-base", commit, "HEAD") or commit


def materialize_base(root: Path, commit: str, into: Path) -> Path:
    """The project's iamgate.yaml and policy folders as they were at ``commit``."""
    prefix = _git(root, "rev-parse", "--show-prefix") or ""
    paths = [f"{prefix}{name}" for name in (*FOLDERS, "iamgate.yaml")]
    listed = _git(root, "ls-tree", "--name-only", commit, "--", *paths) or ""
    present = [line for line in listed.splitlines() if line]
    if present:
        archive = _git_bytes(root, "archive", "--format=tar", commit, "--", *present)
        if archive is None:
            raise ConfigError(f"--base: git archive of {commit[:12]} failed")
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(into, filter="data")
    base_root = into / prefix
    base_root.mkdir(parents=True, exist_ok=True)
    if not (base_root / "iamgate.yaml").is_file() and (root / "iamgate.yaml").is_file():
        # The configuration is new in this pull request: judge both sides by today's.
        (base_root / "iamgate.yaml").write_bytes((root / "iamgate.yaml").read_bytes())
    return base_root


# --- which files changed -------------------------------------------------------------------


def _files(root: Path, folder: str) -> dict[str, Path]:
    base = root / folder
    if not base.is_dir():
        return {}
    return {p.relative_to(root).as_posix(): p for p in sorted(base.rglob("*.json")) if p.is_file()}


def _same(left: Path | None, right: Path | None) -> bool:
    from .compare import DocumentError, same_document

    if left is None or right is None:
        return left is right
    a, b = left.read_text("utf-8", "replace"), right.read_text("utf-8", "replace")
    if a == b:
        return True
    try:
        return same_document(a, b)
    except DocumentError:
        return False


def changed_files(base_root: Path, head_root: Path, folder: str) -> list[str]:
    before, after = _files(base_root, folder), _files(head_root, folder)
    return [
        name for name in sorted({*before, *after}) if not _same(before.get(name), after.get(name))
    ]


# --- ceilings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Side:
    """One delegation policy's (or boundary's) ceilings on one side of the diff."""

    headlines: tuple[str, ...]
    boundaries: frozenset[str]  # the boundaries roles can be created with; NO_BOUNDARY
    reach: dict[str, frozenset[str]]  # action -> resources
    levels: dict[str, tuple[str, str]]  # action -> (service, access level)


def _side(ceilings: Iterable[Ceiling], notes: Iterable[str] = ()) -> _Side:
    reach: dict[str, set[str]] = defaultdict(set)
    levels: dict[str, tuple[str, str]] = {}
    headlines, boundaries = [], set()
    if any("outside the repository" in note for note in notes):
        boundaries.add("a boundary outside the repository (its ceiling cannot be computed)")
    for ceiling in ceilings:
        headlines.append(ceiling.headline)
        boundaries.add(ceiling.boundary or NO_BOUNDARY)
        for cell in ceiling.layers[-1].cells:
            for action in cell.allowed:
                reach[action].update(_applicable(action, cell.resources))
                levels[action] = (cell.service, cell.level)
    return _Side(
        tuple(headlines),
        frozenset(boundaries),
        {a: frozenset(r) for a, r in reach.items()},
        levels,
    )


def _applicable(action: str, resources: tuple[str, ...]) -> tuple[str, ...]:
    """A cell's resources are those of all its actions; keep the ones of this action's
    resource types (s3:GetObject acts on objects, not on the bucket the cell also names)."""
    from iamgate.catalog import get_catalog
    from iamgate.explain.probes import is_of_type

    info = get_catalog().lookup(action)
    if info is None or not info.resource_types:
        return resources
    fitting = tuple(
        r for r in resources if r == "*" or any(is_of_type(r, t) for t, _ in info.resource_types)
    )
    return fitting or resources


def _missing() -> _Side:
    return _Side(("(not in the repository)",), frozenset(), {}, {})


def _delta(now: _Side, then: _Side) -> tuple[Reach, ...]:
    """What ``now`` reaches that ``then`` did not, grouped by service, level and resources."""
    groups: dict[tuple[str, str, tuple[str, ...]], list[str]] = defaultdict(list)
    for action, resources in now.reach.items():
        before = then.reach.get(action, frozenset())
        if "*" in before:
            continue
        extra = resources if "*" in resources else resources - before
        if not extra:
            continue
        service, level = now.levels[action]
        where = ("*",) if "*" in extra else tuple(sorted(extra))
        groups[(service, level, where)].append(action)
    return tuple(
        Reach(service, level, tuple(sorted(actions)), where)
        for (service, level, where), actions in sorted(groups.items(), key=_group_order)
    )


def _group_order(item: tuple[tuple[str, str, tuple[str, ...]], list[str]]) -> tuple[Any, ...]:
    (service, level, where), _ = item
    risk = RISK_ORDER.index(level) if level in RISK_ORDER else len(RISK_ORDER)
    return (service == "*", service, risk, where)


def _boundary_notes(now: _Side, then: _Side, who: str) -> tuple[str, ...]:
    notes = []
    for name in sorted(now.boundaries - then.boundaries):
        what = "WITHOUT a permissions boundary" if name == NO_BOUNDARY else f"with {name}"
        notes.append(f"delegates can now create roles {what}")
    for name in sorted(then.boundaries - now.boundaries):
        what = "without a permissions boundary" if name == NO_BOUNDARY else f"with {name}"
        notes.append(f"delegates can no longer create roles {what}")
    return tuple(notes) if who.startswith("roles created under") else ()


def _delegation_side(config: Config | None, relative: str) -> tuple[_Side, bool]:
    """(ceilings, is a delegation policy) of one identity policy file on one side."""
    if config is None or not (config.root / relative).is_file():
        return _missing(), False
    from iamgate.delegation.search import proof_for
    from iamgate.explain.build import explain
    from iamgate.organization import load_policy
    from iamgate.project import Project

    path = config.root / relative
    project = Project(config.root, config)
    try:
        if not proof_for(load_policy(path, config.root, "identity"), project).is_delegation:
            return _missing(), False
        explanation = explain(config, path)
    except ConfigError:
        return _missing(), False  # does not load on this side: the lint gate reports it
    return _side(explanation.ceilings, explanation.notes), True


def _boundary_side(config: Config, relative: str) -> _Side:
    from iamgate.explain.ceiling import ANY_POLICY, Stack, compute_ceiling
    from iamgate.explain.probes import SAMPLE_ACCOUNT
    from iamgate.organization import allow_everything, load_policy, placement

    path = config.root / relative
    if not path.is_file():
        return _missing()
    try:
        boundary = load_policy(path, config.root, "boundary")
    except ConfigError:
        return _missing()
    stack = Stack([allow_everything()], ANY_POLICY, boundary, placement(config))
    role = f"arn:aws:iam::{SAMPLE_ACCOUNT}:role/{config.prefix}example"
    return _side([compute_ceiling(stack, SAMPLE_ACCOUNT, role)])


def _entry(
    subject: str, kind: str, file: str, because: list[str], now: _Side, then: _Side
) -> CeilingChange:
    who = (
        f"roles created under {subject}"
        if kind == "delegation"
        else f"roles created with the boundary {subject}"
    )
    return CeilingChange(
        subject=subject,
        kind=kind,
        file=file,
        because=tuple(because),
        who=who,
        before=then.headlines,
        after=now.headlines,
        gained=_delta(now, then),
        lost=_delta(then, now),
        notes=_boundary_notes(now, then, who),
    )


def ceiling_changes(config: Config, ref: str) -> CeilingReport:
    """The ceiling section of a plan against ``ref``; no AWS call."""
    from iamgate.config import parse_config

    commit = resolve_base(config.root, ref)
    report = CeilingReport(commit[:12])
    with tempfile.TemporaryDirectory(prefix="iamgate-base-") as folder:
        base_root = materialize_base(config.root, commit, Path(folder))
        base_file = base_root / "iamgate.yaml"
        base_config = parse_config(base_file) if base_file.is_file() else Config(root=base_root)
        boundaries = changed_files(base_root, config.root, "boundaries")
        policies = changed_files(base_root, config.root, "policies")
        if not boundaries and not policies:
            return report
        covered: set[str] = set()
        identity = sorted({*_files(base_root, "policies"), *_files(config.root, "policies")})
        for relative in identity:
            now, is_now = _delegation_side(config, relative)
            then, was = _delegation_side(base_config, relative)
            if not (is_now or was):
                continue
            used = {f"boundaries/{b}.json" for b in now.boundaries | then.boundaries}
            because = [f for f in [relative, *boundaries] if f in policies or f in used]
            if not because:
                continue
            covered.update(f for f in because if f in boundaries)
            report.changes.append(
                _entry(Path(relative).stem, "delegation", relative, because, now, then)
            )
        for relative in boundaries:
            if relative in covered:
                continue
            now, then = _boundary_side(config, relative), _boundary_side(base_config, relative)
            report.changes.append(
                _entry(Path(relative).stem, "boundary", relative, [relative], now, then)
            )
    return report
