"""Planning without AWS: desired vs live -> ordered changes; shards; the size limit; rendering."""

from __future__ import annotations

import io
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from iamgate.pipeline.iam_policies.boundary_refs import foreign_boundaries
from iamgate.pipeline.iam_policies.desired import (
    MANAGED_POLICY_LIMIT,
    DesiredPolicy,
    load_desired,
    oversized,
    target_files,
)
from iamgate.pipeline.iam_policies.live import LivePolicy, LiveVersion
from iamgate.pipeline.iam_policies.plan import plan_account
from iamgate.pipeline.ownership import DESCRIPTION
from iamgate.pipeline.progress import Progress
from iamgate.pipeline.render_plan import render
from iamgate.pipeline.shard import in_shard, parse_shard, shard_of
from iamgate.pipeline.sync import AccountReport, RunReport
from iamgate.pipeline.targets import Account

from iamgate.cli import main
from iamgate.config import ConfigError, parse_config

ACCOUNT = "222222222222"
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def doc(bucket: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}
        ],
    }


def desired(name: str, document: dict[str, Any], kind: str = "identity") -> DesiredPolicy:
    folder = "boundaries" if kind == "boundary" else "policies"
    return DesiredPolicy(
        name, kind, f"{folder}/{name}.json", json.dumps(document, indent=2), document
    )


def live(
    name: str,
    *documents: dict[str, Any],
    default: int | None = None,
    path: str = "/",
    description: str = DESCRIPTION,
) -> LivePolicy:
    """A live policy whose versions v1..vn hold ``documents``; the last one is default."""
    default_index = len(documents) - 1 if default is None else default
    versions = tuple(
        LiveVersion(f"v{i + 1}", d, i == default_index, T0 + timedelta(days=i))
        for i, d in enumerate(documents)
    )
    return LivePolicy(
        name=name,
        arn=f"arn:aws:iam::{ACCOUNT}:policy{path}{name}",
        path=path,
        description=description,
        default_version_id=f"v{default_index + 1}",
        versions=versions,
        attachment_count=0,
        boundary_usage_count=0,
    )


def plan(want: list[DesiredPolicy], have: list[LivePolicy], prune: bool = False, **kw: Any):
    return plan_account(
        ACCOUNT, {p.name: p for p in want}, {p.name: p for p in have}, path="/", prune=prune, **kw
    )


def actions(result) -> list[tuple[str, str]]:
    return [(c.action, c.name) for c in result.changes]


# --- planning -----------------------------------------------------------------------------


def test_missing_policies_are_created_boundaries_first() -> None:
    result = plan([desired("a-policy", doc("a")), desired("Zboundary", doc("b"), "boundary")], [])
    assert actions(result) == [("create", "Zboundary"), ("create", "a-policy")]
    assert result.changes[0].arn == f"arn:aws:iam::{ACCOUNT}:policy/Zboundary"
    assert all(c.writes == 1 for c in result.changes)
    # A new policy shows as the file exactly as reviewed, every line added.
    created = result.changes[1]
    assert created.diff.splitlines()[3:] == ["+" + line for line in created.text.splitlines()]


def test_semantically_equal_live_policy_is_unchanged() -> None:
    reformatted = json.loads(json.dumps(doc("a")))
    reformatted["Statement"] = reformatted["Statement"][0]  # a single object instead of a list
    result = plan([desired("p", doc("a"))], [live("p", reformatted)])
    assert result.changes == [] and result.unchanged == ["p"] and not result.pending


def test_changed_document_is_one_new_default_version_with_a_diff() -> None:
    result = plan([desired("p", doc("new"))], [live("p", doc("old"))])
    [change] = result.changes
    assert (change.action, change.set_default, change.rotate_out, change.writes) == (
        "update",
        None,
        None,
        1,
    )
    changed = [line for line in change.diff.splitlines() if line[:1] in "+-"][2:]
    assert changed == ['-        "arn:aws:s3:::old/*"', '+        "arn:aws:s3:::new/*"']


