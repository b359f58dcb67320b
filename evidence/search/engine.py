"""Vectorised matching and scoring of parsed queries over Whoosh's own postings.

Whoosh matches and scores a query one posting at a time in Python; at 20,000
studies a many-word or phrase query walks tens of thousands of postings and
took 0.2–0.6 s. This module evaluates the *same parsed query tree* with numpy
instead: it reads each term's postings from the index a block (128 postings)
at a time — Whoosh's file format, read in bulk — and computes the scores
Whoosh would give:

- a term: BM25F as ``whoosh.scoring.BM25FScorer`` computes it — the searcher's
  idf, average field length, the document's field length as stored (one byte,
  quantised: ``byte_to_length``), ``B`` and ``K1``, in the same order of
  operations — times the term's boost; fields that are not scorable score the
  posting's weight, as ``WeightScorer`` does;
- ``And``: the documents every part matches, the parts' scores summed
  (``IntersectionMatcher``); ``Or``: the union, summed over the parts that
  match (``UnionMatcher``), with the coordination bonus of a scaled ``Or``
  (``CoordMatcher``'s SQR formula); ``AndNot``, ``Require``, ``AndMaybe`` as
  their matchers score;
- a phrase: the documents where the words stand next to each other in order
  (``SpanNear2`` with slop 1, which ``Phrase`` compiles to), scored as the
  ``And`` of its words; ``Not``: every other document, scoring 1 (``InverseMatcher``).

So the matches and the scores are Whoosh's (sums may differ in the last bit
because Whoosh adds in a tree order): ``tests/search/test_engine.py`` compares
both with Whoosh's own ``search`` over generated queries. Any other query
type (prefix, wildcard, numeric range …) is handed to Whoosh unchanged, for
that part of the tree only.

Postings are cached per index version (an LRU bounded in bytes, shared by the
threads of a process); field lengths are read once per field.
"""

from __future__ import annotations

import threading
import zlib
from dataclasses import dataclass
from pickle import loads

import numpy as np
from whoosh import query
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher
from whoosh.query import qcore
from whoosh.scoring import BM25F
from whoosh.util.numeric import byte_to_length

_BYTE_TO_LENGTH = np.array([byte_to_length(i) for i in range(256)], dtype=np.float64)
_NONE = np.zeros(0, dtype=np.int64)


@dataclass
class Match:
    """What a query (part) matches: sorted document numbers and their scores.

    ``terms`` counts, per document, how many of the part's term matchers match it and
    ``termcount`` how many term matchers the part has — what a scaled ``Or`` needs.
    """

    docs: np.ndarray  # int64, sorted, unique
    scores: np.ndarray  # float64
    terms: np.ndarray  # int32
    termcount: int

    @classmethod
    def empty(cls) -> "Match":
        return cls(_NONE, np.zeros(0), np.zeros(0, dtype=np.int32), 0)


class Shared:
    """What the threads of one process share for one index version: postings and field lengths."""

    def __init__(self, lru):
        self.postings = lru  # (field, bytes) -> (docs int64, weights float64, values or None)
        self.lengths: dict[str, np.ndarray] = {}
        self.lock = threading.Lock()


