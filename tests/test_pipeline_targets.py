"""Resolving deploy targets against AWS Organizations (moto): OU paths and ids, nested OUs,
account ids, tags, exclusions, suspended accounts, and the configuration errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from iamgate.pipeline.targets import OrgReader, Targeting, resolve, restrict
from pipeline_support import (
    MANAGEMENT_ACCOUNT,
    MotoServer,
    Org,
    client,
    fresh_org,
    make_project,
)

from iamgate.cli import main
from iamgate.config import ConfigError, DeployConfig, Target

pytestmark = pytest.mark.integration

TAGS = {
    "dev-1": {"env": "dev", "team": "a"},
    "prod-1": {"env": "prod", "team": "a"},
    "shared-services": {"env": "dev"},
}


@pytest.fixture
def org(moto: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Org:
    return fresh_org(moto, monkeypatch, tags=TAGS)


def targeting(org: Org, *targets: Target) -> Targeting:
    return resolve(DeployConfig(targets=targets), OrgReader(client("organizations", org.endpoint)))


def by_name(org: Org, result: Targeting) -> dict[str, tuple[str, ...]]:
    names = {v: k for k, v in org.accounts.items()}
    return {names.get(a.id, a.id): a.targets for a in result.accounts}


def test_an_ou_path_selects_its_accounts_and_those_of_nested_ous(org: Org) -> None:
    result = targeting(org, Target("dev", ous=("Workloads/Dev",)))
    assert by_name(org, result) == {"dev-1": ("dev",), "dev-2": ("dev",), "dev-sandbox": ("dev",)}
    result = targeting(org, Target("all", ous=("Workloads",)))
    assert set(by_name(org, result)) == {"dev-1", "dev-2", "dev-sandbox", "prod-1", "prod-2"}
    assert [a.id for a in result.skipped] == [org.id("prod-old")]
    assert result.skipped[0].state == "SUSPENDED"


def test_an_ou_id_and_the_root_work_like_paths(org: Org) -> None:
    result = targeting(org, Target("prod", ous=(org.ous["Workloads/Prod"],)))
    assert set(by_name(org, result)) == {"prod-1", "prod-2"}
    result = targeting(org, Target("everything", ous=("Root",)))
    assert set(by_name(org, result)) == set(org.accounts) - {"prod-old"}


def test_the_management_account_is_deployed_to_only_when_listed_by_id(org: Org) -> None:
    result = targeting(org, Target("everything", ous=("Root",)))
    assert (MANAGEMENT_ACCOUNT, "the management account") in {
        (a.id, a.skip_reason) for a in result.skipped
    }
    result = targeting(org, Target("management", accounts=(MANAGEMENT_ACCOUNT,)))
    assert [a.id for a in result.accounts] == [MANAGEMENT_ACCOUNT] and result.skipped == ()


def test_tags_select_from_the_organization_or_filter_the_ous(org: Org) -> None:
    result = targeting(org, Target("tagged", tags=(("env", "dev"),)))
    assert set(by_name(org, result)) == {"dev-1", "shared-services"}
    result = targeting(org, Target("team-a-workloads", ous=("Workloads",), tags=(("team", "a"),)))
    assert set(by_name(org, result)) == {"dev-1", "prod-1"}


def test_accounts_are_added_and_exclusions_win(org: Org) -> None:
    target = Target(
        "dev",
        ous=("Workloads/Dev",),
        accounts=(org.id("shared-services"),),
        exclude=(org.id("dev-2"),),
    )
    assert set(by_name(org, targeting(org, target))) == {"dev-1", "dev-sandbox", "shared-services"}


def test_an_account_in_two_targets_gets_both(org: Org) -> None:
    result = targeting(
        org, Target("dev", ous=("Workloads/Dev",)), Target("tagged", tags=(("env", "dev"),))
    )
    assert by_name(org, result)["dev-1"] == ("dev", "tagged")
    assert by_name(org, result)["shared-services"] == ("tagged",)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (
            Target("dev", ous=("Workloads/Devv",), line=7),
            "the OU path 'Workloads/Devv' does not exist",
        ),
        (Target("dev", ous=("Nowhere",), line=7), "the root has no OU named 'Nowhere'"),
        (
            Target("dev", ous=("ou-zzzz-00000000",), line=7),
            "the OU ou-zzzz-00000000 does not exist",
        ),
        (
            Target("dev", accounts=("999999999999",), line=7),
            "the account 999999999999 is not in this organization",
        ),
    ],
)
def test_a_reference_that_does_not_exist_is_a_config_error_naming_it(
    org: Org, target: Target, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve(
            DeployConfig(targets=(target,)),
            OrgReader(client("organizations", org.endpoint)),
            Path("x.yaml"),
        )
    assert message in str(caught.value)
    assert str(caught.value).startswith("x.yaml:7: deploy.targets[dev]: ")


def test_accounts_filter_rejects_an_account_no_target_names(org: Org) -> None:
    result = targeting(org, Target("dev", ous=("Workloads/Dev",)))
    kept = restrict(result, {org.id("dev-1")}, lambda _: True)
    assert [a.id for a in kept.accounts] == [org.id("dev-1")]
    with pytest.raises(ConfigError, match="is not targeted by any deploy target"):
        restrict(result, {org.id("prod-1")}, lambda _: True)


def test_two_files_with_one_name_reaching_one_account_stop_the_run_before_any_write(
    org: Org, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(tmp_path / "project")
    (root / "policies" / "dev" / "service-reader.json").write_text(
        (root / "policies" / "service-reader.json").read_text(), encoding="utf-8"
    )
    config = (
        (root / "iamgate.yaml")
        .read_text()
        .replace(
            "policies: [boundaries/*.json, policies/*.json, policies/dev/*.json]",
            "policies: [policies/dev/*.json]",
        )
    )
    config += "    - name: tagged\n      tags: {env: dev}\n      policies: [policies/*.json]\n"
    (root / "iamgate.yaml").write_text(config, encoding="utf-8")
    code = main(["apply", "--config", str(root / "iamgate.yaml")])
    _, err = capsys.readouterr()
    assert code == 1
    assert "policies/service-reader.json and policies/dev/service-reader.json" in err or (
        "policies/dev/service-reader.json and policies/service-reader.json" in err
    )
    assert all(
        not org.iam(name).list_policies(Scope="Local")["Policies"] for name in ("dev-1", "prod-1")
    )
