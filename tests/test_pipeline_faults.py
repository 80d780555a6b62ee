"""Faults between iamgate and AWS: a proxy in front of moto injects throttling, 500s, dropped
connections and AccessDenied. One account's failure never stops the others, every failure is
reported with its account and cause, a clean re-run converges, and no policy is ever left
without a default version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pipeline_support import (
    DEV,
    PROD,
    Faults,
    MotoServer,
    Org,
    Run,
    assert_every_policy_has_one_default,
    converged,
    fault_proxy,
    fresh_org,
    live_policies,
    make_project,
    s3_read,
    write_json,
)

from iamgate.cli import main

pytestmark = pytest.mark.integration


@pytest.fixture
def org(moto: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Org:
    # Enough attempts that injected faults are absorbed; AccessDenied is never retried.
    return fresh_org(moto, monkeypatch, env={"AWS_MAX_ATTEMPTS": "8"})


def apply_json(
    project: Path, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, dict[str, Any]]:
    return Run(capsys, project).json("apply", *args)


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


def test_lost_answers_to_successful_writes_are_recognised_on_retry_without_duplicates(
    org: Org,
    moto: MotoServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The proxy lets CreatePolicy / CreatePolicyVersion reach moto, then drops the connection
    before the answer: boto3 retries a write that already happened. The retry meets
    EntityAlreadyExists (our policy, our document: done), or makes a second identical version
    (deleted), or meets LimitExceeded at five versions (the document is already the default)."""
    project = make_project(tmp_path / "project", concurrency=4)
    writes = frozenset({"CreatePolicy", "CreatePolicyVersion"})
    with fault_proxy(moto.port, Faults(lose=0.5, lose_actions=writes, seed=11)) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        code, report = apply_json(project, capsys)
        assert code == 0, report
        assert proxy.injected["lost_answer"] >= 5
        for name in (*DEV, *PROD):
            assert converged(org, project, name), name
            assert {s.versions for s in live_policies(org.iam(name)).values()} == {1}, name
        lost = proxy.injected["lost_answer"]
        for update in range(2, 8):  # past five versions: rotation and LimitExceeded on retry
            write_json(project / "policies" / "service-reader.json", s3_read(f"bucket-v{update}"))
            code, report = apply_json(project, capsys)
            assert code == 0, report
            for name in (*DEV, *PROD):
                assert converged(org, project, name), name
                versions = live_policies(org.iam(name))["service-reader"].versions
                assert versions == min(update, 5), (name, update, versions)
        assert proxy.injected["lost_answer"] > lost
    assert_every_policy_has_one_default(org)
