"""The IAM policy grammar: everything IAM would refuse, located, before the model is built.

A JSON Schema (schemas/policy.schema.json) says what each element may hold; its
errors become one issue per problem, in IAM's words, at the element's line and
column. The checks a schema cannot express (unique Sids, ARN and action syntax,
size, name, Version semantics, characters) follow. The grammar reports typed problems
(problems.Problem, at a line and column: Issue); each is owned by one rule of
iamgate/rules/grammar_rules.py, which documents it and turns it into a finding.

The package: problems (what the grammar reports), checker (check(): every check, in
order), schema (the schema, its validator and the operator names), conformance (the fast
check that spares jsonschema on clean files), schema_errors (jsonschema's errors in IAM's
words), semantic_checks (what a schema cannot say), arn_syntax (Resource ARNs), wording
(paths, values and suggestions in messages).
"""

from __future__ import annotations

from iamgate.grammar.arn_syntax import arn_problem
from iamgate.grammar.checker import check
from iamgate.grammar.conformance import conforms
from iamgate.grammar.problems import Issue, Problem
from iamgate.grammar.schema import (
    CONDITION_OPERATORS,
    SET_PREFIXES,
    all_condition_operators,
    policy_schema,
)
from iamgate.grammar.semantic_checks import MANAGED_POLICY_LIMIT
from iamgate.grammar.wording import suggest, where

__all__ = [
    "CONDITION_OPERATORS",
    "MANAGED_POLICY_LIMIT",
    "SET_PREFIXES",
    "Issue",
    "Problem",
    "all_condition_operators",
    "arn_problem",
    "check",
    "conforms",
    "policy_schema",
    "suggest",
    "where",
]
