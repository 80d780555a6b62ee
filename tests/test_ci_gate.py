"""The pull-request gates in pipeline/ci: least privilege, and their commands really gate.

The jobs' shell steps are run here as their CI would run them (bash -e, one step after the
other) against a clean project and a broken one; only the install step is left out.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from iamgate.init_project import PROJECT_FILES, template

CI = Path(__file__).resolve().parent.parent / "pipeline" / "ci"


def _load(name: str) -> dict[str, Any]:
    return YAML(typ="safe").load((CI / name).read_text(encoding="utf-8"))


GITHUB = _load("github-lint.yml")
GITLAB = _load("gitlab-lint.yml")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for relative, name in PROJECT_FILES.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(template(name), encoding="utf-8")
    return tmp_path


def _break(project: Path) -> None:
    policy = project / "policies" / "DelegatePermissions.json"
    text = policy.read_text(encoding="utf-8")
    policy.write_text(text.replace('"StringEquals"', '"StringEqualsIfExists"'), encoding="utf-8")


def _shell(command: str, cwd: Path, runner_temp: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, RUNNER_TEMP=str(runner_temp))
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


# -- GitHub Actions ------------------------------------------------------------------------


def test_github_workflow_grants_nothing_by_default_and_the_job_exactly_what_it_needs() -> None:
    assert GITHUB["permissions"] == {}
    assert GITHUB["jobs"]["lint"]["permissions"] == {
        "contents": "read",
        "security-events": "write",
        "actions": "read",
    }
    assert "pull_request" in GITHUB["on"]


def _github_steps() -> list[dict[str, Any]]:
    return [s for s in GITHUB["jobs"]["lint"]["steps"] if "run" in s and "pip" not in s["run"]]


def test_github_steps_produce_sarif_and_annotations_and_upload_the_sarif_written() -> None:
    runs = " ".join(s["run"] for s in _github_steps())
    assert "--format sarif" in runs and "--format github" in runs
    [upload] = [s for s in GITHUB["jobs"]["lint"]["steps"] if "upload-sarif" in s.get("uses", "")]
    assert upload["with"]["sarif_file"] == "${{ runner.temp }}/iamgate.sarif"


def _run_github_job(project: Path, tmp_path: Path) -> dict[str, int]:
    """Each step's exit status; like the runner, later steps still run (`!cancelled()`)."""
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    return {s["name"]: _shell(s["run"], project, runner_temp).returncode for s in _github_steps()}


def test_github_job_passes_a_clean_project(project: Path, tmp_path: Path) -> None:
    assert set(_run_github_job(project, tmp_path).values()) == {0}
    sarif = json.loads((tmp_path / "runner-temp" / "iamgate.sarif").read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"] == []


def test_github_job_fails_the_check_on_an_unsafe_policy_but_still_writes_the_sarif(
    project: Path, tmp_path: Path
) -> None:
    _break(project)
    status = _run_github_job(project, tmp_path)
    assert status["Lint for code scanning (SARIF)"] == 0  # the upload gets its file
    assert status["Lint (annotations on the diff; fails on errors)"] == 1
    sarif = json.loads((tmp_path / "runner-temp" / "iamgate.sarif").read_text(encoding="utf-8"))
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} >= {"IG301"}
    annotations = _shell("iamgate lint --format github", project, tmp_path).stdout
    assert "::error file=policies/DelegatePermissions.json,line=" in annotations


def test_github_job_fails_on_a_broken_configuration(project: Path, tmp_path: Path) -> None:
    (project / "iamgate.yaml").write_text("lint:\n  fail-on: sometimes\n", encoding="utf-8")
    assert _run_github_job(project, tmp_path)["Lint for code scanning (SARIF)"] == 2


# -- GitLab CI -----------------------------------------------------------------------------


def _run_gitlab_job(project: Path, tmp_path: Path) -> tuple[int, list[str]]:
    """The job's exit status and the lines that ran: GitLab stops at the first failing line."""
    ran = []
    for line in GITLAB["iamgate-lint"]["script"]:
        if "pip install" in line:
            continue
        ran.append(line)
        done = _shell(line, project, tmp_path)
        if done.returncode != 0:
            return done.returncode, ran
    return 0, ran


def test_gitlab_job_runs_on_merge_requests_and_always_keeps_the_junit_report() -> None:
    job = GITLAB["iamgate-lint"]
    assert {"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'} in job["rules"]
    assert job["artifacts"]["when"] == "always"
    report = job["artifacts"]["reports"]["junit"]
    assert any(f"--format junit --output {report}" in line for line in job["script"])


def test_gitlab_job_passes_a_clean_project(project: Path, tmp_path: Path) -> None:
    status, _ = _run_gitlab_job(project, tmp_path)
    assert status == 0
    ET.parse(project / "iamgate-junit.xml")


def test_gitlab_job_fails_on_an_unsafe_policy_with_the_finding_in_the_junit_report(
    project: Path, tmp_path: Path
) -> None:
    _break(project)
    status, ran = _run_gitlab_job(project, tmp_path)
    assert status == 1 and ran[-1] == "iamgate lint"
    root = ET.parse(project / "iamgate-junit.xml").getroot()
    failures = [f.get("message", "") + (f.text or "") for f in root.iter("failure")]
    assert any("IG301" in text for text in failures), failures
