"""Whether a command colours its output, decided in one place for every command.

In order, the first that speaks decides:

1. ``--color always|never`` on the command line (a flag beats the environment).
2. ``NO_COLOR`` set to any non-empty value: no colour (https://no-color.org).
3. ``FORCE_COLOR`` set to any non-empty value: colour (https://force-color.org), even into
   a pipe. When both are set, NO_COLOR wins, as CPython's own colouring decides.
4. Otherwise colour only when the stream is a terminal and ``TERM`` is not ``dumb``.

Only text meant for people is ever coloured; machine formats (json, sarif, github, junit,
markdown, html) and files written with ``--output`` never are.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Mapping, Sequence
from typing import TextIO

CHOICES = ("auto", "always", "never")
_RESET = "\033[0m"
STYLES = {
    "red": "\033[31m",
    "bold-red": "\033[1;31m",
    "green": "\033[32m",
    "yellow": "\033[33m",
    "cyan": "\033[36m",
    "bold": "\033[1m",
    "dim": "\033[2m",
}


def add_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--color",
        choices=CHOICES,
        default="auto",
        help="colour the text output: auto (a terminal, unless NO_COLOR is set or "
        "FORCE_COLOR is), always or never (default: auto)",
    )


def enabled(
    stream: TextIO, choice: str | None = "auto", environ: Mapping[str, str] | None = None
) -> bool:
    """Whether text written to ``stream`` should carry ANSI colour."""
    if choice == "always":
        return True
    if choice == "never":
        return False
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    if env.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or replaced stream
        return False


def paint(text: str, style: str, on: bool) -> str:
    """``text`` in ``style`` (a key of STYLES) when ``on``; as is otherwise."""
    if not on or not text:
        return text
    return f"{STYLES[style]}{text}{_RESET}"


def paint_lines(text: str, styles: Sequence[tuple[re.Pattern[str], str]], on: bool) -> str:
    """Each line of ``text`` in the style of the first pattern that matches its start; the
    text itself never changes, so a report reads the same with colour and without."""
    if not on:
        return text
    out = []
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\n")
        style = next((style for pattern, style in styles if pattern.match(body)), None)
        out.append(paint(body, style, True) + line[len(body) :] if style else line)
    return "".join(out)
