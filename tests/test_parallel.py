"""Linting on several cores gives exactly the findings of one core."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iamgate.config import Config
from iamgate.lint import lint_paths
from iamgate.parallel import MIN_FILES, jobs_for

REPO = Path(__file__).resolve().parent.parent


def _corpus(root: Path) -> None:
    (root / "policies").mkdir()
    for i in range(24):
        statement = {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}
        if i % 3 == 0:
            statement["Action"] = ["iam:CreateRole"]  # no boundary condition: IG301
        if i % 5 == 0:
            statement["Action"] = ["iam:CreateRoles"]  # misspelt: IG202
        doc = {"Version": "2012-10-17", "Statement": [statement]}
        (root / "policies" / f"p{i}.json").write_text(json.dumps(doc, indent=2))
    (root / "policies" / "broken.json").write_text('{"Version": "2012-10-17",}')


def test_a_pool_of_workers_finds_what_one_process_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _corpus(tmp_path)
    config = Config(root=tmp_path)
    monkeypatch.setenv("IAMGATE_JOBS", "1")
    alone = lint_paths([], config)
    monkeypatch.setenv("IAMGATE_JOBS", "2")
    pooled = lint_paths([], config)
    assert {f.rule for f in alone.findings} >= {"IG001", "IG202", "IG301"}
    assert pooled.findings == alone.findings
    assert pooled.files == alone.files


def test_a_small_commit_never_starts_a_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IAMGATE_JOBS", raising=False)
    assert jobs_for(3) == 1
    assert jobs_for(MIN_FILES - 1) == 1


def test_iamgate_jobs_overrides_the_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IAMGATE_JOBS", "3")
    assert jobs_for(1) == 3
    monkeypatch.setenv("IAMGATE_JOBS", "many")
    assert jobs_for(10_000) == 1


def test_checking_the_largest_files_first_changes_no_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A run large enough for a pool checks the files largest first (and the smallest before
    # forking); each file's findings still land in its place, whatever the order and workers.
    _corpus(tmp_path)
    for i in range(0, 24, 4):  # sizes out of the names' order
        doc = json.loads((tmp_path / "policies" / f"p{i}.json").read_text())
        doc["Statement"] *= 1 + i
        for n, statement in enumerate(doc["Statement"]):
            statement["Sid"] = f"S{n}"
        (tmp_path / "policies" / f"p{i}.json").write_text(json.dumps(doc, indent=2))
    config = Config(root=tmp_path)
    monkeypatch.setenv("IAMGATE_JOBS", "1")
    plain = lint_paths([], config, cache=False)
    monkeypatch.setattr("iamgate.parallel.MIN_FILES", 2)
    for jobs in ("1", "2", "3"):
        monkeypatch.setenv("IAMGATE_JOBS", jobs)
        ordered = lint_paths([], config, cache=False)
        assert ordered.findings == plain.findings
        assert ordered.files == plain.files
        assert ordered.summary() == plain.summary()


def test_linting_leaves_no_cyclic_garbage(project: Path) -> None:
    # settle_heap collects the young generation seldom (parallel.YOUNG) because a file's
    # structures hold no reference cycles: refcounting alone frees them once it is checked.
    import gc
    import shutil

    from iamgate.config import load_config

    redteam = REPO / "tests" / "fixtures" / "redteam"
    for family in ("delegation", "escalation"):
        for path in sorted(redteam.glob(f"{family}/*/*.json")):
            shutil.copyfile(path, project / "policies" / f"{family}-{path.name}")
    lint_paths([], load_config(cwd=project), cache=False)  # imports and loads what it needs
    gc.collect()
    gc.disable()
    try:
        again = lint_paths([], load_config(cwd=project), cache=False)
        left = gc.collect()
    finally:
        gc.enable()
    assert len(again.files) > 60 and again.findings
    assert left == 0


def test_a_lint_run_collects_the_young_generation_seldom(tmp_path: Path) -> None:
    import gc

    from iamgate.parallel import YOUNG

    _corpus(tmp_path)
    before = gc.get_threshold()
    gc.set_threshold(700, *before[1:])
    try:
        lint_paths([], Config(root=tmp_path), cache=False)
        assert gc.get_threshold() == (YOUNG, *before[1:])
    finally:
        gc.set_threshold(*before)
