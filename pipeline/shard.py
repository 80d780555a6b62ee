"""--shard K/N: a stable partition of the accounts, so CI matrix jobs split an organization.

An account's shard depends only on its id (a hash, not its position in a list), so
adding or closing accounts never moves the others between jobs.
"""

from __future__ import annotations

import hashlib
import re

_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def parse_shard(text: str) -> tuple[int, int]:
    """ "2/4" -> (2, 4); K is 1-based. ValueError with the reason otherwise."""
    match = _SHARD.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not K/N (for example 2/4)")
    k, n = int(match.group(1)), int(match.group(2))
    if n < 1 or not 1 <= k <= n:
        raise ValueError(f"{text!r}: K must be between 1 and N (N >= 1)")
    return k, n


def shard_of(account_id: str, count: int) -> int:
    """The 1-based shard of ``account_id`` among ``count`` shards."""
    digest = hashlib.sha256(account_id.encode("ascii")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def in_shard(account_id: str, shard: tuple[int, int] | None) -> bool:
    if shard is None:
        return True
    k, n = shard
    return shard_of(account_id, n) == k
