"""Checking many files on every core: a large corpus is CPU-bound in the proofs.

Workers are forked, so they inherit the imported modules, the loaded catalog and the
project without paying start-up again; where fork is not available the work stays in
one process. A commit of a few files never pays for a pool.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

# Below this many files a pool costs more than it saves (fork + result pickling).
MIN_FILES = 200

_work: tuple[Callable[[Any], list[Any]], Sequence[Any]] | None = None


def jobs_for(count: int) -> int:
    wanted = os.environ.get("IAMGATE_JOBS")
    if wanted is not None:
        try:
            return max(1, int(wanted))
        except ValueError:
            return 1
    if count < MIN_FILES or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def _run_chunk(bounds: tuple[int, int]) -> list[Any]:
    assert _work is not None
    task, items = _work
    out: list[Any] = []
    for item in items[bounds[0] : bounds[1]]:
        out.extend(task(item))
    return out


def flat_map(task: Callable[[Any], list[Any]], items: Sequence[Any]) -> list[Any]:
    """``[x for item in items for x in task(item)]``, spread over forked workers when it pays."""
    jobs = jobs_for(len(items))
    if jobs <= 1 or len(items) < 2:
        return [x for item in items for x in task(item)]
    global _work
    _work = (task, items)
    try:
        size = max(1, len(items) // (jobs * 4))
        chunks = [(start, min(start + size, len(items))) for start in range(0, len(items), size)]
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(jobs, mp_context=context) as pool:
            return [x for part in pool.map(_run_chunk, chunks) for x in part]
    finally:
        _work = None
