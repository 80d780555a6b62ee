"""The result cache: a file's findings are reused only while nothing they depend on changed,
a reused result is exactly a fresh one, and the cache survives damage and concurrent runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from iamgate import cache_store, result_cache
from iamgate import lint as lint_module
from iamgate.config import load_config
from iamgate.lint import LintResult, lint_paths
from iamgate.reports import render

SERVICE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:*:*:orders"}
    ],
}


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many times each file's rules actually ran (one process, so the count is seen)."""
    monkeypatch.setenv("IAMGATE_JOBS", "1")
    counts: Counter[str] = Counter()
    real = lint_module.check_file

    def counting(pf, project):  # type: ignore[no-untyped-def]
        counts[pf.display] += 1
        return real(pf, project)

    monkeypatch.setattr(lint_module, "check_file", counting)
    return counts


def _lint(root: Path, cache: bool = True) -> LintResult:
    return lint_paths([], load_config(cwd=root), cache=cache)


def _report(result: LintResult) -> str:
    return render("json", result, colour=False)


def _with_service_policies(project: Path) -> Path:
    for n in range(3):
        path = project / "policies" / f"orders-{n}.json"
        path.write_text(json.dumps(SERVICE_POLICY, indent=2))
    return project


def test_a_second_run_reuses_every_file_and_reports_byte_for_byte_the_same(
    project: Path, checked: Counter[str]
) -> None:
    # A finding to carry through the cache: a delegation policy without its boundary check.
    delegate = project / "policies" / "DelegatePermissions.json"
    delegate.write_text(delegate.read_text().replace("iam:PermissionsBoundary", "aws:RequestTag/x"))
    fresh = _lint(project, cache=False)
    assert fresh.findings, "the broken delegation policy must produce findings"
    assert not (project / ".iamgate_cache").exists()
    first = _lint(project)
    computed = sum(checked.values())
    assert computed == len(first.files) * 2  # once without the cache, once to fill it
    second = _lint(project)
    assert sum(checked.values()) == computed, "an unchanged project is not checked again"
    assert _report(second) == _report(first) == _report(fresh)
    assert second.findings == fresh.findings


def test_deleting_a_boundary_reproves_only_the_files_that_read_boundaries(
    project: Path, checked: Counter[str]
) -> None:
    _with_service_policies(project)
    before = _lint(project)
    checked.clear()
    (project / "boundaries" / "S3AccessBoundary.json").unlink()
    after = _lint(project)
    # The delegation policies read the approved boundaries; an SQS policy cannot.
    assert checked["policies/DelegatePermissions.json"] == 1
    assert not any(checked[f"policies/orders-{n}.json"] for n in range(3))
    assert _report(after) == _report(_lint(project, cache=False))
    assert _report(after) != _report(before)  # the deleted boundary is reported


def test_changing_a_boundarys_bytes_reproves_what_depends_on_boundaries(
    project: Path, checked: Counter[str]
) -> None:
    _with_service_policies(project)
    _lint(project)
    checked.clear()
    boundary = project / "boundaries" / "S3AccessBoundary.json"
    boundary.write_text(boundary.read_text().replace("s3:*", "s3:Get*"))
    _lint(project)
    assert checked["policies/DelegatePermissions.json"] == 1
    assert checked["boundaries/S3AccessBoundary.json"] == 1  # its own bytes changed
    assert not checked["policies/orders-0.json"]


def test_changing_the_configuration_reproves_every_file(
    project: Path, checked: Counter[str]
) -> None:
    _with_service_policies(project)
    first = _lint(project)
    checked.clear()
    config = project / "iamgate.yaml"
    config.write_text(config.read_text().replace("prefix: service-", "prefix: svc-"))
    second = _lint(project)
    assert set(checked) == set(first.files)
    assert _report(second) == _report(_lint(project, cache=False))


def test_an_scp_or_a_rule_level_change_reproves_while_an_exception_does_not(
    project: Path, checked: Counter[str]
) -> None:
    _lint(project)
    checked.clear()
    config = project / "iamgate.yaml"
    text = config.read_text()
    # Exceptions are applied after the rules ran: the findings stay valid.
    config.write_text(text.replace("expires: 2027-11-30", "expires: 2027-12-31"))
    _lint(project)
    assert not checked
    # A rule's level is part of every file's key.
    config.write_text(text.replace("lint:\n", "lint:\n  rules:\n    IG202: warning\n", 1))
    _lint(project)
    assert checked
    checked.clear()
    # An SCP's rules read the project's files (the managed policies deploy writes): adding
    # a policy re-proves the SCPs, which depend on the whole tree.
    (project / "policies" / "orders-new.json").write_text(json.dumps(SERVICE_POLICY))
    _lint(project)
    assert checked["scps/DenyBoundaryTampering.json"] == 1
    assert checked["policies/orders-new.json"] == 1
    assert not checked["policies/service-app-logs.json"]


