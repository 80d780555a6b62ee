"""Evaluator throughput: evaluate() and `iamgate simulate` requests per second, in-process.

Uses the example delegation policy (policies/DelegatePermissions.json) with a mix of requests
that end in each decision: allowed, implicit deny (no key, foreign boundary, outside the
prefix, another service) and explicit deny; alone and with a boundary and two SCP levels.

    python bench/bench_evaluator.py [--seconds 2]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/service-x"
APPROVED = f"arn:aws:iam::{ACCOUNT}:policy/S3AccessBoundary"


def request_mix() -> list:
    from iamgate.evaluator import Request

    own = {"aws:PrincipalAccount": ACCOUNT}
    boundary = {**own, "iam:PermissionsBoundary": APPROVED}
    foreign = {**own, "iam:PermissionsBoundary": "arn:aws:iam::aws:policy/AdministratorAccess"}
    return [
        Request("iam:CreateRole", ROLE, boundary),
        Request("iam:CreateRole", ROLE, own),
        Request("iam:CreateRole", ROLE, foreign),
        Request("iam:PutRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/admin", boundary),
        Request("iam:DeleteRolePermissionsBoundary", ROLE, boundary),
        Request("iam:CreatePolicyVersion", f"arn:aws:iam::{ACCOUNT}:policy/S3AccessBoundary", own),
        Request("iam:CreatePolicyVersion", f"arn:aws:iam::{ACCOUNT}:policy/service-app", own),
        Request("iam:PassRole", ROLE, {**own, "iam:PassedToService": "lambda.amazonaws.com"}),
        Request("iam:GetRole", f"arn:aws:iam::{ACCOUNT}:role/anything", own),
        Request("s3:GetObject", "arn:aws:s3:::example-team-bucket/key", own),
    ]


def rate(call: Callable[[], object], seconds: float) -> tuple[float, float]:
    """(calls per second, median µs per call) over ``seconds`` of repeated batches."""
    batches: list[float] = []
    done = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        for _ in range(200):
            call()
        batches.append((time.perf_counter() - start) / 200)
        done += 200
    total = sum(batches) * 200
    return done / total, statistics.median(batches) * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    options = parser.parse_args()

    from iamgate import simulate
    from iamgate.evaluator import evaluate

    delegate = simulate.load_policy(str(ROOT / "policies" / "DelegatePermissions.json"), "identity")
    boundary = simulate.load_policy(str(ROOT / "boundaries" / "S3AccessBoundary.json"), "boundary")
    scp_files = sorted((ROOT / "scps").glob("*.json"))
    scps = [[simulate.load_policy(str(path), "scp") for path in scp_files]] * 2
    requests = request_mix()

    start = time.perf_counter()
    requests[0].lookup("iam:permissionsboundary")
    catalog_ms = (time.perf_counter() - start) * 1e3
    print(f"first service-key look-up (the catalog loads iam's actions): {catalog_ms:,.1f} ms")
    start = time.perf_counter()
    evaluate(requests[0], [delegate])
    first = (time.perf_counter() - start) * 1e6
    print(f"first evaluate (compiles {len(delegate.statements)} statements): {first:,.0f} µs")

    mix = Counter(evaluate(r, [delegate]).decision for r in requests)
    print(
        f"request mix ({len(requests)}): " + ", ".join(f"{k} {v}" for k, v in sorted(mix.items()))
    )

    cycle = iter(())

    def one(layers: dict) -> Callable[[], object]:
        def call() -> object:
            nonlocal cycle
            request = next(cycle, None)
            if request is None:
                cycle = iter(requests)
                request = next(cycle)
            return evaluate(request, [delegate], **layers)

        return call

    for label, layers in [
        ("identity only", {}),
        ("identity + boundary", {"boundary": boundary}),
        (
            f"identity + boundary + 2 SCP levels ({len(scp_files)} SCPs each)",
            {"boundary": boundary, "scps": scps},
        ),
    ]:
        per_second, median_us = rate(one(layers), options.seconds)
        print(f"evaluate(), {label}: {per_second:,.0f} requests/s (median {median_us:.2f} µs)")

    argv = [
        "simulate", "--policy", str(ROOT / "policies" / "DelegatePermissions.json"),
        "--action", "iam:CreateRole", "--resource", ROLE, "--format", "json",
        "--context", f"aws:PrincipalAccount={ACCOUNT}",
        "--context", f"iam:PermissionsBoundary={APPROVED}",
    ]  # fmt: skip
    from iamgate.cli import main as cli_main

    def simulate_once() -> object:
        with contextlib.redirect_stdout(io.StringIO()):
            return cli_main(argv)

    per_second, median_us = rate(simulate_once, options.seconds)
    print(
        f"iamgate simulate in-process (parse args, load + grammar-check the file, evaluate, "
        f"JSON): {per_second:,.0f} requests/s (median {median_us / 1000:.3f} ms)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
