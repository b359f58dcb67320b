#!/usr/bin/env python3
"""Where the server's memory is: anonymous (the processes' own) against file-backed (mapped index pages).

    .venv/bin/python benchmarks/memory.py benchmarks/work/100000/instance benchmarks/data/100000

Starts gunicorn with ``deploy/gunicorn.conf.py`` (3 workers) on a built instance, sends the
corpus's distinct query mix (``queries.distinct_mix``, 100 per category) to the search pages and
the API at concurrency 8, then sums ``/proc/<pid>/smaps_rollup`` over the master and workers and
prints one JSON line: ``Pss = Pss_Anon + Pss_File (+ Pss_Shmem)`` in MB. RESULTS.md judges the
memory target on the total PSS; this splits it.
"""

import json
import sys
import threading
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import bench, queries  # noqa: E402

FIELDS = ("Rss", "Pss", "Pss_Anon", "Pss_File", "Pss_Shmem", "Private_Dirty", "Shared_Clean")


def rollup(pid: int) -> dict:
    out = {}
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in FIELDS:
                out[key] = int(value.split()[0]) / 1024
    return out


def main() -> None:
    instance, data = Path(sys.argv[1]), Path(sys.argv[2])
    env = bench.evidence_env(instance, data, None)
    mix = queries.distinct_mix(data, 100, 7)
    urls = [queries.app_page_url(q) for q in mix] + [queries.app_api_url(q) for q in mix]
    with bench.gunicorn("deploy.wsgi:app", env, 3, instance.parent / "gunicorn-memory.log") as (port, master):
        def client(part):
            for url in part:
                urllib.request.urlopen(f"http://127.0.0.1:{port}{url}").read()

        threads = [threading.Thread(target=client, args=(urls[i::8],)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        rows = [rollup(pid) for pid in [master, *bench._children(master)]]
    total = {key: round(sum(r.get(key, 0) for r in rows), 1) for key in FIELDS}
    print(json.dumps({"processes": len(rows), "requests": len(urls), "total_mb": total}))


if __name__ == "__main__":
    main()
