"""Peak memory of `iamgate lint` as the corpus grows: the AWS managed policies, copied N times.

Prints the whole process's peak RSS (the children's too when workers are forked) for one
worker and for the default, at 1x and 4x the managed corpus (about 1,580 and 6,330 files).

    python bench/bench_memory.py [--copies 1,4] [--jobs 1,default]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _corpus import write_managed_policies


def peak_rss_mib(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, int]:
    """(peak RSS MiB of the largest process, wall s, exit code) via a fresh `python -c` parent,
    so RUSAGE_CHILDREN sees this command alone."""
    probe = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "
        "time.perf_counter() - t, code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, *command], cwd=cwd, env=env, capture_output=True, text=True
    )
    kib, wall, code = done.stdout.split()
    return int(kib) / 1024, float(wall), int(code)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", default="1,4")
    parser.add_argument("--jobs", default="1,default")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="iamgate-mem-"))
    try:
        (work / "iamgate.yaml").write_text("lint:\n  fail-on: error\n")
        base = write_managed_policies(work / "policies" / "copy-0")
        for copies in (int(c) for c in args.copies.split(",")):
            for n in range(1, copies):
                target = work / "policies" / f"copy-{n}"
                if not target.exists():
                    shutil.copytree(work / "policies" / "copy-0", target)
            folders = [str(work / "policies" / f"copy-{n}") for n in range(copies)]
            for jobs in args.jobs.split(","):
                env = {k: v for k, v in os.environ.items() if k != "IAMGATE_JOBS"}
                if jobs != "default":
                    env["IAMGATE_JOBS"] = jobs
                command = [sys.executable, "-m", "iamgate", "lint", "--no-cache", *folders]
                if not _has_no_cache():
                    command.remove("--no-cache")
                for _ in range(args.runs):
                    mib, wall, code = peak_rss_mib(command, work, env)
                    print(
                        f"files {len(base) * copies:>6}  jobs {jobs:>7}  peak RSS {mib:6.1f} MiB"
                        f"  wall {wall:6.2f} s  exit {code}"
                    )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _has_no_cache() -> bool:
    from iamgate.commands import lint as lint_cli

    return "--no-cache" in Path(lint_cli.__file__).read_text()


if __name__ == "__main__":
    start = time.perf_counter()
    sys.exit(main())
