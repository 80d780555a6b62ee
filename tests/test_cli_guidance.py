"""The command line helps the user who got it slightly wrong: did-you-mean for options,
subcommands and choices; one rule in full with `iamgate rules ID`; shell completion generated
from the parser itself."""

from __future__ import annotations

import argparse
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from iamgate.cli import COMMANDS, build_parser
from iamgate.commands.completion import SHELLS, walk
from iamgate.rules import all_rules

# -- did you mean ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (("lint", "--fromat", "json"), "(did you mean --format?)"),
        (("lint", "--colr=never"), "(did you mean --color?)"),
        (("simulate", "--polcy", "p.json"), "(did you mean --policy?)"),
        (("lnit",), "(did you mean 'lint'?)"),
        (("lint", "--format", "sarf"), "(did you mean 'sarif'?)"),
        (("explain", "p.json", "--format", "htm"), "(did you mean 'html'?)"),
        (("plan", "--detailed-exit-code"), "(did you mean --detailed-exitcode?)"),
    ],
)
def test_a_typo_gets_the_closest_valid_spelling(
    tmp_path: Path, run_iamgate, args: tuple[str, ...], hint: str
) -> None:
    done = run_iamgate(*args, cwd=tmp_path)
    # A usage error exits 2, except from the Terraform-like commands, where 2 means pending.
    assert done.returncode == (1 if args[0] == "plan" else 2) and "Traceback" not in done.stderr
    assert hint in done.stderr.splitlines()[-1]


def test_an_unknown_option_shows_the_subcommands_usage(tmp_path: Path, run_iamgate) -> None:
    done = run_iamgate("lint", "--fromat", "json", cwd=tmp_path)
    assert done.stderr.startswith("usage: iamgate lint ")
    assert done.stderr.splitlines()[-1].startswith("iamgate lint: error: unrecognized arguments")


def test_nothing_close_gets_no_guess(tmp_path: Path, run_iamgate) -> None:
    done = run_iamgate("lint", "--zzzzzz", cwd=tmp_path)
    assert done.returncode == 2 and "did you mean" not in done.stderr


# -- iamgate rules ID ----------------------------------------------------------------------------


