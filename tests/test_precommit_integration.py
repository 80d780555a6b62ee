"""The hooks as their users get them: real git, real pre-commit, a consumer repository.

The hook repository is a git copy of this working tree (the tests must judge the code as it
is, committed or not), tagged as this release and consumed with `repo: <path>` and
`rev: v<version>` like any remote hook repository. pre-commit builds the hook's Python
environment once per test session (a shared PRE_COMMIT_HOME); that build installs iamgate's
dependencies from the package index.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from iamgate import __version__
from iamgate.fmt import format_policy

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parent.parent
NOT_COPIED = shutil.ignore_patterns(
    ".git",
    ".venv",
    "__pycache__",
    "*.egg-info",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    "build",
    "dist",
    "out",
)
DELEGATION = "policies/DelegatePermissions.json"
BOUNDARY = "boundaries/S3AccessBoundary.json"
TIMEOUT = 600  # the first run builds the hook environment


@pytest.fixture(scope="session")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of every command: git isolated from the machine's configuration, and
    pre-commit's store in a temporary folder shared by the whole session."""
    home = tmp_path_factory.mktemp("pre-commit-env")
    gitconfig = home / "gitconfig"
    gitconfig.write_text(
        "[init]\n\tdefaultBranch = main\n[user]\n\tname = iamgate tests\n"
        "\temail = tests@iamgate.invalid\n[commit]\n\tgpgsign = false\n",
        encoding="utf-8",
    )
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GIT_", "PRE_COMMIT", "IAMGATE_"))
        and k not in ("SKIP", "NO_COLOR", "FORCE_COLOR")
    }
    environment.update(
        GIT_CONFIG_GLOBAL=str(gitconfig),
        GIT_CONFIG_NOSYSTEM="1",
        PRE_COMMIT_HOME=str(home / "store"),
        PRE_COMMIT_COLOR="never",
    )
    return environment


def run(
    args: list[str], cwd: Path, env: dict[str, str], check: bool = True
) -> subprocess.CompletedProcess[str]:
    # stderr joins stdout: git prints a hook's output on stderr, pre-commit on stdout.
    done = subprocess.run(
        args,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {done.returncode}:\n{done.stdout}")
    return done


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]) -> tuple[Path, str]:
    """A git repository holding a copy of this working tree, tagged as this release the way
    the release workflow tags it: (path, commit)."""
    path = tmp_path_factory.mktemp("hooks") / "iamgate"
    shutil.copytree(REPO, path, ignore=NOT_COPIED)
    run(["git", "init", "-q"], path, env)
    run(["git", "add", "-A"], path, env)
    run(["git", "commit", "-q", "--no-verify", "-m", "snapshot"], path, env)
    run(["git", "tag", f"v{__version__}"], path, env)
    return path, run(["git", "rev-parse", "HEAD"], path, env).stdout.strip()


