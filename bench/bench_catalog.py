"""The catalog area's cost on a corpus: the catalog rules (IG201-IG206), one worker, cold.

Each repeat runs in a fresh interpreter (the catalog, its caches and the regex caches start
empty, as in a lint run): every file of the corpus is loaded and modelled first (not timed),
then the catalog rules run file by file, in lint's order, each rule's CPU time summed. Also
shows what building the whole catalog eagerly costs (every service, every action).

    python bench/bench_catalog.py --corpus /tmp/prof/policies [--repeat 5] [--no-gc]

The corpus folder is any folder of policy files (e.g. the managed policies that
bench/_corpus.py writes out). Figures are medians over the repeats. A garbage collection
lands in whichever rule happens to cross the threshold (tens of ms): ``--no-gc`` turns the
collector off in the measured interpreters, so that rules compare with rules.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

RULES = ("IG201", "IG202", "IG203", "IG204", "IG205", "IG206")


def _one_run(corpus: Path) -> dict[str, float]:
    from iamgate.config import load_config
    from iamgate.model import build_policy
    from iamgate.project import Project, expand_resolved, policy_file
    from iamgate.rules import all_rules
    from iamgate.rules.grammar_rules import grammar_findings

    config = load_config(None, cwd=corpus)  # the nearest iamgate.yaml, else defaults
    project = Project(config.root, config)
    policies = []
    for path, resolved in expand_resolved([corpus], config.root):
        pf = policy_file(path, project.root, resolved)
        pf.load()
        if pf.document is None:
            continue
        _, well_formed = grammar_findings(pf.document, pf.kind, pf.name)
        if well_formed:
            policies.append(build_policy(pf.document, pf.name, pf.kind))
    rules = [all_rules()[rule_id] for rule_id in RULES]
    spent = dict.fromkeys(RULES, 0.0)
    clock = time.process_time
    start = clock()
    for policy in policies:
        for rule in rules:
            if policy.kind in rule.kinds:
                began = clock()
                for _ in rule.check(policy, project):
                    pass
                spent[rule.id] += clock() - began
    result = {**spent, "rules": clock() - start, "files": float(len(policies))}
    from iamgate.catalog import Catalog

    began = clock()
    eager = Catalog()
    for action in eager.expand("*"):
        action.condition_keys  # noqa: B018 - touch every action
    result["eager catalog"] = clock() - began
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-gc", action="store_true", help="turn the collector off")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if args.no_gc:
            gc.disable()
        print(json.dumps(_one_run(args.corpus)))
        return 0
    runs = []
    for _ in range(args.repeat):
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                "--corpus",
                str(args.corpus),
                *(["--no-gc"] if args.no_gc else []),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        runs.append(json.loads(out.stdout))
    print(f"{int(runs[0]['files'])} policies, median of {args.repeat} cold runs (CPU ms)")
    for name in (*RULES, "rules", "eager catalog"):
        values = [run[name] * 1000 for run in runs]
        print(f"{name:14} {statistics.median(values):8.1f}   (min {min(values):.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