def test_full_version_list_deletes_the_oldest_non_default_version_first() -> None:
    # Five versions, v2 is default (switched back by hand): the oldest non-default is v1.
    have = live("p", doc("1"), doc("2"), doc("3"), doc("4"), doc("5"), default=1)
    [change] = plan([desired("p", doc("6"))], [have]).changes
    assert (change.action, change.rotate_out, change.writes) == ("update", "v1", 2)
    have = live("p", doc("1"), doc("2"), doc("3"), doc("4"), doc("5"), default=0)
    [change] = plan([desired("p", doc("6"))], [have]).changes
    assert change.rotate_out == "v2"


def test_default_switched_back_by_hand_is_switched_forward_without_a_new_version() -> None:
    have = live("p", doc("old"), doc("new"), default=0)
    [change] = plan([desired("p", doc("new"))], [have]).changes
    assert (change.action, change.set_default, change.writes) == ("update", "v2", 1)


def test_same_name_policy_without_iamgates_marks_is_a_conflict() -> None:
    foreign = live("p", doc("theirs"), description="")
    elsewhere = live("q", doc("q"), path="/other/")
    result = plan(
        [desired("p", doc("ours")), desired("q", doc("q"))], [foreign, elsewhere], prune=True
    )
    assert actions(result) == [("conflict", "p"), ("conflict", "q")]
    assert "not created by iamgate" in result.changes[0].reason
    assert "/other/" in result.changes[1].reason
    assert result.pending


def test_unmarked_extra_policies_are_never_deleted() -> None:
    result = plan([], [live("theirs", doc("x"), description="hand made")], prune=True)
    assert result.changes == [] and result.orphans == []


def test_our_extra_policy_is_kept_without_prune_and_deleted_with_it() -> None:
    extra = live("gone", doc("1"), doc("2"))
    kept = plan([], [extra])
    assert kept.changes == [] and kept.orphans == ["gone"]
    [change] = plan([], [extra], prune=True).changes
    assert (change.action, change.old_versions, change.writes) == ("delete", ("v1",), 2)
    assert change.reason == "no longer deployed by any target"
    [change] = plan([], [extra], prune=True, repository_kinds={"gone": "identity"}).changes
    assert change.reason == "not targeted to this account"


def test_deletions_remove_policies_before_the_boundary_they_reference() -> None:
    boundary_arn = f"arn:aws:iam::{ACCOUNT}:policy/OldBoundary"
    delegation = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "iam:CreateRole",
                "Resource": "*",
                "Condition": {"StringEquals": {"iam:PermissionsBoundary": boundary_arn}},
            }
        ],
    }
    have = [live("OldBoundary", doc("b")), live("ADelegation", delegation)]
    result = plan([desired("NewBoundary", doc("n"), "boundary")], have, prune=True)
    assert actions(result) == [
        ("create", "NewBoundary"),
        ("delete", "ADelegation"),
        ("delete", "OldBoundary"),
    ]


def test_literal_boundary_arn_of_another_account_is_a_warning() -> None:
    def delegation(account: str) -> dict[str, Any]:
        arn = f"arn:aws:iam::{account}:policy/S3AccessBoundary"
        condition = {"StringEquals": {"iam:permissionsboundary": [arn]}}
        return {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "iam:CreateRole",
                    "Resource": "*",
                    "Condition": condition,
                }
            ]
        }

    other = plan([desired("Delegate", delegation("111111111111"))], [])
    assert len(other.warnings) == 1 and "111111111111" in other.warnings[0]
    assert plan([desired("Delegate", delegation(ACCOUNT))], []).warnings == []
    assert plan([desired("Delegate", delegation("${aws:PrincipalAccount}"))], []).warnings == []
    assert foreign_boundaries(delegation("111111111111"), "111111111111") == []


# --- shards -------------------------------------------------------------------------------


def test_shards_cover_every_account_exactly_once_and_are_stable() -> None:
    rng = random.Random(7)
    ids = [f"{rng.randrange(10**11, 10**12):012d}" for _ in range(300)]
    for n in (1, 2, 3, 7):
        owners = {a: [k for k in range(1, n + 1) if in_shard(a, (k, n))] for a in ids}
        assert all(len(found) == 1 for found in owners.values())
        # Stable: an account's shard depends only on its id, not on the others.
        assert all(shard_of(a, n) == owners[a][0] for a in reversed(ids))
        assert len({shard_of(a, n) for a in ids}) == n  # no shard left empty at this size


