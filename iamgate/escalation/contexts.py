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

from iamgate.delegation.candidates import (
    _GLOBAL_REGION,
    _PERMISSION_ONLY,
    REQUESTED_REGION,
    CandidateSpace,
)

if TYPE_CHECKING:
    from iamgate.catalog import ActionInfo
    from iamgate.delegation.candidates import ContextKey

Pair = tuple[dict[str, tuple[str, ...]], "ContextKey"]


def first_context(
    space: CandidateSpace, action: ActionInfo, fixed: Mapping[str, tuple[str, ...]] | None
) -> Pair:
    """``space.contexts(action, fixed)[0]`` (and ``telling_contexts``' first, the same), built
    alone. Why this is that context: the list is the product of each varied key's options
    (or, past MAX_CONTEXTS, each key varied alone after all absent), and every key's options
    start with None (absent), so its first combination sets no varied key: the base context,
    then the fixed values, then IAM's region where the action carries aws:RequestedRegion
    (iam:PassRole, a permission only, takes none), each written in that order and keyed by
    its sorted lower-case items. ``telling_contexts`` keeps the first context whatever it
    drops."""
    _, keys = space.signature(action)
    values: dict[str, tuple[str, ...]] = dict(fixed or {})
    region = _GLOBAL_REGION.get(action.service.lower())
    if action.full.lower() in _PERMISSION_ONLY:
        region = None
    if region is not None and REQUESTED_REGION.lower() in keys:
        values = {**values, REQUESTED_REGION: (region,)}
    context = dict(space.base_context)
    context.update(values)
    return context, tuple(sorted((k.lower(), v) for k, v in context.items()))


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
_OWN = ("contexts", "distinct_options", "key_options", "boundary_options", "signature")
