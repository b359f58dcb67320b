#!/usr/bin/env python3
"""A measured prototype of the search design proposed in docs/benchmarks.md (not used by the app).

    .venv/bin/python benchmarks/prototypes/fastsearch.py INSTANCE/index [--rounds 3]

It answers the benchmark's query mix the way ``evidence.search.service.search``
does — the same query parser, the same facet values (read with the app's own
``facets.card_values``), the same disjunctive counts and sort keys — but:

1. **zero-copy index files**: whoosh-reloaded's ``BufferFile`` copies every
   memory-mapped sub-file into a ``BytesIO`` each time a searcher opens (the
   whole term dictionary: ~100 ms and ~375 MB per open at 20k studies). A
   read-only file object over the ``memoryview`` avoids the copy;
2. **one searcher per process**, kept open for the index version;
3. **facet columns**: every facet value of every document as numpy arrays
   (docnum → value ids), built once per index version (at build time in the
   real design, saved beside the index and memory-mapped, so workers share it);
   filters and the disjunctive counts of all facets become a few vectorised
   passes instead of a Python loop over every matching card;
4. **unscored matching** (``docs_for_query``) for totals and counts, scoring
   only for the relevance order of the page shown, and stored cards loaded for
   the page shown only.

It prints, for each query of the mix, the real service's time and the
prototype's, and checks that totals and facet counts are identical.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


# ---------------------------------------------------------------- 1. zero-copy index files

# The prototype's MemoryFile and install_zero_copy landed as evidence/search/reader.py;
# the prototype uses that code now, so what it measures is what ships.
from evidence.search.reader import install_zero_copy  # noqa: E402


# ---------------------------------------------------------------- 3. facet columns

class Columns:
    """Per index version: each facet as (doc, value id) pairs, and the sort keys per docnum."""

    def __init__(self, reader):
        from evidence.search import facets as facet_mod

        n = reader.doc_count_all()
        self.n = n
        self.cards_by_doc = None
        pairs = {f: ([], []) for f in facet_mod.FACETS}
        self.values = {f: {} for f in facet_mod.FACETS}
        year = np.full(n, -1, dtype=np.int32)
        strength = np.zeros(n, dtype=np.int32)
        level = np.zeros(n, dtype=np.int32)
        effect = np.full(n, np.nan, dtype=np.float64)
        ids = [""] * n
        for docnum, fields in reader.iter_docs():
            card = fields["card"]
            ids[docnum] = card["id"]
            if card.get("year") is not None:
                year[docnum] = card["year"]
            strength[docnum] = card.get("strength") or 0
            level[docnum] = card["evidence_level"]
            if card.get("effect_size") is not None:
                effect[docnum] = card["effect_size"]
            for facet in facet_mod.FACETS:
                table = self.values[facet]
                for v in set(facet_mod.card_values(card, facet)):
                    pairs[facet][0].append(docnum)
                    pairs[facet][1].append(table.setdefault(v, len(table)))
        self.pairs = {f: (np.asarray(d, dtype=np.int32), np.asarray(v, dtype=np.int32)) for f, (d, v) in pairs.items()}
        self.names = {f: np.array(list(t), dtype=object) for f, t in self.values.items()}
        self.year, self.strength, self.level, self.effect = year, strength, level, effect
        self.ids = np.array(ids, dtype=object)
        self.id_rank = np.argsort(np.argsort(self.ids)).astype(np.int32)  # tie-break by id, as the app does

    def mask(self, facet: str, wanted) -> np.ndarray:
        table = self.values[facet]
        ids = [table[v] for v in wanted if v in table]
        out = np.zeros(self.n, dtype=bool)
        if ids:
            docs, vals = self.pairs[facet]
            out[docs[np.isin(vals, ids)]] = True
        return out

    def counts(self, facet: str, within: np.ndarray) -> dict:
        docs, vals = self.pairs[facet]
        counted = np.bincount(vals[within[docs]], minlength=len(self.values[facet]))
        nz = np.nonzero(counted)[0]
        return dict(zip(self.names[facet][nz].tolist(), counted[nz].tolist()))


# ---------------------------------------------------------------- 2 and 4. the search

class FastSearch:
    def __init__(self, index_dir: str):
        from whoosh.filedb.filestore import FileStorage

        self.ix = FileStorage(os.path.realpath(index_dir), readonly=True).open_index()
        self.searcher = self.ix.searcher()  # one per process, kept open
        started = time.perf_counter()
        self.columns = Columns(self.searcher.reader())
        self.columns_seconds = time.perf_counter() - started

    def search(self, q: str = "", filters=None, sort: str = "relevance", page: int = 1, per_page: int = 20):
        from evidence.search import facets as facet_mod
        from evidence.search.querying import parse

        cols = self.columns
        flt, _bad = facet_mod.make_filters(filters)
        parsed = parse(self.ix.schema, q or "")
        if parsed.query is None:
            text = np.ones(cols.n, dtype=bool)
        else:
            text = np.zeros(cols.n, dtype=bool)
            text[np.fromiter(self.searcher.docs_for_query(parsed.query), dtype=np.int64)] = True
            if not text.any() and len(parsed.words) > 1 and \
                    not any(op in parsed.used.split() for op in ("AND", "OR", "NOT")):
                wider = parse(self.ix.schema, q or "", any_words=True)
                text[np.fromiter(self.searcher.docs_for_query(wider.query), dtype=np.int64)] = True
                if text.any():
                    parsed = wider
        masks = {f: cols.mask(f, values) for f, values in flt.values.items()}
        years = np.ones(cols.n, dtype=bool)
        if flt.year_from is not None or flt.year_to is not None:
            years = cols.year >= 0
            if flt.year_from is not None:
                years &= cols.year >= flt.year_from
            if flt.year_to is not None:
                years &= cols.year <= flt.year_to

        def within(skip=None):
            m = text.copy()
            for f, fm in masks.items():
                if f != skip:
                    m &= fm
            if skip != "decade":
                m &= years
            return m

        kept = within()
        total = int(kept.sum())
        counts = {}
        for facet in facet_mod.FACETS:
            counts[facet] = cols.counts(facet, within(facet))
            for v in flt.values.get(facet, ()):
                counts[facet].setdefault(v, 0)
        docs = np.nonzero(kept)[0]
        start, stop = (page - 1) * per_page, page * per_page
        if sort == "relevance" and parsed.query is not None:
            results = self.searcher.search(parsed.query, filter=set(docs.tolist()), limit=stop)
            shown = [(hit.score, hit.docnum) for hit in results][start:stop]
        else:
            if sort == "effect":
                e = cols.effect[docs]
                keys = (cols.id_rank[docs], -np.nan_to_num(e, nan=0.0), np.isnan(e))
            elif sort == "year":
                keys = (cols.id_rank[docs], -np.where(cols.year[docs] < 0, 0, cols.year[docs]))
            else:  # strength, or relevance with no words: padlocks, level, newest
                keys = (cols.id_rank[docs], -np.where(cols.year[docs] < 0, 0, cols.year[docs]),
                        cols.level[docs], -cols.strength[docs])
            order = docs[np.lexsort(keys)][start:stop]
            shown = [(0.0, int(d)) for d in order]
        cards = [self.searcher.stored_fields(d)["card"] for _, d in shown]
        return {"total": total, "ids": [c["id"] for c in cards], "facets": counts}


# ---------------------------------------------------------------- comparing with the app

def compare(index_dir: str, rounds: int) -> dict:
    from benchmarks import queries
    from benchmarks.inprocess import _filters
    from benchmarks.loadgen import summarize
    from evidence.search.reader import IndexHolder
    from evidence.search.service import search

    holder = IndexHolder(index_dir)

    def ours(q):
        r = search(holder, q.q, _filters(q), q.sort or "relevance", q.page, 20, "da")
        return {"total": r.total, "ids": [h.id for h in r.hits],
                "facets": {f: {v.value: v.count for v in vs} for f, vs in r.facets.items()}}

    def timed(fn) -> dict[str, list[float]]:
        out: dict[str, list[float]] = {}
        fn(queries.MIX[0])  # warm: open the index
        for _ in range(rounds):
            for q in queries.MIX:
                started = time.perf_counter()
                fn(q)
                out.setdefault(q.name, []).append((time.perf_counter() - started) * 1000)
        return out

    times = {"app": timed(ours)}
    rss_app = _rss()
    install_zero_copy()
    holder = IndexHolder(index_dir)  # reopen: the app's code with zero-copy index files only
    times["app+zero-copy"] = timed(ours)
    rss_zero_copy = _rss()
    fast = FastSearch(index_dir)
    proto = {}
    for q in queries.MIX:
        a, b = ours(q), fast.search(q.q, _filters(q), q.sort or "relevance", q.page, 20)
        proto[q.name] = {"same_total": a["total"] == b["total"], "same_facets": a["facets"] == b["facets"],
                         "same_page": a["ids"] == b["ids"], "total": a["total"]}
    times["prototype"] = timed(lambda q: fast.search(q.q, _filters(q), q.sort or "relevance", q.page, 20))
    every = {k: [ms for v in t.values() for ms in v] for k, t in times.items()}
    return {"columns_build_s": fast.columns_seconds,
            "rss_mb": {"app": rss_app, "app+zero-copy": rss_zero_copy, "with prototype": _rss()},
            "all": {k: summarize(v) for k, v in every.items()},
            "facet_queries": {k: summarize([ms for q in queries.MIX if q.category == "facets" for ms in times[k][q.name]])
                              for k in times},
            "by_query": {q.name: {**{f"{k}_p50": summarize(times[k][q.name])["p50"] for k in times}, **proto[q.name]}
                         for q in queries.MIX}}


def _rss() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("index")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    result = compare(args.index, args.rounds)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
