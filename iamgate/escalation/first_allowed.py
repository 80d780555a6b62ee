"""IG406's search: the proofs' ``first_violation``, skipping the contexts no Allow admits.

``Proof.first_violation`` asks, resource by resource, every telling context of an action.
The contexts that ``escalation.viable`` refutes are denied on every resource; asked about
once here instead of once per resource. The managed policies pass roles and start compute
under conditions on aws:CalledVia, tags and regions that most contexts fail.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING

from iamgate.escalation.contexts import first_then_rest

if TYPE_CHECKING:
    from iamgate.catalog import ActionInfo
    from iamgate.delegation import Proof, Unsafe, Violation
    from iamgate.delegation.candidates import ContextKey

Contexts = Sequence[tuple[dict[str, tuple[str, ...]], "ContextKey"]]


def first_violation(
    proof: Proof,
    action: ActionInfo,
    unsafe: Unsafe,
    *,
    fixed: Mapping[str, tuple[str, ...]] | None = None,
    resources: Sequence[str],
) -> Violation | None:
    """``proof.first_violation(action, unsafe, fixed=fixed, resources=resources)`` over
    the telling contexts less those ``escalation.viable`` refutes: the same loop, resources,
    order, class-shared decisions and fall-back. A refuted context is denied on every
    resource, by the shared decision as by the action's own (see there), so the first unsafe
    allowed request is the same, and so is any fall-back."""

    def contexts() -> Contexts:
        # The first context without the list (escalation.contexts): a runner is usually
        # allowed there, on its first candidate.
        build = partial(proof.telling_contexts, action, fixed)
        return _viable(proof, action, first_then_rest(proof, action, fixed, build))

    return proof.first_violation(
        action, unsafe, fixed=fixed, resources=resources, contexts_of=contexts
    )


def _viable(proof: Proof, action: ActionInfo, contexts: Contexts) -> Contexts:
    """``escalation.viable`` over the Allow statements of the proof's policy that name the
    action: those of the action's signature (the proof's statements that name it, the
    policy's first, then the SCPs'; the same for every action of its class), as
    ``proof.evaluate`` and the class-shared decision read them."""
    from iamgate.escalation.viable import viable

    named, _ = proof.signature(action)
    own = proof.policy.statements
    allows = [(own[i], proof.variables) for i in sorted(named) if i < len(own) and own[i].allows]
    return viable(action.full, allows, contexts)
