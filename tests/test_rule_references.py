"""The configuration sits below the rules: iamgate.config checks a rule reference's syntax, and
lint checks it against the registry (iamgate.rule_references), once per unchanged reference."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from iamgate import rule_references
from iamgate.config import ConfigError, parse_config
from iamgate.rule_references import check_rule_references
from iamgate.rules import all_rules

PACKAGE = Path(__file__).resolve().parents[1] / "iamgate"


def _imported(module: Path) -> set[str]:
    """Every module ``module`` imports, at module level or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


@pytest.mark.parametrize(
    "module", ["config.py", "config_cache.py", "config_schema.py", "schema_compiler.py"]
)
def test_the_configuration_imports_nothing_from_the_rules(module: str) -> None:
    imported = _imported(PACKAGE / module)
    assert not {m for m in imported if m == "iamgate.rules" or m.startswith("iamgate.rules.")}


def test_the_project_imports_nothing_from_the_rules_itself() -> None:
    imported = _imported(PACKAGE / "project.py")
    assert not {m for m in imported if m == "iamgate.rules" or m.startswith("iamgate.rules.")}


def test_every_rule_id_and_name_has_the_syntax_the_schema_allows(tmp_path: Path) -> None:
    # The schema checks a reference's shape only; it must admit every rule, in any case
    # (rule ids and names are matched without regard to case).
    path = tmp_path / "iamgate.yaml"
    for rule in all_rules().values():
        for written in (rule.id, rule.id.lower(), rule.name, rule.name.upper()):
            path.write_text(f"lint:\n  rules:\n    {written}: error\n")
            config = parse_config(path)
            check_rule_references(config)
            assert config.rules == {written: "error"}


def _config(tmp_path: Path, rules: str) -> Path:
    path = tmp_path / "iamgate.yaml"
    path.write_text("lint:\n  rules:\n" + rules)
    return path


def test_an_unknown_rule_is_left_to_lint_and_located_there(tmp_path: Path) -> None:
    config = parse_config(_config(tmp_path, "    IG114: off\n    IG999: off\n"))
    assert config.rules == {"IG114": "off", "IG999": "off"}  # read: its syntax is fine
    with pytest.raises(ConfigError) as caught:
        check_rule_references(config, cache=True)
    assert (caught.value.line, caught.value.column) == (4, 5)
    assert caught.value.message == (
        "lint.rules: unknown rule 'IG999' (see `iamgate rules` for the list)"
    )
    # Never remembered as checked: the next run says it again.
    with pytest.raises(ConfigError):
        check_rule_references(config, cache=True)


def test_references_that_passed_are_not_checked_again_until_they_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[object] = []
    real = rule_references._check
    monkeypatch.setattr(rule_references, "_check", lambda c: (calls.append(c), real(c)))
    path = _config(tmp_path, "    IG114: off\n")
    check_rule_references(parse_config(path), cache=True)
    check_rule_references(parse_config(path), cache=True)
    assert len(calls) == 1  # a warm run does not import the registry for it
    path.write_text("lint:\n  rules:\n    IG301: off\n")
    with pytest.raises(ConfigError, match="needs a reason and an expiry date"):
        check_rule_references(parse_config(path), cache=True)
    assert len(calls) == 2
    check_rule_references(parse_config(_config(tmp_path, "    IG114: off\n")), cache=False)
    assert len(calls) == 3  # --no-cache checks every time


def test_the_cli_reports_an_unknown_rule_on_a_warm_cache_too(project: Path, run_iamgate) -> None:
    assert run_iamgate("lint", cwd=project).returncode in (0, 1)  # the caches are warm now
    config = project / "iamgate.yaml"
    config.write_text(config.read_text().replace("rule: IG303", "rule: IG393", 1))
    for _ in range(2):
        done = run_iamgate("lint", cwd=project)
        assert done.returncode == 2 and "Traceback" not in done.stderr
        assert "unknown rule 'IG393'" in done.stderr and "iamgate.yaml:" in done.stderr
