#!/usr/bin/env python3
"""The search engines alone, without HTTP: ``evidence.services.search.search`` against the FTS5 baseline.

    python benchmarks/inprocess.py --index INSTANCE/index --fts5 fts5.db [--rounds 5] [--profile out.prof] [--cpu]

One process, one thread, warm (each query is run once before timing), the
same query mix. This separates the cost of searching and counting facets
from the cost of rendering pages and serving HTTP. Prints one JSON object.
``--cpu`` times each query by the thread's CPU time (user + system) instead of
the wall clock: what a query costs on a machine that others load too.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

clock = time.perf_counter  # what a query's time is read from (--cpu: time.thread_time)

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import queries  # noqa: E402
from benchmarks.loadgen import summarize  # noqa: E402


def _filters(q: queries.Query) -> dict:
    out = {k: [v] for k, v in q.filters.items()}
    if q.year_from is not None:
        out["year_from"] = [str(q.year_from)]
    if q.year_to is not None:
        out["year_to"] = [str(q.year_to)]
    return out


def time_ours(index: str, rounds: int, profile: str | None = None, distinct: list | None = None) -> dict:
    from evidence.search.reader import IndexHolder
    from evidence.services.search import search

    holder = IndexHolder(index)

    def once(q):
        return search(holder, q.q, _filters(q), q.sort or "relevance", q.page, 20, "da")

    return _time(once, rounds, profile, lambda r: r.total, distinct)


def time_baseline(path: str, rounds: int, distinct: list | None = None) -> dict:
    from werkzeug.datastructures import MultiDict

    from benchmarks.fts5 import Searcher

    searcher = Searcher(path)
    return _time(lambda q: searcher.search(MultiDict(queries._params(q))), rounds, None, lambda r: r["total"],
                 distinct)


def _time(once, rounds: int, profile: str | None, total, distinct: list | None = None) -> dict:
    """cold: each distinct query once (first, before anything is cached); warm: the fixed mix, repeated."""
    cold = None
    if distinct:
        once(queries.MIX[0])  # open the index first: not a query's cost
        cold_by_category: dict[str, list[float]] = {}
        every = []
        for q in distinct:
            start = clock()
            once(q)
            ms = (clock() - start) * 1000
            every.append(ms)
            cold_by_category.setdefault(q.category, []).append(ms)
        cold = {"all": summarize(every), "by_category": {k: summarize(v) for k, v in cold_by_category.items()}}
    warm = _warm(once, rounds, profile, total)
    return {"cold": cold, "warm": warm, "all": warm["all"], "totals": warm.pop("totals"),
            "by_query": warm["by_query"]}


def _warm(once, rounds: int, profile: str | None, total) -> dict:
    totals = {q.name: total(once(q)) for q in queries.MIX}  # warm
    by_name: dict[str, list[float]] = {q.name: [] for q in queries.MIX}
    by_category: dict[str, list[float]] = {}
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    for _ in range(rounds):
        for q in queries.MIX:
            start = clock()
            once(q)
            ms = (clock() - start) * 1000
            by_name[q.name].append(ms)
            by_category.setdefault(q.category, []).append(ms)
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile)
    every = [ms for v in by_name.values() for ms in v]
    return {"all": summarize(every), "by_category": {k: summarize(v) for k, v in by_category.items()},
            "by_query": {k: summarize(v) for k, v in by_name.items()}, "totals": totals}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", help="the app's index directory (instance/index)")
    parser.add_argument("--fts5", help="the baseline's database")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", help="write a cProfile of our search to this file")
    parser.add_argument("--data", help="the corpus folder, for the distinct (cold) queries")
    parser.add_argument("--distinct", type=int, default=20, help="distinct queries per category (with --data)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cpu", action="store_true", help="time by the thread's CPU time, not the wall clock")
    args = parser.parse_args(argv)
    global clock
    clock = time.thread_time if args.cpu else time.perf_counter
    distinct = queries.distinct_mix(args.data, args.distinct, args.seed) if args.data else None
    out = {}
    if args.index:
        try:
            out["ours"] = time_ours(args.index, args.rounds, args.profile, distinct)
        except ImportError as exc:
            out["ours"] = {"error": f"no search service at this commit ({exc})"}
    if args.fts5:
        out["baseline"] = time_baseline(args.fts5, args.rounds, distinct)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