class Engine:
    """Evaluates parsed queries against one searcher (one per thread: index files are read with seeks)."""

    def __init__(self, searcher, shared: Shared):
        self.searcher = searcher
        self.reader = searcher.reader()
        self.schema = searcher.schema
        self.leaves = list(self.reader.leaf_readers())
        self.shared = shared
        weighting = searcher.weighting
        self.bm25 = weighting if type(weighting) is BM25F else None

    # ------------------------------------------------------------ public

    def match(self, q) -> Match:
        """The documents ``q`` matches and their scores (deleted documents included: mask them after)."""
        handler = _HANDLERS.get(type(q))
        if handler is None:
            return self._whoosh(q)
        return handler(self, q)

    # ------------------------------------------------------------ terms

    def _postings(self, fieldname: str, btext: bytes, values: bool = False):
        key = (fieldname, btext, values)
        hit = self.shared.postings.get(key)
        if hit is not None:
            return hit
        fmt = self.schema[fieldname].format
        docs, weights, vals = [], [], []
        for leaf, base in self.leaves:
            if (fieldname, btext) not in leaf:
                continue
            d, w, v = _read_all(leaf._terms.matcher(fieldname, btext, fmt), values)
            docs.append(d + base)
            weights.append(w)
            vals.extend(v)
        out = (np.concatenate(docs) if docs else _NONE,
               np.concatenate(weights) if weights else np.zeros(0), vals if values else None)
        size = out[0].nbytes + out[1].nbytes + (sum(len(x) + 40 for x in vals) if values else 0)
        self.shared.postings.put(key, out, weight=size)
        return out

    def _lengths(self, fieldname: str) -> np.ndarray:
        lengths = self.shared.lengths.get(fieldname)
        if lengths is None:
            parts = []
            for leaf, _ in self.leaves:
                count = leaf.doc_count_all()
                column = leaf._perdoc._cached_reader(f"_{fieldname}_len", LENGTHS_COLUMN)
                if column is None:  # Whoosh's searcher.doc_field_length default
                    parts.append(np.ones(count))
                    continue
                # one unsigned byte per document (FixedBytesColumn of "B"); documents past the
                # column's end have the default, 0
                raw = np.zeros(count, dtype=np.uint8)
                stored = min(column._count, count)
                raw[:stored] = np.frombuffer(column._dbfile.get(column._basepos, stored), dtype=np.uint8)
                parts.append(_BYTE_TO_LENGTH[raw])
            lengths = np.concatenate(parts) if parts else np.zeros(0)
            with self.shared.lock:
                self.shared.lengths[fieldname] = lengths
        return lengths

    def _term_scores(self, fieldname: str, btext: bytes, docs: np.ndarray, weights: np.ndarray) -> np.ndarray:
        if not self.schema[fieldname].scorable:
            return weights.copy()
        if self.bm25 is None:
            raise _Fallback
        searcher = self.searcher
        B = self.bm25._field_B.get(fieldname, self.bm25.B)
        K1 = self.bm25.K1
        idf = searcher.idf(fieldname, btext)
        avgfl = searcher.avg_field_length(fieldname) or 1
        fl = self._lengths(fieldname)[docs]
        # whoosh.scoring.bm25, operation for operation
        return idf * ((weights * (K1 + 1)) / (weights + K1 * ((1 - B) + B * fl / avgfl)))

    def _term(self, q) -> Match:
        btext = self._bytes(q.fieldname, q.text)
        if btext is None:
            return Match.empty()
        docs, weights, _ = self._postings(q.fieldname, btext)
        scores = self._term_scores(q.fieldname, btext, docs, weights)
        if q.boost != 1.0:
            scores = scores * q.boost
        return Match(docs, scores, np.ones(len(docs), dtype=np.int32), 1)

    def _bytes(self, fieldname: str, text) -> bytes | None:
        """The term's bytes, or None where Whoosh's ``Term.matcher`` gives a ``NullMatcher``."""
        if fieldname not in self.schema:
            return None
        try:
            btext = self.schema[fieldname].to_bytes(text)
        except ValueError:
            return None
        return btext if (fieldname, btext) in self.reader else None

    # ------------------------------------------------------------ compounds

    def _and(self, q) -> Match:
        subs = q.subqueries
        if not subs:
            return Match.empty()
        parts = [self.match(s) for s in subs]
        out = parts[0]
        for part in parts[1:]:
            out = _intersect(out, part)
        return _boosted(out, q.boost) if len(subs) > 1 else out

    def _or(self, q) -> Match:
        subs = q.subqueries
        if not subs:
            return Match.empty()
        if len(subs) == 1:
            return self.match(subs[0])
        if q.minmatch:
            raise _Fallback
        out = Match.empty()
        for s in subs:
            out = _union(out, self.match(s))
        out = _boosted(out, q.boost)
        if q.scale and out.termcount:
            # CoordMatcher._sqr: the "SQR" short-query ranking of Apple's V-Twin
            count, scale = out.termcount, q.scale
            if count == 0 or count == scale:
                scores = np.zeros(len(out.docs))
            else:
                scores = (out.scores + ((out.terms - 1) / (count - scale) ** 2)) * ((count - 1) / count)
            out = Match(out.docs, scores, out.terms, out.termcount)
        return out

    def _and_not(self, q) -> Match:
        a, b = self.match(q.a), self.match(q.b)
        keep = ~np.isin(a.docs, b.docs, assume_unique=True)
        return _boosted(Match(a.docs[keep], a.scores[keep], a.terms[keep], a.termcount), q.boost)

    def _require(self, q) -> Match:
        a, b = self.match(q.a), self.match(q.b)
        keep = np.isin(a.docs, b.docs, assume_unique=True)
        return _boosted(Match(a.docs[keep], a.scores[keep], a.terms[keep], a.termcount + b.termcount), q.boost)

    def _and_maybe(self, q) -> Match:
        a, b = self.match(q.a), self.match(q.b)
        _, ia, ib = np.intersect1d(a.docs, b.docs, assume_unique=True, return_indices=True)
        scores, terms = a.scores.copy(), a.terms.copy()
        scores[ia] += b.scores[ib]
        terms[ia] += b.terms[ib]
        return _boosted(Match(a.docs, scores, terms, a.termcount + b.termcount), q.boost)

    def _not(self, q) -> Match:
        # Whoosh's InverseMatcher: every document the child does not match, each scoring 1.0
        child = self.match(q.query)
        docs = np.setdiff1d(np.arange(self.reader.doc_count_all(), dtype=np.int64), child.docs, assume_unique=True)
        return Match(docs, np.ones(len(docs)), np.zeros(len(docs), dtype=np.int32), child.termcount)

    def _phrase(self, q) -> Match:
        fieldname = q.fieldname
        if q.slop != 1 or fieldname not in self.schema:
            return self._whoosh(q) if q.slop != 1 else Match.empty()
        field = self.schema[fieldname]
        if not field.format or not field.format.supports("positions"):
            return self._whoosh(q)  # Whoosh raises its QueryError; let it
        btexts = [self._bytes(fieldname, w) for w in q.words]
        if not btexts or any(b is None for b in btexts):
            return Match.empty()
        lists = [self._postings(fieldname, b, values=True) for b in btexts]
        docs = lists[0][0]
        for d, _, _ in lists[1:]:
            docs = np.intersect1d(docs, d, assume_unique=True)
        if len(docs) and len(lists) > 1:
            decode = field.format.decode_positions
            where = [np.searchsorted(d, docs) for d, _, _ in lists]
            keep = np.zeros(len(docs), dtype=bool)
            for k in range(len(docs)):
                starts = set(decode(lists[0][2][where[0][k]]))
                for i in range(1, len(lists)):
                    at = set(decode(lists[i][2][where[i][k]]))
                    starts = {p for p in starts if p + i in at}
                    if not starts:
                        break
                keep[k] = bool(starts)
            docs = docs[keep]
        scores = np.zeros(len(docs))
        for b, (d, w, _) in zip(btexts, lists):
            idx = np.searchsorted(d, docs)
            scores = scores + self._term_scores(fieldname, b, docs, w[idx])
        if q.boost != 1.0:
            scores = scores * q.boost
        return Match(docs, scores, np.full(len(docs), len(lists), dtype=np.int32), len(lists))

    # ------------------------------------------------------------ the rest: Whoosh itself

    def _whoosh(self, q) -> Match:
        """Whoosh's own matching and scoring of this part (query types this module does not model)."""
        top = self.searcher.search(q, limit=None).top_n
        if not top:
            return Match.empty()
        pairs = sorted((d, s or 0.0) for s, d in top)
        docs = np.fromiter((d for d, _ in pairs), dtype=np.int64, count=len(pairs))
        scores = np.fromiter((s for _, s in pairs), dtype=np.float64, count=len(pairs))
        count = sum(1 for _ in q.leaves()) if hasattr(q, "leaves") else 1
        return Match(docs, scores, np.full(len(docs), count, dtype=np.int32), count)


