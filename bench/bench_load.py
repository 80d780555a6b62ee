"""What loading clean policy files costs, and what position tracking would add.

Measures, on N generated policies written to a temporary folder:

* json floor        read the bytes + json.loads (what any tool must pay)
* document.load     iamgate's strict loader (UTF-8, duplicate keys, no NaN, ...)
* load + index      the same, then forcing the line/column index a finding would need
* load + grammar    the loader and the IAM grammar, as `iamgate lint` runs them

The claim under test: a clean file does not pay for position tracking, so
"document.load" sits close to the floor and "load + index" shows what was saved.

    python bench/bench_load.py --files 2000 --repeat 5
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from iamgate import grammar
from iamgate.document import load

SERVICES = {
    "s3": ["GetObject", "PutObject", "ListBucket", "DeleteObject", "GetBucketPolicy"],
    "iam": ["CreateRole", "PassRole", "GetRole", "ListRoles", "TagRole", "CreatePolicy"],
    "logs": ["CreateLogGroup", "CreateLogStream", "PutLogEvents", "DescribeLogGroups"],
    "ec2": ["DescribeInstances", "StartInstances", "StopInstances", "CreateTags"],
    "kms": ["Decrypt", "Encrypt", "GenerateDataKey", "DescribeKey"],
}


def generate_policy(rng: random.Random, statements: int) -> dict[str, object]:
    """A clean identity policy, shaped like hand-written ones (lists, conditions, variables)."""
    body = []
    for index in range(rng.randint(1, statements)):
        service = rng.choice(list(SERVICES))
        actions = [f"{service}:{name}" for name in rng.sample(SERVICES[service], rng.randint(1, 4))]
        statement: dict[str, object] = {
            "Sid": f"Statement{index}",
            "Effect": rng.choice(["Allow", "Allow", "Deny"]),
            "Action": actions if len(actions) > 1 else actions[0],
            "Resource": [
                f"arn:aws:{service}:*:${{aws:PrincipalAccount}}:thing/team-{rng.randint(1, 99)}/*"
                for _ in range(rng.randint(1, 3))
            ],
        }
        if rng.random() < 0.4:
            statement["Condition"] = {
                "StringEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]},
                "Bool": {"aws:SecureTransport": "true"},
            }
        body.append(statement)
    return {"Version": "2012-10-17", "Statement": body}


def write_corpus(folder: Path, files: int, statements: int, seed: int) -> list[Path]:
    rng = random.Random(seed)
    paths = []
    for number in range(files):
        path = folder / f"policy-{number:05d}.json"
        path.write_text(json.dumps(generate_policy(rng, statements), indent=2) + "\n")
        paths.append(path)
    return paths


def json_floor(path: Path) -> None:
    json.loads(path.read_bytes())


def strict_load(path: Path) -> None:
    load(path, path.name)


def load_and_index(path: Path) -> None:
    load(path, path.name).locate(())


def load_and_grammar(path: Path) -> None:
    issues, _ = grammar.check(load(path, path.name), "identity", path.stem)
    if issues:
        raise SystemExit(f"{path.name} is not clean: {issues[0].message}")


def best_time(step: Callable[[Path], None], paths: list[Path], repeat: int) -> float:
    """The fastest of ``repeat`` passes over every file, in seconds (least disturbed run)."""
    timings = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        for path in paths:
            step(path)
        timings.append(time.perf_counter() - start)
    return min(timings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=2000, help="number of policy files")
    parser.add_argument("--statements", type=int, default=6, help="most statements per policy")
    parser.add_argument("--repeat", type=int, default=5, help="passes per variant; best is kept")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="iamgate-bench-") as tmp:
        paths = write_corpus(Path(tmp), args.files, args.statements, args.seed)
        size = sum(p.stat().st_size for p in paths)
        for step in (json_floor, strict_load, load_and_index, load_and_grammar):
            step(paths[0])  # imports and caches outside the timing
        variants = [
            ("json floor (read + json.loads)", json_floor),
            ("document.load", strict_load),
            ("document.load + position index", load_and_index),
            ("document.load + grammar.check", load_and_grammar),
        ]
        results = [(label, best_time(step, paths, args.repeat)) for label, step in variants]

    floor = results[0][1]
    print(
        f"{args.files} clean policies, {size / args.files / 1024:.1f} KiB each on average, "
        f"best of {args.repeat} passes"
    )
    print(f"{'variant':<34} {'total ms':>9} {'us/file':>9} {'files/s':>10} {'x floor':>8}")
    for label, seconds in results:
        print(
            f"{label:<34} {seconds * 1e3:>9.1f} {seconds / args.files * 1e6:>9.1f} "
            f"{args.files / seconds:>10,.0f} {seconds / floor:>8.2f}"
        )
    saved = results[2][1] - results[1][1]
    print(
        f"position index, when forced: +{saved / args.files * 1e6:.1f} us/file "
        f"({saved / results[1][1]:.0%} of document.load) - paid only by files with findings"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