@pytest.mark.parametrize("text", ["0/3", "4/3", "1/0", "a/b", "3", "-1/2"])
def test_bad_shard_is_rejected(text: str) -> None:
    with pytest.raises(ValueError):
        parse_shard(text)


def test_shard_parses_k_of_n() -> None:
    assert parse_shard(" 2/4 ") == (2, 4)


# --- desired state ------------------------------------------------------------------------


def _project(tmp_path: Path, targets: str) -> Path:
    (tmp_path / "policies" / "dev").mkdir(parents=True)
    (tmp_path / "boundaries").mkdir()
    for rel in ("policies/p.json", "policies/dev/p.json", "boundaries/B.json"):
        (tmp_path / rel).write_text(json.dumps(doc("x")), encoding="utf-8")
    (tmp_path / "iamgate.yaml").write_text(f"deploy:\n  targets:\n{targets}", encoding="utf-8")
    return tmp_path


def test_two_files_with_one_iam_name_in_one_target_is_a_config_error(tmp_path: Path) -> None:
    root = _project(
        tmp_path, "    - name: dev\n      policies: [policies/*.json, policies/dev/*.json]\n"
    )
    config = parse_config(root / "iamgate.yaml")
    with pytest.raises(ConfigError, match="both deploy the IAM policy 'p'"):
        load_desired(config, target_files(config))


def test_a_glob_over_a_missing_folder_names_the_target(tmp_path: Path) -> None:
    root = _project(tmp_path, "    - name: dev\n      policies: [policy/*.json]\n")
    config = parse_config(root / "iamgate.yaml")
    with pytest.raises(
        ConfigError, match=r"deploy.targets\[dev\].*'policy/\*.json' matches nothing"
    ):
        target_files(config)


def test_a_glob_over_an_existing_but_empty_folder_deploys_nothing_from_it(tmp_path: Path) -> None:
    root = _project(
        tmp_path, "    - name: dev\n      policies: [boundaries/*.json, policies/*.json]\n"
    )
    (root / "boundaries" / "B.json").unlink()
    config = parse_config(root / "iamgate.yaml")
    assert [p.name for p in target_files(config)["dev"]] == ["p.json"]


def test_oversized_policy_is_caught_by_iamgate_itself(tmp_path: Path) -> None:
    root = _project(tmp_path, "    - name: dev\n      policies: [policies/*.json]\n")
    big = doc("x")
    big["Statement"][0]["Resource"] = [f"arn:aws:s3:::bucket-{i:04d}/*" for i in range(300)]
    (root / "policies" / "p.json").write_text(json.dumps(big, indent=4), encoding="utf-8")
    config = parse_config(root / "iamgate.yaml")
    [(policy, size)] = oversized(load_desired(config, target_files(config)))
    assert policy.name == "p" and size > MANAGED_POLICY_LIMIT
    # Whitespace is not counted: the same document, indented, is the same size.
    assert size == len(json.dumps(big, separators=(",", ":")))


# --- rendering ----------------------------------------------------------------------------


def _report(command: str = "plan") -> RunReport:
    changed = plan([desired("p", doc("new")), desired("q", doc("q"))], [live("p", doc("old"))])
    same = plan([desired("p", doc("new"))], [live("p", doc("new"))])
    accounts = [
        AccountReport(Account(ACCOUNT, "dev-1", "ACTIVE", ("dev",)), changed),
        AccountReport(Account("333333333333", "dev-2", "ACTIVE", ("dev",)), same),
        AccountReport(
            Account("444444444444", "dev-3", "ACTIVE", ("dev",)),
            error="assuming x: AccessDenied: no",
        ),
    ]
    return RunReport(
        command,
        "abc123",
        False,
        accounts,
        [Account("555555555555", "old", "SUSPENDED", ("dev",), "suspended")],
    )


