"""Lint throughput on a large real corpus: the AWS managed policies (moto ships them).

Prints policies/second for `iamgate lint` (as a whole process, every rule on),
for parliament on the same files in the same run, and for a bare `json.load` of
the same files, which is the floor.

    python bench/bench_throughput.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _corpus import write_managed_policies


def timed(command: list[str], cwd: Path) -> tuple[float, int]:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    return time.perf_counter() - start, done.returncode


def floor(paths: list[Path]) -> float:
    start = time.perf_counter()
    for path in paths:
        with path.open("rb") as handle:
            json.load(handle)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--foundation",
        action="store_true",
        help="grammar and catalog rules only (the security rules IG3xx-IG6xx off)",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="iamgate-bench-"))
    try:
        corpus = work / "policies"
        paths = write_managed_policies(corpus)
        config = "lint:\n  fail-on: error\n"
        if args.foundation:
            from iamgate.rules import all_rules

            security = [r for r in all_rules() if r[:3] in ("IG3", "IG4", "IG5", "IG6")]
            config += "  rules:\n" + "".join(f"    {r}: off\n" for r in security)
        (work / "iamgate.yaml").write_text(config)
        n = len(paths)
        results: dict[str, list[float]] = {"iamgate lint": [], "parliament": [], "json.load": []}
        parliament = shutil.which("parliament")
        for _ in range(args.runs):
            seconds, _code = timed(
                [
                    sys.executable,
                    "-m",
                    "iamgate",
                    "lint",
                    "--format",
                    "json",
                    "--output",
                    str(work / "out.json"),
                    str(corpus),
                ],
                work,
            )
            results["iamgate lint"].append(seconds)
            if parliament:
                seconds, _code = timed(
                    [
                        parliament,
                        "--directory",
                        str(corpus),
                        "--include_policy_extension",
                        ".json",
                        "--json",
                    ],
                    work,
                )
                results["parliament"].append(seconds)
            results["json.load"].append(floor(paths))
        report = json.loads((work / "out.json").read_text())
        print(
            f"corpus: {n} AWS managed policies (from moto); rules: "
            f"{'grammar and catalog only' if args.foundation else 'all'}"
        )
        print(f"iamgate findings on the corpus: {report['summary']}")
        print(f"{'tool':<14} {'median s':>9} {'policies/s':>11}")
        medians = {}
        for tool, samples in results.items():
            if not samples:
                print(f"{tool:<14} {'not installed':>21}")
                continue
            medians[tool] = statistics.median(samples)
            print(f"{tool:<14} {medians[tool]:>9.3f} {n / medians[tool]:>11.0f}")
        if "parliament" in medians:
            print(
                f"iamgate is {medians['parliament'] / medians['iamgate lint']:.1f}x "
                "parliament's speed"
            )
        print(
            f"iamgate is {medians['iamgate lint'] / medians['json.load']:.1f}x the json.load floor"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
