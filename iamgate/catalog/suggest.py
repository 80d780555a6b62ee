"""Did-you-mean: the closest real spelling of a misspelt action, service or pattern."""

from __future__ import annotations

import re
from collections.abc import Sequence

_WILDCARDS = ("*", "?")


def close_matches(word: str, possibilities: Sequence[str], n: int, cutoff: float) -> list[str]:
    """``difflib.get_close_matches(word, possibilities, n, cutoff)``, the same list, cheaper.

    difflib scores every candidate that passes its two bounds (length, then shared
    characters): a did-you-mean over a service of hundreds of actions spent most of its time
    there. Here the shared-character bound is counted in C, and candidates are scored from
    the highest bound down, stopping once a bound falls below the n-th best score found (a
    score never exceeds its bound; equal ones go on, as a tie is broken by the string).
    """
    import difflib
    import heapq

    counts: dict[str, int] = {}
    for ch in word:
        counts[ch] = counts.get(ch, 0) + 1
    chars, wanted = tuple(counts), tuple(counts.values())
    size = len(word)
    bounded: list[tuple[float, str]] = []
    for candidate in possibilities:
        total = len(candidate) + size
        if not total:
            bounded.append((1.0, candidate))  # two empty strings: difflib's ratio is 1.0
        elif 2.0 * min(len(candidate), size) / total >= cutoff:
            shared = sum(map(min, map(candidate.count, chars), wanted))
            bound = 2.0 * shared / total  # difflib's quick_ratio, the same float
            if bound >= cutoff:
                bounded.append((bound, candidate))
    bounded.sort(key=lambda pair: pair[0], reverse=True)
    matcher = difflib.SequenceMatcher()
    matcher.set_seq2(word)
    scored: list[tuple[float, str]] = []
    floor = -1.0
    for bound, candidate in bounded:
        if bound < floor:
            break
        matcher.set_seq1(candidate)
        score = matcher.ratio()
        if score >= cutoff:
            scored.append((score, candidate))
            if len(scored) >= n:
                floor = heapq.nlargest(n, scored)[-1][0]
    return [candidate for _, candidate in heapq.nlargest(n, scored)]


def suggest_pattern(pattern: str, names: list[str]) -> str | None:
    """Fix the first misspelt literal run of a pattern ("Craete*" -> "Create*")."""

    chunks = re.split(r"([*?])", pattern)
    for index, chunk in enumerate(chunks):
        if not chunk or chunk in _WILDCARDS:
            continue
        size = len(chunk)
        if index == 0:
            candidates = {n[:size] for n in names if len(n) >= size}
        else:
            candidates = {n[i : i + size] for n in names for i in range(len(n) - size + 1)}
        lowered = {c.lower(): c for c in candidates}
        close = close_matches(chunk.lower(), list(lowered), 1, 0.7)
        if close and close[0] != chunk.lower():
            return "".join([*chunks[:index], lowered[close[0]], *chunks[index + 1 :]])
    return None
