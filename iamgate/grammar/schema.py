"""The policy schema (schemas/policy.schema.json), its validator and IAM's operator names."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

CONDITION_OPERATORS: tuple[str, ...] = (
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
    "Null",
)
SET_PREFIXES = ("ForAllValues:", "ForAnyValue:")


@cache
def all_condition_operators() -> frozenset[str]:
    """Every operator name IAM accepts, with IfExists and set prefixes."""
    bases = {op for op in CONDITION_OPERATORS}
    bases |= {f"{op}IfExists" for op in CONDITION_OPERATORS if op != "Null"}
    return frozenset(bases | {prefix + op for prefix in SET_PREFIXES for op in bases})


@cache
def policy_schema() -> dict[str, Any]:
    # Beside the package, read without importlib.resources (and the zipfile it imports).
    schema: dict[str, Any] = json.loads(
        (Path(__file__).parent.parent / "schemas" / "policy.schema.json").read_bytes()
    )
    return schema


@cache
def _validator(kind: str) -> Validator:
    from jsonschema import Draft202012Validator

    schema = policy_schema()
    if kind == "scp":
        # Same $defs, another root: SCP statements may leave Resource out.
        schema = {**schema, "$ref": "#/$defs/scpPolicy"}
    return Draft202012Validator(schema)


@cache
def _operator_pattern() -> re.Pattern[str]:
    # The schema's own pattern, so the operator list has one home.
    return re.compile(policy_schema()["$defs"]["conditionOperator"]["pattern"])
