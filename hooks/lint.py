"""pre-commit hook `iamgate-lint`: judge the committed policy files the way CI will.

Each file is judged with its project (the nearest iamgate.yaml upward, else the working
directory's) and all of that project's boundaries, not just the files in the commit. A
commit that adds, changes or deletes a boundary re-checks every identity policy of the
project (one that changes iamgate.yaml, every policy), so deleting an approved boundary
cannot slip through; the hook is
declared `always_run` because pre-commit never passes deleted files. In a git repository the
approved boundaries (when iamgate.yaml does not list them) are the boundary files in the
index, i.e. those the commit will contain: an untracked boundary on disk does not count.

Exit status: 0 clean, 1 findings at or above the fail-on level, 2 configuration error.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from iamgate.config import Config
    from iamgate.lint import LintResult

    from .commit_scope import Scope


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="iamgate-hook-lint",
        description="Lint the committed policy files with their whole project in view.",
    )
    parser.add_argument("filenames", nargs="*", type=Path, help="the committed policy files")
    parser.add_argument("--config", type=Path, help="iamgate.yaml (default: searched upward)")
    parser.add_argument(
        "--fail-on",
        choices=("error", "warning", "info"),
        help="lowest severity that fails (default: lint.fail-on, else error)",
    )
    parser.add_argument(
        "--no-git",
        action="store_true",
        help="judge the given files only: no boundary-change detection through git",
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="neither read nor write the result cache (.iamgate_cache/ in the project)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from iamgate.config import ConfigError

    from .commit_scope import git_changes, plan

    args = build_parser().parse_args(argv)
    cwd = Path.cwd()
    changes = None if args.no_git else git_changes(cwd)
    scopes = plan(args.filenames, changes or (), cwd, args.config)
    # A commit with no policy and no boundary in it (the hook always runs): nothing to judge.
    scopes = [s for s in scopes if s.files or s.reasons]
    if not scopes:
        return 0
    status = 0
    try:
        for scope in scopes:
            status = max(status, _lint_scope(scope, args, cwd, in_git=changes is not None))
    except ConfigError as exc:
        print(f"iamgate: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        from iamgate.cli import internal_error

        # A bug of ours must not pass a commit, nor bury the developer in a traceback.
        return internal_error(exc)
    return status


def _config(scope: Scope, cwd: Path, no_cache: bool) -> Config:
    from iamgate.config import Config, parse_config

    if scope.config_file is None:
        return Config(root=cwd)
    return parse_config(scope.config_file, cache=not no_cache)


def _lint_scope(scope: Scope, args: argparse.Namespace, cwd: Path, in_git: bool) -> int:
    from iamgate.colour import enabled
    from iamgate.lint import lint_paths
    from iamgate.reports import render

    from .commit_scope import staged_boundaries

    config = _config(scope, cwd, args.no_cache)
    if args.fail_on:
        config = replace(config, fail_on=args.fail_on)
    if in_git:
        # Approved means part of the commit: a boundary deleted or never added is not.
        staged = staged_boundaries(config.root)
        if staged is not None:
            listed = staged if config.boundaries is None else config.boundaries
            config = replace(config, boundaries=tuple(b for b in listed if b in staged))
    paths = list(scope.files)
    if scope.reasons:
        policies = scope.policies_to_recheck()
        if not paths and not policies:
            return 0  # a project with no policy: nothing relies on what changed
        kind = "" if scope.config_changed else "identity and boundary "
        print(
            f"iamgate: {scope.describe()}: re-checking the {len(policies)} {kind}"
            f"{'policy' if len(policies) == 1 else 'policies'} of the project"
        )
        paths.extend(policies)
    result = _shown_from(lint_paths(paths, config, cache=not args.no_cache), config.root, cwd)
    if result.findings or result.exit_code:
        # pre-commit gives hooks a terminal when it colours; NO_COLOR/FORCE_COLOR still rule.
        sys.stdout.write(render("text", result, colour=enabled(sys.stdout)))
    return result.exit_code


def _shown_from(result: LintResult, root: Path, cwd: Path) -> LintResult:
    """Findings located relative to where pre-commit runs, so the paths are clickable."""
    if root.resolve() == cwd.resolve():
        return result

    def moved(file: str) -> str:
        path = Path(file)
        if path.is_absolute():
            return file
        return Path(os.path.relpath(root / path, cwd)).as_posix()

    return replace(
        result,
        findings=[
            replace(
                f,
                file=moved(f.file),
                statements=tuple(replace(s, file=moved(s.file)) for s in f.statements),
            )
            for f in result.findings
        ],
        files=[moved(f) for f in result.files],
    )


if __name__ == "__main__":
    raise SystemExit(main())
