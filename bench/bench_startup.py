"""Start-up cost: `iamgate lint` on three small policies as a whole process.

Prints the median wall time over several runs, and its ratio to `python -c pass`: with the
result cache warm (what a developer's second commit pays) and without it (--no-cache:
every file proved, the configuration parsed). Runs alternate between the commands, so a
machine whose load changes during the bench skews them alike.

    python bench/bench_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def median_ms(
    commands: dict[str, list[str]], cwd: Path, runs: int, env: dict[str, str]
) -> dict[str, tuple[float, float]]:
    """name -> (median wall ms, median CPU ms): on a loaded machine CPU is the steadier."""
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(command, cwd=cwd, capture_output=True, env=env)
            wall = (time.perf_counter() - start) * 1000
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
            samples[name].append((wall, cpu))
    return {
        name: (statistics.median(w for w, _ in values), statistics.median(c for _, c in values))
        for name, values in samples.items()
    }


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
        lint = [sys.executable, "-m", "iamgate", "lint", *files]
        commands = {"python -c pass": [sys.executable, "-c", "pass"], "iamgate lint (3)": lint}
        help_text = subprocess.run([*lint[:4], "--help"], capture_output=True, text=True).stdout
        if "--no-cache" in help_text:
            commands["iamgate lint (3), warm cache"] = commands.pop("iamgate lint (3)")
            commands["iamgate lint (3), --no-cache"] = [*lint, "--no-cache"]
        median_ms(commands, work, 2, env)  # warm-up: bytecode written, result cache filled
        medians = median_ms(commands, work, args.runs, env)
        bare, bare_cpu = medians.pop("python -c pass")
        print(
            f"bytecode cache: {'off (--cold)' if args.cold else 'on'}; load average "
            f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} at the end"
        )
        print(f"files: {', '.join(files)}")
        print(f"{'python -c pass':<30} median {bare:7.1f} ms wall {bare_cpu:7.1f} ms CPU")
        for name, (value, cpu) in medians.items():
            print(
                f"{name:<30} median {value:7.1f} ms wall {cpu:7.1f} ms CPU   "
                f"ratio {value / bare:.1f}x wall {cpu / bare_cpu:.1f}x CPU"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