@pytest.mark.parametrize("wanted", ["IG301", "ig301", "boundary-condition"])
def test_rules_id_prints_one_rule_in_full(tmp_path: Path, run_iamgate, wanted: str) -> None:
    rule = all_rules()["IG301"]
    done = run_iamgate("rules", wanted, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert text.startswith(f"IG301 {rule.name} (error)")
    for title in ("What it does", "Why is this bad?", "Example", "Use instead", "Source"):
        assert f"\n{title}\n" in text
    assert rule.example is not None and rule.example.bad in text and rule.example.good in text
    assert rule.source in text
    assert "IG302" not in text  # one rule, not the list


def test_rules_id_as_markdown_has_a_section_per_part(tmp_path: Path, run_iamgate) -> None:
    rule = all_rules()["IG109"]
    done = run_iamgate("rules", "IG109", "--format", "markdown", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stdout.startswith(f"## IG109 `{rule.name}` ({rule.severity})\n")
    for title in ("What it does", "Why is this bad?", "Example", "Use instead", "Source"):
        assert f"\n### {title}\n" in done.stdout
    assert f"<{rule.source}>" in done.stdout


def test_every_rule_can_be_shown_alone() -> None:
    from iamgate.commands import rule_doc

    for rule in all_rules().values():
        assert rule_doc.find_rule(rule.id, list(all_rules().values())) is rule
        assert rule.summary.split()[0] in rule_doc.text(rule)
        assert rule_doc.markdown(rule).startswith(f"## {rule.id} ")


def test_an_unknown_rule_is_a_usage_error_with_a_suggestion(tmp_path: Path, run_iamgate) -> None:
    done = run_iamgate("rules", "IG3O1", cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "iamgate: error: no rule IG3O1; did you mean IG301?\n"


# -- shell completion ----------------------------------------------------------------------------


def every_option() -> dict[str, list[str]]:
    """Each subcommand's option strings, read from the real parser."""
    parser = build_parser([], every=True)
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {
        name: [o for action in sub._actions for o in action.option_strings]
        for name, sub in subparsers.choices.items()
    }


@pytest.fixture(scope="module")
def scripts() -> dict[str, str]:
    import sys

    return {
        shell: subprocess.run(
            [sys.executable, "-m", "iamgate", "completion", shell],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for shell in SHELLS
    }


@pytest.mark.parametrize("shell", SHELLS)
def test_the_completion_script_names_every_subcommand_and_option(
    scripts: dict[str, str], shell: str
) -> None:
    script = scripts[shell]
    options = every_option()
    assert set(options) == set(COMMANDS)
    for command, flags in options.items():
        assert command in script
        for flag in flags:
            spelled = flag if shell != "fish" else (f"-l {flag[2:]}" if flag[:2] == "--" else "")
            assert spelled in script, f"{shell}: {command} {flag}"
    assert "--version" in script or "-l version" in script


def test_the_completion_walk_follows_the_parser() -> None:
    # A new option appears in the scripts without anyone editing them.
    parser = build_parser([], every=True)
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    subparsers.choices["fmt"].add_argument("--brand-new", choices=("a", "b"))
    commands, _ = walk(parser)
    fmt = next(c for c in commands if c.name == "fmt")
    assert any(o.flags == ("--brand-new",) and o.choices == ("a", "b") for o in fmt.options)


def _bash_complete(script: str, words: list[str]) -> list[str]:
    program = (
        f"{script}\nCOMP_WORDS=({' '.join(repr(w) for w in words)}); "
        f'COMP_CWORD={len(words) - 1}; _iamgate; printf "%s\\n" "${{COMPREPLY[@]}}"'
    )
    done = subprocess.run(["bash", "-c", program], capture_output=True, text=True, check=True)
    return [w for w in done.stdout.splitlines() if w]


def test_bash_completes_subcommands_options_and_choices(scripts: dict[str, str]) -> None:
    script = scripts["bash"]
    assert _bash_complete(script, ["iamgate", "si"]) == ["simulate"]
    assert _bash_complete(script, ["iamgate", "lint", "--fo"]) == ["--format"]
    assert _bash_complete(script, ["iamgate", "lint", "--format", "s"]) == ["sarif"]
    assert _bash_complete(script, ["iamgate", "simulate", "--o"]) == ["--ou"]
    assert _bash_complete(script, ["iamgate", "completion", "z"]) == ["zsh"]


def _fish_words(line: str) -> list[str]:
    """One fish command line split into words: single quotes with fish's \\' and \\\\ escapes,
    raising ValueError on an unclosed quote (what `fish -n` would refuse)."""
    words, word, quoted, i = [], "", False, 0
    while i < len(line):
        ch = line[i]
        if quoted and ch == "\\" and line[i + 1 : i + 2] in ("'", "\\"):
            word += line[i + 1]
            i += 2
            continue
        if ch == "'":
            quoted = not quoted
        elif ch == " " and not quoted:
            if word:
                words.append(word)
            word = ""
        else:
            word += ch
        i += 1
    if quoted:
        raise ValueError(f"unclosed quote: {line}")
    return [*words, word] if word else words


def test_the_fish_script_is_complete_commands_with_closed_quotes(
    scripts: dict[str, str], tmp_path: Path
) -> None:
    # Read as fish reads it, on every machine; `fish -n` needs fish, which CI does not install.
    lines = [line for line in scripts["fish"].splitlines() if line and not line.startswith("#")]
    assert lines
    for line in lines:
        words = _fish_words(line)
        assert words[:3] == ["complete", "-c", "iamgate"], line
    formats = next(
        _fish_words(line)
        for line in lines
        if "__fish_seen_subcommand_from lint" in line and "-l format" in line
    )
    assert formats[formats.index("-a") + 1].split() == ["text", "json", "sarif", "github", "junit"]
    _installed_shell_parses("fish", scripts["fish"], tmp_path)


def test_the_zsh_script_has_closed_quotes_and_balanced_blocks(
    scripts: dict[str, str], tmp_path: Path
) -> None:
    # zsh quotes as POSIX sh does in this script ('...' only), so shlex reads it as zsh would.
    words = shlex.split(scripts["zsh"], comments=True)
    assert words.count("case") == words.count("esac") >= 2
    assert "_arguments" in words and words[-4:] == ["compdef", "_iamgate", "iamgate;", "fi"]
    text = scripts["zsh"]
    assert text.count("{") - text.count("{-h,--help}") == text.count("}") - text.count(
        "{-h,--help}"
    )
    spec = next(w for w in words if w.startswith("--format[a report format"))
    assert spec.endswith(":format:(text json sarif github junit)")
    _installed_shell_parses("zsh", scripts["zsh"], tmp_path)


def _installed_shell_parses(shell: str, script: str, tmp_path: Path) -> None:
    """Where the shell itself is installed (a developer's machine), it must parse the script
    too; the reading above holds everywhere."""
    if shutil.which(shell) is None:
        return
    path = tmp_path / f"iamgate.{shell}"
    path.write_text(script)
    done = subprocess.run([shell, "-n", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_bash_completes_paths_only_where_the_parser_takes_a_path(
    scripts: dict[str, str], tmp_path: Path
) -> None:
    script = f"cd {tmp_path}\n{scripts['bash']}"
    (tmp_path / "policy.json").write_text("{}")
    assert _bash_complete(script, ["iamgate", "lint", "pol"]) == ["policy.json"]
    assert _bash_complete(script, ["iamgate", "explain", "--config", "pol"]) == ["policy.json"]
    assert _bash_complete(script, ["iamgate", "rules", "pol"]) == []  # a rule id, not a file
    assert _bash_complete(script, ["iamgate", "simulate", "--ou", "pol"]) == []  # an OU path
