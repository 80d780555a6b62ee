"""`iamgate lint`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

FORMATS = ("text", "json", "sarif", "github", "junit")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="files or folders (default: policies/, boundaries/, scps/, rcps/)",
    )
    parser.add_argument("--config", type=Path, help="iamgate.yaml (default: searched upward)")
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.add_argument("--output", type=Path, help="write the report here instead of stdout")
    parser.add_argument(
        "--fail-on",
        choices=("error", "warning", "info"),
        help="lowest severity that fails (default: lint.fail-on, else error)",
    )


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from iamgate.config import ConfigError, load_config
    from iamgate.lint import lint_paths
    from iamgate.reports import render

    config = load_config(args.config)
    if args.fail_on:
        config = replace(config, fail_on=args.fail_on)
    missing = [p for p in args.paths if not p.exists()]
    if missing:
        raise ConfigError(f"no such file or folder: {missing[0]}")
    result = lint_paths(list(args.paths), config)
    colour = args.output is None and sys.stdout.isatty()
    report = render(args.format, result, colour=colour)
    if args.output is not None:
        try:
            args.output.write_text(report, encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    else:
        sys.stdout.write(report)
    return result.exit_code
