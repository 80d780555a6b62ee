"""The configuration's fast path is its JSON Schema compiled (iamgate.schema_compiler), and it
never accepts a document jsonschema rejects: near-miss documents generated from the schema
itself (wrong types, booleans for integers, dates Python reads but JSON Schema does not,
unknown keys, patterns just missed) get the same verdict from both."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iamgate.config import ConfigError, parse_config
from iamgate.config_schema import _fast_check
from iamgate.schema_compiler import Unsupported, compile_schema

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "iamgate" / "schemas" / "config.schema.json"
SCHEMA = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
# As iamgate.config runs it: Draft 2020-12, formats checked.
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
FAST = compile_schema(SCHEMA)


def _schema_valid(schema: Any, value: Any) -> bool:
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    return bool(validator.is_valid(value))


# -- the three the hand-written fast path let through ---------------------------------------


def test_an_iso_week_date_is_not_an_expiry_date(tmp_path: Path) -> None:
    doc = {"lint": {"exceptions": [{"path": "a", "rule": "IG001", "reason": "r"}]}}
    doc["lint"]["exceptions"][0]["expires"] = "2027-W10-1"  # fromisoformat reads it
    assert not VALIDATOR.is_valid(doc)
    assert not FAST(doc)
    path = tmp_path / "iamgate.yaml"
    path.write_text(
        "lint:\n  exceptions:\n    - path: a\n      rule: IG001\n      reason: r\n"
        "      expires: 2027-W10-1\n"
    )
    with pytest.raises(ConfigError) as caught:
        parse_config(path)
    assert (caught.value.line, caught.value.column) == (6, 16)
    assert "'2027-W10-1' is not a date (write YYYY-MM-DD)" in str(caught.value)


def test_a_basic_format_date_is_not_an_expiry_date(tmp_path: Path) -> None:
    doc = {"lint": {"rules": {"IG301": {"level": "off", "reason": "r", "expires": "20270301"}}}}
    assert not VALIDATOR.is_valid(doc)
    assert not FAST(doc)
    path = tmp_path / "iamgate.yaml"
    path.write_text(
        "lint:\n  rules:\n    IG301:\n      level: off\n      reason: r\n"
        '      expires: "20270301"\n'
    )
    with pytest.raises(ConfigError) as caught:
        parse_config(path)
    assert (caught.value.line, caught.value.column) == (6, 16)
    assert "'20270301' is not a date" in caught.value.message


def test_true_is_not_1_for_an_enum_nor_for_const() -> None:
    for schema in ({"enum": [1]}, {"const": 1}, {"enum": [0]}, {"const": [1, {"a": 0}]}):
        wrong = schema != {"enum": [0]}
        if "const" in schema and isinstance(schema["const"], list):
            wrong = [True, {"a": False}]
        assert not _schema_valid(schema, wrong)
        assert not compile_schema(schema)(wrong), schema
    assert compile_schema({"enum": [1]})(1.0) and _schema_valid({"enum": [1]}, 1.0)


def test_a_boolean_is_not_an_integer_and_a_whole_float_is() -> None:
    check = compile_schema({"type": "integer", "minimum": 1})
    assert not check(True) and not _schema_valid({"type": "integer"}, True)
    assert check(8.0) and _schema_valid({"type": "integer"}, 8.0)
    assert not check(8.5)


def test_a_whole_float_concurrency_is_read_as_an_int(tmp_path: Path) -> None:
    path = tmp_path / "iamgate.yaml"
    path.write_text("deploy:\n  concurrency: 8.0\n")
    concurrency = parse_config(path).deploy.concurrency
    assert concurrency == 8 and type(concurrency) is int


# -- the compiler itself --------------------------------------------------------------------


def test_the_configuration_schema_compiles_whole() -> None:
    # Else every configuration would be validated by jsonschema alone: correct, but slow.
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert _fast_check() is not None


@pytest.mark.parametrize(
    "schema",
    [
        {"oneOf": [{"type": "string"}], "if": {"type": "string"}},
        {"$ref": "#/$defs/x", "$defs": {"x": {}}},
        {"format": "email"},
        {"type": "object", "patternProperties": {"^x": {}}, "additionalProperties": False},
        {"type": "decimal"},
    ],
)
def test_a_keyword_the_compiler_does_not_know_is_refused_not_skipped(schema: Any) -> None:
    with pytest.raises(Unsupported):
        compile_schema(schema)


def test_the_example_configuration_passes_the_fast_check() -> None:
    from ruamel.yaml import YAML

    from iamgate.config import _plain

    example = Path(__file__).resolve().parents[1] / "iamgate.yaml"
    data = _plain(YAML(typ="rt").load(example.read_text()))
    assert VALIDATOR.is_valid(data)
    assert FAST(data)


def test_deploy_prune_is_a_boolean_for_both_checks(tmp_path: Path) -> None:
    for value, valid in ((True, True), (False, True), ("yes", False), (1, False), (None, False)):
        config = {"deploy": {"prune": value}}
        assert FAST(config) is valid, value
        assert VALIDATOR.is_valid(config) is valid, value
    path = tmp_path / "iamgate.yaml"
    path.write_text("deploy:\n  prune: true\n", encoding="utf-8")
    assert parse_config(path).deploy.prune is True
    path.write_text("deploy:\n  prune: yes-please\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        parse_config(path)
    assert "deploy.prune" in str(caught.value) and caught.value.line == 2


# -- near-miss documents generated from the schema -----------------------------------------

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([0.0, 1.0, 2.5, -1.5]),
    st.sampled_from(["", "a", "ab", "b", "2027-03-01", "2027-W10-1", "20270301", "12"]),
)
WRONG_TYPES = st.sampled_from([None, True, False, 0, 1, 1.0, 8.5, -1, "", "x", [], {}, ["x"]])
BAD_DATES = [
    "2027-W10-1",  # ISO week date: Python's fromisoformat reads it
    "2027W101",
    "20270301",  # ISO basic format: fromisoformat reads it too
    "2027-060",  # ordinal date
    "2027-13-01",
    "2027-02-29",
    "2027-3-1",
    " 2027-03-01",
    "2027-03-01\n",
    "2027-03-01T00:00",
    "2027-03-01Z",
    "２０２７-０３-０１",  # full-width digits: \d matches them unless ASCII
    "٢٠٢٧-٠٣-٠١",
    "+2027-03-01",
    "27-03-01",
]


def _date_texts() -> st.SearchStrategy[str]:
    dates = st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31))
    return st.one_of(
        dates.map(dt.date.isoformat),
        dates.map(lambda d: d.strftime("%Y%m%d")),
        dates.map(lambda d: "{}-W{:02}-{}".format(*d.isocalendar())),
        st.sampled_from(BAD_DATES),
    )


def _near_strings(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    if schema.get("format") == "date":
        return _date_texts()
    options: list[st.SearchStrategy[Any]] = [st.text(max_size=6), st.sampled_from(["", "a"])]
    if "pattern" in schema:
        matching = st.from_regex(schema["pattern"])
        options += [
            matching,
            matching,
            matching.map(lambda s: s + "\n"),
            matching.map(lambda s: s.upper() + " "),
            matching.map(lambda s: s[:-1]),
            matching.map(lambda s: "x" + s),
        ]
    return st.one_of(options)


def _good(schema: Any) -> st.SearchStrategy[Any]:
    """Values built the way the schema describes, many of them valid, some just off."""
    if schema is True or schema is False:
        return WRONG_TYPES
    if "enum" in schema:
        values = schema["enum"]
        swapped = [s.title() for s in values if isinstance(s, str)] + [v + " " for v in values]
        return st.one_of(st.sampled_from(values), st.sampled_from(swapped), WRONG_TYPES)
    if "anyOf" in schema:
        return st.one_of([_near(option) for option in schema["anyOf"]])
    kind = schema.get("type")
    if kind == "string":
        return _near_strings(schema)
    if kind == "integer":
        low, high = schema.get("minimum", -3), schema.get("maximum", 300)
        around = st.integers(low - 2, high + 2)
        return st.one_of(around, around.map(float), st.booleans(), around.map(str))
    if kind == "boolean":
        return st.one_of(st.booleans(), st.sampled_from([0, 1, "true", "yes", None]))
    if kind == "array":
        return st.lists(_near(schema.get("items", True)), max_size=3)
    if kind == "object":
        return _objects(schema)
    return WRONG_TYPES


def _objects(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    properties = schema.get("properties", {})
    required = [k for k in schema.get("required", ()) if k in properties]
    known = st.fixed_dictionaries(
        {k: _near(properties[k]) for k in required},
        optional={k: _near(v) for k, v in properties.items() if k not in required},
    )
    extra = schema.get("additionalProperties", True)
    if isinstance(extra, dict):
        names = schema.get("propertyNames", {}).get("pattern")
        keys = st.from_regex(names) if names else st.text(max_size=6)
        keys = st.one_of(keys, keys, st.sampled_from(["IG301", "ig301", "IG 301", "", "/x", "x/"]))
        known = st.builds(
            lambda a, b: {**b, **a}, known, st.dictionaries(keys, _near(extra), max_size=3)
        )
    wrong_keys = st.sampled_from(
        ["bogus", *(k.title() for k in properties), *(k + "s" for k in properties)]
    )
    misspelt = st.builds(lambda d, k, v: {**d, k: v}, known, wrong_keys, WRONG_TYPES)
    missing = known.map(lambda d: {k: v for k, v in d.items() if k not in required[:1]})
    return st.one_of(known, known, known, misspelt, missing)


def _near(schema: Any) -> st.SearchStrategy[Any]:
    """Mostly what the schema describes; now and then a value of the wrong type."""
    return st.one_of(_good(schema), _good(schema), _good(schema), WRONG_TYPES)


def _valid(schema: Any) -> st.SearchStrategy[Any]:
    """Values the schema accepts, built from its keywords."""
    if schema is True:
        return SCALARS
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "anyOf" in schema:
        return st.one_of([_valid(option) for option in schema["anyOf"]])
    kind = schema.get("type")
    if kind == "string":
        if schema.get("format") == "date":
            return st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)).map(dt.date.isoformat)
        if "pattern" in schema:
            return st.from_regex(schema["pattern"])
        return st.text(min_size=schema.get("minLength", 0), max_size=6)
    if kind == "integer":
        return st.integers(schema.get("minimum", -3), schema.get("maximum", 300))
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        return st.lists(_valid(schema.get("items", True)), max_size=3)
    assert kind == "object", schema
    properties = schema.get("properties", {})
    required = schema.get("required", [])
    known = st.fixed_dictionaries(
        {k: _valid(properties[k]) for k in required},
        optional={k: _valid(v) for k, v in properties.items() if k not in required},
    )
    extra = schema.get("additionalProperties", True)
    if not isinstance(extra, dict):
        return known
    names = schema.get("propertyNames", {}).get("pattern")
    keys = st.from_regex(names) if names else st.text(max_size=6)
    more = st.dictionaries(keys.filter(lambda k: k not in properties), _valid(extra), max_size=3)
    return st.builds(lambda a, b: {**b, **a}, known, more)


def _off(schema: Any, value: Any) -> st.SearchStrategy[Any]:
    """A value near ``value`` that misses ``schema`` by one step (or, by chance, does not)."""
    options: list[st.SearchStrategy[Any]] = [WRONG_TYPES]
    if "enum" in schema:
        texts = [v for v in schema["enum"] if isinstance(v, str)]
        options.append(st.sampled_from([t.title() for t in texts] + [t + " " for t in texts]))
    kind = schema.get("type")
    if kind == "string":
        options.append(_near_strings(schema))
    elif kind == "integer":
        low, high = schema.get("minimum", -3), schema.get("maximum", 300)
        options.append(st.sampled_from([low - 1, high + 1, float(low), low + 0.5, str(low)]))
    elif kind == "boolean":
        options.append(st.sampled_from([0, 1, "true", "yes", None]))
    elif kind == "object" and isinstance(value, dict):
        properties = schema.get("properties", {})
        keys = ["bogus", *(k.title() for k in properties), *(k + "s" for k in properties)]
        options.append(st.builds(lambda k, v: {**value, k: v}, st.sampled_from(keys), SCALARS))
        for key in schema.get("required", ()):
            options.append(st.just({k: v for k, v in value.items() if k != key}))
    # The subtle misses (a date Python reads, a key in the wrong case) more often than a
    # value of the wrong type.
    return st.one_of(options[:1] + options[1:] * 3)


def _option(schema: Any, value: Any) -> Any:
    """The option of an anyOf that ``value`` (a valid one) was built for."""
    while isinstance(schema, dict) and "anyOf" in schema:
        schema = next(o for o in schema["anyOf"] if _compiled(o)(value))
    return schema


_COMPILED: dict[int, Any] = {}


def _compiled(schema: Any) -> Any:
    if id(schema) not in _COMPILED:
        _COMPILED[id(schema)] = compile_schema(schema)  # parts of SCHEMA: alive all along
    return _COMPILED[id(schema)]


def _children(schema: Any, value: Any) -> list[tuple[Any, Any]]:
    """(place, subschema) of each part of ``value``."""
    if isinstance(value, list):
        return [(i, schema.get("items", True)) for i in range(len(value))]
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        return [(k, properties.get(k, extra)) for k in value]
    return []


@st.composite
def one_step_off(draw: st.DrawFn, schema: Any) -> Any:
    """A valid document with one of its nodes (at any depth) replaced by a near miss."""

    def mutate(node_schema: Any, value: Any) -> Any:
        node_schema = _option(node_schema, value)
        children = _children(node_schema, value)
        if children and draw(st.integers(0, 7)):  # mostly a leaf: where the subtle misses are
            place, child_schema = draw(st.sampled_from(children))
            copy = value.copy()
            copy[place] = mutate(child_schema, value[place])
            return copy
        return draw(_off(node_schema, value))

    return mutate(schema, draw(_valid(schema)))


def _places(schema: Any, trail: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    """Every place of the schema (an option of an anyOf, a property, any item, any other key)
    down to its leaves, with the schema that holds there."""
    if "anyOf" in schema:
        return [
            place
            for i, option in enumerate(schema["anyOf"])
            for place in _places(option, (*trail, ("option", i)))
        ]
    found = [(trail, schema)]
    if schema.get("type") == "object":
        for key, sub in schema.get("properties", {}).items():
            found += _places(sub, (*trail, ("property", key)))
        if isinstance(schema.get("additionalProperties"), dict):
            found += _places(schema["additionalProperties"], (*trail, ("other key",)))
    elif schema.get("type") == "array":
        found += _places(schema.get("items", True), (*trail, ("item",)))
    return found


@st.composite
def _missed_at(draw: st.DrawFn, schema: Any, trail: tuple[Any, ...]) -> Any:
    """The smallest valid document around the place ``trail``, a near miss at that place."""
    if not trail:
        return draw(_off(schema, draw(_valid(schema))))
    step, rest = trail[0], trail[1:]
    if step[0] == "option":
        return draw(_missed_at(schema["anyOf"][step[1]], rest))
    if step[0] == "item":
        return [draw(_missed_at(schema["items"], rest))]
    properties = schema.get("properties", {})
    doc = {k: draw(_valid(properties[k])) for k in schema.get("required", ())}
    if step[0] == "property":
        doc[step[1]] = draw(_missed_at(properties[step[1]], rest))
        return doc
    names = schema.get("propertyNames", {}).get("pattern")
    key = draw(
        st.from_regex(names).filter(lambda k: k not in properties) if names else st.just("x")
    )
    doc[key] = draw(_missed_at(schema["additionalProperties"], rest))
    return doc


PLACES = _places(SCHEMA)


@pytest.mark.parametrize(
    "trail",
    [t for t, _ in PLACES],
    ids=["/".join(str(s[-1]) for s in t) or "top" for t, _ in PLACES],
)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_near_miss_at_each_place_of_the_schema_gets_jsonschemas_verdict(
    trail: tuple[Any, ...], data: st.DataObject
) -> None:
    doc = data.draw(_missed_at(SCHEMA, trail))
    assert FAST(doc) == VALIDATOR.is_valid(doc), doc


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_valid(SCHEMA))
def test_a_valid_configuration_passes_the_fast_check(doc: dict[str, Any]) -> None:
    assert VALIDATOR.is_valid(doc), doc
    assert FAST(doc), doc


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(one_step_off(SCHEMA))
def test_the_fast_check_never_accepts_what_jsonschema_rejects(doc: dict[str, Any]) -> None:
    # Equal verdicts: the fast path accepts nothing jsonschema rejects (the property that
    # matters), and rejects nothing it accepts (so a valid file never pays for jsonschema).
    assert FAST(doc) == VALIDATOR.is_valid(doc), doc


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_objects(SCHEMA))
def test_documents_wrong_in_many_places_get_the_same_verdict(doc: dict[str, Any]) -> None:
    assert FAST(doc) == VALIDATOR.is_valid(doc), doc


# -- any small schema of the keywords the compiler knows ------------------------------------

VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("abc"), inner, max_size=3)
    ),
    max_leaves=8,
)
LEAF_SCHEMAS = st.one_of(
    st.booleans(),
    st.builds(
        lambda t: {"type": t},
        st.sampled_from(["string", "integer", "number", "boolean", "null", "array", "object"])
        | st.just(["integer", "string"]),
    ),
    st.builds(lambda e: {"enum": e}, st.lists(VALUES, min_size=1, max_size=3)),
    st.builds(lambda c: {"const": c}, VALUES),
    st.builds(
        lambda k, n: {k: n},
        st.sampled_from(["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"]),
        st.sampled_from([-1, 0, 1, 1.5]),
    ),
    st.builds(
        lambda k, n: {k: n},
        st.sampled_from(
            ["minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"]
        ),
        st.integers(0, 2),
    ),
    st.builds(
        lambda p: {"pattern": p}, st.sampled_from(["^a", "b$", "^\\d+$", "^[a-z]{2}$", "a|^$"])
    ),
    st.just({"format": "date"}),
    st.just({"uniqueItems": True}),
    st.builds(lambda r: {"required": r}, st.lists(st.sampled_from("abc"), max_size=2, unique=True)),
)


def _compose(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    keyed = st.dictionaries(st.sampled_from("abc"), inner, max_size=2)
    return st.one_of(
        st.builds(lambda s: {"items": s}, inner),
        st.builds(lambda p, a: {"properties": p, "additionalProperties": a}, keyed, inner),
        st.builds(lambda p: {"properties": p}, keyed),
        st.builds(lambda s: {"propertyNames": s}, inner),
        st.builds(
            lambda k, s: {k: s},
            st.sampled_from(["anyOf", "allOf", "oneOf"]),
            st.lists(inner, min_size=1, max_size=3),
        ),
        st.builds(lambda s: {"not": s}, inner),
        st.builds(
            lambda a, b: {**b, **a} if isinstance(a, dict) and isinstance(b, dict) else a,
            inner,
            inner,
        ),
    )


SCHEMAS = st.recursive(LEAF_SCHEMAS, _compose, max_leaves=6)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SCHEMAS, VALUES)
def test_any_compiled_schema_accepts_nothing_jsonschema_rejects(schema: Any, value: Any) -> None:
    if compile_schema(schema)(value):
        assert _schema_valid(schema, value), (schema, value)
