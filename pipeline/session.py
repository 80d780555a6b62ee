"""AWS access: boto3's standard configuration, one IAM client per member account.

Credentials, region, endpoint (``AWS_ENDPOINT_URL``), retry mode and attempts all come
from boto3's usual sources — profiles, environment, web identity (CI OIDC). Nothing
here knows about tests: the tests point ``AWS_ENDPOINT_URL`` at a moto server.
"""

from __future__ import annotations

import os
import subprocess
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # The boto3-stubs service packages (test extra): boto3 itself is untyped.
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_organizations import OrganizationsClient
    from mypy_boto3_sts import STSClient

SHA_VARIABLES = ("GITHUB_SHA", "CI_COMMIT_SHA")
SHORT = 12
USER_AGENT = "iamgate-pipeline"


def commit_sha(root: Path) -> str:
    """The short commit being deployed: CI's variable, else git, else 'local'."""
    for name in SHA_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value:
            return value[:SHORT]
    return _git_head(root, f"--short={SHORT}") or "local"


def full_commit(root: Path) -> str:
    """The full sha being deployed (CI's variable, else git's HEAD); "" when unknown."""
    for name in SHA_VARIABLES:
        value = os.environ.get(name, "").strip().lower()
        if value:
            return value if len(value) == 40 and all(c in "0123456789abcdef" for c in value) else ""
    sha = _git_head(root)
    return sha if len(sha) == 40 else ""


def _git_head(root: Path, *options: str) -> str:
    """``git rev-parse [options] HEAD`` in ``root``; "" when git or the repository is missing."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", *options, "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def session_name(root: Path) -> str:
    """What CloudTrail shows for every call in a member account: iamgate and the commit."""
    # RoleSessionName allows [\w+=,.@-]{2,64}.
    sha = "".join(ch for ch in commit_sha(root) if ch.isalnum())[:SHORT] or "local"
    return f"iamgate-{sha}"


def parse_timestamp(value: Any) -> Any:
    """IAM and STS timestamps are ISO-8601; the standard library reads them far faster than
    botocore's default (dateutil), which matters because GetAccountAuthorizationDetails
    carries two timestamps per policy version, for every account."""
    from botocore.parsers import DEFAULT_TIMESTAMP_PARSER

    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return DEFAULT_TIMESTAMP_PARSER(value)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return DEFAULT_TIMESTAMP_PARSER(value)


class Aws:
    """The management account's clients, and an IAM client per member account via AssumeRole.

    ``botocore_session`` lets a caller that embeds iamgate supply its own session (the
    bench counts calls with an event hook on it); by default a fresh one is made.
    """

    def __init__(
        self,
        *,
        role: str,
        session_name: str,
        concurrency: int = 8,
        botocore_session: Any = None,
    ) -> None:
        import boto3
        import botocore.session
        from botocore.config import Config

        self.role = role.strip("/")
        self.session_name = session_name
        core = botocore_session or botocore.session.Session()
        core.get_component("response_parser_factory").set_parser_defaults(
            timestamp_parser=parse_timestamp
        )
        self._boto = boto3.Session(botocore_session=core)
        self.region = self._boto.region_name or "us-east-1"
        self.partition = self._boto.get_partition_for_region(self.region)
        # Only the pool size and user agent are set here: retries, endpoint and credentials
        # stay with the standard configuration, which Config merges underneath.
        self._config = Config(
            max_pool_connections=max(10, concurrency), user_agent_extra=USER_AGENT
        )
        # Client creation reads shared loader state; boto3 sessions are not thread-safe.
        self._lock = threading.Lock()
        self._sts_lock = threading.Lock()
        self._sts: STSClient | None = None

    def organizations(self) -> OrganizationsClient:
        with self._lock:
            return self._boto.client("organizations", region_name=self.region, config=self._config)

    def role_arn(self, account_id: str) -> str:
        return f"arn:{self.partition}:iam::{account_id}:role/{self.role}"

    def iam_for(self, account_id: str) -> IAMClient:
        """Assume the deploy role in ``account_id``; an IAM client with its credentials."""
        with self._sts_lock:
            if self._sts is None:
                with self._lock:
                    self._sts = self._boto.client(
                        "sts", region_name=self.region, config=self._config
                    )
            sts = self._sts
        answer = sts.assume_role(
            RoleArn=self.role_arn(account_id), RoleSessionName=self.session_name
        )
        creds = answer["Credentials"]
        with self._lock:
            return self._boto.client(
                "iam",
                region_name=self.region,
                config=self._config,
                aws_access_key_id=creds["AccessKeyId"],
                aws_secret_access_key=creds["SecretAccessKey"],
                aws_session_token=creds["SessionToken"],
            )
