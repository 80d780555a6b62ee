"""The accounts a policy is judged in (Project.accounts_for): the accounts deploy.targets
deploys it to, through organization.ous; else the accounts of its own IAM ARNs; else a
placeholder account under the root's SCPs alone."""

from __future__ import annotations

import json
from pathlib import Path

from iamgate.config import parse_config
from iamgate.organization import PLACEHOLDER_ACCOUNT
from iamgate.project import Project

ALLOW_S3 = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
}


def write(root: Path, relative: str, data: object) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def make_project(root: Path, yaml: str) -> Project:
    config = parse_config(write(root, "iamgate.yaml", yaml))
    return Project(config.root, config)


def accounts(project: Project, relative: str) -> list[tuple[str, str | None, list[str]]]:
    placements = project.accounts_for(project.file(project.root / relative))
    return [(p.account, p.ou, [level.name for level in p.levels]) for p in placements]


ORG = """
deploy:
  targets:
    - name: dev
      ous: [Workloads/Dev]
      policies: [policies/*.json, policies/dev/*.json]
    - name: prod
      ous: [Workloads]
      exclude: ["333333333333"]
      policies: [policies/*.json]
    - name: audit
      accounts: ["444444444444"]
      policies: [policies/audit/*.json]
  scps:
    - policy: DenyAll
      accounts: ["444444444444"]
organization:
  ous:
    Workloads/Dev:
      accounts: ["111111111111"]
    Workloads/Prod:
      accounts: ["222222222222", "333333333333"]
"""


def test_a_deployed_policy_is_judged_in_every_account_its_targets_reach(tmp_path: Path) -> None:
    deny = {**ALLOW_S3, "Statement": [{**ALLOW_S3["Statement"][0], "Effect": "Deny"}]}
    write(tmp_path, "scps/DenyAll.json", deny)
    write(tmp_path, "policies/shared.json", ALLOW_S3)
    write(tmp_path, "policies/dev/debug.json", ALLOW_S3)
    write(tmp_path, "policies/audit/read.json", ALLOW_S3)
    project = make_project(tmp_path, ORG)
    # Workloads covers the OUs below it; the excluded account is not one of them.
    assert accounts(project, "policies/shared.json") == [
        ("111111111111", "Workloads/Dev", ["Root", "Workloads", "Workloads/Dev"]),
        ("222222222222", "Workloads/Prod", ["Root", "Workloads", "Workloads/Prod"]),
    ]
    assert [a for a, _, _ in accounts(project, "policies/dev/debug.json")] == ["111111111111"]
    # An account the organization does not place sits under the root, plus its own level.
    assert accounts(project, "policies/audit/read.json") == [
        ("444444444444", None, ["Root", "account 444444444444"])
    ]


def test_a_policy_no_target_deploys_is_judged_in_the_accounts_its_arns_name(
    tmp_path: Path,
) -> None:
    literal = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "iam:CreateRole",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "iam:PermissionsBoundary": "arn:aws:iam::515436951152:policy/Boundary"
                    }
                },
            }
        ],
    }
    write(tmp_path, "policies/literal.json", literal)
    write(tmp_path, "policies/plain.json", ALLOW_S3)
    project = make_project(tmp_path, "delegation: {prefix: service-}\n")
    # The account in a condition value counts: the article writes it only there.
    assert accounts(project, "policies/literal.json") == [("515436951152", None, ["Root"])]
    assert accounts(project, "policies/plain.json") == [(PLACEHOLDER_ACCOUNT, None, ["Root"])]


def test_an_ou_target_without_listed_accounts_places_the_policys_own_account_in_that_ou(
    tmp_path: Path,
) -> None:
    write(tmp_path, "policies/plain.json", ALLOW_S3)
    project = make_project(
        tmp_path,
        "deploy:\n  targets:\n    - name: sandbox\n      ous: [Sandbox]\n"
        "      policies: [policies/*.json]\n",
    )
    assert accounts(project, "policies/plain.json") == [
        (PLACEHOLDER_ACCOUNT, "Sandbox", ["Root", "Sandbox"])
    ]


