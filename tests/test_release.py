"""What a release is made of: one version, its changelog entry, the licence, the metadata
SARIF reads, and a core install that the deploy commands explain instead of crashing in."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

from iamgate import __version__
from iamgate.cli import COMMANDS, DEPLOY_PACKAGE

REPO = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
DEPLOY_COMMANDS = sorted(
    n for n, (module, _) in COMMANDS.items() if module.startswith(DEPLOY_PACKAGE)
)


def test_the_version_is_written_once_in_iamgate_init() -> None:
    project = PYPROJECT["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "iamgate.__version__"}
    assert metadata.version("iamgate") == __version__  # the installed metadata agrees
    # The version as a string literal of its own ("0.2.0"), not in prose.
    literal = re.compile(rf"[\"']{re.escape(__version__)}[\"']")
    written = [p for p in REPO.glob("iamgate/**/*.py") if literal.search(p.read_text())]
    assert written == [REPO / "iamgate" / "__init__.py"]


def test_the_changelog_has_this_release_with_its_date_and_link() -> None:
    text = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## \[{re.escape(__version__)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", text, re.M)
    assert f"[{__version__}]: https://github.com/iamgate/iamgate/" in text
    assert "keepachangelog.com" in text and "## [Unreleased]" in text


def test_the_licence_is_the_full_apache_2_text() -> None:
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text
    assert "END OF TERMS AND CONDITIONS" in text and "APPENDIX" in text
    assert PYPROJECT["project"]["license"] == "Apache-2.0"


def test_boto3_is_only_in_the_deploy_extra_and_the_test_extra_has_it() -> None:
    project = PYPROJECT["project"]
    assert not [d for d in project["dependencies"] if d.startswith(("boto3", "botocore"))]
    assert any(d.startswith("boto3") for d in project["optional-dependencies"]["deploy"])
    assert "iamgate[deploy]" in project["optional-dependencies"]["test"]


def test_sarif_names_the_project_home_as_information_uri(run_iamgate, project: Path) -> None:  # type: ignore[no-untyped-def]
    done = run_iamgate("lint", "--format", "sarif", cwd=project)
    driver = json.loads(done.stdout)["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == "https://github.com/iamgate/iamgate"


# A process in which boto3 cannot be imported, as after `pip install iamgate`.
_WITHOUT_BOTO3 = """
import sys
class NoBoto3:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("boto3", "botocore"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, NoBoto3())
from iamgate.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("command", DEPLOY_COMMANDS)
def test_a_deploy_command_without_boto3_names_the_extra_in_one_line(
    command: str, project: Path
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _WITHOUT_BOTO3, command],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == (
        f"iamgate: {command} needs boto3, which the core install leaves out: "
        "pip install 'iamgate[deploy]'\n"
    )


def test_help_of_a_deploy_command_works_without_boto3(project: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _WITHOUT_BOTO3, "plan", "--help"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0 and "usage: iamgate plan" in done.stdout


def test_the_core_commands_run_without_boto3(project: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _WITHOUT_BOTO3, "lint"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "no findings" in done.stdout


# Where a release names itself for users to copy: each must name this release.
_PINS = re.compile(
    r"iamgate/iamgate@v(?P<a>[\d.]+\d)|rev: v(?P<b>[\d.]+\d)"
    r"|iamgate(?:\[deploy\])?==(?P<c>[\d.]+\d)"
    r"|iamgate/iamgate/v(?P<d>[\d.]+\d)/|iamgate@v(?P<e>[\d.]+\d)"
)


def test_every_pin_users_copy_names_this_release() -> None:
    files = [
        REPO / "README.md",
        REPO / "action.yml",
        REPO / ".pre-commit-hooks.yaml",
        *sorted((REPO / "pipeline" / "ci").glob("*.yml")),
        REPO / "iamgate" / "schemas" / "config.schema.json",
    ]
    found = {
        (path.name, next(v for v in match.groups() if v))
        for path in files
        for match in _PINS.finditer(path.read_text(encoding="utf-8"))
    }
    assert {name for name, _ in found} >= {"README.md", "action.yml", ".pre-commit-hooks.yaml"}
    assert {version for _, version in found} == {__version__}, sorted(found)
