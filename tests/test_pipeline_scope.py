"""Scope changes are visible: an account no target selects any more keeps nothing of iamgate's
silently; a typo'd exclude id is a configuration error; a target that selects no account is
a warning in every format, and an error with --strict."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pipeline_support import (
    CONFIG,
    DEPLOY_ROLE,
    RECORD,
    MotoServer,
    Org,
    Run,
    client,
    fault_proxy,
    fresh_org,
    live_policies,
    make_project,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project")


@pytest.fixture
def iamgate(capsys: pytest.CaptureFixture[str], project: Path) -> Run:
    return Run(capsys, project)


def configure(project: Path, extra: str) -> None:
    text = CONFIG.format(role=DEPLOY_ROLE, concurrency=4) + extra
    (project / "iamgate.yaml").write_text(text, encoding="utf-8")


def account(report: dict[str, Any], name: str) -> dict[str, Any]:
    [found] = [a for a in report["accounts"] if a["name"] == name]
    return found


def test_an_account_moved_out_of_every_target_is_listed_and_apply_prune_cleans_it(
    org: Org, iamgate: Run
) -> None:
    assert iamgate("apply")[0] == 0
    before = set(live_policies(org.iam("dev-2"), record=True))
    assert RECORD in before and len(before) == 5
    client("organizations", org.endpoint).move_account(
        AccountId=org.id("dev-2"),
        SourceParentId=org.ous["Workloads/Dev"],
        DestinationParentId=org.ous["Infrastructure"],
    )
    code, out, _ = iamgate("plan", "--detailed-exitcode")
    assert code == 0, out  # kept without --prune: reported, not pending
    assert f"{org.id('dev-2')} dev-2 (no longer targeted)" in out
    assert "5 iamgate policies no longer targeted here, kept (apply --prune deletes)" in out
    code, report = iamgate.json("plan", "--prune")
    moved = account(report, "dev-2")
    assert moved["out_of_scope"] is True and moved["targets"] == []
    assert {(c["action"], c["policy"]) for c in moved["changes"]} == {
        ("delete", name) for name in before
    }
    assert all(c["reason"] == "the account is no longer targeted" for c in moved["changes"])
    assert iamgate("drift")[0] == 2  # drift sees it too
    code, report = iamgate.json("apply", "--prune")
    assert code == 0, report
    assert live_policies(org.iam("dev-2"), record=True) == {}
    code, report = iamgate.json("plan", "--prune", "--detailed-exitcode")
    assert code == 0 and "dev-2" not in {a["name"] for a in report["accounts"]}


def test_an_untargeted_account_that_cannot_be_read_is_a_warning_not_a_failure(
    org: Org, iamgate: Run, moto: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline_support import Faults

    denied = frozenset({org.id("shared-services")})
    with fault_proxy(moto.port, Faults(deny_assume_role=denied)) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        code, report = iamgate.json("plan")
    assert code == 0
    [warning] = report["warnings"]
    assert warning.startswith(f"{org.id('shared-services')} shared-services: not targeted")


def test_an_exclude_id_that_is_not_in_the_organization_is_a_configuration_error(
    org: Org, iamgate: Run, project: Path
) -> None:
    text = (project / "iamgate.yaml").read_text()
    typo = org.id("dev-2")[:-1] + ("0" if org.id("dev-2")[-1] != "0" else "1")
    text = text.replace(
        "      ous: [Workloads/Dev]\n", f'      ous: [Workloads/Dev]\n      exclude: ["{typo}"]\n'
    )
    (project / "iamgate.yaml").write_text(text, encoding="utf-8")
    code, out, err = iamgate("apply")
    assert code == 1 and out == ""
    assert f"deploy.targets[dev]: exclude: the account {typo} is not in this organization" in err
    assert live_policies(org.iam("dev-2")) == {}


NOWHERE = "    - name: nowhere\n      tags: {env: nowhere}\n      policies: [policies/*.json]\n"


@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_a_target_that_selects_no_account_warns_in_every_format_and_fails_with_strict(
    org: Org, iamgate: Run, project: Path, fmt: str
) -> None:
    configure(project, NOWHERE)
    code, out, _ = iamgate("plan", "--format", fmt)
    assert code == 0
    assert "deploy.targets[nowhere] selects no account to deploy to" in out
    code, out, err = iamgate("plan", "--strict", "--format", fmt)
    assert code == 1 and out == ""
    assert "--strict: deploy.targets[nowhere] selects no account" in err


def test_an_empty_organization_is_a_warning_per_target_and_an_error_with_strict(
    moto: MotoServer, monkeypatch: pytest.MonkeyPatch, iamgate: Run
) -> None:
    # The OUs the targets name exist, with no account in them.
    empty_ous: dict[str, list[str]] = {"Workloads": [], "Workloads/Dev": [], "Workloads/Prod": []}
    fresh_org(moto, monkeypatch, tree=empty_ous, suspended=())
    code, report = iamgate.json("apply")
    assert code == 0 and report["accounts"] == []
    assert len(report["warnings"]) == 2
    code, _, err = iamgate("apply", "--strict")
    assert code == 1 and "deploy.targets[dev] selects no account" in err
