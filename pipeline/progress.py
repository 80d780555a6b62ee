"""Progress on a terminal (accounts done / failed), one summary line in CI logs.

A live counter only when stderr is a terminal and no CI variable is set: CI logs keep
every carriage-return redraw as a line, so there they get the summary alone.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import TextIO


def interactive(stream: TextIO) -> bool:
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        return False
    return tty and not os.environ.get("CI")


def end_live_line(stream: TextIO) -> None:
    """Erase a live counter left on a terminal, so what is written next (the report, on
    stdout, which shares the terminal) starts at the beginning of a clean line."""
    if interactive(stream):
        stream.write("\r\x1b[K")
        stream.flush()


class Progress:
    def __init__(
        self, command: str, total: int, stream: TextIO | None = None, live: bool | None = None
    ) -> None:
        self.command = command
        self.total = total
        self.stream = stream or sys.stderr
        self.live = interactive(self.stream) if live is None else live
        self.done = 0
        self.failed = 0
        self._lock = threading.Lock()

    def account_finished(self, failed: bool) -> None:
        with self._lock:
            self.done += 1
            self.failed += int(failed)
            if self.live:
                self.stream.write(
                    f"\r\x1b[Kiamgate {self.command}: {self.done}/{self.total} accounts done, "
                    f"{self.failed} failed"
                )
                self.stream.flush()

    def finish(self, summary: str) -> None:
        with self._lock:
            if self.live:
                self.stream.write("\r\x1b[K")
            self.stream.write(f"iamgate: {summary}\n")
            self.stream.flush()
