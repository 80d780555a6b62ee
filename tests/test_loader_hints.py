"""The loader says what a file is when it is not a JSON policy: YAML, a BOM, UTF-16."""

from __future__ import annotations

from pathlib import Path

import pytest

from iamgate.document import LoadError, looks_like_yaml, parse
from iamgate.rules import rule_for

YAML_POLICY = """\
# a policy someone wrote in YAML
Version: "2012-10-17"
Statement:
  - Effect: Allow
    Action: s3:GetObject
    Resource: "*"
"""


@pytest.mark.parametrize(
    "text",
    [YAML_POLICY, "---\nVersion: 2012-10-17\n", "- Effect: Allow\n", "Version: '2012-10-17'\n"],
)
def test_yaml_gets_invalid_json_and_a_hint(text: str) -> None:
    with pytest.raises(LoadError) as error:
        parse(text.encode(), "policies/p.json")
    assert rule_for(error.value.problem).id == "IG001"
    assert error.value.message.startswith("invalid JSON")
    assert "looks like YAML, but a policy file is JSON" in error.value.message


@pytest.mark.parametrize(
    "text",
    ['{"Version": "2012-10-17",}', "{'Version': 1}", '{"a": 1} x', "// c\n{}", "Allow"],
)
def test_broken_json_gets_no_yaml_hint(text: str) -> None:
    assert not looks_like_yaml(text, "policies/p.json")
    with pytest.raises(LoadError) as error:
        parse(text.encode(), "policies/p.json")
    assert "YAML" not in error.value.message


def test_a_yaml_file_name_is_hint_enough() -> None:
    with pytest.raises(LoadError) as error:
        parse(b"{Version: 1}", "policies/p.yaml")
    assert "looks like YAML" in error.value.message


def test_a_bom_is_named_as_a_bom(tmp_path: Path) -> None:
    with pytest.raises(LoadError) as error:
        parse(b'\xef\xbb\xbf{"Version": "2012-10-17", "Statement": []}', "p.json")
    assert rule_for(error.value.problem).id == "IG002"
    assert "UTF-8 byte-order mark" in error.value.message
    assert "not valid UTF-8" not in error.value.message


def test_lint_given_a_yaml_file_says_so(tmp_path: Path, run_iamgate) -> None:
    (tmp_path / "policy.yaml").write_text(YAML_POLICY)
    done = run_iamgate("lint", "policy.yaml", cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stdout.startswith("policy.yaml:2:1: error IG001 invalid JSON: ")
    assert "looks like YAML" in done.stdout
