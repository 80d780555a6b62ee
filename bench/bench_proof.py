"""Delegation proofs: median milliseconds per full proof (every IG3xx/IG4xx/IG5xx rule) of one
policy, on the example delegation policy and on a few bad fixtures.

Each run proves a freshly built policy object with the proof cache cleared, so nothing from
the previous run is reused except what a lint run also keeps across files (the loaded catalog,
compiled patterns). The first proof in the process, which loads the catalog, is shown apart.

    python bench/bench_proof.py [--runs 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BAD = ROOT / "tests" / "fixtures" / "security" / "bad"
CASES = [
    ROOT / "policies" / "DelegatePermissions.json",
    BAD / "IG301-stringequalsifexists.json",
    BAD / "IG301-second-statement-iam-star.json",
    BAD / "IG301-allow-notaction.json",
    BAD / "IG304-createpolicy-any-name.json",
    BAD / "IG406-passrole-any-role-with-lambda.json",
]
CEILING_BAD = ROOT / "tests" / "fixtures" / "ceiling" / "bad"
SECURITY = ("IG3", "IG4", "IG5")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()

    from iamgate import delegation
    from iamgate.config import load_config
    from iamgate.document import load
    from iamgate.model import build_policy
    from iamgate.project import Project
    from iamgate.rules import all_rules

    config = load_config(cwd=ROOT)
    project = Project(config.root, config)
    rules = [rule for rid, rule in all_rules().items() if rid.startswith(SECURITY)]
    identity_rules = [rule for rule in rules if "identity" in rule.kinds]

    def prove(path: Path) -> tuple[float, int, int]:
        policy = build_policy(load(path, path.name), path.stem, "identity")
        delegation.clear_cache()
        start = time.perf_counter()
        findings = [f for rule in identity_rules for f in rule.check(policy, project)]
        elapsed = (time.perf_counter() - start) * 1000
        return elapsed, len(findings), len(delegation.proof_for(policy, project)._memo)

    first, _, _ = prove(CASES[0])
    print(f"first proof in the process (loads the catalog): {first:.1f} ms")
    print(f"{'policy':48} {'median ms':>10} {'p90 ms':>8} {'findings':>9} {'evaluations':>12}")
    for path in CASES:
        samples = []
        findings = asked = 0
        for _ in range(args.runs):
            elapsed, findings, asked = prove(path)
            samples.append(elapsed)
        samples.sort()
        p90 = samples[int(len(samples) * 0.9) - 1]
        median = statistics.median(samples)
        print(f"{path.stem:48} {median:10.2f} {p90:8.2f} {findings:9d} {asked:12d}")
    ceilings(project, max(1, args.runs // 10))
    return 0


def ceilings(project: object, runs: int) -> None:
    """IG503's proof of each boundary as a ceiling, every account it is deployed to: paid once
    per boundary and lint run (cached), so apart from the per-policy figures above."""
    from iamgate.document import load
    from iamgate.model import build_policy
    from iamgate.rules import boundary_ceiling

    cases = [ROOT / "boundaries" / "S3AccessBoundary.json", *sorted(CEILING_BAD.glob("*.json"))]
    print(f"{'ceiling (boundary x accounts)':48} {'median ms':>10} {'p90 ms':>8} {'escapes':>9}")
    file = next(f for f in project.boundary_files if f.name == "S3AccessBoundary")  # type: ignore[attr-defined]
    accounts = len(project.accounts_for(file))  # type: ignore[attr-defined]
    for path in cases:
        samples = []
        found = 0
        for _ in range(runs):
            boundary = build_policy(load(path, path.name), "S3AccessBoundary", "boundary")
            boundary_ceiling.clear_cache()
            start = time.perf_counter()
            found = len(boundary_ceiling.escapes(boundary, project))  # type: ignore[arg-type]
            samples.append((time.perf_counter() - start) * 1000)
        samples.sort()
        p90 = samples[max(0, int(len(samples) * 0.9) - 1)]
        label = f"{path.stem} x {accounts}"
        print(f"{label:48} {statistics.median(samples):10.2f} {p90:8.2f} {found:9d}")


if __name__ == "__main__":
    sys.exit(main())
