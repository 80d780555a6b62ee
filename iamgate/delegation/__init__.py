"""Delegation proofs: the machinery shared by the security rules IG3xx and IG4xx.

A rule states an invariant as "no *unsafe* request is allowed" and the proof decides it by
asking the evaluator about every request of a candidate space built for the policy at hand:

* actions: the catalog's actions of the family the rule guards (derived from the catalog,
  not listed by hand, wherever the catalog can say it), kept when some Allow statement
  names them;
* resources: for each resource type of the action, a name inside the delegation prefix, one
  outside it, and every Resource/NotResource pattern of the policy made concrete
  (``role/*service-*`` -> ``role/xservice-x``);
* contexts: every condition key of the policy the action can carry, absent and with each
  value the policy names (wildcards filled in so that they match) plus one the policy does
  not name; for iam:PermissionsBoundary the adversarial boundaries as well (a foreign
  policy, AdministratorAccess, the approved name in another account, a policy the delegate
  could create) and two values at once where a set operator reads the key.

Actions that no statement tells apart (the same statements name them, they carry the same
condition keys of the policy) get the same decision for the same resource and context, so
each class is evaluated once per (resource, context) and the answer shared. A reported
counterexample is always evaluated again for its own action: a finding checks itself.

The package, one job a module: actions (the catalog's families of actions), policy_facts
(what a policy and its project say), candidates (the candidate requests), search (asking
the evaluator: Proof) and messages (a finding's words). The rules decided by a search build
on ``iamgate.rules.proof_rule.ProofRule``.
"""

from __future__ import annotations

from iamgate.delegation.actions import (
    BOUNDARY,
    BOUNDARY_KEY,
    DELEGATED_TYPES,
    PRINCIPAL_TYPES,
    SCOPED_TYPES,
    boundary_condition_actions,
    boundary_deletion_actions,
    delegation_actions,
    iam_actions,
    lookup,
    names_action,
    policy_editing_actions,
    prefix_scoped_actions,
    type_names,
)
from iamgate.delegation.candidates import (
    ADMINISTRATOR_ACCESS,
    MAX_CONTEXTS,
    OUTSIDE_NAMES,
    Candidate,
    CandidateSpace,
    Unsafe,
)
from iamgate.delegation.messages import (
    counterexample,
    describe_request,
    listing,
    statement_label,
)
from iamgate.delegation.policy_facts import (
    CALLER,
    DEFAULT_ACCOUNT,
    VARIABLES_VERSION,
    PolicyFacts,
    principal_account,
)
from iamgate.delegation.search import Proof, Violation, clear_cache, judged_accounts, proof_for
from iamgate.delegation.text import has_wildcard, resource_name

__all__ = [
    "ADMINISTRATOR_ACCESS",
    "BOUNDARY",
    "BOUNDARY_KEY",
    "CALLER",
    "DEFAULT_ACCOUNT",
    "DELEGATED_TYPES",
    "MAX_CONTEXTS",
    "OUTSIDE_NAMES",
    "PRINCIPAL_TYPES",
    "SCOPED_TYPES",
    "VARIABLES_VERSION",
    "Candidate",
    "CandidateSpace",
    "PolicyFacts",
    "Proof",
    "Unsafe",
    "Violation",
    "boundary_condition_actions",
    "boundary_deletion_actions",
    "clear_cache",
    "counterexample",
    "delegation_actions",
    "describe_request",
    "has_wildcard",
    "iam_actions",
    "judged_accounts",
    "listing",
    "lookup",
    "names_action",
    "policy_editing_actions",
    "prefix_scoped_actions",
    "principal_account",
    "proof_for",
    "resource_name",
    "statement_label",
    "type_names",
]
