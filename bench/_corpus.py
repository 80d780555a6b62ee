"""The AWS managed policies that moto ships, written out as policy files for benchmarks.

They are extracted at run time into a temporary folder and never committed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

_NAME = re.compile(r"[^\w+=,.@-]")


def write_managed_policies(folder: Path) -> list[Path]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, entry in json.loads(aws_managed_policies_data).items():
        path = folder / f"{_NAME.sub('_', name)}.json"
        path.write_text(json.dumps(entry["Document"], indent=2) + "\n", encoding="utf-8")
        paths.append(path)
    return paths
