"""A proof's candidate resources for an action, in the proof's own order, drawn type by type.

``CandidateSpace.resources(action, outside_first=...)`` builds every resource type's list
before the search asks its first question; an action that runs code (ec2:RunInstances has a
dozen types) is usually allowed on its first candidate. ``proof_order`` gives the same list
lazily, so IG406's searches build only the types they reach.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from iamgate.delegation.candidates import CALLER_ONLY
from iamgate.escalation.lazy import Lazy

if TYPE_CHECKING:
    from iamgate.catalog import ActionInfo
    from iamgate.delegation import CandidateSpace


def proof_order(
    space: CandidateSpace, action: ActionInfo, *, outside_first: bool, outside_only: bool = False
) -> Lazy[str]:
    """``space.resources(action, outside_first=outside_first)``, drawn on demand; with
    ``outside_only``, its resources outside the delegation prefix alone (in that order)."""
    return Lazy(_ordered(space, action, outside_first, outside_only))


def _ordered(
    space: CandidateSpace, action: ActionInfo, outside_first: bool, outside_only: bool
) -> Iterator[str]:
    """Why this is ``resources`` in the same order: that list is every (type, ARN template)
    candidate in catalog order, split on ``in_prefix``, the chosen side first, each ARN
    kept at its first place. ``type_resources`` is one type's candidates over its templates
    in that order with repeats dropped (a repeat would be dropped anyway), and ``in_prefix``
    reads the ARN alone, so an ARN and its repeats fall on the same side: yielding the
    chosen side's ARNs as they come and the other side's after all of them is the same
    list. A caller-only action and an action without resource types keep the proofs' own
    short lists."""
    if not action.resource_types or action.full.lower() in CALLER_ONLY:
        for resource in space.resources(action, outside_first=outside_first):
            if not (outside_only and space.in_prefix(resource)):
                yield resource
        return
    first_inside = not outside_first
    seen: set[str] = set()
    later: list[str] = []
    for rtype, _required in action.resource_types:
        for arn in space.type_resources(rtype):
            if arn in seen:
                continue
            seen.add(arn)
            inside = space.in_prefix(arn)
            if outside_only and inside:
                continue
            if inside == first_inside:
                yield arn
            else:
                later.append(arn)
    yield from later
