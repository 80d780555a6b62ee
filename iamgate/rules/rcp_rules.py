"""RCP rules (IG7xx): what a resource control policy cannot say and cannot hold.

Resource control policies set the most a resource of a member account can allow, whoever
asks. AWS Organizations accepts a narrower language than for SCPs
(https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_syntax.html):
Deny only (the AWS-managed RCPFullAWSAccess is the one Allow), ``"Principal": "*"`` in every
statement and no NotPrincipal, no NotAction, Version 2012-10-17, actions of the services RCPs
support only, and the same 5,120-character size as SCPs
(https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from iamgate.evaluator.rcp_scope import RCP_EXEMPT_ACTIONS, RCP_SERVICES, covered_services
from iamgate.findings import Finding
from iamgate.rules.base import Example, Rule
from iamgate.rules.scp_rules import compact_length, written_length

if TYPE_CHECKING:
    from iamgate.document import JsonPath
    from iamgate.model import Policy, PolicyKind, Statement
    from iamgate.project import Project

RCP_SYNTAX = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_syntax.html"
RCP_SERVICES_PAGE = (
    "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html"
)
RCP_QUOTAS = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html"
RCP_ONLY: tuple[PolicyKind, ...] = ("rcp",)
# AWS Organizations quota "Maximum size of a policy document": 5,120 characters for an RCP,
# every character counted (the RCP syntax page: "All characters in your RCP count").
RCP_MAX_CHARACTERS = 5120
RCP_VERSION = "2012-10-17"


def _statement_data(policy: Policy, statement: Statement) -> dict[str, Any]:
    data: Any = policy.document.data if policy.document is not None else {}
    for part in statement.path:
        data = data[part]
    return data if isinstance(data, dict) else {}


class _RcpRule(Rule):
    kinds = RCP_ONLY
    source = RCP_SYNTAX
    tags: ClassVar[tuple[str, ...]] = ("security", "rcp")


class RcpAllow(_RcpRule):
    id = "IG701"
    name = "rcp-allow"
    summary = "An RCP statement with Effect Allow: only AWS's RCPFullAWSAccess may allow"
    why = (
        "AWS Organizations accepts Allow only in the AWS-managed RCPFullAWSAccess, which is "
        "attached to every root, OU and account and cannot be detached; a customer RCP can only "
        "deny. An Allow here is refused at deploy time (and would grant nothing anyway)."
    )
    example = Example(
        bad='{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}',
        good='{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*", '
        '"Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-exampleorgid"}}}',
    )

    def check(self, policy: Policy, project: Project) -> Iterable[Finding]:
        for statement in policy.statements:
            if statement.allows:
                yield self.finding(
                    policy,
                    (*statement.path, "Effect"),
                    'an RCP may only deny: "Effect": "Allow" is accepted only in AWS\'s '
                    "RCPFullAWSAccess, which is already attached everywhere; write the "
                    "guardrail as a Deny with a condition",
                    statements=[statement],
                )


class RcpPrincipal(_RcpRule):
    id = "IG702"
    name = "rcp-principal"
    summary = 'An RCP statement without "Principal": "*" (or with NotPrincipal)'
    why = (
        'Every RCP statement must say "Principal": "*" and RCPs do not support NotPrincipal: '
        "an RCP applies to every principal that reaches the resource. Narrow who it applies to "
        "with conditions such as aws:PrincipalOrgID or aws:PrincipalAccount."
    )
    example = Example(
        bad='{"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, ...}',
        good='{"Effect": "Deny", "Principal": "*", ..., "Condition": {"StringNotEquals": '
        '{"aws:PrincipalAccount": "111122223333"}}}',
    )

    def check(self, policy: Policy, project: Project) -> Iterable[Finding]:
        for statement in policy.statements:
            data = _statement_data(policy, statement)
            if "NotPrincipal" in data:
                path: JsonPath = (*statement.path, "NotPrincipal")
                message = (
                    'RCPs do not support NotPrincipal; write "Principal": "*" and exclude '
                    "principals with a condition (e.g. ArnNotLike on aws:PrincipalArn)"
                )
                yield self.finding(policy, path, message, key=True, statements=[statement])
            elif "Principal" not in data:
                message = 'an RCP statement must name "Principal": "*"; add it'
                yield self.finding(policy, statement.path, message, statements=[statement])
            elif data["Principal"] != "*":
                message = (
                    'the Principal of an RCP statement must be "*"; narrow who it applies to '
                    "with a condition on aws:PrincipalArn, aws:PrincipalAccount or "
                    "aws:PrincipalOrgID instead"
                )
                yield self.finding(
                    policy, (*statement.path, "Principal"), message, statements=[statement]
                )


class RcpNotAction(_RcpRule):
    id = "IG703"
    name = "rcp-not-action"
    summary = "An RCP statement with NotAction, which RCPs do not support"
    why = (
        "The RCP language has Action but no NotAction: AWS Organizations refuses the policy. "
        "List the actions to deny (wildcards such as s3:Put* are accepted)."
    )
    example = Example(
        bad='{"Effect": "Deny", "Principal": "*", "NotAction": "s3:GetObject", ...}',
        good='{"Effect": "Deny", "Principal": "*", "Action": ["s3:Put*", "s3:Delete*"], ...}',
    )

    def check(self, policy: Policy, project: Project) -> Iterable[Finding]:
        for statement in policy.statements:
            if statement.not_action is not None:
                yield self.finding(
                    policy,
                    (*statement.path, "NotAction"),
                    "RCPs do not support NotAction; list the actions to deny under Action",
                    key=True,
                    statements=[statement],
                )


class RcpUnsupportedService(_RcpRule):
    id = "IG704"
    name = "rcp-unsupported-service"
    summary = "An RCP names an action of a service RCPs do not support"
    why = (
        "RCPs restrict the resources of a fixed list of services ("
        + ", ".join(RCP_SERVICES)
        + "). An action of any other service in an RCP restricts nothing: the guardrail a "
        "reviewer reads is not there. Use an SCP, or that service's resource policies."
    )
    example = Example(
        bad='{"Effect": "Deny", "Principal": "*", "Action": "ec2:RunInstances", ...}',
        good='{"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", ...}',
    )
    source = RCP_SERVICES_PAGE
    severity = "error"

    def check(self, policy: Policy, project: Project) -> Iterable[Finding]:
        for statement in policy.statements:
            for path, action in _actions(policy, statement):
                if action.strip().lower() in RCP_EXEMPT_ACTIONS:
                    yield self.finding(
                        policy,
                        path,
                        f"{action}: RCPs never restrict this action (AWS KMS: "
                        '"kms:RetireGrant isn\'t valid in an RCP"), so this denies nothing; '
                        "control grant retirement in the key policy",
                        statements=[statement],
                    )
                    continue
                if covered_services(action):
                    continue
                service = action.partition(":")[0]
                yield self.finding(
                    policy,
                    path,
                    f"{action}: RCPs do not apply to the service {service!r}, so this denies "
                    f"nothing; RCPs cover {', '.join(RCP_SERVICES)} (use an SCP for others)",
                    statements=[statement],
                )


class RcpTooLarge(_RcpRule):
    id = "IG705"
    name = "rcp-too-large"
    summary = "An RCP is over AWS's 5,120-character limit even with all whitespace removed"
    why = (
        "AWS Organizations refuses an RCP longer than 5,120 characters. Split it into two RCPs "
        "attached at the same root, OU or account, or shorten it with wildcards."
    )
    example = Example(
        bad="one RCP listing 300 actions: 5,800 characters without whitespace",
        good="two RCPs attached at the same level, each under 5,120 characters",
    )
    source = RCP_QUOTAS
    tags = ("security", "rcp", "quota")

    def check(self, policy: Policy, project: Project) -> Iterable[Finding]:
        compact = compact_length(policy)
        if compact > RCP_MAX_CHARACTERS:
            yield self.finding(
                policy,
                (),
                f"the RCP is {compact:,} characters even without whitespace; AWS Organizations "
                f"accepts at most {RCP_MAX_CHARACTERS:,}: split it into two RCPs or shorten it",
            )


class RcpSizeWhitespace(_RcpRule):
    id = "IG706"
    name = "rcp-size-whitespace"
    severity = "warning"
    summary = "An RCP fits the 5,120-character limit only once its whitespace is removed"
    why = (
        "AWS counts every character of an RCP, spaces and line breaks included; a file over "
        "the limit as written is accepted only when uploaded compact."
    )
    example = Example(
        bad="an RCP of 4,900 characters compact, 5,600 as written with 2-space indentation",
        good="the same RCP uploaded compact, or shortened until it fits as written",
    )
    tags = ("security", "rcp", "quota")

    def check(self, policy: Policy, project: Project) -> Iterable[Finding]:
        written, compact = written_length(policy), compact_length(policy)
        if written > RCP_MAX_CHARACTERS >= compact:
            yield self.finding(
                policy,
                (),
                f"the RCP is {written:,} characters as written, over AWS's "
                f"{RCP_MAX_CHARACTERS:,} (whitespace counts); it fits only when uploaded "
                f"without whitespace ({compact:,} characters)",
            )


class RcpVersion(_RcpRule):
    id = "IG707"
    name = "rcp-version"
    summary = 'An RCP without "Version": "2012-10-17"'
    why = (
        'Every RCP must include "Version": "2012-10-17"; AWS Organizations refuses one '
        "without it, or with the 2008-10-17 language."
    )
    example = Example(bad='{"Statement": [...]}', good='{"Version": "2012-10-17", ...}')

    def check(self, policy: Policy, project: Project) -> Iterable[Finding]:
        if policy.version == RCP_VERSION:
            return
        if policy.version is None:
            yield self.finding(policy, (), 'an RCP must include "Version": "2012-10-17"; add it')
        else:
            yield self.finding(
                policy,
                ("Version",),
                f'an RCP must use "Version": "2012-10-17", not {policy.version!r}',
            )


def _actions(policy: Policy, statement: Statement) -> Iterator[tuple[JsonPath, str]]:
    written = _statement_data(policy, statement).get("Action")
    if isinstance(written, str):
        yield (*statement.path, "Action"), written
    elif isinstance(written, list):
        for index, action in enumerate(written):
            if isinstance(action, str):
                yield (*statement.path, "Action", index), action


RULES = [
    RcpAllow,
    RcpPrincipal,
    RcpNotAction,
    RcpUnsupportedService,
    RcpTooLarge,
    RcpSizeWhitespace,
    RcpVersion,
]
