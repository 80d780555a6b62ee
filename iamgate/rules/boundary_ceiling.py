"""IG503 unsafe-boundary-ceiling: the roles created under an approved boundary are delegates too.

For every approved boundary and every account it is deployed to, every security check of the
identity families (IG3xx, IG4xx: each rule answers ``Rule.judge`` on a proof, so a rule added
later is run here as well) is run on a CeilingProof: a role with any policy attached, limited
by the boundary and by the SCPs on the account's OU path. Each violation is a finding on the
boundary file, at the boundary statement that lets it through, with the request AWS would
allow. The ceiling is proved once per boundary and project, however many policies are linted.

A delegation policy that lets delegates create roles under a boundary whose ceiling fails is
reported too (on the delegation policy, with the request that does it): the boundary stays
approved, so the delegation proofs keep their usual answers, but the policy does not pass.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from iamgate.delegation import (
    BOUNDARY,
    BOUNDARY_KEY,
    boundary_condition_actions,
    describe_request,
    proof_for,
    statement_label,
)
from iamgate.delegation.ceiling import CeilingProof
from iamgate.rules.base import Example, Rule
from iamgate.rules.proof_rule import BOUNDARIES_DOC

if TYPE_CHECKING:
    from iamgate.findings import Finding
    from iamgate.model import Policy
    from iamgate.organization import Placement
    from iamgate.project import Project


@dataclass(frozen=True)
class Escape:
    """One way out of a ceiling: the finding of the identity rule that found it, the accounts
    where it holds (the first one's request is the one shown)."""

    rule: str  # the identity rule that found it: "IG301"
    finding: Finding
    where: tuple[str, ...]  # "account 111111111111 (Root › Workloads › Workloads/Dev)"


def ceiling_rules() -> list[Rule]:
    """Every security check of the identity families (each answers ``judge`` on a proof, or
    None), whatever its own setting: turning a rule off for delegation policies must not open
    the ceiling (IG503's setting governs it)."""
    from iamgate.rules import all_rules

    return [
        rule
        for rule in all_rules().values()
        if "identity" in rule.kinds and "security" in rule.tags and rule.id != "IG503"
    ]


def escapes(
    boundary: Policy, project: Project, placements: tuple[Placement, ...] | None = None
) -> tuple[Escape, ...]:
    """Every way a role created under ``boundary`` breaks a delegate's invariant, in the
    accounts the boundary is deployed to (or the ``placements`` given: `iamgate explain`)."""
    if placements is None:
        cached = _cache(project).get(boundary.name)
        if cached is not None:
            return cached
        found = _escapes(boundary, project, project.accounts_for_policy(boundary))
        _cache(project)[boundary.name] = found
        return found
    return _escapes(boundary, project, placements)


def _escapes(
    boundary: Policy, project: Project, placements: tuple[Placement, ...]
) -> tuple[Escape, ...]:
    rules = ceiling_rules()
    found: dict[tuple[str, int, int], Escape] = {}
    for where in placements:
        proof = CeilingProof(boundary, project, where)
        for rule in rules:
            for finding in _judged(rule, proof, project):
                key = (rule.id, finding.line, finding.column)
                known = found.get(key)
                if known is None:
                    found[key] = Escape(rule.id, finding, (where.label,))
                elif where.label not in known.where:
                    found[key] = replace(known, where=(*known.where, where.label))
    return tuple(sorted(found.values(), key=lambda e: (e.finding.line, e.finding.column, e.rule)))


def _judged(rule: Rule, proof: CeilingProof, project: Project) -> list[Finding]:
    """The rule's findings on the ceiling. A check that is not decided on a proof (no
    ``judge``) is asked of the boundary as the role's identity policy, and a finding is kept
    unless the request it names is one the SCPs (or the boundary, read as a boundary) deny."""
    found = rule.judge(proof)
    if found is not None:
        return found
    if rule.stage != "rules":
        return []  # repository rules judge files, not what a role may do
    return [
        f
        for f in rule.check(proof.policy, project)
        if f.counterexample is None or proof.stands(f.counterexample)
    ]


_CACHE: dict[int, tuple[Project, dict[str, tuple[Escape, ...]]]] = {}


def _cache(project: Project) -> dict[str, tuple[Escape, ...]]:
    """The proved ceilings of one project (a lint run keeps one Project for every file)."""
    entry = _CACHE.get(id(project))
    if entry is None or entry[0] is not project:
        if len(_CACHE) >= 8:
            _CACHE.clear()  # the cache holds the projects it keys, so keep it small
        entry = _CACHE[id(project)] = (project, {})
    return entry[1]


def clear_cache() -> None:
    _CACHE.clear()


def unsafe_boundaries(project: Project) -> dict[str, tuple[Escape, ...]]:
    """Approved boundaries whose ceiling fails, with their escapes."""
    from iamgate.grammar import check as grammar_check
    from iamgate.model import build_policy

    out: dict[str, tuple[Escape, ...]] = {}
    for file in project.boundary_files:
        if file.name not in project.approved_boundaries:
            continue
        cached = _cache(project).get(file.name)
        if cached is None:
            file.load()
            if file.document is None:
                continue
            if file.policy is None:
                _, well_formed = grammar_check(file.document, "boundary", file.name)
                if not well_formed:
                    continue  # the file's own lint says why
            policy = file.policy or build_policy(file.document, file.name, "boundary")
            cached = escapes(policy, project)
        if cached:
            out[file.name] = cached
    return out


class UnsafeBoundaryCeiling(Rule):
    id = "IG503"
    name = "unsafe-boundary-ceiling"
    severity = "error"
    summary = (
        "A role created under an approved boundary, with any policy attached, can break a "
        "delegation invariant (in some account the boundary is deployed to)"
    )
    why = (
        "A permissions boundary is the ceiling of every role a delegate creates: the delegate "
        "may attach any policy, AdministratorAccess included, so the role may do whatever the "
        "boundary and the SCPs on its account's OU path allow. A boundary that allows iam:*, a "
        "NotAction on two delete actions, * under a region condition (IAM requests are always "
        "made to us-east-1), iam:PassRole with lambda:*, or sts:AssumeRole on * hands the "
        "delegate administrator in two steps: create the role, then act as it. The role is "
        "held to every delegation invariant (approved boundaries on the principals it creates, "
        "no boundary removal or rewrite, nothing outside the prefix, no escalation path); the "
        "finding names the request that breaks one and the boundary statement that allows it. "
        "A delegation policy that lets delegates create roles under such a boundary is "
        "reported too."
    )
    example = Example(
        bad='{"Effect": "Allow", "Action": ["s3:*", "iam:*"], "Resource": "*"}',
        good='{"Effect": "Allow", "Action": "s3:*", "Resource": '
        '["arn:aws:s3:::example-team-bucket", "arn:aws:s3:::example-team-bucket/*"]}',
    )
    source = BOUNDARIES_DOC
    tags = ("security", "delegation", "permissions-boundary", "ceiling")
    kinds = ("boundary", "identity")
    stage = "project"

    def check(self, policy: Policy, project: Project) -> list[Finding]:
        if policy.kind == "boundary":
            return self._check_boundary(policy, project)
        return self._check_delegation(policy, project)

    def _check_boundary(self, policy: Policy, project: Project) -> list[Finding]:
        if policy.name not in project.approved_boundaries:
            return []  # no delegate can create roles under it
        out = []
        for escape in escapes(policy, project):
            where = escape.where[0]
            more = f" (and likewise in {', '.join(escape.where[1:])})" if escape.where[1:] else ""
            rule = _rule_name(escape.rule)
            message = (
                f"a role created under the boundary {policy.name}, with any policy attached, "
                f"breaks {escape.rule} {rule} in {where}{more}: {escape.finding.message}; any "
                "policy ∩ this boundary ∩ the SCPs above that account allow the request"
            )
            # An error whatever the identity rule's own severity: a boundary is the reviewed
            # ceiling, and any way past it is a defect of the boundary (IG407 is a warning on
            # a delegation policy only because whose functions exist is not in the repository).
            out.append(
                replace(escape.finding, rule=self.id, severity=self.severity, message=message)
            )
        return out

    def _check_delegation(self, policy: Policy, project: Project) -> list[Finding]:
        if not any(c.key.lower() == BOUNDARY for s in policy.statements for c in s.conditions):
            return []
        unsafe = unsafe_boundaries(project)
        if not unsafe:
            return []
        proof = proof_for(policy, project)
        if not proof.is_delegation:
            return []
        out = []
        for name, found in sorted(unsafe.items()):
            arns = [a for a in proof.approved_arns if a.rsplit("/", 1)[-1] == name]
            violation = next(
                (
                    v
                    for action in boundary_condition_actions()
                    if proof.named_by_allow(action)
                    for arn in arns
                    if (v := proof.first_violation(action, _any, fixed={BOUNDARY_KEY: (arn,)}))
                ),
                None,
            )
            if violation is None:
                continue
            first = found[0].finding
            message = (
                f"{describe_request(violation.request, proof)} is allowed by "
                f"{statement_label(policy, violation.statements)}: the approved boundary {name} "
                f"has an unsafe ceiling ({first.file}:{first.line}, IG503: {len(found)} "
                f"escape{'s' if len(found) > 1 else ''}), so a role the delegate creates "
                "under it can escalate; fix the boundary or stop admitting it"
            )
            statement = violation.statements[0]
            path = next(
                (c.path for c in statement.conditions if c.key.lower() == BOUNDARY),
                (*statement.path, "Action" if statement.action is not None else "NotAction"),
            )
            out.append(
                self.finding(
                    policy,
                    path,
                    message,
                    key=True,
                    counterexample=violation.request.to_dict(),
                    statements=violation.statements,
                )
            )
        return out


def _any(_: object) -> bool:
    return True


def _rule_name(rule_id: str) -> str:
    from iamgate.rules import all_rules

    rule = all_rules().get(rule_id)
    return f"({rule.name})" if rule else ""


RULES = [UnsafeBoundaryCeiling]
