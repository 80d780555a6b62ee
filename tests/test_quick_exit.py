"""The program ends without tearing its heap down (iamgate.cli.run), and loses nothing by it:
the whole report, the exit code, exit handlers and running threads behave as after an
ordinary exit."""

from __future__ import annotations

import atexit
import json
import subprocess
import sys
from pathlib import Path

from conftest import RunIamgate

from iamgate.cli import _quiet_exit


def _program(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_the_whole_report_reaches_a_pipe_with_the_exit_code(
    project: Path, run_iamgate: RunIamgate
) -> None:
    # A report larger than a pipe's buffer, from enough files for the workers to fork: written
    # in full before the process ends.
    wide = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*"}]}
    wide["Statement"][0]["Resource"] = "*"
    for n in range(300):
        (project / "policies" / f"Wide{n}.json").write_text(json.dumps(wide))
    done = run_iamgate("lint", "--no-cache", "--format", "json", cwd=project)
    report = json.loads(done.stdout)
    assert len(done.stdout) > 65536
    assert done.returncode == 1 == int(report["summary"]["failed"])


def test_an_exit_handler_still_runs(project: Path) -> None:
    done = _program(
        "import atexit, sys\n"
        "atexit.register(print, 'handler ran')\n"
        "sys.argv = ['iamgate', 'rules']\n"
        "from iamgate.cli import run\n"
        "run()\n",
        project,
    )
    assert done.returncode == 0
    assert done.stdout.rstrip().endswith("handler ran")


def test_a_running_thread_is_waited_for(project: Path) -> None:
    done = _program(
        "import sys, threading, time\n"
        "threading.Thread(target=lambda: (time.sleep(0.3), print('thread done'))).start()\n"
        "sys.argv = ['iamgate', 'rules']\n"
        "from iamgate.cli import run\n"
        "run()\n",
        project,
    )
    assert done.returncode == 0
    assert "thread done" in done.stdout


def test_a_profile_of_the_program_is_still_written(project: Path, tmp_path: Path) -> None:
    # python -m cProfile -o FILE -m iamgate ...: the profiler writes FILE after the program.
    record = tmp_path / "lint.prof"
    command = [sys.executable, "-m", "cProfile", "-o", str(record), "-m", "iamgate", "rules"]
    done = subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0
    assert record.stat().st_size > 0


def test_the_exit_code_of_a_usage_error_is_unchanged(project: Path) -> None:
    done = _program(
        "import sys\n"
        "sys.argv = ['iamgate', 'lint', '--bogus']\n"
        "from iamgate.cli import run\n"
        "run()\n",
        project,
    )
    assert done.returncode == 2 and "--bogus" in done.stderr


def test_quiet_exit_only_without_exit_handlers() -> None:
    def handler() -> None:
        pass

    atexit.register(handler)
    try:
        assert not _quiet_exit()
    finally:
        atexit.unregister(handler)
