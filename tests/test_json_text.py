"""The reports' JSON writer gives json.dumps(indent=2, ensure_ascii=False)'s text exactly."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from iamgate.reports.json_text import dumps

KEYS = st.text(max_size=6) | st.integers() | st.floats() | st.booleans() | st.none()
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.lists(children, max_size=3).map(tuple)
        | st.dictionaries(KEYS, children, max_size=4)
    ),
    max_leaves=40,
)


@settings(max_examples=500)
@given(VALUES)
def test_the_text_is_json_dumps_text(value: Any) -> None:
    assert dumps(value) == json.dumps(value, indent=2, ensure_ascii=False)


def test_what_json_cannot_write_is_refused_alike() -> None:
    for value in ({"a": {1, 2}}, {(1, 2): "x"}):
        try:
            json.dumps(value, indent=2)
        except TypeError:
            pass
        else:
            raise AssertionError("json.dumps should refuse it")
        try:
            dumps(value)
        except TypeError:
            continue
        raise AssertionError("dumps should refuse it")


def test_a_statement_reference_is_written_as_all_its_fields() -> None:
    from dataclasses import asdict

    from iamgate.findings import StatementRef

    ref = StatementRef("p.json", 4, "Sid1", 2, "Deny")
    assert ref.to_dict() == asdict(ref)
    assert list(ref.to_dict()) == list(asdict(ref))


def test_subclasses_of_str_int_list_and_dict_are_written_as_json_writes_them() -> None:
    import enum
    from collections import OrderedDict

    class Level(enum.IntEnum):
        HIGH = 3

    class Name(str):
        pass

    value = OrderedDict(
        [("a", Level.HIGH), (Name("b"), [Name("x"), (1.5, True)]), (2.5, {True: None})]
    )
    assert dumps(value) == json.dumps(value, indent=2, ensure_ascii=False)
    assert dumps([Level.HIGH, {"k": Name("v")}]) == json.dumps(
        [Level.HIGH, {"k": Name("v")}], indent=2, ensure_ascii=False
    )
