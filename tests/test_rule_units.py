"""A rule is one unit: the loader's and the grammar's typed problems are each owned by exactly
one rule, and a rule's setting (on, severity) is decided in one place, by id or by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from iamgate.config import Config
from iamgate.document import LoadError, LoadProblem, parse
from iamgate.grammar import Problem
from iamgate.organization import read_policy
from iamgate.rules import all_rules, rule_for
from iamgate.rules.grammar_rules import PrincipalNotAllowed
from iamgate.rules.loading import load_finding
from iamgate.rules.settings import configured_level, enabled, severity


@pytest.mark.parametrize(("problems", "stage"), [(LoadProblem, "load"), (Problem, "grammar")])
def test_every_problem_of_the_loader_and_the_grammar_has_exactly_one_rule(
    problems: type[LoadProblem] | type[Problem], stage: str
) -> None:
    owners = [r for r in all_rules().values() if r.problem in set(problems)]
    assert sorted(r.problem.name for r in owners) == sorted(p.name for p in problems)  # type: ignore[union-attr]
    assert all(rule_for(r.problem) is r and r.stage == stage for r in owners)  # type: ignore[arg-type]
    assert all(r.problem is not None for r in all_rules().values() if r.stage == stage)


def test_a_grammar_rule_applies_to_the_kinds_its_problem_is_checked_in() -> None:
    for problem in Problem:
        assert rule_for(problem).kinds == problem.kinds


def test_a_grammar_problem_iam_refuses_is_an_error_and_one_it_accepts_a_warning() -> None:
    # read_policy (simulate, the SCPs of an account) leads with the refused problems, as
    # lint leads with the errors.
    for problem in Problem:
        assert rule_for(problem).severity == ("error" if problem.refused else "warning")


def test_the_grammar_orders_problems_as_their_rules_ids_so_every_consumer_agrees() -> None:
    ids = [rule_for(problem).id for problem in Problem]
    assert ids == sorted(ids)


def test_a_load_error_becomes_its_rules_finding_at_its_place() -> None:
    with pytest.raises(LoadError) as caught:
        parse(b'{"a": 1,\n "a": 2}', "p.json")
    finding = load_finding(caught.value, "policies/p.json")
    assert (finding.rule, finding.severity, finding.file) == ("IG003", "error", "policies/p.json")
    assert (finding.line, finding.column) == (2, 2)


def test_simulate_refuses_a_principal_by_its_problem_and_names_the_rule(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", '
        '"Action": "s3:GetObject", "Resource": "*"}]}'
    )
    refuse = {PrincipalNotAllowed.problem: PrincipalNotAllowed.id}
    with pytest.raises(ValueError, match=r"^p\.json:1:61: IG109 Statement\[0\]\.Principal"):
        read_policy(path, "p.json", "identity", ValueError, refuse=refuse)
    assert read_policy(path, "p.json", "identity", ValueError).statements


def test_a_rule_is_configured_by_id_or_by_name_and_the_id_wins() -> None:
    rule = all_rules()["IG114"]
    base = Config(root=Path("."))
    assert (configured_level(rule, base), enabled(rule, base), severity(rule, base)) == (
        None,
        True,
        "warning",
    )
    by_name = Config(root=Path("."), rules={rule.name: "error"})
    assert severity(rule, by_name) == "error"
    both = Config(root=Path("."), rules={rule.name: "off", rule.id: "info"})
    assert enabled(rule, both) and severity(rule, both) == "info"
    off = Config(root=Path("."), rules={rule.name: "off"})
    assert not enabled(rule, off) and severity(rule, off) == "warning"
