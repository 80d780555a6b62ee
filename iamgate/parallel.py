"""Checking many files on every core: a large corpus is CPU-bound in the proofs.

Workers are forked, so they inherit the imported modules, the loaded catalog and the
project without paying start-up again; where fork is not available the work stays in
one process. The parent is one of the workers: with two cores it forks one child, and
nobody waits idle while another works. Chunks of work are handed out through a pipe that
every process reads (a read of a few bytes from a pipe is atomic), so whoever is free takes
the next chunk. A commit of a few files never forks nor imports anything for it.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

# Below this many files a pool costs more than it saves (fork + result pickling).
MIN_FILES = 200
# Work is handed out in chunks of about this many files: a chunk costs one small pipe read,
# so they can be small, and a worker which drew the heavy delegation policies does not leave
# the others idle at the end.
CHUNK = 4
# A chunk's number as written to the work pipe; the pipe holds every number at once (64 KiB
# on Linux, at least 4 KiB by POSIX), so the parent writes them all before forking.
_WIDTH = 4
_MAX_CHUNKS = 1024

# Net allocations of containers between two collections of the young generation while a
# lint runs (collect_seldom).
YOUNG = 200_000

Task = Callable[[Any], list[Any]]
# A child: its pid, the file of its results, and the pipe on which it says they are written.
_Child = tuple[int, int, int]
# Children that reported their results and may still be ending (see reap).
_EXITING: list[int] = []


def jobs_for(count: int) -> int:
    wanted = os.environ.get("IAMGATE_JOBS")
    if wanted is not None:
        try:
            return max(1, int(wanted))
        except ValueError:
            return 1
    if count < MIN_FILES or not hasattr(os, "fork"):
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def settle_heap() -> None:
    """Move everything imported and loaded so far (modules, the catalog, the rules) out of
    the collector's sight, before a pool forks.

    A lint run allocates many short-lived containers while the long-lived ones never die:
    without this, each full collection walks the whole catalog again (~10% of a large run).
    Frozen objects are also never written by the collector, so forked workers keep
    sharing their pages with the parent instead of copying them.

    Only the young generations are collected first (the garbage of the imports and of the
    first file checked): a full collection walks every object loaded so far, and the run
    waits for it before any worker starts."""
    gc.collect(1)
    gc.freeze()


def collect_seldom() -> None:
    """From now on, the young generation is collected after YOUNG net allocations (not 700).

    A young collection walks every young object still alive: a large policy's document,
    model and proofs while it is checked, the memos grown since the last one, and whatever
    older objects freed meanwhile let the count lag behind; every tenth, the middle
    generation too, and sometimes everything loaded. At 700 that was a quarter of the CPU of
    a 200-file run; at 20,000 (what large runs used before) ~7% of the managed corpus's (13
    collections of ~8 ms, one worker); at YOUNG, none on that corpus and a few on four times
    it. The files' structures hold no cycles (refcounting frees them as soon as a file is
    checked), so collecting less often leaves peak memory as it was: bench_memory.py, 69 MiB
    at 1,582 files and 92 MiB at 6,328 with one worker, either way.

    Not set back afterwards: the next allocation would then collect everything the run left
    young (tens of milliseconds after a large run)."""
    threshold = gc.get_threshold()
    if threshold[0] < YOUNG:
        gc.set_threshold(YOUNG, *threshold[1:])


def flat_map(task: Task, items: Sequence[Any]) -> list[Any]:
    """``[x for item in items for x in task(item)]``, spread over forked workers when it pays."""
    jobs = min(jobs_for(len(items)), len(items))
    if jobs <= 1 or not hasattr(os, "fork"):
        return [x for item in items for x in task(item)]
    size = max(1, min(CHUNK, len(items) // (jobs * 4)), -(-len(items) // _MAX_CHUNKS))
    chunks = [(start, min(start + size, len(items))) for start in range(0, len(items), size)]
    done = _spread(task, items, chunks, jobs)
    return [x for n in range(len(chunks)) for x in done[n]]


def _spread(
    task: Task, items: Sequence[Any], chunks: list[tuple[int, int]], jobs: int
) -> dict[int, list[Any]]:
    """Each chunk's results, computed by the parent and ``jobs - 1`` forked children."""
    reap()
    work, queue = os.pipe()
    os.write(queue, b"".join(n.to_bytes(_WIDTH, "little") for n in range(len(chunks))))
    os.close(queue)  # every chunk is in the pipe: an empty pipe reads as the end of the work
    children: list[_Child] = []
    try:
        for _ in range(jobs - 1):
            children.append(_fork(task, items, chunks, work))
        done = dict(_chunks(task, items, chunks, work))
    except BaseException:
        _stop(children)
        raise
    finally:
        os.close(work)
    failure: BaseException | None = None
    for pid, results, ready in children:
        reported = os.read(ready, 1)  # its results are written (nothing: it died)
        os.close(ready)
        if reported:
            _EXITING.append(pid)
        else:
            os.waitpid(pid, 0)  # gone: whatever it wrote is all there is
        found, failed = _collect(results)
        done.update(found)
        failure = failure or failed
    if failure is not None:
        reap()
        raise failure
    return done


