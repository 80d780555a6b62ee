"""`iamgate plan`: what apply would change in each target account. Changes nothing."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from .common import configure_common, execute, finish

if TYPE_CHECKING:
    from ..sync import RunReport


def configure(parser: argparse.ArgumentParser) -> None:
    configure_common(parser)
    parser.add_argument(
        "--prune", action="store_true", help="also plan the deletions apply --prune would make"
    )
    parser.add_argument(
        "--base",
        metavar="REF",
        help="compare delegation policies and boundaries with the merge-base of REF and HEAD "
        "(e.g. origin/main) and show how the ceiling of the roles delegates create changes",
    )
    parser.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="exit 2 when changes are pending (0 none, 1 failure)",
    )


def exit_code(report: RunReport, detailed: bool) -> int:
    if report.error or report.failed or report.organization_failed:
        return 1
    if detailed and report.pending:
        return 2
    return 0


def run(args: argparse.Namespace) -> int:
    ceilings = None
    if args.base:
        from iamgate.config import load_config

        from ..ceiling_diff import ceiling_changes

        # Offline, before any AWS call: an unknown REF is a usage error, not a failed plan.
        ceilings = ceiling_changes(load_config(args.config), args.base)
    report = execute(args, "plan", prune=args.prune)
    if isinstance(report, int):
        return report
    report.ceilings = ceilings
    finish(args, report)
    return exit_code(report, args.detailed_exitcode)
