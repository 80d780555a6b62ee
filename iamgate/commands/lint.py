"""`iamgate lint`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

FORMATS = ("text", "json", "sarif", "github", "junit")


def configure(parser: argparse.ArgumentParser) -> None:
    from iamgate.commands.lint_outputs import OUTPUTS_HELP, Ordered

    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="files or folders (default: policies/, boundaries/, scps/, rcps/)",
    )
    parser.add_argument("--config", type=Path, help="iamgate.yaml (default: searched upward)")
    parser.add_argument(
        "--format",
        choices=FORMATS,
        action=Ordered,
        dest="outputs",
        help="a report format (repeatable; default text)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        action=Ordered,
        dest="outputs",
        metavar="FILE",
        help="write the report of the --format just before it to FILE instead of stdout",
    )
    parser.add_argument(
        "--fail-on",
        choices=("error", "warning", "info"),
        help="lowest severity that fails (default: lint.fail-on, else error)",
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="neither read nor write the result cache (.iamgate_cache/ in the project)",
    )
    parser.epilog = OUTPUTS_HELP


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from iamgate.colour import enabled
    from iamgate.commands.lint_outputs import nothing_to_lint, pair_outputs
    from iamgate.config import ConfigError, load_config
    from iamgate.lint import lint_paths
    from iamgate.reports import render

    outputs = pair_outputs(args.outputs or [])  # a usage error before any work
    config = load_config(args.config, cache=not args.no_cache)
    if args.fail_on:
        config = replace(config, fail_on=args.fail_on)
    missing = [p for p in args.paths if not p.exists()]
    if missing:
        raise ConfigError(f"no such file or folder: {missing[0]}")
    result = lint_paths(list(args.paths), config, cache=not args.no_cache)
    if not result.files:
        # A gate that passes on nothing hides a job run in the wrong folder.
        raise ConfigError(nothing_to_lint(list(args.paths), config))
    # Computed once, rendered once per format; files first, so a report that cannot be
    # written stops the run before stdout claims success.
    to_stdout = None
    for fmt, path in outputs:
        if path is None:
            to_stdout = fmt
            continue
        try:
            path.write_text(render(fmt, result), encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from None
    if to_stdout is not None:
        colour = to_stdout == "text" and enabled(sys.stdout, getattr(args, "color", "auto"))
        sys.stdout.write(render(to_stdout, result, colour=colour))
    return result.exit_code
