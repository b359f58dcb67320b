#!/usr/bin/env python3
"""Time and profile pooling alone, in one process, on a synthetic corpus's parameters.

    .venv/bin/python benchmarks/poolprofile.py 20000                  # time pool() over every 5th group
    .venv/bin/python benchmarks/poolprofile.py 20000 --profile        # and cProfile it (top functions)
    .venv/bin/python benchmarks/poolprofile.py 20000 --save a.pickle  # keep the results ...
    .venv/bin/python benchmarks/poolprofile.py 20000 --compare a.pickle  # ... and compare a later run's

The groups are what ``evidence build`` pools (``prepare`` runs up to
``pooling.pool_all``); they are cached in benchmarks/work/pool-groups-<N>.pickle
(delete it when the corpus or the grouping changes). The sample is every
``--every``-th group in the build's order, so it has the build's mix of
sizes and of rma and che-rve parameters. Prints wall and CPU time (this
process: pooling runs here, not in workers) and the load average.
``--compare`` reports whether every result is bit-for-bit equal to the saved
ones (floats compared exactly, NaN equal to NaN).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import math
import os
import pickle
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


class _Collected(Exception):
    def __init__(self, groups, vocab):
        super().__init__("groups collected")
        self.groups, self.vocab = groups, vocab


def load_groups(n: int):
    """The build's groups and vocabulary for corpus ``n`` (cached)."""
    from evidence import build
    from evidence.services import pooling

    cache = ROOT / "benchmarks" / "work" / f"pool-groups-{n}.pickle"
    if cache.exists():
        with cache.open("rb") as fh:
            return pickle.load(fh)

    def collect(groups, vocab, **_):
        raise _Collected(groups, vocab)

    original = pooling.pool_all
    pooling.pool_all = collect
    try:
        build.prepare(ROOT / "benchmarks" / "data" / str(n))
    except _Collected as got:
        groups, vocab = got.groups, got.vocab
    finally:
        pooling.pool_all = original
    cache.parent.mkdir(parents=True, exist_ok=True)
    with cache.open("wb") as fh:
        pickle.dump((groups, vocab), fh, protocol=pickle.HIGHEST_PROTOCOL)
    return groups, vocab


def same(a, b) -> bool:
    """Exact equality of nested results, NaN equal to NaN, types included (a float is not an int)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, nargs="?", default=20000)
    parser.add_argument("--every", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--save", type=Path)
    parser.add_argument("--compare", type=Path)
    args = parser.parse_args(argv)
    from evidence.services import pooling

    groups, vocab = load_groups(args.n)
    sample = groups[::args.every]
    che = sum(len({r.study for r in g.rows}) < len(g.rows) for g in sample)
    profile = cProfile.Profile() if args.profile else None
    load = os.getloadavg()[0]
    wall, cpu = time.perf_counter(), time.process_time()
    if profile:
        profile.enable()
    results = [pooling.pool(g, vocab) for g in sample]
    if profile:
        profile.disable()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    rows = sum(len(g.rows) for g in sample)
    print(f"{args.n} studies: pooled {len(sample)} of {len(groups)} groups ({rows} rows, {che} with dependent "
          f"effects) in {wall:.2f} s wall, {cpu:.2f} s CPU{' under cProfile' if profile else ''}; "
          f"load average {load:.2f} at start")
    if profile:
        out = io.StringIO()
        pstats.Stats(profile, stream=out).strip_dirs().sort_stats("tottime").print_stats(args.top)
        print(out.getvalue())
    if args.save:
        with args.save.open("wb") as fh:
            pickle.dump(results, fh, protocol=pickle.HIGHEST_PROTOCOL)
    if args.compare:
        with args.compare.open("rb") as fh:
            before = pickle.load(fh)
        differing = [r["id"] for r, b in zip(results, before) if not same(r, b)]
        print(f"compared with {args.compare}: {len(results) - len(differing)} of {len(results)} results identical"
              + (f"; differ: {differing[:10]}" if differing else ""))


if __name__ == "__main__":
    main()
