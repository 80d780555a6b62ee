"""pre-commit hook `iamgate-fmt`: rewrite the committed policy files in the canonical layout.

A fixer in pre-commit's manner: it changes the files in place, names each one, and exits 1
so that the commit stops and the developer can look at (and stage) the change. Files the
strict loader rejects are left untouched and only reported: `iamgate-lint` fails on them.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    from iamgate.fmt import format_file, skip_message

    parser = argparse.ArgumentParser(prog="iamgate-hook-fmt", description=__doc__)
    parser.add_argument("filenames", nargs="*", type=Path, help="policy files to format")
    parser.add_argument(
        "--check", action="store_true", help="change nothing; fail if a file is not canonical"
    )
    args = parser.parse_args(argv)

    status = 0
    for path in args.filenames:
        outcome = format_file(path, write=not args.check)
        if outcome.status == "changed":
            print(f"{'Not canonical' if args.check else 'Fixing'} {path}")
            status = 1
        elif outcome.status == "skipped":
            print(skip_message(outcome))
    return status


if __name__ == "__main__":
    raise SystemExit(main())
