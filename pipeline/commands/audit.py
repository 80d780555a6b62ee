"""`iamgate audit`: roles and users delegates built without the approved boundary, and
principals holding a delegation policy that is not iamgate's current version. Exit 1 when
anything is found, or anything could not be checked; 0 when clean."""

from __future__ import annotations

import argparse
import re
import sys

from ..audit_render import FORMATS
from .common import configure_common

# In a terminal: each finding red, an account that could not be checked yellow.
TEXT_STYLES = (
    (re.compile(r"\d{12} \S+: [a-z-]+: "), "bold-red"),
    (re.compile(r"not checked: "), "yellow"),
)


def configure(parser: argparse.ArgumentParser) -> None:
    configure_common(parser, formats=FORMATS, strict=False)


def run(args: argparse.Namespace) -> int:
    from iamgate.config import ConfigError, load_config

    from ..audit_render import render, summary
    from ..audit_run import expectations, run_audit
    from ..iam_policies.desired import load_desired, target_files
    from ..session import Aws, session_name

    config = load_config(args.config)
    if not config.deploy.targets:
        raise ConfigError("deploy.targets is empty: there is no account to audit", config.file)
    desired = load_desired(config, target_files(config))
    want = expectations(config, desired)
    aws = Aws(
        role=args.role or config.deploy.role,
        session_name=session_name(config.root),
        concurrency=config.deploy.concurrency,
    )
    report = run_audit(config, want, aws, args)
    shown = config.file.name if config.file else "iamgate.yaml"
    from iamgate.colour import enabled, paint_lines

    colour = args.format == "text" and enabled(sys.stdout, getattr(args, "color", "auto"))
    sys.stdout.write(paint_lines(render(args.format, report, shown), TEXT_STYLES, colour))
    for error in report.errors:
        print(f"iamgate audit: not checked: {error}", file=sys.stderr)
    print(f"iamgate: {summary(report)}", file=sys.stderr)
    return 1 if report.findings or report.errors else 0
