"""Checking many files on every core: a large corpus is CPU-bound in the proofs.

Workers are forked, so they inherit the imported modules, the loaded catalog and the
project without paying start-up again; where fork is not available the work stays in
one process. A commit of a few files never pays for a pool, nor for importing one
(multiprocessing and concurrent.futures cost a pre-commit hook ~30 ms of start-up).
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Sequence
from typing import Any

# Below this many files a pool costs more than it saves (fork + result pickling).
MIN_FILES = 200
# Work is handed out in chunks of about this many files: small enough that a worker which
# drew the heavy delegation policies does not leave the others idle at the end, large
# enough that pickling the results back stays cheap.
CHUNK = 16

_work: tuple[Callable[[Any], list[Any]], Sequence[Any]] | None = None


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
    the collector's sight, and collect the young generation less often.

    A lint run allocates many short-lived containers while the long-lived ones never die:
    without this, each full collection walks the whole catalog again (~10% of a large run).
    Frozen objects are also never written by the collector, so forked workers keep
    sharing their pages with the parent instead of copying them."""
    gc.collect()
    gc.freeze()
    threshold = gc.get_threshold()
    gc.set_threshold(max(threshold[0], 20_000), threshold[1], threshold[2])


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
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if "fork" not in multiprocessing.get_all_start_methods():
        return [x for item in items for x in task(item)]
    global _work
    _work = (task, items)
    try:
        size = max(1, min(CHUNK, len(items) // (jobs * 4)))
        chunks = [(start, min(start + size, len(items))) for start in range(0, len(items), size)]
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(jobs, mp_context=context) as pool:
            return [x for part in pool.map(_run_chunk, chunks) for x in part]
    finally:
        _work = None
