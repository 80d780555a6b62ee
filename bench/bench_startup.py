"""Start-up cost: `iamgate lint` on three small policies as a whole process.

Prints the median wall time over several runs, and its ratio to `python -c pass`.

    python bench/bench_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def median_ms(command: list[str], cwd: Path, runs: int, env: dict[str, str]) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, capture_output=True, env=env)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument(
        "--cold", action="store_true", help="no bytecode cache: every import compiles"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="iamgate-start-"))
    try:
        for folder in ("policies", "boundaries"):
            shutil.copytree(ROOT / folder, work / folder)
        shutil.copy(ROOT / "iamgate.yaml", work / "iamgate.yaml")
        files = sorted(str(p.relative_to(work)) for p in (work / "policies").glob("*.json"))[:2]
        files.append("boundaries/S3AccessBoundary.json")
        # As installed for a user: bytecode is cached (a session may set
        # PYTHONDONTWRITEBYTECODE; a developer's machine does not). The first runs write it.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        if args.cold:
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        lint_command = [sys.executable, "-m", "iamgate", "lint", *files]
        median_ms([sys.executable, "-c", "pass"], work, 3, env)
        median_ms(lint_command, work, 2, env)
        bare = median_ms([sys.executable, "-c", "pass"], work, args.runs, env)
        lint = median_ms(lint_command, work, args.runs, env)
        print(f"bytecode cache: {'off (--cold)' if args.cold else 'on'}")
        print(f"files: {', '.join(files)}")
        print(f"python -c pass     median {bare:7.1f} ms")
        print(f"iamgate lint (3)   median {lint:7.1f} ms   ratio {lint / bare:.1f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
