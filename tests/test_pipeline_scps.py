"""deploy.scps against a real moto server's Organizations API: SCPs are created, updated,
attached, detached and pruned from the management account, exactly as IAM policies are in
member accounts — ownership proven, conflicts left alone, FullAWSAccess kept unless
configured, and a plan that would leave an OU with no SCP refused before any write.
https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_attach.html
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from iamgate.pipeline.org_policies.desired import DesiredOrgPolicy
from iamgate.pipeline.org_policies.live import LiveOrgPolicy
from iamgate.pipeline.org_policies.plan import plan_policies, refuse_empty_targets
from iamgate.pipeline.org_policies.targets import OrgTarget
from iamgate.pipeline.ownership import DESCRIPTION, TAG_KEY
from pipeline_support import (
    CONFIG,
    DEPLOY_ROLE,
    DEV,
    PROD,
    REPO,
    FailCall,
    Faults,
    MotoServer,
    Org,
    Run,
    client,
    converged,
    copy_example,
    fault_proxy,
    fresh_org,
    live_policies,
    make_project,
    write_json,
)

from iamgate.org_policy_types import SCP_TYPE

pytestmark = pytest.mark.integration

SCP = "SERVICE_CONTROL_POLICY"
GUARDRAILS = """\
  scps:
    - policy: DenyLeaveOrganization
      ous: [Root]
    - policy: DenyBoundaryTampering
      ous: [Workloads]
