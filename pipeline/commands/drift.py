"""`iamgate drift`: compare live IAM with the repository; exit 2 on drift."""

from __future__ import annotations

import argparse

from ..drift import exit_code
from .common import configure_common, execute, finish


def configure(parser: argparse.ArgumentParser) -> None:
    configure_common(parser)


def run(args: argparse.Namespace) -> int:
    report = execute(args, "drift")
    if isinstance(report, int):
        return report
    finish(args, report)
    return exit_code(report)
