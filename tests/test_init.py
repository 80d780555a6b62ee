"""`iamgate init`: a starting point that lints clean, and never a clobbered file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from iamgate import __version__
from iamgate.cli import main as iamgate
from iamgate.commands.init import (
    CONFIG_SCHEMA_URL,
    PRE_COMMIT_CONFIG,
    PROJECT_FILES,
    PROJECT_URL,
    add_hooks,
    hooks_block,
)
from iamgate.config import load_config
from iamgate.lint import lint_paths

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()  # init looks for the repository's top level only
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_init_writes_a_project_that_lints_clean(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert iamgate(["init"]) == 0
    out = capsys.readouterr().out
    for relative in [*PROJECT_FILES, PRE_COMMIT_CONFIG]:
        assert (repo / relative).is_file()
        assert f"wrote {relative}\n" in out
    assert "## IAM policies (iamgate)" in out  # the README section comes last
    assert (repo / ".gitignore").read_text().splitlines()[-1] == ".iamgate_cache/"
    config = load_config(cwd=repo)
    assert (config.prefix, config.boundaries) == ("service-", None)
    result = lint_paths([], config)
    assert len(result.files) == 2
    assert result.findings == [], [f.to_dict() for f in result.findings]


def test_init_never_overwrites_and_says_what_it_kept(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "policies").mkdir()
    (repo / "policies" / "DelegatePermissions.json").write_text("mine", encoding="utf-8")
    (repo / "iamgate.yaml").write_text("# mine\n", encoding="utf-8")
    assert iamgate(["init"]) == 0
    out = capsys.readouterr().out
    assert "kept existing iamgate.yaml\n" in out
    assert "kept existing policies/DelegatePermissions.json\n" in out
    assert "wrote boundaries/S3AccessBoundary.json\n" in out
    assert (repo / "iamgate.yaml").read_text(encoding="utf-8") == "# mine\n"
    assert (repo / "policies" / "DelegatePermissions.json").read_text(encoding="utf-8") == "mine"
    before = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()}
    assert iamgate(["init"]) == 0
    assert f"kept existing {PRE_COMMIT_CONFIG}: it already runs iamgate-lint" in (
        capsys.readouterr().out
    )
    assert {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()} == before


def test_init_in_a_subfolder_puts_the_hooks_at_the_repository_top(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "iam").mkdir()
    monkeypatch.chdir(repo / "iam")
    assert iamgate(["init"]) == 0
    assert (repo / "iam" / "iamgate.yaml").is_file()
    assert (repo / PRE_COMMIT_CONFIG).is_file()
    assert not (repo / "iam" / PRE_COMMIT_CONFIG).exists()


EXISTING = """\
# our hooks
repos:
- repo: https://example.invalid/hooks
  rev: v1.0.0
  hooks:
  - id: check-yaml   # keep me

