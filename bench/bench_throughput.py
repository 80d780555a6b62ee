"""Lint throughput on a large real corpus: the AWS managed policies (moto ships them).

Every tool runs as a whole process on the same machine in the same run, each on the files
it can finish: a peer that crashes on some policies is first screened file by file (not
timed), told how many it could not finish, and then timed on the rest, so no figure comes
from a run that stopped early. Printed per tool: files, failures, median wall and CPU
seconds (the process and its children: on a loaded machine CPU is the steadier figure),
policies per second of each, and iamgate's lead in wall time and in CPU time.

* iamgate lint, every rule on: cold (--no-cache) with the default workers and with one;
  a first run into an empty result cache (the cost of writing it); a warm-cache run
  (nothing changed: every file's findings reused).
* parliament (its CLI on a folder), cloudsplaining (`scan_policy` on each file in one
  process: its CLI takes one file per process), each if installed.
* a bare `json.load` of the same files: the floor.

    python bench/bench_throughput.py [--runs 3] [--foundation] [--parliament-python PY]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _corpus import write_managed_policies

# Run by a peer's own interpreter: which files does it fail on? Prints their names as JSON.
SCREEN = {
    "parliament": (
        "import json, sys, pathlib\n"
        "from parliament import analyze_policy_string\n"
        "bad = []\n"
        "for p in sorted(pathlib.Path(sys.argv[1]).glob('*.json')):\n"
        "    try:\n"
        "        analyze_policy_string(p.read_text())\n"
        "    except Exception as exc:\n"
        "        bad.append([p.name, f'{type(exc).__name__}: {exc}'[:120]])\n"
        "print(json.dumps(bad))\n"
    ),
    "cloudsplaining": (
        "import json, sys, pathlib, logging\n"
        "logging.disable(logging.CRITICAL)\n"
        "from cloudsplaining.command.scan_policy_file import scan_policy\n"
        "bad = []\n"
        "for p in sorted(pathlib.Path(sys.argv[1]).glob('*.json')):\n"
        "    try:\n"
        "        scan_policy(json.loads(p.read_text()))\n"
        "    except Exception as exc:\n"
        "        bad.append([p.name, f'{type(exc).__name__}: {exc}'[:120]])\n"
        "print(json.dumps(bad))\n"
    ),
}
# cloudsplaining's scan of a folder in one process, as a library user runs it.
CLOUDSPLAINING_RUN = (
    "import json, sys, pathlib, logging\n"
    "logging.disable(logging.CRITICAL)\n"
    "from cloudsplaining.command.scan_policy_file import scan_policy\n"
    "for p in sorted(pathlib.Path(sys.argv[1]).glob('*.json')):\n"
    "    scan_policy(json.loads(p.read_text()))\n"
)


@dataclass
class Tool:
    name: str
    files: int
    failed: int = 0
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    note: str = ""

    def per_second(self, samples: list[float]) -> float:
        return self.files / statistics.median(samples)


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, float]:
    """(wall s, CPU s of the process and its children); a failing run stops the bench."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1) or "Traceback" in done.stderr:
        raise SystemExit(f"{' '.join(command[:3])}... failed ({done.returncode}):\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def floor(paths: list[Path]) -> tuple[float, float]:
    cpu = time.process_time()
    start = time.perf_counter()
    for path in paths:
        with path.open("rb") as handle:
            json.load(handle)
    return time.perf_counter() - start, time.process_time() - cpu


def finishable(
    peer: str, corpus: Path, work: Path, python: str = sys.executable
) -> tuple[Path, list[list[str]]]:
    """A folder with the files ``peer`` finishes, and the ones it fails on (name, error)."""
    done = subprocess.run([python, "-c", SCREEN[peer], str(corpus)], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"screening {peer} failed:\n{done.stderr}")
    bad = json.loads(done.stdout.strip().splitlines()[-1])
    folder = work / f"{peer}-finishes"
    folder.mkdir()
    skipped = {name for name, _ in bad}
    for path in corpus.glob("*.json"):
        if path.name not in skipped:
            shutil.copy(path, folder / path.name)
    return folder, bad


def installed(module: str) -> bool:
    from importlib.util import find_spec

    return find_spec(module) is not None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--foundation",
        action="store_true",
        help="grammar and catalog rules only (the security rules IG3xx-IG6xx off)",
    )
    parser.add_argument(
        "--parliament-python",
        help="the interpreter that has parliament installed (default: this one)",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="iamgate-bench-"))
    try:
        corpus = work / "policies"
        paths = write_managed_policies(corpus)
        n = len(paths)
        config = "lint:\n  fail-on: error\n"
        if args.foundation:
            from iamgate.rules import all_rules

            security = [r for r in all_rules() if r[:3] in ("IG3", "IG4", "IG5", "IG6")]
            config += "  rules:\n" + "".join(f"    {r}: off\n" for r in security)
        (work / "iamgate.yaml").write_text(config)
        lint = [sys.executable, "-m", "iamgate", "lint", "--format", "json"]
        out = ["--output", str(work / "out.json"), str(corpus)]
        one = {**os.environ, "IAMGATE_JOBS": "1"}
        many = {k: v for k, v in os.environ.items() if k != "IAMGATE_JOBS"}
        # A release before the result cache has no --no-cache: it is always cold.
        cached = (
            "--no-cache" in subprocess.run([*lint, "--help"], capture_output=True).stdout.decode()
        )
        cold = [*lint, *(["--no-cache"] if cached else []), *out]
        tools: dict[str, tuple[Tool, list[str], dict[str, str] | None, Path]] = {
            "iamgate (workers, cold)": (Tool("iamgate", n), cold, many, work),
            "iamgate (1 worker, cold)": (Tool("iamgate", n), cold, one, work),
        }
        empty = Tool("iamgate", n)
        warm = Tool("iamgate", n)
        peers: list[tuple[str, Tool, list[str]]] = []
        if args.parliament_python or installed("parliament"):
            # parliament 1.6.4 imports pkg_resources, which setuptools 81+ no longer ships: it
            # may live in a virtualenv of its own (--parliament-python).
            python = args.parliament_python or sys.executable
            folder, bad = finishable("parliament", corpus, work, python)
            tool = Tool("parliament", n - len(bad), len(bad), note=_first(bad))
            command = [
                python,
                "-c",
                "from parliament.cli import cli; cli()",
                "--directory",
                str(folder),
                "--include_policy_extension",
                ".json",
                "--json",
            ]
            peers.append(("parliament", tool, command))
        if installed("cloudsplaining"):
            folder, bad = finishable("cloudsplaining", corpus, work)
            tool = Tool("cloudsplaining", n - len(bad), len(bad), note=_first(bad))
            peers.append(
                ("cloudsplaining", tool, [sys.executable, "-c", CLOUDSPLAINING_RUN, str(folder)])
            )
        floor_tool = Tool("json.load", n)
        for _ in range(args.runs):
            for tool, command, env, cwd in tools.values():
                wall, cpu = run(command, cwd, env)
                tool.wall.append(wall)
                tool.cpu.append(cpu)
            shutil.rmtree(work / ".iamgate_cache", ignore_errors=True)
            for tool in (
                (empty, warm) if cached else ()
            ):  # the first run writes the cache, the second reads it
                wall, cpu = run([*lint, *out], work, many)
                tool.wall.append(wall)
                tool.cpu.append(cpu)
            for _name, tool, command in peers:
                wall, cpu = run(command, work)
                tool.wall.append(wall)
                tool.cpu.append(cpu)
            wall, cpu = floor(paths)
            floor_tool.wall.append(wall)
            floor_tool.cpu.append(cpu)
        rows = {label: tool for label, (tool, _, _, _) in tools.items()}
        if cached:
            rows["iamgate (empty cache)"] = empty
            rows["iamgate (warm cache)"] = warm
        rows.update({name: tool for name, tool, _ in peers})
        rows["json.load floor"] = floor_tool
        report = json.loads((work / "out.json").read_text())
        _print(rows, args, n, report["summary"])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _first(bad: list[list[str]]) -> str:
    return f"e.g. {bad[0][0]}: {bad[0][1]}" if bad else ""


