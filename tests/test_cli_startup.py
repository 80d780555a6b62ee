"""A command line that names its command builds only that command's parser (start-up); help,
a mistyped command and shell completion still see every command."""

from __future__ import annotations

import argparse

import pytest

from iamgate.cli import COMMANDS, build_parser, main


def _commands(parser: argparse.ArgumentParser) -> list[str]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return list(sub.choices)


def test_a_named_command_builds_only_its_own_parser() -> None:
    assert _commands(build_parser(["lint", "policies"])) == ["lint"]
    assert _commands(build_parser(["--color", "never", "fmt", "--check"])) == ["fmt"]


@pytest.mark.parametrize(
    "argv", [["--help", "lint"], ["lint", "-h"], ["--hel", "lint"], ["lnit"], []]
)
def test_help_and_unknown_commands_see_every_command(argv: list[str]) -> None:
    assert _commands(build_parser(argv)) == list(COMMANDS)


def test_completion_sees_every_command() -> None:
    assert _commands(build_parser(["lint"], every=True)) == list(COMMANDS)


def test_top_level_help_still_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help", "lint"])
    out = capsys.readouterr().out
    assert all(name in out for name in COMMANDS)