def test_a_target_selecting_by_tag_alone_reaches_every_account_the_repository_knows(
    tmp_path: Path,
) -> None:
    write(tmp_path, "policies/plain.json", ALLOW_S3)
    project = make_project(
        tmp_path,
        "deploy:\n  targets:\n    - name: tagged\n      tags: {team: data}\n"
        "      policies: [policies/*.json]\n"
        "organization:\n  ous:\n    A:\n      accounts: ['111111111111']\n"
        "    B:\n      accounts: ['222222222222']\n",
    )
    assert [a for a, _, _ in accounts(project, "policies/plain.json")] == [
        "111111111111",
        "222222222222",
    ]


def test_a_files_kind_comes_from_the_projects_top_level_folders_alone(tmp_path: Path) -> None:
    from iamgate.project import kind_of

    root = tmp_path
    assert kind_of(root / "boundaries" / "B.json", root) == "boundary"
    assert kind_of(root / "boundaries" / "team" / "B.json", root) == "boundary"
    assert kind_of(root / "scps" / "S.json", root) == "scp"
    # A folder named boundaries/ or scps/ deeper down holds deployed identity policies.
    assert kind_of(root / "policies" / "x" / "boundaries" / "y.json", root) == "identity"
    assert kind_of(root / "policies" / "scps" / "y.json", root) == "identity"
    assert kind_of(root / "policies" / "p.json", root) == "identity"
    assert kind_of(root / "boundaries.json", root) == "identity"


# -- the seed article's own policy, as a whole project ----------------------------------------

SEED = Path(__file__).parent / "fixtures" / "projects" / "seed-article"
ARTICLE_ACCOUNT = "515436951152"


def seed_project(tmp_path: Path, extra_yaml: str = "") -> Path:
    import shutil

    root = tmp_path / "seed"
    shutil.copytree(SEED, root)
    if extra_yaml:
        (root / "iamgate.yaml").write_text((root / "iamgate.yaml").read_text() + extra_yaml)
    return root


