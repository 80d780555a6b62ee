"""`iamgate fmt`: rewrite policy files in the canonical layout (`iamgate.fmt`).

Exit status: 0 when done (also when files were reformatted or skipped as unparseable);
with --check, 1 when any file would change; 2 on a usage error (a path that does not exist).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from iamgate.fmt import format_file, shown, skip_message


def configure(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Format policy files canonically. Files that are not valid policies are reported and "
        "left untouched (iamgate lint says why); they do not change the exit status."
    )
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="files or folders (default: the project's policies/, boundaries/, scps/ and rcps/)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit 1 if any file would be reformatted",
    )


def project_root() -> Path:
    """The folder of the nearest iamgate.yaml upward, else the working directory."""
    from iamgate.config import find_config

    # Only the root is needed, so the configuration is located, not parsed (fmt obeys no key).
    cwd = Path.cwd()
    found = find_config(cwd.resolve())
    return found.parent if found is not None else cwd


def run(args: argparse.Namespace) -> int:
    from iamgate.config import ConfigError
    from iamgate.project import expand_paths

    missing = [p for p in args.paths if not p.exists()]
    if missing:
        raise ConfigError(f"no such file or folder: {missing[0]}")
    paths: list[Path] = list(args.paths)
    root = Path.cwd() if paths else project_root()
    outcomes = [format_file(p, write=not args.check) for p in expand_paths(paths, root)]
    from iamgate.colour import enabled, paint

    verb = "would reformat" if args.check else "reformatted"
    verb = paint(
        verb,
        "yellow" if args.check else "green",
        enabled(sys.stdout, getattr(args, "color", "auto")),
    )
    for outcome in outcomes:
        if outcome.status == "changed":
            print(f"{verb} {shown(outcome.path)}")
        elif outcome.status == "skipped":
            print(skip_message(outcome), file=sys.stderr)
    changed = sum(o.status == "changed" for o in outcomes)
    unchanged = sum(o.status == "unchanged" for o in outcomes)
    skipped = sum(o.status == "skipped" for o in outcomes)
    done = "would be reformatted" if args.check else "reformatted"
    parts = [f"{changed} {_files(changed)} {done}", f"{unchanged} already formatted"]
    if skipped:
        parts.append(f"{skipped} skipped")
    print(", ".join(parts), file=sys.stderr)
    return 1 if args.check and changed else 0


def _files(count: int) -> str:
    return "file" if count == 1 else "files"
