"""`iamgate explain POLICY`: what a delegation policy lets the delegate reach, from the repository.

    iamgate explain policies/DelegatePermissions.json --account 111111111111 --format html \\
        --output explain.html

Two answers, both computed by the evaluator (no AWS call): what the delegate can do in IAM,
grouped; and the ceiling of every role the delegate can create in that account or OU —
any policy ∩ the boundary the delegate must set ∩ the SCPs on the OU path
(``organization.ous`` in iamgate.yaml, ``scps/``) ∩ the RCPs on it for the account's own
resources (``rcps/``) — with what those RCPs deny on the account's resources, to whom.
Exit status 0, or 2 for a usage error or a policy that does not load.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

FORMATS = ("text", "markdown", "json", "html")
# In a terminal: what the delegate can do green, what escapes a boundary bold red, what is
# denied dim, the section titles bold.
TEXT_STYLES = (
    (re.compile(r"  \+ "), "green"),
    (re.compile(r"  ! "), "bold-red"),
    (re.compile(r"  - "), "dim"),
    (re.compile(r"(What the delegate|Ceiling of every role|iamgate explain )"), "bold"),
    (re.compile(r"note: "), "yellow"),
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("policy", type=Path, metavar="POLICY", help="the delegation policy file")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--account", metavar="ID", help="an account of organization.ous in iamgate.yaml"
    )
    where.add_argument("--ou", metavar="PATH", help="an OU path below the root, e.g. Workloads/Dev")
    parser.add_argument("--config", type=Path, help="iamgate.yaml (default: searched upward)")
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.add_argument("--output", type=Path, help="write the report here instead of stdout")


def run(args: argparse.Namespace) -> int:
    from iamgate.config import ConfigError, load_config
    from iamgate.explain.build import explain
    from iamgate.explain.render import render

    config = load_config(args.config)
    if not args.policy.is_file():
        raise ConfigError(f"no such policy file: {args.policy}")
    explanation = explain(config, args.policy, account=args.account, ou=args.ou)
    from iamgate.reports import tool_versions

    report = render(args.format, explanation, tool_versions())
    if args.output is None:
        from iamgate.colour import enabled, paint_lines

        colour = args.format == "text" and enabled(sys.stdout, getattr(args, "color", "auto"))
        sys.stdout.write(paint_lines(report, TEXT_STYLES, colour))
        return 0
    try:
        args.output.write_text(report, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    return 0
