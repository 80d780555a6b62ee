"""iamgate.yaml: where it is found, what it may say, and what each mistake is told as."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from iamgate.config import CONFIG_NAME, ConfigError, load_config, parse_config
from iamgate.rule_references import check_rule_references

# A policy that is not JSON (a trailing comma) always yields the loading finding IG001.
BROKEN_POLICY = '{\n  "Version": "2012-10-17",\n  "Statement": [],\n}\n'
BROKEN = "policies/legacy-broken.json"

RunIamgate = Callable[..., subprocess.CompletedProcess[str]]


# -- where the configuration comes from --------------------------------------------------------


def test_the_configuration_is_found_upward_from_a_subfolder(project: Path) -> None:
    deep = project / "policies" / "team" / "deeper"
    deep.mkdir(parents=True)
    config = load_config(cwd=deep)
    assert config.file == project / CONFIG_NAME
    assert config.root == project
    assert config.prefix == "service-"
    assert config.boundaries == ("S3AccessBoundary",)
    assert [t.name for t in config.deploy.targets] == ["dev", "prod"]


def test_an_explicit_configuration_sets_the_project_root(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "gate.yaml").write_text("delegation:\n  prefix: team-a-\n")
    config = load_config(Path("elsewhere/gate.yaml"), cwd=tmp_path)
    assert config.root == tmp_path / "elsewhere"
    assert config.prefix == "team-a-"


def test_an_explicit_configuration_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(Path("missing.yaml"), cwd=tmp_path)


def test_without_a_configuration_file_the_defaults_apply(tmp_path: Path) -> None:
    above = [p / CONFIG_NAME for p in (tmp_path, *tmp_path.parents) if (p / CONFIG_NAME).exists()]
    assert not above, f"a stray {above[0]} would be found instead of the defaults"
    config = load_config(cwd=tmp_path)
    assert config.file is None
    assert config.root == tmp_path.resolve()
    assert (config.prefix, config.boundaries, config.fail_on) == ("service-", None, "error")
    assert config.rules == {} and config.exceptions == ()


def test_an_empty_configuration_file_means_the_defaults(tmp_path: Path) -> None:
    (tmp_path / CONFIG_NAME).write_text("# nothing configured yet\n")
    config = load_config(cwd=tmp_path)
    assert config.file == tmp_path / CONFIG_NAME
    assert (config.prefix, config.fail_on) == ("service-", "error")


def test_a_complete_configuration_is_read_into_values(tmp_path: Path) -> None:
    (tmp_path / CONFIG_NAME).write_text(
        "delegation:\n"
        "  prefix: svc-\n"
        "  boundaries: [A, B]\n"
        "lint:\n"
        "  fail-on: warning\n"
        "  rules: {IG001: warning}\n"
        "  exceptions:\n"
        "    - path: policies/legacy-*.json\n"
        "      rule: IG001\n"
        "      reason: migrated next quarter\n"
        "      expires: 2027-03-01\n"
    )
    config = load_config(cwd=tmp_path)
    assert config.boundaries == ("A", "B")
    assert config.fail_on == "warning"
    assert config.rules == {"IG001": "warning"}
    (exception,) = config.exceptions
    assert (exception.path, exception.rule, exception.reason) == (
        "policies/legacy-*.json",
        "IG001",
        "migrated next quarter",
    )
    assert exception.expires is not None and exception.expires.isoformat() == "2027-03-01"
    assert exception.line == 8


# -- every kind of mistake, with its line --------------------------------------------------------

# (text, line, column, message): the column of the offending key or value (None where the
# mistake is not one node: the whole file, or a second use of a name).
MISTAKES = [
    pytest.param("lnt:\n  fail-on: error\n", 1, 1, "unknown key 'lnt'", id="unknown-top-level-key"),
    pytest.param(
        "delegation:\n  prefix: service-\n  prefx: x\n",
        3,
        3,
        "unknown key 'prefx' in delegation",
        id="unknown-nested-key",
    ),
    pytest.param(
        "lint:\n  exceptions:\n    - path: a.json\n      rule: IG001\n      reason: r\n"
        "      owner: me\n",
        6,
        7,
        "unknown key 'owner'",
        id="unknown-key-in-exception",
    ),
    pytest.param(
        "lint:\n  rules:\n    IG001: fatal\n", 3, 12, "'fatal' is not one of", id="bad-severity"
    ),
    pytest.param(
        "lint:\n  fail-on: sometimes\n", 2, 12, "'sometimes' is not one of", id="bad-fail-on"
    ),
    pytest.param(
        "lint:\n  rules:\n    IG999: off\n", 3, 5, "unknown rule 'IG999'", id="bad-rule-id"
    ),
    pytest.param(
        "lint:\n  rules:\n    IG 301: off\n",
        3,
        5,
        "'IG 301' is not a rule id or name",
        id="rule-id-syntax",
    ),
    pytest.param(
        "lint:\n  exceptions:\n    - path: a.json\n      rule: no-such-rule\n      reason: r\n",
        3,
        7,
        "unknown rule 'no-such-rule'",
        id="bad-rule-in-exception",
    ),
    pytest.param(
        "lint:\n  exceptions:\n    - path: a.json\n      rule: IG301 IG302\n      reason: r\n",
        4,
        13,
        "'IG301 IG302' is not a rule id or name",
        id="rule-syntax-in-exception",
    ),
    pytest.param(
        "lint:\n  exceptions:\n    - path: policies/*.json\n      rule: IG001\n",
        3,
        7,
        "'reason' is required",
        id="exception-without-reason",
    ),
    pytest.param(
        "lint:\n  exceptions:\n    - path: a.json\n      rule: IG001\n      reason: r\n"
        "      expires: 2027-13-01\n",
        6,
        16,
        "'2027-13-01' is not a date",
        id="impossible-date",
    ),
    pytest.param(
        "lint:\n  exceptions:\n    - path: a.json\n      rule: IG001\n      reason: r\n"
        "      expires: next year\n",
        6,
        16,
        "'next year' is not a date",
        id="date-in-words",
    ),
    pytest.param("delegation:\n  prefix: a: b\n", 2, 12, "invalid YAML", id="yaml-syntax"),
    pytest.param("lint:\n  fail-on: [error\n", 3, 1, "invalid YAML", id="yaml-unclosed-list"),
    pytest.param(
        "lint:\n  fail-on: error\n  fail-on: warning\n", 3, 3, "duplicate key", id="duplicate-key"
    ),
    pytest.param("- delegation\n- lint\n", 1, None, "must be a mapping", id="list-at-top-level"),
    pytest.param("just words\n", 1, None, "must be a mapping", id="scalar-at-top-level"),
    pytest.param(
        "deploy:\n  role: Admin\n  concurrency: many\n", 3, 16, "expected integer", id="wrong-type"
    ),
    pytest.param(
        "deploy:\n  targets:\n    - name: dev\n    - name: dev\n",
        4,
        None,
        "'dev' is used twice",
        id="duplicate-target",
    ),
    pytest.param(b"delegation:\n  prefix: caf\xe9-\n", 2, None, "not UTF-8", id="latin-1"),
]


def _write(path: Path, text: str | bytes) -> None:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")


def _load_as_lint_does(path: Path) -> None:
    """The file's schema and values (iamgate.config), then its references to rules, which
    lint checks against the registry a layer above (iamgate.rule_references)."""
    check_rule_references(parse_config(path))


@pytest.mark.parametrize(("text", "line", "column", "message"), MISTAKES)
def test_a_configuration_mistake_is_one_error_at_its_line(
    tmp_path: Path, text: str | bytes, line: int, column: int | None, message: str
) -> None:
    path = tmp_path / CONFIG_NAME
    _write(path, text)
    with pytest.raises(ConfigError) as caught:
        _load_as_lint_does(path)
    assert (caught.value.line, caught.value.column) == (line, column)
    assert caught.value.file == path
    assert message in caught.value.message
    where = f"{path}:{line}:{column}: " if column else f"{path}:{line}: "
    assert str(caught.value).startswith(where)


@pytest.mark.parametrize(("text", "line", "column", "message"), MISTAKES)
def test_the_cli_reports_a_configuration_mistake_in_one_line_and_exits_2(
    project: Path,
    run_iamgate: RunIamgate,
    text: str | bytes,
    line: int,
    column: int | None,
    message: str,
) -> None:
    _write(project / CONFIG_NAME, text)
    proc = run_iamgate("lint", cwd=project)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
    (only,) = proc.stderr.splitlines()
    assert only.startswith("iamgate: error: ")
    assert (f"{CONFIG_NAME}:{line}:{column}: " if column else f"{CONFIG_NAME}:{line}: ") in only
    assert message in only


# -- severities and exceptions act on real findings -----------------------------------------------


def _lint_json(project: Path, run_iamgate: RunIamgate, *args: str) -> tuple[int, dict]:
    proc = run_iamgate("lint", "--format", "json", *args, cwd=project)
    assert "Traceback" not in proc.stderr
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def _configure_lint(project: Path, lint_section: str) -> None:
    import io

    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    config = yaml.load((project / CONFIG_NAME).read_text())
    config["lint"] = yaml.load(lint_section)["lint"]  # this test's lint section, nothing else
    out = io.StringIO()
    yaml.dump(config, out)
    (project / CONFIG_NAME).write_text(out.getvalue())
    (project / BROKEN).write_text(BROKEN_POLICY)


def _broken_findings(report: dict) -> list[dict]:
    return [f for f in report["findings"] if f["file"] == BROKEN]


def test_without_configuration_the_broken_policy_fails(
    project: Path, run_iamgate: RunIamgate
) -> None:
    (project / BROKEN).write_text(BROKEN_POLICY)
    code, report = _lint_json(project, run_iamgate)
    assert code == 1
    assert [f["rule"] for f in _broken_findings(report)] == ["IG001"]


def test_an_exception_suppresses_its_finding(project: Path, run_iamgate: RunIamgate) -> None:
    _configure_lint(
        project,
        "lint:\n  exceptions:\n    - path: policies/legacy-*.json\n      rule: IG001\n"
        "      reason: imported from the old account, fixed in the migration\n"
        "      expires: 2999-12-31\n",
    )
    code, report = _lint_json(project, run_iamgate)
    assert _broken_findings(report) == []
    assert report["summary"]["suppressed"] == 1
    assert code == 0


def test_an_exception_without_expiry_keeps_applying(project: Path, run_iamgate: RunIamgate) -> None:
    _configure_lint(
        project,
        "lint:\n  exceptions:\n    - path: policies/legacy-*.json\n      rule: IG001\n"
        "      reason: reviewed\n",
    )
    code, report = _lint_json(project, run_iamgate)
    assert (code, _broken_findings(report), report["summary"]["suppressed"]) == (0, [], 1)


def test_an_expired_exception_brings_the_finding_back_saying_so(
    project: Path, run_iamgate: RunIamgate
) -> None:
    _configure_lint(
        project,
        "lint:\n  exceptions:\n    - path: policies/legacy-*.json\n      rule: IG001\n"
        "      reason: fixed by the end of 2020\n      expires: 2020-12-31\n",
    )
    code, report = _lint_json(project, run_iamgate)
    (finding,) = _broken_findings(report)
    assert code == 1
    assert finding["rule"] == "IG001"
    assert "expired" in finding["message"] and "2020-12-31" in finding["message"]
    assert finding["exception"]["expired"] is True
    assert report["summary"]["suppressed"] == 0


def test_an_exception_for_another_path_does_not_apply(
    project: Path, run_iamgate: RunIamgate
) -> None:
    _configure_lint(
        project,
        "lint:\n  exceptions:\n    - path: policies/other-*.json\n      rule: IG001\n"
        "      reason: r\n",
    )
    code, report = _lint_json(project, run_iamgate)
    assert code == 1
    assert [f["rule"] for f in _broken_findings(report)] == ["IG001"]


def test_a_severity_override_changes_the_finding_and_the_exit_code(
    project: Path, run_iamgate: RunIamgate
) -> None:
    _configure_lint(project, "lint:\n  fail-on: error\n  rules:\n    IG001: warning\n")
    code, report = _lint_json(project, run_iamgate)
    (finding,) = _broken_findings(report)
    assert finding["severity"] == "warning"
    assert code == 0
    code, _ = _lint_json(project, run_iamgate, "--fail-on", "warning")
    assert code == 1


def test_fail_on_in_the_configuration_is_the_default_threshold(
    project: Path, run_iamgate: RunIamgate
) -> None:
    _configure_lint(project, "lint:\n  fail-on: warning\n  rules:\n    IG001: warning\n")
    code, report = _lint_json(project, run_iamgate)
    assert (code, report["summary"]["fail_on"]) == (1, "warning")
    code, _ = _lint_json(project, run_iamgate, "--fail-on", "error")
    assert code == 0


def test_a_rule_turned_off_reports_nothing(project: Path, run_iamgate: RunIamgate) -> None:
    _configure_lint(project, "lint:\n  rules:\n    IG001: off\n")
    code, report = _lint_json(project, run_iamgate)
    assert _broken_findings(report) == []
    assert code == 0
