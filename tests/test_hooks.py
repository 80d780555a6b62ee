"""The pre-commit hooks called as functions: main([...]) on files in temporary folders."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from iamgate.hooks import fmt as fmt_hook
from iamgate.hooks import lint as lint_hook
from iamgate.hooks.commit_scope import (
    Change,
    git_changes,
    parse_name_status,
    plan,
    staged_boundaries,
)

from iamgate.commands.init import PROJECT_FILES, template
from iamgate.fmt import format_policy

MESSY = '{"Statement":[{"Resource":"*","Effect":"Allow","Action":"s3:GetObject"}]}'
BROKEN = '{"Version": "2012-10-17",\n  "Statement": [\n'


@pytest.fixture
def isolated_git(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """git that ignores the machine's configuration and can commit."""
    config = tmp_path_factory.mktemp("gitconfig") / "config"
    config.write_text("[init]\n\tdefaultBranch = main\n", encoding="utf-8")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "iamgate tests")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "tests@iamgate.invalid")
    for name in ("PRE_COMMIT_FROM_REF", "PRE_COMMIT_TO_REF", "GIT_DIR", "GIT_INDEX_FILE"):
        monkeypatch.delenv(name, raising=False)


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout


def write_project(root: Path) -> Path:
    """The project `iamgate init` writes, without its pre-commit config."""
    for relative, name in PROJECT_FILES.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(template(name), encoding="utf-8")
    return root


@pytest.fixture
def repo(tmp_path: Path, isolated_git: None, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository holding the init'ed project, committed, as the working directory."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    write_project(root)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "project")
    monkeypatch.chdir(root)
    return root


# -- iamgate-fmt -----------------------------------------------------------------------------


def test_fmt_hook_fixes_files_in_place_exits_1_and_names_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("messy.json").write_text(MESSY, encoding="utf-8")
    Path("clean.json").write_text(format_policy(MESSY), encoding="utf-8")
    assert fmt_hook.main(["messy.json", "clean.json"]) == 1
    assert capsys.readouterr().out == "Fixing messy.json\n"
    assert Path("messy.json").read_text(encoding="utf-8") == format_policy(MESSY)
    assert fmt_hook.main(["messy.json", "clean.json"]) == 0
    assert capsys.readouterr().out == ""


def test_fmt_hook_check_mode_fails_without_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("messy.json").write_text(MESSY, encoding="utf-8")
    assert fmt_hook.main(["--check", "messy.json"]) == 1
    assert capsys.readouterr().out == "Not canonical messy.json\n"
    assert Path("messy.json").read_text(encoding="utf-8") == MESSY


def test_fmt_hook_leaves_an_unparseable_file_to_lint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("broken.json").write_text(BROKEN, encoding="utf-8")
    assert fmt_hook.main(["broken.json"]) == 0
    assert capsys.readouterr().out == "broken.json: skipped: not valid JSON (see iamgate lint)\n"
    assert Path("broken.json").read_text(encoding="utf-8") == BROKEN


# -- which projects and policies a commit is judged on (pure) ---------------------------------


def test_name_status_output_is_parsed_with_renames_as_a_deletion_and_an_addition(
    tmp_path: Path,
) -> None:
    out = (
        "M\0policies/a.json\0D\0boundaries/B.json\0R100\0boundaries/Old.json\0boundaries/New.json\0"
    )
    assert parse_name_status(out, tmp_path) == [
        Change("M", tmp_path / "policies/a.json"),
        Change("D", tmp_path / "boundaries/B.json"),
        Change("D", tmp_path / "boundaries/Old.json"),
        Change("A", tmp_path / "boundaries/New.json"),
    ]
    assert parse_name_status("", tmp_path) == []


def test_files_are_grouped_by_the_nearest_project_upward(tmp_path: Path) -> None:
    write_project(tmp_path)
    write_project(tmp_path / "team-b")
    scopes = plan(
        [
            Path("policies/DelegatePermissions.json"),
            Path("team-b/policies/DelegatePermissions.json"),
        ],
        [],
        tmp_path,
    )
    assert [(s.root, s.files, s.reasons) for s in scopes] == [
        (tmp_path, [Path("policies/DelegatePermissions.json")], {}),
        (tmp_path / "team-b", [Path("team-b/policies/DelegatePermissions.json")], {}),
    ]


def test_a_file_outside_every_project_is_judged_with_the_working_directorys(
    tmp_path: Path,
) -> None:
    (tmp_path / "iamgate.yaml").write_text("{}\n", encoding="utf-8")
    elsewhere = tmp_path.parent / f"{tmp_path.name}-elsewhere.json"
    [scope] = plan([elsewhere], [], tmp_path)
    assert scope.config_file == tmp_path / "iamgate.yaml"


def test_a_committed_or_deleted_boundary_or_config_asks_for_a_full_recheck(tmp_path: Path) -> None:
    write_project(tmp_path)
    write_project(tmp_path / "team-b")
    scopes = plan(
        [Path("boundaries/S3AccessBoundary.json")],
        [
            Change("M", tmp_path / "boundaries/S3AccessBoundary.json"),
            Change("D", tmp_path / "team-b/boundaries/Gone.json"),
            Change("M", tmp_path / "team-b/iamgate.yaml"),
            Change("M", tmp_path / "policies/DelegatePermissions.json"),  # not a reason
            Change("D", tmp_path / "boundaries/README.md"),  # not a policy
        ],
        tmp_path,
    )
    assert {s.root: s.reasons for s in scopes} == {
        tmp_path: {"boundaries/S3AccessBoundary.json": "changed"},
        tmp_path / "team-b": {
            "team-b/boundaries/Gone.json": "deleted",
            "team-b/iamgate.yaml": "changed",
        },
    }
    team_b = scopes[1]
    assert team_b.files == []  # nothing of team-b is committed, yet it must be re-checked


def test_a_config_change_rechecks_every_policy_a_boundary_change_the_identity_ones(
    tmp_path: Path,
) -> None:
    write_project(tmp_path)
    (tmp_path / "scps").mkdir()
    (tmp_path / "scps" / "Guardrail.json").write_text(template("S3AccessBoundary.json"))
    [boundary] = plan([], [Change("D", tmp_path / "boundaries/Gone.json")], tmp_path)
    assert sorted(p.name for p in boundary.policies_to_recheck()) == [
        "DelegatePermissions.json",
        "S3AccessBoundary.json",
    ]
    [config] = plan([], [Change("M", tmp_path / "iamgate.yaml")], tmp_path)
    assert sorted(p.name for p in config.policies_to_recheck()) == [
        "DelegatePermissions.json",
        "Guardrail.json",
        "S3AccessBoundary.json",
    ]


def test_an_scp_change_rechecks_the_boundaries_whose_ceiling_it_bounds(tmp_path: Path) -> None:
    # IG503 judges each boundary with the SCPs above it: loosening an SCP can open a ceiling.
    write_project(tmp_path)
    [scope] = plan([Path("scps/Guardrail.json")], [], tmp_path)
    assert scope.reasons == {"scps/Guardrail.json": "changed"}
    assert sorted(p.name for p in scope.policies_to_recheck()) == [
        "DelegatePermissions.json",
        "S3AccessBoundary.json",
    ]


def test_an_explicit_config_takes_every_file(tmp_path: Path) -> None:
    write_project(tmp_path / "team-b")
    scopes = plan(
        [Path("team-b/policies/DelegatePermissions.json")], [], tmp_path, Path("iamgate.yaml")
    )
    assert [s.config_file for s in scopes] == [tmp_path / "iamgate.yaml"]


# -- what git says (real git) ---------------------------------------------------------------


def test_staged_deletions_and_renames_of_boundaries_are_seen(repo: Path) -> None:
    git(repo, "rm", "-q", "boundaries/S3AccessBoundary.json")
    changes = git_changes(repo)
    assert changes == [Change("D", repo / "boundaries/S3AccessBoundary.json")]


def test_a_ref_range_from_pre_commit_replaces_the_staged_changes(repo: Path) -> None:
    base = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "mv", "boundaries/S3AccessBoundary.json", "boundaries/Renamed.json")
    git(repo, "commit", "-q", "-m", "rename")
    env = {"PRE_COMMIT_FROM_REF": base, "PRE_COMMIT_TO_REF": "HEAD"}
    assert sorted(git_changes(repo, env) or [], key=lambda c: c.status) == [
        Change("A", repo / "boundaries/Renamed.json"),
        Change("D", repo / "boundaries/S3AccessBoundary.json"),
    ]
    assert git_changes(repo) == []  # nothing staged


