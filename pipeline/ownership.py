"""Which live policies are iamgate's: provable from live IAM, never from a state file.

iamgate creates every policy it owns with three marks in the one CreatePolicy call:
the configured IAM path, the description below, and the tag ``iamgate:managed=true``.
Path and description can never be changed after creation, so they mark a policy in
the bulk read (GetAccountAuthorizationDetails returns both, but no tags). The tag is
the proof: it is read (GetPolicy) for every policy a plan is about to change or delete,
and the deploy role's IAM permissions are conditioned on it (pipeline/iam), so IAM
itself refuses a write to a policy that is not tagged.

A same-name policy without the marks is someone else's: a conflict, reported, never
overwritten or deleted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .iam_policies.live import LivePolicy, PolicyDetails

if TYPE_CHECKING:
    # IAM's and Organizations' tag shapes are the same {Key, Value}.
    from mypy_boto3_iam.type_defs import TagTypeDef

TAG_KEY = "iamgate:managed"
TAG_VALUE = "true"
DESCRIPTION = "Managed by iamgate from a reviewed repository; changes made elsewhere are reverted."


def creation_tags() -> list[TagTypeDef]:
    return [{"Key": TAG_KEY, "Value": TAG_VALUE}]


def marked(policy: LivePolicy, path: str) -> bool:
    """The bulk-readable marks: created by iamgate under the configured path."""
    return policy.path == path and policy.description == DESCRIPTION


def unmarked_reason(policy: LivePolicy, path: str) -> str:
    if policy.path != path:
        return (
            f"a policy with this name exists at path {policy.path}, not iamgate's path {path}: "
            "it is not iamgate's and is left alone"
        )
    return (
        "a policy with this name exists and was not created by iamgate "
        "- no iamgate description or tag - so it is left alone"
    )


def tagged(details: PolicyDetails) -> bool:
    return details.tags.get(TAG_KEY) == TAG_VALUE


def untagged_reason(details: PolicyDetails) -> str:
    return (
        f"{details.arn} carries iamgate's description but not the tag {TAG_KEY}={TAG_VALUE}; "
        "ownership is not proven, so it is left alone"
    )