"""


@pytest.fixture
def org(moto: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Org:
    built = fresh_org(moto, monkeypatch)
    organizations(built).enable_policy_type(RootId=built.root, PolicyType=SCP)
    return built


def project_config(scps: str = GUARDRAILS, extra: str = "") -> str:
    return CONFIG.format(role=DEPLOY_ROLE, concurrency=4) + scps + extra


# An allow-list SCP: where FullAWSAccess is detached, something must still allow requests.
ALLOW_LIST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ApprovedServices",
            "Effect": "Allow",
            "Action": ["s3:*", "ec2:*", "sts:*", "logs:*"],
            "Resource": "*",
        }
    ],
}
WITH_ALLOW_LIST = "    - policy: WorkloadsAllowList\n      ous: [Workloads/Prod]\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = make_project(tmp_path / "project", config=project_config())
    shutil.copytree(REPO / "scps", root / "scps")
    write_json(root / "scps" / "WorkloadsAllowList.json", ALLOW_LIST)
    return root


class ScpRun(Run):
    def configure(self, scps: str = GUARDRAILS, extra: str = "") -> None:
        (self.project / "iamgate.yaml").write_text(project_config(scps, extra), encoding="utf-8")


@pytest.fixture
def iamgate(capsys: pytest.CaptureFixture[str], project: Path) -> ScpRun:
    return ScpRun(capsys, project)


def organizations(org: Org) -> Any:
    return client("organizations", org.endpoint)


def scp_ids(org: Org) -> dict[str, str]:
    items = organizations(org).list_policies(Filter=SCP)["Policies"]
    return {p["Name"]: p["Id"] for p in items}


def attached(org: Org, target: str) -> set[str]:
    items = organizations(org).list_policies_for_target(TargetId=target, Filter=SCP)["Policies"]
    return {p["Name"] for p in items}


def content(org: Org, name: str) -> dict[str, Any]:
    policy = organizations(org).describe_policy(PolicyId=scp_ids(org)[name])
    return json.loads(policy["Policy"]["Content"])


def scp_changes(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (c["action"], c["policy"], c.get("target_label", "")) for c in report["scps"]["changes"]
    ]


def repo_scp(name: str) -> dict[str, Any]:
    return json.loads((REPO / "scps" / f"{name}.json").read_text(encoding="utf-8"))


def every_target(org: Org) -> list[str]:
    return [org.root, *org.ous.values(), *org.accounts.values()]


# --- apply, then nothing to do ------------------------------------------------------------


def test_first_apply_attaches_the_guardrails_where_configured_with_ownership_marks(
    org: Org, iamgate: ScpRun
) -> None:
    code, report = iamgate.json("apply")
    assert code == 0, report
    assert sorted(scp_changes(report)) == sorted(
        [
            ("create", "DenyBoundaryTampering", ""),
            ("create", "DenyLeaveOrganization", ""),
            ("attach", "DenyBoundaryTampering", "OU Workloads"),
            ("attach", "DenyLeaveOrganization", "Root"),
        ]
    )
    assert all(c["result"] == "done" for c in report["scps"]["changes"])
    assert attached(org, org.root) == {"FullAWSAccess", "DenyLeaveOrganization"}
    assert attached(org, org.ous["Workloads"]) == {"FullAWSAccess", "DenyBoundaryTampering"}
    assert attached(org, org.ous["Workloads/Dev"]) == {"FullAWSAccess"}
    assert attached(org, org.id("dev-1")) == {"FullAWSAccess"}
    assert content(org, "DenyBoundaryTampering") == repo_scp("DenyBoundaryTampering")
    ids = scp_ids(org)
    for name in ("DenyBoundaryTampering", "DenyLeaveOrganization"):
        summary = organizations(org).describe_policy(PolicyId=ids[name])["Policy"]
        assert summary["PolicySummary"]["Description"] == DESCRIPTION
        tags = organizations(org).list_tags_for_resource(ResourceId=ids[name])["Tags"]
        assert tags == [{"Key": TAG_KEY, "Value": "true"}]
    # SCPs are organization-level: no member account got an IAM policy named like one.
    assert "DenyBoundaryTampering" not in live_policies(org.iam("dev-1"))


def test_after_apply_the_plan_is_empty_and_detailed_exitcode_is_0(
    org: Org, iamgate: ScpRun
) -> None:
    assert iamgate("apply")[0] == 0
    code, out, _ = iamgate("plan", "--detailed-exitcode")
    assert code == 0, out
    assert "SCPs: 0 to create, 0 to update, 0 to attach, 0 to detach, 0 to delete" in out
    assert "unchanged: DenyLeaveOrganization, DenyBoundaryTampering" in out
    code, report = iamgate.json("apply")
    assert code == 0 and report["scps"]["changes"] == []


def test_plan_counts_scp_changes_for_detailed_exitcode_and_writes_nothing(
    org: Org, iamgate: ScpRun
) -> None:
    assert iamgate("apply")[0] == 0
    iamgate.configure(GUARDRAILS + f'      accounts: ["{org.id("shared-services")}"]\n')
    code, out, _ = iamgate("plan", "--detailed-exitcode")
    assert code == 2, out
    assert f"+ attach DenyBoundaryTampering to account {org.id('shared-services')}" in out
    assert attached(org, org.id("shared-services")) == {"FullAWSAccess"}


def test_an_organization_without_scps_enabled_gets_them_enabled_first(
    org: Org, iamgate: ScpRun
) -> None:
    organizations(org).disable_policy_type(RootId=org.root, PolicyType=SCP)
    code, report = iamgate.json("plan")
    assert code == 0
    assert scp_changes(report)[0] == ("enable", SCP, "Root")
    assert iamgate("apply")[0] == 0
    types = organizations(org).list_roots()["Roots"][0]["PolicyTypes"]
    assert {"Type": SCP, "Status": "ENABLED"} in types
    assert "DenyLeaveOrganization" in attached(org, org.root)


# --- drift ---------------------------------------------------------------------------------


def test_an_scp_detached_by_hand_is_drift_and_apply_attaches_it_again(
    org: Org, iamgate: ScpRun
) -> None:
    assert iamgate("apply")[0] == 0
    ids = scp_ids(org)
    organizations(org).detach_policy(
        PolicyId=ids["DenyBoundaryTampering"], TargetId=org.ous["Workloads"]
    )
    code, out, _ = iamgate("drift")
    assert code == 2, out
    assert "+ attach DenyBoundaryTampering to OU Workloads" in out
    code, report = iamgate.json("apply")
    assert code == 0 and scp_changes(report) == [
        ("attach", "DenyBoundaryTampering", "OU Workloads")
    ]
    assert "DenyBoundaryTampering" in attached(org, org.ous["Workloads"])
    assert iamgate("drift")[0] == 0


def test_our_scp_attached_by_hand_elsewhere_is_drift_and_apply_detaches_it(
    org: Org, iamgate: ScpRun
) -> None:
    assert iamgate("apply")[0] == 0
    infrastructure = org.ous["Infrastructure"]
    organizations(org).attach_policy(
        PolicyId=scp_ids(org)["DenyBoundaryTampering"], TargetId=infrastructure
    )
    code, report = iamgate.json("drift")
    assert code == 2
    assert scp_changes(report) == [
        ("detach", "DenyBoundaryTampering", f"OU Infrastructure ({infrastructure})")
    ]
    assert iamgate("apply")[0] == 0
    assert attached(org, infrastructure) == {"FullAWSAccess"}


def test_an_scp_edited_by_hand_is_drift_and_apply_restores_the_reviewed_content(
    org: Org, iamgate: ScpRun
) -> None:
    assert iamgate("apply")[0] == 0
    weakened = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}],
    }
    organizations(org).update_policy(
        PolicyId=scp_ids(org)["DenyLeaveOrganization"], Content=json.dumps(weakened)
    )
    code, out, _ = iamgate("drift")
    assert code == 2
    assert "~ update DenyLeaveOrganization  scps/DenyLeaveOrganization.json" in out
    diff = ["".join(line.split()) for line in out.splitlines()]
    assert '-"s3:DeleteBucket"' in diff and '+"organizations:LeaveOrganization"' in diff
    assert iamgate("apply")[0] == 0
    assert content(org, "DenyLeaveOrganization") == repo_scp("DenyLeaveOrganization")


def test_an_scp_deleted_by_hand_is_drift_and_apply_recreates_and_reattaches_it(
    org: Org, iamgate: ScpRun
) -> None:
    assert iamgate("apply")[0] == 0
    policy_id = scp_ids(org)["DenyLeaveOrganization"]
    organizations(org).detach_policy(PolicyId=policy_id, TargetId=org.root)
    organizations(org).delete_policy(PolicyId=policy_id)
    code, report = iamgate.json("drift")
    assert code == 2
    assert scp_changes(report) == [
        ("create", "DenyLeaveOrganization", ""),
        ("attach", "DenyLeaveOrganization", "Root"),
    ]
    assert iamgate("apply")[0] == 0
    assert "DenyLeaveOrganization" in attached(org, org.root)
    assert iamgate("drift")[0] == 0


# --- updates -------------------------------------------------------------------------------


def test_editing_an_scp_file_updates_it_in_place(org: Org, iamgate: ScpRun, project: Path) -> None:
    assert iamgate("apply")[0] == 0
    before = scp_ids(org)["DenyLeaveOrganization"]
    document = repo_scp("DenyLeaveOrganization")
    document["Statement"][0]["Action"] = ["organizations:LeaveOrganization", "account:CloseAccount"]
    write_json(project / "scps" / "DenyLeaveOrganization.json", document)
    code, report = iamgate.json("plan", "--detailed-exitcode")
    assert code == 2
    assert scp_changes(report) == [("update", "DenyLeaveOrganization", "")]
    diff = ["".join(line.split()) for line in report["scps"]["changes"][0]["diff"].splitlines()]
    assert '+"account:CloseAccount",' in diff
    assert iamgate("apply")[0] == 0
    assert content(org, "DenyLeaveOrganization") == document
    assert scp_ids(org)["DenyLeaveOrganization"] == before  # updated, not replaced
    assert "DenyLeaveOrganization" in attached(org, org.root)


def test_a_reformatted_scp_file_is_not_a_change(org: Org, iamgate: ScpRun, project: Path) -> None:
    assert iamgate("apply")[0] == 0
    path = project / "scps" / "DenyLeaveOrganization.json"
    document = repo_scp("DenyLeaveOrganization")
    document["Statement"][0]["Action"] = [document["Statement"][0]["Action"]]  # "x" == ["x"]
    path.write_text(json.dumps(document, indent=4, sort_keys=True) + "\n", encoding="utf-8")
    code, out, _ = iamgate("plan", "--detailed-exitcode")
    assert code == 0, out


# --- ownership -----------------------------------------------------------------------------


def test_a_same_name_scp_that_is_not_ours_is_a_conflict_and_untouched(
    org: Org, iamgate: ScpRun
) -> None:
    theirs = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "ec2:*", "Resource": "*"}],
    }
    created = organizations(org).create_policy(
        Name="DenyBoundaryTampering",
        Description="the security team's",
        Content=json.dumps(theirs),
        Type=SCP,
    )
    their_id = created["Policy"]["PolicySummary"]["Id"]
    code, report = iamgate.json("apply")
    assert code == 1  # a reviewed SCP could not be deployed: the run did not converge
    conflict = [c for c in report["scps"]["changes"] if c["policy"] == "DenyBoundaryTampering"]
    assert [c["action"] for c in conflict] == ["conflict"]
    assert "belongs to someone else" in conflict[0]["reason"]
    assert content(org, "DenyBoundaryTampering") == theirs
    assert organizations(org).list_targets_for_policy(PolicyId=their_id)["Targets"] == []
    assert "DenyLeaveOrganization" in attached(org, org.root)  # the other SCP still deploys


def test_an_scp_with_our_description_but_no_tag_is_not_proven_ours(
    org: Org, iamgate: ScpRun
) -> None:
    organizations(org).create_policy(
        Name="DenyLeaveOrganization",
        Description=DESCRIPTION,
        Content=json.dumps(repo_scp("DenyBoundaryTampering")),
        Type=SCP,
    )
    _, report = iamgate.json("plan")
    [change] = [c for c in report["scps"]["changes"] if c["policy"] == "DenyLeaveOrganization"]
    assert change["action"] == "conflict" and f"not the tag {TAG_KEY}=true" in change["reason"]
    assert iamgate("apply")[0] == 1
    assert content(org, "DenyLeaveOrganization") == repo_scp("DenyBoundaryTampering")
    assert attached(org, org.root) == {"FullAWSAccess"}


# --- FullAWSAccess and the last SCP --------------------------------------------------------


def test_full_aws_access_is_never_detached_unless_configured(org: Org, iamgate: ScpRun) -> None:
    assert iamgate("apply", "--prune")[0] == 0
    assert all("FullAWSAccess" in attached(org, t) for t in every_target(org))
    # Drift plans with prune: FullAWSAccess, attached everywhere and configured nowhere, is
    # still not a difference.
    assert iamgate("drift")[0] == 0
    iamgate.configure(GUARDRAILS.replace("[Workloads]", "[Workloads/Prod]"))
    code, report = iamgate.json("apply", "--prune")
    assert code == 0 and ("detach", "FullAWSAccess") not in {c[:2] for c in scp_changes(report)}
    assert attached(org, org.ous["Workloads/Prod"]) == {"FullAWSAccess", "DenyBoundaryTampering"}
    assert attached(org, org.ous["Workloads"]) == {"FullAWSAccess"}


def test_detaching_full_aws_access_where_configured_keeps_the_replacement_attached(
    org: Org, iamgate: ScpRun
) -> None:
    scps = GUARDRAILS.replace("ous: [Workloads]", "ous: [Workloads, Workloads/Prod]")
    iamgate.configure(scps + WITH_ALLOW_LIST, extra="  detach-full-aws-access: [Workloads/Prod]\n")
    code, report = iamgate.json("apply")
    assert code == 0, report
    actions = [a for a, _, _ in scp_changes(report)]
    assert actions.index("attach") < actions.index("detach")  # never zero SCPs in between
    assert attached(org, org.ous["Workloads/Prod"]) == {
        "DenyBoundaryTampering",
        "WorkloadsAllowList",
    }
    assert "FullAWSAccess" in attached(org, org.ous["Workloads"])
    assert iamgate("plan", "--detailed-exitcode")[0] == 0


def test_a_plan_that_would_leave_an_ou_with_no_scp_is_refused_before_any_write(
    org: Org, iamgate: ScpRun, moto: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    iamgate.configure(extra="  detach-full-aws-access: [Infrastructure]\n")
    with fault_proxy(moto.port) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        code, out, _ = iamgate("apply")
    assert code == 1
    assert "deploy.scps refused, nothing was written" in out
    assert f"OU Infrastructure ({org.ous['Infrastructure']}) would be left with no SCP" in out
    writes = {"CreatePolicy", "AttachPolicy", "DetachPolicy", "UpdatePolicy", "AssumeRole"}
    assert not writes & set(proxy.calls)  # not even a member account was touched
    assert scp_ids(org) == {"FullAWSAccess": SCP_TYPE.full_access_id}
    assert attached(org, org.ous["Infrastructure"]) == {"FullAWSAccess"}


# --- no lockout: what is left at a target must allow something ------------------------------

DENY_ONLY_LEFT = GUARDRAILS.replace("ous: [Workloads]", "ous: [Workloads, Workloads/Prod]")


def test_detaching_full_aws_access_where_only_denies_remain_is_refused_before_any_write(
    org: Org, iamgate: ScpRun, moto: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's lockout: DenyBoundaryTampering (Deny statements only) would be all that is
    left on Workloads/Prod, so AWS would deny every principal there every action."""
    iamgate.configure(DENY_ONLY_LEFT, extra="  detach-full-aws-access: [Workloads/Prod]\n")
    with fault_proxy(moto.port) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        code, out, _ = iamgate("apply")
        plan_code, _, _ = iamgate("plan", "--detailed-exitcode")
    assert code == 1 and plan_code == 1, out
    prod = org.ous["Workloads/Prod"]
    assert f"OU Workloads/Prod ({prod}) would be left with SCPs that allow nothing" in out, out
    writes = {"CreatePolicy", "AttachPolicy", "DetachPolicy", "UpdatePolicy", "AssumeRole"}
    assert not writes & set(proxy.calls)
    assert attached(org, prod) == {"FullAWSAccess"}


