"""The escalation table: every known privilege-escalation path as data, decided by the evaluator.

``paths.json`` holds one row per path (its actions, what each acts on, whether it needs an
existing resource, why it escalates, the public page it comes from); ``paths.schema.json``
is its schema. ``table`` reads it; ``prefilter`` skips rows a policy cannot open;
``decide`` (with ``lazy`` candidate lists) asks the evaluator whether a set of policies
(identity, boundary, SCP levels) leaves each row open. Shared with IG406's searches:
``viable`` (the contexts no Allow condition refutes), ``contexts`` (a search's first
context without the list), ``resource_order`` (a proof's resources drawn type by type) and
``first_allowed`` (the proofs' first-violation loop over those):

    open_paths(PolicySet(identity=(policy,), boundary=b, scps=levels), project) -> [PathFinding]

It sits beside the delegation proofs and reuses their candidate requests (CandidateSpace);
the rules (IG408) sit above it.
"""

from __future__ import annotations

from iamgate.escalation.decide import PathSearch, judged_account, open_paths
from iamgate.escalation.prefilter import may_open, named_actions, table_services
from iamgate.escalation.results import PathFinding, PolicySet, Step
from iamgate.escalation.table import (
    ANY,
    NEW,
    EscalationPath,
    PathAction,
    Table,
    TableError,
    build_table,
    default_table,
    load_table,
    schema,
    schema_errors,
)

__all__ = [
    "ANY",
    "NEW",
    "EscalationPath",
    "PathAction",
    "PathFinding",
    "PathSearch",
    "PolicySet",
    "Step",
    "Table",
    "TableError",
    "build_table",
    "default_table",
    "judged_account",
    "load_table",
    "may_open",
    "named_actions",
    "open_paths",
    "schema",
    "schema_errors",
    "table_services",
]
