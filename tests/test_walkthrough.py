"""The README's local walkthrough, run as written: its shell blocks, in order, on a machine
that has only what the walkthrough installs.

Each block marked `<!-- walkthrough -->` runs in `bash -e` and must exit 0 (or the status its
marker names); variables it exports and the folder it ends in carry over to the next block,
as in one terminal. Blocks marked `skip` are the installation (the iamgate under test is
already installed, first on PATH) and the moto server, which the test starts the same way
on a free port — a stock server in its own process, without the policy-variable patch the
other pipeline tests apply, so the README's way round moto's MalformedPolicyDocument is
what makes the apply pass. pre-commit fetches the hooks from https://github.com/iamgate/iamgate
at the release tag as the walkthrough says; git's `url.<base>.insteadOf` (in the ~/.gitconfig
of an empty home) makes that URL a local, tagged copy of this working tree, so nothing but the
package index (for the hook environment) and 127.0.0.1 is contacted.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from iamgate import __version__
from iamgate.commands.init import PROJECT_URL

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"<!-- walkthrough(?:: (?P<mark>[^>]*?))? -->\n```sh\n(?P<code>.*?)```", re.S)
README_PORT = "127.0.0.1:5000"
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", "*.egg-info", ".*_cache", ".hypothesis", "build", "dist"
)


@dataclass(frozen=True)
class Block:
    code: str
    skip: bool
    status: int


def walkthrough() -> list[Block]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = []
    for match in BLOCK.finditer(text):
        mark = match["mark"] or ""
        status = re.match(r"exit (\d+)", mark)
        blocks.append(
            Block(match["code"], mark.startswith("skip"), int(status[1]) if status else 0)
        )
    return blocks


@pytest.fixture(scope="module")
def moto_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A stock ThreadedMotoServer in its own process (as `moto_server` would be)."""
    script = (
        "import sys, time\n"
        "from moto.server import ThreadedMotoServer\n"
        "server = ThreadedMotoServer(ip_address='127.0.0.1', port=0, verbose=False)\n"
        "server.start()\n"
        "print(server.get_host_and_port()[1], flush=True)\n"
        "sys.stdin.read()\n"  # until the test closes stdin
    )
    env = {k: v for k, v in os.environ.items() if k != "MOTO_ACCOUNT_ID"}
    server = subprocess.Popen(
        [sys.executable, "-c", script],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert server.stdout is not None and server.stdin is not None
    try:
        yield int(server.stdout.readline())
    finally:
        server.stdin.close()
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def machine(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A fresh user's environment: an empty home and git configuration, and iamgate's
    repository URL answered by a tagged local copy of this working tree."""
    home = tmp_path_factory.mktemp("home")
    hooks = tmp_path_factory.mktemp("hooks") / "iamgate"
    shutil.copytree(REPO, hooks, ignore=NOT_COPIED)
    env = _environment(home)
    for args in (
        ["init", "-q"],
        ["add", "-A"],
        ["commit", "-q", "--no-verify", "-m", "snapshot"],
        ["tag", f"v{__version__}"],
    ):
        subprocess.run(["git", *args], cwd=hooks, env=env, check=True, capture_output=True)
    with (home / ".gitconfig").open("a", encoding="utf-8") as config:
        config.write(f'[url "file://{hooks}"]\n\tinsteadOf = {PROJECT_URL}\n')
    return env


def _environment(home: Path) -> dict[str, str]:
    # ~/.gitconfig, not GIT_CONFIG_GLOBAL: pre-commit clears GIT_* variables for its clones.
    gitconfig = home / ".gitconfig"
    gitconfig.write_text(
        "[init]\n\tdefaultBranch = main\n[user]\n\tname = A User\n"
        "\temail = user@example.invalid\n[commit]\n\tgpgsign = false\n",
        encoding="utf-8",
    )
    keep = ("PATH", "LANG", "LC_ALL", "TMPDIR", "PIP_", "SSL_CERT", "REQUESTS_CA", "CI")
    env = {k: v for k, v in os.environ.items() if k.startswith(keep)}
    env.update(
        HOME=str(home),
        GIT_CONFIG_NOSYSTEM="1",
        PRE_COMMIT_HOME=str(home / "pre-commit"),
        PRE_COMMIT_COLOR="never",
        # The iamgate under test, and the venv's python (with boto3), first: what
        # `. .venv/bin/activate` gives the reader.
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    )
    return env


def test_the_readme_walkthrough_runs_as_written(
    machine: dict[str, str], moto_port: int, tmp_path: Path
) -> None:
    blocks = walkthrough()
    assert [b.status for b in blocks if not b.skip] == [0, 0, 1, 0, 0, 0, 2, 0]
    assert "pip install 'iamgate[deploy]'" in blocks[0].code and blocks[0].skip
    assert any(b.skip and "moto_server" in b.code for b in blocks)
    state = tmp_path / "terminal-state"
    state.write_text(f"cd {shlex.quote(str(tmp_path))}\n", encoding="utf-8")
    outputs = []
    for number, block in enumerate(blocks):
        if block.skip:
            continue
        code = block.code.replace(README_PORT, f"127.0.0.1:{moto_port}")
        # One terminal: the previous block's exports and folder, then this block.
        script = (
            f"source {shlex.quote(str(state))}\nset -e\n{code}\n"
            f'{{ export -p; echo "cd $(printf %q "$PWD")"; }} > {shlex.quote(str(state))}\n'
        )
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-c", script],
            env=machine,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        output = done.stdout + done.stderr
        assert done.returncode == block.status, f"block {number}:\n{block.code}\n{output}"
        assert "Traceback" not in output, output
        outputs.append(output)
    start, hooks, refused, _, plan, deployed, drifted, repaired = outputs
    assert "2 files checked: no findings" in start
    assert re.search(r"iamgate lint.*Passed", hooks)
    assert "IG301" in refused and "iamgate lint" in refused
    assert "+ create S3AccessBoundary" in plan and "+ create DelegatePermissions" in plan
    assert "MalformedPolicyDocument" not in deployed and "0 failed" in deployed
    assert "DelegatePermissions" in drifted
    assert "Drift: 0 to create, 0 to update" in repaired


def test_the_walkthrough_needs_its_way_round_on_a_stock_moto(
    machine: dict[str, str], moto_port: int, tmp_path: Path
) -> None:
    """The difference the README names: without the one-line substitution, a stock moto
    refuses the policy that IAM accepts."""
    import boto3

    endpoint = f"http://127.0.0.1:{moto_port}"
    iam = boto3.client(
        "iam",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    document = (REPO / "iamgate" / "templates" / "DelegatePermissions.json").read_text()
    assert "${aws:PrincipalAccount}" in document
    with pytest.raises(iam.exceptions.MalformedPolicyDocumentException):
        iam.create_policy(PolicyName="service-readme-check", PolicyDocument=document)
    literal = document.replace("${aws:PrincipalAccount}", "123456789012")
    iam.create_policy(PolicyName="service-readme-check", PolicyDocument=literal)