def test_removing_a_target_from_detach_full_aws_access_attaches_full_aws_access_again(
    org: Org, iamgate: ScpRun
) -> None:
    scps = DENY_ONLY_LEFT + WITH_ALLOW_LIST
    iamgate.configure(scps, extra="  detach-full-aws-access: [Workloads/Prod]\n")
    assert iamgate("apply")[0] == 0
    prod = org.ous["Workloads/Prod"]
    assert "FullAWSAccess" not in attached(org, prod)
    iamgate.configure(scps)  # the line is reverted
    code, report = iamgate.json("apply")
    assert code == 0, report
    assert ("attach", "FullAWSAccess") in {c[:2] for c in scp_changes(report)}
    assert "FullAWSAccess" in attached(org, prod)
    assert iamgate("plan", "--detailed-exitcode")[0] == 0


def test_an_ou_already_locked_out_by_hand_is_repaired_by_reverting_the_line(
    org: Org, iamgate: ScpRun
) -> None:
    """Reverting must not be refused: the plan that re-attaches FullAWSAccess leaves the OU
    allowing everything again, and the IAM deploys of every account go on."""
    iamgate.configure(DENY_ONLY_LEFT)
    assert iamgate("apply")[0] == 0
    prod = org.ous["Workloads/Prod"]
    organizations(org).detach_policy(PolicyId=SCP_TYPE.full_access_id, TargetId=prod)
    assert attached(org, prod) == {"DenyBoundaryTampering"}  # locked out
    code, report = iamgate.json("apply")
    assert code == 0, report
    assert attached(org, prod) == {"FullAWSAccess", "DenyBoundaryTampering"}
    assert all(not a["failures"] for a in report["accounts"]) and report["accounts"]