def test_text_plan_reads_like_terraform() -> None:
    text = render("text", _report())
    assert f"{ACCOUNT} dev-1 (dev)" in text
    assert "  + create q  policies/q.json" in text
    assert "  ~ update p  policies/p.json  (new default version)" in text
    assert "unchanged: 1 account (333333333333)" in text
    assert "skipped: 555555555555 old (suspended)" in text
    assert "failed: 444444444444 dev-3: assuming x: AccessDenied: no" in text
    assert text.rstrip().endswith(
        "Plan: 1 to create, 1 to update, 0 to delete, 0 conflicts, 0 retained; "
        "1 account with changes, 1 unchanged, 1 failed, 1 skipped."
    )


def test_markdown_plan_has_a_collapsible_section_per_change_set_and_a_diff() -> None:
    text = render("markdown", _report())
    assert text.startswith("<!-- iamgate-plan -->")
    assert "<details><summary><b>+1 ~1</b> in 1 account:" in text
    assert "```diff" in text
    assert "<details><summary>1 account unchanged</summary>" in text
    assert "`444444444444` dev-3: assuming x: AccessDenied: no" in text


def test_json_plan_is_one_object_for_machines() -> None:
    data = json.loads(render("json", _report()))
    assert data["summary"]["create"] == 1 and data["summary"]["failed"] == 1
    first = data["accounts"][0]
    assert first["status"] == "changes"
    assert [(c["action"], c["policy"]) for c in first["changes"]] == [
        ("update", "p"),
        ("create", "q"),
    ]
    assert data["accounts"][2]["failures"] == ["assuming x: AccessDenied: no"]
    assert data["skipped"][0]["state"] == "SUSPENDED"


# --- progress and the command line ----------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_counts_accounts_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    stream = _Terminal()
    progress = Progress("apply", 3, stream)
    progress.account_finished(failed=False)
    progress.account_finished(failed=True)
    progress.finish("Apply: done.")
    text = stream.getvalue()
    assert "1/3 accounts done, 0 failed" in text and "2/3 accounts done, 1 failed" in text
    assert text.endswith("iamgate: Apply: done.\n")


@pytest.mark.parametrize("ci", ["true", None])
def test_progress_is_one_summary_line_in_ci_or_off_a_terminal(
    monkeypatch: pytest.MonkeyPatch, ci: str | None
) -> None:
    stream: io.StringIO = io.StringIO() if ci is None else _Terminal()
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    progress = Progress("plan", 2, stream)
    progress.account_finished(failed=False)
    progress.finish("Plan: nothing.")
    assert stream.getvalue() == "iamgate: Plan: nothing.\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["plan", "--shard", "0/4"], "--shard: '0/4': K must be between 1 and N"),
        (["apply", "--accounts", "1234"], "--accounts: expected 12-digit account ids"),
        (["drift", "--format", "xml"], "invalid choice: 'xml'"),
    ],
)
def test_bad_options_are_a_usage_error_exit_1_never_2_which_means_changes(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(args)
    assert exit_.value.code == 1
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    "args",
    [["plan", "--detailed-exitcode"], ["plan"], ["apply"], ["drift"]],
)
@pytest.mark.parametrize(
    "config",
    [
        "deploy:\n  targets:\n    - name: dev\n      colour: blue\n",  # unknown key
        "deploy:\n  targets: [\n",  # not YAML
        "deploy:\n  targets:\n    - name: dev\n      policies: [policy/*.json]\n",  # no folder
    ],
)
def test_a_configuration_error_exits_1_like_terraform_never_2_which_means_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], config: str
) -> None:
    root = _project(tmp_path, "    - name: dev\n")
    (root / "iamgate.yaml").write_text(config, encoding="utf-8")
    code = main([*args, "--config", str(root / "iamgate.yaml")])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert err.startswith("iamgate: error: ") and "Traceback" not in err


def test_lint_keeps_exit_2_for_a_configuration_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path, "    - name: dev\n")
    (root / "iamgate.yaml").write_text("deploy:\n  colour: blue\n", encoding="utf-8")
    assert main(["lint", "--config", str(root / "iamgate.yaml")]) == 2
    capsys.readouterr()
