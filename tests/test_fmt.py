"""`iamgate fmt`: canonical, idempotent, content-preserving, and hands off what it cannot parse."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iamgate.cli import main as iamgate
from iamgate.document import LoadError, parse
from iamgate.fmt import POLICY_KEYS, STATEMENT_KEYS, format_file, format_policy
from iamgate.rules import rule_for

REPO = Path(__file__).resolve().parent.parent
# Tools' own folders (the result cache, mypy's, ...) hold JSON that is not a policy source.
NOT_SOURCES = {
    ".git",
    ".venv",
    "node_modules",
    ".hypothesis",
    ".pytest_cache",
    ".iamgate_cache",
    ".mypy_cache",
    ".mypy_stage",
    "build",
    "dist",
}


def _corpus() -> list[Path]:
    """Every JSON object in the repository the strict loader accepts: the example project,
    the templates, the SCPs and every test fixture."""
    found = []
    for path in sorted(REPO.rglob("*.json")):
        relative = path.relative_to(REPO)
        if NOT_SOURCES & set(relative.parts) or relative.parts[0] == "bench":
            continue
        try:
            parse(path.read_bytes(), str(relative))
        except (LoadError, OSError):
            continue  # a deliberately broken fixture: fmt must leave it alone (tested below)
        found.append(path)
    return found


CORPUS = _corpus()


@pytest.mark.parametrize("path", CORPUS, ids=[p.relative_to(REPO).as_posix() for p in CORPUS])
def test_fmt_is_idempotent_and_preserves_content_on_every_policy_in_the_repository(
    path: Path,
) -> None:
    text = path.read_text(encoding="utf-8")
    once = format_policy(text)
    assert json.loads(once) == json.loads(text)
    assert format_policy(once) == once


def test_the_corpus_covers_the_example_project() -> None:
    names = {p.relative_to(REPO).as_posix() for p in CORPUS}
    assert {"policies/DelegatePermissions.json", "boundaries/S3AccessBoundary.json"} <= names


@pytest.mark.parametrize("folder", ["policies", "boundaries", "scps", "iamgate/templates"])
def test_the_example_project_and_templates_are_already_canonical(folder: str) -> None:
    # The repository's own pre-commit config runs iamgate-fmt on these files.
    for path in sorted((REPO / folder).glob("*.json")):
        text = path.read_text(encoding="utf-8")
        assert format_policy(text) == text, f"{path} is not canonical: run iamgate fmt"


def test_keys_take_iams_customary_order_and_unknown_keys_keep_theirs() -> None:
    text = json.dumps(
        {
            "Zeta": 1,
            "Statement": [
                {
                    "Condition": {"Bool": {"aws:SecureTransport": "true"}},
                    "Custom2": "b",
                    "Resource": "*",
                    "NotAction": "iam:*",
                    "Custom1": "a",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Sid": "S",
                }
            ],
            "Id": "x",
            "Alpha": 2,
            "Version": "2012-10-17",
        }
    )
    data = json.loads(format_policy(text))
    assert list(data) == ["Version", "Id", "Statement", "Zeta", "Alpha"]
    assert list(data["Statement"][0]) == [
        "Sid",
        "Effect",
        "Principal",
        "NotAction",
        "Resource",
        "Condition",
        "Custom2",
        "Custom1",
    ]


def test_a_single_statement_object_is_ordered_too() -> None:
    text = '{"Statement": {"Resource": "*", "Action": "s3:GetObject", "Effect": "Allow"}}'
    data = json.loads(format_policy(text))
    assert list(data["Statement"]) == ["Effect", "Action", "Resource"]


def test_layout_is_two_space_indent_with_one_final_newline() -> None:
    text = (
        '{"Version":"2012-10-17",'
        '"Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":[]}]}'
    )
    assert format_policy(text) == (
        "{\n"
        '  "Version": "2012-10-17",\n'
        '  "Statement": [\n'
        "    {\n"
        '      "Effect": "Allow",\n'
        '      "Action": [\n'
        '        "s3:GetObject"\n'
        "      ],\n"
        '      "Resource": []\n'
        "    }\n"
        "  ]\n"
        "}\n"
    )


def test_list_order_is_the_authors() -> None:
    text = (
        '{"Statement": [{"Action": ["s3:PutObject", "iam:CreateRole", "s3:GetObject"]},'
        ' {"Sid": "B"}]}'
    )
    data = json.loads(format_policy(text))
    assert data["Statement"][0]["Action"] == ["s3:PutObject", "iam:CreateRole", "s3:GetObject"]
    assert data["Statement"][1] == {"Sid": "B"}


def test_nested_maps_keep_the_authors_order() -> None:
    text = '{"Statement": [{"Condition": {"StringLike": {"b": "1", "a": "2"}, "Bool": {}}}]}'
    formatted = format_policy(text)
    assert formatted.index('"StringLike"') < formatted.index('"Bool"')
    assert formatted.index('"b"') < formatted.index('"a"')


def test_non_ascii_text_is_kept_as_is_and_escapes_become_characters() -> None:
    formatted = format_policy('{"Id": "Zürich \\u00e9t\\u00e9 \\u2603", "Sid": "\\"q\\"\\n"}')
    assert '"Id": "Zürich été ☃"' in formatted
    assert '"Sid": "\\"q\\"\\n"' in formatted


def test_a_lone_surrogate_stays_escaped_so_the_file_remains_utf8() -> None:
    formatted = format_policy('{"Id": "\\ud800x"}')
    assert '"\\ud800x"' in formatted
    formatted.encode("utf-8")  # would raise on a raw surrogate


def test_numbers_keep_their_exact_spelling() -> None:
    text = (
        '{"Statement": [{"Condition": {"NumericLessThan": {"k": [1.10e2, 0.10, -0, 1e400, 7]}}}]}'
    )
    formatted = format_policy(text)
    assert "1.10e2" in formatted and "0.10" in formatted and "1e400" in formatted
    assert "Infinity" not in formatted


def test_windows_line_endings_and_tabs_become_the_canonical_layout() -> None:
    text = '{\r\n\t"Version": "2012-10-17",\r\n\t"Statement": []\r\n}\r\n'
    assert format_policy(text) == '{\n  "Version": "2012-10-17",\n  "Statement": []\n}\n'


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"Version": "2012-10-17",}', "not valid JSON"),
        (b'{"Sid": "a", "Sid": "b"}', "duplicate key"),
        # A BOM is named as such: the file is UTF-8, only the mark must go.
        (
            b'\xef\xbb\xbf{"Version": "2012-10-17"}',
            "UTF-8 with a byte-order mark (BOM), which IAM rejects; save it without the BOM",
        ),
        (b"\xff\xfe{\x00}\x00", "UTF-16 text, not UTF-8"),
        (b'{"Id": "caf\xe9"}', "not UTF-8 text"),
        (b"Version: '2012-10-17'\nStatement: []\n", "YAML, not JSON"),
        (b"", "not a JSON object"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"Id": NaN}', "not valid JSON"),
    ],
)
def test_a_file_the_loader_rejects_is_never_rewritten(
    tmp_path: Path, raw: bytes, reason: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(raw)
    outcome = format_file(path, write=True)
    assert outcome.status == "skipped"
    assert outcome.reason == reason
    assert path.read_bytes() == raw


def test_format_policy_raises_the_loaders_located_error() -> None:
    with pytest.raises(LoadError) as caught:
        format_policy('{\n  "a": 1,\n}')
    assert (rule_for(caught.value.problem).id, caught.value.line) == ("IG001", 2)


# -- the command ---------------------------------------------------------------------------

MESSY = (
    '{"Statement":[{"Resource":"*","Effect":"Allow","Action":"s3:GetObject"}],'
    '"Version":"2012-10-17"}'
)


def _project(root: Path) -> Path:
    (root / "policies").mkdir(parents=True)
    (root / "boundaries").mkdir()
    (root / "iamgate.yaml").write_text("lint:\n  fail-on: error\n", encoding="utf-8")
    (root / "policies" / "messy.json").write_text(MESSY, encoding="utf-8")
    (root / "boundaries" / "clean.json").write_text(format_policy(MESSY), encoding="utf-8")
    (root / "policies" / "broken.json").write_text('{"Version": ', encoding="utf-8")
    (root / "notes.json").write_text(MESSY, encoding="utf-8")  # outside the policy folders
    return root


def test_check_exits_1_naming_the_files_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path)
    monkeypatch.chdir(root)
    assert iamgate(["fmt", "--check"]) == 1
    out, err = capsys.readouterr()
    assert out == "would reformat policies/messy.json\n"
    assert "policies/broken.json: skipped: not valid JSON (see iamgate lint)" in err
    assert "1 file would be reformatted, 1 already formatted, 1 skipped" in err
    assert (root / "policies" / "messy.json").read_text(encoding="utf-8") == MESSY


def test_fmt_rewrites_the_project_folders_and_a_second_run_is_clean(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path)
    monkeypatch.chdir(root / "policies")  # the project root is found upward
    assert iamgate(["fmt"]) == 0  # unparseable files are reported, not a failure
    out, _ = capsys.readouterr()
    assert out == "reformatted messy.json\n"
    assert (root / "policies" / "messy.json").read_text(encoding="utf-8") == format_policy(MESSY)
    assert (root / "notes.json").read_text(encoding="utf-8") == MESSY
    assert (root / "policies" / "broken.json").read_text(encoding="utf-8") == '{"Version": '
    assert iamgate(["fmt", "--check"]) == 0


def test_fmt_takes_files_and_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path)
    monkeypatch.chdir(root)
    assert iamgate(["fmt", "--check", "notes.json", "boundaries"]) == 1
    assert capsys.readouterr().out == "would reformat notes.json\n"


def test_a_missing_path_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert iamgate(["fmt", "nowhere.json"]) == 2
    assert "no such file or folder: nowhere.json" in capsys.readouterr().err


def test_file_mode_is_kept_when_rewriting(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(MESSY, encoding="utf-8")
    path.chmod(0o640)
    assert format_file(path, write=True).status == "changed"
    assert path.stat().st_mode & 0o777 == 0o640


# -- property-based: generated policies in generated layouts --------------------------------

_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
_scalar = st.one_of(
    _text,
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)
_json = st.recursive(
    _scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=8,
)
_strings = st.one_of(_text, st.lists(_text, max_size=4))
_condition = st.dictionaries(
    st.sampled_from(["StringEquals", "StringEqualsIfExists", "ForAnyValue:StringLike", "Null"]),
    st.dictionaries(
        st.sampled_from(["iam:PermissionsBoundary", "aws:SourceIp", "s3:prefix"]),
        _strings,
        min_size=1,
        max_size=2,
    ),
    max_size=2,
)
_statement = st.fixed_dictionaries(
    {"Effect": st.sampled_from(["Allow", "Deny"])},
    optional={
        "Sid": _text,
        "Principal": st.one_of(st.just("*"), st.dictionaries(st.just("AWS"), _strings)),
        "NotPrincipal": st.dictionaries(st.just("AWS"), _strings),
        "Action": _strings,
        "NotAction": _strings,
        "Resource": _strings,
        "NotResource": _strings,
        "Condition": _condition,
        "Extra": _json,
        "x-note": _json,
    },
)
_policy = st.fixed_dictionaries(
    {"Statement": st.one_of(_statement, st.lists(_statement, max_size=4))},
    optional={
        "Version": st.sampled_from(["2012-10-17", "2008-10-17"]),
        "Id": _text,
        "Comment": _json,
    },
)


@st.composite
def _written(draw: st.DrawFn) -> str:
    """A policy as some author or tool might have written it: any key order, any layout."""
    policy = draw(_policy)

    def shuffled(value: object) -> object:
        if isinstance(value, dict):
            items = draw(st.permutations(list(value.items())))
            return {k: shuffled(v) for k, v in items}
        if isinstance(value, list):
            return [shuffled(v) for v in value]
        return value

    indent = draw(st.sampled_from([None, 0, 1, 2, 4, "\t"]))
    ascii_only = draw(st.booleans())
    return json.dumps(shuffled(policy), indent=indent, ensure_ascii=ascii_only)


def _keys_in_order(keys: list[str], canonical: tuple[str, ...], before: list[str]) -> None:
    known = [k for k in keys if k in canonical]
    assert known == [k for k in canonical if k in keys]
    assert keys[: len(known)] == known  # the customary keys come first
    assert keys[len(known) :] == [k for k in before if k not in canonical]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(_written())
def test_generated_policies_format_idempotently_preserving_content_and_order(text: str) -> None:
    formatted = format_policy(text)
    before, after = json.loads(text), json.loads(formatted)
    assert after == before
    assert format_policy(formatted) == formatted
    assert formatted.endswith("}\n") and not formatted.endswith("\n\n")
    _keys_in_order(list(after), POLICY_KEYS, list(before))
    statements = (
        before["Statement"] if isinstance(before["Statement"], list) else [before["Statement"]]
    )
    formatted_statements = (
        after["Statement"] if isinstance(after["Statement"], list) else [after["Statement"]]
    )
    for original, result in zip(statements, formatted_statements, strict=True):
        _keys_in_order(list(result), STATEMENT_KEYS, list(original))
