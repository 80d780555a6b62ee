"""Lazy: a sequence drawn from an iterator on demand, kept for the next reader.

The escalation search builds a step's candidate resources type by type; most open steps are
answered by the first resource, so the later types' lists are never built. IG406 hands one to
the delegation proofs' search as its resource list (a Sequence), for the same reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar, overload

T = TypeVar("T")


class Lazy(Sequence[T]):
    """A sequence drawn from an iterator on demand and kept: iterated again (by the next
    row that asks the same step), it replays what was drawn, then draws on. Truthy when
    it has a first item (drawing at most that one); its length draws everything."""

    __slots__ = ("_items", "_source")

    def __init__(self, source: Iterable[T]) -> None:
        self._source: Iterator[T] | None = iter(source)
        self._items: list[T] = []

    def __iter__(self) -> Iterator[T]:
        index = 0
        while True:
            if index < len(self._items):
                yield self._items[index]
                index += 1
            elif not self._draw():
                return

    def __bool__(self) -> bool:
        return bool(self._items) or self._draw()

    def __len__(self) -> int:
        while self._draw():
            pass
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[T]: ...

    def __getitem__(self, index: int | slice) -> T | Sequence[T]:
        if isinstance(index, slice) or index < 0:
            return list(self)[index]
        while len(self._items) <= index and self._draw():
            pass
        return self._items[index]

    def _draw(self) -> bool:
        if self._source is None:
            return False
        try:
            self._items.append(next(self._source))
        except StopIteration:
            self._source = None
            return False
        return True
