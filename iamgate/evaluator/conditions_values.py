"""How each condition-operator family compares one request value with the policy's values.

Each family turns the policy values into one predicate over a request value: "does it match
any of the policy values" (several values of one key are ORed). Negation, absent keys and set
operators are the business of ``conditions.py``; this module only compares.

Families and their documented rules
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html):
* String — exact and case-sensitive; ``IgnoreCase`` variants fold case; ``Like`` has ``*``/``?``.
* Numeric — integers or decimals. Date — W3C ISO 8601 or epoch seconds.
* Bool — "true"/"false". Binary — byte-for-byte against base64 in the policy.
* IP address — CIDR; an address without a prefix is /32 (/128 for IPv6).
* ARN — per-segment wildcard matching; ``ArnEquals`` and ``ArnLike`` behave identically.
Policy variables are allowed in String, ARN and Bool values only.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from functools import lru_cache, partial

from iamgate.evaluator.matching import Matcher, compile_patterns, never
from iamgate.evaluator.variables import Lookup, Resolved, Resolver, parse, static_pieces

# family -> (policy variables allowed, wildcards in values)
FAMILIES: dict[str, tuple[bool, bool]] = {
    "string": (True, False),
    "string_ignorecase": (True, False),
    "string_like": (True, True),
    "arn": (True, True),
    "bool": (True, False),
    "numeric": (False, False),
    "date": (False, False),
    "ip": (False, False),
    "binary": (False, False),
}

COMPARATORS: dict[str, Callable[[float, float], bool]] = {
    "eq": operator.eq,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}


class ValueTest:
    """The policy values of one condition, ready to test request values.

    ``matcher(lookup)`` gives the predicate for one request; it is built once at compile time
    unless a value holds a policy variable, in which case it is built per distinct variable
    value (see ``variables.Resolver``).
    """

    __slots__ = ("_resolver", "_static")

    def __init__(self, family: str, comparator: str, values: tuple[str, ...], variables: bool):
        allow_vars, wildcards = FAMILIES[family]
        use_vars = variables and allow_vars
        pieces = tuple(parse(value, wildcards=wildcards, variables=use_vars) for value in values)
        self._static: Matcher | None = None
        self._resolver: Resolver | None = None
        static = tuple(s for p in pieces if (s := static_pieces(p)) is not None)
        if len(static) < len(pieces):
            self._resolver = Resolver(pieces, partial(_build, family, comparator))
        else:
            self._static = _build(family, comparator, static)

    def matcher(self, lookup: Lookup) -> Matcher:
        if self._static is not None:
            return self._static
        # __init__ sets one of the two; no assert on this hot path.
        return self._resolver.matcher(lookup)  # type: ignore[union-attr]


@lru_cache(maxsize=4096)
def _build(family: str, comparator: str, values: tuple[tuple[Resolved, ...], ...]) -> Matcher:
    if not values:
        return never
    if family == "string_like":
        return compile_patterns(values, arn=False)
    if family == "arn":
        return compile_patterns(values, arn=True)
    # These families are parsed without wildcards (FAMILIES): every piece is text.
    texts = ["".join(pieces) for pieces in values]  # type: ignore[arg-type]
    if family == "string":
        return frozenset(texts).__contains__
    if family in ("string_ignorecase", "bool"):
        # Bool compares "true"/"false" in any letter case; JSON true arrives as "true".
        folded = frozenset(text.lower() for text in texts)
        return lambda value: value.lower() in folded
    if family == "numeric":
        return _ordered(texts, _number, COMPARATORS[comparator])
    if family == "date":
        return _ordered(texts, parse_date, COMPARATORS[comparator])
    if family == "ip":
        return _networks(texts)
    if family == "binary":
        wanted = frozenset(data for data in map(_base64, texts) if data is not None)
        return lambda value: _base64(value) in wanted
    raise ValueError(f"unknown condition family {family!r}")


def _ordered(
    texts: list[str],
    convert: Callable[[str], float | None],
    compare: Callable[[float, float], bool],
) -> Matcher:
    # A policy value that does not parse matches nothing (the grammar reports it).
    bounds = [number for number in map(convert, texts) if number is not None]
    if not bounds:
        return never

    def test(value: str) -> bool:
        number = convert(value)
        return number is not None and any(compare(number, bound) for bound in bounds)

    return test


_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def _number(text: str) -> float | None:
    text = text.strip()
    return float(text) if _NUMBER.fullmatch(text) else None


_EPOCH = re.compile(r"[+-]?\d+(?:\.\d+)?")
_YEAR_MONTH = re.compile(r"(\d{4})(?:-(\d{2}))?")


def parse_date(text: str) -> float | None:
    """Seconds since the epoch for a W3C ISO 8601 date (https://www.w3.org/TR/NOTE-datetime)
    or an epoch time; None when it is neither. A time without a zone is UTC.

    A bare number is read as epoch seconds (AWS's ``aws:EpochTime`` form), so "2020" is the
    epoch second 2020, not the year.
    """
    import datetime as dt  # here, not at import time: most runs never see a date

    text = text.strip()
    if _EPOCH.fullmatch(text):
        return float(text)
    short = _YEAR_MONTH.fullmatch(text)
    if short:
        year, month = int(short.group(1)), int(short.group(2) or 1)
        if not 1 <= month <= 12:
            return None
        return dt.datetime(year, month, 1, tzinfo=dt.UTC).timestamp()
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp()


def _networks(texts: list[str]) -> Matcher:
    from ipaddress import ip_address, ip_network

    networks = []
    for text in texts:
        try:
            networks.append(ip_network(text.strip(), strict=False))
        except ValueError:
            continue
    if not networks:
        return never

    def test(value: str) -> bool:
        try:
            address = ip_address(value.strip())
        except ValueError:
            return False
        # An IPv4 address is never inside an IPv6 network and vice versa ("in" says False).
        return any(address in network for network in networks)

    return test


def _base64(text: str) -> bytes | None:
    import base64
    import binascii

    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
