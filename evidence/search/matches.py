"""What a query or a part of one matches, and how parts combine: Whoosh's matchers as set algebra.

``intersect`` is ``IntersectionMatcher`` (scores summed), ``union_all`` a tree of ``UnionMatcher``
(scores summed over the parts that match), ``boosted`` a ``WrappingMatcher`` with a boost.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

NONE = np.zeros(0, dtype=np.int64)


@dataclass
class Match:
    """Sorted documents a query (part) matches, their scores, how many of its term matchers match
    each (``terms``) and how many it has (``termcount``) — what a scaled ``Or`` needs."""

    docs: np.ndarray  # int64, sorted, unique
    scores: np.ndarray  # float64
    terms: np.ndarray  # int32
    termcount: int

    @classmethod
    def empty(cls) -> Match:
        return cls(NONE, np.zeros(0), np.zeros(0, dtype=np.int32), 0)


def boosted(m: Match, boost: float) -> Match:
    return m if boost == 1.0 else Match(m.docs, m.scores * boost, m.terms, m.termcount)


def intersect(a: Match, b: Match) -> Match:
    ia, ib = np.isin(a.docs, b.docs, kind="table"), np.isin(b.docs, a.docs, kind="table")  # ascending: no sort
    return Match(a.docs[ia], a.scores[ia] + b.scores[ib], a.terms[ia] + b.terms[ib], a.termcount + b.termcount)


def union_all(parts: list[Match], n: int) -> Match:
    """The union of ``parts``, scores and terms summed over the parts that match (dense accumulators
    over the ``n`` documents: each part's documents are unique, so ``+=`` through an index is exact)."""
    termcount = sum(p.termcount for p in parts)
    parts = [p for p in parts if len(p.docs)]
    if len(parts) < 2:  # nothing to add up
        return dataclasses.replace(parts[0] if parts else Match.empty(), termcount=termcount)
    scores = np.zeros(n)
    terms = np.zeros(n, dtype=np.int32)
    present = np.zeros(n, dtype=bool)
    for p in parts:
        scores[p.docs] += p.scores
        terms[p.docs] += p.terms
        present[p.docs] = True
    docs = np.flatnonzero(present)
    return Match(docs, scores[docs], terms[docs], termcount)
