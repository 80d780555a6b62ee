"""The desired state: the repository's policy files, exactly as reviewed, per deploy target.

No templating: a document varies per account only through IAM policy variables
(``${aws:PrincipalAccount}``), which IAM resolves itself. The text sent to IAM is the
file's text; the parsed form is kept for comparing with live documents.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from iamgate.config import Config, ConfigError, Target

from ..compare import policy_size

# IAM's quota for a managed policy document; IAM does not count whitespace.
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
MANAGED_POLICY_LIMIT = 6144


@dataclass(frozen=True)
class DesiredPolicy:
    name: str  # the IAM name: the file name without .json
    kind: str  # "boundary" | "identity"
    file: str  # relative to the project root
    text: str
    document: dict[str, Any]

    @property
    def size(self) -> int:
        return policy_size(self.document)


def target_files(config: Config) -> dict[str, list[Path]]:
    """Each target's files, from its globs (relative to the project root); config errors named."""
    out: dict[str, list[Path]] = {}
    for target in config.deploy.targets:
        out[target.name] = _expand(target, config)
    return out


def _expand(target: Target, config: Config) -> list[Path]:
    root = config.root.resolve()
    found: dict[Path, None] = {}
    for pattern in target.policies:
        if Path(pattern).is_absolute() or ".." in Path(pattern).parts:
            raise ConfigError(
                f"deploy.targets[{target.name}].policies: {pattern!r} must be a glob inside the "
                "project folder",
                config.file,
                target.line,
            )
        matches = sorted(p for p in root.glob(pattern) if p.is_file() and p.suffix == ".json")
        folder = _literal_folder(pattern)
        if not matches and not (root / folder).is_dir():
            # An empty folder is fine (the last boundary was removed); a missing one is a typo.
            raise ConfigError(
                f"deploy.targets[{target.name}].policies: {pattern!r} matches nothing: "
                f"there is no folder {folder or '.'}/ in the project",
                config.file,
                target.line,
            )
        for path in matches:
            found[path] = None
    return list(found)


def _literal_folder(pattern: str) -> str:
    """The folder of a glob before its first wildcard: "policies/dev/*.json" -> "policies/dev"."""
    parts = Path(pattern).parts
    literal = []
    for part in parts[:-1]:
        if any(ch in part for ch in "*?["):
            break
        literal.append(part)
    return "/".join(literal)


def every_file(files_by_target: Mapping[str, list[Path]]) -> list[Path]:
    seen: dict[Path, None] = {}
    for files in files_by_target.values():
        for path in files:
            seen[path] = None
    return list(seen)


def load_policy(path: Path, root: Path) -> DesiredPolicy:
    from iamgate.document import load
    from iamgate.project import display_path, kind_of

    display = display_path(path, root)
    kind = kind_of(path, root)
    if kind == "scp":
        raise ConfigError(
            f"{display} is a service control policy; deploy.targets deploy IAM policies only"
        )
    # The lint gate already proved the file loads; a LoadError here means it changed since.
    document = load(path, display)
    return DesiredPolicy(path.stem, kind, display, document.text, document.data)


@dataclass(frozen=True)
class DesiredState:
    by_target: Mapping[str, tuple[DesiredPolicy, ...]]
    config_file: Path | None = None

    def policies(self) -> list[DesiredPolicy]:
        seen: dict[str, DesiredPolicy] = {}
        for items in self.by_target.values():
            for policy in items:
                seen.setdefault(policy.file, policy)
        return list(seen.values())

    def for_targets(self, targets: Iterable[str]) -> dict[str, DesiredPolicy]:
        """The union of the targets' policies, by IAM name; two files with one name is an error."""
        out: dict[str, DesiredPolicy] = {}
        folded: dict[str, DesiredPolicy] = {}  # IAM names are case-insensitive (aws_limits.py)
        for target in targets:
            for policy in self.by_target.get(target, ()):
                other = folded.get(policy.name.lower())
                if other is not None and other.file != policy.file:
                    raise ConfigError(
                        f"{other.file} and {policy.file} both deploy the IAM policy "
                        f"'{policy.name}' to the same account (targets {', '.join(targets)}); "
                        "IAM names are unique per account, whatever their letter case",
                        self.config_file,
                    )
                out[policy.name] = policy
                folded[policy.name.lower()] = policy
        return out


def load_desired(config: Config, files_by_target: Mapping[str, list[Path]]) -> DesiredState:
    cache: dict[Path, DesiredPolicy] = {}
    by_target: dict[str, tuple[DesiredPolicy, ...]] = {}
    for name, files in files_by_target.items():
        items = []
        for path in files:
            if path not in cache:
                cache[path] = load_policy(path, config.root)
            items.append(cache[path])
        by_target[name] = tuple(items)
    state = DesiredState(by_target, config.file)
    for target in by_target:
        state.for_targets([target])  # a name collision inside one target fails before any AWS call
    return state


def oversized(state: DesiredState) -> list[tuple[DesiredPolicy, int]]:
    """Policies IAM would refuse: moto does not enforce the limit, so iamgate must."""
    return [(p, p.size) for p in state.policies() if p.size > MANAGED_POLICY_LIMIT]
