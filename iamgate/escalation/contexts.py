"""A search's request contexts, the first one built without the others.

A proof's contexts for an action (``CandidateSpace.contexts``, ``Proof.telling_contexts``)
are every combination of the values of the condition keys the policy reads; building the
list costs more than most searches ask of it. An escalation step or a code runner is usually
allowed on its first candidate resource in the first context, the one where no varied key is
set: ``first_then_rest`` gives that context at once and builds the list only when the search
asks for a second one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, overload

from iamgate.delegation.candidates import CandidateSpace

if TYPE_CHECKING:
    from iamgate.catalog import ActionInfo
    from iamgate.delegation.candidates import ContextKey

Pair = tuple[dict[str, tuple[str, ...]], "ContextKey"]


def first_context(
    space: CandidateSpace, action: ActionInfo, fixed: Mapping[str, tuple[str, ...]] | None
) -> Pair:
    """``space.contexts(action, fixed)[0]`` (and ``telling_contexts``' first, the same), built
    alone: ``CandidateSpace.first_context``, which argues why. ``telling_contexts`` keeps the
    first context whatever it drops."""
    return space.first_context(action, fixed)


class FirstThenRest(Sequence[Pair]):
    """A context list whose first item is given and whose whole list is built (``build``)
    only when an item past the first is asked for."""

    __slots__ = ("_build", "_first", "_items")

    def __init__(self, first: Pair, build: Callable[[], Sequence[Pair]]) -> None:
        self._first = first
        self._build = build
        self._items: Sequence[Pair] | None = None

    def _all(self) -> Sequence[Pair]:
        if self._items is None:
            self._items = self._build()
        return self._items

    def __iter__(self) -> Iterator[Pair]:
        yield self._first
        items = self._all()
        for index in range(1, len(items)):
            yield items[index]

    def __len__(self) -> int:
        return len(self._all())

    @overload
    def __getitem__(self, index: int) -> Pair: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Pair]: ...

    def __getitem__(self, index: int | slice) -> Pair | Sequence[Pair]:
        if index == 0 and self._items is None:
            return self._first
        return self._all()[index]


def first_then_rest(
    space: CandidateSpace,
    action: ActionInfo,
    fixed: Mapping[str, tuple[str, ...]] | None,
    build: Callable[[], Sequence[Pair]],
) -> Sequence[Pair]:
    """``build()`` (the space's contexts for the action, or the proof's telling ones), its
    first item ready without building it. A space that draws its own options (a boundary's
    ceiling proof: aws:PrincipalArn is always some role's, never absent) or its own contexts
    gets the list itself: ``first_context`` reads the proofs' own options, absent first."""
    cls = type(space)
    if any(getattr(cls, name) is not getattr(CandidateSpace, name) for name in _OWN):
        return build()
    return FirstThenRest(first_context(space, action, fixed), build)


# What first_context assumes of the space: the proofs' own options and combinations.
_OWN = (
    "contexts",
    "first_context",
    "distinct_options",
    "key_options",
    "boundary_options",
    "signature",
)
