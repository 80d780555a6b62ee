"""The strict loader: every way a file fails is a located LoadError, never a crash."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iamgate.document import Document, JsonPath, LoadError, load, parse, parse_text
from iamgate.rules import rule_for


def load_error(raw: bytes | str) -> LoadError:
    data = raw.encode() if isinstance(raw, str) else raw
    with pytest.raises(LoadError) as caught:
        parse(data, "policy.json")
    return caught.value


def where(error: LoadError) -> tuple[str, int, int]:
    return rule_for(error.problem).id, error.line, error.column


# -- every loader failure, with its exact position ---------------------------------------


def test_trailing_comma_is_located_at_the_comma() -> None:
    text = '{\n  "Version": "2012-10-17",\n  "Statement": [],\n}'
    error = load_error(text)
    assert where(error) == ("IG001", 3, 18)
    assert "trailing comma" in error.message


def test_trailing_comma_in_a_list_is_located_at_the_comma() -> None:
    error = load_error('{"Action": ["s3:GetObject",\n  ]}')
    assert where(error) == ("IG001", 1, 27)


def test_line_comment_is_located_where_it_starts() -> None:
    error = load_error('{\n  // allow reads\n  "Version": "2012-10-17"\n}')
    assert where(error) == ("IG001", 2, 3)
    assert "comments are not allowed" in error.message


def test_block_comment_is_rejected() -> None:
    assert where(load_error('{"Version": /* v */ "2012-10-17"}')) == ("IG001", 1, 13)


def test_duplicate_condition_operator_is_located_at_the_second_occurrence() -> None:
    text = (
        "{\n"
        '  "Statement": [{\n'
        '    "Effect": "Allow",\n'
        '    "Condition": {\n'
        '      "StringEquals": {"aws:username": "a"},\n'
        '      "StringEquals": {"s3:prefix": "b"}\n'
        "    }\n"
        "  }]\n"
        "}"
    )
    error = load_error(text)
    assert where(error) == ("IG003", 6, 7)
    assert '"StringEquals"' in error.message


def test_duplicate_keys_are_compared_after_unescaping() -> None:
    # "\u0041ction" is "Action": json keeps one of the two silently.
    error = load_error('{"Action": "a", "\\u0041ction": "b"}')
    assert where(error) == ("IG003", 1, 17)


def test_same_key_in_sibling_objects_is_not_a_duplicate() -> None:
    doc = parse(b'{"Statement": [{"Effect": "Allow"}, {"Effect": "Deny"}]}', "p.json")
    assert doc.data["Statement"][1]["Effect"] == "Deny"


def test_latin1_byte_is_located_by_character_column() -> None:
    # The é before the bad byte is two UTF-8 bytes but one column.
    raw = b'{\n  "Id": "\xc3\xa9", "Sid": "Caf\xe9"\n}'
    error = load_error(raw)
    assert where(error) == ("IG002", 2, 25)
    assert "0xe9" in error.message and "Latin-1" in error.message


def test_utf8_byte_order_mark_is_rejected() -> None:
    assert where(load_error(b'\xef\xbb\xbf{"Version": "2012-10-17"}')) == ("IG002", 1, 1)


def test_utf16_file_is_reported_as_an_encoding_problem_not_as_binary() -> None:
    error = load_error('{"Version": "2012-10-17"}'.encode("utf-16"))
    assert where(error) == ("IG002", 1, 1)
    assert "UTF-16" in error.message


@pytest.mark.parametrize("raw", [b"", b"   \n\t\r\n"])
def test_empty_file(raw: bytes) -> None:
    error = load_error(raw)
    assert where(error) == ("IG004", 1, 1)
    assert "empty" in error.message


def test_binary_file_is_located_at_the_first_nul_byte() -> None:
    error = load_error(b'{\n "a": "\x00\x01"}')
    assert where(error) == ("IG004", 2, 8)
    assert "binary" in error.message


@pytest.mark.parametrize(
    ("text", "line", "column", "kind"),
    [
        ("\n  [1, 2]", 2, 3, "an array"),
        ('"policy"', 1, 1, "a string"),
        ("42", 1, 1, "a number"),
        ("true", 1, 1, "a boolean"),
        ("  null", 1, 3, "null"),
    ],
)
def test_top_level_that_is_not_an_object(text: str, line: int, column: int, kind: str) -> None:
    error = load_error(text)
    assert where(error) == ("IG004", line, column)
    assert f"the top level is {kind}" in error.message


def test_nan_is_located_outside_strings() -> None:
    # The string "NaN" earlier in the file is not the culprit.
    error = load_error('{"Sid": "NaN",\n "Condition": NaN}')
    assert where(error) == ("IG001", 2, 15)
    assert "NaN is not a JSON value" in error.message


@pytest.mark.parametrize("constant", ["Infinity", "-Infinity"])
def test_infinity_is_rejected(constant: str) -> None:
    error = load_error(f'{{"a": {constant}}}')
    assert where(error) == ("IG001", 1, 7)
    assert constant in error.message


def test_truncated_file_is_located_at_its_end() -> None:
    error = load_error('{\n  "Statement": [\n    {"Effect": "Allow"')
    assert where(error) == ("IG001", 3, 23)
    assert "ends before the JSON is complete" in error.message


def test_unclosed_string_is_located_where_it_opens() -> None:
    error = load_error('{"Sid": "Read}')
    assert where(error) == ("IG001", 1, 9)
    assert "not closed" in error.message


def test_raw_tab_inside_a_string_is_rejected() -> None:
    error = load_error('{"Sid": "Re\tad"}')
    assert where(error) == ("IG001", 1, 12)


def test_single_quotes_are_rejected() -> None:
    error = load_error("{'Version': '2012-10-17'}")
    assert where(error) == ("IG001", 1, 2)
    assert "double quotes" in error.message


def test_text_after_the_policy_is_rejected() -> None:
    error = load_error('{"Version": "2012-10-17"}\n{}')
    assert where(error) == ("IG001", 2, 1)


def test_integer_too_long_for_python_is_a_finding_not_a_crash() -> None:
    error = load_error('{"Sid": "1111",\n "a": ' + "1" * 5000 + "}")
    assert where(error) == ("IG001", 2, 7)


def test_nesting_deeper_than_python_can_follow_is_a_finding() -> None:
    error = load_error('{"a":' * 100_000 + "1" + "}" * 100_000)
    assert where(error) == ("IG001", 1, 1)


def test_missing_file_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(LoadError) as caught:
        load(tmp_path / "absent.json", "absent.json")
    assert where(caught.value) == ("IG005", 1, 1)
    assert "cannot read" in caught.value.message


def test_folder_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(LoadError) as caught:
        load(tmp_path, "policies")
    assert rule_for(caught.value.problem).id == "IG005"


def test_dangling_symlink_is_unreadable(tmp_path: Path) -> None:
    # Runs as root too, where a file's mode cannot make it unreadable.
    path = tmp_path / "gone.json"
    path.symlink_to(tmp_path / "deleted.json")
    with pytest.raises(LoadError) as caught:
        load(path, "gone.json")
    assert rule_for(caught.value.problem).id == "IG005"
    assert "cannot read" in caught.value.message


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_file_without_read_permission_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "secret.json"
    path.write_text("{}")
    path.chmod(0)
    with pytest.raises(LoadError) as caught:
        load(path, "secret.json")
    assert rule_for(caught.value.problem).id == "IG005"


# -- positions of nodes ----------------------------------------------------------------------

POLICY = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
    {
      "Effect": "Deny",
      "Action": ["iam:CreateRole", "iam:PutRolePolicy"],
      "Resource": "*",
      "Condition": {"StringNotEquals": {"iam:PermissionsBoundary": "arn:aws:iam::1:policy/B"}}
    }
  ]
}"""


