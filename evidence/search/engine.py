"""Matching and scoring of parsed queries over the index's own columns (:mod:`.store`), with numpy.

Whoosh parses the query (our forgiving parser, its query objects and analyzers); the parsed tree is
evaluated here with the scores Whoosh's searcher gives (``tests/search/test_engine.py`` compares
with Whoosh's own search over a Whoosh index of the same documents):

- a term: BM25F as ``whoosh.scoring.BM25FScorer`` computes it — idf ``log(N / (df + 1)) + 1``, the
  average field length, the document's length quantised to one byte as Whoosh stores it, ``B``
  and ``K1`` of ``BM25F()``, in the same order of operations — times the boost; fields that are
  not scorable (``id``, ``year``) score the posting's weight (``WeightScorer``);
- ``And``/``Or``/``AndNot``/``Require``/``AndMaybe``/``Not`` as their matchers score (sums over
  the parts that match; a scaled ``Or``'s coordination bonus, ``CoordMatcher``'s SQR formula);
- a phrase: the words at consecutive positions (``SpanNear2``, slop 1), scored as their ``And``;
- ``Prefix``, ``Wildcard``, ``TermRange``: the terms Whoosh expands them to, scored as
  ``MultiTerm.matcher`` does; ``NumericRange``: the year terms in the range, each match scoring
  the boost (``ConstantScoreQuery``); ``Every``: the documents with a term in the field, scoring
  the boost. The parser makes no other query type (any other matches nothing).
"""

from __future__ import annotations

import fnmatch
import functools
import math
import re

import numpy as np
from whoosh import query
from whoosh.scoring import BM25F

from .matches import NONE, Match, boosted, intersect, union_all
from .store import IndexFiles

WEIGHTING = BM25F()


