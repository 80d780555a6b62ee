"""Colour the way terminal users expect: NO_COLOR, FORCE_COLOR and --color, on every command;
machine formats and files never coloured; progress never mixed into a report."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from iamgate.colour import enabled, paint, paint_lines

ANSI = re.compile(r"\033\[[0-9;]*[A-Za-z]")
BROKEN_POLICY = '{\n  "Version": "2012-10-17",\n  "Statement": [],\n}\n'


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def plain(text: str) -> str:
    return ANSI.sub("", text)


# -- the one decision ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("choice", "environ", "tty", "expected"),
    [
        ("auto", {}, True, True),
        ("auto", {}, False, False),
        ("auto", {"NO_COLOR": "1"}, True, False),
        ("auto", {"NO_COLOR": "0"}, True, False),  # any non-empty value, even "0"
        ("auto", {"NO_COLOR": ""}, True, True),  # empty is unset (no-color.org)
        ("auto", {"FORCE_COLOR": "1"}, False, True),  # into a pipe
        ("auto", {"FORCE_COLOR": ""}, False, False),
        ("auto", {"NO_COLOR": "1", "FORCE_COLOR": "1"}, True, False),
        ("auto", {"TERM": "dumb"}, True, False),
        ("always", {"NO_COLOR": "1"}, False, True),  # the flag beats the environment
        ("never", {"FORCE_COLOR": "1"}, True, False),
    ],
)
def test_the_flag_then_no_color_then_force_color_then_the_terminal_decide(
    choice: str, environ: dict[str, str], tty: bool, expected: bool
) -> None:
    stream = Terminal() if tty else io.StringIO()
    assert enabled(stream, choice, environ) is expected


def test_painting_changes_only_the_escape_codes() -> None:
    assert paint("error", "red", False) == "error"
    assert plain(paint("error", "red", True)) == "error" != paint("error", "red", True)
    styles = [(re.compile(r"  \+ "), "green")]
    text = "title\n  + create x\n  ~ update y\n"
    coloured = paint_lines(text, styles, True)
    assert plain(coloured) == text and coloured.count("\033[32m") == 1


# -- every command, every format ---------------------------------------------------------------

LINT_FORMATS = ("text", "json", "sarif", "github", "junit")


@pytest.fixture
def broken(project: Path) -> Path:
    (project / "policies" / "broken.json").write_text(BROKEN_POLICY)
    return project


def lint(run_iamgate, cwd: Path, fmt: str, env: dict[str, str], *extra: str):
    proc = run_iamgate("lint", "--format", fmt, *extra, cwd=cwd, env=env)
    assert proc.returncode == 1, proc.stderr
    return proc.stdout


@pytest.mark.parametrize("fmt", LINT_FORMATS)
def test_lint_colours_text_only_and_only_when_asked(broken: Path, run_iamgate, fmt: str) -> None:
    forced = lint(run_iamgate, broken, fmt, {"FORCE_COLOR": "1"})
    no_colour = lint(run_iamgate, broken, fmt, {"NO_COLOR": "1"})
    piped = lint(run_iamgate, broken, fmt, {})
    assert not ANSI.search(no_colour) and not ANSI.search(piped)
    if fmt == "text":
        assert "\033[1;31merror\033[0m IG001" in forced
        assert plain(forced) == no_colour == piped
    else:
        assert forced == no_colour == piped  # machine formats never carry colour
    if fmt in ("json", "sarif"):
        json.loads(forced)


def test_the_color_flag_beats_the_environment(broken: Path, run_iamgate) -> None:
    assert ANSI.search(lint(run_iamgate, broken, "text", {"NO_COLOR": "1"}, "--color", "always"))
    assert not ANSI.search(
        lint(run_iamgate, broken, "text", {"FORCE_COLOR": "1"}, "--color", "never")
    )


def test_the_color_flag_also_works_before_the_command(broken: Path, run_iamgate) -> None:
    before = run_iamgate("--color", "always", "lint", cwd=broken, env={"NO_COLOR": "1"})
    assert before.returncode == 1 and ANSI.search(before.stdout)
    never = run_iamgate("--color", "never", "lint", cwd=broken, env={"FORCE_COLOR": "1"})
    assert never.returncode == 1 and not ANSI.search(never.stdout)
    # The command's own flag is the nearer one, and wins.
    both = run_iamgate("--color", "never", "lint", "--color", "always", cwd=broken, env={})
    assert ANSI.search(both.stdout)
    bad = run_iamgate("--color", "sometimes", "lint", cwd=broken, env={})
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


def test_a_report_written_to_a_file_is_never_coloured(broken: Path, run_iamgate) -> None:
    out = lint(run_iamgate, broken, "text", {"FORCE_COLOR": "1"}, "--output", "report.txt")
    assert out == ""
    written = (broken / "report.txt").read_text()
    assert "error IG001" in written and not ANSI.search(written)


def _each_way(run_iamgate, cwd: Path, *args: str) -> tuple[str, str]:
    forced = run_iamgate(*args, cwd=cwd, env={"FORCE_COLOR": "1"})
    off = run_iamgate(*args, cwd=cwd, env={"NO_COLOR": "1"})
    assert forced.returncode == off.returncode and "Traceback" not in forced.stderr
    return forced.stdout, off.stdout


SIMULATE = (
    "simulate",
    "--policy",
    "policies/service-s3-reader.json",
    "--action",
    "s3:GetObject",
    "--resource",
    "arn:aws:s3:::nowhere/key",
)


@pytest.mark.parametrize(
    ("args", "coloured"),
    [
        ((*SIMULATE,), "\033[33mimplicit_deny\033[0m"),
        ((*SIMULATE, "--format", "json"), None),
        (("explain", "policies/DelegatePermissions.json"), "\033[1mWhat the delegate"),
        (("explain", "policies/DelegatePermissions.json", "--format", "markdown"), None),
        (("explain", "policies/DelegatePermissions.json", "--format", "json"), None),
        (("explain", "policies/DelegatePermissions.json", "--format", "html"), None),
        (("rules",), "\033[1;31merror"),
        (("rules", "IG301"), "\033[1mIG301\033[0m"),
        (("rules", "--format", "markdown"), None),
        (("rules", "IG301", "--format", "markdown"), None),
        (("rules", "--format", "json"), None),
    ],
)
def test_every_command_colours_its_text_and_never_its_machine_formats(
    project: Path, run_iamgate, args: tuple[str, ...], coloured: str | None
) -> None:
    forced, off = _each_way(run_iamgate, project, *args)
    assert off and not ANSI.search(off)
    if coloured is None:
        assert forced == off
    else:
        assert coloured in forced and plain(forced) == off


def test_fmt_check_colours_the_files_it_would_change(project: Path, run_iamgate) -> None:
    (project / "policies" / "messy.json").write_text('{"Version": "2012-10-17", "Statement": []}')
    forced, off = _each_way(run_iamgate, project, "fmt", "--check")
    assert off == "would reformat policies/messy.json\n"
    assert forced == "\033[33mwould reformat\033[0m policies/messy.json\n"


def test_a_progress_counter_is_erased_before_the_report_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from iamgate.pipeline.progress import Progress, end_live_line

    monkeypatch.delenv("CI", raising=False)  # a CI log gets no live counter at all
    stderr = Terminal()
    progress = Progress("plan", 2, stderr, live=True)
    progress.account_finished(failed=False)
    end_live_line(stderr)
    # The terminal's cursor is back at the start of an empty line: stdout's report starts
    # there, not after "iamgate plan: 1/2 accounts done".
    assert stderr.getvalue().endswith("\r\x1b[K")
    piped = io.StringIO()
    end_live_line(piped)  # off a terminal there is no counter to erase
    assert piped.getvalue() == ""


def test_the_plan_colours_like_terraform() -> None:
    from iamgate.pipeline.render_colour import colour_report

    text = (
        "iamgate plan (commit abc)\n\n222222222222 dev-1 (dev)\n"
        "  + create q  policies/q.json\n  ~ update p  policies/p.json\n"
        "      --- live\n      +++ repository\n      @@ -1 +1 @@\n      -old\n      +new\n"
        "  - delete r\n  ! conflict s\n  FAILED AccessDenied\n\nPlan: 1 to create.\n"
    )
    coloured = colour_report(text, True)
    assert plain(coloured) == text and colour_report(text, False) == text
    for line, style in [
        ("  + create q", "\033[32m"),
        ("  ~ update p", "\033[33m"),
        ("      -old", "\033[31m"),
        ("      +new", "\033[32m"),
        ("  - delete r", "\033[31m"),
        ("  ! conflict s", "\033[1;31m"),
        ("  FAILED", "\033[1;31m"),
    ]:
        assert f"{style}{line}" in coloured, line


@pytest.mark.integration
def test_plan_colours_its_text_against_a_moto_organization(
    org, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline_support import Run, make_project

    run = Run(capsys, make_project(tmp_path / "project"))
    monkeypatch.setenv("FORCE_COLOR", "1")
    code, forced, _ = run("plan")
    assert code == 0 and "\033[32m  + create service-" in forced
    code, as_json, _ = run("plan", "--format", "json")
    assert not ANSI.search(as_json) and json.loads(as_json)["command"] == "plan"
    code, markdown, _ = run("plan", "--format", "markdown")
    assert not ANSI.search(markdown)
    monkeypatch.setenv("NO_COLOR", "1")
    code, off, _ = run("plan")
    assert off == plain(forced) and not ANSI.search(off)
    code, always, _ = run("plan", "--color", "always")
    assert always == forced


def test_audit_text_marks_findings_and_unchecked_accounts() -> None:
    from iamgate.pipeline.commands.audit import TEXT_STYLES

    text = (
        "111111111111 role/service-x: no-boundary: has no permissions boundary\n"
        "not checked: 222222222222: AccessDenied\naudit: 1 finding in 1 of 2 accounts\n"
    )
    coloured = paint_lines(text, TEXT_STYLES, True)
    assert plain(coloured) == text
    assert coloured.startswith("\033[1;31m111111111111 role/service-x: no-boundary:")
    assert "\033[33mnot checked: 222222222222" in coloured
    assert coloured.endswith("audit: 1 finding in 1 of 2 accounts\n")
