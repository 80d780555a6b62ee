"""Apply one organization policy type's plan: Organizations writes in the plan's order,
stopping at the first failure.

The plan is already ordered (create, update, attach, detach, delete), already checked (for
targets it would leave without a policy, locked out or over the attach quota), and its
policies' ownership tags were read just before (sync.py). A policy is created with iamgate's
marks in one call: the description and the tag ``iamgate:managed=true``. A write whose
effect is already in place (attached twice, detached or deleted already: a re-run) has done
its job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ..errors import describe, error_code, is_aws_error
from ..ownership import DESCRIPTION, creation_tags
from .plan import WRITES, OrgChange, OrgPlan

Status = Literal["done", "failed", "not attempted", "reported"]
_ALREADY = {
    "enable": "PolicyTypeAlreadyEnabledException",
    "attach": "DuplicatePolicyAttachmentException",
    "detach": "PolicyNotAttachedException",
    "delete": "PolicyNotFoundException",
}
_VERB = {
    "enable": "enabling",
    "create": "creating",
    "update": "updating",
    "attach": "attaching",
    "detach": "detaching",
    "delete": "deleting",
}


@dataclass(frozen=True)
class OrgOutcome:
    change: OrgChange
    status: Status
    error: str = ""


def write(client: Any, change: OrgChange, created: dict[str, str], policy_type: str) -> None:
    """One write; ``created`` maps the names of policies created in this run to their ids."""
    policy_id = change.policy_id or created.get(change.policy, "")
    if change.action == "enable":
        assert change.target is not None
        _tolerate(
            "enable",
            client.enable_policy_type,
            RootId=change.target.id,
            PolicyType=policy_type,
        )
    elif change.action == "create":
        answer = client.create_policy(
            Name=change.policy,
            Description=DESCRIPTION,
            Content=change.text,
            Type=policy_type,
            Tags=creation_tags(),
        )
        created[change.policy] = answer["Policy"]["PolicySummary"]["Id"]
    elif change.action == "update":
        client.update_policy(PolicyId=policy_id, Content=change.text)
    elif change.action in ("attach", "detach"):
        assert change.target is not None
        call = client.attach_policy if change.action == "attach" else client.detach_policy
        _tolerate(change.action, call, PolicyId=policy_id, TargetId=change.target.id)
    elif change.action == "delete":
        _tolerate("delete", client.delete_policy, PolicyId=policy_id)
    else:
        raise ValueError(f"not a write: {change.action}")


def _tolerate(action: str, call: Any, **kwargs: Any) -> None:
    try:
        call(**kwargs)
    except Exception as exc:
        if error_code(exc) != _ALREADY[action]:
            raise


def apply_plan(client: Any, plan: OrgPlan) -> list[OrgOutcome]:
    kind = plan.kind
    outcomes: list[OrgOutcome] = []
    created: dict[str, str] = {}
    stopped = False
    for change in plan.changes:
        if change.action not in WRITES:
            outcomes.append(OrgOutcome(change, "reported", change.reason))
        elif stopped:
            outcomes.append(
                OrgOutcome(change, "not attempted", f"an earlier {kind.label} write failed")
            )
        else:
            try:
                write(client, change, created, kind.policy_type)
            except Exception as exc:
                if not is_aws_error(exc):
                    raise
                where = f" on {change.target.label}" if change.target else ""
                message = f"{_VERB[change.action]} {change.policy}{where}: {describe(exc)}"
                outcomes.append(OrgOutcome(change, "failed", message))
                stopped = True
            else:
                outcomes.append(OrgOutcome(change, "done"))
    return outcomes