def test_clean_file_does_not_build_the_position_index() -> None:
    doc = parse(POLICY.encode(), "p.json")
    assert not doc._values
    doc.locate(("Version",))
    assert doc._values


@pytest.mark.parametrize(
    ("path", "position"),
    [
        ((), (1, 1)),
        (("Version",), (2, 14)),
        (("Statement",), (3, 16)),
        (("Statement", 0), (4, 5)),
        (("Statement", 0, "Action"), (4, 35)),
        (("Statement", 1), (5, 5)),
        (("Statement", 1, "Action", 1), (7, 36)),
        (("Statement", 1, "Condition", "StringNotEquals"), (9, 40)),
        (("Statement", 1, "Condition", "StringNotEquals", "iam:PermissionsBoundary"), (9, 68)),
    ],
)
def test_locate_finds_where_each_value_starts(path: JsonPath, position: tuple[int, int]) -> None:
    assert parse_text(POLICY, "p.json").locate(path) == position


@pytest.mark.parametrize(
    ("path", "position"),
    [
        (("Version",), (2, 3)),
        (("Statement", 0, "Resource"), (4, 51)),
        (("Statement", 1, "Condition", "StringNotEquals"), (9, 21)),
        (("Statement", 1, "Condition", "StringNotEquals", "iam:PermissionsBoundary"), (9, 41)),
        # A list item has no name: its value is where it is.
        (("Statement", 1, "Action", 1), (7, 36)),
    ],
)
def test_locate_key_finds_the_member_name(path: JsonPath, position: tuple[int, int]) -> None:
    assert parse_text(POLICY, "p.json").locate_key(path) == position


def test_absent_path_is_located_at_its_nearest_ancestor() -> None:
    doc = parse_text(POLICY, "p.json")
    assert doc.locate(("Statement", 0, "Condition", "Bool")) == (4, 5)
    assert doc.locate(("Nope", 3)) == (1, 1)


def test_columns_count_characters_not_bytes() -> None:
    doc = parse('{\n"Sid": "é", "Effect": "Allow"}'.encode(), "p.json")
    assert doc.locate(("Effect",)) == (2, 23)


def test_windows_line_endings_keep_lines_and_columns() -> None:
    doc = parse(b'{\r\n  "Version": "2012-10-17",\r\n  "Id": "x"\r\n}', "p.json")
    assert doc.locate(("Id",)) == (3, 9)


