"""Faults between iamgate and AWS: a proxy in front of moto injects throttling, 500s, dropped
connections and AccessDenied. One account's failure never stops the others, every failure is
reported with its account and cause, a clean re-run converges, and no policy is ever left
without a default version."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pipeline_support import (
    Faults,
    MotoServer,
    Org,
    apply_env,
    aws_env,
    build_org,
    fault_proxy,
    live_policies,
    make_project,
    s3_read,
    write_json,
)

from iamgate.cli import main

pytestmark = pytest.mark.integration

DEV = ("dev-1", "dev-2", "dev-sandbox")
PROD = ("prod-1", "prod-2")
SHARED = {"TeamBoundary", "service-reader", "service-logs"}
DEV_ONLY = {"service-dev-scratch"}


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    server = MotoServer()
    yield server
    server.stop()


@pytest.fixture
def org(moto: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Org:
    moto.reset()
    # Enough attempts that injected faults are absorbed; AccessDenied is never retried.
    apply_env(monkeypatch, aws_env(moto.endpoint, AWS_MAX_ATTEMPTS="8"))
    return build_org(moto.endpoint)


def apply_json(
    project: Path, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, dict[str, Any]]:
    code = main(["apply", *args, "--format", "json", "--config", str(project / "iamgate.yaml")])
    out, err = capsys.readouterr()
    assert out, err
    return code, json.loads(out)


def expected_documents(project: Path, account: str) -> dict[str, Any]:
    files = {p.stem: p for p in (project / "boundaries").glob("*.json")}
    files |= {p.stem: p for p in (project / "policies").glob("*.json")}
    if account in DEV:
        files |= {p.stem: p for p in (project / "policies" / "dev").glob("*.json")}
    return {name: json.loads(path.read_text()) for name, path in files.items()}


def assert_every_policy_has_one_default(org: Org) -> None:
    for name in org.accounts:
        if name in org.suspended:
            continue
        for policy, state in live_policies(org.iam(name)).items():
            assert state.defaults_count == 1 and state.default_version, (name, policy)


def converged(org: Org, project: Path, name: str) -> bool:
    live = live_policies(org.iam(name))
    want = expected_documents(project, name)
    return set(live) == set(want) and all(live[p].default == want[p] for p in want)


def test_apply_under_faults_fails_exactly_the_denied_account_and_a_clean_rerun_converges(
    org: Org,
    moto: MotoServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project = make_project(tmp_path / "project", concurrency=4)
    denied = org.id("prod-2")
    faults = Faults(
        throttle=0.12, server_error=0.06, drop=0.06, deny_assume_role=frozenset({denied}), seed=5
    )
    with fault_proxy(moto.port, faults) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        code, report = apply_json(project, capsys)
        assert code == 1
        failures = {a["account"]: a["failures"] for a in report["accounts"] if a["failures"]}
        assert list(failures) == [denied]
        [cause] = failures[denied]
        assert cause.startswith(f"assuming arn:aws:iam::{denied}:role/") and "AccessDenied" in cause
        assert (
            proxy.injected["throttle"] and proxy.injected["server_error"] and proxy.injected["drop"]
        )
        for name in (*DEV, "prod-1"):
            assert converged(org, project, name), name
        assert live_policies(org.iam("prod-2")) == {}
        assert_every_policy_has_one_default(org)

        # Updates under the same faults: the same account fails, the others converge again.
        write_json(project / "policies" / "service-reader.json", s3_read("team-bucket-v2"))
        code, report = apply_json(project, capsys)
        assert code == 1
        assert [a["account"] for a in report["accounts"] if a["failures"]] == [denied]
        for name in (*DEV, "prod-1"):
            assert converged(org, project, name), name
        assert_every_policy_has_one_default(org)

        proxy.set_faults(Faults())
        code, report = apply_json(project, capsys)
        assert code == 0, report
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto.endpoint)
    for name in (*DEV, *PROD):
        assert converged(org, project, name), name
    assert_every_policy_has_one_default(org)
    code = main(["plan", "--detailed-exitcode", "--config", str(project / "iamgate.yaml")])
    capsys.readouterr()
    assert code == 0


def test_faults_that_outlast_the_retries_are_reported_per_account_and_a_rerun_converges(
    org: Org,
    moto: MotoServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project = make_project(tmp_path / "project", concurrency=4)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")  # no retries: every injected fault is a failure
    faults = Faults(throttle=0.15, server_error=0.05, drop=0.05, seed=3, organizations=False)
    with fault_proxy(moto.port, faults) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        code, report = apply_json(project, capsys)
    failed = {a["name"]: a["failures"] for a in report["accounts"] if a["failures"]}
    # Seed 3's draws put a fault among the first few calls, so some account always fails.
    assert failed
    assert code == 1
    for causes in failed.values():
        assert any(
            word in " ".join(causes) for word in ("Throttling", "InternalFailure", "Connection")
        ), causes
    for name in {*DEV, *PROD} - set(failed):
        assert converged(org, project, name), name
    assert_every_policy_has_one_default(org)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto.endpoint)
    code, report = apply_json(project, capsys)
    assert code == 0, report
    for name in (*DEV, *PROD):
        assert converged(org, project, name), name
