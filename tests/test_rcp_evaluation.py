"""RCPs in the evaluator and `iamgate simulate --rcp` / `--account`.

AWS's rules carried over:
* RCPs are one more layer every request must pass, level by level from the root like SCPs, and
  AWS's RCPFullAWSAccess is on every level and cannot be detached
  (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html,
  https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_syntax.html);
* an explicit Deny in an RCP decides, and the request is allowed only when identity, boundary,
  every SCP level and every RCP level allow
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html);
* RCPs apply only to the services that support them, by the resource's account, never to
  resources of the management account (orgs_manage_policies_rcps.html).
"""

from __future__ import annotations

import json
from pathlib import Path

from iamgate.config import load_config
from iamgate.evaluator import Request, evaluate
from iamgate.model import policy_from_data
from iamgate.organization import (
    allow_everything,
    full_aws_access,
    load_policy,
    placement,
    rcp_full_aws_access,
)

REPO = Path(__file__).resolve().parent.parent
GUARDRAIL = REPO / "rcps" / "DenyAssumeRoleFromOutsideOrg.json"
MEMBER = "111111111111"  # Workloads/Dev in the example project
ORG = "o-a1b2c3d4e5"
ROLE = f"arn:aws:iam::{MEMBER}:role/service-app"

DENY_ALL_S3_OUTSIDE_ORG = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "OrgOnly",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "*",
            "Resource": "*",
            "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG}},
        }
    ],
}


def rcp(data: dict, name: str = "R") -> object:
    return policy_from_data(data, name, "rcp")


def test_an_rcp_deny_decides_even_when_every_other_layer_allows() -> None:
    request = Request("s3:GetObject", "arn:aws:s3:::data/x", {"aws:PrincipalOrgID": "o-other"})
    levels = [[rcp_full_aws_access(), rcp(DENY_ALL_S3_OUTSIDE_ORG, "OrgOnly")]]
    decision = evaluate(request, [allow_everything()], None, [[full_aws_access()]], levels)
    assert decision.decision == "explicit_deny"
    assert "in the RCP OrgOnly" in decision.reason


def test_a_request_from_inside_the_organization_passes_the_rcp() -> None:
    request = Request("s3:GetObject", "arn:aws:s3:::data/x", {"aws:PrincipalOrgID": ORG})
    levels = [[rcp_full_aws_access(), rcp(DENY_ALL_S3_OUTSIDE_ORG)]]
    decision = evaluate(request, [allow_everything()], None, [[full_aws_access()]], levels)
    assert decision.decision == "allowed"
    assert decision.reason.endswith("every SCP level and every RCP level")


def test_an_rcp_level_that_allows_nothing_is_an_implicit_deny_named_by_its_level() -> None:
    request = Request(
        "sqs:SendMessage", f"arn:aws:sqs:us-east-1:{MEMBER}:q", {"aws:PrincipalOrgID": ORG}
    )
    levels = [[rcp_full_aws_access()], [rcp(DENY_ALL_S3_OUTSIDE_ORG)]]  # level 2: Deny only
    decision = evaluate(request, [allow_everything()], None, (), levels)
    assert decision.decision == "implicit_deny"
    assert decision.reason == "RCP level 2 does not allow the request"


def test_rcps_do_not_apply_to_services_that_do_not_support_them() -> None:
    # "Action": "*" in an RCP still restricts only the services RCPs support.
    request = Request("ec2:RunInstances", "*", {"aws:PrincipalOrgID": "o-other"})
    levels = [[rcp_full_aws_access(), rcp(DENY_ALL_S3_OUTSIDE_ORG)]]
    decision = evaluate(request, [allow_everything()], None, (), levels)
    assert decision.decision == "allowed"
    assert "RCP" not in decision.reason


def test_rcps_never_restrict_kms_retire_grant_even_under_a_star() -> None:
    # "The kms:RetireGrant permission isn't valid in an RCP, even if the Action element
    # specifies an asterisk (*)": https://docs.aws.amazon.com/kms/latest/developerguide/resource-control-policies.html
    key = f"arn:aws:kms:us-east-1:{MEMBER}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    levels = [[rcp_full_aws_access(), rcp(DENY_ALL_S3_OUTSIDE_ORG)]]
    outsider = {"aws:PrincipalOrgID": ("o-other",)}
    retire = evaluate(
        Request("kms:RetireGrant", key, outsider), [allow_everything()], None, (), levels
    )
    assert retire.decision == "allowed" and "RCP" not in retire.reason
    revoke = evaluate(
        Request("kms:RevokeGrant", key, outsider), [allow_everything()], None, (), levels
    )
    assert revoke.decision == "explicit_deny"


def test_the_rcp_is_intersected_with_identity_boundary_and_scps() -> None:
    request = Request("s3:GetObject", "arn:aws:s3:::data/x", {"aws:PrincipalOrgID": ORG})
    levels = [[rcp_full_aws_access()]]
    nothing = policy_from_data(
        {"Version": "2012-10-17", "Statement": []}
        | {"Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]}
    )
    assert evaluate(request, [nothing], None, (), levels).decision == "implicit_deny"
    assert evaluate(request, [allow_everything()], nothing, (), levels).decision == "implicit_deny"
    scp_denies = [[policy_from_data(nothing_scp(), "NoS3", "scp")]]
    assert evaluate(request, [allow_everything()], None, scp_denies, levels).decision == (
        "implicit_deny"
    )


def nothing_scp() -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}],
    }


# -- the shipped guardrail ---------------------------------------------------------------


