"""The built wheel as `pip install iamgate` gives it: core commands without boto3, the deploy
commands naming the extra in one line, and the release metadata PyPI shows.

The wheel is built from a copy of this working tree without build isolation (the test extra
brings setuptools) and installed with `--no-deps` into a fresh virtual environment. Its core
dependencies are not downloaded: the very distributions installed here (and only the core
ones, found through their metadata) are linked into that environment, so no test contacts a
package index, and boto3 is provably absent.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from iamgate import __version__
from iamgate.cli import COMMANDS, DEPLOY_PACKAGE

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parent.parent
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", "*.egg-info", ".*_cache", ".hypothesis", "build", "dist"
)


def _run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    # Nothing of this process's Python setup leaks into the clean environment.
    leaks = ("IAMGATE_", "PIP_", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
    environment = {k: v for k, v in os.environ.items() if not k.startswith(leaks)}
    environment.update(env, PIP_DISABLE_PIP_VERSION_CHECK="1")
    return subprocess.run(
        args, cwd=cwd, env=environment, capture_output=True, text=True, timeout=600, check=False
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source") / "iamgate"
    shutil.copytree(REPO, source, ignore=NOT_COPIED)
    out = tmp_path_factory.mktemp("wheelhouse")
    pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index"]
    done = _run([*pip, "--wheel-dir", str(out), str(source)], source)
    assert done.returncode == 0, done.stdout + done.stderr
    [built] = out.glob("iamgate-*.whl")
    return built


def _core_distributions(requires: list[str]) -> set[str]:
    """The installed distributions the core install needs: the wheel's requirements without
    an extra, and theirs, recursively (markers evaluated for this interpreter)."""
    found: set[str] = set()
    pending = [Requirement(r) for r in requires]
    while pending:
        requirement = pending.pop()
        if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
            continue
        name = metadata.distribution(requirement.name).metadata["Name"]
        if name not in found:
            found.add(name)
            pending += [Requirement(r) for r in metadata.requires(name) or []]
    return found


def _link_distributions(names: set[str], into: Path) -> None:
    """Each distribution's top-level files, linked into a folder the clean venv reads (.pth)."""
    into.mkdir()
    for name in names:
        dist = metadata.distribution(name)
        root = Path(str(dist.locate_file("")))
        tops = {Path(f).parts[0] for f in dist.files or [] if not str(f).startswith("..")}
        for top in tops - {"__pycache__"}:
            if not (into / top).exists() and (root / top).exists():
                (into / top).symlink_to(root / top)


@pytest.fixture(scope="module")
def clean_venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("clean") / "venv"
    done = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], venv.parent)
    assert done.returncode == 0, done.stderr
    python = venv / "bin" / "python"
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps"]
    done = _run([*install, "--no-index", str(wheel)], venv.parent)
    assert done.returncode == 0, done.stdout + done.stderr
    with zipfile.ZipFile(wheel) as archive:
        meta = _wheel_metadata(archive)
    deps = venv.parent / "core-deps"
    _link_distributions(_core_distributions(meta.get_all("Requires-Dist") or []), deps)
    site = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], venv)
    (Path(site.stdout.strip()) / "core-deps.pth").write_text(f"{deps}\n", encoding="utf-8")
    return venv


def _wheel_metadata(archive: zipfile.ZipFile) -> metadata.PackageMetadata:
    [name] = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
    return Parser().parsestr(archive.read(name).decode())  # type: ignore[return-value]


def test_the_wheel_carries_the_release_metadata(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        meta = _wheel_metadata(archive)
    assert meta["Version"] == __version__
    assert "iamgate/py.typed" in names
    assert f"iamgate-{__version__}.dist-info/licenses/LICENSE" in names
    assert meta["License-Expression"] == "Apache-2.0"
    assert any(
        c.startswith("Programming Language :: Python :: 3.11") for c in meta.get_all("Classifier")
    )
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL"))
    assert urls["Source"] == "https://github.com/iamgate/iamgate"
    assert meta["Keywords"] and meta["Author"]
    # boto3 only through the deploy extra.
    # (boto3 itself: the test extra also names boto3-stubs.)
    requires = meta.get_all("Requires-Dist")
    [boto3] = [r for r in requires if re.split(r"[<>=!~;\[ ]", r, maxsplit=1)[0] == "boto3"]
    assert re.search(r'extra == "deploy"', boto3)
    for package in ("iamgate/hooks/lint.py", "iamgate/pipeline/iam_policies/plan.py"):
        assert package in names
    assert "iamgate/schemas/config.schema.json" in names


def test_the_core_install_has_no_boto3(clean_venv: Path) -> None:
    python = str(clean_venv / "bin" / "python")
    done = _run([python, "-c", "import boto3"], clean_venv)
    assert done.returncode == 1 and "No module named 'boto3'" in done.stderr
    done = _run([python, "-c", "import botocore"], clean_venv)
    assert done.returncode == 1


def test_the_core_install_reports_its_version(clean_venv: Path) -> None:
    done = _run([str(clean_venv / "bin" / "iamgate"), "--version"], clean_venv)
    assert done.returncode == 0 and done.stdout.startswith(f"iamgate {__version__}")


def test_the_core_install_lints_formats_simulates_and_explains(
    clean_venv: Path, project: Path
) -> None:
    iamgate = str(clean_venv / "bin" / "iamgate")
    done = _run([iamgate, "lint"], project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no findings" in done.stdout
    assert _run([iamgate, "fmt", "--check"], project).returncode == 0
    simulate = [iamgate, "simulate", "--policy", "policies/service-s3-reader.json"]
    done = _run([*simulate, "--action", "s3:GetObject", "--resource", "arn:aws:s3:::b/k"], project)
    assert done.returncode in (0, 1) and "Traceback" not in done.stderr
    done = _run([iamgate, "explain", "policies/DelegatePermissions.json"], project)
    assert done.returncode == 0, done.stdout + done.stderr
    hook = str(clean_venv / "bin" / "iamgate-hook-lint")
    done = _run([hook, "--no-git", "policies/service-s3-reader.json"], project)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    "command",
    sorted(name for name, (module, _) in COMMANDS.items() if module.startswith(DEPLOY_PACKAGE)),
)
def test_deploy_commands_without_boto3_say_how_to_install_it_in_one_line(
    clean_venv: Path, project: Path, command: str
) -> None:
    done = _run([str(clean_venv / "bin" / "iamgate"), command], project)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"iamgate: {command} needs boto3, which the core install leaves out: "
        "pip install 'iamgate[deploy]'"
    ]
