"""The fast configuration check must never accept what jsonschema rejects."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st

from iamgate.schema_subset import conforms

SCHEMA = json.loads(resources.files("iamgate").joinpath("schemas/config.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 300),
    st.sampled_from(
        [
            "service-",
            "S3AccessBoundary",
            "error",
            "off",
            "warning",
            "2027-03-01",
            "2027-13-01",
            "123456789012",
            "12345",
            "Workloads/Dev",
            "/",
            "/iamgate/",
            "",
            "policies/*.json",
            "IG301",
        ]
    ),
)
keys = st.sampled_from(
    [
        "delegation",
        "lint",
        "deploy",
        "prefix",
        "boundaries",
        "fail-on",
        "rules",
        "exceptions",
        "path",
        "rule",
        "reason",
        "expires",
        "role",
        "concurrency",
        "targets",
        "name",
        "ous",
        "accounts",
        "exclude",
        "policies",
        "tags",
        "IG301",
        "bogus",
    ]
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=12,
)
configs = st.dictionaries(
    st.sampled_from(["delegation", "lint", "deploy", "bogus"]), values, max_size=3
)


@settings(max_examples=400, deadline=None)
@given(configs)
def test_the_fast_check_agrees_with_jsonschema(config: dict) -> None:
    assert conforms(config, SCHEMA) == VALIDATOR.is_valid(config)


def test_the_example_configuration_passes_the_fast_check() -> None:
    from ruamel.yaml import YAML

    from iamgate.config import _plain

    example = Path(__file__).resolve().parents[1] / "iamgate.yaml"
    data = _plain(YAML(typ="rt").load(example.read_text()))
    assert VALIDATOR.is_valid(data)
    assert conforms(data, SCHEMA)


def test_an_unknown_schema_keyword_makes_the_fast_check_defer_to_jsonschema() -> None:
    assert conforms("x", {"type": "string", "oneOf": [{"type": "string"}]}) is False


def test_deploy_prune_is_a_boolean_for_both_checks(tmp_path: Path) -> None:
    from iamgate.config import ConfigError, parse_config

    for value, valid in ((True, True), (False, True), ("yes", False), (1, False), (None, False)):
        config = {"deploy": {"prune": value}}
        assert conforms(config, SCHEMA) is valid, value
        assert VALIDATOR.is_valid(config) is valid, value
    path = tmp_path / "iamgate.yaml"
    path.write_text("deploy:\n  prune: true\n", encoding="utf-8")
    assert parse_config(path).deploy.prune is True
    path.write_text("deploy:\n  prune: yes-please\n", encoding="utf-8")
    try:
        parse_config(path)
    except ConfigError as exc:
        assert "deploy.prune" in str(exc) and ":2" in str(exc)
    else:
        raise AssertionError("deploy.prune: yes-please was accepted")