@pytest.mark.parametrize(
    ("documents", "allows"),
    [
        pytest.param([repo_scp("DenyBoundaryTampering")], False, id="deny-only"),
        pytest.param([repo_scp("DenyLeaveOrganization"), ALLOW_LIST], True, id="allow-list"),
        pytest.param(
            [
                ALLOW_LIST,
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Deny",
                            "Action": ["s3:*", "ec2:*", "sts:*", "logs:*"],
                            "Resource": "*",
                        }
                    ],
                },
            ],
            False,
            id="allow-list-denied-entirely",
        ),
        pytest.param(
            [
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Action": "dynamodb:Get*", "Resource": "*"},
                        {"Effect": "Deny", "Action": "dynamodb:GetItem", "Resource": "*"},
                    ],
                }
            ],
            True,
            id="wildcard-expanded-past-a-deny",
        ),
        pytest.param(
            [
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "s3:GetObject",
                            "Resource": "arn:aws:s3:::team-*/*",
                        }
                    ],
                }
            ],
            True,
            id="resource-scoped-allow",
        ),
    ],
)
def test_the_evaluator_decides_whether_a_level_of_scps_allows_anything(
    documents: list[dict[str, Any]], allows: bool
) -> None:
    from iamgate.pipeline.org_policies.lockout import ALLOW_ALL, allows_something

    assert allows_something(documents) is allows
    # FullAWSAccess beside them: only a Deny of every probe and allowed action would lock out.
    assert allows_something([*documents, ALLOW_ALL]) is True


