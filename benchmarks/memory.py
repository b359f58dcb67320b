#!/usr/bin/env python3
"""Where the server's memory is: anonymous (the processes' own) against file-backed (mapped index pages).

    .venv/bin/python benchmarks/memory.py benchmarks/work/100000/instance benchmarks/data/100000

Starts gunicorn with ``deploy/gunicorn.conf.py`` (3 workers) on a built instance, sends the
corpus's distinct query mix (``queries.distinct_mix``, 100 per category) to the search pages and
the API at concurrency 8, then sums ``/proc/<pid>/smaps_rollup`` over the master and workers and
prints one JSON line: ``Pss = Pss_Anon + Pss_File (+ Pss_Shmem)`` in MB. RESULTS.md judges the
memory target on the total PSS; this splits it. ``cpu_s`` is the user and system CPU time the
processes spent (from ``/proc/<pid>/stat``: start-up, the master's warm-up and the requests), so a
change that trades memory for CPU shows both.
"""

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import bench, loadgen, queries  # noqa: E402

FIELDS = ("Rss", "Pss", "Pss_Anon", "Pss_File", "Pss_Shmem", "Private_Dirty", "Shared_Clean")


def rollup(pid: int) -> dict:
    out = {}
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in FIELDS:
                out[key] = int(value.split()[0]) / 1024
    return out


def cpu_seconds(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds of the process so far."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick  # utime, stime (fields 14 and 15 of proc(5))


def main() -> None:
    instance, data = Path(sys.argv[1]), Path(sys.argv[2])
    env = bench.evidence_env(instance, data, None)
    mix = queries.distinct_mix(data, 100, 7)
    urls = [[q.name, q.category, url(q)] for url in (queries.app_page_url, queries.app_api_url) for q in mix]
    with bench.gunicorn("deploy.wsgi:app", env, 3, instance.parent / "gunicorn-memory.log") as (port, master):
        # each URL once (partition): every request a cache miss
        loadgen.run("127.0.0.1", port, urls, 8, duration=600, max_requests=len(urls), partition=True)
        pids = [master, *bench._children(master)]
        rows = [rollup(pid) for pid in pids]
        cpu = [cpu_seconds(pid) for pid in pids]
    total = {key: round(sum(r.get(key, 0) for r in rows), 1) for key in FIELDS}
    print(json.dumps({"processes": len(rows), "requests": len(urls), "total_mb": total,
                      "per_process_pss_mb": [round(r.get("Pss", 0), 1) for r in rows],
                      "cpu_s": {"user": round(sum(u for u, _ in cpu), 2), "sys": round(sum(s for _, s in cpu), 2)}}))


if __name__ == "__main__":
    main()
