"""Locating walks only the containers a finding asks about: it must name the same place the
full token scan does, for present and absent paths, however the document is laid out."""

from __future__ import annotations

import json
import sys
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from iamgate.document import JsonPath, _Scanner, parse_text

SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=6)
VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=25,
)
OBJECTS = st.dictionaries(st.text(max_size=6), VALUES, max_size=5)
LAYOUTS = st.sampled_from([None, 0, 2, "\t"])


def _paths(value: Any, path: JsonPath = ()) -> list[JsonPath]:
    found: list[JsonPath] = [path, (*path, "absent"), (*path, 99)]
    if isinstance(value, dict):
        for key, child in value.items():
            found.extend(_paths(child, (*path, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.extend(_paths(child, (*path, index)))
    return found


def _scanned(
    values: dict[JsonPath, int], keys: dict[JsonPath, int], path: JsonPath, *, key: bool
) -> int:
    """The offset the full scan gives: the deepest recorded prefix (the name for ``key``)."""
    if key and path in keys:
        return keys[path]
    for end in range(len(path), -1, -1):
        if path[:end] in values:
            return values[path[:end]]
    return 0


def _offset(text: str, position: tuple[int, int]) -> int:
    line, column = position
    starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    return starts[line - 1] + column - 1


@settings(max_examples=200, deadline=None)
@given(OBJECTS, LAYOUTS, st.booleans())
def test_the_lazy_walk_and_the_full_scan_name_the_same_place(
    value: dict[str, Any], indent: int | str | None, ascii_only: bool
) -> None:
    text = "\n  " + json.dumps(value, indent=indent, ensure_ascii=ascii_only) + "\n"
    doc = parse_text(text, "p.json")
    values: dict[JsonPath, int] = {}
    keys: dict[JsonPath, int] = {}
    _Scanner(text, values, keys).scan()
    for path in _paths(value):
        assert _offset(text, doc.locate(path)) == _scanned(values, keys, path, key=False)
        assert _offset(text, doc.locate_key(path)) == _scanned(values, keys, path, key=True)


def test_escaped_member_names_are_found_by_their_decoded_name() -> None:
    text = '{"Act\\u0069on": ["a", "b"], "\\"q\\"": 1}'
    doc = parse_text(text, "p.json")
    assert doc.locate(("Action", 1)) == (1, 23)
    assert doc.locate_key(('"q"',)) == (1, 29)


def test_only_the_containers_on_the_asked_path_are_indexed() -> None:
    doc = parse_text(json.dumps({"A": {"x": [1, 2]}, "B": {"y": {"z": 3}}}), "p.json")
    doc.locate(("A", "x", 1))
    # The top object only up to "A" (B's value is never passed over); A and x in full.
    assert doc._indexed == {("A",), ("A", "x")}
    assert set(doc._open) == {()}
    assert ("B",) not in doc._values and ("B", "y") not in doc._values
    assert doc.locate(("B", "y")) == (1, 33)  # the top object goes on from A
    assert doc._indexed == {(), ("A",), ("A", "x"), ("B",)} and not doc._open


def test_nesting_json_cannot_rescan_falls_back_to_the_full_scan() -> None:
    # Parsed near the top of the stack, located deep down it: json's recursive scanner
    # gives up where the token scan does not.
    depth = sys.getrecursionlimit() - 100
    text = '{"a":' * depth + '[1, {"b": 2}]' + "}" * depth
    doc = parse_text(text, "deep.json")

    def deep(levels: int) -> tuple[int, int]:
        return deep(levels - 1) if levels else doc.locate(("a",) * depth + (1, "b"))

    assert deep(200) == (1, 5 * depth + 11)


STRING_LISTS = st.lists(st.text(alphabet='a"\\é ,]', max_size=4), min_size=1, max_size=6)
MIXED = st.dictionaries(st.text(max_size=4), VALUES | STRING_LISTS, max_size=5)


@settings(max_examples=300, deadline=None)
@given(st.data(), st.lists(MIXED | STRING_LISTS, min_size=1, max_size=3), LAYOUTS)
def test_members_asked_for_in_any_order_are_where_the_full_scan_puts_them(
    data: st.DataObject, statements: list[Any], indent: int | str | None
) -> None:
    # A walk stops at the member asked for and goes on from there when a later one is asked
    # for; a list of strings is measured whole. Any order of questions lands where a full
    # scan does, also for a member asked for again and for absent ones (-1, past the end).
    value = {"Version": "2012-10-17", "Statement": statements, "Id": ["x", "y"]}
    text = json.dumps(value, indent=indent)
    doc = parse_text(text, "p.json")
    values: dict[JsonPath, int] = {}
    keys: dict[JsonPath, int] = {}
    _Scanner(text, values, keys).scan()
    paths = [p for p in _paths(value) if p] + [("Statement", -1), ("Id", 2), ("Id", 1)]
    for path in data.draw(st.permutations(paths)):
        assert _offset(text, doc.locate(path)) == _scanned(values, keys, path, key=False)
        assert _offset(text, doc.locate_key(path)) == _scanned(values, keys, path, key=True)