class _Fallback(Exception):
    """This part cannot be modelled exactly: let Whoosh evaluate it."""


def _read_all(m, values: bool):
    """Every posting of a raw (unfiltered) leaf matcher: docnums, weights and (optionally) values."""
    if type(m) is W3LeafMatcher:
        ids, weights, vals = [], [], []
        while True:
            count = m._blocklength
            data = m._postfile.get(m._dataoffset, m._nextoffset - m._dataoffset)
            if m._compression:
                data = zlib.decompress(data)
            bids, bweights, bvalues = loads(data)
            ids.append(np.cumsum(np.asarray(bids, dtype=np.int64)))
            if bweights is None:
                weights.append(np.ones(count))
            elif isinstance(bweights, float):
                weights.append(np.full(count, bweights))
            else:
                weights.append(np.asarray(bweights, dtype=np.float64))
            if values:
                vals.extend(bvalues if isinstance(bvalues, (list, tuple)) else [None] * count)
            if m._lastblock:
                break
            m._goto(m._nextoffset)
        return np.concatenate(ids), np.concatenate(weights), vals
    ids, weights, vals = [], [], []
    while m.is_active():
        ids.append(m.id())
        weights.append(m.weight())
        if values:
            vals.append(m.value())
        m.next()
    return np.asarray(ids, dtype=np.int64), np.asarray(weights, dtype=np.float64), vals


