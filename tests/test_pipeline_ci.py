"""The merge pipeline's templates and the pipeline's own IAM policies.

The CI files are parsed and their plan step's shell run against a stand-in `iamgate`; the
policies in pipeline/iam are linted by iamgate itself and evaluated the way AWS would
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
from iamgate.pipeline.render_plan import COMMENT_MARKER
from ruamel.yaml import YAML

from iamgate.evaluator import Request, evaluate
from iamgate.model import Policy, policy_from_data

REPO = Path(__file__).resolve().parent.parent
CI = REPO / "pipeline" / "ci"
IAM = REPO / "pipeline" / "iam"
ACCOUNT = "111122223333"
POLICY = f"arn:aws:iam::{ACCOUNT}:policy"


def load_yaml(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def steps_running(job: dict[str, Any], text: str) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if text in s.get("run", "")]


# --- GitHub Actions ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def github() -> dict[str, Any]:
    return load_yaml(CI / "github-deploy.yml")


def test_github_plans_on_pull_requests_and_applies_then_checks_drift_on_main(
    github: dict[str, Any],
) -> None:
    triggers = github[True] if True in github else github["on"]  # YAML 1.1 reads `on` as true
    assert "pull_request" in triggers and triggers["push"]["branches"] == ["main"]
    jobs = github["jobs"]
    assert "pull_request" in jobs["plan"]["if"] and "push" in jobs["apply"]["if"]
    assert jobs["drift"]["needs"] == "apply"
    assert steps_running(jobs["plan"], "iamgate lint")
    assert steps_running(
        jobs["plan"], "iamgate plan --role iamgate-plan --format markdown --detailed-exitcode"
    )
    assert steps_running(jobs["drift"], "iamgate drift")


def test_github_uses_oidc_and_never_stored_keys(github: dict[str, Any]) -> None:
    text = (CI / "github-deploy.yml").read_text()
    assert "AWS_SECRET_ACCESS_KEY" not in text and "aws-secret-access-key" not in text
    for name in ("plan", "apply", "drift"):
        job = github["jobs"][name]
        assert job["permissions"]["id-token"] == "write"
        [login] = [s for s in job["steps"] if "configure-aws-credentials" in s.get("uses", "")]
        assert login["with"]["role-to-assume"].startswith("${{ vars.IAMGATE_")


def test_github_apply_shards_cover_the_matrix(github: dict[str, Any]) -> None:
    apply = github["jobs"]["apply"]
    shards = apply["strategy"]["matrix"]["shard"]
    [step] = steps_running(apply, "iamgate apply")
    assert step["run"] == f"iamgate apply --shard ${{{{ matrix.shard }}}}/{len(shards)}"
    assert shards == list(range(1, len(shards) + 1))
    assert apply["strategy"]["fail-fast"] is False


def test_github_comment_is_found_again_by_the_plans_marker(github: dict[str, Any]) -> None:
    [post] = [s for s in github["jobs"]["plan"]["steps"] if "github-script" in s.get("uses", "")]
    assert f"'{COMMENT_MARKER}'" in post["with"]["script"]
    assert github["jobs"]["plan"]["permissions"]["pull-requests"] == "write"


def _fake_iamgate(folder: Path, code: int) -> Path:
    script = folder / "iamgate"
    script.write_text(f"#!/bin/sh\necho '{COMMENT_MARKER}'\necho \"args: $*\"\nexit {code}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return folder


@pytest.mark.parametrize(
    ("iamgate_code", "step_fails"), [(0, False), (2, False), (1, True), (127, True), (130, True)]
)
def test_github_plan_step_fails_only_when_the_plan_fails(
    github: dict[str, Any], tmp_path: Path, iamgate_code: int, step_fails: bool
) -> None:
    [step] = steps_running(github["jobs"]["plan"], "iamgate plan")
    (tmp_path / "bin").mkdir()
    bin_dir = _fake_iamgate(tmp_path / "bin", iamgate_code)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
    }
    done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=tmp_path, env=env, check=False)
    assert (done.returncode != 0) is step_fails
    assert (tmp_path / "output").read_text() == f"exitcode={iamgate_code}\n"
    assert (tmp_path / "plan.md").read_text().startswith(COMMENT_MARKER)
    assert (tmp_path / "summary").read_text() == (tmp_path / "plan.md").read_text()


# --- GitLab CI ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gitlab() -> dict[str, Any]:
    return load_yaml(CI / "gitlab-deploy.yml")


def test_gitlab_plans_merge_requests_and_applies_then_checks_drift_on_the_default_branch(
    gitlab: dict[str, Any],
) -> None:
    # `test` too: gitlab-lint.yml's job runs there when both files are included.
    assert gitlab["stages"] == ["lint", "test", "plan", "apply", "drift"]
    assert "merge_request_event" in gitlab["iamgate-deploy-plan"]["rules"][0]["if"]
    assert "CI_DEFAULT_BRANCH" in gitlab["iamgate-deploy-apply"]["rules"][0]["if"]
    assert gitlab["iamgate-deploy-apply"]["script"] == [
        'iamgate apply --shard "$CI_NODE_INDEX/$CI_NODE_TOTAL"'
    ]
    assert isinstance(gitlab["iamgate-deploy-apply"]["parallel"], int)
    assert gitlab["iamgate-deploy-drift"]["script"][0].startswith("iamgate drift")
    assert (
        "iamgate plan --role iamgate-plan --format markdown --detailed-exitcode"
        in gitlab["iamgate-deploy-plan"]["script"][0]
    )


def test_gitlab_hands_the_oidc_token_to_boto3_as_a_web_identity(gitlab: dict[str, Any]) -> None:
    base = gitlab[".iamgate-aws"]
    assert base["id_tokens"]["AWS_OIDC_TOKEN"]["aud"] == "sts.amazonaws.com"
    assert any("AWS_WEB_IDENTITY_TOKEN_FILE" in line for line in base["before_script"])
    for job in ("iamgate-deploy-plan", "iamgate-deploy-apply", "iamgate-deploy-drift"):
        assert (
            gitlab[job]["extends"] == ".iamgate-aws" and "AWS_ROLE_ARN" in gitlab[job]["variables"]
        )
    assert "AWS_SECRET_ACCESS_KEY" not in (CI / "gitlab-deploy.yml").read_text()


class _NotesApi:
    """A local stand-in for GitLab's merge-request notes API: GET lists the notes (two per
    page, so the job must follow X-Next-Page), POST adds one, PUT /notes/ID replaces one.
    https://docs.gitlab.com/api/notes/#merge-requests"""

    def __init__(self, notes: list[dict[str, Any]]) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, HTTPServer

        self.notes = notes
        self.calls: list[tuple[str, str, str]] = []  # (method, path, token)
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _reply(self, status: int, data: Any, next_page: str = "") -> None:
                body = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("X-Next-Page", next_page)
                self.end_headers()
                self.wfile.write(body)

            def _body(self) -> str:
                return json.loads(self.rfile.read(int(self.headers["Content-Length"])))["body"]

            def do_GET(self) -> None:
                api.calls.append(("GET", self.path, self.headers["PRIVATE-TOKEN"]))
                from urllib.parse import parse_qs, urlsplit

                page = int(parse_qs(urlsplit(self.path).query).get("page", ["1"])[0])
                batch = api.notes[(page - 1) * 2 : page * 2]
                more = str(page + 1) if len(api.notes) > page * 2 else ""
                self._reply(200, batch, more)

            def do_POST(self) -> None:
                api.calls.append(("POST", self.path, self.headers["PRIVATE-TOKEN"]))
                api.notes.append({"id": 100 + len(api.notes), "body": self._body()})
                self._reply(201, api.notes[-1])

            def do_PUT(self) -> None:
                api.calls.append(("PUT", self.path, self.headers["PRIVATE-TOKEN"]))
                note_id = int(self.path.rsplit("/", 1)[1])
                [note] = [n for n in api.notes if n["id"] == note_id]
                note["body"] = self._body()
                self._reply(200, note)

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> _NotesApi:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/v4"