def _print(rows: dict[str, Tool], args: argparse.Namespace, n: int, summary: object) -> None:
    print(
        f"corpus: {n} AWS managed policies (from moto); rules: "
        f"{'grammar and catalog only' if args.foundation else 'all'}; "
        f"median of {args.runs} runs; {os.cpu_count()} CPUs; load average "
        f"{' '.join(f'{x:.1f}' for x in os.getloadavg())} at the end"
    )
    print(f"iamgate findings on the corpus: {summary}")
    base = rows["iamgate (workers, cold)"]
    header = (
        f"{'tool':<26} {'files':>5} {'failed':>6} {'wall s':>7} {'pol/s':>7} "
        f"{'CPU s':>7} {'pol/CPU-s':>9} {'iamgate lead wall':>17} {'CPU':>6}"
    )
    print(header)
    for label, tool in rows.items():
        wall_rate, cpu_rate = tool.per_second(tool.wall), tool.per_second(tool.cpu)
        lead = ""
        if tool is not base:
            lead = (
                f"{base.per_second(base.wall) / wall_rate:>16.1f}x "
                f"{base.per_second(base.cpu) / cpu_rate:>5.1f}x"
            )
        print(
            f"{label:<26} {tool.files:>5} {tool.failed:>6} {statistics.median(tool.wall):>7.3f} "
            f"{wall_rate:>7.0f} {statistics.median(tool.cpu):>7.3f} {cpu_rate:>9.0f} {lead}"
        )
    for label, tool in rows.items():
        if tool.failed:
            print(f"{label} could not finish {tool.failed} files ({tool.note}): timed without them")
    print("lead = the tool's seconds per policy / iamgate's (workers, cold): >1 iamgate faster")


if __name__ == "__main__":
    sys.exit(main())
