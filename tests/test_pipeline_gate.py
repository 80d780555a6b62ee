"""The deploy gate refuses, before any AWS call, what IAM or Organizations would refuse half-way
through an apply: a managed policy without Version 2012-10-17, characters IAM does not accept,
two files whose IAM names differ only in case, iamgate's own record name, more SCPs on one
target than Organizations allows. Each is a located line; nothing is written anywhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pipeline_support import (
    CONFIG,
    DEPLOY_ROLE,
    MotoServer,
    Org,
    Run,
    client,
    fault_proxy,
    make_project,
    member_iam,
    s3_read,
    write_json,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project")


def _no_call_at_all(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    moto: MotoServer,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[int, str]:
    with fault_proxy(moto.port) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        code, _out, err = Run(capsys, project)("apply", "--prune")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto.endpoint)
    assert sum(proxy.seen.values()) == 0, proxy.seen  # not even discovery
    return code, err


@pytest.mark.parametrize(
    ("version", "located"),
    [
        pytest.param(
            None,
            "policies/service-logs.json:1:1: error the managed policy has no Version",
            id="none",
        ),
        pytest.param(
            "2008-10-17",
            'policies/service-logs.json:2:3: error the managed policy has Version "2008-10-17"',
            id="2008",
        ),
    ],
)
def test_a_managed_policy_without_version_2012_is_refused_before_any_aws_call(
    org: Org,
    project: Path,
    capsys: pytest.CaptureFixture[str],
    moto: MotoServer,
    monkeypatch: pytest.MonkeyPatch,
    version: str | None,
    located: str,
) -> None:
    document = s3_read("team-logs")
    if version is None:
        del document["Version"]
    else:
        document["Version"] = version
    write_json(project / "policies" / "service-logs.json", document)
    code, err = _no_call_at_all(project, capsys, moto, monkeypatch)
    assert code == 1 and located in err, err


def test_a_character_iam_refuses_is_refused_before_any_aws_call(
    org: Org,
    project: Path,
    capsys: pytest.CaptureFixture[str],
    moto: MotoServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = project / "policies" / "service-logs.json"
    # IAM checks the document's characters as sent: write them raw, not as \u escapes.
    cyrillic = json.dumps(s3_read("team-\u0431ucket"), indent=2, ensure_ascii=False)
    target.write_text(cyrillic + "\n", encoding="utf-8")
    code, err = _no_call_at_all(project, capsys, moto, monkeypatch)
    assert code == 1 and "policies/service-logs.json:" in err and "IG117" in err, err
    # Latin-1 is what IAM accepts: the safe neighbour passes the gate.
    latin = json.dumps(s3_read("team-b\u00fccket"), indent=2, ensure_ascii=False)
    target.write_text(latin + "\n", encoding="utf-8")
    code, out, err = Run(capsys, project)("plan")
    assert code == 0, out + err


def test_two_files_whose_names_differ_only_in_case_are_refused_before_any_aws_call(
    org: Org,
    project: Path,
    capsys: pytest.CaptureFixture[str],
    moto: MotoServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_json(project / "policies" / "dev" / "service-Reader.json", s3_read("other"))
    code, err = _no_call_at_all(project, capsys, moto, monkeypatch)
    assert code == 1
    assert "policies/dev/service-Reader.json" in err and "whatever their letter case" in err


def test_moto_accepts_two_policy_names_that_differ_only_in_case_where_iam_refuses(
    org: Org,
) -> None:
    """A moto difference: IAM names "are not distinguished by case"
    (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreatePolicy.html), moto keeps
    both — which is why the gate, not an integration failure, must catch them."""
    iam = member_iam(org.endpoint, org.id("dev-1"))
    text = json.dumps(s3_read("x"))
    iam.create_policy(PolicyName="service-Case", PolicyDocument=text)
    iam.create_policy(PolicyName="service-case", PolicyDocument=text)
    names = {p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]}
    assert {"service-Case", "service-case"} <= names


def test_a_repository_policy_named_like_iamgates_record_is_refused(
    org: Org,
    project: Path,
    capsys: pytest.CaptureFixture[str],
    moto: MotoServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_json(project / "policies" / "iamgateDeployedCommit.json", s3_read("x"))
    code, err = _no_call_at_all(project, capsys, moto, monkeypatch)
    assert code == 1 and "is iamgate's own" in err


ACTIONS = ["ec2:RunInstances", "ec2:StopInstances", "s3:PutObject", "s3:DeleteObject"]


def _deny(action: str) -> dict[str, object]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": action, "Resource": "*"}],
    }


def _attach(names: list[str]) -> str:
    return "  scps:\n" + "".join(
        f"    - policy: {name}\n      ous: [Workloads/Prod]\n" for name in names
    )


def test_more_scps_on_one_target_than_organizations_allows_is_refused(
    org: Org,
    project: Path,
    capsys: pytest.CaptureFixture[str],
    moto: MotoServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At most 5 SCPs on a root, OU or account, FullAWSAccess included
    (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html);
    moto does not enforce it."""
    names = [f"Deny{i}" for i in range(len(ACTIONS))] + ["DenyMore"]
    for name, action in zip(names, [*ACTIONS, "sqs:SendMessage"], strict=True):
        write_json(project / "scps" / f"{name}.json", _deny(action))
    base = CONFIG.format(role=DEPLOY_ROLE, concurrency=4)
    (project / "iamgate.yaml").write_text(base + _attach(names), encoding="utf-8")
    code, err = _no_call_at_all(project, capsys, moto, monkeypatch)
    assert code == 1
    assert "attaches 5 SCPs to Workloads/Prod" in err and "and FullAWSAccess" in err, err

    # Three of ours pass the gate, but two SCPs someone else attached there count too.
    organizations = client("organizations", org.endpoint)
    organizations.enable_policy_type(RootId=org.root, PolicyType="SERVICE_CONTROL_POLICY")
    prod = org.ous["Workloads/Prod"]
    for i in range(2):
        made = organizations.create_policy(
            Name=f"Theirs{i}",
            Description="not iamgate's",
            Type="SERVICE_CONTROL_POLICY",
            Content=json.dumps(_deny(ACTIONS[i])),
        )
        organizations.attach_policy(PolicyId=made["Policy"]["PolicySummary"]["Id"], TargetId=prod)
    (project / "iamgate.yaml").write_text(base + _attach(names[:3]), encoding="utf-8")
    code, out, _ = Run(capsys, project)("apply")
    assert code == 1
    assert f"OU Workloads/Prod ({prod}) would have 6 SCPs attached" in out, out
    attached = organizations.list_policies_for_target(
        TargetId=prod, Filter="SERVICE_CONTROL_POLICY"
    )["Policies"]
    assert {p["Name"] for p in attached} == {"FullAWSAccess", "Theirs0", "Theirs1"}
    # The moto difference the gate exists for: moto attaches a sixth SCP without complaint.
    for i in range(2, 5):
        made = organizations.create_policy(
            Name=f"Theirs{i}",
            Description="not iamgate's",
            Type="SERVICE_CONTROL_POLICY",
            Content=json.dumps(_deny(ACTIONS[i % len(ACTIONS)])),
        )
        organizations.attach_policy(PolicyId=made["Policy"]["PolicySummary"]["Id"], TargetId=prod)
    six = organizations.list_policies_for_target(TargetId=prod, Filter="SERVICE_CONTROL_POLICY")
    assert len(six["Policies"]) == 6