def _boosted(m: Match, boost: float) -> Match:
    return m if boost == 1.0 else Match(m.docs, m.scores * boost, m.terms, m.termcount)


def _intersect(a: Match, b: Match) -> Match:
    docs, ia, ib = np.intersect1d(a.docs, b.docs, assume_unique=True, return_indices=True)
    return Match(docs, a.scores[ia] + b.scores[ib], a.terms[ia] + b.terms[ib], a.termcount + b.termcount)


def _union(a: Match, b: Match) -> Match:
    if not len(a.docs):
        return Match(b.docs, b.scores, b.terms, a.termcount + b.termcount)
    if not len(b.docs):
        return Match(a.docs, a.scores, a.terms, a.termcount + b.termcount)
    docs = np.union1d(a.docs, b.docs)
    scores = np.zeros(len(docs))
    terms = np.zeros(len(docs), dtype=np.int32)
    ia, ib = np.searchsorted(docs, a.docs), np.searchsorted(docs, b.docs)
    scores[ia] += a.scores
    scores[ib] += b.scores
    terms[ia] += a.terms
    terms[ib] += b.terms
    return Match(docs, scores, terms, a.termcount + b.termcount)


def _null(engine, q) -> Match:
    return Match.empty()


_HANDLERS = {
    query.Term: Engine._term,
    query.And: Engine._and,
    query.Or: Engine._or,
    query.AndNot: Engine._and_not,
    query.Require: Engine._require,
    query.AndMaybe: Engine._and_maybe,
    query.Phrase: Engine._phrase,
    query.Not: Engine._not,
    qcore._NullQuery: _null,
}


def evaluate(engine: Engine, q) -> Match:
    """``engine.match(q)``, or Whoosh's own answer for the whole query where a part cannot be modelled."""
    try:
        return engine.match(q)
    except _Fallback:
        return engine._whoosh(q)
