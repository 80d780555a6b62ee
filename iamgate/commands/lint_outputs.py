"""Where `iamgate lint` sends its reports, and what it says when there is nothing to lint.

Several reports from one run, in the manner of checkov's repeated ``-o``: each ``--format F``
may be followed by ``--output FILE``, which sends that format to the file; a format with no
``--output`` goes to stdout, and at most one may. ``--format github --format sarif --output
iamgate.sarif`` prints GitHub annotations and writes SARIF to iamgate.sarif.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from iamgate.config import Config

OUTPUTS_HELP = (
    "Several reports from one run: repeat --format, and put --output FILE right after a "
    "--format to send that format to FILE. Formats without --output go to stdout; at most one "
    "may. An --output before any --format belongs to the first --format (or to text when none "
    "is given). Example: --format github --format sarif --output iamgate.sarif. "
    "Files never carry colour."
)


class Ordered(argparse.Action):
    """Keeps --format and --output in the order given: the pairing depends on it."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        events = list(getattr(namespace, self.dest, None) or [])
        events.append((option_string, values))
        setattr(namespace, self.dest, events)


def pair_outputs(events: list[tuple[str, Any]]) -> list[tuple[str, Path | None]]:
    """(format, file or None for stdout) for each report, from the --format/--output events.
    ConfigError (exit 2) for an --output with no format to take, or two formats on stdout."""
    from iamgate.config import ConfigError

    pairs: list[list[Any]] = []
    leading: Path | None = None
    for option, value in events:
        if option == "--format":
            pairs.append([value, None])
        elif not pairs:
            if leading is not None:
                raise ConfigError(
                    f"--output {value}: --output {leading} already waits for a --format; "
                    "put each --output after its --format"
                )
            leading = value
        elif pairs[-1][1] is None:
            pairs[-1][1] = value
        else:
            raise ConfigError(
                f"--output {value}: the --format {pairs[-1][0]} before it already writes to "
                f"{pairs[-1][1]}; give --format again for another report"
            )
    if leading is not None:
        if not pairs:
            pairs.append(["text", leading])
        elif pairs[0][1] is None:
            pairs[0][1] = leading
        else:
            raise ConfigError(f"--output {leading} has no --format of its own")
    if not pairs:
        pairs.append(["text", None])
    on_stdout = [fmt for fmt, path in pairs if path is None]
    if len(on_stdout) > 1:
        raise ConfigError(
            f"--format {' and --format '.join(on_stdout)} would each write to stdout; "
            "give all but one an --output FILE right after it"
        )
    files = [Path(path).resolve() for _, path in pairs if path is not None]
    twice = next((p for p in files if files.count(p) > 1), None)
    if twice is not None:
        raise ConfigError(f"two reports would be written to {twice}")
    return [(fmt, path) for fmt, path in pairs]


def nothing_to_lint(paths: list[Path], config: Config) -> str:
    """One line: what was looked for, where, and which configuration said so."""
    from iamgate.project import POLICY_FOLDERS

    if paths:
        folders = ", ".join(f"{p.as_posix().rstrip('/')}/" for p in paths)
        return f"nothing to lint: no *.json in {folders}"
    folders = ", ".join(f"{name}/" for name in POLICY_FOLDERS)
    project = "no iamgate.yaml found" if config.file is None else f"configured by {config.file}"
    return f"nothing to lint: no *.json in {folders} under {config.root} ({project})"
