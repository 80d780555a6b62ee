"""Proof that a speed-up changed no verdict: the whole lint's JSON report, byte for byte.

Runs `iamgate lint --no-cache --format json` with the code of a base revision (``--against``,
default ``main``: its ``iamgate/`` package taken with ``git archive``) and with the working
tree's code, on the same corpora, and compares the reports byte for byte (every finding's
rule, place, message, counterexample and statements):

* ``managed``: the AWS managed policies moto ships, with the throughput bench's configuration
  (no delegation settings);
* ``managed-delegated``: the same policies deployed to dev by the example project's
  configuration (prefix, approved boundary, SCPs, RCPs, two accounts): every proof runs;
* ``example``: the example project itself (policies, boundaries, SCPs, RCPs, pipeline roles);
* ``fixtures``: every policy fixture of tests/fixtures (security, ceiling, SCP, RCP, the
  red-team corpus) in one project with the example's delegation settings; ``ceilings``: every
  ceiling fixture as an approved boundary (IG503); and the seed-article project.

The working tree's code runs with one worker and with several (a fork judges a file as a
single process does); both runs use the same PYTHONHASHSEED. Exit status 0 when every report
is identical.

    python bench/verdicts_unchanged.py [--against main | --base-code DIR] [--keep DIR]
"""

from __future__ import annotations

import argparse
import difflib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _corpus import write_managed_policies

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


def corpora(work: Path) -> dict[str, Path]:
    """name -> project folder, each linted as a whole (its configured folders)."""
    out: dict[str, Path] = {}
    managed = work / "managed"
    write_managed_policies(managed / "policies")
    (managed / "iamgate.yaml").write_text("lint:\n  fail-on: error\n")
    out["managed"] = managed

    delegated = work / "managed-delegated"
    _example_project(delegated)
    write_managed_policies(delegated / "policies" / "dev")
    out["managed-delegated"] = delegated

    example = work / "example"
    _example_project(example)
    shutil.copytree(ROOT / "pipeline" / "iam", example / "pipeline" / "iam")
    out["example"] = example

    fixtures = work / "fixtures"
    _example_project(fixtures)
    for group in ("security", "ceiling"):
        for verdict in ("bad", "good"):
            target = fixtures / "policies" / "dev" / f"{group}-{verdict}"
            target.mkdir(parents=True)
            for path in sorted((FIXTURES / group / verdict).glob("*.json")):
                if path.name != "S3AccessBoundary.json":
                    shutil.copy(path, target / path.name)
    for kind in ("scp", "rcp"):
        for verdict in ("bad", "good"):
            for path in sorted((FIXTURES / kind / verdict).glob("*.json")):
                shutil.copy(path, fixtures / f"{kind}s" / f"fixture-{verdict}-{path.name}")
    # The red-team corpus, each family where the project reads it.
    for path in sorted((FIXTURES / "redteam").glob("*/*/*.json")):
        family, verdict = path.parent.parent.name, path.parent.name
        if family in ("scp", "rcp"):
            shutil.copy(path, fixtures / f"{family}s" / f"redteam-{verdict}-{path.name}")
        elif family != "ceiling":
            target = fixtures / "policies" / "dev" / f"redteam-{family}-{verdict}"
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target / path.name)
    out["fixtures"] = fixtures

    # Every ceiling fixture as an approved boundary of its own (IG503 judges each).
    ceilings = work / "ceilings"
    _example_project(ceilings)
    names = ["S3AccessBoundary"]
    for path in sorted(FIXTURES.glob("ceiling/*/*.json")) + sorted(
        FIXTURES.glob("redteam/ceiling/*/*.json")
    ):
        if path.name == "S3AccessBoundary.json":
            continue
        name = f"{path.parent.parent.name}-{path.parent.name}-{path.stem}"
        shutil.copy(path, ceilings / "boundaries" / f"{name}.json")
        names.append(name)
    config = (ceilings / "iamgate.yaml").read_text()
    listed = "boundaries: [" + ", ".join(names) + "]"
    (ceilings / "iamgate.yaml").write_text(config.replace("boundaries: [S3AccessBoundary]", listed))
    out["ceilings"] = ceilings
    seed = work / "seed-article"
    shutil.copytree(FIXTURES / "projects" / "seed-article", seed)
    out["seed-article"] = seed
    return out


def _example_project(folder: Path) -> None:
    for name in ("policies", "boundaries", "scps", "rcps"):
        shutil.copytree(ROOT / name, folder / name)
    shutil.copy(ROOT / "iamgate.yaml", folder / "iamgate.yaml")


def lint(code: Path, project: Path, jobs: str | None) -> bytes:
    env = {**os.environ, "PYTHONPATH": str(code), "PYTHONHASHSEED": "0"}
    env.pop("IAMGATE_JOBS", None)
    if jobs is not None:
        env["IAMGATE_JOBS"] = jobs
    command = [sys.executable, "-m", "iamgate", "lint", "--no-cache", "--format", "json"]
    done = subprocess.run(command, cwd=project, env=env, capture_output=True)
    if done.returncode not in (0, 1) or b"Traceback" in done.stderr:
        raise SystemExit(f"lint of {project.name} with {code} failed:\n{done.stderr.decode()}")
    return done.stdout


def base_code(revision: str, work: Path) -> Path:
    folder = work / f"code-{revision.replace('/', '_')}"
    folder.mkdir()
    archive = subprocess.run(
        ["git", "archive", revision, "iamgate"], cwd=ROOT, capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default="main", help="base revision (default main)")
    parser.add_argument(
        "--base-code",
        type=Path,
        help="a folder holding the base's iamgate/ package (instead of --against's)",
    )
    parser.add_argument("--keep", type=Path, help="write every report into this folder")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="iamgate-verdicts-"))
    failed = 0
    try:
        base = args.base_code.resolve() if args.base_code else base_code(args.against, work)
        for name, project in corpora(work).items():
            expected = lint(base, project, "1")
            for jobs in ("1", None):
                got = lint(ROOT, project, jobs)
                label = f"{name} ({'1 worker' if jobs else 'default workers'})"
                if args.keep:
                    args.keep.mkdir(parents=True, exist_ok=True)
                    (args.keep / f"{name}-base.json").write_bytes(expected)
                    (args.keep / f"{name}-{jobs or 'n'}.json").write_bytes(got)
                if got == expected:
                    print(f"identical  {label}: {len(got):,} bytes")
                    continue
                failed += 1
                print(f"DIFFERENT  {label}:")
                diff = difflib.unified_diff(
                    expected.decode().splitlines(),
                    got.decode().splitlines(),
                    args.against,
                    "working tree",
                    lineterm="",
                )
                for line in list(diff)[:40]:
                    print(f"    {line}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("every report identical" if not failed else f"{failed} report(s) differ")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