def test_nesting_deeper_than_a_recursive_scanner_can_follow_is_located() -> None:
    depth = 500
    doc = parse_text('{"a":' * depth + '[1, {"b": 2}]' + "}" * depth, "deep.json")
    assert doc.locate(("a",) * depth + (1, "b")) == (1, 5 * depth + 11)


def test_duplicate_key_deep_inside_is_found_without_recursion() -> None:
    depth = 500
    error = load_error('{"a":' * depth + '{"k": 1, "k": 2}' + "}" * depth)
    assert where(error) == ("IG003", 1, 5 * depth + 10)


# -- properties ------------------------------------------------------------------------------

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=30,
)
LAYOUTS = st.fixed_dictionaries(
    {"indent": st.sampled_from([None, 0, 2, "\t"]), "ensure_ascii": st.booleans()}
)


def _offset(text: str, position: tuple[int, int]) -> int:
    line, column = position
    starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    return starts[line - 1] + column - 1


def _paths(value: Any, path: JsonPath = ()) -> list[tuple[JsonPath, Any]]:
    found: list[tuple[JsonPath, Any]] = [(path, value)]
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, child in items:
        found.extend(_paths(child, (*path, key)))
    return found


def _strict_loads(text: str) -> Any:
    """What a strict reader accepts: json.loads without constants or duplicate names."""

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        if len({k for k, _ in pairs}) != len(pairs):
            raise ValueError("duplicate")
        return dict(pairs)

    def no_constant(name: str) -> Any:
        raise ValueError(name)

    return json.loads(text, object_pairs_hook=no_duplicates, parse_constant=no_constant)


def _assert_located(error: LoadError) -> None:
    assert rule_for(error.problem).id in {"IG001", "IG002", "IG003", "IG004"}
    assert error.line >= 1 and error.column >= 1
    assert error.message


@settings(max_examples=300)
@given(st.binary(max_size=400))
def test_random_bytes_give_a_document_or_a_located_load_error(raw: bytes) -> None:
    try:
        doc = parse(raw, "random.json")
    except LoadError as error:
        _assert_located(error)
    else:
        assert isinstance(doc.data, dict)


@settings(max_examples=200)
@given(JSON_VALUES, LAYOUTS)
def test_any_json_value_parses_when_an_object_and_is_located_exactly(
    value: Any, layout: dict[str, Any]
) -> None:
    text = json.dumps(value, **layout)
    if not isinstance(value, dict):
        error = load_error(text)
        assert rule_for(error.problem).id == "IG004"
        _assert_located(error)
        return
    doc = parse(text.encode(), "value.json")
    assert doc.data == value
    decoder = json.JSONDecoder()
    for path, expected in _paths(value):
        start = _offset(text, doc.locate(path))
        assert decoder.raw_decode(text, start)[0] == expected
        if path and isinstance(path[-1], str):
            key_start = _offset(text, doc.locate_key(path))
            assert decoder.raw_decode(text, key_start)[0] == path[-1]


EDIT_CHARACTERS = st.sampled_from([*",:{}[]\"\\/#' \n", "NaN", "\x00", "\xe9", "//"])


@settings(max_examples=400)
@given(JSON_VALUES, LAYOUTS, st.data())
def test_edited_json_is_accepted_exactly_when_strict_json_accepts_an_object(
    value: Any, layout: dict[str, Any], data: st.DataObject
) -> None:
    # One typo in a valid document: the border between accepted and rejected.
    text = json.dumps({"Statement": value}, **layout)
    at = data.draw(st.integers(0, len(text)))
    delete = data.draw(st.integers(0, 2))
    text = text[:at] + data.draw(EDIT_CHARACTERS) + text[at + delete :]
    try:
        expected = _strict_loads(text)
    except (ValueError, RecursionError):
        expected = None
    try:
        doc = parse(text.encode(), "edited.json")
    except LoadError as error:
        _assert_located(error)
        assert not isinstance(expected, dict)
    else:
        assert doc.data == expected


@settings(max_examples=150)
@given(
    st.lists(st.text(max_size=6), min_size=1, max_size=5, unique=True),
    st.data(),
)
def test_duplicate_name_is_located_at_its_second_occurrence(
    keys: list[str], data: st.DataObject
) -> None:
    duplicate = data.draw(st.sampled_from(keys))
    members = [json.dumps(k) + ": 0" for k in keys]
    insert_at = data.draw(st.integers(keys.index(duplicate) + 1, len(members)))
    members.insert(insert_at, json.dumps(duplicate) + ': "again"')
    prefix = '{"Statement": [\n  {'
    text = prefix + ", ".join(members) + "}]}"
    offset = len(prefix) + len(", ".join(members[:insert_at])) + (2 if insert_at else 0)
    error = load_error(text)
    assert rule_for(error.problem).id == "IG003"
    assert (error.line, error.column) == (2, offset - len('{"Statement": [\n') + 1)


def test_document_keeps_text_and_display() -> None:
    doc = parse(b'{"Version": "2012-10-17"}', "policies/a.json")
    assert isinstance(doc, Document)
    assert doc.display == "policies/a.json"
    assert doc.text == '{"Version": "2012-10-17"}'
