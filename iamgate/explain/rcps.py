"""The resource-side limits `iamgate explain` shows: what the RCPs on an account's OU path deny
on that account's resources, to whom.

RCPs restrict every principal that reaches a resource of a member account, for the services
that support RCPs (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html).
A guardrail usually treats callers by where they come from, so each action of each service
an RCP names is asked three times: by a principal outside the organization, by one inside it,
and by an AWS service principal — all over TLS, on a resource of the account.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from iamgate.catalog import fill_template
from iamgate.evaluator.rcp_scope import RCP_SERVICES, covered_services
from iamgate.explain.delegate import source_of
from iamgate.explain.model import ResourceLimit, Source

if TYPE_CHECKING:
    from iamgate.catalog import ActionInfo
    from iamgate.evaluator import Decision
    from iamgate.model import Policy
    from iamgate.organization import Placement

# The organization of the explained account, and one that is not: placeholders, since only
# their being equal or not matters to a condition on aws:PrincipalOrgID / aws:ResourceOrgID.
ORGANIZATION = "o-exampleorgid"
OTHER_ORGANIZATION = "o-anotherorgid"
OUTSIDE_ACCOUNT = "999999999999"


def callers(account: str) -> dict[str, dict[str, tuple[str, ...]]]:
    """The three kinds of caller, as request contexts."""
    common = {
        "aws:ResourceOrgID": (ORGANIZATION,),
        "aws:ResourceAccount": (account,),
        "aws:SecureTransport": ("true",),
    }
    return {
        "outside": {
            **common,
            "aws:PrincipalOrgID": (OTHER_ORGANIZATION,),
            "aws:PrincipalAccount": (OUTSIDE_ACCOUNT,),
            "aws:PrincipalArn": (f"arn:aws:iam::{OUTSIDE_ACCOUNT}:role/someone",),
            "aws:PrincipalIsAWSService": ("false",),
        },
        "inside": {
            **common,
            "aws:PrincipalOrgID": (ORGANIZATION,),
            "aws:PrincipalAccount": (account,),
            "aws:PrincipalArn": (f"arn:aws:iam::{account}:role/someone",),
            "aws:PrincipalIsAWSService": ("false",),
        },
        "services": {**common, "aws:PrincipalIsAWSService": ("true",)},
    }


def named_rcp_services(policies: list[Policy]) -> list[str]:
    found: set[str] = set()
    for policy in policies:
        for statement in policy.statements:
            for pattern in statement.action or ():
                found.update(covered_services(pattern))
    return [s for s in RCP_SERVICES if s in found]


def resource_limits(placement: Placement, account: str) -> tuple[ResourceLimit, ...]:
    """One row per RCP-supported service the attached RCPs name."""
    from iamgate.catalog import get_catalog

    attached = [policy for _, policy in placement.attached_rcps()]
    if not attached:
        return ()
    catalog = get_catalog()
    who = callers(account)
    out = []
    for service in named_rcp_services(attached):
        actions = catalog.expand(f"{service}:*")
        denied: dict[str, list[str]] = {kind: [] for kind in who}
        sources: set[Source] = set()
        for action in actions:
            resource = _resource(action, account)
            for kind, context in who.items():
                decision = _ask(placement, action.full, resource, context)
                if not decision.allowed:
                    denied[kind].append(action.full)
                    sources.update(source_of(p, s) for p, s in decision.statements)
        if any(denied.values()):
            out.append(
                ResourceLimit(
                    service=service,
                    outside=tuple(denied["outside"]),
                    inside=tuple(denied["inside"]),
                    services=tuple(denied["services"]),
                    total=len(actions),
                    denied_by=tuple(sorted(sources, key=lambda s: (s.file, s.line))),
                )
            )
    return tuple(out)


def _resource(action: ActionInfo, account: str) -> str:
    if not action.resource_types:
        return "*"
    return fill_template(action.resource_types[0][0].arn_patterns[0], account, "example")


def _ask(
    placement: Placement, action: str, resource: str, context: dict[str, tuple[str, ...]]
) -> Decision:
    from iamgate.evaluator import Request, evaluate
    from iamgate.organization import allow_everything

    request = Request(action, resource, context)
    return evaluate(request, [allow_everything()], None, (), placement.rcps)
