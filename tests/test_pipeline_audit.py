"""`iamgate audit` against a moto organization: roles created with and without the approved
boundary, and principals holding the delegation policy as reviewed, edited by hand, or copied
under another name — found from one IAM read per account."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pipeline_support import DEV, MotoServer, Org, Run, copy_example, fault_proxy

pytestmark = pytest.mark.integration
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


@pytest.fixture
def example(org: Org, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    run = Run(capsys, copy_example(tmp_path / "example"))
    code, report = run.json("apply")
    assert code == 0, report
    return run


def _role(iam: Any, name: str, boundary: str | None = None, path: str = "/") -> None:
    extra = {"PermissionsBoundary": boundary} if boundary else {}
    iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=TRUST, **extra)


def _found(report: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(f["rule"], f["account"], f["principal"]) for f in report["findings"]}


def test_audit_finds_what_delegates_built_around_iamgate_and_nothing_else(
    org: Org, example: Run, moto: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    dev1 = org.id("dev-1")
    iam = org.iam("dev-1")
    policy = f"arn:aws:iam::{dev1}:policy"
    # The safe ones: the approved boundary; a role outside the prefix (not a delegate's).
    _role(iam, "service-good", f"{policy}/S3AccessBoundary")
    _role(iam, "admin-legacy")
    # The bypasses.
    _role(iam, "service-unbounded")
    _role(iam, "nested", path="/service-team/")  # the prefix is read on path + name
    _role(iam, "service-elsewhere", path="/team/")  # and on the name under any path
    _role(iam, "service-loose", f"{policy}/service-app-logs")
    # iamgate's delegation policy, held as reviewed: fine.
    _role(iam, "team-delegate", f"{policy}/S3AccessBoundary")
    iam.attach_role_policy(RoleName="team-delegate", PolicyArn=f"{policy}/DelegatePermissions")
    # A copy of it under another name, not iamgate's, held by a user.
    document = json.loads((example.project / "policies" / "DelegatePermissions.json").read_text())
    copy = iam.create_policy(PolicyName="LegacyDelegate", PolicyDocument=json.dumps(document))
    iam.create_user(UserName="bob")
    iam.attach_user_policy(UserName="bob", PolicyArn=copy["Policy"]["Arn"])
    # And pasted inline into a role.
    _role(iam, "ci-runner")
    iam.put_role_policy(
        RoleName="ci-runner", PolicyName="delegate", PolicyDocument=json.dumps(document)
    )

    with fault_proxy(moto.port) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        code, report = example.json("audit")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto.endpoint)
    assert code == 1, report
    assert _found(report) == {
        ("no-boundary", dev1, "role/service-unbounded"),
        ("no-boundary", dev1, "role/service-team/nested"),
        ("no-boundary", dev1, "role/team/service-elsewhere"),
        ("unapproved-boundary", dev1, "role/service-loose"),
        ("stale-delegation-policy", dev1, "user/bob"),
        ("stale-delegation-policy", dev1, "role/ci-runner"),
    }
    [inline] = [f for f in report["findings"] if f["principal"] == "role/ci-runner"]
    assert (
        "the inline policy delegate is a copy of policies/DelegatePermissions.json"
        in (inline["message"])
    )
    [copied] = [f for f in report["findings"] if f["principal"] == "user/bob"]
    assert "a copy of policies/DelegatePermissions.json" in copied["message"]
    assert copied["file"] == "policies/DelegatePermissions.json"
    # One read per account: the same GetAccountAuthorizationDetails plan makes, with roles,
    # users and groups asked for too; nothing else per account.
    accounts = report["summary"]["accounts"]
    assert proxy.calls["GetAccountAuthorizationDetails"] == accounts
    assert proxy.calls["AssumeRole"] == accounts
    assert not {"GetPolicy", "GetPolicyVersion", "ListEntitiesForPolicy"} & set(proxy.calls)

    # The delegation policy edited by hand: whoever holds it holds a stale version.
    edited = dict(document, Statement=document["Statement"][:1])
    iam.create_policy_version(
        PolicyArn=f"{policy}/DelegatePermissions",
        PolicyDocument=json.dumps(edited),
        SetAsDefault=True,
    )
    code, report = example.json("audit", "--accounts", dev1)
    assert ("stale-delegation-policy", dev1, "role/team-delegate") in _found(report)
    # A clean account passes.
    code, report = example.json("audit", "--accounts", org.id(DEV[1]))
    assert code == 0 and report["findings"] == [] and report["summary"]["accounts"] == 1


@pytest.mark.parametrize("fmt", ["text", "markdown", "sarif"])
def test_audit_reports_in_every_format(org: Org, example: Run, fmt: str) -> None:
    _role(org.iam("dev-1"), "service-unbounded")
    code, out, err = example("audit", "--format", fmt)
    assert code == 1
    assert "audit: 1 finding in 1 of" in err
    if fmt == "sarif":
        sarif = json.loads(out)
        [result] = sarif["runs"][0]["results"]
        assert sarif["version"] == "2.1.0" and result["ruleId"] == "no-boundary"
        location = result["locations"][0]
        assert location["logicalLocations"][0]["fullyQualifiedName"].endswith(
            ":role/service-unbounded"
        )
    else:
        assert "service-unbounded" in out and "no-boundary" in out


def test_audit_exits_1_for_a_configuration_error(
    org: Org, example: Run, capsys: pytest.CaptureFixture[str]
) -> None:
    config = example.project / "iamgate.yaml"
    config.write_text(config.read_text().replace("Workloads/Prod", "Workloads/Nope"))
    code, out, err = example("audit")
    assert code == 1 and out == "" and "Workloads/Nope" in err
