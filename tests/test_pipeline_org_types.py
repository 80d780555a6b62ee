"""Organization policy types are descriptions (iamgate.org_policy_types) fed to one flow: the
per-target attach quota for every type, and a third type registered without any code of its
own, planned and applied against a moto-server organization.

AWS Organizations quotas, "Maximum number of policies attached to a root, OU, or account":
5 SCPs and 5 RCPs, AWS's FullAWSAccess / RCPFullAWSAccess included; 10 tag policies
(https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html,
https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies.html).
moto enforces none of them: it attaches a sixth RCP without complaint (tested below), which
is why iamgate checks the quota itself, offline in the gate and live in each type's plan.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import pytest
from iamgate.pipeline.ownership import DESCRIPTION, TAG_KEY
from pipeline_support import DEPLOY_ROLE, MotoServer, Org, Run, client, fresh_org, write_json

from iamgate import config as config_module
from iamgate import org_policy_types as types_module
from iamgate import organization
from iamgate import project as project_module
from iamgate.config import Config, DeployConfig, ScpAttachment
from iamgate.org_policy_types import RCP_TYPE, SCP_TYPE, OrgPolicyType

pytestmark = pytest.mark.integration

RCP = RCP_TYPE.policy_type
BASE = f"""\
lint:
  fail-on: error
deploy:
  role: {DEPLOY_ROLE}
  path: /
  concurrency: 4
"""


@pytest.fixture
def org(moto: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Org:
    return fresh_org(moto, monkeypatch)


def _deny(action: str) -> dict[str, Any]:
    """An RCP that lints clean: Deny only, Principal "*", a service RCPs support."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Deny",
                "Effect": "Deny",
                "Principal": "*",
                "Action": action,
                "Resource": "*",
                "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-example"}},
            }
        ],
    }


ACTIONS = ("s3:DeleteBucket", "sqs:DeleteQueue", "kms:ScheduleKeyDeletion", "sts:AssumeRole")


def _project(root: Path, names: list[str], ou: str = "Workloads/Prod") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    entries = "".join(f"    - policy: {name}\n      ous: [{ou}]\n" for name in names)
    (root / "iamgate.yaml").write_text(BASE + "  rcps:\n" + entries, encoding="utf-8")
    for i, name in enumerate(names):
        write_json(root / "rcps" / f"{name}.json", _deny(ACTIONS[i % len(ACTIONS)]))
    return root


def test_every_type_is_described_once_and_lint_reads_its_folder_with_its_grammar() -> None:
    assert types_module.org_policy_types() == (SCP_TYPE, RCP_TYPE)
    for kind in types_module.org_policy_types():
        assert project_module.KIND_FOLDERS[kind.folder] == kind.kind
    # AWS's numbers (orgs_reference_limits.html), and where each applies in evaluation.
    assert (SCP_TYPE.max_characters, SCP_TYPE.max_per_target) == (5120, 5)
    assert (RCP_TYPE.max_characters, RCP_TYPE.max_per_target) == (5120, 5)
    assert (SCP_TYPE.side, RCP_TYPE.side) == ("principal", "resource")
    assert SCP_TYPE.detachable and not RCP_TYPE.detachable


