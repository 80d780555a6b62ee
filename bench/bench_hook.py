"""Hook latency: what a developer waits for when committing 3 policies.

For projects of 20, 200 and 2,000 policies (service policies + the delegation policy + a
boundary, in a temporary git repository) this measures, median of several runs after one
warm-up (the hook environment already built):

* `pre-commit run --files <3 policies>` with the consumer's config (iamgate-fmt + iamgate-lint),
* `pre-commit run iamgate-lint --files <3 policies>` (the lint hook alone),
* the hook's entry point run directly from pre-commit's environment (no pre-commit around it),
* `iamgate lint <3 policies>` (the installed command),
* pre-commit's own floor: `pre-commit run --files` with one do-nothing hook,
* a staged boundary deletion, the hook's first run after it: with the result cache warm from
  before the deletion (only what depends on the boundary is proved again) and with
  --no-cache (every identity policy proved again).

The hook repository is a git copy of this working tree at bench/out/hook-repo, committed with
fixed dates so that an unchanged tree keeps its commit and pre-commit's store
(bench/out/pre-commit-home) keeps the built environment between runs.

    python bench/bench_hook.py [--sizes 20,200,2000] [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out"
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
FIXED_DATE = "2025-01-01T00:00:00+00:00"

# Real actions and the ARN each one acts on (`{n}` is the policy's number).
SERVICES = {
    "s3": (["s3:GetObject", "s3:PutObject", "s3:ListBucket"], "arn:aws:s3:::service-bucket-{n}/*"),
    "logs": (
        ["logs:CreateLogStream", "logs:PutLogEvents"],
        "arn:aws:logs:*:${{aws:PrincipalAccount}}:log-group:/app/service-{n}:*",
    ),
    "sqs": (
        ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage"],
        "arn:aws:sqs:*:${{aws:PrincipalAccount}}:service-queue-{n}",
    ),
    "dynamodb": (
        ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
        "arn:aws:dynamodb:*:${{aws:PrincipalAccount}}:table/service-table-{n}",
    ),
    "sns": (["sns:Publish"], "arn:aws:sns:*:${{aws:PrincipalAccount}}:service-topic-{n}"),
    "ssm": (
        ["ssm:GetParameter", "ssm:GetParameters"],
        "arn:aws:ssm:*:${{aws:PrincipalAccount}}:parameter/service-{n}/*",
    ),
    "secretsmanager": (
        ["secretsmanager:GetSecretValue"],
        "arn:aws:secretsmanager:*:${{aws:PrincipalAccount}}:secret:service-{n}-*",
    ),
}


def service_policy(n: int, rng: random.Random) -> str:
    from iamgate.fmt import format_policy

    statements = []
    for service in rng.sample(sorted(SERVICES), rng.randint(1, 3)):
        actions, arn = SERVICES[service]
        statements.append(
            {
                "Sid": f"{service.capitalize()}Access",
                "Effect": "Allow",
                "Action": rng.sample(actions, rng.randint(1, len(actions))),
                "Resource": arn.format(n=n),
            }
        )
    return format_policy(json.dumps({"Version": "2012-10-17", "Statement": statements}))


def sh(args: list[str], cwd: Path, env: dict[str, str], check: bool = True) -> str:
    done = subprocess.run(
        args,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    if check and done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}")
    return done.stdout


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))}
    gitconfig = OUT / "gitconfig"
    gitconfig.write_text(
        "[init]\n\tdefaultBranch = main\n[user]\n\tname = bench\n\temail = bench@iamgate.invalid\n"
    )
    env.update(
        GIT_CONFIG_GLOBAL=str(gitconfig),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_DATE=FIXED_DATE,
        GIT_COMMITTER_DATE=FIXED_DATE,
        PRE_COMMIT_HOME=str(OUT / "pre-commit-home"),
        PRE_COMMIT_COLOR="never",
    )
    return env


def hook_repo(env: dict[str, str]) -> tuple[Path, str]:
    path = OUT / "hook-repo"
    if path.exists():
        shutil.rmtree(path)
    shutil.copytree(REPO, path, ignore=NOT_COPIED)
    sh(["git", "init", "-q"], path, env)
    sh(["git", "add", "-A"], path, env)
    sh(["git", "commit", "-q", "--no-verify", "-m", "bench snapshot"], path, env)
    return path, sh(["git", "rev-parse", "HEAD"], path, env).strip()


def hook_entry(env: dict[str, str], repo: tuple[Path, str]) -> Path:
    """The lint hook's console script in the environment pre-commit built for ``repo``."""
    import sqlite3

    store = Path(env["PRE_COMMIT_HOME"])
    with sqlite3.connect(store / "db.db") as db:
        row = db.execute(
            "SELECT path FROM repos WHERE repo = ? AND ref = ?", (str(repo[0]), repo[1])
        ).fetchone()
    return next(Path(row[0]).glob("py_env-*/bin/iamgate-hook-lint"))


