"""`iamgate apply`: make IAM in every target account match the repository."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from .common import configure_common, execute, finish

if TYPE_CHECKING:
    from ..sync import RunReport


def configure(parser: argparse.ArgumentParser) -> None:
    configure_common(parser, formats=("text", "json"))
    parser.add_argument(
        "--prune",
        action="store_true",
        help="delete iamgate's policies that are no longer in the repository "
        "or no longer targeted to the account (never one still in use)",
    )
    parser.add_argument(
        "--allow-rollback",
        action="store_true",
        help="apply even where the account was deployed from a commit this one does not "
        "descend from (an older commit or another branch)",
    )


def exit_code(report: RunReport) -> int:
    # A conflict means a reviewed policy could not be deployed: the run did not converge.
    org_conflicts = sum(section.conflicts for section in report.organization_reports)
    if (
        report.error
        or report.failed
        or report.conflicts
        or report.organization_failed
        or org_conflicts
    ):
        return 1
    return 0


def run(args: argparse.Namespace) -> int:
    report = execute(args, "apply", prune=args.prune)
    if isinstance(report, int):
        return report
    finish(args, report)
    return exit_code(report)
