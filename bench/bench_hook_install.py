"""What adopting the hooks costs: pre-commit's environment for iamgate, built from nothing.

For each git revision given (default: HEAD of this repository), a throwaway consumer
repository pins `repo: <this repository>` at that revision, and its first `git commit` (which
makes pre-commit build the hook environment: clone, `pip install` of iamgate and its
dependencies) is timed, wall clock and the CPU time of every process it ran. Then the size of
the built environment (`du -sh`), whether boto3 is in it, and a second commit's time.

Each run uses a fresh PRE_COMMIT_HOME, so nothing is reused between revisions except pip's
own download cache; the network and the machine's load weigh on the wall time, much less on
the CPU time. To compare before/after the deploy extra (boto3 out of the core install):

    python bench/bench_hook_install.py --revs 5b75bfd,HEAD [--runs 2]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
POLICY = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "s3:GetObject",
      "Resource": "arn:aws:s3:::example-bucket/*"
    }
  ]
}
"""


def _git(*args: str, cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(rev: str, work: Path) -> dict[str, str]:
    sha = _git("rev-parse", rev, cwd=REPO, env=dict(os.environ))
    home = work / "home"
    consumer = work / "consumer"
    (consumer / "policies").mkdir(parents=True)
    env = dict(os.environ, PRE_COMMIT_HOME=str(home), PRE_COMMIT_COLOR="never")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    _git("init", "-q", cwd=consumer, env=env)
    _git("config", "user.email", "bench@example.invalid", cwd=consumer, env=env)
    _git("config", "user.name", "bench", cwd=consumer, env=env)
    (consumer / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {REPO}\n    rev: {sha}\n    hooks:\n"
        "      - id: iamgate-fmt\n      - id: iamgate-lint\n",
        encoding="utf-8",
    )
    (consumer / "policies" / "service-read.json").write_text(POLICY, encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "pre_commit", "install"],
        cwd=consumer,
        env=env,
        check=True,
        capture_output=True,
    )
    _git("add", "-A", cwd=consumer, env=env)
    cpu, start = _children_cpu(), time.perf_counter()
    _git("commit", "-q", "-m", "first", cwd=consumer, env=env)
    first, first_cpu = time.perf_counter() - start, _children_cpu() - cpu
    [environment] = home.glob("repo*/py_env-*")
    size = subprocess.run(
        ["du", "-sh", str(environment)], capture_output=True, text=True, check=True
    ).stdout.split()[0]
    site = next(environment.glob("lib/python*/site-packages"))
    boto3 = "yes" if (site / "boto3").exists() or (site / "botocore").exists() else "no"
    (consumer / "README").write_text("x\n", encoding="utf-8")
    _git("add", "-A", cwd=consumer, env=env)
    start = time.perf_counter()
    _git("commit", "-q", "-m", "second", cwd=consumer, env=env)
    second = time.perf_counter() - start
    return {
        "rev": f"{rev} ({sha[:7]})",
        "env size": size,
        "boto3": boto3,
        "first commit": f"{first:.1f} s wall, {first_cpu:.1f} s CPU",
        "second commit": f"{second:.2f} s",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--revs", default="HEAD", help="comma-separated git revisions")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    for _ in range(args.runs):
        for rev in args.revs.split(","):
            work = Path(tempfile.mkdtemp(prefix="iamgate-hook-install-"))
            try:
                print("  ".join(f"{k}: {v}" for k, v in measure(rev, work).items()), flush=True)
            finally:
                shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
