"""SCP rules (IG6xx): what a service control policy cannot say, cannot hold, and cannot reach.

Since September 2025 SCPs accept the full IAM policy language (conditions, resource ARNs and
NotAction in Allow statements, NotResource, wildcards anywhere in an action), so these rules
flag only what AWS Organizations still refuses or what silently does not do what it reads:
https://aws.amazon.com/blogs/security/unlock-new-possibilities-aws-organizations-service-control-policy-now-supports-full-iam-language

The one element SCPs still refuse, Principal / NotPrincipal, is the grammar's IG109.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from iamgate.findings import Finding
from iamgate.rules.base import Example, Rule

if TYPE_CHECKING:
    from iamgate.evaluator import Request
    from iamgate.model import Condition, Policy, PolicyKind
    from iamgate.project import Project

SCP_SYNTAX = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_syntax.html"
SCP_QUOTAS = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html"
SCP_SCOPE = (
    "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html"
)
PRINCIPAL_ARN = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/"
    "reference_policies_condition-keys.html#condition-keys-principalarn"
)
SCP_ONLY: tuple[PolicyKind, ...] = ("scp",)

# AWS Organizations quota "Maximum size of a policy document": 5,120 characters for an SCP.
# The SCP syntax page adds: "All characters in your SCP count against its maximum size" --
# whitespace included, unless it is removed before the upload.
SCP_MAX_CHARACTERS = 5120

# Service-linked roles always live under this path; SCPs never restrict them.
SERVICE_LINKED_ROLE_PATH = ":role/aws-service-role/"

# What the pipeline's deploy role calls in a member account (its policy is
# pipeline/iam/iamgate-deploy-member.json): reading every policy at once, then creating,
# versioning, tagging and deleting each managed one.
ACCOUNT_DEPLOY_ACTIONS = ("iam:GetAccountAuthorizationDetails",)
POLICY_DEPLOY_ACTIONS = (
    "iam:GetPolicy",
    "iam:CreatePolicy",
    "iam:TagPolicy",
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:DeletePolicyVersion",
    "iam:DeletePolicy",
)
# A member account for the questions put to the evaluator; any 12 digits would do.
SAMPLE_ACCOUNT = "111122223333"
# The name a policy added to the repository later would be deployed under.
FUTURE_POLICY = "a-policy-added-later"


def compact_length(policy: Policy) -> int:
    """Characters of the policy with every insignificant whitespace removed."""
    data = policy.document.data if policy.document is not None else {}
    return len(json.dumps(data, separators=(",", ":"), ensure_ascii=False))


def written_length(policy: Policy) -> int:
    return len(policy.document.text) if policy.document is not None else compact_length(policy)


class ScpTooLarge(Rule):
    id = "IG601"
    name = "scp-too-large"
    severity = "error"
    summary = "An SCP is over AWS's 5,120-character limit even with all whitespace removed"
    why = (
        "AWS Organizations refuses an SCP longer than 5,120 characters. When even the compact "
        "form is too long, no formatting helps: split the policy into two SCPs attached at the "
        "same root, OU or account, or shorten it with wildcards."
    )
    example = Example(
        bad="one SCP denying 300 listed actions: 5,800 characters without whitespace",
        good="two SCPs attached at the same level, each under 5,120 characters",
    )
    source = SCP_QUOTAS
    tags = ("security", "scp", "quota")
    kinds = SCP_ONLY

    def check(self, policy: Policy, project: Project) -> Iterable[Finding]:
        compact = compact_length(policy)
        if compact > SCP_MAX_CHARACTERS:
            yield self.finding(
                policy,
                (),
                f"the SCP is {compact:,} characters even without whitespace; AWS Organizations "
                f"accepts at most {SCP_MAX_CHARACTERS:,}: split it into two SCPs or shorten it",
            )


class ScpSizeWhitespace(Rule):
    id = "IG602"
    name = "scp-size-whitespace"
    severity = "warning"
    summary = "An SCP fits the 5,120-character limit only once its whitespace is removed"
    why = (
        "AWS counts every character of an SCP, spaces and line breaks included. A file that is "
        "over the limit as written is refused when uploaded as is (the API and the AWS CLI "
        "store the text exactly as given); it is accepted only when uploaded compact."
    )
    example = Example(
        bad="an SCP of 4,900 characters compact, 5,600 as written with 2-space indentation",
        good="the same SCP uploaded compact, or shortened until it fits as written",
    )
    source = SCP_SYNTAX
    tags = ("security", "scp", "quota")
    kinds = SCP_ONLY

    def check(self, policy: Policy, project: Project) -> Iterable[Finding]:
        written, compact = written_length(policy), compact_length(policy)
        if written > SCP_MAX_CHARACTERS >= compact:
            yield self.finding(
                policy,
                (),
                f"the SCP is {written:,} characters as written, over AWS's {SCP_MAX_CHARACTERS:,} "
                f"(whitespace counts); it fits only when uploaded without whitespace "
                f"({compact:,} characters)",
            )


class ScpServiceLinkedRole(Rule):
    id = "IG603"
    name = "scp-service-linked-role"
    severity = "info"
    summary = "An SCP condition names service-linked roles, which SCPs never restrict"
    why = (
        "SCPs do not affect service-linked roles (nor any principal of the management account). "
        "A Deny aimed at them denies nothing; an exemption for them is redundant and costs "
        "characters of the 5,120 allowed."
    )
    example = Example(
        bad='"Condition": {"ArnNotLike": {"aws:PrincipalArn": ['
        '"arn:aws:iam::*:role/Deployer", "arn:aws:iam::*:role/aws-service-role/*"]}}',
        good='"Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Deployer"}}',
    )
    source = SCP_SCOPE
    tags = ("security", "scp")
    kinds = SCP_ONLY

    def check(self, policy: Policy, project: Project) -> Iterable[Finding]:
        for statement in policy.statements:
            for condition in statement.conditions:
                if condition.key.lower() != "aws:principalarn":
                    continue
                linked = [v for v in condition.values if SERVICE_LINKED_ROLE_PATH in v.lower()]
                if not linked:
                    continue
                if _negated(condition):
                    message = (
                        f"{linked[0]} is a service-linked role; SCPs never restrict service-linked "
                        "roles, so exempting them changes nothing -- drop it to save characters"
                    )
                else:
                    message = (
                        f"{linked[0]} is a service-linked role; SCPs never restrict service-linked "
                        f"roles, so this {statement.effect} does not apply to them"
                    )
                yield self.finding(
                    policy, condition.path, message, key=True, statements=[statement]
                )


class ScpDeniesDeployRole(Rule):
    id = "IG604"
    name = "scp-denies-deploy-role"
    severity = "warning"
    summary = (
        "An SCP Deny exempts nobody, so it also blocks the role that deploys iamgate's policies"
    )
    why = (
        "A guardrail that denies editing policies to everyone also denies it to the pipeline's "
        "deploy role (deploy.role in iamgate.yaml): the next apply fails half-way in every "
        "account below the SCP. Exempt the deploy role with a condition on aws:PrincipalArn."
    )
    example = Example(
        bad='{"Effect": "Deny", "Action": "iam:CreatePolicyVersion", '
        '"Resource": "arn:aws:iam::*:policy/S3AccessBoundary"}',
        good='{"Effect": "Deny", "Action": "iam:CreatePolicyVersion", '
        '"Resource": "arn:aws:iam::*:policy/S3AccessBoundary", "Condition": {"ArnNotLike": '
        '{"aws:PrincipalArn": "arn:aws:iam::*:role/OrganizationAccountAccessRole"}}}',
    )
    source = PRINCIPAL_ARN
    tags = ("security", "scp", "deploy")
    kinds = SCP_ONLY

    def check(self, policy: Policy, project: Project) -> Iterable[Finding]:
        if not any(not s.allows for s in policy.statements):
            return
        from iamgate.evaluator import evaluate
        from iamgate.organization import allow_everything, full_aws_access

        full_access = full_aws_access()
        allow_all = [allow_everything()]
        reported: set[int] = set()
        for request in deploy_requests(project):
            decision = evaluate(request, allow_all, None, [[policy, full_access]])
            if decision.decision != "explicit_deny":
                continue
            for denying_policy, statement in decision.statements:
                if denying_policy is not policy or statement.index in reported:
                    continue
                reported.add(statement.index)
                yield self.finding(
                    policy,
                    statement.path,
                    f"this Deny also applies to the deploy role {project.config.deploy.role}: "
                    f"{request.action} on {request.resource} would fail during apply; exempt it "
                    f'with "ArnNotLike": {{"aws:PrincipalArn": "{deploy_role_pattern(project)}"}}',
                    counterexample=request.to_dict(),
                    statements=[statement],
                )


def deploy_role_arn(project: Project, account: str = SAMPLE_ACCOUNT) -> str:
    return f"arn:aws:iam::{account}:role/{project.config.deploy.role.strip('/')}"


def deploy_role_pattern(project: Project) -> str:
    return f"arn:aws:iam::*:role/{project.config.deploy.role.strip('/')}"


def managed_policy_names(project: Project) -> list[str]:
    """Names of the policies the pipeline deploys: every file its targets' globs select."""
    from iamgate.config import Target

    globs = {g for t in project.config.deploy.targets for g in t.policies} or set(Target.policies)
    names: set[str] = set()
    for pattern in sorted(globs):
        names.update(p.stem for p in project.root.glob(pattern) if p.is_file())
    return sorted(names)


def deploy_requests(project: Project) -> Iterator[Request]:
    """Every request the deploy role makes on an iamgate-managed policy, in a member account."""
    from iamgate.evaluator import Request

    path = project.config.deploy.path
    context = {
        "aws:PrincipalArn": (deploy_role_arn(project),),
        "aws:PrincipalAccount": (SAMPLE_ACCOUNT,),
    }
    for action in ACCOUNT_DEPLOY_ACTIONS:
        yield Request(action, "*", context)
    for name in [*managed_policy_names(project), FUTURE_POLICY]:
        resource = f"arn:aws:iam::{SAMPLE_ACCOUNT}:policy{path}{name}"
        for action in POLICY_DEPLOY_ACTIONS:
            yield Request(action, resource, context)


def _negated(condition: Condition) -> bool:
    operator = condition.operator.split(":")[-1].lower().removesuffix("ifexists")
    return "not" in operator


RULES = [ScpTooLarge, ScpSizeWhitespace, ScpServiceLinkedRole, ScpDeniesDeployRole]