# later settings
default_stages: [pre-commit]
"""


def test_an_existing_pre_commit_config_gets_the_block_with_everything_else_kept(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / PRE_COMMIT_CONFIG).write_text(EXISTING, encoding="utf-8")
    assert iamgate(["init"]) == 0
    assert f"added the iamgate hooks to {PRE_COMMIT_CONFIG}" in capsys.readouterr().out
    text = (repo / PRE_COMMIT_CONFIG).read_text(encoding="utf-8")
    lines = iter(text.splitlines())
    assert all(line in lines for line in EXISTING.splitlines())  # the same lines, in order
    assert text.index("id: iamgate-lint") < text.index("default_stages")
    assert f"\n- repo: {PROJECT_URL}\n  rev: v{__version__}\n" in text  # the user's indent


@pytest.mark.parametrize(
    "existing",
    [
        "repos: [\n",  # not YAML
        "- a\n",  # not a mapping
        "repos: [{repo: local, hooks: []}]\n",  # a flow list
    ],
)
def test_a_pre_commit_config_that_cannot_be_edited_safely_is_left_alone(
    repo: Path, capsys: pytest.CaptureFixture[str], existing: str
) -> None:
    (repo / PRE_COMMIT_CONFIG).write_text(existing, encoding="utf-8")
    assert iamgate(["init"]) == 0
    out = capsys.readouterr().out
    assert f"kept existing {PRE_COMMIT_CONFIG}: " in out
    assert "add this item to its `repos:` list:\n" in out and "id: iamgate-lint" in out
    assert (repo / PRE_COMMIT_CONFIG).read_text(encoding="utf-8") == existing


@pytest.mark.parametrize(
    ("existing", "expected"),
    [
        ("", "repos:\n"),
        ("repos: []  # none yet\n", "repos:  # none yet\n"),
        ("fail_fast: true", "fail_fast: true\nrepos:\n"),
        ("repos:\nfail_fast: true\n", "repos:\n"),
    ],
)
def test_empty_or_missing_repos_lists_get_the_block(existing: str, expected: str) -> None:
    added = add_hooks(existing, hooks_block())
    assert added.text is not None and added.text.startswith(expected)
    assert f"  - repo: {PROJECT_URL}\n" in added.text


def test_hooks_repo_and_rev_write_a_pinned_block(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["init", "--hooks-repo", "https://example.invalid/iamgate", "--hooks-rev", "v0.1.0"]
    assert iamgate(argv) == 0
    text = (repo / PRE_COMMIT_CONFIG).read_text(encoding="utf-8")
    assert "  - repo: https://example.invalid/iamgate\n    rev: v0.1.0\n" in text


def test_the_written_pre_commit_configs_are_valid_for_pre_commit(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for block in (hooks_block(), hooks_block("https://example.invalid/iamgate", "v1")):
        (repo / PRE_COMMIT_CONFIG).write_text("repos:\n" + block, encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-m", "pre_commit", "validate-config", PRE_COMMIT_CONFIG],
            cwd=repo,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["init", "nowhere"], "nowhere is not a folder"),
        (["init", "--hooks-rev", ""], "cannot be empty"),
    ],
)
def test_usage_errors_exit_2(
    repo: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert iamgate(argv) == 2
    assert message in capsys.readouterr().err


def test_outside_a_git_repository_init_still_writes_and_says_git_is_needed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert iamgate(["init"]) == 0
    assert "is not in a git repository; pre-commit needs one" in capsys.readouterr().out
    assert (tmp_path / PRE_COMMIT_CONFIG).is_file()


def test_init_pins_the_hooks_to_the_project_repository_at_this_release_tag(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`repo: local` cannot be moved by `pre-commit autoupdate`; a URL and a tag can."""
    assert iamgate(["init"]) == 0
    text = (repo / PRE_COMMIT_CONFIG).read_text(encoding="utf-8")
    assert f"  - repo: https://github.com/iamgate/iamgate\n    rev: v{__version__}\n" in text
    assert "repo: local" not in text


def test_a_mirror_keeps_the_release_tag_unless_told_otherwise(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert iamgate(["init", "--hooks-repo", "https://git.example.invalid/mirror/iamgate"]) == 0
    text = (repo / PRE_COMMIT_CONFIG).read_text(encoding="utf-8")
    mirror = "https://git.example.invalid/mirror/iamgate"
    assert f"  - repo: {mirror}\n    rev: v{__version__}\n" in text


def test_the_written_config_names_the_published_schema_for_editors(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """yaml-language-server (VS Code's YAML extension and others) reads this first line."""
    assert iamgate(["init"]) == 0
    first = (repo / "iamgate.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first == f"# yaml-language-server: $schema={CONFIG_SCHEMA_URL}"


def test_the_schema_id_is_the_url_init_writes_at_this_release_tag() -> None:
    """The $id names the schema of this very version: a version bump that forgets it fails."""
    schema = json.loads((REPO / "iamgate" / "schemas" / "config.schema.json").read_text())
    assert schema["$id"] == CONFIG_SCHEMA_URL
    assert schema["$id"] == (
        f"https://raw.githubusercontent.com/iamgate/iamgate/v{__version__}"
        "/iamgate/schemas/config.schema.json"
    )


def test_init_adds_the_result_cache_to_an_existing_gitignore_once(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / ".gitignore").write_text("node_modules/", encoding="utf-8")  # no final newline
    assert iamgate(["init"]) == 0
    assert "added .iamgate_cache/ to .gitignore" in capsys.readouterr().out
    text = (repo / ".gitignore").read_text(encoding="utf-8")
    assert text == "node_modules/\n# iamgate lint's result cache\n.iamgate_cache/\n"
    assert iamgate(["init"]) == 0
    assert "it already ignores .iamgate_cache/" in capsys.readouterr().out
    assert (repo / ".gitignore").read_text(encoding="utf-8") == text
