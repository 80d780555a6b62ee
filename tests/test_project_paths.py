"""The file list of a run: the same files, order, real paths, names and kinds as pathlib's
rglob/resolve/relative_to give, however the tree is laid out (symlinks, hidden files, a
folder named like a policy, links that lead nowhere or outside the project)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from iamgate.project import KIND_FOLDERS, POLICY_FOLDERS, expand_resolved, kind_of, policy_file


def _reference(paths: list[Path]) -> list[tuple[Path, Path]]:
    """The walk as pathlib spells it (what expand_resolved replaced for speed)."""
    out: list[tuple[Path, Path]] = []
    seen: set[Path] = set()
    for path in paths:
        found = sorted(p for p in path.rglob("*.json") if p.is_file()) if path.is_dir() else [path]
        for item in found:
            key = item.resolve()
            if key not in seen:
                seen.add(key)
                out.append((item, key))
    return out


def _reference_place(path: Path, root: Path) -> tuple[str, str]:
    resolved, root = path.resolve(), root.resolve()
    try:
        parts = resolved.relative_to(root).parts
        display = resolved.relative_to(root).as_posix()
    except ValueError:
        parts, display = path.parts[-2:], path.as_posix()
    kind = KIND_FOLDERS.get(parts[0], "identity") if len(parts) > 1 else "identity"
    return display, kind


NAMES = st.sampled_from(["a", "b-c", "a.json", ".hidden.json", "x.json", "X.JSON", "scps"])
# Each step: make a folder, a file, a link to an earlier entry, or a broken link.
STEPS = st.lists(
    st.tuples(st.sampled_from(["dir", "file", "link", "broken"]), NAMES, st.integers(0, 20)),
    max_size=25,
)


def _build(tmp: Path, steps: list[tuple[str, str, int]]) -> None:
    made = [tmp]
    for what, name, pick in steps:
        parent = next((p for p in reversed(made[: pick + 1]) if p.is_dir()), tmp)
        target = parent / name
        if os.path.lexists(target):
            continue
        if what == "dir":
            target.mkdir()
        elif what == "file":
            target.write_text("{}")
        elif what == "link":
            target.symlink_to(made[pick % len(made)])
        else:
            target.symlink_to(tmp / "nowhere")
        made.append(target)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(STEPS)
@example([("file", "a", 0), ("link", "x.json", 1), ("dir", "scps", 0), ("link", "b-c", 0)])
@example([("dir", "a", 0), ("file", "x.json", 1), ("link", "scps", 1), ("broken", "a.json", 0)])
@example([("dir", "scps", 0), ("file", "a.json", 1)])
def test_the_walk_lists_what_rglob_and_resolve_list(
    tmp_path_factory: pytest.TempPathFactory, steps: list[tuple[str, str, int]]
) -> None:
    root = tmp_path_factory.mktemp("tree")
    _build(root, steps)
    for given_paths in ([root], [root / "a", root], [root / "x.json"]):
        existing = [p for p in given_paths if p.exists()]
        if existing:  # none given: the project's folders, checked below
            assert expand_resolved(existing, root) == _reference(existing)
    folders = [root / f for f in POLICY_FOLDERS if (root / f).is_dir()]
    assert expand_resolved([], root) == _reference(folders)
    for item, _ in _reference([root]):
        display, kind = _reference_place(item, root)
        made = policy_file(item, root)
        assert (made.display, made.kind) == (display, kind)
        assert kind_of(item, root) == kind


def test_a_relative_folder_keeps_its_relative_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "policies" / "team").mkdir(parents=True)
    (tmp_path / "policies" / "team" / "p.json").write_text("{}")
    monkeypatch.chdir(tmp_path)
    for folder in (Path("policies"), Path("./policies/"), Path(".")):
        assert expand_resolved([folder], Path(".")) == _reference([folder])


@pytest.mark.parametrize(
    ("path", "root"),
    [
        ("/srv/repo/boundaries/b.json", "/srv/repo"),
        ("/srv/repo/scps/deep/s.json", "/srv/repo"),
        ("/srv/repo/policies/boundaries/p.json", "/srv/repo"),
        ("/srv/repo-other/boundaries/b.json", "/srv/repo"),  # a sibling sharing the prefix
        ("/srv/repo/b.json", "/"),
        ("/elsewhere/rcps/r.json", "/srv/repo"),
        ("/srv/repo", "/srv/repo"),
    ],
)
def test_names_and_kinds_match_pathlib(path: str, root: str) -> None:
    made = policy_file(Path(path), Path(root), Path(path))
    assert (made.display, made.kind) == _reference_place(Path(path), Path(root))