@dataclass
class Consumer:
    path: Path
    env: dict[str, str]

    def git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run(["git", *args], self.path, self.env, check=check)

    def pre_commit(self, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
        return run([sys.executable, "-m", "pre_commit", *args], self.path, self.env, check=check)

    def commit(self, message: str) -> subprocess.CompletedProcess[str]:
        """`git commit` through the installed hook."""
        return self.git("commit", "-m", message, check=False)

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").stdout.strip()

    def file(self, relative: str) -> Path:
        return self.path / relative


@pytest.fixture(scope="session")
def hook_environment(
    tmp_path_factory: pytest.TempPathFactory, hook_repo: tuple[Path, str], env: dict[str, str]
) -> None:
    """Build the hook environment once: every consumer below reuses it from the store."""
    warm = tmp_path_factory.mktemp("warm-up")
    _new_consumer(warm, hook_repo, env).pre_commit("install-hooks", check=True)


def _new_consumer(path: Path, hook_repo: tuple[Path, str], env: dict[str, str]) -> Consumer:
    # Pinned by tag, as `iamgate init` writes it: only the repository URL is replaced.
    repo_path, _ = hook_repo
    consumer = Consumer(path, env)
    consumer.git("init", "-q")
    run([sys.executable, "-m", "iamgate", "init", "--hooks-repo", str(repo_path)], path, env)
    config = consumer.file(".pre-commit-config.yaml").read_text(encoding="utf-8")
    assert f"rev: v{__version__}\n" in config
    return consumer


@pytest.fixture
def consumer(
    tmp_path: Path, hook_repo: tuple[Path, str], hook_environment: None, env: dict[str, str]
) -> Iterator[Consumer]:
    """A repository made by `iamgate init` with the hooks installed; its first commit has
    gone through them."""
    path = tmp_path / "consumer"
    path.mkdir()
    consumer = _new_consumer(path, hook_repo, env)
    consumer.pre_commit("install", check=True)
    consumer.git("add", "-A")
    first = consumer.commit("iamgate init")
    assert first.returncode == 0, first.stdout
    assert re.search(r"iamgate lint.*Passed", first.stdout)
    yield consumer


def _located(output: str, relative: str, rule: str) -> tuple[int, int]:
    match = re.search(rf"^{re.escape(relative)}:(\d+):(\d+): error {rule} ", output, re.MULTILINE)
    assert match, f"no located {rule} finding for {relative} in:\n{output}"
    return int(match.group(1)), int(match.group(2))


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_a_delegation_policy_with_an_ifexists_boundary_condition_is_refused(
    consumer: Consumer,
) -> None:
    policy = consumer.file(DELEGATION)
    policy.write_text(policy.read_text().replace('"StringEquals"', '"StringEqualsIfExists"'))
    consumer.git("add", DELEGATION)
    before = consumer.head()
    done = consumer.commit("let roles be created without the boundary")
    assert done.returncode != 0
    assert re.search(r"iamgate lint.*Failed", done.stdout)
    line, _ = _located(done.stdout, DELEGATION, "IG301")
    # The finding points at the weakened condition.
    assert line in (_line_of(policy, "StringEqualsIfExists"), _line_of(policy, "iam:Permissions"))
    assert "iam:CreateRole" in done.stdout  # the request that would get through
    assert consumer.head() == before


def test_a_safe_change_to_the_delegation_policy_is_accepted(consumer: Consumer) -> None:
    policy = consumer.file(DELEGATION)
    policy.write_text(
        policy.read_text()
        .replace('        "iam:UntagPolicy"\n', "")
        .replace('"iam:TagPolicy",', '"iam:TagPolicy"')
    )
    consumer.git("add", DELEGATION)
    before = consumer.head()
    done = consumer.commit("delegates no longer untag policies")
    assert done.returncode == 0, done.stdout
    assert re.search(r"iamgate fmt.*Passed", done.stdout)
    assert re.search(r"iamgate lint.*Passed", done.stdout)
    assert consumer.head() != before


def test_iamgate_fmt_fixes_a_badly_indented_file_and_the_second_run_is_clean(
    consumer: Consumer,
) -> None:
    relative = "policies/service-queue-reader.json"
    messy = (
        '{"Statement": [\n{ "Effect":"Allow",\n"Resource": "arn:aws:sqs:*:*:service-*",'
        '   "Action": ["sqs:ReceiveMessage",\n     "sqs:DeleteMessage"]}],\n'
        '    "Version": "2012-10-17"}'
    )
    consumer.file(relative).write_text(messy)
    consumer.git("add", relative)
    done = consumer.commit("a queue reader")
    assert done.returncode != 0
    assert f"Fixing {relative}" in done.stdout
    assert "files were modified by this hook" in done.stdout
    assert consumer.file(relative).read_text() == format_policy(messy)
    consumer.git("add", relative)
    again = consumer.commit("a queue reader")
    assert again.returncode == 0, again.stdout
    assert re.search(r"iamgate fmt.*Passed", again.stdout)


def test_deleting_the_approved_boundary_is_refused_for_the_policy_that_names_it(
    consumer: Consumer,
) -> None:
    consumer.git("rm", "-q", BOUNDARY)
    before = consumer.head()
    done = consumer.commit("drop the boundary")
    assert done.returncode != 0
    assert f"{BOUNDARY} deleted: re-checking the 1 identity and boundary policy" in done.stdout
    line, _ = _located(done.stdout, DELEGATION, "IG502")
    assert line == _line_of(consumer.file(DELEGATION), "policy/S3AccessBoundary")
    assert consumer.head() == before


def test_a_boundary_deleted_in_a_pushed_range_is_caught_by_the_ref_range_run(
    consumer: Consumer,
) -> None:
    # CI runs `pre-commit run --from-ref A --to-ref B`: the deletion is in the range, not
    # staged, and the commit bypassed the hooks.
    base = consumer.head()
    consumer.git("rm", "-q", BOUNDARY)
    consumer.git("commit", "-q", "--no-verify", "-m", "drop the boundary, skipping hooks")
    done = consumer.pre_commit("run", "--from-ref", base, "--to-ref", "HEAD")
    assert done.returncode != 0
    _located(done.stdout, DELEGATION, "IG502")


def test_try_repo_runs_the_lint_hook_from_the_hook_repository(
    consumer: Consumer, hook_repo: tuple[Path, str]
) -> None:
    repo_path, _ = hook_repo
    clean = consumer.pre_commit("try-repo", str(repo_path), "iamgate-lint", "--files", DELEGATION)
    assert clean.returncode == 0, clean.stdout
    assert re.search(r"iamgate lint.*Passed", clean.stdout)
    policy = consumer.file(DELEGATION)
    policy.write_text(policy.read_text().replace('"Effect": "Allow"', '"Effect": "allow"', 1))
    broken = consumer.pre_commit("try-repo", str(repo_path), "iamgate-lint", "--files", DELEGATION)
    assert broken.returncode == 1
    assert re.search(rf"^{re.escape(DELEGATION)}:\d+:\d+: error IG1\d\d ", broken.stdout, re.M)


def test_this_repository_passes_its_own_iamgate_hooks(
    tmp_path: Path, hook_repo: tuple[Path, str], env: dict[str, str]
) -> None:
    # .pre-commit-config.yaml runs iamgate's hooks as `language: system`: the iamgate
    # installed beside this Python, as after `pip install -e .`.
    clone = tmp_path / "iamgate"
    run(["git", "clone", "-q", str(hook_repo[0]), str(clone)], tmp_path, env)
    local = dict(env, PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}")
    for hook in ("iamgate-fmt", "iamgate-lint"):
        done = run(
            [sys.executable, "-m", "pre_commit", "run", hook, "--all-files"],
            clone,
            local,
            check=False,
        )
        assert done.returncode == 0, done.stdout
        assert re.search(rf"{hook.replace('-', ' ')}\.+Passed", done.stdout), done.stdout


def test_a_commit_without_policy_files_is_silent_and_green(consumer: Consumer) -> None:
    # lint always runs (to see a deleted boundary) but has nothing to judge here: no
    # "nothing to lint" error, no output at all, as pre-commit users expect of a hook.
    consumer.file("README.md").write_text("# a repository that also holds policies\n")
    consumer.file("notes").mkdir()
    consumer.file("notes/config.json").write_text('{"not": "a policy"}\n')
    consumer.git("add", "README.md", "notes/config.json")
    before = consumer.head()
    done = consumer.commit("docs only")
    assert done.returncode == 0, done.stdout
    assert consumer.head() != before
    assert re.search(r"iamgate fmt.*\(no files to check\)Skipped", done.stdout)
    assert re.search(r"iamgate lint.*Passed", done.stdout)
    hook_lines = [line for line in done.stdout.splitlines() if "iamgate:" in line]
    assert hook_lines == [], done.stdout
    ran = consumer.pre_commit("run", "iamgate-lint", "--files", "README.md", "notes/config.json")
    assert ran.returncode == 0 and "iamgate:" not in ran.stdout
