"""plan / apply / drift against a real moto server: an organization with nested OUs, seven
member accounts (one suspended), reached through boto3's standard configuration only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from iamgate.pipeline.ownership import DESCRIPTION, TAG_KEY
from pipeline_support import (
    DEPLOY_ROLE,
    DEV,
    DEV_ONLY,
    PROD,
    SHARED,
    MotoServer,
    Org,
    Run,
    aws_env,
    client,
    copy_example,
    fault_proxy,
    live_policies,
    make_project,
    s3_read,
    write_json,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project")


@pytest.fixture
def iamgate(capsys: pytest.CaptureFixture[str], project: Path) -> Run:
    return Run(capsys, project)


def names_by_account(org: Org) -> dict[str, set[str]]:
    return {name: set(live_policies(org.iam(name))) for name in org.accounts}


def account(report: dict[str, Any], name: str) -> dict[str, Any]:
    [found] = [a for a in report["accounts"] if a["name"] == name]
    return found


def changes(report: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    return {
        a["name"]: [(c["action"], c["policy"]) for c in a["changes"]]
        for a in report["accounts"]
        if a["changes"]
    }


def test_first_apply_creates_exactly_the_targeted_policies_in_exactly_the_targeted_accounts(
    org: Org, iamgate: Run
) -> None:
    code, report = iamgate.json("apply")
    assert code == 0, report
    expected = {name: SHARED | DEV_ONLY for name in DEV} | {name: SHARED for name in PROD}
    expected |= {"prod-old": set(), "shared-services": set()}  # suspended; in no target
    assert names_by_account(org) == expected
    assert [a["name"] for a in report["skipped"]] == ["prod-old"]
    # Each member account has its own IAM in moto: the management account got nothing.
    assert client("iam", org.endpoint).list_policies(Scope="Local")["Policies"] == []
    state = live_policies(org.iam("dev-1"))["service-reader"]
    assert state.default == s3_read("team-bucket")
    assert state.tags == {TAG_KEY: "true"} and state.versions == 1
    policy = org.iam("dev-1").get_policy(
        PolicyArn=f"arn:aws:iam::{org.id('dev-1')}:policy/service-reader"
    )
    assert policy["Policy"]["Description"] == DESCRIPTION and policy["Policy"]["Path"] == "/"


def test_after_apply_a_plan_is_empty_and_apply_changes_nothing(org: Org, iamgate: Run) -> None:
    assert iamgate("apply")[0] == 0
    code, out, _ = iamgate("plan", "--detailed-exitcode")
    assert code == 0, out
    assert "Plan: 0 to create, 0 to update, 0 to delete, 0 conflicts" in out
    code, report = iamgate.json("apply")
    assert code == 0 and report["summary"]["writes_done"] == 0
    assert live_policies(org.iam("prod-1"))["service-logs"].versions == 1


def test_plan_exits_2_with_detailed_exitcode_when_changes_are_pending(
    org: Org, iamgate: Run
) -> None:
    code, out, _ = iamgate("plan", "--detailed-exitcode")
    assert code == 2
    assert "+ create service-dev-scratch" in out
    assert iamgate("plan")[0] == 0  # without the flag, pending changes are success
    assert names_by_account(org)["dev-1"] == set()  # plan wrote nothing


def test_changing_one_file_updates_only_that_policy_only_where_it_is_targeted(
    org: Org, iamgate: Run, project: Path
) -> None:
    assert iamgate("apply")[0] == 0
    write_json(project / "policies" / "dev" / "service-dev-scratch.json", s3_read("dev-scratch-2"))
    code, report = iamgate.json("plan", "--detailed-exitcode")
    assert code == 2
    assert changes(report) == {name: [("update", "service-dev-scratch")] for name in DEV}
    diff = account(report, "dev-2")["changes"][0]["diff"]
    assert '+        "arn:aws:s3:::dev-scratch-2/*"' in diff.splitlines()
    code, report = iamgate.json("apply")
    assert code == 0 and report["summary"]["writes_done"] == len(DEV)
    for name in DEV:
        states = live_policies(org.iam(name))
        assert states["service-dev-scratch"].default == s3_read("dev-scratch-2")
        assert states["service-dev-scratch"].default_version == "v2"
        assert all(states[p].versions == 1 for p in SHARED)
    for name in PROD:
        assert "service-dev-scratch" not in live_policies(org.iam(name))


def test_six_successive_updates_never_exceed_five_versions_and_the_newest_is_default(
    org: Org, iamgate: Run, project: Path
) -> None:
    assert iamgate("apply", "--accounts", org.id("prod-1"))[0] == 0
    for n in range(1, 7):
        write_json(project / "policies" / "service-logs.json", s3_read(f"logs-{n}"))
        code, report = iamgate.json("apply", "--accounts", org.id("prod-1"))
        assert code == 0, report
        rotated = report["accounts"][0]["changes"][0].get("rotate_out")
        state = live_policies(org.iam("prod-1"))["service-logs"]
        assert state.versions == min(n + 1, 5)
        assert state.defaults_count == 1 and state.default_version == f"v{n + 1}"
        assert state.default == s3_read(f"logs-{n}")
        # The oldest version goes only once the list is full: v1 at the 5th update, v2 at the 6th.
        assert rotated == ({5: "v1", 6: "v2"}.get(n))


def test_prune_deletes_only_our_policies_that_left_the_repository(
    org: Org, iamgate: Run, project: Path
) -> None:
    assert iamgate("apply")[0] == 0
    hand_made = org.iam("dev-2")
    hand_made.create_policy(
        PolicyName="someone-elses", PolicyDocument=json.dumps(s3_read("theirs"))
    )
    (project / "policies" / "service-logs.json").unlink()
    code, out, _ = iamgate("apply")
    assert code == 0
    assert (
        "iamgate policy no longer targeted here, kept (apply --prune deletes): service-logs" in out
    )
    assert "service-logs" in live_policies(org.iam("dev-1"))
    code, report = iamgate.json("apply", "--prune")
    assert code == 0, report
    assert changes(report)["dev-1"] == [("delete", "service-logs")]
    assert account(report, "prod-2")["changes"][0]["reason"] == "no longer deployed by any target"
    after = names_by_account(org)
    assert all("service-logs" not in after[name] for name in DEV + PROD)
    assert "someone-elses" in after["dev-2"]


def test_prune_deletes_a_policy_no_longer_targeted_to_an_account(
    org: Org, iamgate: Run, project: Path
) -> None:
    assert iamgate("apply")[0] == 0
    # The dev-only set now goes to the nested Sandbox OU alone.
    config = project / "iamgate.yaml"
    text = config.read_text().replace(", policies/dev/*.json]", "]")
    text += "    - name: sandbox\n      ous: [Workloads/Dev/Sandbox]\n"
    text += "      policies: [policies/dev/*.json]\n"
    config.write_text(text, encoding="utf-8")
    code, report = iamgate.json("plan", "--prune", "--detailed-exitcode")
    assert code == 2
    assert changes(report) == {
        name: [("delete", "service-dev-scratch")] for name in ("dev-1", "dev-2")
    }
    reasons = {c["reason"] for a in report["accounts"] for c in a["changes"]}
    assert reasons == {"not targeted to this account"}
    assert iamgate("apply", "--prune")[0] == 0
    after = names_by_account(org)
    assert after["dev-1"] == after["dev-2"] == SHARED
    assert after["dev-sandbox"] == SHARED | DEV_ONLY


def test_prune_never_deletes_a_policy_that_is_attached_or_a_boundary_in_use(
    org: Org, iamgate: Run, project: Path
) -> None:
    assert iamgate("apply", "--accounts", org.id("dev-1"))[0] == 0
    iam = org.iam("dev-1")
    arn = f"arn:aws:iam::{org.id('dev-1')}"
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.create_role(
        RoleName="service-app",
        AssumeRolePolicyDocument=json.dumps(trust),
        PermissionsBoundary=f"{arn}:policy/TeamBoundary",
    )
    iam.attach_role_policy(RoleName="service-app", PolicyArn=f"{arn}:policy/service-logs")
    (project / "policies" / "service-logs.json").unlink()
    (project / "boundaries" / "TeamBoundary.json").unlink()
    code, report = iamgate.json("apply", "--prune", "--accounts", org.id("dev-1"))
    assert code == 0, report
    reasons = {c["policy"]: (c["action"], c["reason"]) for c in report["accounts"][0]["changes"]}
    assert (
        reasons["service-logs"][0] == "retain"
        and "attached to 1 principal (role/service-app)" in reasons["service-logs"][1]
    )
    assert reasons["TeamBoundary"][0] == "retain"
    assert (
        "the permissions boundary of 1 user or role (role/service-app)"
        in reasons["TeamBoundary"][1]
    )
    assert {"service-logs", "TeamBoundary"} <= set(live_policies(iam))
    # Prune converges: what is retained is reported, and is neither drift nor pending.
    code, out, _ = iamgate("drift", "--accounts", org.id("dev-1"))
    assert code == 0, out
    assert "= retain service-logs" in out and "role/service-app" in out
    assert iamgate("plan", "--prune", "--detailed-exitcode", "--accounts", org.id("dev-1"))[0] == 0
    # Once nothing uses them, they go.
    iam.detach_role_policy(RoleName="service-app", PolicyArn=f"{arn}:policy/service-logs")
    iam.delete_role_permissions_boundary(RoleName="service-app")
    assert iamgate("drift", "--accounts", org.id("dev-1"))[0] == 2
    assert iamgate("apply", "--prune", "--accounts", org.id("dev-1"))[0] == 0
    assert not {"service-logs", "TeamBoundary"} & set(live_policies(iam))


def test_same_name_unmanaged_policy_is_untouched_and_reported(org: Org, iamgate: Run) -> None:
    theirs = s3_read("not-ours")
    org.iam("prod-1").create_policy(PolicyName="service-reader", PolicyDocument=json.dumps(theirs))
    code, report = iamgate.json("apply")
    assert code == 1  # a reviewed policy could not be deployed
    [prod1] = [a for a in report["accounts"] if a["name"] == "prod-1"]
    conflict = [c for c in prod1["changes"] if c["action"] == "conflict"]
    assert [c["policy"] for c in conflict] == ["service-reader"]
    assert "not created by iamgate" in conflict[0]["reason"]
    state = live_policies(org.iam("prod-1"))
    assert state["service-reader"].default == theirs and state["service-reader"].tags == {}
    assert {"TeamBoundary", "service-logs"} <= set(state)  # the rest of the account converged
    assert iamgate("apply", "--prune")[0] == 1
    assert live_policies(org.iam("prod-1"))["service-reader"].default == theirs


def test_a_policy_with_our_description_but_no_tag_is_not_proven_ours(
    org: Org, iamgate: Run, project: Path
) -> None:
    assert iamgate("apply", "--accounts", org.id("dev-1"))[0] == 0
    iam = org.iam("dev-1")
    arn = f"arn:aws:iam::{org.id('dev-1')}:policy/service-reader"
    iam.untag_policy(PolicyArn=arn, TagKeys=[TAG_KEY])
    write_json(project / "policies" / "service-reader.json", s3_read("changed"))
    code, report = iamgate.json("apply", "--accounts", org.id("dev-1"))
    assert code == 1
    [change] = [c for c in report["accounts"][0]["changes"] if c["policy"] == "service-reader"]
    assert change["action"] == "conflict" and "ownership is not proven" in change["reason"]
    assert live_policies(iam)["service-reader"].versions == 1


def test_drift_finds_out_of_band_edits_and_apply_repairs_them(org: Org, iamgate: Run) -> None:
    assert iamgate("apply")[0] == 0
    assert iamgate("drift")[0] == 0
    dev1, prod2 = org.iam("dev-1"), org.iam("prod-2")
    base = "arn:aws:iam::{}:policy/{}"
    dev1.create_policy_version(
        PolicyArn=base.format(org.id("dev-1"), "service-reader"),
        PolicyDocument=json.dumps(s3_read("everything-bucket")),
        SetAsDefault=True,
    )
    prod2.delete_policy(PolicyArn=base.format(org.id("prod-2"), "service-logs"))
    code, report = iamgate.json("drift")
    assert code == 2
    assert changes(report) == {
        "dev-1": [("update", "service-reader")],
        "prod-2": [("create", "service-logs")],
    }
    # apply made v1 (the reviewed document) default again; switching back by hand is drift too.
    assert iamgate("apply")[0] == 0
    dev1.set_default_policy_version(
        PolicyArn=base.format(org.id("dev-1"), "service-reader"), VersionId="v2"
    )
    code, report = iamgate.json("drift")
    assert code == 2 and changes(report) == {"dev-1": [("update", "service-reader")]}
    assert account(report, "dev-1")["changes"][0]["set_default"] == "v1"
    assert iamgate("apply")[0] == 0
    assert iamgate("drift")[0] == 0


def test_drift_reports_an_extra_policy_under_our_ownership(
    org: Org, iamgate: Run, project: Path
) -> None:
    assert iamgate("apply")[0] == 0
    (project / "policies" / "dev" / "service-dev-scratch.json").unlink()
    (project / "policies" / "dev").rmdir()
    config = project / "iamgate.yaml"
    config.write_text(config.read_text().replace(", policies/dev/*.json]", "]"), encoding="utf-8")
    code, report = iamgate.json("drift")
    assert code == 2
    assert changes(report) == {name: [("delete", "service-dev-scratch")] for name in DEV}


def test_shards_partition_the_targeted_accounts(org: Org, iamgate: Run) -> None:
    seen: list[str] = []
    for k in (1, 2, 3):
        code, report = iamgate.json("plan", "--shard", f"{k}/3")
        assert code == 0
        seen += [a["account"] for a in report["accounts"]] + [
            a["account"] for a in report["skipped"]
        ]
    targeted = org.ids(*DEV, *PROD, "prod-old")
    assert sorted(seen) == sorted(targeted)  # every account once, none twice


def test_accounts_option_limits_the_run_and_rejects_an_untargeted_id(
    org: Org, iamgate: Run, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = iamgate.json("apply", "--accounts", f"{org.id('dev-2')},{org.id('prod-2')}")
    assert code == 0
    assert sorted(a["name"] for a in report["accounts"]) == ["dev-2", "prod-2"]
    assert names_by_account(org)["dev-1"] == set()
    code, _out, err = iamgate("plan", "--accounts", org.id("shared-services"))
    assert code == 1 and f"{org.id('shared-services')} is not targeted" in err


def test_session_name_says_iamgate_and_the_commit(
    org: Org, iamgate: Run, moto: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fault_proxy(moto.port) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        monkeypatch.setenv("GITHUB_SHA", "feedfacecafebeef0000000000000000deadbeef")
        assert iamgate("plan")[0] == 0
    assert proxy.session_names == {"iamgate-feedfacecafe"}
    assert {a.split(":role/")[1] for a in proxy.assumed_roles} == {DEPLOY_ROLE}
    # Untargeted active accounts are read too, for iamgate policies left there (scope changes).
    assert {a.split(":")[4] for a in proxy.assumed_roles} == org.ids(*DEV, *PROD, "shared-services")


def test_no_op_plan_costs_one_iam_call_per_account(
    org: Org, iamgate: Run, moto: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert iamgate("apply")[0] == 0
    with fault_proxy(moto.port) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        assert iamgate("plan")[0] == 0
    accounts = len(DEV + PROD) + 1  # shared-services: in no target, checked for leftovers
    assert proxy.calls["AssumeRole"] == accounts
    assert proxy.calls["GetAccountAuthorizationDetails"] == accounts
    iam_calls = {
        "GetPolicy",
        "ListPolicies",
        "GetPolicyVersion",
        "ListPolicyTags",
        "ListPolicyVersions",
    }
    assert not iam_calls & set(proxy.calls)


def test_lint_failure_stops_apply_before_any_aws_call(
    org: Org, iamgate: Run, project: Path, moto: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "policies" / "service-broken.json").write_text(
        '{"Version": "2012-10-17",}', encoding="utf-8"
    )
    with fault_proxy(moto.port) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        code, _out, err = iamgate("apply")
    assert code == 1
    assert "lint failed; nothing was deployed and no AWS call was made" in err
    assert "policies/service-broken.json:1:" in err and "IG001" in err
    assert sum(proxy.calls.values()) == 0 and sum(proxy.injected.values()) == 0
    assert names_by_account(org)["dev-1"] == set()


def test_unknown_ou_path_is_a_config_error_that_names_it(
    org: Org, iamgate: Run, project: Path
) -> None:
    config = project / "iamgate.yaml"
    config.write_text(
        config.read_text().replace("Workloads/Prod", "Workloads/Production"), encoding="utf-8"
    )
    code, out, err = iamgate("plan")
    assert code == 1 and out == ""
    assert err.count("\n") == 1
    assert "deploy.targets[prod]: the OU path 'Workloads/Production' does not exist" in err
    assert "Workloads has no OU named 'Production'" in err


def test_the_example_project_deploys_the_seed_scenario(
    org: Org, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy_example(tmp_path / "example")
    run = Run(capsys, root)
    code, report = run.json("apply")
    assert code == 0, report
    live = names_by_account(org)
    seed = {"S3AccessBoundary", "DelegatePermissions"}
    dev_only = {p.stem for p in (root / "policies" / "dev").glob("*.json")}
    assert dev_only, "the example ships a looser set of policies for dev"
    for name in DEV:
        assert seed | dev_only <= live[name]
    for name in PROD:
        assert seed <= live[name] and not dev_only & live[name]
    for account in report["accounts"]:
        assert account["warnings"] == []  # the delegation policy names ${aws:PrincipalAccount}


def test_iamgate_as_a_process_applies_then_plans_nothing(
    org: Org, project: Path, moto: MotoServer, run_iamgate: Any
) -> None:
    env = aws_env(moto.endpoint)
    done = run_iamgate("apply", cwd=project, env=env)
    assert done.returncode == 0, done.stderr
    assert "Apply: 18 created" in done.stdout
    assert done.stderr.strip().startswith("iamgate: Apply: 18 created")  # CI: a summary, no counter
    done = run_iamgate("plan", "--detailed-exitcode", "--format", "markdown", cwd=project, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("<!-- iamgate-plan -->")
    assert "5 accounts unchanged" in done.stdout


def test_deploy_prune_makes_apply_prune_without_the_flag(
    org: Org, iamgate: Run, project: Path
) -> None:
    assert iamgate("apply")[0] == 0
    (project / "policies" / "service-logs.json").unlink()
    config = project / "iamgate.yaml"
    assert iamgate.json("apply")[1]["prune"] is False
    assert "service-logs" in live_policies(org.iam("prod-1"))
    config.write_text(
        config.read_text().replace("  concurrency: 4\n", "  concurrency: 4\n  prune: true\n"),
        encoding="utf-8",
    )
    code, report = iamgate.json("apply")
    assert code == 0 and report["prune"] is True
    assert "service-logs" not in live_policies(org.iam("prod-1"))
    assert iamgate("drift")[0] == 0
