"""The parsed configuration, cached beside the lint results (.iamgate_cache/).

Reading iamgate.yaml with ruamel's round-trip parser (for the line numbers of its errors)
and checking its schema costs a pre-commit hook more than linting three policies does. A
configuration that parsed cleanly is kept as JSON, keyed by its path, its bytes, iamgate's
code fingerprint (the schema and the code that read it) and the date (a waiver's expiry
changes what the same bytes mean); an invalid one is never kept, so its error is reported
every time. Its rule references are lint's to check (iamgate.rule_references).

Encoding is generic over the dataclasses of the module that defines the cached value's type
(iamgate.config: a field added later is kept too) and checked by decoding again: what cannot
be encoded exactly is not cached. The module is named by the caller's type, so this cache
does not import the configuration (which imports it).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any, TypeVar

from iamgate import cache_store

_T = TypeVar("_T")

_NAME = "config-{key}.json"
KEPT = 16  # parsed configurations kept: the oldest go first


def _key(path: Path, raw: bytes) -> str:
    # Today's date too: a waiver in lint.rules lapses on its expiry date, which changes the
    # rule levels the same bytes parse to.
    return cache_store.sha(cache_store.code_fingerprint(), str(path.resolve()), raw, _today())


def _today() -> str:
    return dt.date.today().isoformat()


def cached(path: Path, raw: bytes, kind: type[_T]) -> _T | None:
    """The ``kind`` parsed earlier from these bytes of ``path``, if kept."""
    data = cache_store.read(cache_store.folder(path.parent), _NAME.format(key=_key(path, raw)))
    if data is None:
        return None
    try:
        value = _decode(json.loads(data), kind.__module__)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return value if isinstance(value, kind) else None


def remember(path: Path, raw: bytes, config: object) -> None:
    home = type(config).__module__
    try:
        encoded = json.dumps(_encode(config, home), separators=(",", ":"))
        again = _decode(json.loads(encoded), home)
        # Dataclass equality leaves out fields declared compare=False (the configuration's
        # raw mapping): the encodings must match too.
        same = (
            again == config and json.dumps(_encode(again, home), separators=(",", ":")) == encoded
        )
    except (TypeError, ValueError, KeyError):
        return  # a value this encoding does not know: parse it every time
    if not same:
        return
    folder = cache_store.folder(path.parent)
    if cache_store.write(folder, _NAME.format(key=_key(path, raw)), encoded.encode()):
        cache_store.evict(folder, "config-", KEPT)


def _encode(value: Any, home: str) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        if isinstance(value, float) and value != value:
            raise TypeError("NaN")
        return value
    if isinstance(value, Path):
        return {"!": "path", "v": str(value)}
    if type(value) is dt.date:
        return {"!": "date", "v": value.isoformat()}
    if isinstance(value, tuple):
        return {"!": "tuple", "v": [_encode(v, home) for v in value]}
    if isinstance(value, list):
        return [_encode(v, home) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError("a key that is not text")
        return {"!": "dict", "v": {k: _encode(v, home) for k, v in value.items()}}
    if dataclasses.is_dataclass(value) and type(value).__module__ == home:
        return {
            "!": "config",
            "t": type(value).__name__,
            "v": {f.name: _encode(getattr(value, f.name), home) for f in dataclasses.fields(value)},
        }
    raise TypeError(f"cannot cache a {type(value).__name__}")


def _decode(value: Any, home: str) -> Any:
    if isinstance(value, list):
        return [_decode(v, home) for v in value]
    if not isinstance(value, dict):
        return value
    tag, inner = value["!"], value["v"]
    if tag == "path":
        return Path(inner)
    if tag == "date":
        return dt.date.fromisoformat(inner)
    if tag == "tuple":
        return tuple(_decode(v, home) for v in inner)
    if tag == "dict":
        return {k: _decode(v, home) for k, v in inner.items()}
    if tag == "config":
        kind = getattr(sys.modules[home], value["t"])
        if not (isinstance(kind, type) and dataclasses.is_dataclass(kind)):
            raise TypeError(value["t"])
        return kind(**{k: _decode(v, home) for k, v in inner.items()})
    raise ValueError(tag)