def make_project(root: Path, size: int, repo: tuple[Path, str], env: dict[str, str]) -> list[str]:
    """A committed project of ``size`` policies; returns the 3 policies to commit."""
    from iamgate.commands.init import PROJECT_FILES, template

    sh(["git", "init", "-q"], root, env)
    for relative, name in PROJECT_FILES.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(template(name))
    rng = random.Random(size)
    for n in range(size - 1):  # plus the delegation policy
        (root / "policies" / f"service-app-{n:04d}.json").write_text(service_policy(n, rng))
    path, sha = repo
    (root / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {path}\n    rev: {sha}\n    hooks:\n"
        "      - id: iamgate-fmt\n      - id: iamgate-lint\n"
    )
    (root / "floor.yaml").write_text(
        "repos:\n  - repo: local\n    hooks:\n      - id: floor\n        name: floor\n"
        "        entry: 'true'\n        language: system\n        files: \\.json$\n"
    )
    sh(["git", "add", "-A"], root, env)
    sh(["git", "commit", "-q", "--no-verify", "-m", "project"], root, env)
    committed = [f"policies/service-app-{n:04d}.json" for n in (1, size // 2, size - 2)]
    for relative in committed:  # an edit, staged, as in a real commit
        policy = root / relative
        policy.write_text(policy.read_text().replace('"Sid": "', '"Sid": "Edited', 1))
    sh(["git", "add", *committed], root, env)
    return committed


def median_ms(args: list[str], cwd: Path, env: dict[str, str], runs: int) -> float:
    sh(args, cwd, env, check=False)  # warm-up: environment built, caches hot
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(args, cwd=cwd, env=env, capture_output=True, check=False)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


BOUNDARY = "boundaries/S3AccessBoundary.json"


def boundary_deleted(root: Path, env: dict[str, str], hook: list[str], runs: int) -> float:
    """The hook's first run after a boundary's deletion is staged, with the result cache
    filled while the boundary was there: what depends on the boundary is proved again
    (with --no-cache: every identity policy)."""
    times = []
    for _ in range(runs):
        sh(["git", "add", BOUNDARY], root, env)
        sh(hook, root, env, check=False)  # the cache now holds the state with the boundary
        sh(["git", "rm", "-q", "--cached", BOUNDARY], root, env)
        start = time.perf_counter()
        subprocess.run(hook, cwd=root, env=env, capture_output=True, check=False)
        times.append((time.perf_counter() - start) * 1000)
    sh(["git", "add", BOUNDARY], root, env)
    return statistics.median(times)


def cache_option(entry: Path) -> bool:
    done = subprocess.run([str(entry), "--help"], capture_output=True, text=True, check=False)
    return "--no-cache" in done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20,200,2000")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    env = environment()
    repo = hook_repo(env)
    # Drop the environments of earlier snapshots (their configs lived in deleted folders).
    sh([sys.executable, "-m", "pre_commit", "gc"], OUT, env, check=False)
    pre_commit = [sys.executable, "-m", "pre_commit"]
    iamgate = shutil.which("iamgate") or "iamgate"
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory(prefix=f"iamgate-bench-{size}-") as tmp:
            root = Path(tmp)
            files = make_project(root, size, repo, env)
            sh([*pre_commit, "install-hooks"], root, env)
            out = sh([*pre_commit, "run", "--files", *files], root, env, check=False)
            if "Failed" in out:
                raise SystemExit(f"the hooks fail on the synthetic project:\n{out}")
            entry = hook_entry(env, repo)
            row = {
                "policies": size,
                "pre-commit (fmt+lint)": median_ms(
                    [*pre_commit, "run", "--files", *files], root, env, args.runs
                ),
                "pre-commit lint only": median_ms(
                    [*pre_commit, "run", "iamgate-lint", "--files", *files], root, env, args.runs
                ),
                "hook entry direct": median_ms([str(entry), *files], root, env, args.runs),
                "iamgate lint": median_ms([iamgate, "lint", *files], root, env, args.runs),
                "pre-commit floor": median_ms(
                    [*pre_commit, "run", "-c", "floor.yaml", "--files", *files],
                    root,
                    env,
                    args.runs,
                ),
            }
            row["boundary deleted, cache warm"] = boundary_deleted(
                root, env, [str(entry)], max(3, args.runs // 2)
            )
            if cache_option(entry):
                row["boundary deleted, --no-cache"] = boundary_deleted(
                    root, env, [str(entry), "--no-cache"], max(3, args.runs // 2)
                )
            rows.append(row)
    python_floor = median_ms([sys.executable, "-c", "pass"], REPO, env, args.runs)
    columns = list(rows[0])
    print(f"hook latency, median ms of {args.runs} runs after a warm-up, 3 policies committed")
    print(f"hook repository {repo[0]} @ {repo[1][:12]}; python -c pass: {python_floor:.0f} ms")
    print(" | ".join(f"{c:>{max(len(c), 8)}}" for c in columns))
    for row in rows:
        print(
            " | ".join(
                f"{row[c]:>{max(len(c), 8)}.0f}"
                if isinstance(row[c], float)
                else f"{row[c]:>{max(len(c), 8)}}"
                for c in columns
            )
        )


if __name__ == "__main__":
    main()