def _allow(*actions: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}],
    }


def test_a_path_whose_levels_allow_disjoint_services_allows_nothing() -> None:
    from iamgate.pipeline.org_policies.lockout import ALLOW_ALL, path_allows_something

    assert path_allows_something([[ALLOW_ALL], [_allow("s3:*")], [_allow("s3:Get*")]])
    assert not path_allows_something([[ALLOW_ALL], [_allow("s3:*")], [_allow("ec2:*")]])


def test_an_ou_whose_path_allows_nothing_is_refused_though_its_own_scps_allow_something(
    org: Org, iamgate: ScpRun, project: Path
) -> None:
    write_json(project / "scps" / "AllowS3Only.json", _allow("s3:*"))
    write_json(project / "scps" / "AllowEc2Only.json", _allow("ec2:*"))
    scps = GUARDRAILS + (
        "    - policy: AllowS3Only\n      ous: [Workloads]\n"
        "    - policy: AllowEc2Only\n      ous: [Workloads/Prod]\n"
    )
    iamgate.configure(scps, extra="  detach-full-aws-access: [Workloads, Workloads/Prod]\n")
    code, report = iamgate.json("apply")
    assert code == 1, report
    prod, workloads = org.ous["Workloads/Prod"], org.ous["Workloads"]
    refusals = report["scps"]["refusals"]
    assert len(refusals) == 1, refusals  # Workloads itself still allows s3
    assert refusals[0].startswith(
        f"OU Workloads/Prod ({prod}) would be left with SCPs that, with those above it, "
        "allow nothing (AllowEc2Only)"
    )
    assert attached(org, prod) == {"FullAWSAccess"}  # nothing written
    assert attached(org, workloads) == {"FullAWSAccess"}
    # Only Workloads narrowed: its path (and Prod's, below it) still allows s3.
    iamgate.configure(
        scps.replace("[Workloads/Prod]", "[Workloads]"),
        extra=("  detach-full-aws-access: [Workloads]\n"),
    )
    code, report = iamgate.json("apply")
    assert code == 0, report
    assert attached(org, org.ous["Workloads"]) == {
        "AllowS3Only",
        "AllowEc2Only",
        "DenyBoundaryTampering",
    }


# --- an Organizations write failing half-way ------------------------------------------------

# DenyBoundaryTampering replaces FullAWSAccess on Workloads/Prod. The plan's writes, in order:
# create x2, attach DenyBoundaryTampering to Workloads then Workloads/Prod, attach
# DenyLeaveOrganization to Root, detach FullAWSAccess from Workloads/Prod.
REPLACES_FULL_ACCESS = (
    GUARDRAILS.replace("ous: [Workloads]", "ous: [Workloads, Workloads/Prod]") + WITH_ALLOW_LIST
)
DETACH_FULL_ACCESS = "  detach-full-aws-access: [Workloads/Prod]\n"
HALF_WAY = [
    pytest.param(
        FailCall("AttachPolicy", "server_error", after=1),
        "attaching DenyBoundaryTampering on OU Workloads/Prod: ServiceException",
        id="attach-500",
    ),
    pytest.param(
        FailCall("AttachPolicy", "drop", after=2),
        "attaching DenyLeaveOrganization on Root: ConnectionClosedError",
        id="attach-dropped-connection",
    ),
    pytest.param(
        FailCall("DetachPolicy", "access_denied"),
        "detaching FullAWSAccess on OU Workloads/Prod: AccessDeniedException",
        id="detach-access-denied",
    ),
]


def assert_stopped_at_the_failure(report: dict[str, Any], cause: str) -> None:
    """Every write before the failed one done, none after it attempted, the cause reported."""
    changes = report["scps"]["changes"]
    [failed] = [i for i, c in enumerate(changes) if c["result"] == "failed"]
    assert failed > 0, changes  # half-way: some SCP writes had succeeded
    assert changes[failed]["error"].startswith(cause), changes[failed]
    assert report["scps"]["failures"] == [changes[failed]["error"]]
    assert [c["result"] for c in changes[:failed]] == ["done"] * failed
    assert {c["result"] for c in changes[failed + 1 :]} <= {"not attempted"}


def assert_no_target_without_an_scp(org: Org) -> None:
    for target in every_target(org):
        assert attached(org, target), target