def test_the_articles_policy_with_its_literal_account_passes_lint(
    tmp_path: Path, run_iamgate
) -> None:
    root = seed_project(tmp_path)
    done = run_iamgate("lint", "--format", "json", cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert not [f for f in report["findings"] if f["rule"] in ("IG301", "IG502")]


def test_explain_lets_the_articles_delegate_create_roles_in_the_account_it_names(
    tmp_path: Path, run_iamgate
) -> None:
    root = seed_project(tmp_path)
    done = run_iamgate("explain", "policies/DelegatePermissions.json", cwd=root)
    assert done.returncode == 0, done.stderr
    assert "cannot create roles" not in done.stdout
    assert "does not let the delegate create roles" not in done.stdout
    assert f"account {ARTICLE_ACCOUNT}" in done.stdout
    assert "only with the permissions boundary S3AccessBoundary" in done.stdout


def test_the_article_deployed_to_its_own_account_passes_and_explain_simulate_agree(
    tmp_path: Path, run_iamgate
) -> None:
    root = seed_project(
        tmp_path,
        "deploy:\n  targets:\n    - name: main\n      accounts: ['515436951152']\n"
        "      policies: [boundaries/*.json, policies/*.json]\n",
    )
    done = run_iamgate("lint", cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr
    boundary = f"arn:aws:iam::{ARTICLE_ACCOUNT}:policy/S3AccessBoundary"
    done = run_iamgate(
        "simulate", "--policy", "policies/DelegatePermissions.json", "--action", "iam:CreateRole",
        "--resource", f"arn:aws:iam::{ARTICLE_ACCOUNT}:role/service-x",
        "--context", f"iam:PermissionsBoundary={boundary}",
        "--account", ARTICLE_ACCOUNT, cwd=root,
    )  # fmt: skip
    assert done.returncode == 0 and "allowed" in done.stdout.lower(), done.stdout + done.stderr


def test_a_boundary_of_an_account_the_policy_is_not_deployed_to_is_a_warning(
    tmp_path: Path, run_iamgate
) -> None:
    # Deployed to another account, the condition admits a boundary AWS will not attach there
    # (only the account's own managed policies or AWS managed ones): delegates there create
    # no role at all. It fails closed, so it is a warning, not an escape.
    root = seed_project(
        tmp_path,
        "deploy:\n  targets:\n    - name: dev\n      ous: [Dev]\n"
        "      policies: [boundaries/*.json, policies/*.json]\n"
        "organization:\n  ous:\n    Dev:\n      accounts: ['111111111111']\n",
    )
    done = run_iamgate("lint", "--format", "json", cwd=root)
    report = json.loads(done.stdout)
    rules = {(f["rule"], f["severity"]) for f in report["findings"]}
    assert ("IG502", "warning") in rules, report["findings"]
    assert not {r for r, s in rules if s == "error" and r.startswith(("IG3", "IG4", "IG5"))}
    (warning,) = [f for f in report["findings"] if f["rule"] == "IG502"]
    assert ARTICLE_ACCOUNT in warning["message"] and "111111111111" in warning["message"]
    assert done.returncode == 0


def test_a_boundaries_folder_below_policies_holds_identity_policies_that_get_the_rules(
    tmp_path: Path,
) -> None:
    from iamgate.config import load_config
    from iamgate.lint import lint_paths

    unguarded = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:CreateRole", "Resource": "*"}],
    }
    write(tmp_path, "iamgate.yaml", "delegation: {prefix: service-}\n")
    write(tmp_path, "boundaries/S3AccessBoundary.json", ALLOW_S3)
    write(tmp_path, "policies/team/boundaries/Delegate.json", unguarded)
    result = lint_paths([], load_config(cwd=tmp_path))
    assert ("IG301", "policies/team/boundaries/Delegate.json") in {
        (f.rule, f.file) for f in result.findings
    }


def test_an_escape_in_one_deployed_account_is_shown_in_that_account(project: Path) -> None:
    """Deployed to dev (111111111111) and prod (222222222222), a policy whose ARNs name prod
    escapes only there: the counterexample is prod's request, evaluated again as allowed."""
    from iamgate.config import load_config
    from iamgate.evaluator import Request, evaluate
    from iamgate.lint import lint_paths
    from iamgate.model import policy_from_data

    data = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "iam:CreateRole",
                "Resource": "arn:aws:iam::222222222222:role/*",
            }
        ],
    }
    write(project, "policies/ProdRoles.json", data)
    result = lint_paths([project / "policies" / "ProdRoles.json"], load_config(cwd=project))
    (finding,) = [f for f in result.findings if f.rule == "IG301"]
    assert "(in account 222222222222)" in finding.message
    example = finding.counterexample
    assert example is not None and example["resource"].startswith("arn:aws:iam::222222222222:")
    context = {k: tuple(v) for k, v in example["context"].items()}
    assert context["aws:PrincipalAccount"] == ("222222222222",)
    request = Request(example["action"], example["resource"], context)
    assert evaluate(request, [policy_from_data(data, "ProdRoles")]).allowed


def test_a_policy_deployed_to_two_accounts_is_proved_once_when_it_names_none(
    project: Path,
) -> None:
    from iamgate.config import load_config
    from iamgate.delegation import judged_accounts
    from iamgate.project import Project

    config = load_config(cwd=project)
    p = Project(config.root, config)
    pf = p.file(project / "policies" / "DelegatePermissions.json")
    assert [x.account for x in p.accounts_for(pf)] == ["111111111111", "222222222222"]
    pf.load()
    from iamgate.model import build_policy

    assert pf.document is not None
    pf.policy = build_policy(pf.document, pf.name, pf.kind)
    assert judged_accounts(pf.policy, p) == ["111111111111"]


def test_explain_says_why_a_foreign_boundary_lets_no_role_be_created(
    tmp_path: Path, run_iamgate
) -> None:
    root = seed_project(
        tmp_path,
        "organization:\n  ous:\n    Dev:\n      accounts: ['111111111111']\n",
    )
    done = run_iamgate(
        "explain", "policies/DelegatePermissions.json", "--account", "111111111111", cwd=root
    )
    assert done.returncode == 0, done.stderr
    assert f"names a policy of account {ARTICLE_ACCOUNT}" in done.stdout
    assert "it fails closed" in done.stdout
