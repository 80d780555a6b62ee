"""Every workflow, the Action and the GitLab templates: valid against their published schemas,
and hardened the same way.

The schemas are SchemaStore's, as vendored (and kept current) by check-jsonschema, so no test
fetches them:
  github-workflows  https://json.schemastore.org/github-workflow.json
  github-actions    https://json.schemastore.org/github-action.json
  gitlab-ci         https://gitlab.com/gitlab-org/gitlab/-/raw/master/app/assets/javascripts/editor/schema/ci.json
Pinning by SHA and `persist-credentials: false`:
https://docs.github.com/en/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions#using-third-party-actions
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parent.parent
CI = REPO / "pipeline" / "ci"
GITHUB_WORKFLOWS = sorted(
    [*CI.glob("github-*.yml"), *(REPO / ".github" / "workflows").glob("*.yml")]
)
GITLAB = sorted(CI.glob("gitlab-*.yml"))
ACTION = REPO / "action.yml"
# A full commit SHA, then the tag it was taken from in a comment.
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$")


def _load(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def _check(schema: str, *files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_there_are_templates_to_check() -> None:
    names = {p.name for p in GITHUB_WORKFLOWS} | {p.name for p in GITLAB}
    assert {"github-lint.yml", "github-deploy.yml", "release.yml"} <= names
    assert {"gitlab-lint.yml", "gitlab-deploy.yml"} <= names
    assert ACTION.is_file()


@pytest.mark.parametrize(
    ("schema", "files"),
    [
        ("vendor.github-workflows", GITHUB_WORKFLOWS),
        ("vendor.github-actions", [ACTION]),
        ("vendor.gitlab-ci", GITLAB),
    ],
    ids=["github-workflows", "action", "gitlab-ci"],
)
def test_every_template_is_valid_against_its_published_schema(
    schema: str, files: list[Path]
) -> None:
    done = _check(schema, *files)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("schema", "text"),
    [
        ("vendor.github-workflows", "on: push\njobs:\n  a:\n    runs-on: x\n    stepz: []\n"),
        ("vendor.github-actions", "name: a\ndescription: b\nruns:\n  using: composite\n"),
        ("vendor.gitlab-ci", "job:\n  script: [a]\n  when: sometimes\n"),
    ],
)
def test_the_schema_check_rejects_an_invalid_file(schema: str, text: str, tmp_path: Path) -> None:
    """The validation above can fail: a misspelt key, a composite action without steps, an
    unknown `when` are refused."""
    broken = tmp_path / "broken.yml"
    broken.write_text(text, encoding="utf-8")
    assert _check(schema, broken).returncode == 1


def _uses(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["uses"]] if isinstance(node.get("uses"), str) else []
        return found + [u for value in node.values() for u in _uses(value)]
    if isinstance(node, list):
        return [u for item in node for u in _uses(item)]
    return []


@pytest.mark.parametrize("path", [*GITHUB_WORKFLOWS, ACTION], ids=lambda p: p.name)
def test_every_action_is_pinned_by_full_commit_sha_with_its_tag_beside_it(path: Path) -> None:
    uses = _uses(_load(path))
    assert uses
    lines = path.read_text(encoding="utf-8").splitlines()
    for use in uses:
        [line] = {ln.split("uses:", 1)[1].strip() for ln in lines if f"uses: {use}" in ln}
        assert PINNED.match(line), line


@pytest.mark.parametrize("path", [*GITHUB_WORKFLOWS], ids=lambda p: p.name)
def test_checkout_never_keeps_credentials(path: Path) -> None:
    for job in _load(path)["jobs"].values():
        for step in job.get("steps", []):
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False


def test_one_python_version_across_templates_and_the_action() -> None:
    versions = set()
    for path in GITHUB_WORKFLOWS:
        for job in _load(path)["jobs"].values():
            for step in job.get("steps", []):
                if step.get("uses", "").startswith("actions/setup-python@"):
                    versions.add(step["with"]["python-version"])
    versions.add(_load(ACTION)["inputs"]["python-version"]["default"])
    for path in GITLAB:
        text = path.read_text(encoding="utf-8")
        versions |= set(re.findall(r"image: python:(\d+\.\d+)", text))
    assert versions == {"3.12"}


def _gitlab_jobs(path: Path) -> set[str]:
    reserved = {"stages", "variables", "default", "include", "workflow", "image", "services"}
    return {k for k in _load(path) if not k.startswith(".") and k not in reserved}


def test_gitlab_templates_can_be_included_together() -> None:
    """Job names are unique across both files, and every job's stage exists in the combined
    pipeline (the deploy file's `stages:` replaces the default list)."""
    lint, deploy = (_gitlab_jobs(CI / name) for name in ("gitlab-lint.yml", "gitlab-deploy.yml"))
    assert lint and deploy and not lint & deploy
    stages = _load(CI / "gitlab-deploy.yml")["stages"]
    for path in GITLAB:
        for job in _gitlab_jobs(path):
            assert _load(path)[job].get("stage", "test") in stages, job


def test_plan_and_drift_read_with_the_read_only_role_and_only_apply_writes() -> None:
    github = _load(CI / "github-deploy.yml")["jobs"]
    for name in ("plan", "drift"):
        [login] = [s for s in github[name]["steps"] if "configure-aws" in s.get("uses", "")]
        assert login["with"]["role-to-assume"] == "${{ vars.IAMGATE_PLAN_ROLE_ARN }}"
        assert any("--role iamgate-plan" in s.get("run", "") for s in github[name]["steps"])
        assert "environment" not in github[name]
    [login] = [s for s in github["apply"]["steps"] if "configure-aws" in s.get("uses", "")]
    assert login["with"]["role-to-assume"] == "${{ vars.IAMGATE_APPLY_ROLE_ARN }}"
    gitlab = _load(CI / "gitlab-deploy.yml")
    for name in ("iamgate-deploy-plan", "iamgate-deploy-drift"):
        assert gitlab[name]["variables"]["AWS_ROLE_ARN"] == "$IAMGATE_PLAN_ROLE_ARN"
        assert "--role iamgate-plan" in " ".join(gitlab[name]["script"])
    assert gitlab["iamgate-deploy-apply"]["variables"]["AWS_ROLE_ARN"] == "$IAMGATE_APPLY_ROLE_ARN"


def test_deploy_templates_install_the_deploy_extra_of_this_release() -> None:
    from iamgate import __version__

    for name in ("github-deploy.yml", "gitlab-deploy.yml"):
        assert f'IAMGATE_PACKAGE: "iamgate[deploy]=={__version__}"' in (CI / name).read_text()
    for name in ("github-lint.yml", "gitlab-lint.yml"):
        assert f'IAMGATE: "iamgate=={__version__}"' in (CI / name).read_text()


def test_release_publishes_with_trusted_publishing_and_no_token() -> None:
    release = _load(REPO / ".github" / "workflows" / "release.yml")
    text = (REPO / ".github" / "workflows" / "release.yml").read_text(encoding="utf-8")
    publish = release["jobs"]["publish"]
    assert publish["permissions"] == {"id-token": "write"}
    [step] = [s for s in publish["steps"] if "gh-action-pypi-publish" in s["uses"]]
    assert "password" not in step.get("with", {}) and "secrets." not in text
    assert release["permissions"] == {}
    # Only the job that creates the tag may write, and it runs after the upload.
    writers = [n for n, job in release["jobs"].items() if "write" in job["permissions"].values()]
    assert sorted(writers) == ["publish", "tag"] and "publish" in release["jobs"]["tag"]["needs"]
    build = " ".join(s.get("run", "") for s in release["jobs"]["build"]["steps"])
    assert "twine check" in build and "python -m build" in build and "--version" in build
