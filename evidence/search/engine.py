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

    def __init__(self, lru, columns=None):
        self.postings = lru  # (field, bytes) -> (docs int32, weights float32); (field, bytes, "positions") -> keys
        self.columns = columns  # the index's postings columns (:mod:`.postings`), or None
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
        # the leading segments the postings columns hold; later ones (incremental updates) are read from Whoosh
        self.covered = shared.columns.covered(self.leaves) if shared.columns is not None else 0
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

    def _postings(self, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
        """The term's document numbers (sorted) and weights, cached."""
        if self.covered == len(self.leaves):  # all in the memory-mapped postings columns: nothing to cache
            held = self.shared.columns.get(fieldname, btext)
            if held is not None:
                return held[0].astype(np.int64), held[1].astype(np.float64)
        key = (fieldname, btext)
        hit = self.shared.postings.get(key)
        if hit is None:
            docs, weights, _ = self._read(fieldname, btext, values=False)
            hit = _compact(docs, weights)
            self.shared.postings.put(key, hit, weight=hit[0].nbytes + hit[1].nbytes)
        return hit[0].astype(np.int64), hit[1].astype(np.float64)

    def _positions(self, fieldname: str, btext: bytes) -> np.ndarray:
        """Every occurrence of the term as ``doc << 32 | position`` (sorted), cached."""
        if self.covered == len(self.leaves):
            held = self.shared.columns.positions(fieldname, btext)
            if held is not None:
                return held
        key = (fieldname, btext, "positions")
        hit = self.shared.postings.get(key)
        if hit is None:
            docs, weights, values = self._read(fieldname, btext, values=True)
            if self.shared.postings.get((fieldname, btext)) is None:
                compact = _compact(docs, weights)
                self.shared.postings.put((fieldname, btext), compact, weight=compact[0].nbytes + compact[1].nbytes)
            doc_of, positions = decode_positions(values, self.schema[fieldname].format.decode_positions)
            hit = (docs[doc_of] << 32) | positions
            self.shared.postings.put(key, hit, weight=hit.nbytes)
        return hit

    def _read(self, fieldname: str, btext: bytes, values: bool):
        fmt = self.schema[fieldname].format
        docs, weights, vals = [], [], []
        leaves = self.leaves
        if self.covered and not values:
            held = self.shared.columns.get(fieldname, btext)
            if held is not None:
                docs.append(np.asarray(held[0], dtype=np.int64))
                weights.append(np.asarray(held[1], dtype=np.float64))
                leaves = leaves[self.covered:]
        for leaf, base in leaves:
            if (fieldname, btext) not in leaf:
                continue
            d, w, v = _read_all(leaf._terms.matcher(fieldname, btext, fmt), values)
            docs.append(d + base)
            weights.append(w)
            vals.extend(v)
        return (np.concatenate(docs) if docs else _NONE,
                np.concatenate(weights) if weights else np.zeros(0), vals)

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
        docs, weights = self._postings(q.fieldname, btext)
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
        out = _boosted(_union_all([self.match(s) for s in subs], self.reader.doc_count_all()), q.boost)
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
        keys = [self._positions(fieldname, b) for b in btexts] if len(btexts) > 1 else None
        lists = [self._postings(fieldname, b) for b in btexts]
        docs = lists[0][0]
        for d, _ in lists[1:]:
            docs = np.intersect1d(docs, d, assume_unique=True)
        if len(docs) and keys:
            # a phrase of k words matches where word i stands at p + i for some p (SpanNear2, slop 1);
            # keys are doc << 32 | position, sorted, so each test is one searchsorted
            first = keys[0][np.isin(keys[0] >> 32, docs)]
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
                return _NONE
            parts = [self._postings(fieldname, b)[0] for b in q._btexts(self.reader) if b]
            return np.unique(np.concatenate(parts)) if parts else _NONE
        if type(q) is query.Or:
            parts = [self._docs(s) for s in q.subqueries]
            return np.unique(np.concatenate(parts)) if parts else _NONE
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
            docs, weights = self._postings(fieldname, b)
            parts.append(Match(docs, self._term_scores(fieldname, b, docs, weights),
                               np.ones(len(docs), dtype=np.int32), 1))
        if len(parts) == 1:
            return parts[0]
        out = _union_all(parts, self.reader.doc_count_all())
        if len(parts) == 2 or (len(parts) < query.Or.TOO_MANY_CLAUSES and self.reader.doc_count_all() > 5000):
            return _boosted(out, q.boost)
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


def _compact(docs: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # half the cache per posting; exact: weights are stored as float32 by Whoosh
    return docs.astype(np.int32), weights.astype(np.float32)


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


_PROTO = np.frombuffer(b"\x80\x02]q\x00", dtype=np.uint8)  # PROTO 2, EMPTY_LIST, BINPUT 0
_K, _M, _J = 0x4B, 0x4D, 0x4A  # BININT1 (1 byte), BININT2 (2 bytes), BININT (4 bytes, signed)
_MARK, _APPEND, _APPENDS, _STOP = 0x28, 0x61, 0x65, 0x2E


def decode_positions(values: list, fallback) -> tuple[np.ndarray, np.ndarray]:
    """``(value index, position)`` of every position in Whoosh ``Positions`` values, vectorised.

    A value is a 4-byte big-endian count, then the position deltas as the protocol-2 pickle of a
    list (``whoosh.formats.Positions.encode``): the header ``PROTO 2, EMPTY_LIST, BINPUT 0``, then
    one item and ``APPEND`` or ``MARK``, the items and ``APPENDS``, then ``STOP``; each item is
    ``BININT1``/``BININT2``/``BININT`` with its 1, 2 or 4 bytes. Items are read in lockstep across all
    values (one numpy step per item index). Anything else — a list of over 1,000 items, which pickle
    splits into batches, or a value that does not parse exactly — goes to ``fallback`` (Whoosh's own
    ``Positions.decode_positions``).
    """
    n = len(values)
    if not n:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    lens = np.fromiter(map(len, values), dtype=np.int64, count=n)
    buf = np.frombuffer(b"".join(values) + bytes(8), dtype=np.uint8)
    starts = np.zeros(n, dtype=np.int64)
    np.cumsum(lens[:-1], out=starts[1:])
    b = buf[starts[:, None] + np.arange(4)].astype(np.int64)
    count = (b[:, 0] << 24) | (b[:, 1] << 16) | (b[:, 2] << 8) | b[:, 3]
    single = count == 1
    ok = (count >= 1) & (count <= 1000) & (lens >= 13)
    ok &= (buf[starts[:, None] + 4 + np.arange(5)] == _PROTO).all(axis=1)
    ok &= single | (buf[starts + 9] == _MARK)
    offset = np.zeros(n, dtype=np.int64)
    np.cumsum(np.where(ok, count, 0)[:-1], out=offset[1:])
    out = np.zeros(int(np.where(ok, count, 0).sum()), dtype=np.int64)
    live = np.nonzero(ok)[0]
    cur = starts[live] + np.where(single[live], 9, 10)
    acc = np.zeros(len(live), dtype=np.int64)
    j = 0
    while len(live):
        op = buf[cur]
        a1, a2, a3, a4 = (buf[cur + k].astype(np.int64) for k in range(1, 5))
        arg = np.where(op == _K, a1, np.where(op == _M, a1 | (a2 << 8), a1 | (a2 << 8) | (a3 << 16) | (a4 << 24)))
        good = ((op == _K) | (op == _M) | ((op == _J) & (a4 < 128))) & (cur < starts[live] + lens[live])
        ok[live[~good]] = False
        acc += arg
        out[offset[live] + j] = acc
        cur += np.where(op == _K, 2, np.where(op == _M, 3, 5))
        j += 1
        done = count[live] == j
        if done.any():
            end = cur[done]
            closer = np.where(single[live[done]], _APPEND, _APPENDS)
            exact = (buf[end] == closer) & (buf[end + 1] == _STOP) & (end + 2 == starts[live[done]] + lens[live[done]])
            ok[live[done][~exact]] = False
        keep = ~done & good
        live, cur, acc = live[keep], cur[keep], acc[keep]
    owner = np.repeat(np.arange(n), np.where(ok, count, 0))
    spans = np.repeat(offset, np.where(ok, count, 0)) + (np.arange(len(owner)) - np.repeat(
        np.cumsum(np.where(ok, count, 0)) - np.where(ok, count, 0), np.where(ok, count, 0)))
    doc_of, positions = owner, out[spans]
    slow = np.nonzero(~ok)[0]
    if len(slow):
        extra = [(i, p) for i in slow.tolist() for p in fallback(values[i])]
        doc_of = np.concatenate([doc_of, np.array([i for i, _ in extra], dtype=np.int64)])
        positions = np.concatenate([positions, np.array([p for _, p in extra], dtype=np.int64)])
        order = np.lexsort((positions, doc_of))
        doc_of, positions = doc_of[order], positions[order]
    return doc_of, positions


def _boosted(m: Match, boost: float) -> Match:
    return m if boost == 1.0 else Match(m.docs, m.scores * boost, m.terms, m.termcount)


def _intersect(a: Match, b: Match) -> Match:
    docs, ia, ib = np.intersect1d(a.docs, b.docs, assume_unique=True, return_indices=True)
    return Match(docs, a.scores[ia] + b.scores[ib], a.terms[ia] + b.terms[ib], a.termcount + b.termcount)


def _union_all(parts: list[Match], n: int) -> Match:
    """The union of ``parts``: scores and matching terms summed over the parts that match.

    Dense accumulators over the ``n`` documents (each part's documents are unique, so ``+=`` through
    an index array is exact) are faster than pairwise ``union1d`` for the large sets of frequent words.
    """
    termcount = sum(p.termcount for p in parts)
    parts = [p for p in parts if len(p.docs)]
    if not parts:
        return Match(_NONE, np.zeros(0), np.zeros(0, dtype=np.int32), termcount)
    if len(parts) == 1:
        return Match(parts[0].docs, parts[0].scores, parts[0].terms, termcount)
    scores = np.zeros(n)
    terms = np.zeros(n, dtype=np.int32)
    present = np.zeros(n, dtype=bool)
    for p in parts:
        scores[p.docs] += p.scores
        terms[p.docs] += p.terms
        present[p.docs] = True
    docs = np.flatnonzero(present)
    return Match(docs, scores[docs], terms[docs], termcount)


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