class Engine:
    """Evaluates parsed queries against one index version's columns (thread-safe: it only reads)."""

    def __init__(self, files: IndexFiles, schema):
        self.files = files
        self.schema = schema
        self.n = files.doc_count  # live documents: BM25F's N
        self.size = files.size  # document numbers (hidden ones included)

    def match(self, q) -> Match:
        """The documents ``q`` matches and their scores (a NullQuery, or a type the parser never makes: none)."""
        handler = _HANDLERS.get(type(q))
        return handler(self, q) if handler is not None else Match.empty()

    # ------------------------------------------------------------ terms

    def find(self, fieldname: str, text):
        """``(field, term bytes)``, or None where Whoosh's ``Term.matcher`` finds nothing."""
        columns = self.files.fields.get(fieldname)
        if columns is None:
            return None
        try:
            btext = self.schema[fieldname].to_bytes(text)
        except ValueError:
            return None
        return (columns, btext) if columns.has(btext) else None

    def scores(self, fieldname: str, columns, docs: np.ndarray, weights: np.ndarray, df: int) -> np.ndarray:
        """BM25F of a term with ``df`` documents, in ``docs`` with these weights (term frequencies)."""
        if not self.schema[fieldname].scorable:
            return weights.copy()
        idf = math.log(self.n / (df + 1)) + 1
        avgfl = columns.total / (self.n or 1) or 1
        fl = columns.quantised_lengths(docs)
        B, K1 = WEIGHTING.B, WEIGHTING.K1
        # whoosh.scoring.bm25, operation for operation
        return idf * ((weights * (K1 + 1)) / (weights + K1 * ((1 - B) + B * fl / avgfl)))

    def term_match(self, fieldname: str, columns, btext: bytes, boost: float = 1.0) -> Match:
        docs, weights = columns.postings(btext)
        scores = self.scores(fieldname, columns, docs, weights, len(docs))
        return boosted(Match(docs, scores, np.ones(len(docs), dtype=np.int32), 1), boost)

    def term_query(self, q) -> Match:
        found = self.find(q.fieldname, q.text)
        return Match.empty() if found is None else self.term_match(q.fieldname, *found, q.boost)

    # ------------------------------------------------------------ compounds

    def compound_query(self, q) -> Match:
        """``And`` (the documents every part matches) or ``Or`` (any part matches); one part is itself."""
        parts = [self.match(s) for s in q.subqueries]
        if len(parts) < 2:
            return parts[0] if parts else Match.empty()
        if isinstance(q, query.And):
            return boosted(functools.reduce(intersect, parts), q.boost)
        # (``minmatch`` is never set by the parser)
        out = boosted(union_all(parts, self.size), q.boost)
        if q.scale and out.termcount:
            # CoordMatcher's SQR formula: the short-query ranking of Apple's V-Twin
            count, scale = out.termcount, q.scale
            if count == scale:
                scores = np.zeros(len(out.docs))
            else:
                scores = (out.scores + ((out.terms - 1) / (count - scale) ** 2)) * ((count - 1) / count)
            out = Match(out.docs, scores, out.terms, out.termcount)
        return out

    def binary_query(self, q) -> Match:
        """``AndNot`` (a's documents not in b), ``Require`` (a's in b), ``AndMaybe`` (a's, plus b's scores)."""
        a, b = self.match(q.a), self.match(q.b)
        termcount = a.termcount if isinstance(q, query.AndNot) else a.termcount + b.termcount
        if isinstance(q, query.AndMaybe):
            _, ia, ib = np.intersect1d(a.docs, b.docs, assume_unique=True, return_indices=True)
            scores, terms = a.scores.copy(), a.terms.copy()
            scores[ia] += b.scores[ib]
            terms[ia] += b.terms[ib]
            return boosted(Match(a.docs, scores, terms, termcount), q.boost)
        keep = np.isin(a.docs, b.docs, assume_unique=True) ^ isinstance(q, query.AndNot)
        return boosted(Match(a.docs[keep], a.scores[keep], a.terms[keep], termcount), q.boost)

    def not_query(self, q) -> Match:
        child = self.match(q.query)
        docs = np.setdiff1d(np.arange(self.size, dtype=np.int64), child.docs, assume_unique=True)
        return Match(docs, np.ones(len(docs)), np.zeros(len(docs), dtype=np.int32), child.termcount)

    def phrase_query(self, q) -> Match:
        fieldname = q.fieldname
        columns = self.files.fields.get(fieldname)
        if q.slop != 1 or columns is None or not columns.has_positions:
            return Match.empty()
        found = [self.find(fieldname, w) for w in q.words]
        if not found or any(f is None for f in found):
            return Match.empty()
        lists = [columns.postings(t) for _, t in found]
        docs = functools.reduce(lambda a, b: b[np.isin(b, a, kind="table")], [d for d, _ in lists])  # (no sort)
        if len(docs) and len(found) > 1:
            # a phrase matches where word i stands at p + i for some p (SpanNear2, slop 1); keys are doc << 32 |
            # position, sorted, so each test is one searchsorted of the rarest word j's keys shifted by i - j
            keys = [columns.occurrences(t, docs) for _, t in found]
            j = int(np.argmin([len(k) for k in keys]))  # (positions < 2 ** 32: a shift stays in its doc)
            first = keys[j]
            for k, other in enumerate(keys):
                want = first + (k - j)
                at = np.searchsorted(other, want)
                at[at == len(other)] = 0
                first = first[other[at] == want] if len(other) else first[:0]
                if not len(first):
                    break
            docs = np.unique(first >> 32)
        scores = sum(self.scores(fieldname, columns, docs, w[np.searchsorted(d, docs)], len(d)) for d, w in lists)
        return boosted(Match(docs, scores, np.full(len(docs), len(lists), dtype=np.int32), len(lists)), q.boost)

    # ------------------------------------------------------------ patterns and ranges

    def expand(self, q) -> list[bytes]:
        """The terms a Prefix, Wildcard, TermRange or NumericRange expands to (the year's sortable bytes
        keep the numbers' order, so a numeric range is a term range)."""
        columns = self.files.fields.get(q.fieldname)
        if columns is None:
            return []
        field = self.schema[q.fieldname]
        if isinstance(q, query.Prefix):
            prefix = field.to_bytes(q.text)
            return columns.between(prefix, successor(prefix))
        if isinstance(q, query.Wildcard):
            pattern = re.compile(fnmatch.translate(q.text))
            literal = re.split(r"[*?\[]", q.text, maxsplit=1)[0]
            prefix = field.to_bytes(literal) if literal else b""
            return [t for t in columns.between(prefix, successor(prefix) if prefix else None)
                    if pattern.match(field.from_bytes(t))]
        try:
            start = b"" if q.start is None else field.to_bytes(q.start)
            end = b"\xff\xff\xff\xff" if q.end is None else field.to_bytes(q.end)
        except ValueError:
            return []
        high = end if q.endexcl else end + b"\0"  # the least bytes after ``end``
        return [t for t in columns.between(start, high) if not (q.startexcl and t == start)]

    def multiterm_query(self, q) -> Match:
        """``MultiTerm.matcher``: one term is a plain ``Term`` (boost 1); several are an ``Or`` whose
        matcher Whoosh picks by size — a tree of unions summing each term's BM25F (times the boost)
        when there are two terms, or fewer than 1,024 in an index of over 5,000 documents; otherwise
        its preloaded array matcher, where the switched-off scoring gives every match 1."""
        if isinstance(q, query.Prefix) and q.text == "":
            return self.constant_query(query.Every(q.fieldname, boost=q.boost))
        found = self.expand(q)
        if not found:
            return Match.empty()
        columns = self.files.fields[q.fieldname]
        parts = [self.term_match(q.fieldname, columns, t) for t in found]
        if len(parts) == 1:
            return parts[0]
        out = union_all(parts, self.size)
        if len(parts) == 2 or (len(parts) < query.Or.TOO_MANY_CLAUSES and self.n > 5000):
            return boosted(out, q.boost)
        return Match(out.docs, np.ones(len(out.docs)), out.terms, out.termcount)

    def constant_query(self, q) -> Match:
        columns = self.files.fields.get(q.fieldname)
        if isinstance(q, query.NumericRange):
            if columns is None:
                return Match.empty()
            parts = [columns.postings(t)[0] for t in self.expand(q)]
            docs = np.unique(np.concatenate(parts)) if parts else NONE
        elif q.fieldname in (None, "", "*"):
            docs = np.arange(self.size, dtype=np.int64)
        else:
            docs = columns.documents() if columns is not None else NONE
        return Match(docs, np.full(len(docs), float(q.boost)), np.ones(len(docs), dtype=np.int32), 1)


def successor(prefix: bytes) -> bytes | None:
    """The least bytes greater than every bytes starting with ``prefix`` (None: there is none)."""
    stripped = prefix.rstrip(b"\xff")
    return stripped[:-1] + bytes([stripped[-1] + 1]) if stripped else None


_HANDLERS = {
    query.Term: Engine.term_query, query.And: Engine.compound_query, query.Or: Engine.compound_query,
    query.Phrase: Engine.phrase_query, query.Not: Engine.not_query,
    **dict.fromkeys((query.Every, query.NumericRange), Engine.constant_query),
    **dict.fromkeys((query.AndNot, query.Require, query.AndMaybe), Engine.binary_query),
    **dict.fromkeys((query.Prefix, query.Wildcard, query.TermRange), Engine.multiterm_query),
}