def test_a_rule_level_that_only_moves_in_the_file_keeps_the_findings(
    project: Path, checked: Counter[str]
) -> None:
    # Where lint.rules entries sit (kept to locate their errors) is not what the rules read:
    # re-indented, the entry keeps its line and changes its column.
    config = project / "iamgate.yaml"
    text = config.read_text().replace("lint:\n", "lint:\n  rules:\n    IG202: warning\n", 1)
    config.write_text(text)
    _lint(project)
    checked.clear()
    config.write_text(text.replace("    IG202: warning", "      IG202: warning", 1))
    _lint(project)
    assert not checked


def test_a_file_that_reads_the_project_root_depends_on_every_policy_file(
    project: Path,
) -> None:
    from iamgate.project import Project

    reads = result_cache.Reads(Project(project, load_config(cwd=project)))
    assert reads.prefix == "service-"
    assert reads.inputs == set()  # the configuration is part of every key
    assert "S3AccessBoundary" in reads.approved_boundaries
    assert reads.inputs == {"boundaries"}
    assert reads.root == project
    assert reads.inputs == {"boundaries", "tree"}
    unknown = result_cache.Reads(Project(project, load_config(cwd=project)))
    with pytest.raises(AttributeError):
        unknown.attribute_added_later  # noqa: B018
    assert unknown.inputs == {"tree"}, "an input this version does not know: depend on all"


def test_the_configuration_view_keeps_plain_values_and_notes_every_tracked_read(
    project: Path,
) -> None:
    from dataclasses import fields

    from iamgate.project import Project

    config = load_config(cwd=project)
    reads = result_cache.Reads(Project(project, config))
    for _ in range(2):  # the second read comes from the view's own copy
        for f in fields(config):
            if f.name not in ("root", "file", "boundaries"):
                assert getattr(reads.config, f.name) == getattr(config, f.name)
        assert reads.inputs == set()
    for name, input_ in (("root", "tree"), ("boundaries", "boundaries")):
        for _ in range(2):  # a tracked field is noted at every read, after every clear
            reads.inputs.clear()
            assert getattr(reads.config, name) == getattr(config, name)
            assert reads.inputs == {input_}


def test_corrupt_or_foreign_entries_are_recomputed(project: Path, checked: Counter[str]) -> None:
    first = _lint(project)
    buckets = sorted((project / ".iamgate_cache" / "v1").glob("results-*.json"))
    counts = {b: len(json.loads(b.read_text())["entries"]) for b in buckets}
    assert sum(counts.values()) == len(first.files)
    cut, foreign = buckets[0], buckets[1]
    cut.write_bytes(cut.read_bytes()[:40])  # a bucket cut short
    data = json.loads(foreign.read_text())
    key = next(iter(data["entries"]))
    data["entries"][key]["findings"] = [{"unknown": 1}]  # an entry this version cannot read
    foreign.write_text(json.dumps(data))
    checked.clear()
    second = _lint(project)
    assert sum(checked.values()) == counts[cut] + 1
    assert _report(second) == _report(first)
    checked.clear()
    _lint(project)
    assert not checked, "the damaged entries were written again"


def test_the_cache_is_bounded_oldest_entries_go_first(project: Path) -> None:
    from iamgate.project import Project

    cache = result_cache.ResultCache(Project(project, load_config(cwd=project)))
    keys = [f"00{n:062x}" for n in range(6)]  # all in bucket 00
    for key in keys:
        cache.put(key, [], set())
    cache.flush(limit=3 * 256)  # three entries a bucket
    kept = json.loads((cache.folder / "results-00.json").read_text())["entries"]
    assert sorted(kept) == keys[-3:]


def test_the_cache_ignores_itself_in_git(project: Path) -> None:
    _lint(project)
    ignore = project / ".iamgate_cache" / ".gitignore"
    assert ignore.read_text().splitlines()[-1] == "*"


def test_new_package_data_such_as_an_escalation_row_changes_every_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "iamgate"
    (package / "escalation" / "data").mkdir(parents=True)
    table = package / "escalation" / "data" / "paths.json"
    table.write_text('[{"id": "iam-001"}]')
    (package / "lint.py").write_text("# code\n")
    monkeypatch.setattr(cache_store, "_PACKAGE", package)
    fingerprint = cache_store.code_fingerprint.__wrapped__  # uncached: the code is edited here
    before = fingerprint()
    assert fingerprint() == before
    table.write_text('[{"id": "iam-001"}, {"id": "iam-002"}]')
    after_row = fingerprint()
    assert after_row != before
    os.utime(package / "lint.py", ns=(1, 1))
    assert fingerprint() not in (before, after_row)


def test_concurrent_runs_share_the_cache_safely(project: Path) -> None:
    command = [sys.executable, "-m", "iamgate", "lint", "--format", "json"]
    runs = [
        subprocess.Popen(command, cwd=project, stdout=subprocess.PIPE, text=True) for _ in range(3)
    ]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    assert len(set(outputs)) == 1
    fresh = subprocess.run([*command, "--no-cache"], cwd=project, capture_output=True, text=True)
    assert fresh.stdout == outputs[0]
    leftovers = list((project / ".iamgate_cache" / "v1").glob(".tmp-*"))
    assert leftovers == []