@pytest.mark.parametrize(("fail", "cause"), HALF_WAY)
def test_an_scp_write_failing_half_way_stops_the_scps_not_the_accounts_and_a_rerun_converges(
    org: Org,
    iamgate: ScpRun,
    project: Path,
    moto: MotoServer,
    monkeypatch: pytest.MonkeyPatch,
    fail: FailCall,
    cause: str,
) -> None:
    iamgate.configure(REPLACES_FULL_ACCESS, extra=DETACH_FULL_ACCESS)
    with fault_proxy(moto.port, Faults(fail=(fail,))) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        code, report = iamgate.json("apply")
    assert code == 1, report
    assert proxy.injected[fail.kind] > 0
    assert_stopped_at_the_failure(report, cause)
    # The SCP failure is the organization's: every member account was still deployed.
    assert [a["name"] for a in report["accounts"] if a["failures"]] == []
    for name in (*DEV, *PROD):
        assert converged(org, project, name), name
    # FullAWSAccess is detached only after its replacement is attached, so it is still there.
    assert_no_target_without_an_scp(org)
    assert "FullAWSAccess" in attached(org, org.ous["Workloads/Prod"])

    monkeypatch.setenv("AWS_ENDPOINT_URL", moto.endpoint)
    code, out, _ = iamgate("plan", "--detailed-exitcode")
    assert code == 2 and "- detach FullAWSAccess from OU Workloads/Prod" in out, out
    code, report = iamgate.json("apply")
    assert code == 0, report
    assert all(c["result"] == "done" for c in report["scps"]["changes"])
    assert attached(org, org.ous["Workloads/Prod"]) == {
        "DenyBoundaryTampering",
        "WorkloadsAllowList",
    }
    assert attached(org, org.root) == {"FullAWSAccess", "DenyLeaveOrganization"}
    assert_no_target_without_an_scp(org)
    code, out, _ = iamgate("plan", "--detailed-exitcode")
    assert code == 0, out


