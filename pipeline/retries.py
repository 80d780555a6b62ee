"""Writes whose answer was lost: recognising on retry what the first attempt already did.

boto3 retries a call whose connection dropped or that met a 5xx; when the first attempt had
landed, the retry of CreatePolicyVersion makes a second, identical version (or meets IAM's
LimitExceeded once five exist). ``RetryAttempts`` in the answer's metadata says a retry
happened; only then is the version list read, so a clean run pays nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .compare import decode, same_document
from .errors import error_code
from .ownership import DESCRIPTION, TAG_KEY, TAG_VALUE

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient


def tolerate_missing(call: Any, **kwargs: Any) -> None:
    """A delete whose target is already gone has done its job (a retried or re-run delete)."""
    try:
        call(**kwargs)
    except Exception as exc:
        if error_code(exc) != "NoSuchEntity":
            raise


def delete_version(iam: IAMClient, arn: str, version: str) -> None:
    tolerate_missing(iam.delete_policy_version, PolicyArn=arn, VersionId=version)


def created_already(iam: IAMClient, arn: str, text: str, path: str) -> bool:
    """The policy that exists is ours (path, description, tag) and holds this document."""
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    tags = {t["Key"]: t["Value"] for t in policy.get("Tags", ())}
    if policy.get("Path") != path or policy.get("Description") != DESCRIPTION:
        return False
    if tags.get(TAG_KEY) != TAG_VALUE:
        return False
    answer = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])
    return same_document(decode(answer["PolicyVersion"]["Document"]), text)


def create_version(iam: IAMClient, arn: str, text: str) -> str:
    """CreatePolicyVersion(SetAsDefault) that a retry cannot duplicate: a first attempt whose
    answer was lost left a copy (removed here), or filled the five versions so that the retry
    met LimitExceeded (then the document is already the default: done). The new version's id."""
    try:
        answer = iam.create_policy_version(PolicyArn=arn, PolicyDocument=text, SetAsDefault=True)
    except Exception as exc:
        if error_code(exc) != "LimitExceeded":
            raise
        default = drop_copies(iam, arn, text)
        if default is None:
            raise
        return default
    version = str(answer["PolicyVersion"]["VersionId"])
    if retried(answer):
        drop_copies(iam, arn, text)
    return version


def retried(answer: Mapping[str, Any]) -> bool:
    return bool(answer.get("ResponseMetadata", {}).get("RetryAttempts"))


def drop_copies(iam: IAMClient, arn: str, text: str) -> str | None:
    """Delete the non-default versions holding ``text`` (left by attempts whose answer was
    lost); the default version's id when it holds ``text``, else None."""
    default: str | None = None
    for version in iam.list_policy_versions(PolicyArn=arn)["Versions"]:
        answer = iam.get_policy_version(PolicyArn=arn, VersionId=version["VersionId"])
        if not same_document(decode(answer["PolicyVersion"]["Document"]), text):
            continue
        if version.get("IsDefaultVersion"):
            default = version["VersionId"]
        else:
            delete_version(iam, arn, version["VersionId"])
    return default
