"""Several reports from one lint run (repeated --format, each with an optional --output)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from iamgate.commands.lint_outputs import pair_outputs
from iamgate.config import ConfigError

BROKEN_POLICY = '{\n  "Version": "2012-10-17",\n  "Statement": [],\n}\n'
GITHUB_COMMAND = re.compile(r"^::(error|warning|notice) file=[^,]+,line=\d+,col=\d+,title=")


def events(*args: str) -> list[tuple[str, object]]:
    """The (option, value) pairs argparse's Ordered action records, from a command line."""
    return [
        (args[i], Path(args[i + 1]) if args[i] == "--output" else args[i + 1])
        for i in range(0, len(args), 2)
    ]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((), [("text", None)]),
        (("--format", "json"), [("json", None)]),
        (("--output", "r.txt"), [("text", Path("r.txt"))]),
        # 0.1's spelling, --output before its --format, still pairs them.
        (("--output", "r.json", "--format", "json"), [("json", Path("r.json"))]),
        (
            ("--format", "sarif", "--output", "x.sarif", "--format", "text"),
            [("sarif", Path("x.sarif")), ("text", None)],
        ),
        (
            ("--format", "github", "--format", "sarif", "--output", "iamgate.sarif"),
            [("github", None), ("sarif", Path("iamgate.sarif"))],
        ),
        (
            ("--format", "json", "--output", "a.json", "--format", "json", "--output", "b.json"),
            [("json", Path("a.json")), ("json", Path("b.json"))],
        ),
    ],
)
def test_each_output_pairs_with_the_format_just_before_it(
    args: tuple[str, ...], expected: list[tuple[str, Path | None]]
) -> None:
    assert pair_outputs(events(*args)) == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--format", "json", "--format", "text"), "would each write to stdout"),
        (("--format", "json", "--output", "a", "--output", "b"), "already writes to a"),
        (("--output", "a", "--output", "b", "--format", "json"), "already waits for a --format"),
        (
            ("--format", "json", "--output", "a", "--format", "sarif", "--output", "a"),
            "two reports",
        ),
    ],
)
def test_ambiguous_outputs_are_usage_errors(args: tuple[str, ...], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        pair_outputs(events(*args))


def test_the_github_template_lints_once_for_annotations_and_code_scanning(
    project: Path, run_iamgate
) -> None:
    (project / "policies" / "broken.json").write_text(BROKEN_POLICY)
    proc = run_iamgate(
        "lint", "--format", "github", "--format", "sarif", "--output", "iamgate.sarif", cwd=project
    )
    assert proc.returncode == 1 and proc.stderr == ""
    lines = proc.stdout.splitlines()
    assert GITHUB_COMMAND.match(lines[0]) and "policies/broken.json" in lines[0]
    assert "runs" not in proc.stdout  # SARIF went to the file only
    log = json.loads((project / "iamgate.sarif").read_text())
    [result] = log["runs"][0]["results"]
    assert result["ruleId"] == "IG001"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "policies/broken.json"
    )


def test_every_format_at_once_holds_the_same_findings(project: Path, run_iamgate) -> None:
    (project / "policies" / "broken.json").write_text(BROKEN_POLICY)
    args = ["lint", "--format", "text"]
    for fmt in ("json", "sarif", "junit", "github"):
        args += ["--format", fmt, "--output", f"out/report.{fmt}"]
    (project / "out").mkdir()
    proc = run_iamgate(*args, cwd=project)
    assert proc.returncode == 1, proc.stderr
    assert "policies/broken.json:3:" in proc.stdout
    report = json.loads((project / "out/report.json").read_text())
    assert [f["rule"] for f in report["findings"]] == ["IG001"]
    assert "IG001" in (project / "out/report.junit").read_text()
    assert "::error file=policies/broken.json" in (project / "out/report.github").read_text()


def test_two_formats_on_stdout_are_refused_before_any_work(project: Path, run_iamgate) -> None:
    proc = run_iamgate("lint", "--format", "json", "--format", "sarif", cwd=project)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr.startswith("iamgate: error: --format json and --format sarif would each")
