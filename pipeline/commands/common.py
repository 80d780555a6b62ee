"""What plan, apply and drift share on the command line: options, the gate, the run, the report."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..render_plan import FORMATS

if TYPE_CHECKING:
    from ..sync import AccountReport, Command, RunReport


def _accounts(text: str) -> frozenset[str]:
    ids = [part.strip() for part in text.split(",") if part.strip()]
    bad = [i for i in ids if not (len(i) == 12 and i.isdigit())]
    if not ids or bad:
        raise argparse.ArgumentTypeError(
            f"expected 12-digit account ids separated by commas, got {text!r}"
        )
    return frozenset(ids)


def _shard(text: str) -> tuple[int, int]:
    from ..shard import parse_shard

    try:
        return parse_shard(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def configure_common(
    parser: argparse.ArgumentParser, formats: tuple[str, ...] = FORMATS, *, strict: bool = True
) -> None:
    parser.add_argument("--config", type=Path, help="iamgate.yaml (default: searched upward)")
    parser.add_argument("--format", choices=formats, default="text")
    parser.add_argument(
        "--accounts", type=_accounts, metavar="ID,...", help="only these targeted accounts"
    )
    parser.add_argument(
        "--shard",
        type=_shard,
        metavar="K/N",
        help="only shard K of N (a stable partition by account id; K from 1)",
    )
    if strict:
        parser.add_argument(
            "--strict",
            action="store_true",
            help="a deploy target that selects no account is an error (exit 1), not a warning",
        )
    parser.add_argument(
        "--role",
        metavar="NAME",
        help="the role to assume in each account (default: deploy.role); "
        "e.g. a read-only role for plans on pull requests",
    )


def execute(args: argparse.Namespace, command: Command, *, prune: bool = False) -> RunReport | int:
    """Load, gate, run. Returns the RunReport, or an exit code when the gate stops the run."""
    from iamgate.config import ConfigError, load_config

    from ..ancestry import Ancestry
    from ..gate import run_gate
    from ..progress import Progress
    from ..session import Aws, commit_sha, full_commit, session_name
    from ..sync import Options, run

    config = load_config(args.config)
    from iamgate.org_policy_types import org_policy_types

    from ..org_policies.sync import manages

    kinds = org_policy_types()
    if not config.deploy.targets and not any(manages(config, kind) for kind in kinds):
        keys = ["deploy.targets", *(f"deploy.{kind.folder}" for kind in kinds)]
        raise ConfigError(
            f"{', '.join(keys[:-1])} and {keys[-1]} are empty: there is nothing to deploy",
            config.file,
        )
    gate = run_gate(config)
    if not gate.passed:
        print(
            f"iamgate {command}: lint failed; nothing was deployed and no AWS call was made:",
            file=sys.stderr,
        )
        for problem in gate.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    assert gate.desired is not None
    aws = Aws(
        role=args.role or config.deploy.role,
        session_name=session_name(config.root),
        concurrency=config.deploy.concurrency,
    )
    options = Options(
        command,
        prune=prune or config.deploy.prune,  # deploy.prune: CI applies prune without a flag
        accounts=args.accounts,
        shard=args.shard,
        allow_rollback=bool(getattr(args, "allow_rollback", False)),
        strict=args.strict,
    )
    progress: list[Progress] = []

    def started(total: int) -> None:
        progress.append(Progress(command, total))

    def finished(account: AccountReport) -> None:
        if progress:
            progress[0].account_finished(account.failed)

    commit = commit_sha(config.root)
    ancestry = Ancestry(config.root, full_commit(config.root))
    report = run(
        config,
        gate.desired,
        aws,
        options,
        commit,
        ancestry,
        finished,
        started,
        gate.organization,
    )
    return report


def finish(args: argparse.Namespace, report: RunReport) -> None:
    from iamgate.colour import enabled

    from ..progress import Progress, end_live_line
    from ..render_colour import colour_report
    from ..render_plan import render, totals

    colour = args.format == "text" and enabled(sys.stdout, getattr(args, "color", "auto"))
    end_live_line(sys.stderr)  # the report starts on a line of its own, not after a counter
    sys.stdout.write(colour_report(render(args.format, report), colour))
    sys.stdout.flush()
    summary = f"FAILED {report.error}" if report.error else totals(report)
    Progress(report.command, len(report.accounts)).finish(summary)