def _run_gitlab_plan(
    gitlab: dict[str, Any], tmp_path: Path, api: _NotesApi, code: int
) -> subprocess.CompletedProcess[str]:
    (tmp_path / "bin").mkdir()
    bin_dir = _fake_iamgate(tmp_path / "bin", code)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "CI_API_V4_URL": api.url,
        "CI_PROJECT_ID": "42",
        "CI_MERGE_REQUEST_IID": "7",
        "IAMGATE_NOTE_TOKEN": "token",
    }
    return subprocess.run(
        ["bash", "-e", "-c", gitlab["iamgate-deploy-plan"]["script"][0]],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


NOTES = "/api/v4/projects/42/merge_requests/7/notes"


@pytest.mark.parametrize(
    ("iamgate_code", "job_fails"), [(0, False), (2, False), (1, True), (127, True), (130, True)]
)
def test_gitlab_plan_job_posts_the_plan_and_fails_only_when_the_plan_fails(
    gitlab: dict[str, Any], tmp_path: Path, iamgate_code: int, job_fails: bool
) -> None:
    with _NotesApi([{"id": 1, "body": "LGTM"}]) as api:
        done = _run_gitlab_plan(gitlab, tmp_path, api, iamgate_code)
    assert (done.returncode != 0) is job_fails, done.stderr
    assert [(m, p.partition("?")[0], tok) for m, p, tok in api.calls if m != "GET"] == [
        ("POST", NOTES, "token")
    ]
    assert api.notes[-1]["body"].startswith(COMMENT_MARKER)


def test_gitlab_plan_note_is_updated_in_place_on_the_next_push(
    gitlab: dict[str, Any], tmp_path: Path
) -> None:
    """The note carrying the marker is found (on a later page) and replaced: no new note."""
    earlier = [
        {"id": 1, "body": "first review"},
        {"id": 2, "body": "second review"},
        {"id": 3, "body": f"{COMMENT_MARKER}\nthe previous plan"},
    ]
    with _NotesApi(earlier) as api:
        done = _run_gitlab_plan(gitlab, tmp_path, api, 2)
    assert done.returncode == 0, done.stderr
    assert [(m, p) for m, p, _ in api.calls if m != "GET"] == [("PUT", f"{NOTES}/3")]
    assert len(api.notes) == 3 and api.notes[2]["body"].startswith(COMMENT_MARKER)
    assert "the previous plan" not in api.notes[2]["body"]


# --- the pipeline's own IAM policies ---------------------------------------------------------


def policy(name: str) -> Policy:
    return policy_from_data(json.loads((IAM / f"{name}.json").read_text()), name)


def decide(name: str, action: str, resource: str, context: dict[str, str] | None = None) -> str:
    values = {"aws:PrincipalAccount": ACCOUNT, **(context or {})}
    return evaluate(Request(action, resource, values), [policy(name)]).decision


TAGGED = {"aws:ResourceTag/iamgate:managed": "true"}


def test_the_pipeline_policies_pass_iamgates_own_lint(run_iamgate: Any) -> None:
    done = run_iamgate("lint", "pipeline/iam", "--format", "json", cwd=REPO)
    report = json.loads(done.stdout)
    assert done.returncode == 0, done.stdout
    assert report["summary"]["error"] == 0 and report["summary"]["files"] == 4


def test_deploy_role_changes_only_policies_carrying_the_ownership_tag() -> None:
    assert (
        decide("iamgate-deploy-member", "iam:CreatePolicyVersion", f"{POLICY}/Anything", TAGGED)
        == "allowed"
    )
    assert (
        decide("iamgate-deploy-member", "iam:CreatePolicyVersion", f"{POLICY}/Anything")
        == "implicit_deny"
    )
    assert decide(
        "iamgate-deploy-member",
        "iam:DeletePolicy",
        f"{POLICY}/x",
        {"aws:ResourceTag/iamgate:managed": "x"},
    ) == ("implicit_deny")
    # Its own permissions are out of reach even when tagged.
    assert decide(
        "iamgate-deploy-member", "iam:CreatePolicyVersion", f"{POLICY}/iamgate-deploy", TAGGED
    ) == ("explicit_deny")
    assert (
        decide("iamgate-deploy-member", "iam:UntagPolicy", f"{POLICY}/x", TAGGED) == "explicit_deny"
    )


def test_deploy_role_creates_policies_only_with_the_ownership_tag() -> None:
    tag = {"aws:RequestTag/iamgate:managed": "true", "aws:TagKeys": "iamgate:managed"}
    assert (
        decide("iamgate-deploy-member", "iam:CreatePolicy", f"{POLICY}/DelegatePermissions", tag)
        == "allowed"
    )
    assert (
        decide("iamgate-deploy-member", "iam:CreatePolicy", f"{POLICY}/DelegatePermissions")
        == "implicit_deny"
    )


@pytest.mark.parametrize(
    "action",
    [
        "iam:AttachRolePolicy",
        "iam:PutRolePolicy",
        "iam:CreateRole",
        "iam:PassRole",
        "iam:CreateAccessKey",
        "iam:UpdateAssumeRolePolicy",
        "iam:AttachUserPolicy",
        "iam:AddUserToGroup",
    ],
)
def test_deploy_role_cannot_give_any_principal_a_permission(action: str) -> None:
    assert decide("iamgate-deploy-member", action, "*", TAGGED) == "implicit_deny"


def test_plan_role_reads_and_writes_nothing() -> None:
    assert decide("iamgate-plan-member", "iam:GetAccountAuthorizationDetails", "*") == "allowed"
    for action in (
        "iam:CreatePolicy",
        "iam:CreatePolicyVersion",
        "iam:DeletePolicy",
        "iam:TagPolicy",
    ):
        assert decide("iamgate-plan-member", action, f"{POLICY}/x") == "implicit_deny"


@pytest.mark.parametrize(
    ("name", "role"),
    [("iamgate-apply-management", "iamgate-deploy"), ("iamgate-plan-management", "iamgate-plan")],
)
def test_management_roles_assume_only_their_member_role_inside_the_organization(
    name: str, role: str
) -> None:
    inside = {
        "aws:ResourceOrgID": "o-abc",
        "aws:PrincipalOrgID": "o-abc",
        "sts:RoleSessionName": "iamgate-1a2b",
    }
    target = f"arn:aws:iam::{ACCOUNT}:role/{role}"
    assert decide(name, "sts:AssumeRole", target, inside) == "allowed"
    assert decide(
        name, "sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/OrganizationAccountAccessRole", inside
    ) == ("implicit_deny")
    outside = {**inside, "aws:ResourceOrgID": "o-other"}
    assert decide(name, "sts:AssumeRole", target, outside) == "implicit_deny"
    assert (
        decide(name, "sts:AssumeRole", target, {**inside, "sts:RoleSessionName": "me"})
        == "implicit_deny"
    )
    assert decide(name, "organizations:ListAccounts", "*") == "allowed"
    assert decide(name, "organizations:CreateAccount", "*") == "implicit_deny"


# --- deploy ordering and full history (forward-only deploys) ---------------------------------


def test_github_deploys_queue_in_order_and_are_never_cancelled(github: dict[str, Any]) -> None:
    concurrency = github["concurrency"]
    assert concurrency["cancel-in-progress"] is False
    # Without queue: max GitHub keeps one pending run and cancels it when another arrives.
    assert concurrency["queue"] == "max"
    assert "'deploy'" in concurrency["group"]
    for job in ("apply", "drift"):
        [checkout] = [s for s in github["jobs"][job]["steps"] if "checkout" in s.get("uses", "")]
        assert checkout["with"]["fetch-depth"] == 0, job


def test_gitlab_deploys_share_a_resource_group_and_the_readme_sets_it_oldest_first(
    gitlab: dict[str, Any],
) -> None:
    assert (
        gitlab["iamgate-deploy-apply"]["resource_group"]
        == gitlab["iamgate-deploy-drift"]["resource_group"]
    )
    text = (CI / "gitlab-deploy.yml").read_text()
    readme = (REPO / "README.md").read_text()
    for where in (text, readme):
        assert "process_mode=oldest_first" in where
        assert "resource_groups/iamgate-production" in where
    for job in ("iamgate-deploy-apply", "iamgate-deploy-drift"):
        assert gitlab[job]["variables"]["GIT_DEPTH"] == "0"
        assert "slim" not in gitlab[job]["image"]  # git must be in the image


def test_deploy_role_may_write_the_deployed_commit_record_but_not_its_own_policies() -> None:
    record = f"{POLICY}/IamgateDeployedCommit"
    assert decide("iamgate-deploy-member", "iam:CreatePolicyVersion", record, TAGGED) == "allowed"
    assert decide("iamgate-deploy-member", "iam:DeletePolicyVersion", record, TAGGED) == "allowed"
    tag = {"aws:RequestTag/iamgate:managed": "true", "aws:TagKeys": "iamgate:managed"}
    assert decide("iamgate-deploy-member", "iam:CreatePolicy", record, tag) == "allowed"


def test_the_templates_leave_pruning_to_deploy_prune(
    github: dict[str, Any], gitlab: dict[str, Any]
) -> None:
    [step] = steps_running(github["jobs"]["apply"], "iamgate apply")
    commands = [step["run"], *gitlab["iamgate-deploy-apply"]["script"]]
    assert all("iamgate apply" in c and "--prune" not in c for c in commands)
    for name in ("github-deploy.yml", "gitlab-deploy.yml"):
        assert "deploy.prune: true" in (CI / name).read_text()
