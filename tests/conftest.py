"""Shared fixtures: a private copy of the example project, and iamgate run as a real process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from iamgate.project import POLICY_FOLDERS

REPO = Path(__file__).resolve().parent.parent
# The configuration and every folder `iamgate lint` checks by default.
EXAMPLE_PROJECT = ("iamgate.yaml", *POLICY_FOLDERS)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the example project (iamgate.yaml and its policy folders) to break at will."""
    root = tmp_path / "project"
    root.mkdir()
    for name in EXAMPLE_PROJECT:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name)
        elif source.is_file():
            shutil.copy2(source, root / name)
    return root


RunIamgate = Callable[..., "subprocess.CompletedProcess[str]"]


def _run_iamgate(
    *args: str | os.PathLike[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "IAMGATE_DEBUG"}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "iamgate", *map(str, args)],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def run_iamgate() -> RunIamgate:
    """``run_iamgate("lint", "--format", "json", cwd=project)`` -> CompletedProcess (text)."""
    return _run_iamgate
