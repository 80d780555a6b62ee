"""The fork pool: every item's results, in the items' order, whoever computed them; a
worker's exception reaches the caller as itself."""

from __future__ import annotations

import os

import pytest

from iamgate.parallel import flat_map


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