def test_an_scp_update_denied_half_way_keeps_every_attachment_and_a_rerun_converges(
    org: Org, iamgate: ScpRun, project: Path, moto: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert iamgate("apply")[0] == 0
    edited: dict[str, dict[str, Any]] = {}
    for name in ("DenyBoundaryTampering", "DenyLeaveOrganization"):
        edited[name] = repo_scp(name)
        edited[name]["Statement"][0]["Sid"] = "EditedInThisPullRequest"
        write_json(project / "scps" / f"{name}.json", edited[name])
    # Updates run in name order: DenyBoundaryTampering's goes through, the second is denied.
    faults = Faults(fail=(FailCall("UpdatePolicy", "access_denied", after=1),))
    with fault_proxy(moto.port, faults) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        code, out, _ = iamgate("apply")
    assert code == 1, out
    assert (
        "update FAILED DenyLeaveOrganization  scps/DenyLeaveOrganization.json  "
        "updating DenyLeaveOrganization: AccessDeniedException: User is not authorized" in out
    ), out
    assert proxy.calls["UpdatePolicy"] == 1
    assert content(org, "DenyBoundaryTampering") == edited["DenyBoundaryTampering"]
    assert content(org, "DenyLeaveOrganization") == repo_scp("DenyLeaveOrganization")
    assert attached(org, org.root) == {"FullAWSAccess", "DenyLeaveOrganization"}
    assert attached(org, org.ous["Workloads"]) == {"FullAWSAccess", "DenyBoundaryTampering"}
    assert_no_target_without_an_scp(org)

    monkeypatch.setenv("AWS_ENDPOINT_URL", moto.endpoint)
    code, report = iamgate.json("apply")
    assert code == 0, report
    assert scp_changes(report) == [("update", "DenyLeaveOrganization", "")]
    assert content(org, "DenyLeaveOrganization") == edited["DenyLeaveOrganization"]
    code, out, _ = iamgate("plan", "--detailed-exitcode")
    assert code == 0, out


# --- prune ---------------------------------------------------------------------------------


def test_prune_detaches_then_deletes_an_scp_removed_from_the_repository(
    org: Org, iamgate: ScpRun, project: Path
) -> None:
    assert iamgate("apply")[0] == 0
    their_id = organizations(org).create_policy(
        Name="SecurityTeamGuardrail",
        Description="not iamgate's",
        Content=json.dumps(repo_scp("DenyLeaveOrganization")),
        Type=SCP,
    )["Policy"]["PolicySummary"]["Id"]
    iamgate.configure(GUARDRAILS.split("    - policy: DenyBoundaryTampering")[0])
    (project / "scps" / "DenyBoundaryTampering.json").unlink()
    code, out, _ = iamgate("apply")
    assert code == 0
    assert "no longer in deploy.scps, kept attached" in out and "DenyBoundaryTampering" in out
    assert "DenyBoundaryTampering" in attached(org, org.ous["Workloads"])
    code, report = iamgate.json("apply", "--prune")
    assert code == 0, report
    assert scp_changes(report) == [
        ("detach", "DenyBoundaryTampering", f"OU Workloads ({org.ous['Workloads']})"),
        ("delete", "DenyBoundaryTampering", ""),
    ]
    assert set(scp_ids(org)) == {"FullAWSAccess", "DenyLeaveOrganization", "SecurityTeamGuardrail"}
    assert attached(org, org.ous["Workloads"]) == {"FullAWSAccess"}
    assert organizations(org).describe_policy(PolicyId=their_id)["Policy"]


# --- the gate, configuration, reports ------------------------------------------------------


def test_an_scp_that_fails_lint_stops_apply_before_any_aws_call(
    org: Org, iamgate: ScpRun, project: Path, moto: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = repo_scp("DenyLeaveOrganization")
    document["Statement"][0]["Principal"] = "*"  # SCPs have no Principal
    write_json(project / "scps" / "DenyLeaveOrganization.json", document)
    with fault_proxy(moto.port) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        code, _out, err = iamgate("apply")
    assert code == 1
    assert "lint failed; nothing was deployed and no AWS call was made" in err
    assert "scps/DenyLeaveOrganization.json:" in err
    assert sum(proxy.calls.values()) == 0


def test_an_unknown_ou_or_missing_scp_file_is_a_config_error_that_names_it(
    org: Org, iamgate: ScpRun
) -> None:
    iamgate.configure(GUARDRAILS.replace("[Workloads]", "[Workloads/Staging]"))
    code, out, err = iamgate("plan")
    assert code == 1 and out == ""  # a configuration error: 1, as Terraform
    assert "deploy.scps[DenyBoundaryTampering]: the OU path 'Workloads/Staging'" in err
    iamgate.configure(GUARDRAILS + "    - policy: DenyEverything\n      ous: [Root]\n")
    code, out, err = iamgate("plan")
    assert code == 1 and "the SCP 'DenyEverything' has no file scps/DenyEverything.json" in err


def test_scps_are_planned_once_not_for_an_accounts_subset(org: Org, iamgate: ScpRun) -> None:
    code, report = iamgate.json("plan", "--accounts", org.id("dev-1"))
    assert code == 0 and report["scps"] is None
    code, report = iamgate.json("plan", "--shard", "2/2")
    assert report["scps"] is None
    code, report = iamgate.json("plan", "--shard", "1/2")
    assert report["scps"]["summary"]["create"] == 2


def test_markdown_plan_has_an_scp_section_with_its_totals(org: Org, iamgate: ScpRun) -> None:
    code, out, _ = iamgate("plan", "--format", "markdown")
    assert code == 0
    section = out.split("#### Service control policies")[1]
    assert "**SCPs: 2 to create, 0 to update, 2 to attach, 0 to detach, 0 to delete" in section
    assert "- `+` attach DenyLeaveOrganization to Root" in section
    assert "+++ scps/DenyBoundaryTampering.json" in section
    assert out.index("#### Service control policies") < out.index("<details>")


def test_the_example_project_deploys_its_shipped_guardrails(
    org: Org, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy_example(tmp_path / "example")
    code, report = Run(capsys, root).json("apply")
    assert code == 0, report
    assert "DenyLeaveOrganization" in attached(org, org.root)
    assert "DenyBoundaryTampering" in attached(org, org.ous["Workloads"])


# --- the plan itself, without AWS ----------------------------------------------------------


def _desired(name: str, *ous: str) -> DesiredOrgPolicy:
    document = repo_scp("DenyLeaveOrganization")
    return DesiredOrgPolicy(name, f"scps/{name}.json", json.dumps(document), document, ous, (), 1)


def test_moving_our_only_scp_between_ous_attaches_before_it_detaches() -> None:
    prod = OrgTarget("ou-prod", "OU Prod")
    live = LiveOrgPolicy(
        "p-1",
        "arn",
        "Guard",
        DESCRIPTION,
        False,
        repo_scp("DenyLeaveOrganization"),
        {"ou-dev": "OU Dev"},
    )
    plan = plan_policies(
        SCP_TYPE, (_desired("Guard", "Prod"),), {"Guard": (prod,)}, {"Guard": live}, prune=False
    )
    assert [(c.action, c.target.id if c.target else "") for c in plan.changes] == [
        ("attach", "ou-prod"),
        ("detach", "ou-dev"),
    ]
    refuse_empty_targets(
        plan, {"ou-dev": {"p-1": "Guard", SCP_TYPE.full_access_id: "FullAWSAccess"}}
    )
    assert plan.refusals == []
    refuse_empty_targets(plan, {"ou-dev": {"p-1": "Guard"}})
    assert [r.split(" would")[0] for r in plan.refusals] == ["OU Dev (ou-dev)"]


# --- configuration, and explain/simulate reading deploy.scps -------------------------------


def _config(tmp_path: Path, deploy: str, organization: str = "") -> Any:
    from iamgate.config import parse_config

    shutil.copytree(REPO / "scps", tmp_path / "scps", dirs_exist_ok=True)
    path = tmp_path / "iamgate.yaml"
    path.write_text(f"deploy:\n{deploy}{organization}", encoding="utf-8")
    return parse_config(path)


def test_deploy_scps_parse_into_one_entry_per_scp(tmp_path: Path) -> None:
    config = _config(
        tmp_path,
        GUARDRAILS + '      accounts: ["111111111111"]\n  detach-full-aws-access: [Sandbox]\n',
    )
    [leave, tampering] = config.deploy.scps
    assert (leave.policy, leave.ous, leave.accounts) == ("DenyLeaveOrganization", ("Root",), ())
    assert tampering.accounts == ("111111111111",) and tampering.line == 5
    assert config.deploy.detach_full_aws_access == ("Sandbox",)


@pytest.mark.parametrize(
    ("deploy", "message"),
    [
        (GUARDRAILS + "    - policy: DenyLeaveOrganization\n", "listed twice"),
        ("  scps:\n    - policy: X\n      ou: [Root]\n", "unknown key 'ou' in deploy.scps.0"),
        ("  scps:\n    - ous: [Root]\n", "'policy' is required"),
        ("  scps:\n    - policy: X\n      accounts: [12]\n", "deploy.scps.0.accounts.0"),
    ],
)
def test_a_bad_deploy_scps_entry_is_a_located_config_error(
    tmp_path: Path, deploy: str, message: str
) -> None:
    from iamgate.config import ConfigError

    with pytest.raises(ConfigError, match=message) as caught:
        _config(tmp_path, deploy)
    assert caught.value.line


def test_explain_places_the_scps_deploy_scps_attaches_without_organization_scps(
    tmp_path: Path,
) -> None:
    from iamgate.organization import placement

    organization = 'organization:\n  ous:\n    Workloads/Dev:\n      accounts: ["111111111111"]\n'
    config = _config(tmp_path, GUARDRAILS, organization)
    where = placement(config, account="111111111111")
    assert [(level, p.name) for level, p in where.attached()] == [
        ("Root", "DenyLeaveOrganization"),
        ("Workloads", "DenyBoundaryTampering"),
    ]
    assert all(level.policies[0].name == "FullAWSAccess" for level in where.levels)


def test_explain_adds_an_account_level_and_drops_full_aws_access_where_configured(
    tmp_path: Path,
) -> None:
    from iamgate.organization import placement

    organization = 'organization:\n  ous:\n    Workloads/Dev:\n      accounts: ["111111111111"]\n'
    deploy = (
        GUARDRAILS.replace("ous: [Workloads]", 'accounts: ["111111111111"]')
        + '  detach-full-aws-access: ["111111111111"]\n'
    )
    where = placement(_config(tmp_path, deploy, organization), account="111111111111")
    assert [level.name for level in where.levels] == [
        "Root",
        "Workloads",
        "Workloads/Dev",
        "account 111111111111",
    ]
    assert [p.name for p in where.levels[-1].policies] == ["DenyBoundaryTampering"]


# --- the management roles' permissions for SCPs ---------------------------------------------

ORG_SCP = "arn:aws:organizations::123456789012:policy/o-abc123/service_control_policy/p-12345678"
ORG_OU = "arn:aws:organizations::123456789012:ou/o-abc123/ou-ab12-cd345678"


def _decide(role: str, action: str, resource: str, context: dict[str, tuple[str, ...]]) -> str:
    from iamgate.evaluator import Request, evaluate
    from iamgate.model import policy_from_data

    path = REPO / "pipeline" / "iam" / f"iamgate-{role}-management.json"
    policy = policy_from_data(json.loads(path.read_text(encoding="utf-8")), path.stem)
    return evaluate(Request(action, resource, context), [policy]).decision


SCP_TYPE_CONTEXT = {"organizations:PolicyType": (SCP,)}


@pytest.mark.parametrize(
    ("action", "resource", "context", "apply", "plan"),
    [
        # Reading the SCPs: both roles.
        ("organizations:ListPolicies", "*", SCP_TYPE_CONTEXT, True, True),
        ("organizations:DescribePolicy", ORG_SCP, {}, True, True),
        ("organizations:ListTargetsForPolicy", ORG_SCP, {}, True, True),
        # The lockout check walks the path above a target it touches.
        ("organizations:ListParents", "*", {}, True, True),
        # Creating: only with the ownership tag and nothing else.
        (
            "organizations:CreatePolicy",
            ORG_SCP,
            {
                **SCP_TYPE_CONTEXT,
                "aws:RequestTag/iamgate:managed": ("true",),
                "aws:TagKeys": ("iamgate:managed",),
            },
            True,
            False,
        ),
        ("organizations:CreatePolicy", ORG_SCP, SCP_TYPE_CONTEXT, False, False),
        # Changing and deleting: only SCPs that carry the tag.
        (
            "organizations:UpdatePolicy",
            ORG_SCP,
            {"aws:ResourceTag/iamgate:managed": ("true",)},
            True,
            False,
        ),
        ("organizations:UpdatePolicy", ORG_SCP, {}, False, False),
        ("organizations:DeletePolicy", ORG_SCP, {}, False, False),
        # Attaching SCPs, never another policy type.
        ("organizations:AttachPolicy", ORG_OU, SCP_TYPE_CONTEXT, True, False),
        (
            "organizations:AttachPolicy",
            ORG_OU,
            {"organizations:PolicyType": ("BACKUP_POLICY",)},
            False,
            False,
        ),
    ],
)
def test_the_management_roles_have_least_privilege_for_scps(
    action: str, resource: str, context: dict[str, tuple[str, ...]], apply: bool, plan: bool
) -> None:
    assert (_decide("apply", action, resource, context) == "allowed") is apply
    assert (_decide("plan", action, resource, context) == "allowed") is plan