def assume(context: dict[str, tuple[str, ...]]) -> str:
    guardrail = load_policy(GUARDRAIL, REPO, "rcp")
    request = Request("sts:AssumeRole", ROLE, {"aws:ResourceOrgID": (ORG,), **context})
    levels = [[rcp_full_aws_access(), guardrail]]
    return evaluate(request, [allow_everything()], None, (), levels).decision


def test_the_guardrail_denies_assume_role_from_another_organization() -> None:
    assert assume({"aws:PrincipalOrgID": ("o-zzzzzzzzzz",)}) == "explicit_deny"


def test_the_guardrail_denies_assume_role_from_an_account_in_no_organization() -> None:
    # aws:PrincipalOrgID is absent for such a principal: StringNotEqualsIfExists holds.
    assert assume({"aws:PrincipalAccount": ("999999999999",)}) == "explicit_deny"


def test_the_guardrail_lets_the_organization_assume_its_roles() -> None:
    assert assume({"aws:PrincipalOrgID": (ORG,)}) == "allowed"


def test_the_guardrail_exempts_aws_service_principals() -> None:
    assert assume({"aws:PrincipalIsAWSService": ("true",)}) == "allowed"


def test_the_example_project_places_the_guardrail_on_every_level_path() -> None:
    config = load_config(cwd=REPO)
    where = placement(config, account=MEMBER)
    assert [(level, p.name) for level, p in where.attached_rcps()] == [
        ("Root", "DenyAssumeRoleFromOutsideOrg")
    ]
    assert all(level.policies[0] is rcp_full_aws_access() for level in where.rcp_levels)


# -- simulate ----------------------------------------------------------------------------


def write(project: Path, relative: str, data: dict) -> str:
    path = project / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return relative


ANY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def run(run_iamgate, project: Path, *args: str) -> tuple[int, dict | str]:
    done = run_iamgate("simulate", "--format", "json", *args, cwd=project)
    assert "Traceback" not in done.stderr
    return done.returncode, json.loads(done.stdout) if done.returncode == 0 else done.stderr


def test_simulate_rcp_applies_the_given_level_with_rcpfullawsaccess_implied(
    run_iamgate, project: Path
) -> None:
    policy = write(project, "any.json", ANY)
    deny = write(project, "rcps/OrgOnly.json", DENY_ALL_S3_OUTSIDE_ORG)
    base = ("--policy", policy, "--rcp", deny, "--action", "s3:GetObject")
    code, out = run(run_iamgate, project, *base, "--resource", "arn:aws:s3:::b/k",
                    "--context", "aws:PrincipalOrgID=o-other")  # fmt: skip
    assert code == 0 and out["decision"] == "explicit_deny"
    assert out["statements"][0]["file"] == "rcps/OrgOnly.json"
    code, out = run(run_iamgate, project, *base, "--resource", "arn:aws:s3:::b/k",
                    "--context", f"aws:PrincipalOrgID={ORG}")  # fmt: skip
    assert out["decision"] == "allowed"  # the level allows through RCPFullAWSAccess
    assert any("management account" in note for note in out["notes"])


def test_simulate_notes_that_rcps_skip_a_service_they_do_not_support(
    run_iamgate, project: Path
) -> None:
    policy = write(project, "any.json", ANY)
    deny = write(project, "rcps/OrgOnly.json", DENY_ALL_S3_OUTSIDE_ORG)
    _, out = run(run_iamgate, project, "--policy", policy, "--rcp", deny,
                 "--action", "ec2:RunInstances", "--resource", "*")  # fmt: skip
    assert out["decision"] == "allowed"
    assert out["notes"] == ["RCPs do not apply to ec2 requests (not a service RCPs support)"]


def test_simulate_account_applies_the_rcps_of_the_resources_account(
    run_iamgate, project: Path
) -> None:
    policy = write(project, "any.json", ANY)
    outside = ("--context", "aws:PrincipalOrgID=o-zzzzzzzzzz", "--context",
               f"aws:ResourceOrgID={ORG}")  # fmt: skip
    code, out = run(run_iamgate, project, "--policy", policy, "--account", "222222222222",
                    "--action", "sts:AssumeRole", "--resource", ROLE, *outside)  # fmt: skip
    assert code == 0 and out["decision"] == "explicit_deny"
    assert out["statements"][0]["policy"] == "DenyAssumeRoleFromOutsideOrg"
    # Without the guardrail on the path (no deploy.rcps), the same request is allowed.
    config = (project / "iamgate.yaml").read_text()
    placed = "policy: DenyAssumeRoleFromOutsideOrg\n      ous: [Root]"
    assert placed in config
    moved = config.replace(placed, placed.replace("[Root]", "[Sandbox]"))
    (project / "iamgate.yaml").write_text(moved, encoding="utf-8")
    code, out = run(run_iamgate, project, "--policy", policy, "--account", "222222222222",
                    "--action", "sts:AssumeRole", "--resource", ROLE, *outside)  # fmt: skip
    assert out["decision"] == "allowed"


def test_simulate_refuses_account_with_rcp_and_a_broken_rcp_file_cleanly(
    run_iamgate, project: Path
) -> None:
    policy = write(project, "any.json", ANY)
    args = ("--policy", policy, "--action", "s3:GetObject", "--resource", "*")
    code, err = run(run_iamgate, project, *args, "--account", MEMBER, "--rcp", "x.json")
    assert code == 2 and "not both" in err
    (project / "rcps" / "Bad.json").write_text('{"Statement": [', encoding="utf-8")
    code, err = run(run_iamgate, project, *args, "--rcp", "rcps/Bad.json")
    assert code == 2 and err.startswith("iamgate simulate: error: rcps/Bad.json:")
