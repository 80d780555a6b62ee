"""`iamgate plan --base REF`: the plan comment tells how a pull request moves the ceiling of
the roles delegates create (any policy ∩ boundary ∩ SCPs, computed by explain's model from
the repository alone), and says nothing when no delegation policy or boundary changed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from iamgate.pipeline.ceiling_diff import CeilingChange, ceiling_changes
from pipeline_support import (
    MotoServer,
    Org,
    copy_example,
    fault_proxy,
    git,
    write_json,
)

from iamgate.cli import main
from iamgate.config import ConfigError, load_config

BOUNDARY = "boundaries/S3AccessBoundary.json"
BUCKET = "arn:aws:s3:::example-team-bucket"


def commit_all(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def read(root: Path, relative: str) -> dict[str, Any]:
    return json.loads((root / relative).read_text(encoding="utf-8"))


def set_boundary_actions(root: Path, actions: str | list[str]) -> None:
    document = read(root, BOUNDARY)
    document["Statement"][0]["Action"] = actions
    write_json(root / BOUNDARY, document)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The example project in a git repository: main has a boundary that allows s3:GetObject
    only, and a branch `feature` is checked out."""
    root = copy_example(tmp_path / "repo")
    git(root, "init", "-q", "-b", "main")
    set_boundary_actions(root, "s3:GetObject")
    commit_all(root, "base")
    git(root, "checkout", "-q", "-b", "feature")
    return root


def changes_against(root: Path, ref: str = "main") -> list[CeilingChange]:
    return ceiling_changes(load_config(root / "iamgate.yaml"), ref).changes


def gained(change: CeilingChange) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for reach in change.gained:
        for action in reach.actions:
            out.setdefault(action, set()).update(reach.resources)
    return out


# --- the ceiling, offline --------------------------------------------------------------------


def test_a_widened_boundary_lists_what_roles_created_by_the_delegate_can_now_also_do(
    repo: Path,
) -> None:
    set_boundary_actions(repo, "s3:*")
    [change] = changes_against(repo)
    assert (change.subject, change.kind) == ("DelegatePermissions", "delegation")
    assert change.because == (BOUNDARY,)
    assert change.who == "roles created under DelegatePermissions"
    reach = gained(change)
    assert BUCKET in reach["s3:DeleteBucket"]
    assert f"{BUCKET}/*" in reach["s3:PutObject"]
    # GetObject on objects was already allowed: it is not news, and never "on the bucket".
    assert "s3:GetObject" not in reach
    assert all(not action.startswith("iam:") for action in reach)  # the boundary stays on s3
    assert change.lost == () and change.notes == ()
    assert "s3:GetObject on" in change.before[0] and "s3:* on" in change.after[0]


def test_a_narrowed_boundary_lists_what_they_can_no_longer_do(repo: Path) -> None:
    set_boundary_actions(repo, "s3:*")
    commit_all(repo, "wide")
    git(repo, "branch", "-f", "main", "HEAD")
    set_boundary_actions(repo, ["s3:GetObject", "s3:ListBucket"])
    [change] = changes_against(repo)
    assert change.gained == ()
    lost = {a for reach in change.lost for a in reach.actions}
    assert {"s3:DeleteBucket", "s3:PutObject"} <= lost
    assert not {"s3:GetObject", "s3:ListBucket"} & lost


def test_a_delegation_policy_that_drops_the_boundary_condition_says_roles_are_unbounded(
    repo: Path,
) -> None:
    policy = read(repo, "policies/DelegatePermissions.json")
    del policy["Statement"][0]["Condition"]
    write_json(repo / "policies/DelegatePermissions.json", policy)
    [change] = changes_against(repo)
    assert change.because == ("policies/DelegatePermissions.json",)
    assert "delegates can now create roles WITHOUT a permissions boundary" in change.notes
    # Unbounded roles reach services the boundary never named (only the root's SCPs apply).
    assert any(reach.service != "s3" for reach in change.gained)


