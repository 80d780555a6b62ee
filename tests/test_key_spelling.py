"""A condition key matched through a catalog template keeps the name the policy wrote, and the
verdict does not depend on the interpreter's hash seed.

ssm documents ``ssm:resourceTag/tag-key`` (and ``${TagKey}``-style templates); a policy that
tests ``ssm:resourceTag/aws:cloud9:environment`` must be asked about that key, or no candidate
request carries it and a path it opens is missed in some runs and not others.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from iamgate.catalog import get_catalog
from iamgate.config import Config
from iamgate.delegation import CandidateSpace
from iamgate.model import policy_from_data
from iamgate.project import Project

TAGGED_SESSIONS = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "ssm:StartSession",
            "Resource": "arn:aws:ec2:*:*:instance/*",
            "Condition": {"StringLike": {"ssm:resourceTag/aws:cloud9:environment": "*"}},
        }
    ],
}


def test_a_templated_key_keeps_the_policys_own_spelling(tmp_path: Path) -> None:
    policy = policy_from_data(TAGGED_SESSIONS, "policies/p.json", "identity")
    project = Project(tmp_path, Config(root=tmp_path, prefix="service-"))
    space = CandidateSpace(policy, project)
    key = "ssm:resourcetag/aws:cloud9:environment"
    assert space.spelling[key] == "ssm:resourceTag/aws:cloud9:environment"
    # The documented key itself still takes AWS's spelling.
    assert get_catalog().describe_key("iam:permissionsboundary")[0] == "iam:PermissionsBoundary"


def test_the_verdict_is_the_same_under_every_hash_seed(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "sessions.json").write_text(json.dumps(TAGGED_SESSIONS))
    outputs = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-m", "iamgate", "lint", "--no-cache", "--format", "json"],
            cwd=tmp_path, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        report = json.loads(done.stdout)
        outputs.add(tuple(f["rule"] for f in report["findings"]))
    # One verdict, and it is the escape: a shell on any tagged instance (ssm-001).
    assert outputs == {("IG408",)}
