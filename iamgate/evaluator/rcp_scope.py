"""Where resource control policies (RCPs) apply: the services that honour them, and the
account a request's resource lives in.

AWS Organizations lists the services whose resources RCPs restrict; a request to any other
service is not evaluated against RCPs at all
(https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html,
"List of AWS services that support RCPs"; ECR and OpenSearch Serverless joined in June 2025,
Cognito, CloudWatch Logs and DynamoDB later in 2025). RCPs restrict resources of member
accounts only, never those of the management account (same page). They are looked up by the
resource's account, not the caller's: "RCPs apply to resources ... in member accounts"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html).
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from iamgate.evaluator.request import Request

# IAM service prefixes of the services RCPs support.
RCP_SERVICES: tuple[str, ...] = (
    "aoss",  # Amazon OpenSearch Serverless
    "cognito-identity",  # Amazon Cognito identity pools
    "cognito-idp",  # Amazon Cognito user pools
    "dynamodb",
    "ecr",
    "kms",
    "logs",  # Amazon CloudWatch Logs
    "s3",
    "secretsmanager",
    "sqs",
    "sts",
)
_SERVICES = frozenset(RCP_SERVICES)
# Actions of a supported service that RCPs still do not restrict: "The kms:RetireGrant
# permission isn't valid in an RCP, even if the Action element specifies an asterisk (*)"
# (https://docs.aws.amazon.com/kms/latest/developerguide/resource-control-policies.html).
RCP_EXEMPT_ACTIONS: frozenset[str] = frozenset({"kms:retiregrant"})


def rcp_covers(action: str) -> bool:
    """Whether RCPs are evaluated for a request to ``action`` (service:Name)."""
    name = action.lower()
    return name.partition(":")[0] in _SERVICES and name not in RCP_EXEMPT_ACTIONS


def covered_services(pattern: str) -> tuple[str, ...]:
    """The RCP services an action pattern's service part can name ("s3*" -> s3; "*" -> all)."""
    service = pattern.strip().partition(":")[0].lower() if ":" in pattern else pattern.strip()
    return tuple(s for s in RCP_SERVICES if fnmatchcase(s, service.lower()))


def resource_account(request: Request, caller_account: str | None = None) -> str | None:
    """The account that owns the request's resource: aws:ResourceAccount when the request
    carries it, else the account field of the ARN, else (S3 bucket ARNs and "*" name no
    account) the caller's own account."""
    given = request.lookup("aws:resourceaccount")
    if given and len(given) == 1:
        return given[0]
    parts = request.resource.split(":")
    if len(parts) > 4 and parts[0] == "arn" and parts[4].isdigit():
        return parts[4]
    return caller_account
