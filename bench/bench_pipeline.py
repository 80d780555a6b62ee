"""Pipeline cost on a moto organization: API calls per account and wall time vs concurrency.

An organization of ``--accounts`` member accounts (half in Workloads/Dev, half in
Workloads/Prod) and a project of ``--policies`` policies (one boundary, the rest identity
policies) targeted to both. moto and the latency proxy each run in a process of their own;
iamgate runs in this one through the same entry points `iamgate plan/apply` use, with
botocore ``before-call`` hooks counting every call:

* a no-op plan: IAM calls per account, and AssumeRole calls (targets: <= 3, plus 1);
* one changed file: IAM writes per targeted account (target 1), and again once the
  policy's version list is full (target 2: the oldest non-default version goes first), plus
  the deployed-commit record's claim and commit (2, and 2 deletions once it holds 5 versions);
* an audit: IAM calls per account (target 1: the same bulk read as a no-op plan);
* a no-op plan's wall time at concurrency 1 and 8 with ``--latency`` seconds added to every
  call by a proxy (a real AWS round trip; target: >= 5x faster at 8), split into the
  Organizations discovery (a few rounds of calls, once per run) and the per-account phase.

    python bench/bench_pipeline.py [--accounts 50] [--policies 30] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))  # the moto org builder and the latency proxy

READS = ("Get", "List", "Describe")


# --- the network's side, in processes of its own ---------------------------------------------


def _serve_moto(conn: Any) -> None:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    conn.send(server.get_host_and_port()[1])
    conn.recv()  # until the bench says stop
    server.stop()


def _serve_latency(conn: Any, upstream: int, latency: float) -> None:
    from pipeline_support import FaultProxy, Faults

    proxy = FaultProxy(upstream, Faults(latency=latency)).start()
    conn.send(proxy.port)
    conn.recv()
    proxy.stop()


def serve(target: Any, *args: Any) -> tuple[Any, Any, Any]:
    """Run ``target`` in its own process, so the fake AWS never shares the measured process's
    CPU and GIL; returns (process, connection, what the process sent back)."""
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.Process(target=target, args=(child, *args), daemon=True)
    process.start()
    return process, parent, parent.recv()


# --- the organization and the project ---------------------------------------------------------


def build_org(endpoint: str, accounts: int) -> None:
    from pipeline_support import build_org as build

    half = accounts // 2
    tree = {
        "Workloads": [],
        "Workloads/Dev": [f"dev-{i:03d}" for i in range(half)],
        "Workloads/Prod": [f"prod-{i:03d}" for i in range(accounts - half)],
    }
    build(endpoint, tree=tree, suspended=())


CONFIG = """\
deploy:
  role: OrganizationAccountAccessRole
  path: /
  concurrency: 8
  targets:
    - name: dev
      ous: [Workloads/Dev]
      policies: [boundaries/*.json, policies/*.json]
    - name: prod
      ous: [Workloads/Prod]
      policies: [boundaries/*.json, policies/*.json]
"""


def write_project(root: Path, policies: int) -> Path:
    from pipeline_support import s3_read, write_json

    (root / "iamgate.yaml").write_text(CONFIG, encoding="utf-8")
    write_json(root / "boundaries" / "TeamBoundary.json", s3_read("team-*"))
    for i in range(policies - 1):
        write_json(root / "policies" / f"service-{i:02d}.json", s3_read(f"bucket-{i:02d}"))
    return root


# --- counting ---------------------------------------------------------------------------------


class Calls:
    """Every API call, by service and operation, and per member account (botocore hooks)."""

    def __init__(self) -> None:
        self.total: Counter[str] = Counter()  # "iam:GetAccountAuthorizationDetails" -> calls
        self.per_account: dict[str, Counter[str]] = defaultdict(Counter)

    def session_hook(self, model: Any, **_: Any) -> None:
        self.total[f"{model.service_model.endpoint_prefix}:{model.name}"] += 1

    def account_hook(self, account_id: str) -> Any:
        def hook(model: Any, **_: Any) -> None:
            self.per_account[account_id][model.name] += 1

        return hook


def counting_aws(config: Any, calls: Calls, concurrency: int) -> Any:
    import botocore.session
    from iamgate.pipeline.session import Aws

    class CountingAws(Aws):
        """iamgate's own AWS access, with a hook on each member account's IAM client."""

        def iam_for(self, account_id: str) -> Any:
            client = super().iam_for(account_id)
            client.meta.events.register("before-call", calls.account_hook(account_id))
            return client

    session = botocore.session.Session()
    session.register("before-call", calls.session_hook)
    return CountingAws(
        role=config.deploy.role,
        session_name="iamgate-bench",
        concurrency=concurrency,
        botocore_session=session,
    )


def run(root: Path, command: str, concurrency: int = 8) -> tuple[Any, Calls, dict[str, float]]:
    from iamgate.pipeline.ancestry import Ancestry
    from iamgate.pipeline.gate import run_gate
    from iamgate.pipeline.session import full_commit
    from iamgate.pipeline.sync import Options
    from iamgate.pipeline.sync import run as run_pipeline

    from iamgate.config import load_config

    config = load_config(root / "iamgate.yaml")
    config = replace(config, deploy=replace(config.deploy, concurrency=concurrency))
    gate = run_gate(config)
    assert gate.desired is not None, gate.problems
    calls = Calls()
    aws = counting_aws(config, calls, concurrency)
    marks: dict[str, float] = {}
    start = time.perf_counter()
    report = run_pipeline(
        config,
        gate.desired,
        aws,
        Options(command),  # type: ignore[arg-type]
        "bench",
        Ancestry(root, full_commit(root)),
        on_targets=lambda _: marks.setdefault("discovered", time.perf_counter()),
    )
    end = time.perf_counter()
    assert not report.error and not report.failed, report.error or report.failed[0].failures
    timing = {
        "total": end - start,
        "discovery": marks["discovered"] - start,
        "accounts": end - marks["discovered"],
    }
    return report, calls, timing


def audit(root: Path) -> Calls:
    from argparse import Namespace

    from iamgate.pipeline.audit_run import expectations, run_audit
    from iamgate.pipeline.iam_policies.desired import load_desired, target_files

    from iamgate.config import load_config

    config = load_config(root / "iamgate.yaml")
    calls = Calls()
    aws = counting_aws(config, calls, config.deploy.concurrency)
    want = expectations(config, load_desired(config, target_files(config)))
    report = run_audit(config, want, aws, Namespace(accounts=None, shard=None))
    assert not report.errors, report.errors
    return calls


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU time of a process (this one by default), from /proc or os.times."""
    if pid is None:
        t = os.times()
        return t.user + t.system
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def writes(counter: Counter[str]) -> int:
    return sum(n for op, n in counter.items() if not op.startswith(READS))


def reads(counter: Counter[str]) -> int:
    return sum(n for op, n in counter.items() if op.startswith(READS))


def spread(calls: Calls, pick: Any) -> str:
    values = [pick(c) for c in calls.per_account.values()]
    return f"max {max(values)}, mean {statistics.mean(values):.2f} over {len(values)} accounts"


# --- the bench --------------------------------------------------------------------------------


def measure(
    args: argparse.Namespace, endpoint: str, slow_endpoint: str, root: Path, fakes: tuple[int, int]
) -> dict[str, Any]:
    from pipeline_support import s3_read, write_json

    figures: dict[str, Any] = {}
    report, _, timing = run(root, "apply")
    print(
        f"first apply: {report.summary()['writes_done']} policies created in "
        f"{timing['total']:.1f}s at concurrency 8"
    )

    report, calls, _ = run(root, "plan")
    ops: Counter[str] = Counter()
    for counter in calls.per_account.values():
        ops.update(counter)
    organizations = sum(n for op, n in calls.total.items() if op.startswith("organizations:"))
    print("\nno-op plan (target: <= 3 IAM calls per account, plus 1 AssumeRole)")
    print(f"  IAM calls per account: {spread(calls, lambda c: sum(c.values()))}")
    print(
        f"  AssumeRole calls: {calls.total['sts:AssumeRole']} for {len(calls.per_account)} accounts"
    )
    print(f"  IAM operations: {dict(ops)}")
    print(f"  Organizations calls (discovery, once per run): {organizations}")
    figures["noop_iam_calls_per_account"] = max(sum(c.values()) for c in calls.per_account.values())
    figures["noop_assume_role_calls"] = calls.total["sts:AssumeRole"]
    # Forward-only deploys read the deployed commit from that same answer: no call of its own.
    records = sum(1 for a in report.accounts if a.deployed)
    print(f"  deployed commit known (from the same read) in {records} of {len(report.accounts)}")

    audit_calls = audit(root)
    print("\naudit (target: one IAM read per account, the plan's GetAccountAuthorizationDetails)")
    print(f"  IAM calls per account: {spread(audit_calls, lambda c: sum(c.values()))}")
    figures["audit_iam_calls_per_account"] = max(
        sum(c.values()) for c in audit_calls.per_account.values()
    )

    print(
        "\none changed file (target: 1 write per targeted account, 2 once 5 versions exist; "
        "+2 for the deployed-commit record's claim and commit, +2 once it rotates)"
    )
    for update in range(1, 6):
        write_json(root / "policies" / "service-00.json", s3_read(f"bucket-00-v{update + 1}"))
        _, calls, _ = run(root, "apply")
        if update in (1, 5):
            head = f"  update {update} ({update} version(s) before)"
            print(f"{head}: writes per account: {spread(calls, writes)}")
            print(f"    IAM reads per account: {spread(calls, reads)} (bulk read + GetPolicy)")
            figures[f"writes_per_account_update_{update}"] = max(
                writes(c) for c in calls.per_account.values()
            )

    print(f"\nwall time, no-op plan, {args.latency * 1000:.0f} ms added to every call")
    os.environ["AWS_ENDPOINT_URL"] = slow_endpoint
    timings = {}
    for concurrency in (1, 8):
        before = [cpu_seconds(pid) for pid in (None, *fakes)]
        _, _, timings[concurrency] = run(root, "plan", concurrency)
        used = [cpu_seconds(pid) - b for pid, b in zip((None, *fakes), before, strict=True)]
        t = timings[concurrency]
        print(
            f"  concurrency {concurrency}: {t['total']:.2f}s "
            f"(discovery {t['discovery']:.2f}s, accounts {t['accounts']:.2f}s); CPU used: "
            f"iamgate {used[0]:.2f}s, moto {used[1]:.2f}s, latency proxy {used[2]:.2f}s "
            f"on {os.cpu_count()} cores"
        )
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    total = timings[1]["total"] / timings[8]["total"]
    phase = timings[1]["accounts"] / timings[8]["accounts"]
    print(f"  speed-up at 8: {total:.1f}x overall, {phase:.1f}x for the per-account phase")
    figures.update(speedup=round(total, 2), speedup_accounts=round(phase, 2))
    figures.update({f"seconds_at_{k}": round(v["total"], 2) for k, v in timings.items()})
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--policies", type=int, default=30)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()

    moto, moto_conn, port = serve(_serve_moto)
    slow, slow_conn, slow_port = serve(_serve_latency, port, args.latency)
    from pipeline_support import AWS_VARIABLES_TO_CLEAR, aws_env

    endpoint = f"http://127.0.0.1:{port}"
    for name in AWS_VARIABLES_TO_CLEAR:
        os.environ.pop(name, None)
    os.environ.update(aws_env(endpoint))
    print(
        f"bench_pipeline: {args.accounts} accounts x {args.policies} policies on moto "
        f"(python bench/bench_pipeline.py --accounts {args.accounts} --policies {args.policies} "
        f"--latency {args.latency})"
    )
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = write_project(Path(tmp), args.policies)
            build_org(endpoint, args.accounts)
            slow_endpoint = f"http://127.0.0.1:{slow_port}"
            figures = measure(args, endpoint, slow_endpoint, root, (moto.pid, slow.pid))
        print(json.dumps(figures))
    finally:
        for process, conn in ((slow, slow_conn), (moto, moto_conn)):
            conn.send("stop")
            process.join(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
