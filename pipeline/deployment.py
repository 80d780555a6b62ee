"""The commit each account was deployed from, recorded in the account itself.

iamgate keeps one managed policy of its own in every account it deploys to,
``IamgateDeployedCommit``, created with iamgate's marks (path, description, tag) like
every policy it owns, never attached, granting nothing (Deny NotAction *). Its default
version's statement id carries the commit: ``IamgateCommit<sha>`` once an apply has ended,
``IamgateApplying<sha>`` while one is writing. The bulk read plan already makes
(GetAccountAuthorizationDetails returns every version's document) returns it, so
knowing the deployed commit costs no extra call. A tag would not: that answer carries no
tags for managed policies (ManagedPolicyDetail has none; RoleDetail and UserDetail do),
https://docs.aws.amazon.com/IAM/latest/APIReference/API_ManagedPolicyDetail.html — it would
cost a ListPolicyTags per account on every plan.

The name does not start with ``iamgate-``: the deploy role may never change those (its own
permissions, pipeline/iam/iamgate-deploy-member.json).

Racing applies are told apart by IAM's version ids, which only ever increase: deleting a
version never frees its number ("the remaining version identifiers might be v1, v3, v5, v6,
and v7", https://docs.aws.amazon.com/IAM/latest/UserGuide/policies-managed-versions.html).
An apply claims the account with a new version before its first write and expects the id
after the newest one it read; any other id means another apply claimed the account in the
meantime, and this one stops before writing. A claim still marked "applying" by another
commit means an apply is writing there (or was killed): the account is refused until that
apply ends, or the claim is STALE_AFTER old.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .iam_policies.live import LivePolicy
from .ownership import DESCRIPTION, creation_tags, marked
from .retries import create_version, created_already, delete_version

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

MARKER = "IamgateDeployedCommit"
STALE_AFTER = timedelta(minutes=15)
MAX_VERSIONS = 5  # IAM keeps at most five versions of a managed policy (page above)
_SID = re.compile(r"^Iamgate(Applying|Commit)([0-9a-f]{40})$")


class DeploymentError(Exception):
    """The account's record cannot be trusted or written; the account is refused."""


@dataclass(frozen=True)
class Deployment:
    arn: str
    commit: str  # full sha
    applying: bool  # an apply from ``commit`` claimed the account and has not ended
    newest: int  # the highest version number that exists
    since: datetime | None  # when the default version was created
    default_id: str
    non_default: tuple[tuple[int, str], ...]  # (number, id), oldest first

    def stale(self, now: datetime | None = None) -> bool:
        if self.since is None:
            return True
        since = self.since if self.since.tzinfo else self.since.replace(tzinfo=UTC)
        return (now or datetime.now(UTC)) - since > STALE_AFTER


def document(commit: str, applying: bool) -> str:
    state = "Applying" if applying else "Commit"
    statement = {"Sid": f"Iamgate{state}{commit}", "Effect": "Deny", "NotAction": "*"}
    statement["Resource"] = "*"
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _sid(doc: dict[str, Any]) -> tuple[bool, str] | None:
    statements = doc.get("Statement")
    items = statements if isinstance(statements, list) else [statements]
    for item in items:
        match = _SID.match(str((item or {}).get("Sid", ""))) if isinstance(item, dict) else None
        if match:
            return match.group(1) == "Applying", match.group(2)
    return None


def take(live: dict[str, LivePolicy], path: str) -> Deployment | None:
    """Remove the record from ``live`` (it is never planned like a repository policy)."""
    policy = live.pop(MARKER, None)
    if policy is None:
        return None
    if not marked(policy, path):
        raise DeploymentError(
            f"a policy named {MARKER} exists and is not iamgate's (path {policy.path}, no iamgate "
            "description): iamgate keeps the deployed commit there; rename or delete it"
        )
    default = policy.default
    found = _sid(default.document) if default is not None else None
    if default is None or found is None:
        raise DeploymentError(
            f"{policy.arn}: its default version does not name a commit; it was edited by hand "
            f"(set a version holding a Sid IamgateCommit<sha> as default, or delete {MARKER})"
        )
    applying, commit = found
    others = sorted((v.number, v.id) for v in policy.versions if v is not default)
    return Deployment(
        arn=policy.arn,
        commit=commit,
        applying=applying,
        newest=max(v.number for v in policy.versions),
        since=default.created,
        default_id=default.id,
        non_default=tuple(others),
    )


def _number(version_id: str) -> int:
    digits = "".join(ch for ch in version_id.split(".")[0] if ch.isdigit())
    return int(digits) if digits else 0


class Recorder:
    """Writes the record of one account during one apply: claim, then finish."""

    def __init__(self, iam: IAMClient, arn: str, path: str, state: Deployment | None) -> None:
        self.iam = iam
        self.arn = arn
        self.path = path
        self.state = state
        self._expected = (state.newest if state else 0) + 1
        self._old = list(state.non_default) if state else []

    def _write(self, commit: str, applying: bool) -> None:
        text = document(commit, applying)
        if self.state is None:
            from .errors import error_code

            try:
                self.iam.create_policy(
                    PolicyName=MARKER,
                    Path=self.path,
                    PolicyDocument=text,
                    Description=DESCRIPTION,
                    Tags=creation_tags(),
                )
            except Exception as exc:
                if error_code(exc) != "EntityAlreadyExists":
                    raise
                # Ours, from a first attempt whose answer was lost; else another apply's.
                if not created_already(self.iam, self.arn, text, self.path):
                    raise DeploymentError(
                        "another apply recorded its commit in this account at the same time; "
                        "nothing more was written here by this one: re-run the newest apply"
                    ) from None
            got = 1
        else:
            if len(self._old) + 1 >= MAX_VERSIONS:
                _, oldest = self._old.pop(0)
                delete_version(self.iam, self.arn, oldest)
            got = _number(create_version(self.iam, self.arn, text))
            if got != self._expected and not self._copies_only(got):
                raise DeploymentError(
                    f"another apply claimed this account while this one ({commit[:12]}) was "
                    f"{'starting' if applying else 'writing'} (version v{got} of {MARKER}, "
                    f"v{self._expected} expected): the newer commit must be applied again"
                )
        if self.state is not None:
            self._old.append((_number(self.state.default_id), self.state.default_id))
        now = datetime.now(UTC)
        self.state = Deployment(self.arn, commit, applying, got, now, f"v{got}", ())
        self._expected = got + 1

    def _copies_only(self, got: int) -> bool:
        """Versions between the expected id and ours were copies of ours, left by attempts
        whose answer was lost and already deleted (create_version): no other apply's."""
        versions = self.iam.list_policy_versions(PolicyArn=self.arn)["Versions"]
        between = [v for v in versions if self._expected <= _number(v["VersionId"]) < got]
        return not between

    def claim(self, commit: str) -> None:
        self._write(commit, applying=True)

    def finish(self, commit: str) -> None:
        self._write(commit, applying=False)
