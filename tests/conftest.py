"""Shared fixtures: a private copy of the example project, iamgate run as a real process, and
a moto server with a fresh organization for the pipeline tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from pipeline_support import MotoServer, Org, copy_from_repo, fresh_org

from iamgate.project import POLICY_FOLDERS

# In CI the property tests replay a fixed sequence of examples, so a run's verdict depends
# on the code alone; on a developer's machine they keep exploring new examples.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

# The configuration and every folder `iamgate lint` checks by default.
EXAMPLE_PROJECT = ("iamgate.yaml", *POLICY_FOLDERS)


@pytest.fixture(autouse=True)
def _colour_as_the_test_says(monkeypatch: pytest.MonkeyPatch) -> None:
    """NO_COLOR or FORCE_COLOR in the shell that runs the suite must not colour the outputs
    the tests compare; a test that wants them sets them itself."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the example project (iamgate.yaml and its policy folders) to break at will."""
    return copy_from_repo(tmp_path / "project", EXAMPLE_PROJECT)


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


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    """One moto server per test module (reset for every test by ``org``)."""
    server = MotoServer()
    yield server
    server.stop()


@pytest.fixture
def org(moto: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Org:
    """The default organization (pipeline_support.DEFAULT_TREE) in a reset moto."""
    return fresh_org(moto, monkeypatch)
