"""The argument parser every iamgate command uses: argparse, plus a did-you-mean on errors.

argparse suggests close matches only from Python 3.14 (``suggest_on_error``); iamgate
supports 3.11, so a mistyped option (``--fromat``), subcommand (``lnit``) or choice
(``--format sarf``) gets its suggestion here, from the parser's own option strings and
choices, never from a hand-kept list.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterable
from typing import NoReturn

_UNRECOGNIZED = "unrecognized arguments: "
_INVALID_CHOICE = re.compile(r"invalid choice: '?([^' ]*)'? \(choose from (.*)\)")


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors name the closest valid spelling."""

    # The subcommand parser the command line chose: its options are what a typo meant, and
    # its usage line is the one to show (argparse reports unknown options from the top).
    chosen: Parser | None = None
    # The command line, for errors raised before argparse lists what it did not recognise
    # ("the following arguments are required: --policy" when --polcy was typed).
    argv: tuple[str, ...] = ()

    def error(self, message: str) -> NoReturn:
        found = _INVALID_CHOICE.search(message)
        if found:
            choices = [c.strip().strip("'\"") for c in found.group(2).split(",")]
            match = closest(found.group(1), choices)
            if match:
                message += f" (did you mean {match!r}?)"
            super().error(message)
        target = self.chosen or self
        if message.startswith(_UNRECOGNIZED):
            words = message[len(_UNRECOGNIZED) :].split()
        else:
            words = list(self.argv)
        options = option_strings(target, self)
        typos = [w.split("=", 1)[0] for w in words if w.startswith("-")]
        typos = [typo for typo in typos if typo not in options]
        hints = [(typo, match) for typo in typos if (match := closest(typo, options))]
        if len(hints) == 1:
            message += f" (did you mean {hints[0][1]}?)"
        elif hints:
            pairs = ", ".join(f"{match} for {typo}" for typo, match in hints)
            message += f" (did you mean {pairs}?)"
        if target is not self:
            argparse.ArgumentParser.error(target, message)
        super().error(message)


def option_strings(*parsers: argparse.ArgumentParser) -> list[str]:
    return [
        option
        for parser in parsers
        for action in parser._actions  # argparse keeps no public list of options
        for option in action.option_strings
    ]


def closest(word: str, candidates: Iterable[str]) -> str | None:
    import difflib  # only on an error: start-up never pays for it

    matches = difflib.get_close_matches(word, list(dict.fromkeys(candidates)), n=1, cutoff=0.6)
    return matches[0] if matches else None