def test_changes_are_found_from_a_subfolder_of_the_repository(repo: Path) -> None:
    git(repo, "rm", "-q", "boundaries/S3AccessBoundary.json")
    assert git_changes(repo / "policies") == [
        Change("D", repo / "boundaries/S3AccessBoundary.json")
    ]


def test_outside_git_there_are_no_changes_to_see(tmp_path: Path, isolated_git: None) -> None:
    assert git_changes(tmp_path) is None
    assert staged_boundaries(tmp_path) is None


def test_only_boundaries_in_the_index_are_in_the_commit(repo: Path) -> None:
    (repo / "boundaries" / "Untracked.json").write_text(template("S3AccessBoundary.json"))
    assert staged_boundaries(repo) == ("S3AccessBoundary",)
    git(repo, "add", "boundaries/Untracked.json")
    assert staged_boundaries(repo) == ("S3AccessBoundary", "Untracked")
    git(repo, "rm", "-q", "--cached", "boundaries/S3AccessBoundary.json")
    assert staged_boundaries(repo) == ("Untracked",)


# -- iamgate-lint ---------------------------------------------------------------------------


def test_lint_hook_passes_a_clean_commit_silently(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert lint_hook.main(["policies/DelegatePermissions.json"]) == 0
    assert capsys.readouterr().out == ""


def test_lint_hook_fails_with_located_findings(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("policies/broken.json").write_text(BROKEN, encoding="utf-8")
    assert lint_hook.main(["policies/broken.json"]) == 1
    out = capsys.readouterr().out
    assert "policies/broken.json:3:1: error IG001 " in out
    assert "1 file checked: 1 error" in out


def test_a_deleted_boundary_rechecks_policies_the_commit_does_not_touch(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The broken policy is in the working tree but not in the commit: only a full re-check,
    # which the deletion triggers, finds it.
    Path("policies/broken.json").write_text(BROKEN, encoding="utf-8")
    assert lint_hook.main([]) == 0
    git(repo, "rm", "-q", "boundaries/S3AccessBoundary.json")
    assert lint_hook.main([]) == 1
    out = capsys.readouterr().out
    assert (
        "iamgate: boundaries/S3AccessBoundary.json deleted: re-checking the 2 identity and "
        "boundary policies of the project" in out
    )
    assert "policies/broken.json:3:1: error IG001" in out


def test_without_git_the_hook_judges_the_given_files_with_the_boundaries_on_disk(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Deleted from the index only: still on disk, gone from the commit.
    git(repo, "rm", "-q", "--cached", "boundaries/S3AccessBoundary.json")
    Path("policies/broken.json").write_text(BROKEN, encoding="utf-8")
    assert lint_hook.main(["--no-git", "policies/DelegatePermissions.json"]) == 0
    assert capsys.readouterr().out == ""
    assert lint_hook.main(["policies/DelegatePermissions.json"]) == 1
    out = capsys.readouterr().out
    assert "policies/broken.json:3:1: error IG001" in out  # re-checked
    assert "error IG502" in out  # judged with the boundaries of the commit


def test_a_subproject_is_judged_with_its_own_config_and_shown_from_the_repository_root(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sub = write_project(repo / "team-b")
    (sub / "iamgate.yaml").write_text("lint:\n  rules:\n    IG001: warning\n", encoding="utf-8")
    (sub / "policies" / "broken.json").write_text(BROKEN, encoding="utf-8")
    assert lint_hook.main(["team-b/policies/broken.json"]) == 0  # a warning does not fail
    assert "team-b/policies/broken.json:3:1: warning IG001" in capsys.readouterr().out
    assert lint_hook.main(["--fail-on", "warning", "team-b/policies/broken.json"]) == 1
    # The repository's own project still treats it as an error.
    Path("policies/broken.json").write_text(BROKEN, encoding="utf-8")
    assert lint_hook.main(["policies/broken.json"]) == 1


def test_a_broken_config_is_one_message_and_exit_2(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("iamgate.yaml").write_text("lint:\n  fail-on: sometimes\n", encoding="utf-8")
    assert lint_hook.main(["policies/DelegatePermissions.json"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("iamgate: error: ") and "iamgate.yaml:2" in err


def test_a_commit_without_policies_returns_before_loading_the_engine(tmp_path: Path) -> None:
    # The hook always runs (to see deleted boundaries): on an unrelated commit it must cost
    # no more than starting Python.
    code = (
        "import sys; from iamgate.hooks.lint import main; rc = main([]); "
        "print(rc, sorted(m for m in sys.modules if m in "
        "('iamgate.lint', 'iamgate.rules', 'jsonschema', 'ruamel.yaml')))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=60,
    )
    assert done.stdout.strip() == "0 []"


def test_deleting_the_approved_boundary_fails_the_delegation_policy_that_names_it(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    git(repo, "rm", "-q", "boundaries/S3AccessBoundary.json")
    assert lint_hook.main([]) == 1
    out = capsys.readouterr().out
    assert re.search(
        r"^policies/DelegatePermissions\.json:\d+:\d+: error IG502 .*S3AccessBoundary",
        out,
        re.MULTILINE,
    )


def test_a_boundary_left_out_of_the_commit_is_not_approved(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The developer wrote a new boundary and pointed the delegation policy at it, but staged
    # only the policy: the commit would name a boundary the repository does not have.
    Path("boundaries/LogsBoundary.json").write_text(template("S3AccessBoundary.json"))
    policy = Path("policies/DelegatePermissions.json")
    policy.write_text(
        policy.read_text().replace('policy/S3AccessBoundary"', 'policy/LogsBoundary"')
    )
    git(repo, "add", str(policy))
    assert lint_hook.main([str(policy)]) == 1
    assert re.search(r"error IG502 .*LogsBoundary", capsys.readouterr().out)
    git(repo, "add", "boundaries/LogsBoundary.json")
    assert lint_hook.main([str(policy)]) == 0, capsys.readouterr().out


def test_an_engine_bug_fails_the_commit_with_one_line_not_a_traceback(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import iamgate.lint

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("boom")

    monkeypatch.setattr(iamgate.lint, "lint_paths", broken)
    monkeypatch.delenv("IAMGATE_DEBUG", raising=False)
    assert lint_hook.main(["policies/DelegatePermissions.json"]) == 2
    assert capsys.readouterr().err == (
        "iamgate: internal error: KeyError: 'boom' (set IAMGATE_DEBUG=1 for the traceback "
        "and report it)\n"
    )
