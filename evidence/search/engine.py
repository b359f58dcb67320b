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
type (fuzzy terms, regular expressions …) is handed to Whoosh unchanged, for
that part of the tree only.

Whoosh evaluates an index of several segments (after incremental updates)
one segment at a time, so there a prefix's expansion and matcher, and the
term count of the any-word fallback's coordination bonus, depend on the
segment a study is in; the engine takes the index as a whole, as Whoosh does
the single segment of a full build.

Where the postings come from (the postings columns, Whoosh's blocks, a cache) is
:mod:`.source`; reading Whoosh's blocks in bulk is :mod:`.blocks`; the set
algebra of matches is :mod:`.matches`.
"""

from __future__ import annotations

import numpy as np
from whoosh import query
from whoosh.query import qcore
from whoosh.scoring import BM25F

from .matches import NONE, Match, boosted, intersect, union_all
from .source import Shared, TermSource

__all__ = ["Engine", "Match", "Shared", "evaluate"]


class Engine:
    """Evaluates parsed queries against one searcher (one per thread: index files are read with seeks)."""

    def __init__(self, searcher, shared: Shared):
        self.searcher = searcher
        self.reader = searcher.reader()
        self.schema = searcher.schema
        self.source = TermSource(self.reader, self.schema, shared)
        self.leaves, self.covered = self.source.leaves, self.source.covered
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
        fl = self.source.lengths(fieldname)[docs]
        # whoosh.scoring.bm25, operation for operation
        return idf * ((weights * (K1 + 1)) / (weights + K1 * ((1 - B) + B * fl / avgfl)))

    def _term(self, q) -> Match:
        btext = self._bytes(q.fieldname, q.text)
        if btext is None:
            return Match.empty()
        docs, weights = self.source.postings(q.fieldname, btext)
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
            out = intersect(out, part)
        return boosted(out, q.boost) if len(subs) > 1 else out

    def _or(self, q) -> Match:
        subs = q.subqueries
        if not subs:
            return Match.empty()
        if len(subs) == 1:
            return self.match(subs[0])
        if q.minmatch:
            raise _Fallback
        out = boosted(union_all([self.match(s) for s in subs], self.reader.doc_count_all()), q.boost)
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
        return boosted(Match(a.docs[keep], a.scores[keep], a.terms[keep], a.termcount), q.boost)

    def _require(self, q) -> Match:
        a, b = self.match(q.a), self.match(q.b)
        keep = np.isin(a.docs, b.docs, assume_unique=True)
        return boosted(Match(a.docs[keep], a.scores[keep], a.terms[keep], a.termcount + b.termcount), q.boost)

    def _and_maybe(self, q) -> Match:
        a, b = self.match(q.a), self.match(q.b)
        _, ia, ib = np.intersect1d(a.docs, b.docs, assume_unique=True, return_indices=True)
        scores, terms = a.scores.copy(), a.terms.copy()
        scores[ia] += b.scores[ib]
        terms[ia] += b.terms[ib]
        return boosted(Match(a.docs, scores, terms, a.termcount + b.termcount), q.boost)

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
        lists = [self.source.postings(fieldname, b) for b in btexts]
        docs = lists[0][0]
        for d, _ in lists[1:]:
            docs = np.intersect1d(docs, d, assume_unique=True)
        if len(docs) and len(btexts) > 1:
            # a phrase of k words matches where word i stands at p + i for some p (SpanNear2, slop 1);
            # keys are doc << 32 | position in the documents all words occur in, sorted, so each
            # test is one searchsorted
            keys = [self.source.positions(fieldname, b, docs) for b in btexts]
            first = keys[0]
            for i, other in enumerate(keys[1:], start=1):
                if not len(other):
                    first = first[:0]
                    break
                want = first + i
                at = np.searchsorted(other, want)
                at[at == len(other)] = 0
                first = first[other[at] == want]
                if not len(first):
                    break
            docs = np.unique(first >> 32)
        scores = np.zeros(len(docs))
        for b, (d, w) in zip(btexts, lists):
            idx = np.searchsorted(d, docs)
            scores = scores + self._term_scores(fieldname, b, docs, w[idx])
        if q.boost != 1.0:
            scores = scores * q.boost
        return Match(docs, scores, np.full(len(docs), len(lists), dtype=np.int32), len(lists))

    def _docs(self, q) -> np.ndarray:
        """Only which documents ``q`` matches (for a constant-score part: its scores are not used)."""
        if isinstance(q, query.MultiTerm) and not isinstance(q, query.FuzzyTerm):
            # Prefix, Wildcard, TermRange: the documents of the terms Whoosh expands the pattern to
            fieldname = q.field()
            if fieldname not in self.schema:
                return NONE
            parts = [self.source.postings(fieldname, b)[0] for b in q._btexts(self.reader) if b]
            return np.unique(np.concatenate(parts)) if parts else NONE
        if type(q) is query.Or:
            parts = [self._docs(s) for s in q.subqueries]
            return np.unique(np.concatenate(parts)) if parts else NONE
        return self.match(q).docs

    def _multiterm(self, q) -> Match:
        """Prefix, Wildcard, TermRange: the terms Whoosh expands the pattern to, scored as Whoosh does.

        ``MultiTerm.matcher``: one term is a plain ``Term`` (boost 1); several are an ``Or`` whose
        matcher Whoosh picks by size — a tree of unions summing each term's BM25F (times the boost)
        when there are two terms, or fewer than 1,024 in an index of over 5,000 documents; otherwise
        its preloaded array matcher, where the switched-off scoring gives every match 1.
        """
        fieldname = q.field()
        if fieldname not in self.schema or type(q) not in (query.Prefix, query.Wildcard, query.TermRange) \
                or not q.constantscore:
            return self._whoosh(q)
        btexts = [b for b in q._btexts(self.reader) if b]
        if not btexts:
            return Match.empty()
        parts = []
        for b in btexts:
            docs, weights = self.source.postings(fieldname, b)
            parts.append(Match(docs, self._term_scores(fieldname, b, docs, weights),
                               np.ones(len(docs), dtype=np.int32), 1))
        if len(parts) == 1:
            return parts[0]
        out = union_all(parts, self.reader.doc_count_all())
        if len(parts) == 2 or (len(parts) < query.Or.TOO_MANY_CLAUSES and self.reader.doc_count_all() > 5000):
            return boosted(out, q.boost)
        return Match(out.docs, np.ones(len(out.docs)), out.terms, out.termcount)

    def _numeric_range(self, q) -> Match:
        return self.match(q._compile_query(self.reader))

    def _constant(self, q) -> Match:
        docs = self._docs(q.child)
        return Match(docs, np.full(len(docs), float(q.score)), np.ones(len(docs), dtype=np.int32), 1)

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
    query.NumericRange: Engine._numeric_range,
    query.Prefix: Engine._multiterm,
    query.Wildcard: Engine._multiterm,
    query.TermRange: Engine._multiterm,
    query.ConstantScoreQuery: Engine._constant,
}


def evaluate(engine: Engine, q) -> Match:
    """``engine.match(q)``, or Whoosh's own answer for the whole query where a part cannot be modelled."""
    try:
        return engine.match(q)
    except _Fallback:
        return engine._whoosh(q)