def test_no_cache_neither_reads_nor_writes(project: Path, run_iamgate) -> None:  # type: ignore[no-untyped-def]
    done = run_iamgate("lint", "--no-cache", cwd=project)
    assert done.returncode == 0, done.stderr
    assert not (project / ".iamgate_cache").exists()
    (project / ".iamgate_cache").mkdir()
    (project / ".iamgate_cache" / "v1").write_text("not a folder")  # unusable: still lints
    done = run_iamgate("lint", cwd=project)
    assert done.returncode == 0, done.stderr


def test_a_cache_folder_deleted_between_runs_is_made_again(project: Path) -> None:
    import shutil

    _lint(project)
    shutil.rmtree(project / ".iamgate_cache")
    result = _lint(project)
    buckets = (project / ".iamgate_cache" / "v1").glob("results-*.json")
    assert sum(len(json.loads(b.read_text())["entries"]) for b in buckets) == len(result.files)


def test_the_accounts_a_policy_is_judged_in_depend_on_file_names_not_their_bytes(
    project: Path, checked: Counter[str]
) -> None:
    # deploy.targets' globs decide which accounts a delegation policy is proved in: a new
    # file can change them, another policy's edited bytes cannot.
    _lint(project)
    checked.clear()
    logs = project / "policies" / "service-app-logs.json"
    logs.write_text(logs.read_text().replace('"Sid": "', '"Sid": "Edited', 1))
    _lint(project)
    assert checked["policies/service-app-logs.json"] == 1
    assert not checked["policies/DelegatePermissions.json"]
    checked.clear()
    (project / "policies" / "orders-new.json").write_text(json.dumps(SERVICE_POLICY))
    after = _lint(project)
    assert checked["policies/DelegatePermissions.json"] == 1
    assert _report(after) == _report(_lint(project, cache=False))


def test_the_project_fingerprints_from_the_runs_own_listing_equal_a_fresh_listing(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from iamgate.lint import _listing_of
    from iamgate.project import POLICY_FOLDERS, Project, expand_resolved

    _with_service_policies(project)
    (project / "policies" / "gone.json").symlink_to(project / "nowhere.json")  # not a file
    (project / "scps").mkdir(exist_ok=True)
    (project / "scps" / "deny.json").write_text(json.dumps(SERVICE_POLICY))
    config = load_config(cwd=project)
    root = config.root
    # The listing holds files only, as the filter the fingerprints once applied (is_file).
    assert all(p.is_file() for p, _ in expand_resolved([], root))
    folders = [Path(f) for f in POLICY_FOLDERS if (root / f).is_dir()]
    monkeypatch.chdir(project)
    runs = {  # how the run was asked -> whether its own listing stands for the project's
        (): True,
        tuple(folders): True,  # relative to the working directory
        tuple(root / f for f in folders): True,
        tuple(reversed(folders)): False,  # another order
        (folders[0],): False,  # part of the project
        tuple(Path("policies/..") / f for f in folders): False,  # not the text of root/f
    }
    plain = result_cache.ResultCache(Project(root, config))
    for paths, stands in runs.items():
        listing = _listing_of(list(paths), expand_resolved(list(paths), root), root)
        assert (listing is not None) == stands, paths
        given = result_cache.ResultCache(Project(root, config))
        given.listing = listing
        for name in ("layout", "tree"):
            assert given.input(name) == plain.input(name)


def test_into_an_empty_cache_the_keys_made_beside_each_check_are_the_plain_keys(
    project: Path,
) -> None:
    from iamgate.project import Project, expand_resolved, policy_file

    _with_service_policies(project)
    assert not (project / ".iamgate_cache").exists()
    first = _lint(project)  # no bucket on disk: no lookup before the checks
    config = load_config(cwd=project)
    cache = result_cache.ResultCache(Project(project, config))
    assert cache.has_entries()
    plain = {
        cache.key(pf, pf.path.read_bytes())
        for pf in (policy_file(p, config.root, r) for p, r in expand_resolved([], config.root))
    }
    stored = set()
    for bucket in (project / ".iamgate_cache" / "v1").glob("results-*.json"):
        stored |= set(json.loads(bucket.read_text())["entries"])
    assert stored == plain and len(plain) == len(first.files)


@pytest.mark.parametrize(
    "data",
    [
        json.dumps(SERVICE_POLICY, indent=2).encode(),
        b"",
        b'{"Version": "2012-10-17", "Version": "2008-10-17"}',
        "\ufeff{}".encode("utf-16"),
        b'{"Statement": [',
    ],
    ids=["policy", "empty", "duplicate-key", "utf-16", "cut-short"],
)
def test_a_file_loaded_from_the_bytes_its_key_hashed_is_the_file_loaded_plainly(
    tmp_path: Path, data: bytes
) -> None:
    from iamgate.project import policy_file

    path = tmp_path / "policies" / "p.json"
    path.parent.mkdir()
    path.write_bytes(data)
    plain, given = policy_file(path, tmp_path), policy_file(path, tmp_path)
    plain.load()
    given.load(data)
    assert given.document == plain.document
    assert repr(given.error) == repr(plain.error)
    assert (given.error is None) or vars(given.error) == vars(plain.error)