def reap() -> None:
    """Wait for the children of the last pool to end. A child that reported its results is
    not waited for at once: a process that shares a large heap takes several milliseconds
    to be torn down, which the caller spends on its own work (merging, sorting) instead."""
    while _EXITING:
        os.waitpid(_EXITING.pop(), 0)


def _fork(task: Task, items: Sequence[Any], chunks: list[tuple[int, int]], work: int) -> _Child:
    """A child that drains the work pipe; each chunk's results are pickled as soon as they
    are computed (the pickling is shared out with the work, not left for the end) and all
    are written to a file of its own when the work is done, which the parent reads once the
    child says so. A pipe would have the child wait for the parent to read at every buffer's
    worth, at the end of the run, while the parent waits for the child."""
    import pickle

    results = _scratch_file()
    ready, said = os.pipe()
    pid = os.fork()
    if pid:
        os.close(said)  # the child's end alone: its death reads as the end of the pipe
        return pid, results, ready
    os.close(ready)
    frames: list[bytes] = []
    status = 0
    try:
        for n, found in _chunks(task, items, chunks, work):
            frames.append(pickle.dumps(("chunk", n, found), pickle.HIGHEST_PROTOCOL))
        frames.append(pickle.dumps(("done",)))
    except BaseException as exc:
        # The exception itself, as a pool re-raises it (a ConfigError stays a clean exit).
        try:
            frames.append(pickle.dumps(("failed", exc)))
        except Exception:
            import traceback

            frames.append(pickle.dumps(("failed", RuntimeError(traceback.format_exc()))))
        status = 1
    try:
        with os.fdopen(results, "wb") as sink:
            sink.write(b"".join(frames))
        os.write(said, b"!")
    finally:
        os._exit(status)  # no atexit handlers, no flushing of the parent's buffers


def _scratch_file() -> int:
    """A file descriptor of an unnamed file, shared with the children forked after it."""
    if hasattr(os, "memfd_create"):  # Linux: in memory, nothing to import
        return os.memfd_create("iamgate-results", os.MFD_CLOEXEC)
    import tempfile

    with tempfile.TemporaryFile() as scratch:
        return os.dup(scratch.fileno())


def _collect(results: int) -> tuple[dict[int, list[Any]], BaseException | None]:
    """A finished child's chunks, and its exception (or that it ended without reporting)."""
    import pickle

    found: dict[int, list[Any]] = {}
    os.lseek(results, 0, os.SEEK_SET)
    with os.fdopen(results, "rb") as source:
        try:
            while True:
                frame = pickle.load(source)
                if frame[0] == "done":
                    return found, None
                if frame[0] == "failed":
                    return found, frame[1]
                found[frame[1]] = frame[2]
        except Exception:  # cut short: the child was killed (or ran out of memory)
            return found, RuntimeError("a lint worker stopped without a result")


def _chunks(
    task: Task, items: Sequence[Any], chunks: list[tuple[int, int]], work: int
) -> Iterator[tuple[int, list[Any]]]:
    """Each chunk this process draws from the work pipe, with its results."""
    while len(taken := os.read(work, _WIDTH)) == _WIDTH:
        n = int.from_bytes(taken, "little")
        start, end = chunks[n]
        yield n, [x for item in items[start:end] for x in task(item)]


def _stop(children: list[_Child]) -> None:
    """The parent failed (or was interrupted): end its children rather than wait for them."""
    import signal

    for pid, results, ready in children:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except OSError:
            pass
        os.close(results)
        os.close(ready)
