"""IG501 prefixed-protected-policy and IG502 unapproved-boundary: what the delegation proofs
take for granted about the repository itself."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from iamgate.config import Config, load_config
from iamgate.findings import Finding
from iamgate.lint import lint_paths
from iamgate.model import Policy, PolicyKind, policy_from_data
from iamgate.project import Project
from iamgate.rules import all_rules

REPO_ROOT = Path(__file__).resolve().parent.parent
APPROVED_VAR = "arn:aws:iam::${aws:PrincipalAccount}:policy/S3AccessBoundary"
ROLES = "arn:aws:iam::${aws:PrincipalAccount}:role/service-*"
ROLE_WRITES = ["iam:CreateRole", "iam:AttachRolePolicy"]


def make_project() -> Project:
    config = Config(root=Path("."), prefix="service-", boundaries=("S3AccessBoundary",))
    return Project(config.root, config)


def policy(
    *statements: dict[str, Any], name: str = "Delegate", kind: PolicyKind = "identity"
) -> Policy:
    return policy_from_data({"Version": "2012-10-17", "Statement": list(statements)}, name, kind)


def delegate(condition: dict[str, Any]) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": ROLE_WRITES, "Resource": ROLES, "Condition": condition}


def check(rule_id: str, p: Policy) -> list[Finding]:
    return all_rules()[rule_id].check(p, make_project())


def write(path: Path, *statements: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=2))


# -- IG501 ----------------------------------------------------------------------------------


def test_a_boundary_named_with_the_prefix_is_an_error() -> None:
    boundary = policy(
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        name="service-boundary",
        kind="boundary",
    )
    (finding,) = check("IG501", boundary)
    assert (
        'permissions boundary "service-boundary"' in finding.message
        and "policy/service-*" in finding.message
    )
    assert (finding.line, finding.column) == (1, 1)


def test_a_delegation_policy_named_with_the_prefix_is_an_error() -> None:
    p = policy(
        delegate({"StringEquals": {"iam:PermissionsBoundary": APPROVED_VAR}}),
        name="service-delegate",
    )
    (finding,) = check("IG501", p)
    assert 'delegation policy "service-delegate"' in finding.message


def test_prefixed_policies_that_delegate_nothing_and_unprefixed_ones_are_fine() -> None:
    logs = policy(
        {"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}, name="service-app-logs"
    )
    assert check("IG501", logs) == []
    boundary = policy(
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
        name="S3AccessBoundary",
        kind="boundary",
    )
    assert check("IG501", boundary) == []


def test_ig501_in_a_project_lint(project: Path) -> None:
    write(
        project / "boundaries" / "service-boundary.json",
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
    )
    result = lint_paths([], load_config(cwd=project))
    assert [(f.rule, f.file) for f in result.findings] == [
        ("IG501", "boundaries/service-boundary.json")
    ]


# -- IG502 ----------------------------------------------------------------------------------


def test_a_condition_naming_another_boundary_is_reported_at_the_value() -> None:
    other = "arn:aws:iam::${aws:PrincipalAccount}:policy/OtherBoundary"
    p = policy(delegate({"StringEquals": {"iam:PermissionsBoundary": [APPROVED_VAR, other]}}))
    (finding,) = check("IG502", p)
    condition = p.statements[0].conditions[0]
    assert (finding.line, finding.column) == p.document.locate((*condition.path, 1))  # type: ignore[union-attr]
    assert '"OtherBoundary"' in finding.message and "S3AccessBoundary" in finding.message


def test_a_deny_guard_that_spares_another_boundary_is_reported() -> None:
    guard = {
        "Effect": "Deny",
        "Action": ROLE_WRITES,
        "Resource": "*",
        "Condition": {
            "ArnNotEquals": {
                "iam:PermissionsBoundary": [APPROVED_VAR, "arn:aws:iam::aws:policy/PowerUserAccess"]
            }
        },
    }
    p = policy({"Effect": "Allow", "Action": ROLE_WRITES, "Resource": ROLES}, guard)
    (finding,) = check("IG502", p)
    assert '"PowerUserAccess" of account aws' in finding.message


def test_values_that_exclude_a_boundary_or_are_patterns_are_not_reported() -> None:
    # A Deny naming a boundary forbids it; a pattern is IG301's business.
    deny_other = {
        "Effect": "Deny",
        "Action": ROLE_WRITES,
        "Resource": "*",
        "Condition": {
            "StringEquals": {
                "iam:PermissionsBoundary": "arn:aws:iam::aws:policy/AdministratorAccess"
            }
        },
    }
    p = policy(
        delegate({"StringLike": {"iam:PermissionsBoundary": "arn:aws:iam::*:policy/S3*"}}),
        deny_other,
    )
    assert check("IG502", p) == []


def test_the_approved_boundary_under_a_path_is_approved() -> None:
    value = "arn:aws:iam::${aws:PrincipalAccount}:policy/team/S3AccessBoundary"
    assert check("IG502", policy(delegate({"ArnEquals": {"iam:PermissionsBoundary": value}}))) == []


def test_approved_boundaries_default_to_the_boundaries_folder(project: Path) -> None:
    # Without delegation.boundaries every policy in boundaries/ is approved.
    config_file = project / "iamgate.yaml"
    config_file.write_text(config_file.read_text().replace("  boundaries: [S3AccessBoundary]", ""))
    other = "arn:aws:iam::${aws:PrincipalAccount}:policy/OtherBoundary"
    write(
        project / "policies" / "Delegate.json",
        delegate({"StringEquals": {"iam:PermissionsBoundary": other}}),
        {"Effect": "Deny", "Action": "iam:Delete*PermissionsBoundary", "Resource": "*"},
    )
    rules = {f.rule for f in lint_paths([], load_config(cwd=project)).findings}
    assert {"IG301", "IG502"} <= rules
    write(
        project / "boundaries" / "OtherBoundary.json",
        {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
    )
    rules = {f.rule for f in lint_paths([], load_config(cwd=project)).findings}
    assert not rules & {"IG301", "IG502"}


def test_a_configured_boundary_whose_file_was_deleted_is_no_longer_approved(tmp_path: Path) -> None:
    """delegation.boundaries lists S3AccessBoundary but boundaries/ no longer holds it:
    deleting the boundary must fail the delegation policy that relies on it."""
    import shutil

    from iamgate.config import load_config
    from iamgate.lint import lint_paths

    shutil.copy(REPO_ROOT / "iamgate.yaml", tmp_path / "iamgate.yaml")
    shutil.copytree(REPO_ROOT / "policies", tmp_path / "policies")
    (tmp_path / "boundaries").mkdir()
    result = lint_paths([], load_config(cwd=tmp_path))
    ig502 = [f for f in result.findings if f.rule == "IG502"]
    assert [f.file for f in ig502] == ["policies/DelegatePermissions.json"]
    assert "boundaries/S3AccessBoundary.json does not exist" in ig502[0].message
    assert result.exit_code == 1
