"""Apply one account's plan: the IAM writes, in the plan's order, stopping at the first failure.

The plan is already ordered (boundaries before the policies that reference them,
deletions in reverse) and already checked against live IAM (safety.py). Every write
keeps a default version in place: an update is CreatePolicyVersion(SetAsDefault=True),
atomic in IAM; when five versions exist the oldest non-default one is deleted first; a
deletion removes non-default versions, then the policy. A failure stops the account's
remaining writes (a policy must not go out ahead of a boundary that failed) and a
re-run picks up from live state — there is nothing else to resume.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ..errors import describe, error_code, is_aws_error
from ..ownership import DESCRIPTION, creation_tags
from ..retries import create_version, created_already, tolerate_missing
from .plan import WRITES, AccountPlan, Change

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

Status = Literal["done", "failed", "not attempted", "reported"]


@dataclass(frozen=True)
class Outcome:
    change: Change
    status: Status
    error: str = ""


def write(iam: IAMClient, change: Change, path: str) -> None:
    if change.action == "create":
        assert change.text is not None, "a planned create carries its document"
        try:
            iam.create_policy(
                PolicyName=change.name,
                Path=path,
                PolicyDocument=change.text,
                Description=DESCRIPTION,
                Tags=creation_tags(),
            )
        except Exception as exc:
            # A retry whose first attempt landed (its answer was lost) meets its own policy.
            if error_code(exc) != "EntityAlreadyExists" or not created_already(
                iam, change.arn, change.text or "", path
            ):
                raise
    elif change.action == "update":
        if change.set_default:
            iam.set_default_policy_version(PolicyArn=change.arn, VersionId=change.set_default)
            return
        if change.rotate_out:
            tolerate_missing(
                iam.delete_policy_version, PolicyArn=change.arn, VersionId=change.rotate_out
            )
        create_version(iam, change.arn, change.text or "")
    elif change.action == "delete":
        for version in change.old_versions:
            tolerate_missing(iam.delete_policy_version, PolicyArn=change.arn, VersionId=version)
        tolerate_missing(iam.delete_policy, PolicyArn=change.arn)
    else:
        raise ValueError(f"not a write: {change.action}")


_VERB = {"create": "creating", "update": "updating", "delete": "deleting"}


def apply_account(iam: IAMClient, plan: AccountPlan, path: str) -> list[Outcome]:
    outcomes: list[Outcome] = []
    stopped = False
    for change in plan.changes:
        if change.action not in WRITES:
            outcomes.append(Outcome(change, "reported", change.reason))
        elif stopped:
            outcomes.append(
                Outcome(change, "not attempted", "an earlier write in this account failed")
            )
        else:
            try:
                write(iam, change, path)
            except Exception as exc:
                if not is_aws_error(exc):
                    raise
                outcomes.append(
                    Outcome(
                        change, "failed", f"{_VERB[change.action]} {change.name}: {describe(exc)}"
                    )
                )
                stopped = True
            else:
                outcomes.append(Outcome(change, "done"))
    return outcomes