def test_more_rcps_on_one_target_than_organizations_allows_is_refused_before_any_call(
    org: Org, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Four RCPs of ours and RCPFullAWSAccess: five would be allowed, but five of ours are
    six with the default, which can never be detached."""
    names = [f"Guard{i}" for i in range(5)]
    root = _project(tmp_path / "project", names)
    code, out, err = Run(capsys, root)("plan")
    assert code == 1, out + err
    assert "deploy.rcps attaches 5 RCPs to Workloads/Prod" in err, err
    assert "and RCPFullAWSAccess: AWS Organizations allows at most 5 RCPs" in err, err
    assert not client("organizations", org.endpoint).list_roots()["Roots"][0]["PolicyTypes"]

    (root / "iamgate.yaml").write_text(
        BASE
        + "  rcps:\n"
        + "".join(f"    - policy: {n}\n      ous: [Workloads/Prod]\n" for n in names[:4]),
        encoding="utf-8",
    )
    assert Run(capsys, root)("plan")[0] == 0  # four and the default: within the quota


def test_rcps_someone_else_attached_count_toward_the_quota_live_and_nothing_is_written(
    org: Org, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    organizations = client("organizations", org.endpoint)
    organizations.enable_policy_type(RootId=org.root, PolicyType=RCP)
    prod = org.ous["Workloads/Prod"]
    for i in range(2):
        made = organizations.create_policy(
            Name=f"Theirs{i}",
            Description="not iamgate's",
            Type=RCP,
            Content=json.dumps(_deny(ACTIONS[i])),
        )
        organizations.attach_policy(PolicyId=made["Policy"]["PolicySummary"]["Id"], TargetId=prod)
    root = _project(tmp_path / "project", ["Ours0", "Ours1", "Ours2"])  # 3 + 1: passes the gate
    code, out, _ = Run(capsys, root)("apply")
    assert code == 1, out
    assert f"OU Workloads/Prod ({prod}) would have 6 RCPs attached" in out, out
    assert "RCPFullAWSAccess, Theirs0, Theirs1" in out, out
    names = {p["Name"] for p in organizations.list_policies(Filter=RCP)["Policies"]}
    assert names == {"RCPFullAWSAccess", "Theirs0", "Theirs1"}  # none of ours was created
    # Two of ours fit: 1 + 2 + 2 = 5.
    (root / "iamgate.yaml").write_text(
        BASE + "  rcps:\n    - policy: Ours0\n      ous: [Workloads/Prod]\n"
        "    - policy: Ours1\n      ous: [Workloads/Prod]\n",
        encoding="utf-8",
    )
    assert Run(capsys, root)("apply")[0] == 0
    attached = organizations.list_policies_for_target(TargetId=prod, Filter=RCP)["Policies"]
    assert len(attached) == 5
    # The moto difference the check exists for: moto attaches a sixth RCP without complaint.
    made = organizations.create_policy(
        Name="Sixth", Description="", Type=RCP, Content=json.dumps(_deny(ACTIONS[3]))
    )
    organizations.attach_policy(PolicyId=made["Policy"]["PolicySummary"]["Id"], TargetId=prod)
    attached = organizations.list_policies_for_target(TargetId=prod, Filter=RCP)["Policies"]
    assert len(attached) == 6


# --- a third type: one description and a folder ------------------------------------------

# A made-up type for the proof: Organizations' TAG_POLICY (moto supports it), with its own
# folder, no AWS-managed default, a quota of 10 per target, outside authorization. It borrows
# the SCP grammar for its files: moto does not validate a tag policy's content, and a real
# tag-policy type would bring its own grammar kind (iamgate.model.PolicyKind) as well.
TAG_TYPE = OrgPolicyType(
    kind="scp",
    folder="tagguards",
    label="TAG",
    title="Tag guards",
    policy_type="TAG_POLICY",
    max_characters=10000,
    max_per_target=10,
    side="none",
)


@dataclass(frozen=True)
class DeployWithTagGuards(DeployConfig):
    """deploy.tagguards: what the schema would gain with the type."""

    tagguards: tuple[ScpAttachment, ...] = ()


def _with_tag_guards(config: Config, entries: tuple[ScpAttachment, ...] | None) -> Config:
    """The configuration a project with deploy.tagguards would load to (None: no such key)."""
    if entries is None:
        return config
    base = {f.name: getattr(config.deploy, f.name) for f in fields(DeployConfig)}
    raw = {**config.raw, "deploy": {**config.raw.get("deploy", {}), "tagguards": []}}
    return replace(config, deploy=DeployWithTagGuards(**base, tagguards=entries), raw=raw)


@pytest.fixture
def tag_guards(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Register TAG_TYPE for this test: the registry, lint's folder map, the configuration."""
    wanted: dict[str, Any] = {"entries": (ScpAttachment("TagGuard", ous=("Workloads",)),)}
    monkeypatch.setattr(types_module, "ORG_POLICY_TYPES", (SCP_TYPE, RCP_TYPE, TAG_TYPE))
    monkeypatch.setitem(project_module.KIND_FOLDERS, TAG_TYPE.folder, TAG_TYPE.kind)
    load = config_module.load_config

    def load_config(*args: Any, **kwargs: Any) -> Config:
        return _with_tag_guards(load(*args, **kwargs), wanted["entries"])

    monkeypatch.setattr(config_module, "load_config", load_config)
    return wanted


def _changes(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    section = report[TAG_TYPE.folder]
    return [(c["action"], c["policy"], c.get("target_label", "")) for c in section["changes"]]


def test_a_third_type_is_planned_applied_and_pruned_by_the_same_flow(
    org: Org, tmp_path: Path, capsys: pytest.CaptureFixture[str], tag_guards: dict[str, Any]
) -> None:
    root = tmp_path / "project"
    root.mkdir()
    (root / "iamgate.yaml").write_text(BASE, encoding="utf-8")
    guard = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "NoUntagged", "Effect": "Deny", "Action": "ec2:RunInstances", "Resource": "*"}
        ],
    }
    write_json(root / "tagguards" / "TagGuard.json", guard)
    run = Run(capsys, root)
    code, report = run.json("plan")
    assert code == 0, report
    assert _changes(report) == [
        ("enable", "TAG_POLICY", "Root"),
        ("create", "TagGuard", ""),
        ("attach", "TagGuard", "OU Workloads"),
    ]
    assert report["scps"] is None and report["rcps"] is None  # neither is configured
    code, out, _ = run("plan")
    assert "Tag guards (organization-wide, from the management account)" in out, out
    assert "TAGs: 1 to enable, 1 to create" in out, out

    assert run("apply")[0] == 0
    organizations = client("organizations", org.endpoint)
    ours = {p["Name"]: p for p in organizations.list_policies(Filter="TAG_POLICY")["Policies"]}
    assert set(ours) == {"TagGuard"}
    described = organizations.describe_policy(PolicyId=ours["TagGuard"]["Id"])["Policy"]
    assert described["PolicySummary"]["Description"] == DESCRIPTION
    assert json.loads(described["Content"]) == guard
    tags = organizations.list_tags_for_resource(ResourceId=ours["TagGuard"]["Id"])["Tags"]
    assert {t["Key"]: t["Value"] for t in tags}[TAG_KEY] == "true"
    targets = organizations.list_targets_for_policy(PolicyId=ours["TagGuard"]["Id"])["Targets"]
    assert [t["TargetId"] for t in targets] == [org.ous["Workloads"]]
    code, report = run.json("plan")
    assert code == 0 and report[TAG_TYPE.folder]["unchanged"] == ["TagGuard"], report

    # Edited by hand: drift sees it, as for SCPs and RCPs.
    organizations.update_policy(PolicyId=ours["TagGuard"]["Id"], Content=json.dumps({}))
    code, report = run.json("drift")
    assert code == 2 and _changes(report) == [("update", "TagGuard", "")], report

    # Gone from deploy.tagguards: --prune detaches it and deletes it.
    tag_guards["entries"] = ()
    assert run("apply", "--prune")[0] == 0
    assert organizations.list_policies(Filter="TAG_POLICY")["Policies"] == []


def test_an_ou_only_deploy_rcps_names_is_known_offline_with_its_rcps(tmp_path: Path) -> None:
    """explain and simulate --ou place an OU that only deploy.rcps names, as for deploy.scps."""
    from iamgate.config import load_config

    root = _project(tmp_path / "project", ["Guard0"], ou="Sandbox/Deep")
    config = load_config(root / "iamgate.yaml")
    assert organization.known_ous(config) == ["Sandbox", "Sandbox/Deep"]
    where = organization.placement(config, ou="Sandbox/Deep")
    assert [level.name for level in where.rcp_levels] == ["Root", "Sandbox", "Sandbox/Deep"]
    assert [(name, p.name) for name, p in where.attached_rcps()] == [("Sandbox/Deep", "Guard0")]
    assert [p.name for p in where.rcp_levels[0].policies] == [RCP_TYPE.full_access]
