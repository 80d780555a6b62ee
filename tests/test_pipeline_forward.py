"""Deploys only move forward: each account records the commit it was deployed from (in
iamgate's own IamgateDeployedCommit policy), apply refuses a commit that does not descend
from it unless --allow-rollback, and racing applies end with the newer commit's state or
fail loudly. Ancestry is decided by real git."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from iamgate.pipeline.deployment import MARKER, document
from pipeline_support import (
    DEV,
    PROD,
    Faults,
    MotoServer,
    Org,
    Run,
    commit_all,
    converged,
    deployed_commit,
    fault_proxy,
    git,
    live_policies,
    make_project,
    s3_read,
    write_json,
)

pytestmark = pytest.mark.integration
TARGETED = (*DEV, *PROD)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # The commit comes from git, not from a CI variable.
    monkeypatch.delenv("GITHUB_SHA", raising=False)
    monkeypatch.delenv("CI_COMMIT_SHA", raising=False)
    return make_project(tmp_path / "project")


@pytest.fixture
def iamgate(capsys: pytest.CaptureFixture[str], project: Path) -> Run:
    return Run(capsys, project)


def _failures(report: dict[str, Any]) -> dict[str, str]:
    return {a["name"]: " ".join(a["failures"]) for a in report["accounts"] if a["failures"]}


def _record_arn(org: Org, name: str) -> str:
    return f"arn:aws:iam::{org.id(name)}:policy/{MARKER}"


def test_apply_records_the_commit_and_refuses_an_older_one_unless_allow_rollback(
    org: Org, iamgate: Run, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = commit_all(project, "first")
    code, report = iamgate.json("apply")
    assert code == 0, report
    assert {deployed_commit(org.iam(n)) for n in TARGETED} == {old}
    assert deployed_commit(org.iam("shared-services")) == ""  # in no target: never touched

    write_json(project / "policies" / "service-reader.json", s3_read("team-bucket-v2"))
    write_json(project / "policies" / "service-new.json", s3_read("new-bucket"))
    new = commit_all(project, "second")
    assert iamgate.json("apply")[0] == 0
    assert {deployed_commit(org.iam(n)) for n in TARGETED} == {new}

    git(project, "checkout", "-q", old)
    for args in (["apply"], ["apply", "--prune"]):
        code, report = iamgate.json(*args)
        assert code == 1, args
        failures = _failures(report)
        assert set(failures) == set(TARGETED)
        assert all(
            f"deployed from {new[:12]}" in f and f"{old[:12]} is not a descendant" in f
            for f in failures.values()
        ), failures
        assert report["summary"]["writes_done"] == 0
    for name in TARGETED:  # the newer commit's state is intact, its new policy not pruned
        assert live_policies(org.iam(name))["service-reader"].default == s3_read("team-bucket-v2")
        assert "service-new" in live_policies(org.iam(name))

    # drift from the older commit would compare with the older files: it fails, naming why.
    code, report = iamgate.json("drift")
    assert code == 1 and set(_failures(report)) == set(TARGETED)
    # plan warns (a pull request's plan is informative, not a gate on the deployed commit).
    code, report = iamgate.json("plan")
    assert code == 0
    assert all(
        any("apply from this commit would be refused" in w for w in a["warnings"])
        for a in report["accounts"]
    )

    code, report = iamgate.json("apply", "--allow-rollback", "--prune")
    assert code == 0, report
    assert {deployed_commit(org.iam(n)) for n in TARGETED} == {old}
    for name in TARGETED:
        assert converged(org, project, name), name

    git(project, "checkout", "-q", "main")  # forward again: allowed without a flag
    assert iamgate.json("apply")[0] == 0
    assert {deployed_commit(org.iam(n)) for n in TARGETED} == {new}


def test_a_commit_on_another_branch_is_refused_and_a_commit_git_lacks_cannot_be_judged(
    org: Org, iamgate: Run, project: Path
) -> None:
    base = commit_all(project, "base")
    git(project, "checkout", "-q", "-b", "other")
    write_json(project / "policies" / "service-logs.json", s3_read("other-logs"))
    other = commit_all(project, "other branch")
    assert iamgate.json("apply")[0] == 0
    git(project, "checkout", "-q", "main")
    write_json(project / "policies" / "service-logs.json", s3_read("main-logs"))
    commit_all(project, "main moves on")
    assert git(project, "merge-base", "main", "other") == base
    code, report = iamgate.json("apply")
    assert code == 1 and all(f"deployed from {other[:12]}" in f for f in _failures(report).values())

    # A shallow clone (CI's default depth) does not hold the deployed commit.
    git(project, "branch", "-q", "-D", "other")
    git(project, "reflog", "expire", "--expire=now", "--all")
    git(project, "gc", "-q", "--prune=now")
    code, report = iamgate.json("apply")
    assert code == 1
    assert all("fetch-depth: 0" in f for f in _failures(report).values()), report


def test_a_claim_made_between_the_read_and_the_first_write_stops_the_apply_before_it_writes(
    org: Org, project: Path
) -> None:
    """IAM has no conditional write; the record's version ids (which only increase) are the
    compare-and-swap: a claim that does not get the id after the newest one read lost a race."""
    from iamgate.pipeline.deployment import DeploymentError, Recorder, take
    from iamgate.pipeline.iam_policies.live import read_policies

    iam = org.iam("dev-1")
    first = "a" * 40
    iam.create_policy(
        PolicyName=MARKER,
        PolicyDocument=document(first, False),
        Path="/",
        Description=_description(),
        Tags=[{"Key": "iamgate:managed", "Value": "true"}],
    )
    live = read_policies(iam)
    state = take(live, "/")
    assert state is not None and state.commit == first and not state.applying
    # Another apply claims the account now, after this one read it.
    iam.create_policy_version(
        PolicyArn=state.arn, PolicyDocument=document("b" * 40, True), SetAsDefault=True
    )
    recorder = Recorder(iam, state.arn, "/", state)
    with pytest.raises(DeploymentError, match="another apply claimed this account"):
        recorder.claim("c" * 40)


def _description() -> str:
    from iamgate.pipeline.ownership import DESCRIPTION

    return DESCRIPTION


def test_an_account_another_commit_is_applying_is_refused_without_a_write(
    org: Org, iamgate: Run, project: Path
) -> None:
    commit_all(project, "first")
    assert iamgate.json("apply")[0] == 0
    other = "f" * 40
    for name in TARGETED:
        org.iam(name).create_policy_version(
            PolicyArn=_record_arn(org, name),
            PolicyDocument=document(other, True),
            SetAsDefault=True,
        )
    write_json(project / "policies" / "service-reader.json", s3_read("team-bucket-v2"))
    commit_all(project, "second")
    # The claimant is not in this repository either: the in-progress claim speaks first.
    code, report = iamgate.json("apply", "--allow-rollback")
    assert code == 1
    assert all("claimed this account" in f for f in _failures(report).values()), report
    assert report["summary"]["writes_done"] == 0
    for name in TARGETED:
        assert live_policies(org.iam(name))["service-reader"].default == s3_read("team-bucket")


def _apply_process(project: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "iamgate", "apply", "--format", "json"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _env(endpoint: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_SHA", "CI_COMMIT_SHA")}
    env["AWS_ENDPOINT_URL"] = endpoint
    return env


def test_racing_applies_end_with_the_newer_state_or_fail_loudly(
    org: Org, moto: MotoServer, project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    commit_all(project, "base")
    assert Run(capsys, project).json("apply")[0] == 0
    older = tmp_path / "older"
    git(project, "worktree", "add", "-q", str(older), "HEAD")
    write_json(older / "policies" / "service-reader.json", s3_read("older-bucket"))
    commit_all(older, "older change")
    git(project, "merge", "-q", "--ff-only", git(older, "rev-parse", "HEAD"))
    write_json(project / "policies" / "service-reader.json", s3_read("newer-bucket"))
    write_json(project / "policies" / "service-newer.json", s3_read("newer-only"))
    commit_all(project, "newer change")
    with fault_proxy(moto.port, Faults(latency=0.01)) as proxy:
        env = _env(proxy.endpoint)
        runs = {"older": _apply_process(older, env), "newer": _apply_process(project, env)}
        results = {name: run.communicate(timeout=300) for name, run in runs.items()}
    codes = {name: run.returncode for name, run in runs.items()}
    newer_report = json.loads(results["newer"][0])
    newer_failed = set(_failures(newer_report))
    for name in TARGETED:
        live = live_policies(org.iam(name))
        if name not in newer_failed:
            # The newer run says it deployed here: its state is live, not the older one's.
            assert live["service-reader"].default == s3_read("newer-bucket"), (name, codes)
            assert "service-newer" in live
    if codes["newer"] == 0:  # a green newer run: every account holds exactly its state
        assert all(converged(org, project, name) for name in TARGETED)
    else:  # a loud one: exit 1, and each account it did not finish is named
        assert newer_failed, results["newer"]
    assert codes["older"] in (0, 1), results["older"]


def test_an_apply_killed_mid_write_blocks_other_commits_until_it_is_re_run(
    org: Org, moto: MotoServer, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = commit_all(project, "first")
    assert Run(capsys, project).json("apply")[0] == 0
    write_json(project / "policies" / "service-reader.json", s3_read("team-bucket-v2"))
    killed = commit_all(project, "second")
    with fault_proxy(moto.port, Faults(latency=0.3)) as proxy:
        run = _apply_process(project, _env(proxy.endpoint))
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proxy.calls["CreatePolicyVersion"] < 2:
            time.sleep(0.05)
        run.send_signal(signal.SIGKILL)
        run.communicate(timeout=30)
    states = {deployed_commit(org.iam(n)) for n in TARGETED}
    assert f"applying:{killed}" in states and states <= {first, f"applying:{killed}"}

    write_json(project / "policies" / "service-logs.json", s3_read("team-logs-v2"))
    third = commit_all(project, "third")
    code, report = Run(capsys, project).json("apply")
    assert code == 1
    blocked = _failures(report)
    assert blocked and all(f"an apply from {killed[:12]} claimed" in f for f in blocked.values())

    # Re-running the killed commit's apply ends its claims; where the third commit already
    # landed (accounts the killed apply had not reached), the older commit is refused.
    git(project, "checkout", "-q", killed)
    code, report = Run(capsys, project).json("apply")
    refused = _failures(report)
    assert set(refused) == set(TARGETED) - set(blocked)
    assert all(f"deployed from {third[:12]}" in f for f in refused.values())
    assert {deployed_commit(org.iam(n)) for n in blocked} == {killed}
    git(project, "checkout", "-q", "main")
    code, report = Run(capsys, project).json("apply")
    assert code == 0, report
    assert {deployed_commit(org.iam(n)) for n in TARGETED} == {third}
    for name in TARGETED:
        assert converged(org, project, name), name
