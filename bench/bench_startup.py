"""Start-up cost: `iamgate lint` on three small policies as a whole process.

Prints the median wall time over several runs, and its ratio to `python -c pass`.

    python bench/bench_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def median_ms(command: list[str], cwd: Path, runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, capture_output=True)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="iamgate-start-"))
    try:
        for folder in ("policies", "boundaries"):
            shutil.copytree(ROOT / folder, work / folder)
        shutil.copy(ROOT / "iamgate.yaml", work / "iamgate.yaml")
        files = sorted(str(p.relative_to(work)) for p in (work / "policies").glob("*.json"))[:2]
        files.append("boundaries/S3AccessBoundary.json")
        median_ms([sys.executable, "-c", "pass"], work, 3)  # warm the page cache
        bare = median_ms([sys.executable, "-c", "pass"], work, args.runs)
        lint = median_ms([sys.executable, "-m", "iamgate", "lint", *files], work, args.runs)
        print(f"files: {', '.join(files)}")
        print(f"python -c pass     median {bare:7.1f} ms")
        print(f"iamgate lint (3)   median {lint:7.1f} ms   ratio {lint / bare:.1f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
