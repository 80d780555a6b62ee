"""The pull-request gates in pipeline/ci: least privilege, and their commands really gate.

The jobs' shell steps are run here as their CI would run them (bash -e, one step after the
other) against a clean project and a broken one; only the install step is left out.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from iamgate.commands.init import PROJECT_FILES, template

CI = Path(__file__).resolve().parent.parent / "pipeline" / "ci"


def _load(name: str) -> dict[str, Any]:
    return YAML(typ="safe").load((CI / name).read_text(encoding="utf-8"))


GITHUB = _load("github-lint.yml")
GITLAB = _load("gitlab-lint.yml")
ACTION = YAML(typ="safe").load((CI.parent.parent / "action.yml").read_text(encoding="utf-8"))


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


def _shell(
    command: str, cwd: Path, runner_temp: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    # The iamgate under test first on PATH, unless the caller chose the PATH.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    environment = dict(os.environ, RUNNER_TEMP=str(runner_temp), PATH=path)
    environment.update(env or {})
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", command],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


_EXPRESSION = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")


def run_steps(
    steps: list[dict[str, Any]], cwd: Path, tmp_path: Path, inputs: dict[str, str] | None = None
) -> dict[str, subprocess.CompletedProcess[str]]:
    """The shell steps as the runner runs them, one after the other (each later step is
    `!cancelled()`), with `${{ steps.ID.outputs.KEY }}`, `${{ inputs.KEY }}` and
    `${{ runner.temp }}` in their env filled in from what earlier steps wrote to
    $GITHUB_OUTPUT. Install steps are left out: the iamgate under test is already installed."""
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir(exist_ok=True)
    values = {"runner.temp": str(runner_temp)}
    values.update({f"inputs.{k}": v for k, v in (inputs or {}).items()})
    done = {}
    for number, step in enumerate(s for s in steps if "run" in s and "pip" not in s["run"]):
        output = runner_temp / f"output-{number}"
        output.touch()
        env = {
            k: _EXPRESSION.sub(lambda m: values.get(m[1], ""), str(v))
            for k, v in step.get("env", {}).items()
        }
        env["GITHUB_OUTPUT"] = str(output)
        done[step["name"]] = _shell(step["run"], cwd, runner_temp, env)
        for line in output.read_text(encoding="utf-8").splitlines():
            key, _, value = line.partition("=")
            values[f"steps.{step.get('id', '')}.outputs.{key}"] = value
    return done


# -- GitHub Actions ------------------------------------------------------------------------


def test_github_workflow_grants_nothing_by_default_and_the_job_exactly_what_it_needs() -> None:
    assert GITHUB["permissions"] == {}
    assert GITHUB["jobs"]["lint"]["permissions"] == {
        "contents": "read",
        "security-events": "write",
        "actions": "read",
    }
    assert "pull_request" in GITHUB["on"]


def test_github_lints_once_for_both_the_annotations_and_the_sarif_it_uploads() -> None:
    steps = GITHUB["jobs"]["lint"]["steps"]
    lints = [s for s in steps if "iamgate lint" in s.get("run", "")]
    assert len(lints) == 1
    assert "--format github --format sarif --output" in lints[0]["run"]
    [upload] = [s for s in steps if "upload-sarif" in s.get("uses", "")]
    assert upload["with"]["sarif_file"] == "${{ runner.temp }}/iamgate.sarif"


def _run_github_job(project: Path, tmp_path: Path) -> dict[str, int]:
    done = run_steps(GITHUB["jobs"]["lint"]["steps"], project, tmp_path)
    return {name: proc.returncode for name, proc in done.items()}


LINT = "Lint (annotations on the diff, SARIF for code scanning; one run)"
VERDICT = "Verdict (fails on errors; exit 2 is a usage or configuration error)"


def test_github_job_passes_a_clean_project(project: Path, tmp_path: Path) -> None:
    assert set(_run_github_job(project, tmp_path).values()) == {0}
    sarif = json.loads((tmp_path / "runner-temp" / "iamgate.sarif").read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"] == []


def test_github_job_fails_the_check_on_an_unsafe_policy_but_still_writes_the_sarif(
    project: Path, tmp_path: Path
) -> None:
    _break(project)
    done = run_steps(GITHUB["jobs"]["lint"]["steps"], project, tmp_path)
    assert done[LINT].returncode == 0  # the upload gets its file
    assert done[VERDICT].returncode == 1
    assert "::error file=policies/DelegatePermissions.json,line=" in done[LINT].stdout
    sarif = json.loads((tmp_path / "runner-temp" / "iamgate.sarif").read_text(encoding="utf-8"))
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} >= {"IG301"}


def test_github_job_fails_on_a_broken_configuration(project: Path, tmp_path: Path) -> None:
    (project / "iamgate.yaml").write_text("lint:\n  fail-on: sometimes\n", encoding="utf-8")
    assert _run_github_job(project, tmp_path)[VERDICT] == 2


# -- the composite Action (action.yml) ----------------------------------------------------


def test_the_action_installs_iamgate_from_its_own_checkout() -> None:
    [install] = [s for s in ACTION["runs"]["steps"] if "pip install" in s.get("run", "")]
    assert '"$GITHUB_ACTION_PATH"' in install["run"]  # the action's ref, not a registry


def test_the_action_passes_a_clean_project_and_uploads_its_sarif(
    project: Path, tmp_path: Path
) -> None:
    done = run_steps(
        ACTION["runs"]["steps"][:4] + ACTION["runs"]["steps"][-1:],
        project,
        tmp_path,
        {"fail-on": ""},
    )
    assert {proc.returncode for proc in done.values()} == {0}
    sarif = tmp_path / "runner-temp" / "iamgate.sarif"
    assert json.loads(sarif.read_text(encoding="utf-8"))["runs"][0]["results"] == []
    [upload] = [s for s in ACTION["runs"]["steps"] if "upload-sarif" in s.get("uses", "")]
    assert upload["with"]["sarif_file"] == "${{ steps.lint.outputs.sarif-file }}"


def test_the_action_fails_on_an_unsafe_policy_after_writing_annotations_and_sarif(
    project: Path, tmp_path: Path
) -> None:
    _break(project)
    done = run_steps(ACTION["runs"]["steps"], project, tmp_path, {"fail-on": ""})
    lint = done["Lint (annotations in the log, SARIF to a file)"]
    assert lint.returncode == 0 and "::error file=policies/DelegatePermissions.json" in lint.stdout
    assert done["Verdict"].returncode == 1
    sarif = json.loads((tmp_path / "runner-temp" / "iamgate.sarif").read_text(encoding="utf-8"))
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} >= {"IG301"}


def test_the_action_fail_on_input_reaches_iamgate(project: Path, tmp_path: Path) -> None:
    done = run_steps(ACTION["runs"]["steps"], project, tmp_path, {"fail-on": "sometimes"})
    assert done["Verdict"].returncode == 1  # exit 2 from iamgate: a usage error, not a pass
    assert "could not run (exit 2" in done["Verdict"].stdout


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
    lints = [line for line in job["script"] if line.startswith("iamgate lint")]
    assert lints == [f"iamgate lint --format text --format junit --output {report}"]  # once


def test_gitlab_job_passes_a_clean_project(project: Path, tmp_path: Path) -> None:
    status, _ = _run_gitlab_job(project, tmp_path)
    assert status == 0
    ET.parse(project / "iamgate-junit.xml")


def test_gitlab_job_fails_on_an_unsafe_policy_with_the_finding_in_the_junit_report(
    project: Path, tmp_path: Path
) -> None:
    _break(project)
    status, ran = _run_gitlab_job(project, tmp_path)
    assert status == 1 and ran[-1].startswith("iamgate lint --format text --format junit")
    root = ET.parse(project / "iamgate-junit.xml").getroot()
    failures = [f.get("message", "") + (f.text or "") for f in root.iter("failure")]
    assert any("IG301" in text for text in failures), failures


@pytest.mark.parametrize(("code", "step_fails"), [(0, False), (2, False), (1, True)])
def test_the_action_plan_step_keeps_the_plan_and_fails_only_when_the_plan_fails(
    tmp_path: Path, code: int, step_fails: bool
) -> None:
    """With `plan: "true"` on a pull request: the markdown goes to the step summary and the
    file the comment step posts; changes pending (2) are a plan, not a failure."""
    [plan] = [s for s in ACTION["runs"]["steps"] if s.get("id") == "plan"]
    assert "inputs.plan == 'true'" in plan["if"] and "pull_request" in plan["if"]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "iamgate"
    fake.write_text(f"#!/bin/sh\necho '<!-- iamgate-plan -->'\necho \"args: $*\"\nexit {code}\n")
    fake.chmod(0o755)
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
        "BASE_REF": "main",
        "ROLE": "iamgate-plan",
    }
    done = _shell(plan["run"], tmp_path, runner_temp, env)
    assert (done.returncode != 0) is step_fails, done.stderr
    assert (tmp_path / "output").read_text() == f"exit-code={code}\n"
    posted = (runner_temp / "iamgate-plan.md").read_text()
    assert posted.startswith("<!-- iamgate-plan -->")
    assert "--role iamgate-plan" in posted and "--detailed-exitcode" in posted
    assert (tmp_path / "summary").read_text() == posted
    [comment] = [s for s in ACTION["runs"]["steps"] if "github-script" in s.get("uses", "")]
    assert "'<!-- iamgate-plan -->'" in comment["with"]["script"]
    assert "updateComment" in comment["with"]["script"]
