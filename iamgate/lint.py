"""The lint engine: file -> document -> grammar -> model -> rules -> findings -> exceptions
(each rule's setting, its exceptions and the waivers: iamgate.rules.settings)."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from iamgate.document import read_file
from iamgate.findings import RANK, Finding
from iamgate.project import PolicyFile, Project, expand_resolved, policy_file
from iamgate.rule_references import check_rule_references

if TYPE_CHECKING:
    from iamgate.config import Config
    from iamgate.result_cache import Reads, ResultCache


# A file's place in the run, its raw findings, and (to be recorded in the result cache) the
# project inputs its rules read and its key; None for both when it is not to be recorded.
Computed = tuple[int, list[Finding], "set[str] | None", "str | None"]


@dataclass
class LintResult:
    """What a lint run found: the findings reported and suppressed, and the files checked."""

    findings: list[Finding]
    files: list[str]
    suppressed: list[Finding] = field(default_factory=list)
    fail_on: str = "error"
    # The security checks the configuration turns off or excepts (every report names them).
    waived: list[dict[str, Any]] = field(default_factory=list)

    def failing(self) -> list[Finding]:
        floor = RANK[self.fail_on]
        return [f for f in self.findings if RANK[f.severity] >= floor]

    def summary(self) -> dict[str, int | str]:
        counts = {
            s: sum(1 for f in self.findings if f.severity == s)
            for s in ("error", "warning", "info")
        }
        return {
            "files": len(self.files),
            **counts,
            "suppressed": len(self.suppressed),
            "fail_on": self.fail_on,
            "failed": bool(self.failing()),
        }

    @property
    def exit_code(self) -> int:
        return 1 if self.failing() else 0


def check_file(pf: PolicyFile, project: Project) -> list[Finding]:
    """Every finding for one file, before configuration is applied. The file's document
    and model are let go once its rules ran (a boundary's are kept: other files' proofs
    read them), so memory stays flat however many files a run checks."""
    try:
        return _check_file(pf, project)
    finally:
        if pf.kind != "boundary":
            pf.document = pf.policy = None


def _check_file(pf: PolicyFile, project: Project) -> list[Finding]:
    # The rules, the model and the grammar are imported by the first file that is checked:
    # a run whose findings all come from the result cache never pays for them.
    from iamgate.model import build_policy
    from iamgate.rules import all_rules
    from iamgate.rules.grammar_rules import grammar_findings
    from iamgate.rules.settings import enabled

    pf.load()
    if pf.error is not None:
        from iamgate.rules.loading import load_finding

        return [load_finding(pf.error, pf.display)]
    assert pf.document is not None
    findings, well_formed = grammar_findings(pf.document, pf.kind, pf.name)
    if not well_formed:
        return findings
    policy = pf.policy = build_policy(pf.document, pf.name, pf.kind)
    for rule in all_rules().values():
        if (
            rule.stage in ("rules", "project")
            and policy.kind in rule.kinds
            and enabled(rule, project.config)
        ):
            findings.extend(rule.check(policy, project))
    return findings


def lint_paths(paths: list[Path], config: Config, *, cache: bool = True) -> LintResult:
    """Lint the files (the project's folders when ``paths`` is empty). ``cache``: reuse and
    record findings in the project's result cache (iamgate.result_cache)."""
    from iamgate.parallel import MIN_FILES, collect_seldom, flat_map, jobs_for, reap, settle_heap
    from iamgate.rules import all_rules

    check_rule_references(config, cache=cache)
    project = Project(config.root, config)
    found = expand_resolved(paths, config.root)
    files = [_policy_file(project, path, resolved) for path, resolved in found]
    results = _Results(project, cache)
    if results.cache is not None:
        results.cache.listing = _listing_of(paths, found, config.root)
    todo = [(n, pf) for n, pf in enumerate(files) if not results.reuse(n, pf)]
    computed: list[Computed] = []
    if len(todo) >= MIN_FILES:
        if jobs_for(len(todo)) > 1:
            # Largest files first: size roughly predicts a file's cost (the costliest are the
            # long policies of many statements), so the chunks the workers draw last are
            # cheap and they finish together. Whatever the order, each file's findings go to
            # its place. (One worker keeps the files' order: its peak memory is lower so.)
            todo.sort(key=_size, reverse=True)
        # The rules, and whatever a first check imports and loads, before the heap is frozen
        # and workers are forked: every worker shares them instead of loading them again.
        # The smallest file does it: its own checking is the part nobody can share.
        all_rules()
        computed = results.compute(todo.pop())
        settle_heap()
    # Not before settle_heap: its collection walks all the young generations hold, which
    # would then be everything the rules' imports and the first check made.
    collect_seldom()
    computed += flat_map(results.compute, todo)
    try:
        return _result(files, computed, results, config)
    finally:
        reap()  # the workers ended meanwhile (their results are all in)


def _result(
    files: list[PolicyFile],
    computed: list[Computed],
    results: _Results,
    config: Config,
) -> LintResult:
    """The run's result: the findings computed and reused, recorded in the cache, filtered
    and ordered by the configuration."""
    from iamgate.rules.settings import apply_config, security_waivers

    computed.sort(key=lambda done: done[0])  # recorded in the files' order, as found
    for n, findings, inputs, key in computed:
        results.found[n] = findings
        if results.cache is not None and inputs is not None and key is not None:
            results.cache.put(key, findings, inputs)
    if results.cache is not None:
        results.cache.flush()
    raw = [finding for n in range(len(files)) for finding in results.found[n]]
    reported, suppressed = apply_config(raw, config)
    reported.sort(key=lambda f: (f.file, f.line, f.column, f.rule))
    checked = [pf.display for pf in files]
    waived = security_waivers(config, checked)
    return LintResult(reported, checked, suppressed, config.fail_on, waived)


def _listing_of(paths: list[Path], found: list[tuple[Path, Path]], root: Path) -> list[str] | None:
    """The text of expand_resolved([], root)'s paths, from the run's own listing ``found``
    when it walked the same folders in the same order (else None: list them afresh). Given
    folders walk as the project's when each, joined to the working directory, is the text of
    ``root / folder``: the walk then meets the same entries in the same order, and an item
    ``folder/rest`` joined so is ``root/folder/rest`` (os.path.join only prefixes a relative
    path; Path's text and getcwd() are both normalised)."""
    if not paths:
        return [p.as_posix() for p, _ in found]
    from iamgate.project import POLICY_FOLDERS

    cwd = os.getcwd()
    project = [str(root / name) for name in POLICY_FOLDERS if (root / name).is_dir()]
    if [os.path.join(cwd, str(p)) for p in paths] != project:
        return None
    return [os.path.join(cwd, p.as_posix()) for p, _ in found]


def _size(item: tuple[int, PolicyFile]) -> int:
    try:
        return os.stat(item[1].path).st_size
    except OSError:
        return 0  # its check is the load stage's one finding


def _policy_file(project: Project, path: Path, resolved: Path) -> PolicyFile:
    """A boundary is shared with the proofs that read it (project.file); any other file is
    not remembered by the project, so a large run keeps no more than its list of files."""
    pf = policy_file(path, project.root, resolved)
    return project.file(path, resolved) if pf.kind == "boundary" else pf


class _Results:
    """Each file's raw findings: from the result cache when it still holds, else computed
    (by whichever worker) with the project inputs its rules read, to be recorded."""

    def __init__(self, project: Project, use_cache: bool) -> None:
        self.project = project
        self.found: dict[int, list[Finding]] = {}
        self.keys: dict[int, str] = {}
        self._reads: Reads | None = None
        self.cache: ResultCache | None = None
        # No entry on disk: every lookup misses whatever the key, so the keys are made by
        # the workers beside each file's check instead of serially before the fork.
        self.empty = False
        if use_cache:
            from iamgate.result_cache import ResultCache

            self.cache = ResultCache(project)
            self.empty = not self.cache.has_entries()

    def reuse(self, n: int, pf: PolicyFile) -> bool:
        if self.cache is None or self.empty:
            return False
        try:
            data = read_file(pf.path)
        except OSError:
            return False  # the load stage reports it
        key = self.keys[n] = self.cache.key(pf, data)
        found = self.cache.get(key)
        if found is None:
            return False
        self.found[n] = found
        return True

    def compute(self, item: tuple[int, PolicyFile]) -> list[Computed]:
        n, pf = item
        key = self.keys.get(n)
        if key is None and self.cache is not None and self.empty:
            # Unreadable: the load stage reports it, not recorded (as when reuse cannot read it).
            with contextlib.suppress(OSError):
                data = read_file(pf.path)
                key = self.cache.key(pf, data)
                pf.load(data)  # the bytes the key hashes are the bytes checked: one read
        if self.cache is None or key is None:
            return [(n, check_file(pf, self.project), None, None)]
        from iamgate.result_cache import Reads

        # One view of the project for every file this process checks, as without the cache
        # (memos keyed by the project object behave the same); its record starts afresh.
        if self._reads is None:
            self._reads = Reads(self.project)
        self._reads.inputs.clear()
        # Reads stands in for the project (every attribute passes through, noted).
        findings = check_file(pf, cast("Project", self._reads))
        return [(n, findings, set(self._reads.inputs), key)]
