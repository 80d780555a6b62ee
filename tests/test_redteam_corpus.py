"""The red-team corpus: policies written against AWS's documented semantics, not against
iamgate's own fixtures, judged as `iamgate lint` judges them in the example project.

tests/fixtures/redteam/<family>/bypass/<RULE>-<what>.json must be reported at error severity
by the rule its name starts with (IG4 = any IG4xx rule of the family); every
tests/fixtures/redteam/<family>/safe/*.json must lint with no error or warning. Each file has
a sidecar <name>.md naming the AWS page or catalog entry (pathfinding.cloud, Rhino Security
Labs, aws-samples) the verdict rests on. A family's files go where the project reads that kind
of policy: RCPs in rcps/, SCPs in scps/, identity policies in policies/, and a ceiling file
takes the place of the approved boundary (boundaries/S3AccessBoundary.json).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from iamgate.config import load_config
from iamgate.findings import Finding
from iamgate.lint import lint_paths

REDTEAM = Path(__file__).resolve().parent / "fixtures" / "redteam"
FOLDER = {
    "rcp": "rcps",
    "scp": "scps",
    "delegation": "policies",
    "escalation": "policies",
    "ceiling": "boundaries",
}
# A ceiling file replaces the example project's approved boundary: the most any role a
# delegate creates under it can do (IG503).
APPROVED_BOUNDARY = "S3AccessBoundary.json"
BYPASS = sorted(REDTEAM.glob("*/bypass/*.json"))
SAFE = sorted(REDTEAM.glob("*/safe/*.json"))


def _id(path: Path) -> str:
    return f"{path.parent.parent.name}/{path.parent.name}/{path.stem}"


def _lint(project: Path, path: Path) -> list[Finding]:
    family = path.parent.parent.name
    name = APPROVED_BOUNDARY if family == "ceiling" else path.name
    target = project / FOLDER[family] / name
    target.parent.mkdir(exist_ok=True)
    shutil.copyfile(path, target)
    return lint_paths([target], load_config(cwd=project), cache=False).findings


def test_every_family_has_bypasses_and_safe_policies_with_their_sources() -> None:
    for family in FOLDER:
        assert len(list((REDTEAM / family / "bypass").glob("*.json"))) >= 15, family
        assert len(list((REDTEAM / family / "safe").glob("*.json"))) >= 15, family
    for path in BYPASS + SAFE:
        note = path.with_suffix(".md")
        assert note.is_file(), f"{_id(path)} has no sidecar note"
        assert "https://" in note.read_text(encoding="utf-8"), f"{_id(path)} cites nothing"


@pytest.mark.parametrize("path", BYPASS, ids=_id)
def test_each_bypass_is_an_error_of_the_rule_it_names(project: Path, path: Path) -> None:
    expected = path.stem.split("-")[0]
    findings = _lint(project, path)
    errors = [f for f in findings if f.severity == "error" and f.rule.startswith(expected)]
    assert errors, f"{path.name} passed: {[f'{f.rule} {f.severity}' for f in findings]}"


@pytest.mark.parametrize("path", SAFE, ids=_id)
def test_each_safe_policy_lints_clean(project: Path, path: Path) -> None:
    findings = [f for f in _lint(project, path) if f.severity in ("error", "warning")]
    assert findings == [], [f"{f.rule} line {f.line}: {f.message}" for f in findings]