def test_a_new_boundary_no_delegation_policy_uses_gets_its_own_entry(repo: Path) -> None:
    write_json(
        repo / "boundaries" / "LogsBoundary.json",
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}],
        },
    )
    [change] = changes_against(repo)
    assert (change.subject, change.kind) == ("LogsBoundary", "boundary")
    assert change.before == ("(not in the repository)",)
    assert gained(change) == {"logs:PutLogEvents": {"*"}}


def test_a_reworded_boundary_with_the_same_reach_is_listed_as_unchanged(repo: Path) -> None:
    document = read(repo, BOUNDARY)
    document["Statement"][0]["Sid"] = "ReadTheTeamBucketOnly"
    write_json(repo / BOUNDARY, document)
    [change] = changes_against(repo)
    assert not change.changed and change.gained == change.lost == ()


def test_nothing_security_relevant_changed_gives_no_entries(repo: Path) -> None:
    service = read(repo, "policies/service-s3-reader.json")
    service["Statement"][0]["Sid"] = "Renamed"
    write_json(repo / "policies/service-s3-reader.json", service)
    # Reformatting a boundary changes no meaning: not even an "unchanged" entry.
    text = json.dumps(read(repo, BOUNDARY), indent=4, sort_keys=True)
    (repo / BOUNDARY).write_text(text + "\n", encoding="utf-8")
    assert changes_against(repo) == []


def test_the_base_is_the_merge_base_so_later_commits_on_main_are_not_the_prs(repo: Path) -> None:
    git(repo, "checkout", "-q", "main")
    set_boundary_actions(repo, "s3:*")
    commit_all(repo, "main moves on")
    git(repo, "checkout", "-q", "feature")
    assert changes_against(repo) == []  # the feature branch did not touch the boundary


def test_an_unknown_base_is_a_clear_error(repo: Path) -> None:
    with pytest.raises(ConfigError, match="--base origin/nope: not a commit"):
        changes_against(repo, "origin/nope")


# --- in the plan ---------------------------------------------------------------------------


def plan(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, str, str]:
    code = main(["plan", "--base", "main", *args, "--config", str(root / "iamgate.yaml")])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.integration
def test_the_markdown_plan_comment_shows_the_new_reach_of_a_widened_boundary(
    org: Org, repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    set_boundary_actions(repo, "s3:*")
    code, out, _ = plan(capsys, repo, "--format", "markdown")
    assert code == 0, out
    section = out.split("#### Ceiling of the roles delegates create")[1]
    assert f"**DelegatePermissions (policies/DelegatePermissions.json; changed: {BOUNDARY})**" in (
        section
    )
    assert "Roles created under DelegatePermissions can now also:" in section
    writes = [line for line in section.splitlines() if line.startswith("- s3 Write: ")]
    assert any("s3:DeleteBucket" in line and f"on {BUCKET}" in line for line in writes)
    code, out, _ = plan(capsys, repo, "--format", "json")
    [change] = json.loads(out)["ceilings"]["changes"]
    assert any("s3:DeleteBucket" in g["actions"] for g in change["gained"])
    code, out, _ = plan(capsys, repo)
    assert "Ceiling of the roles delegates create (against " in out


@pytest.mark.integration
def test_a_plan_without_security_relevant_changes_has_no_ceiling_section(
    org: Org, repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    service = read(repo, "policies/service-s3-reader.json")
    service["Statement"][0]["Sid"] = "Renamed"
    write_json(repo / "policies/service-s3-reader.json", service)
    code, out, _ = plan(capsys, repo, "--format", "markdown")
    assert code == 0 and out.startswith("<!-- iamgate-plan -->")
    assert "Ceiling" not in out
    code, out, _ = plan(capsys, repo, "--format", "json")
    assert "ceilings" not in json.loads(out)


@pytest.mark.integration
def test_an_unknown_base_stops_the_plan_before_any_aws_call(
    org: Org,
    repo: Path,
    capsys: pytest.CaptureFixture[str],
    moto: MotoServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with fault_proxy(moto.port) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        code = main(["plan", "--base", "nope", "--config", str(repo / "iamgate.yaml")])
    _, err = capsys.readouterr()
    assert code == 1 and "--base nope: not a commit" in err  # an error: 1, as Terraform
    assert sum(proxy.calls.values()) == 0
