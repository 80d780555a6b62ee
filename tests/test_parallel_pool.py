"""The fork pool: every item's results, in the items' order, whoever computed them; a
worker's exception reaches the caller as itself."""

from __future__ import annotations

import os
import select
from collections.abc import Callable

import pytest

from iamgate.parallel import flat_map, reap


def _twice(item: int) -> list[int]:
    return [item, item * 2]


def test_results_come_back_in_the_order_of_the_items(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IAMGATE_JOBS", "3")
    items = list(range(101))
    assert flat_map(_twice, items) == [x for item in items for x in _twice(item)]


class Refused(Exception):
    pass


def test_an_exception_in_any_process_reaches_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IAMGATE_JOBS", "2")

    def fails_late(item: int) -> list[int]:
        if item >= 150:
            raise Refused(f"item {item}")
        return [item]

    with pytest.raises(Refused):
        flat_map(fails_late, list(range(200)))


def test_one_job_never_forks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IAMGATE_JOBS", "1")
    assert set(flat_map(lambda _: [os.getpid()], list(range(50)))) == {os.getpid()}


def _large(item: int) -> list[str]:
    return [f"{item}:" + "x" * 4096]


def test_results_larger_than_a_pipe_come_back_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    # Each child writes its chunks' results to a file of its own (a pipe holds 64 KiB).
    monkeypatch.setenv("IAMGATE_JOBS", "3")
    items = list(range(400))
    assert flat_map(_large, items) == [x for item in items for x in _large(item)]


def test_without_memfd_a_temporary_file_carries_the_results(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("IAMGATE_JOBS", "2")
    monkeypatch.delattr(os, "memfd_create", raising=False)
    items = list(range(300))
    assert flat_map(_large, items) == [x for item in items for x in _large(item)]


def _in_the_child(then: Callable[[], None]) -> Callable[[int], list[int]]:
    """A task that runs ``then`` in a forked child, on the first item the child draws; the
    parent's items wait until it has (so the child cannot find the work all done)."""
    parent = os.getpid()
    signal, started = os.pipe()

    def task(item: int) -> list[int]:
        if os.getpid() != parent:
            os.write(started, b"!")
            then()
        elif not select.select([signal], [], [], 30)[0]:
            raise AssertionError("the child never drew a chunk")
        return [item]

    return task


def test_a_worker_that_dies_is_an_error_not_missing_results(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("IAMGATE_JOBS", "2")
    with pytest.raises(RuntimeError, match="stopped without a result"):
        flat_map(_in_the_child(lambda: os._exit(9)), list(range(400)))  # as if killed


class Unpicklable(Exception):
    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("cannot pickle this")


def _raise_unpicklable() -> None:
    raise Unpicklable("nope")


def test_an_exception_that_cannot_travel_arrives_as_its_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("IAMGATE_JOBS", "2")
    with pytest.raises(RuntimeError, match="Unpicklable"):
        flat_map(_in_the_child(_raise_unpicklable), list(range(400)))


def test_no_child_is_left_once_the_caller_reaped(monkeypatch: pytest.MonkeyPatch) -> None:
    # A child that reported its results may still be ending when flat_map returns; reap()
    # (lint_paths calls it before it returns) waits for it.
    monkeypatch.setenv("IAMGATE_JOBS", "3")
    items = list(range(300))
    assert flat_map(_large, items) == [x for item in items for x in _large(item)]
    reap()
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)
