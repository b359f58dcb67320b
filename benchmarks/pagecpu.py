#!/usr/bin/env python3
"""CPU time per served search request, in process: Flask's test client over the cold query mix.

    .venv/bin/python benchmarks/pagecpu.py INSTANCE DATA [--passes 2] [--surface page|api] [--profile out.prof]

``INSTANCE`` is a built instance (``evidence.db`` and ``index/``, only read), ``DATA`` its corpus
folder. The app is made and warmed as the server's master warms it (``deploy/gunicorn.conf.py``:
the index opened, a search with and without a misspelt word, a page in each language), then each
pass sends every query of ``queries.distinct_mix(DATA, 100, 7)`` once (what the cold benchmark
sends), with the open index's rankings, spelling corrections and the rendered pages' cache emptied
before each pass, so every request is a cache miss. The process's other memos (links, labels,
translated messages, rendered badges) stay: a later pass, and the least time over passes, favour
code that memoises; the first pass is the coldest figure. Each request is timed by the thread's CPU time
(user + system): on a machine that others load, what a request costs, not how long it waited.
To compare two commits, run it from each tree in turn, several times, interleaved.

Prints one JSON object: per pass the mean, p50 and p95 (ms); over the passes, each query's least
time summarised the same way and by category; the slowest queries.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import bench, queries  # noqa: E402
from benchmarks.loadgen import summarize  # noqa: E402

WARM_URLS = ("/search", "/search?q=spellingwarmup", "/search?lang=en&q=spellingwarmup", "/search?lang=da")


def rounded(summary: dict) -> dict:
    return {k: round(summary[k], 2) for k in ("mean", "p50", "p95")}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("instance", type=Path)
    parser.add_argument("data", type=Path)
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--surface", choices=("page", "api"), default="page")
    parser.add_argument("--profile", help="write a cProfile of the timed requests to this file")
    args = parser.parse_args(argv)
    os.environ.update(bench.evidence_env(args.instance.resolve(), args.data.resolve(), None))
    from evidence.app import create_app
    from evidence.services.search import search

    app = create_app()
    holder = app.extensions["evidence.search"]
    search(holder, q="")
    search(holder, q="spellingwarmup")
    for url in WARM_URLS:
        app.test_client().get(url)
    gc.collect()
    gc.freeze()
    to_url = queries.app_page_url if args.surface == "page" else queries.app_api_url
    mix = [(q.name, q.category, to_url(q)) for q in queries.distinct_mix(args.data, 100, 7)]
    times: dict[str, list[float]] = {name: [] for name, _, _ in mix}
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
    client = app.test_client()
    for _ in range(args.passes):
        opened = holder.current()
        for cache in (opened.ranked, opened.spelling):
            cache.entries.clear()
            cache.weight = 0
        app.extensions.pop("evidence.page_cache", None)
        for name, _, url in mix:
            if profiler:
                profiler.enable()
            start = time.thread_time()
            status = client.get(url).status_code
            ms = (time.thread_time() - start) * 1000
            if profiler:
                profiler.disable()
            if status != 200:
                raise SystemExit(f"{url}: {status}")
            times[name].append(ms)
    if profiler:
        profiler.dump_stats(args.profile)
    least = {name: min(v) for name, v in times.items()}
    by_category: dict[str, list[float]] = {}
    for name, category, _ in mix:
        by_category.setdefault(category, []).append(least[name])
    print(json.dumps({
        "passes": [rounded(summarize([times[name][i] for name, _, _ in mix])) for i in range(args.passes)],
        "least": rounded(summarize(list(least.values()))),
        "by_category_p95": {k: round(summarize(v)["p95"], 1) for k, v in by_category.items()},
        "slowest": sorted(((round(least[name], 1), url) for name, _, url in mix), reverse=True)[:8]}))


if __name__ == "__main__":
    main()
